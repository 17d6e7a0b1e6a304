/*
 * socket.c — the BSD-socket-like calls of synack.h.
 *
 * Owns: the socket table (descriptors are small integers, reused lowest
 * first after close), argument checking and errno results, socket options,
 * readiness (synack_poll) and the error-string table. Must not touch:
 * segments or timers directly — calls change buffers and state through the
 * tcp layer's tcp_app_* functions and mark the connection dirty; the stack
 * sends at the next synack_stack_poll. No call here ever invokes the output
 * callback (packets made inside a call, such as an abort's RST, are queued).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/epoll_internal.h"
#include "stack/stack.h"
#include "tcp/seq.h"
#include "tcp/tcp_sack.h"

/* Marks that we are inside a socket call (packets are deferred). */
#define APP_ENTER(s) ((s)->in_app_call = true)
#define APP_LEAVE(s) ((s)->in_app_call = false)

static struct sock *sock_get(synack_stack *s, int sd)
{
    if (sd < 0 || sd >= s->nsocks || stack_sock(s, sd)->kind == SOCK_FREE) return NULL;
    return stack_sock(s, sd);
}

int synack_socket(synack_stack *s)
{
    /* The lowest free descriptor, as POSIX: O(1) (util/slotmap.h). */
    int sd = (int)slotmap_lowest_free(&s->free_socks);
    if (sd < 0) {
        if (s->nsocks >= STACK_MAX_SOCKETS) return -EMFILE;
        /* One more chunk of slots: nothing moves (no copy, no pause), and
         * its pages are touched only as slots are used. */
        int nchunks = s->nsocks / STACK_SOCK_CHUNK;
        struct sock **nc = realloc(s->sock_chunks, (size_t)(nchunks + 1) * sizeof *nc);
        if (!nc) return -ENOMEM;
        s->sock_chunks = nc;
        if (!(nc[nchunks] = calloc(STACK_SOCK_CHUNK, sizeof(struct sock)))) return -ENOMEM;
        sd = s->nsocks;
        s->nsocks += STACK_SOCK_CHUNK;
        for (int i = sd + 1; i < s->nsocks; i++) slotmap_set_free(&s->free_socks, (uint32_t)i);
    }
    slotmap_set_used(&s->free_socks, (uint32_t)sd);
    struct sock *k = stack_sock(s, sd);
    memset(k, 0, sizeof *k);
    k->kind = SOCK_NEW;
    return sd;
}

int synack_bind(synack_stack *s, int sd, const struct synack_endpoint *local)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!local) return -EINVAL;
    if (k->kind != SOCK_NEW || k->bound) return -EINVAL;
    if (local->addr != 0 && local->addr != s->cfg.addr) return -EADDRNOTAVAIL;
    struct synack_endpoint ep = *local;
    if (ep.port == 0) {
        ep.port = stack_ephemeral_port(s, s->cfg.addr, 0, 0);
        if (ep.port == 0) return -EADDRINUSE;
    } else if (stack_port_bound(s, ep.addr, ep.port, sd, k->opt.reuseaddr)) {
        return -EADDRINUSE;
    }
    k->local = ep;
    k->bound = true;
    k->explicit_bind = true;
    stack_port_bind(s, ep.port, +1);
    return 0;
}

int synack_listen(synack_stack *s, int sd, int backlog)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind == SOCK_LISTENER) {
        /* listen() again only changes the backlog, as on Linux. */
        unsigned b = backlog <= 0 ? 1 : (unsigned)backlog;
        k->listener->backlog = b > s->tunables.max_backlog ? s->tunables.max_backlog : b;
        return 0;
    }
    if (k->kind != SOCK_NEW) return -EINVAL;
    if (!k->bound) {
        int err = synack_bind(s, sd, &(struct synack_endpoint){0, 0});
        if (err) return err;
    }
    /* A listener needs its port free of other listeners even with SO_REUSEADDR. */
    for (int i = 0; i < s->nsocks; i++) {
        const struct sock *o = stack_sock(s, i);
        if (i != sd && o->kind == SOCK_LISTENER && o->local.port == k->local.port &&
            (o->local.addr == 0 || k->local.addr == 0 || o->local.addr == k->local.addr))
            return -EADDRINUSE;
    }
    unsigned b = backlog <= 0 ? 1 : (unsigned)backlog;
    if (b > s->tunables.max_backlog) b = s->tunables.max_backlog;
    struct tcp_listener *l = stack_listener_add(s, k->local.addr, k->local.port, sd, b);
    if (!l) return -ENOMEM;
    k->listener = l;
    k->kind = SOCK_LISTENER;
    return 0;
}

int synack_accept(synack_stack *s, int sd, struct synack_endpoint *peer)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind != SOCK_LISTENER) return -EINVAL;
    if (!k->listener->accept_head) return -EAGAIN;
    int nsd = synack_socket(s);
    if (nsd < 0) return nsd;
    struct tcp_conn *c = stack_listener_take(s, k->listener);
    struct sock *n = stack_sock(s, nsd);
    n->kind = SOCK_CONN;
    n->bound = true;
    n->opt = k->opt;
    n->local.addr = c->id.laddr;
    n->local.port = c->id.lport;
    n->conn = c;
    c->sd = nsd;
    if (peer) {
        peer->addr = c->id.raddr;
        peer->port = c->id.rport;
    }
    return nsd;
}

int synack_connect(synack_stack *s, int sd, const struct synack_endpoint *remote)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!remote) return -EINVAL;
    if (k->kind == SOCK_LISTENER) return -EISCONN; /* as Linux: no LISTEN -> SYN_SENT */
    if (k->kind == SOCK_CONN) {
        if (k->conn->state == SYNACK_SYN_SENT || k->conn->state == SYNACK_SYN_RCVD) return -EALREADY;
        if (k->conn->state == SYNACK_CLOSED) return -EINVAL;
        return -EISCONN;
    }
    if (remote->port == 0 || remote->addr == 0 || remote->addr == 0xffffffffu) return -EINVAL;
    uint32_t laddr = s->cfg.addr;
    uint32_t reuse_isn = 0;
    uint16_t lport = k->bound ? k->local.port : stack_connect_port(s, laddr, remote->addr, remote->port, &reuse_isn);
    if (lport == 0) return -EADDRNOTAVAIL;
    struct synack_conn_id id = {.laddr = laddr, .raddr = remote->addr, .lport = lport,
                                .rport = remote->port};
    if (k->bound && !stack_pair_free(s, &id, &reuse_isn)) return -EADDRINUSE;
    int err;
    struct tcp_conn *c = stack_conn_new(s, &id, &k->opt, &err);
    if (!c) return err;
    if (!stack_conn_insert(s, c)) {
        stack_conn_free(s, c);
        return -ENOMEM;
    }
    k->kind = SOCK_CONN;
    k->bound = true;
    k->local.addr = laddr;
    k->local.port = lport;
    k->conn = c;
    c->sd = sd;
    c->ts_offset = stack_ts_offset(s, &id);
    APP_ENTER(s);
    s->env.now = s->now;
    tcp_open_active(&s->env, c, reuse_isn ? reuse_isn : stack_isn(s, &id));
    APP_LEAVE(s);
    stack_mark_dirty(s, c);
    return -EINPROGRESS;
}

/* A connection's error is reported once, by the first call that looks
 * (recv, send or SO_ERROR), as Linux's sock_error() does; afterwards the
 * dead connection reads as EOF and refuses writes with EPIPE. */
static int take_error(struct tcp_conn *c)
{
    int e = c->err;
    c->err = 0;
    return -e;
}

/* TCP_NOTSENT_LOWAT: the socket's own value, else the tunable (as Linux's
 * tcp_notsent_lowat()). UINT32_MAX means no limit. */
static uint32_t notsent_lowat(const synack_stack *s, const struct sock *k)
{
    return k->opt.notsent_lowat ? k->opt.notsent_lowat : s->tunables.notsent_lowat;
}

/* Bytes queued and not yet sent (Linux's write_seq - snd_nxt). */
static uint32_t unsent_bytes(const struct tcp_conn *c)
{
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    return (int32_t)(data_end - c->snd_nxt) > 0 ? data_end - c->snd_nxt : 0;
}

/* How many of len bytes a send may queue now under the not-sent low-water
 * mark: Linux queues nothing more once the unsent bytes reach it. synack
 * stops exactly at the mark (Linux may overshoot it by up to one of its
 * send-queue buffers, 64 KB at most). */
static uint32_t lowat_room(const synack_stack *s, const struct sock *k, uint32_t len)
{
    uint32_t lowat = notsent_lowat(s, k), unsent = unsent_bytes(k->conn);
    if (lowat == UINT32_MAX) return len;
    if (unsent >= lowat) return 0;
    return len < lowat - unsent ? len : lowat - unsent;
}

/* Can the application queue data on k now? 0, or the error synack_send
 * returns. Closes any open reservation (a view is valid for one call). */
static int send_check(struct sock *k)
{
    if (k->kind != SOCK_CONN) return -ENOTCONN;
    struct tcp_conn *c = k->conn;
    if (k->reserved) {
        tcp_app_send_commit(c, 0);
        k->reserved = 0;
    }
    if (c->err) return take_error(c);
    if (k->shut_wr || c->fin_queued) return -EPIPE;
    switch (c->state) {
    case SYNACK_SYN_SENT:
    case SYNACK_SYN_RCVD:
        return -EAGAIN;   /* not yet connected: wait for POLLOUT */
    case SYNACK_ESTABLISHED:
    case SYNACK_CLOSE_WAIT:
        return 0;
    default:
        return -EPIPE;
    }
}

ssize_t synack_send(synack_stack *s, int sd, const void *buf, size_t len)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!buf && len) return -EFAULT;
    int rc = send_check(k);
    if (rc) return rc;
    if (len == 0) return 0;
    uint32_t chunk = lowat_room(s, k, len > UINT32_MAX ? UINT32_MAX : (uint32_t)len);
    uint32_t n = chunk ? tcp_app_send(&s->env, k->conn, buf, chunk) : 0;
    if (n == 0) return -EAGAIN;
    stack_mark_dirty(s, k->conn);
    return (ssize_t)n;
}

ssize_t synack_send_reservev(synack_stack *s, int sd, struct iovec *iov, int *iovcnt, size_t want)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!iov || !iovcnt || *iovcnt <= 0 || want == 0) return -EINVAL;
    int rc = send_check(k);
    if (rc) return rc;
    uint32_t n = lowat_room(s, k, want > UINT32_MAX ? UINT32_MAX : (uint32_t)want);
    unsigned cnt = (unsigned)*iovcnt;
    n = n ? tcp_app_send_reservev(&s->env, k->conn, iov, &cnt, n) : 0;
    if (n == 0) return -EAGAIN;
    k->reserved = n;
    *iovcnt = (int)cnt;
    return (ssize_t)n;
}

ssize_t synack_send_reserve(synack_stack *s, int sd, void **buf, size_t want)
{
    if (!buf) return sock_get(s, sd) ? -EINVAL : -EBADF;
    struct iovec one;
    int cnt = 1;
    ssize_t n = synack_send_reservev(s, sd, &one, &cnt, want);
    if (n > 0) *buf = one.iov_base;
    return n;
}

int synack_send_commit(synack_stack *s, int sd, size_t n)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind != SOCK_CONN || k->reserved == 0 || n > k->reserved) return -EINVAL;
    struct tcp_conn *c = k->conn;
    k->reserved = 0;
    if (c->err || c->fin_queued || c->sndbuf.end < c->sndbuf.len + n ||
        (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_CLOSE_WAIT)) {
        /* The connection failed since the reserve (its buffer is gone). */
        if (c->sndbuf.end > c->sndbuf.len) c->sndbuf.end = c->sndbuf.len;
        return c->err ? take_error(c) : -EPIPE;
    }
    tcp_app_send_commit(c, (uint32_t)n);
    if (n) stack_mark_dirty(s, k->conn);
    return 0;
}

/* What a receive call returns when no byte is readable. */
static ssize_t recv_nothing(struct sock *k, struct tcp_conn *c)
{
    if (c->err) return take_error(c);
    if (c->peer_fin || k->shut_rd || c->state == SYNACK_CLOSED) return 0;
    return -EAGAIN;
}

/* Closes any open receive view (valid for one call). */
static void recv_close_view(struct sock *k)
{
    k->peeked = 0;
}

ssize_t synack_recv(synack_stack *s, int sd, void *buf, size_t len)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind != SOCK_CONN) return -ENOTCONN;
    if (!buf && len) return -EFAULT;
    recv_close_view(k);
    struct tcp_conn *c = k->conn;
    if (tcp_readable(c) > 0) {
        if (len == 0) return 0;
        uint32_t chunk = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
        uint32_t n = tcp_app_recv(&s->env, c, buf, chunk);
        if (c->ack_now) stack_mark_dirty(s, c); /* window update */
        return (ssize_t)n;
    }
    return recv_nothing(k, c);
}

ssize_t synack_recv_peekv(synack_stack *s, int sd, struct iovec *iov, int *iovcnt)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind != SOCK_CONN) return -ENOTCONN;
    if (!iov || !iovcnt || *iovcnt <= 0) return -EINVAL;
    recv_close_view(k);
    struct tcp_conn *c = k->conn;
    if (tcp_readable(c) > 0) {
        unsigned cnt = (unsigned)*iovcnt;
        uint32_t n = tcp_app_recv_peekv(c, iov, &cnt);
        if (n) {
            k->peeked = n;
            *iovcnt = (int)cnt;
            return (ssize_t)n;
        }
    }
    return recv_nothing(k, c);
}

ssize_t synack_recv_peek(synack_stack *s, int sd, const void **buf)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind != SOCK_CONN) return -ENOTCONN;
    if (!buf) return -EINVAL;
    struct iovec one;
    int cnt = 1;
    ssize_t n = synack_recv_peekv(s, sd, &one, &cnt);
    if (n > 0) *buf = one.iov_base;
    return n;
}

int synack_recv_consume(synack_stack *s, int sd, size_t n)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind != SOCK_CONN || k->peeked == 0 || n > k->peeked) return -EINVAL;
    struct tcp_conn *c = k->conn;
    k->peeked = 0;
    if (n == 0) return 0;
    tcp_app_recv_consume(&s->env, c, (uint32_t)n);
    if (c->ack_now) stack_mark_dirty(s, c); /* window update */
    return 0;
}

int synack_shutdown(synack_stack *s, int sd, int how)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (how < SYNACK_SHUT_RD || how > SYNACK_SHUT_RDWR) return -EINVAL;
    if (k->kind != SOCK_CONN) return -ENOTCONN;
    struct tcp_conn *c = k->conn;
    if (c->state == SYNACK_CLOSED || c->state == SYNACK_SYN_SENT) return -ENOTCONN;
    if (how != SYNACK_SHUT_WR) k->shut_rd = true;
    if (how != SYNACK_SHUT_RD && !k->shut_wr) {
        k->shut_wr = true;
        APP_ENTER(s);
        s->env.now = s->now;
        tcp_app_close_write(&s->env, c);
        APP_LEAVE(s);
        stack_mark_dirty(s, c);
    }
    return 0;
}

int synack_close(synack_stack *s, int sd)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    APP_ENTER(s);
    s->env.now = s->now;
    if (k->kind == SOCK_LISTENER) {
        stack_listener_remove(s, k->listener);
    } else if (k->kind == SOCK_CONN) {
        struct tcp_conn *c = k->conn;
        if (c->state == SYNACK_CLOSED) {
            stack_conn_bury(s, c);
        } else if ((k->opt.linger.onoff && k->opt.linger.linger_s == 0) || tcp_readable(c) > 0) {
            /* SO_LINGER {1, 0}, or unread data (RFC 2525 2.17): abort with RST. */
            s->ctr.abort_on_close++;
            c->sd = -1;
            tcp_app_abort(&s->env, c);
        } else {
            tcp_app_close_write(&s->env, c);
            tcp_app_orphan(&s->env, c);
            if (c->state == SYNACK_CLOSED) stack_conn_bury(s, c);
            else stack_mark_dirty(s, c);
        }
    }
    APP_LEAVE(s);
    if (k->explicit_bind) stack_port_bind(s, k->local.port, -1);
    memset(k, 0, sizeof *k);
    k->kind = SOCK_FREE;
    slotmap_set_free(&s->free_socks, (uint32_t)sd);
    epoll_forget_sd(s, sd);
    return 0;
}

int synack_getsockname(synack_stack *s, int sd, struct synack_endpoint *out)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!out) return -EFAULT;
    *out = k->local;
    return 0;
}

int synack_getpeername(synack_stack *s, int sd, struct synack_endpoint *out)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!out) return -EFAULT;
    if (k->kind != SOCK_CONN || k->conn->state == SYNACK_CLOSED || k->conn->state == SYNACK_SYN_SENT)
        return -ENOTCONN;
    out->addr = k->conn->id.raddr;
    out->port = k->conn->id.rport;
    return 0;
}

int synack_getstate(synack_stack *s, int sd, enum synack_tcp_state *out)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (k->kind == SOCK_LISTENER) *out = SYNACK_LISTEN;
    else if (k->kind == SOCK_CONN) *out = k->conn->state;
    else *out = SYNACK_CLOSED;
    return 0;
}

/* ---- options ------------------------------------------------------------- */

static int get_int(const void *val, size_t len, int *out)
{
    if (!val || len < sizeof(int)) return -EINVAL;
    memcpy(out, val, sizeof(int));
    return 0;
}

static int put_int(void *val, size_t *len, int v)
{
    if (!val || !len || *len < sizeof(int)) return -EINVAL;
    memcpy(val, &v, sizeof v);
    *len = sizeof v;
    return 0;
}

int synack_setsockopt(synack_stack *s, int sd, int level, int name, const void *val, size_t len)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    struct tcp_conn *c = k->kind == SOCK_CONN ? k->conn : NULL;
    int v = 0;
    if (level == SYNACK_SOL_SOCKET && name == SYNACK_SO_LINGER) {
        if (!val || len < sizeof(struct synack_linger)) return -EINVAL;
        memcpy(&k->opt.linger, val, sizeof k->opt.linger);
        if (k->opt.linger.linger_s < 0) k->opt.linger.linger_s = 0;
        return 0;
    }
    if (level == SYNACK_SOL_TCP && name == SYNACK_TCP_CONGESTION) {
        /* A name, as Linux: up to 15 characters, NUL-terminated or not. */
        char nm[TCP_CC_NAME_MAX];
        if (!val || len == 0) return -EINVAL;
        size_t n = strnlen(val, len < sizeof nm - 1 ? len : sizeof nm - 1);
        memcpy(nm, val, n);
        nm[n] = 0;
        const struct tcp_cc_ops *cc = tcp_cc_find(nm);
        if (!cc) return -ENOENT;
        k->opt.cc = cc;
        if (c) tcp_set_congestion_control(c, cc);
        return 0;
    }
    int err = get_int(val, len, &v);
    if (err) return err;
    switch (level) {
    case SYNACK_SOL_SOCKET:
        switch (name) {
        case SYNACK_SO_REUSEADDR: k->opt.reuseaddr = v != 0; return 0;
        case SYNACK_SO_RCVBUF:
        case SYNACK_SO_SNDBUF:
            if (v < 256 || v > (1 << 30)) return -EINVAL;
            if (name == SYNACK_SO_SNDBUF) {
                /* As Linux, at any time: a connected socket's buffer takes the
                 * new size at once, but never drops what it already holds. */
                k->opt.sndbuf = (uint32_t)v;
                if (c) c->sndbuf.cap = (uint32_t)v > c->sndbuf.end ? (uint32_t)v : c->sndbuf.end;
                return 0;
            }
            if (c) return -EISCONN; /* the receive buffer is sized when the connection is made */
            k->opt.rcvbuf = (uint32_t)v;
            return 0;
        case SYNACK_SO_KEEPALIVE:
            k->opt.keepalive = v != 0;
            if (c) {
                c->keepalive = v != 0;
                APP_ENTER(s);
                s->env.now = s->now;
                tcp_keepalive_arm(&s->env, c);
                APP_LEAVE(s);
            }
            return 0;
        default: return -ENOPROTOOPT;
        }
    case SYNACK_SOL_IP:
        if (name != SYNACK_IP_TTL) return -ENOPROTOOPT;
        if (v < 1 || v > 255) return -EINVAL;
        k->opt.ttl = (uint8_t)v;
        if (c) c->ttl = (uint8_t)v;
        return 0;
    case SYNACK_SOL_TCP:
        switch (name) {
        case SYNACK_TCP_NODELAY:
            k->opt.nodelay = v != 0;
            if (c) {
                c->nodelay = v != 0;
                stack_mark_dirty(s, c); /* queued runts may go now */
            }
            return 0;
        case SYNACK_TCP_MAXSEG:
            if (v < TCP_MIN_MSS || v > 65535) return -EINVAL;
            k->opt.user_mss = (uint16_t)v;
            if (c && c->state == SYNACK_CLOSED) c->user_mss = (uint16_t)v;
            return 0;
        case SYNACK_TCP_NOTSENT_LOWAT:
            k->opt.notsent_lowat = (uint32_t)v; /* any 32-bit value, as Linux */
            return 0;
        case SYNACK_TCP_QUICKACK:
            if (c) {
                APP_ENTER(s);
                s->env.now = s->now;
                tcp_app_quickack(&s->env, c, v != 0);
                APP_LEAVE(s);
                if (c->ack_now) stack_mark_dirty(s, c);
            }
            return 0;
        case SYNACK_TCP_KEEPIDLE:
        case SYNACK_TCP_KEEPINTVL:
        case SYNACK_TCP_KEEPCNT:
            if (v < 1 || v > (name == SYNACK_TCP_KEEPCNT ? 127 : 32767)) return -EINVAL;
            if (name == SYNACK_TCP_KEEPIDLE) k->opt.ka_idle_s = (uint16_t)v;
            else if (name == SYNACK_TCP_KEEPINTVL) k->opt.ka_intvl_s = (uint16_t)v;
            else k->opt.ka_count = (uint8_t)v;
            if (c) {
                c->ka_idle_s = k->opt.ka_idle_s;
                c->ka_intvl_s = k->opt.ka_intvl_s;
                c->ka_count = k->opt.ka_count;
                APP_ENTER(s);
                s->env.now = s->now;
                tcp_keepalive_arm(&s->env, c);
                APP_LEAVE(s);
            }
            return 0;
        default: return -ENOPROTOOPT;
        }
    default:
        return -ENOPROTOOPT;
    }
}

/* A buffer size as getsockopt reports it: twice the bytes (Linux's sk_rcvbuf). */
static int doubled(uint32_t bytes) { return bytes > INT_MAX / 2 ? INT_MAX : (int)(2u * bytes); }

int synack_getsockopt(synack_stack *s, int sd, int level, int name, void *val, size_t *len)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    struct tcp_conn *c = k->kind == SOCK_CONN ? k->conn : NULL;
    switch (level) {
    case SYNACK_SOL_SOCKET:
        switch (name) {
        case SYNACK_SO_REUSEADDR: return put_int(val, len, k->opt.reuseaddr);
        /* Read back doubled, as Linux reports sk_rcvbuf/sk_sndbuf (twice the
         * value set); the buffers themselves hold the value set. */
        case SYNACK_SO_RCVBUF:
            return put_int(val, len, doubled(c ? c->rcvbuf.cap : k->opt.rcvbuf ? k->opt.rcvbuf : s->tunables.rcvbuf));
        case SYNACK_SO_SNDBUF:
            return put_int(val, len, doubled(c ? c->sndbuf.cap : k->opt.sndbuf ? k->opt.sndbuf : s->tunables.sndbuf));
        case SYNACK_SO_ERROR: {
            int e = k->err;
            if (!e && c) {
                e = c->err;
                c->err = 0;
            }
            if (!e && c) { /* as Linux: else the soft (ICMP) error, also read once */
                e = c->soft_err;
                c->soft_err = 0;
            }
            k->err = 0;
            return put_int(val, len, e);
        }
        case SYNACK_SO_KEEPALIVE: return put_int(val, len, k->opt.keepalive);
        case SYNACK_SO_LINGER:
            if (!val || !len || *len < sizeof(struct synack_linger)) return -EINVAL;
            memcpy(val, &k->opt.linger, sizeof k->opt.linger);
            *len = sizeof k->opt.linger;
            return 0;
        default: return -ENOPROTOOPT;
        }
    case SYNACK_SOL_IP:
        if (name != SYNACK_IP_TTL) return -ENOPROTOOPT;
        return put_int(val, len, k->opt.ttl ? k->opt.ttl : s->tunables.ttl);
    case SYNACK_SOL_TCP:
        switch (name) {
        case SYNACK_TCP_NODELAY: return put_int(val, len, k->opt.nodelay);
        case SYNACK_TCP_QUICKACK: return put_int(val, len, c ? !c->pingpong : 1);
        case SYNACK_TCP_KEEPIDLE:
            return put_int(val, len, (int)(k->opt.ka_idle_s ? k->opt.ka_idle_s : s->tunables.keepalive_time_s));
        case SYNACK_TCP_KEEPINTVL:
            return put_int(val, len, (int)(k->opt.ka_intvl_s ? k->opt.ka_intvl_s : s->tunables.keepalive_intvl_s));
        case SYNACK_TCP_KEEPCNT:
            return put_int(val, len, (int)(k->opt.ka_count ? k->opt.ka_count : s->tunables.keepalive_probes));
        case SYNACK_TCP_INFO: {
            if (!val || !len || *len < sizeof(struct synack_tcp_info)) return -EINVAL;
            int e = synack_getinfo(s, sd, val);
            if (e == 0) *len = sizeof(struct synack_tcp_info);
            return e;
        }
        case SYNACK_TCP_NOTSENT_LOWAT: return put_int(val, len, (int)k->opt.notsent_lowat);
        case SYNACK_TCP_CONGESTION: {
            const char *nm = c ? c->cc->name : k->opt.cc ? k->opt.cc->name : s->tunables.congestion_control;
            if (!val || !len || *len == 0) return -EINVAL;
            size_t n = strlen(nm) + 1;
            if (n > *len) n = *len;
            memcpy(val, nm, n);
            ((char *)val)[n - 1] = 0;
            *len = n;
            return 0;
        }
        case SYNACK_TCP_MAXSEG:
            if (c && c->state >= SYNACK_ESTABLISHED) return put_int(val, len, (int)tcp_send_mss(c));
            return put_int(val, len, k->opt.user_mss ? k->opt.user_mss : TCP_DEFAULT_MSS);
        default: return -ENOPROTOOPT;
        }
    default:
        return -ENOPROTOOPT;
    }
}

/* The scoreboard's counts for TCP_INFO (bytes), as Linux's sacked_out,
 * lost_out and retrans_out. */
static void scoreboard_info(const struct tcp_conn *c, struct synack_tcp_info *out)
{
    const struct sack_board *b = tcp_sb(c);
    uint32_t una = c->snd_una, mss = c->snd_mss ? c->snd_mss : 1, flight = c->snd_max - c->snd_una;
    if (!b) {
        /* Without SACK each duplicate ACK stands for a segment that left
         * the network (Linux's tcp_add_reno_sack), the head stays out. */
        uint32_t dup = (uint32_t)c->dupacks * mss, most = flight > mss ? flight - mss : 0;
        out->sacked = c->ca_state == TCP_CA_OPEN ? 0 : (dup < most ? dup : most);
        out->lost = c->in_recovery ? (flight < mss ? flight : mss) : 0;
        out->retrans = c->in_recovery && c->total_retrans ? out->lost : 0;
        if (c->ca_state == TCP_CA_LOSS && seq_gt(c->recover, una)) {
            out->lost = c->recover - una;
            uint32_t sent = c->x ? seq_max(c->x->rxt_high, seq_min(c->snd_nxt, c->recover)) : una;
            out->retrans = seq_gt(sent, una) ? seq_min(sent, c->recover) - una : 0;
        }
        return;
    }
    out->sacked = b->sacked;
    uint32_t lost_end = b->lost_end, rxt_end = b->high_rxt;
    if (c->ca_state == TCP_CA_LOSS && seq_gt(c->recover, una)) {
        /* A timeout deems all that was out lost (Linux's tcp_enter_loss). */
        lost_end = seq_min(c->recover, c->snd_max);
        rxt_end = seq_max(c->x->rxt_high, seq_min(c->snd_nxt, lost_end));
    } else if (!c->in_recovery) {
        rxt_end = una;
    }
    if (seq_gt(lost_end, una)) out->lost = sack_board_unsacked_in(b, una, lost_end);
    if (seq_gt(rxt_end, una)) out->retrans = sack_board_unsacked_in(b, una, seq_min(rxt_end, c->snd_max));
}

int synack_getinfo(synack_stack *s, int sd, struct synack_tcp_info *out)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return -EBADF;
    if (!out) return -EFAULT;
    if (k->kind != SOCK_CONN) return -ENOTCONN;
    const struct tcp_conn *c = k->conn;
    memset(out, 0, sizeof *out);
    out->state = c->state;
    out->rtt_us = c->srtt;
    out->rttvar_us = c->rttvar;
    out->rto_us = c->rto;
    out->snd_mss = tcp_send_mss(c);
    out->adv_mss = c->adv_mss;
    out->cwnd = c->cwnd;
    out->ssthresh = c->ssthresh;
    out->snd_wnd = c->snd_wnd;
    out->rcv_wnd = tcp_rcv_window_avail(c);
    out->unacked = c->snd_max - c->snd_una;
    out->unsent = unsent_bytes(c);
    out->readable = tcp_readable(c);
    out->backoff = c->backoff;
    out->total_retrans = c->total_retrans;
    out->bytes_acked = tcp_xr(c)->bytes_acked;
    out->bytes_received = tcp_xr(c)->bytes_received;
    out->snd_wscale = c->snd_wscale;
    out->rcv_wscale = c->rcv_wscale;
    out->wscale_ok = c->ws_ok;
    out->timestamps_ok = c->ts_ok;
    out->sack_ok = c->sack_ok;
    out->ecn_ok = c->ecn_ok;
    out->ecn_seen = c->ecn_seen;
    out->ecn_echoing = c->ecn_ok && c->ecn_demand_cwr;
    out->in_recovery = c->in_recovery;
    snprintf(out->congestion, sizeof out->congestion, "%s", c->cc ? c->cc->name : "");
    out->ca_state = c->ca_state;
    out->min_rtt_us = tcp_xr(c)->min_rtt;
    out->pacing_rate = tcp_xr(c)->pacing_rate;
    scoreboard_info(c, out);
    out->reordering = tcp_xr(c)->reordering ? tcp_xr(c)->reordering : 3;
    out->reord_seen = tcp_xr(c)->reord_count;
    if (c->cc && c->cc->get_info) c->cc->get_info(c, out);
    return 0;
}

/* ---- readiness ----------------------------------------------------------- */

static short sock_revents(synack_stack *s, int sd)
{
    struct sock *k = sock_get(s, sd);
    if (!k) return SYNACK_POLLNVAL;
    short ev = 0;
    if (k->kind == SOCK_LISTENER) {
        if (k->listener->accept_head) ev |= SYNACK_POLLIN;
        return ev;
    }
    if (k->kind != SOCK_CONN) return SYNACK_POLLOUT | SYNACK_POLLHUP; /* unconnected, as Linux */
    struct tcp_conn *c = k->conn;
    if (tcp_readable(c) > 0 || c->peer_fin || k->shut_rd) ev |= SYNACK_POLLIN;
    if (c->err) ev |= SYNACK_POLLERR;
    switch (c->state) {
    case SYNACK_ESTABLISHED:
    case SYNACK_CLOSE_WAIT:
        /* Writable: room in the buffer, and (TCP_NOTSENT_LOWAT) unsent bytes
         * under half the mark, as Linux's tcp_poll reports it. */
        if (!c->fin_queued && tcp_send_space(c) > 0 &&
            (notsent_lowat(s, k) == UINT32_MAX || 2ull * unsent_bytes(c) < notsent_lowat(s, k)))
            ev |= SYNACK_POLLOUT;
        break;
    case SYNACK_CLOSED:
        ev |= SYNACK_POLLHUP | SYNACK_POLLIN;
        break;
    default:
        break;
    }
    if (c->peer_fin && c->fin_queued) ev |= SYNACK_POLLHUP;
    if (c->state == SYNACK_CLOSED || (c->sndbuf.len == 0 && c->snd_una == c->snd_max &&
                                      (!c->fin_queued || seq_gt(c->snd_una, c->fin_seq))))
        ev |= SYNACK_POLLDRAINED;
    return ev;
}

int synack_poll(synack_stack *s, struct synack_pollfd *fds, size_t n)
{
    int ready = 0;
    for (size_t i = 0; i < n; i++) {
        short ev = sock_revents(s, fds[i].sd);
        fds[i].revents = (short)(ev & (fds[i].events | SYNACK_POLLERR | SYNACK_POLLHUP | SYNACK_POLLNVAL));
        if (fds[i].revents) ready++;
    }
    return ready;
}

/* ---- misc --------------------------------------------------------------- */

const char *synack_strerror(int err)
{
    if (err > 0) err = -err;
    switch (err) {
    case 0: return "success";
    case -EAGAIN: return "resource temporarily unavailable (try again)";
    case -EINPROGRESS: return "operation in progress";
    case -EALREADY: return "operation already in progress";
    case -ECONNREFUSED: return "connection refused";
    case -ECONNRESET: return "connection reset by peer";
    case -ETIMEDOUT: return "connection timed out";
    case -EPIPE: return "broken pipe (no more sending on this socket)";
    case -ENOTCONN: return "socket is not connected";
    case -EISCONN: return "socket is already connected";
    case -EADDRINUSE: return "address already in use";
    case -EADDRNOTAVAIL: return "address not available";
    case -EBADF: return "bad socket descriptor";
    case -EINVAL: return "invalid argument";
    case -ENOMEM: return "out of memory";
    case -ENOBUFS: return "no buffer space (connection limit reached)";
    case -EMFILE: return "too many sockets";
    case -ENOPROTOOPT: return "option not supported";
    case -EFAULT: return "bad address";
    case -EHOSTUNREACH: return "no route to host";
    case -EDEADLK: return "every thread of the simulation waits and nothing is scheduled";
    case -ECANCELED: return "operation canceled";
    case -ENETUNREACH: return "network is unreachable";
    default: return "unknown error";
    }
}

int synack_parse_ipv4(const char *text, uint32_t *addr)
{
    if (!text || !addr) return -EINVAL;
    uint32_t v = 0;
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        if (*p < '0' || *p > '9') return -EINVAL;
        unsigned part = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            part = part * 10 + (unsigned)(*p - '0');
            if (++digits > 3 || part > 255) return -EINVAL;
            p++;
        }
        v = (v << 8) | part;
        if (i < 3) {
            if (*p != '.') return -EINVAL;
            p++;
        }
    }
    if (*p != '\0') return -EINVAL;
    *addr = v;
    return 0;
}

char *synack_format_ipv4(uint32_t addr, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", (unsigned)(addr >> 24), (unsigned)((addr >> 16) & 255),
             (unsigned)((addr >> 8) & 255), (unsigned)(addr & 255));
    return buf;
}
