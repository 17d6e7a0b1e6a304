/*
 * host.c — the blocking socket calls of host.h, common to simulated and
 * real-time hosts.
 *
 * Owns: the per-descriptor table (non-blocking flag, SO_RCVTIMEO,
 * SO_SNDTIMEO) and the rule every blocking call follows:
 *
 *     lock; r = synack_call(...);
 *     while r is -EAGAIN/-EINPROGRESS and the descriptor blocks:
 *         wait until poll() says the call can progress, or the deadline;
 *         r = synack_call(...) again
 *     kick the loop if the call made work; unlock
 *
 * Waiting is poll-based: each call knows which event means "try again"
 * (POLLIN for recv and accept, POLLOUT for send and connect; POLLERR,
 * POLLHUP and POLLNVAL always end a wait), so the simnet driver can decide
 * who is runnable without knowing what the thread is doing. The waits and
 * clocks themselves live in the backends (host_sim.c, host_rt.c), reached
 * only through h->ops (struct host_ops in host_internal.h).
 *
 * Map: lock/unlock helpers, descriptor table, wait/kick dispatch, then the
 * calls in synack.h's order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/epoll_internal.h"
#include "api/host_internal.h"

/* ---- locking and dispatch ------------------------------------------------ */

static bool lock(synack_host *h)
{
    pthread_mutex_lock(h->mu);
    return h->ops->enter(h);
}

static void unlock(synack_host *h, bool token)
{
    h->ops->leave(h, token);
    pthread_mutex_unlock(h->mu);
}

static uint64_t now_us(synack_host *h)
{
    return h->ops->now(h);
}

static void kick(synack_host *h)
{
    h->ops->kick(h);
}

/* Waits for events on sd (see the header comment). */
static int wait_sd(synack_host *h, int sd, short events, uint64_t deadline)
{
    struct synack_pollfd p = {sd, events, 0};
    return h->ops->wait(h, &p, 1, deadline);
}

static uint64_t deadline_after(synack_host *h, uint64_t timeout_us)
{
    if (timeout_us == 0) return SYNACK_NEVER;
    uint64_t now = now_us(h);
    return now + timeout_us < now ? SYNACK_NEVER : now + timeout_us;
}

/* ---- descriptor table ----------------------------------------------------- */

static struct host_sd *sd_get(synack_host *h, int sd)
{
    return sd >= 0 && sd < h->nsds ? &h->sds[sd] : NULL;
}

/* Makes room for sd and resets its entry. Returns 0 or -ENOMEM. */
static int sd_open(synack_host *h, int sd)
{
    if (sd >= h->nsds) {
        int n = h->nsds ? h->nsds : 16;
        while (n <= sd) n *= 2;
        struct host_sd *ns = realloc(h->sds, (size_t)n * sizeof *ns);
        if (!ns) return -ENOMEM;
        memset(ns + h->nsds, 0, (size_t)(n - h->nsds) * sizeof *ns);
        h->sds = ns;
        h->nsds = n;
    }
    memset(&h->sds[sd], 0, sizeof h->sds[sd]);
    return 0;
}

/* The entry of an open descriptor; the stack's table is the authority, so a
 * descriptor the stack knows but we never saw (impossible through this API)
 * still reads as blocking with no timeouts. */
static struct host_sd sd_opts(synack_host *h, int sd)
{
    struct host_sd *e = sd_get(h, sd);
    return e ? *e : (struct host_sd){0};
}

/* ---- calls ----------------------------------------------------------------- */

int synack_host_socket(synack_host *h)
{
    bool t = lock(h);
    int sd = synack_socket(h->stack);
    if (sd >= 0) {
        int err = sd_open(h, sd);
        if (err) {
            synack_close(h->stack, sd);
            sd = err;
        }
    }
    unlock(h, t);
    return sd;
}

int synack_host_bind(synack_host *h, int sd, const struct synack_endpoint *local)
{
    bool t = lock(h);
    int r = synack_bind(h->stack, sd, local);
    unlock(h, t);
    return r;
}

int synack_host_listen(synack_host *h, int sd, int backlog)
{
    bool t = lock(h);
    int r = synack_listen(h->stack, sd, backlog);
    kick(h);
    unlock(h, t);
    return r;
}

int synack_host_accept(synack_host *h, int sd, struct synack_endpoint *peer)
{
    bool t = lock(h);
    struct host_sd o = sd_opts(h, sd);
    uint64_t deadline = deadline_after(h, o.rcvtimeo_us);
    int r;
    while ((r = synack_accept(h->stack, sd, peer)) == -EAGAIN && !o.nonblock) {
        int w = wait_sd(h, sd, SYNACK_POLLIN, deadline);
        if (w) {
            r = w;
            break;
        }
    }
    if (r >= 0) {
        int err = sd_open(h, r);
        if (err) {
            synack_close(h->stack, r);
            r = err;
        } else {
            /* Timeouts are inherited (Linux clones them); O_NONBLOCK is not. */
            h->sds[r].rcvtimeo_us = o.rcvtimeo_us;
            h->sds[r].sndtimeo_us = o.sndtimeo_us;
        }
        kick(h); /* the window the accept queue held may reopen */
    }
    unlock(h, t);
    return r;
}

/* After a blocking connect's wait: the handshake's outcome. */
static int connect_result(synack_host *h, int sd)
{
    enum synack_tcp_state st;
    int r = synack_getstate(h->stack, sd, &st);
    if (r) return r;
    if (st == SYNACK_SYN_SENT || st == SYNACK_SYN_RCVD) return -EINPROGRESS;
    if (st != SYNACK_CLOSED) return 0;
    int err = 0;
    size_t len = sizeof err;
    synack_getsockopt(h->stack, sd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &err, &len);
    return err ? -err : -ECONNRESET;
}

int synack_host_connect(synack_host *h, int sd, const struct synack_endpoint *remote)
{
    bool t = lock(h);
    struct host_sd o = sd_opts(h, sd);
    int r = synack_connect(h->stack, sd, remote);
    if (r == -EINPROGRESS) kick(h);
    if (r == -EINPROGRESS && !o.nonblock) {
        uint64_t deadline = deadline_after(h, o.sndtimeo_us);
        for (;;) {
            int w = wait_sd(h, sd, SYNACK_POLLOUT, deadline);
            r = connect_result(h, sd);
            if (r != -EINPROGRESS) break;
            if (w == 0) {
                /* Woken in SYN_SENT: only a pending error (POLLERR) does
                 * that; report it rather than wait on it again. */
                int err = 0;
                size_t elen = sizeof err;
                synack_getsockopt(h->stack, sd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &err, &elen);
                if (err) {
                    r = -err;
                    break;
                }
            }
            if (w) {
                /* Timed out: the handshake goes on, as on Linux. */
                if (w != -EAGAIN) r = w;
                break;
            }
        }
    }
    unlock(h, t);
    return r;
}

ssize_t synack_host_send(synack_host *h, int sd, const void *buf, size_t len)
{
    bool t = lock(h);
    struct host_sd o = sd_opts(h, sd);
    uint64_t deadline = SYNACK_NEVER;
    bool have_deadline = false;
    const uint8_t *p = buf;
    size_t done = 0;
    ssize_t r;
    for (;;) {
        r = synack_send(h->stack, sd, p ? p + done : p, len - done);
        if (r > 0) {
            done += (size_t)r;
            kick(h);
            if (done == len) break;
            continue;
        }
        if (r == 0 || r != -EAGAIN || o.nonblock) break;
        if (!have_deadline) {
            deadline = deadline_after(h, o.sndtimeo_us);
            have_deadline = true;
        }
        int w = wait_sd(h, sd, SYNACK_POLLOUT, deadline);
        if (w) {
            r = w;
            break;
        }
    }
    unlock(h, t);
    return done > 0 ? (ssize_t)done : r;
}

ssize_t synack_host_recv(synack_host *h, int sd, void *buf, size_t len)
{
    bool t = lock(h);
    struct host_sd o = sd_opts(h, sd);
    uint64_t deadline = SYNACK_NEVER;
    bool have_deadline = false;
    ssize_t r;
    while ((r = synack_recv(h->stack, sd, buf, len)) == -EAGAIN && !o.nonblock) {
        if (!have_deadline) {
            deadline = deadline_after(h, o.rcvtimeo_us);
            have_deadline = true;
        }
        int w = wait_sd(h, sd, SYNACK_POLLIN, deadline);
        if (w) {
            r = w;
            break;
        }
    }
    if (r > 0) kick(h); /* a window update may be due */
    unlock(h, t);
    return r;
}

int synack_host_shutdown(synack_host *h, int sd, int how)
{
    bool t = lock(h);
    int r = synack_shutdown(h->stack, sd, how);
    kick(h);
    unlock(h, t);
    return r;
}

int synack_host_close(synack_host *h, int sd)
{
    bool t = lock(h);
    /* SO_LINGER {1, t > 0} on a blocking socket: send our FIN and wait, at
     * most t seconds, until everything we sent is acknowledged (Linux's
     * lingering close); then close as usual. {1, 0} aborts in synack_close. */
    struct synack_linger lg = {0, 0};
    size_t lglen = sizeof lg;
    struct host_sd *o = sd_get(h, sd);
    enum synack_tcp_state st;
    if (o && !o->nonblock &&
        synack_getsockopt(h->stack, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, &lglen) == 0 && lg.onoff &&
        lg.linger_s > 0 && synack_getstate(h->stack, sd, &st) == 0 &&
        (st == SYNACK_ESTABLISHED || st == SYNACK_CLOSE_WAIT) && synack_shutdown(h->stack, sd, SYNACK_SHUT_WR) == 0) {
        kick(h);
        wait_sd(h, sd, SYNACK_POLLDRAINED, deadline_after(h, (uint64_t)lg.linger_s * 1000000u));
    }
    int r = synack_close(h->stack, sd);
    if (r == 0) {
        struct host_sd *e = sd_get(h, sd);
        if (e) memset(e, 0, sizeof *e);
    }
    kick(h);
    unlock(h, t);
    return r;
}

int synack_host_getsockname(synack_host *h, int sd, struct synack_endpoint *out)
{
    bool t = lock(h);
    int r = synack_getsockname(h->stack, sd, out);
    unlock(h, t);
    return r;
}

int synack_host_getpeername(synack_host *h, int sd, struct synack_endpoint *out)
{
    bool t = lock(h);
    int r = synack_getpeername(h->stack, sd, out);
    unlock(h, t);
    return r;
}

int synack_host_getstate(synack_host *h, int sd, enum synack_tcp_state *out)
{
    bool t = lock(h);
    int r = synack_getstate(h->stack, sd, out);
    unlock(h, t);
    return r;
}

int synack_host_poll(synack_host *h, struct synack_pollfd *fds, size_t n, int timeout_ms)
{
    if (n > 0 && !fds) return -EFAULT;
    bool t = lock(h);
    int r = n ? synack_poll(h->stack, fds, n) : 0;
    if (r == 0 && timeout_ms != 0) {
        uint64_t deadline = timeout_ms < 0 ? SYNACK_NEVER
                                           : deadline_after(h, (uint64_t)timeout_ms * 1000u);
        int w = h->ops->wait(h, fds, n, deadline);
        r = n ? synack_poll(h->stack, fds, n) : 0;
        if (r == 0 && w != -EAGAIN) r = w; /* -EDEADLK */
    }
    unlock(h, t);
    return r;
}

int synack_host_set_nonblocking(synack_host *h, int sd, bool nonblocking)
{
    bool t = lock(h);
    enum synack_tcp_state st;
    int r = synack_getstate(h->stack, sd, &st); /* is sd open? */
    if (r == 0) {
        struct host_sd *e = sd_get(h, sd);
        if (e) e->nonblock = nonblocking;
        else r = -EBADF;
    }
    unlock(h, t);
    return r;
}

int synack_host_get_nonblocking(synack_host *h, int sd, bool *out)
{
    bool t = lock(h);
    enum synack_tcp_state st;
    int r = synack_getstate(h->stack, sd, &st);
    if (r == 0 && out) *out = sd_opts(h, sd).nonblock;
    unlock(h, t);
    return r;
}

static bool is_timeo(int level, int name)
{
    return level == SYNACK_SOL_SOCKET && (name == SYNACK_SO_RCVTIMEO || name == SYNACK_SO_SNDTIMEO);
}

int synack_host_setsockopt(synack_host *h, int sd, int level, int name, const void *val, size_t len)
{
    bool t = lock(h);
    int r;
    if (is_timeo(level, name)) {
        enum synack_tcp_state st;
        struct synack_timeval tv;
        r = synack_getstate(h->stack, sd, &st);
        if (r == 0 && (!val || len < sizeof tv)) r = -EINVAL;
        if (r == 0) {
            memcpy(&tv, val, sizeof tv);
            if (tv.tv_sec < 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000) r = -EDOM; /* Linux */
        }
        struct host_sd *e = r == 0 ? sd_get(h, sd) : NULL;
        if (r == 0 && !e) r = -EBADF;
        if (r == 0) {
            /* Linux caps it near forever; so do we (a week is plenty). */
            uint64_t us = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
            if (tv.tv_sec > 7 * 86400) us = 7ull * 86400u * 1000000u;
            if (name == SYNACK_SO_RCVTIMEO) e->rcvtimeo_us = us;
            else e->sndtimeo_us = us;
        }
    } else {
        r = synack_setsockopt(h->stack, sd, level, name, val, len);
        kick(h);
    }
    unlock(h, t);
    return r;
}

int synack_host_getsockopt(synack_host *h, int sd, int level, int name, void *val, size_t *len)
{
    bool t = lock(h);
    int r;
    if (is_timeo(level, name)) {
        enum synack_tcp_state st;
        r = synack_getstate(h->stack, sd, &st);
        if (r == 0 && (!val || !len || *len < sizeof(struct synack_timeval))) r = -EINVAL;
        if (r == 0) {
            struct host_sd o = sd_opts(h, sd);
            uint64_t us = name == SYNACK_SO_RCVTIMEO ? o.rcvtimeo_us : o.sndtimeo_us;
            struct synack_timeval tv = {(long)(us / 1000000u), (long)(us % 1000000u)};
            memcpy(val, &tv, sizeof tv);
            *len = sizeof tv;
        }
    } else {
        r = synack_getsockopt(h->stack, sd, level, name, val, len);
    }
    unlock(h, t);
    return r;
}

/* ---- host information ------------------------------------------------------ */

uint64_t synack_host_now(synack_host *h)
{
    if (h->ops->now_unlocked) return h->ops->now(h);
    pthread_mutex_lock(h->mu);
    uint64_t now = h->ops->now(h);
    pthread_mutex_unlock(h->mu);
    return now;
}

void synack_host_destroy(synack_host *h)
{
    if (h) h->ops->destroy(h);
}

uint32_t synack_host_addr(synack_host *h)
{
    return h->addr;
}

int synack_host_set_tunables(synack_host *h, const struct synack_tunables *tun)
{
    bool t = lock(h);
    int r = synack_stack_set_tunables(h->stack, tun);
    unlock(h, t);
    return r;
}

void synack_host_get_tunables(synack_host *h, struct synack_tunables *out)
{
    bool t = lock(h);
    synack_stack_get_tunables(h->stack, out);
    unlock(h, t);
}

void synack_host_get_counters(synack_host *h, struct synack_counters *out)
{
    bool t = lock(h);
    synack_stack_get_counters(h->stack, out);
    unlock(h, t);
}

/* ---- epoll (synack/epoll.h) ----------------------------------------------- */

int synack_host_epoll_create(synack_host *h, synack_epoll **out)
{
    bool t = lock(h);
    int r = synack_epoll_create(h->stack, out);
    unlock(h, t);
    return r;
}

void synack_host_epoll_destroy(synack_host *h, synack_epoll *ep)
{
    bool t = lock(h);
    synack_epoll_destroy(ep);
    unlock(h, t);
}

int synack_host_epoll_ctl(synack_host *h, synack_epoll *ep, int op, int sd, const struct synack_epoll_event *ev)
{
    bool t = lock(h);
    int r = synack_epoll_ctl(ep, op, sd, ev);
    unlock(h, t);
    return r;
}

/* Waits on the conditions that could make an event (epoll_waitset); while
 * an edge-triggered socket holds unread data, only new data can, which poll
 * cannot see: then it looks again every millisecond. */
int synack_host_epoll_wait(synack_host *h, synack_epoll *ep, struct synack_epoll_event *events, int max,
                           int timeout_ms)
{
    if (max < 1) return -EINVAL;
    if (!events) return -EFAULT;
    bool t = lock(h);
    uint64_t deadline = timeout_ms < 0 ? SYNACK_NEVER : deadline_after(h, (uint64_t)timeout_ms * 1000u);
    int r;
    while ((r = synack_epoll_wait(ep, events, max)) == 0 && timeout_ms != 0) {
        struct synack_pollfd *fds;
        size_t n;
        bool tick;
        epoll_waitset(ep, &fds, &n, &tick);
        uint64_t now = now_us(h), until = deadline;
        if (now >= deadline) break;
        if (tick && now + 1000 < until) until = now + 1000;
        int w = h->ops->wait(h, fds, n, until);
        if (w < 0 && w != -EAGAIN) {
            r = w; /* -EDEADLK */
            break;
        }
    }
    unlock(h, t);
    return r;
}
