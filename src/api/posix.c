/*
 * posix.c — the POSIX-shaped calls of synack/posix.h over one process-wide
 * synack_host (host.h).
 *
 * Owns: the default host (made from SYNACK_TUN / SYNACK_ADDR, or given with
 * synack_posix_use_host), the table from kernel descriptor numbers to
 * synack descriptors (each synack socket holds one placeholder eventfd, so
 * its number is unique in the process), and the translations: sockaddr_in
 * <-> synack_endpoint, Linux option numbers <-> synack's, negative errno
 * -> -1 with errno, struct pollfd <-> synack_pollfd.
 * Must not touch: the stack's internals; everything goes through host.h.
 */
#define _DEFAULT_SOURCE /* struct tcp_info, MSG_* and SOCK_* flags */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "synack/posix.h"
#include "synack/tun.h"

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;      /* the globals below */
static pthread_mutex_t g_init_mu = PTHREAD_MUTEX_INITIALIZER; /* making the host */
static synack_host *g_host;
static bool g_tried;         /* the environment was read (once) */
static bool g_from_env;      /* g_host was made here (the exit wait applies) */
/* Kernel descriptor number -> what it stands for: a synack socket
 * (sd + 1; 0 when none) or an epoll instance. */
struct fdent {
    int sd1;
    synack_epoll *ep;       /* the descriptor is then a kernel epoll instance */
    int nkernel;            /* kernel descriptors added to it */
};
static struct fdent *g_fds;
static int g_cap;
/* Connections between SYN and the end of their FIN exchange. */
static atomic_int g_active;

static int fail(int neg_errno)
{
    errno = -neg_errno;
    return -1;
}

/* ---- the default host ---------------------------------------------------- */

static bool state_active(enum synack_tcp_state s)
{
    return s != SYNACK_CLOSED && s != SYNACK_LISTEN && s != SYNACK_TIME_WAIT;
}

static void on_state(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                     enum synack_tcp_state to, uint64_t now)
{
    (void)ctx, (void)id, (void)now;
    if (state_active(to) && !state_active(from)) atomic_fetch_add(&g_active, 1);
    if (!state_active(to) && state_active(from)) atomic_fetch_sub(&g_active, 1);
}

static void fill_secret(uint8_t *secret, size_t n)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(secret, 1, n, f) : 0;
    if (f) fclose(f);
    if (got == n) return;
    struct timespec ts; /* no urandom: the clock and the pid still vary per run */
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
    for (size_t i = 0; i < n; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        secret[i] = (uint8_t)(x >> 56);
    }
}

/* Parses "A" or "A/PREFIX" (a unicast address). */
static int parse_addr(const char *text, uint32_t *addr)
{
    char host[32];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n >= sizeof host) return -EINVAL;
    memcpy(host, text, n);
    host[n] = '\0';
    if (synack_parse_ipv4(host, addr) != 0) return -EINVAL;
    if (slash) {
        char *end;
        long p = strtol(slash + 1, &end, 10);
        if (!slash[1] || *end || p < 0 || p > 32) return -EINVAL;
    }
    if (*addr == 0 || (*addr >> 24) == 127 || (*addr >> 28) >= 14) return -EINVAL;
    return 0;
}

static void exit_handler(void)
{
    const char *w = getenv("SYNACK_EXIT_WAIT_MS");
    char *end = NULL;
    long ms = w && *w ? strtol(w, &end, 10) : 3000;
    if (w && *w && (*end || ms < 0)) ms = 3000;
    synack_posix_finish((unsigned)ms);
}

/* Called with g_init_mu held. Prints why and returns NULL when there is no host. */
static synack_host *host_from_env(void)
{
    const char *ifname = getenv("SYNACK_TUN"), *addr_text = getenv("SYNACK_ADDR");
    if (!ifname || !*ifname || !addr_text || !*addr_text) {
        fprintf(stderr, "synack: no host for the socket calls: set SYNACK_TUN=IF (a TUN interface) and "
                        "SYNACK_ADDR=A/PREFIX (synack's address on it), or call synack_posix_use_host()\n");
        return NULL;
    }
    uint32_t addr;
    if (parse_addr(addr_text, &addr) != 0) {
        fprintf(stderr, "synack: SYNACK_ADDR='%s': expected a unicast IPv4 address with a prefix length, "
                        "e.g. 10.7.0.2/24\n", addr_text);
        return NULL;
    }
    struct synack_tun tun;
    char why[256];
    int err = synack_tun_open(&tun, ifname, SYNACK_TUN_ATTACH, why, sizeof why);
    if (err) {
        fprintf(stderr, "synack: SYNACK_TUN=%s: %s\n", ifname, why);
        return NULL;
    }
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = addr;
    cfg.mtu = (uint16_t)(tun.mtu >= 68 && tun.mtu <= 65535 ? tun.mtu : 1500);
    fill_secret(cfg.secret, sizeof cfg.secret);
    cfg.on_state = on_state;
    struct synack_link link;
    err = synack_link_tun(&link, &tun);
    if (err) {
        fprintf(stderr, "synack: SYNACK_TUN=%s: %s\n", ifname, synack_strerror(err));
        synack_tun_close(&tun);
        return NULL;
    }
    synack_host *h;
    err = synack_host_create(&h, &cfg, &link);
    if (err) {
        fprintf(stderr, "synack: cannot start the synack host: %s\n", synack_strerror(err));
        link.ops->close(link.ctx);
        return NULL;
    }
    pthread_mutex_lock(&g_mu);
    g_from_env = true;
    pthread_mutex_unlock(&g_mu);
    atexit(exit_handler);
    return h;
}

synack_host *synack_posix_host(void)
{
    pthread_mutex_lock(&g_mu);
    synack_host *h = g_host;
    bool tried = g_tried;
    pthread_mutex_unlock(&g_mu);
    if (!h && !tried) {
        /* Made outside g_mu: opening the TUN makes and closes descriptors,
         * which (under LD_PRELOAD) come back here to be looked up. */
        pthread_mutex_lock(&g_init_mu);
        pthread_mutex_lock(&g_mu);
        h = g_host;
        tried = g_tried;
        g_tried = true;
        pthread_mutex_unlock(&g_mu);
        if (!h && !tried) {
            h = host_from_env();
            pthread_mutex_lock(&g_mu);
            g_host = h;
            pthread_mutex_unlock(&g_mu);
        }
        pthread_mutex_unlock(&g_init_mu);
    }
    if (!h) errno = ENETDOWN;
    return h;
}

int synack_posix_use_host(synack_host *h)
{
    pthread_mutex_lock(&g_mu);
    int rc = 0;
    if (g_host && g_host != h) rc = -EBUSY;
    else if (!h) rc = -EINVAL;
    else g_host = h, g_tried = true;
    pthread_mutex_unlock(&g_mu);
    return rc ? fail(rc) : 0;
}

/* ---- descriptors --------------------------------------------------------- */

int synack_posix_sd(int fd)
{
    pthread_mutex_lock(&g_mu);
    int sd = fd >= 0 && fd < g_cap ? g_fds[fd].sd1 - 1 : -1;
    pthread_mutex_unlock(&g_mu);
    return sd;
}

/* Files kernel descriptor fd (just made) as synack socket sd or epoll
 * instance ep: fd, or -1 with errno (fd closed). */
static int fd_map(int fd, int sd, synack_epoll *ep)
{
    if (fd < 0) return -1;
    pthread_mutex_lock(&g_mu);
    if (fd >= g_cap) {
        int n = g_cap ? g_cap : 64;
        while (n <= fd) n *= 2;
        struct fdent *grown = realloc(g_fds, (size_t)n * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&g_mu);
            close(fd);
            return fail(-ENOMEM);
        }
        memset(grown + g_cap, 0, (size_t)(n - g_cap) * sizeof *grown);
        g_fds = grown, g_cap = n;
    }
    g_fds[fd] = (struct fdent){sd + 1, ep, 0};
    pthread_mutex_unlock(&g_mu);
    return fd;
}

/* Gives synack descriptor sd a kernel number. On failure closes sd. */
static int fd_open(synack_host *h, int sd)
{
    int fd = fd_map(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), sd, NULL);
    if (fd < 0) {
        int e = errno;
        synack_host_close(h, sd);
        errno = e;
    }
    return fd;
}

/* The epoll instance behind fd, or NULL. */
static synack_epoll *epoll_of(int fd)
{
    pthread_mutex_lock(&g_mu);
    synack_epoll *ep = fd >= 0 && fd < g_cap ? g_fds[fd].ep : NULL;
    pthread_mutex_unlock(&g_mu);
    return ep;
}

int synack_posix_owns(int fd)
{
    pthread_mutex_lock(&g_mu);
    int owned = fd >= 0 && fd < g_cap && (g_fds[fd].sd1 || g_fds[fd].ep);
    pthread_mutex_unlock(&g_mu);
    return owned;
}

/* The host and synack descriptor of fd: 0, or -ENOTSOCK when fd is not a
 * synack socket. */
static int lookup(int fd, synack_host **h, int *sd)
{
    *sd = synack_posix_sd(fd);
    if (*sd < 0) return -ENOTSOCK;
    pthread_mutex_lock(&g_mu);
    *h = g_host;
    pthread_mutex_unlock(&g_mu);
    return 0;
}

/* For calls that exist only on sockets: EBADF for a closed number, as Linux. */
static int socket_only(int fd)
{
    return fcntl(fd, F_GETFD) < 0 ? -EBADF : -ENOTSOCK;
}

/* ---- addresses ----------------------------------------------------------- */

static int from_sockaddr(const struct sockaddr *sa, socklen_t len, struct synack_endpoint *ep)
{
    if (!sa) return -EFAULT;
    if (len < (socklen_t)sizeof(struct sockaddr_in)) return -EINVAL;
    struct sockaddr_in sin;
    memcpy(&sin, sa, sizeof sin);
    if (sin.sin_family != AF_INET) return -EAFNOSUPPORT;
    ep->addr = ntohl(sin.sin_addr.s_addr);
    ep->port = ntohs(sin.sin_port);
    return 0;
}

/* As the kernel: copies at most *len bytes, sets *len to the full size. */
static void to_sockaddr(const struct synack_endpoint *ep, struct sockaddr *sa, socklen_t *len)
{
    if (!sa || !len) return;
    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(ep->port);
    sin.sin_addr.s_addr = htonl(ep->addr);
    memcpy(sa, &sin, *len < sizeof sin ? *len : sizeof sin);
    *len = sizeof sin;
}

/* ---- the calls ----------------------------------------------------------- */

int synack_posix_socket(int domain, int type, int protocol)
{
    if (domain != AF_INET) return fail(-EAFNOSUPPORT);
    if ((type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) != SOCK_STREAM) return fail(-ESOCKTNOSUPPORT);
    if (protocol != 0 && protocol != IPPROTO_TCP) return fail(-EPROTONOSUPPORT);
    synack_host *h = synack_posix_host();
    if (!h) return -1;
    int sd = synack_host_socket(h);
    if (sd < 0) return fail(sd);
    if (type & SOCK_NONBLOCK) synack_host_set_nonblocking(h, sd, true);
    return fd_open(h, sd);
}

int synack_posix_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    struct synack_endpoint ep;
    if ((r = from_sockaddr(addr, len, &ep)) < 0) return fail(r);
    r = synack_host_bind(h, sd, &ep);
    return r < 0 ? fail(r) : 0;
}

int synack_posix_listen(int fd, int backlog)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    r = synack_host_listen(h, sd, backlog);
    return r < 0 ? fail(r) : 0;
}

int synack_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return fail(-EINVAL);
    struct synack_endpoint peer;
    int nsd = synack_host_accept(h, sd, &peer);
    if (nsd < 0) return fail(nsd);
    if (flags & SOCK_NONBLOCK) synack_host_set_nonblocking(h, nsd, true);
    int nfd = fd_open(h, nsd);
    if (nfd >= 0) to_sockaddr(&peer, addr, len);
    return nfd;
}

int synack_posix_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    return synack_accept4(fd, addr, len, 0);
}

int synack_posix_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    struct synack_endpoint ep;
    if ((r = from_sockaddr(addr, len, &ep)) < 0) return fail(r);
    r = synack_host_connect(h, sd, &ep);
    return r < 0 ? fail(r) : 0;
}

/* Runs a call once as non-blocking (MSG_DONTWAIT) when the socket blocks. */
static bool dontwait_begin(synack_host *h, int sd, int flags)
{
    bool nb = true;
    if (!(flags & MSG_DONTWAIT) || synack_host_get_nonblocking(h, sd, &nb) < 0 || nb) return false;
    synack_host_set_nonblocking(h, sd, true);
    return true;
}

ssize_t synack_posix_send(int fd, const void *buf, size_t len, int flags)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (flags & ~(MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE)) return fail(-EOPNOTSUPP);
    bool restore = dontwait_begin(h, sd, flags);
    ssize_t n = synack_host_send(h, sd, buf, len);
    if (restore) synack_host_set_nonblocking(h, sd, false);
    if (n == -EPIPE && !(flags & MSG_NOSIGNAL)) raise(SIGPIPE); /* as Linux */
    return n < 0 ? fail((int)n) : n;
}

ssize_t synack_posix_recv(int fd, void *buf, size_t len, int flags)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (flags & ~(MSG_DONTWAIT | MSG_WAITALL)) return fail(-EOPNOTSUPP);
    bool restore = dontwait_begin(h, sd, flags);
    size_t got = 0;
    ssize_t n;
    do {
        n = synack_host_recv(h, sd, (char *)buf + got, len - got);
        if (n > 0) got += (size_t)n;
    } while ((flags & MSG_WAITALL) && !(flags & MSG_DONTWAIT) && n > 0 && got < len);
    if (restore) synack_host_set_nonblocking(h, sd, false);
    if (got > 0) return (ssize_t)got;
    return n < 0 ? fail((int)n) : 0;
}

ssize_t synack_read(int fd, void *buf, size_t len)
{
    if (synack_posix_sd(fd) < 0) return read(fd, buf, len);
    return synack_posix_recv(fd, buf, len, 0);
}

ssize_t synack_write(int fd, const void *buf, size_t len)
{
    if (synack_posix_sd(fd) < 0) return write(fd, buf, len);
    return synack_posix_send(fd, buf, len, 0);
}

int synack_posix_shutdown(int fd, int how)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return fail(-EINVAL);
    r = synack_host_shutdown(h, sd, how);
    return r < 0 ? fail(r) : 0;
}

int synack_posix_close(int fd)
{
    synack_host *h;
    int sd;
    synack_epoll *ep = epoll_of(fd);
    if (ep) {
        pthread_mutex_lock(&g_mu);
        g_fds[fd].ep = NULL;
        h = g_host;
        pthread_mutex_unlock(&g_mu);
        synack_host_epoll_destroy(h, ep);
        return close(fd);
    }
    if (lookup(fd, &h, &sd) < 0) return close(fd);
    pthread_mutex_lock(&g_mu);
    g_fds[fd].sd1 = 0;
    pthread_mutex_unlock(&g_mu);
    int r = synack_host_close(h, sd);
    close(fd);
    return r < 0 ? fail(r) : 0;
}

int synack_posix_getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (!addr || !len) return fail(-EFAULT);
    struct synack_endpoint ep;
    if ((r = synack_host_getsockname(h, sd, &ep)) < 0) return fail(r);
    to_sockaddr(&ep, addr, len);
    return 0;
}

int synack_posix_getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (!addr || !len) return fail(-EFAULT);
    struct synack_endpoint ep;
    if ((r = synack_host_getpeername(h, sd, &ep)) < 0) return fail(r);
    to_sockaddr(&ep, addr, len);
    return 0;
}

/* ---- socket options ------------------------------------------------------ */

/* Linux's (level, name) of an int option as synack's; false if none. */
static bool map_int_option(int level, int name, int *slevel, int *sname)
{
    static const struct { int level, name, slevel, sname; } map[] = {
        {SOL_SOCKET, SO_REUSEADDR, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR},
        {SOL_SOCKET, SO_RCVBUF, SYNACK_SOL_SOCKET, SYNACK_SO_RCVBUF},
        {SOL_SOCKET, SO_SNDBUF, SYNACK_SOL_SOCKET, SYNACK_SO_SNDBUF},
        {SOL_SOCKET, SO_ERROR, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR},
        {SOL_SOCKET, SO_KEEPALIVE, SYNACK_SOL_SOCKET, SYNACK_SO_KEEPALIVE},
        {IPPROTO_IP, IP_TTL, SYNACK_SOL_IP, SYNACK_IP_TTL},
        {IPPROTO_TCP, TCP_NODELAY, SYNACK_SOL_TCP, SYNACK_TCP_NODELAY},
        {IPPROTO_TCP, TCP_MAXSEG, SYNACK_SOL_TCP, SYNACK_TCP_MAXSEG},
        {IPPROTO_TCP, TCP_QUICKACK, SYNACK_SOL_TCP, SYNACK_TCP_QUICKACK},
        {IPPROTO_TCP, TCP_KEEPIDLE, SYNACK_SOL_TCP, SYNACK_TCP_KEEPIDLE},
        {IPPROTO_TCP, TCP_KEEPINTVL, SYNACK_SOL_TCP, SYNACK_TCP_KEEPINTVL},
        {IPPROTO_TCP, TCP_KEEPCNT, SYNACK_SOL_TCP, SYNACK_TCP_KEEPCNT},
        {IPPROTO_TCP, TCP_NOTSENT_LOWAT, SYNACK_SOL_TCP, SYNACK_TCP_NOTSENT_LOWAT},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (map[i].level == level && map[i].name == name) {
            *slevel = map[i].slevel, *sname = map[i].sname;
            return true;
        }
    }
    return false;
}

int synack_posix_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (!val && len) return fail(-EFAULT);
    int slevel, sname;
    if (map_int_option(level, name, &slevel, &sname)) {
        if (len < (socklen_t)sizeof(int)) return fail(-EINVAL);
        int v;
        memcpy(&v, val, sizeof v);
        if (sname == SYNACK_SO_ERROR && slevel == SYNACK_SOL_SOCKET) return fail(-ENOPROTOOPT);
        r = synack_host_setsockopt(h, sd, slevel, sname, &v, sizeof v);
    } else if (level == SOL_SOCKET && name == SO_LINGER) {
        struct linger l;
        if (len < (socklen_t)sizeof l) return fail(-EINVAL);
        memcpy(&l, val, sizeof l);
        struct synack_linger sl = {l.l_onoff, l.l_linger};
        r = synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &sl, sizeof sl);
    } else if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        struct timeval tv;
        if (len < (socklen_t)sizeof tv) return fail(-EINVAL);
        memcpy(&tv, val, sizeof tv);
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return fail(-EDOM); /* as Linux */
        struct synack_timeval st = {tv.tv_sec < 0 ? 0 : tv.tv_sec, tv.tv_sec < 0 ? 0 : tv.tv_usec};
        r = synack_host_setsockopt(h, sd, SYNACK_SOL_SOCKET,
                                   name == SO_RCVTIMEO ? SYNACK_SO_RCVTIMEO : SYNACK_SO_SNDTIMEO, &st,
                                   sizeof st);
    } else {
        r = -ENOPROTOOPT;
    }
    return r < 0 ? fail(r) : 0;
}

static const uint8_t linux_state[] = {
    [SYNACK_CLOSED] = 7,      [SYNACK_LISTEN] = 10,   [SYNACK_SYN_SENT] = 2,  [SYNACK_SYN_RCVD] = 3,
    [SYNACK_ESTABLISHED] = 1, [SYNACK_FIN_WAIT_1] = 4, [SYNACK_FIN_WAIT_2] = 5, [SYNACK_CLOSE_WAIT] = 8,
    [SYNACK_CLOSING] = 11,    [SYNACK_LAST_ACK] = 9,  [SYNACK_TIME_WAIT] = 6,
};

/* Linux's struct tcp_info from synack's (the fields both have). */
static int get_tcp_info(synack_host *h, int sd, struct tcp_info *out)
{
    memset(out, 0, sizeof *out);
    struct synack_tcp_info i;
    size_t n = sizeof i;
    int r = synack_host_getsockopt(h, sd, SYNACK_SOL_TCP, SYNACK_TCP_INFO, &i, &n);
    if (r == -ENOTCONN) { /* a listener or a fresh socket: the state only */
        enum synack_tcp_state st;
        if ((r = synack_host_getstate(h, sd, &st)) < 0) return r;
        out->tcpi_state = linux_state[st];
        return 0;
    }
    if (r < 0) return r;
    out->tcpi_state = linux_state[i.state];
    out->tcpi_backoff = (uint8_t)i.backoff;
    out->tcpi_options = (uint8_t)((i.timestamps_ok ? TCPI_OPT_TIMESTAMPS : 0) | (i.sack_ok ? TCPI_OPT_SACK : 0) |
                                  (i.wscale_ok ? TCPI_OPT_WSCALE : 0) | (i.ecn_ok ? TCPI_OPT_ECN : 0) |
                                  (i.ecn_seen ? TCPI_OPT_ECN_SEEN : 0));
    out->tcpi_snd_wscale = i.snd_wscale & 15;
    out->tcpi_rcv_wscale = i.rcv_wscale & 15;
    out->tcpi_rto = i.rto_us;
    out->tcpi_snd_mss = i.snd_mss;
    out->tcpi_rcv_mss = i.adv_mss;
    uint32_t mss = i.snd_mss ? i.snd_mss : 1;
    out->tcpi_unacked = (i.unacked + mss - 1) / mss;
    out->tcpi_rtt = i.rtt_us;
    out->tcpi_rttvar = i.rttvar_us;
    out->tcpi_snd_ssthresh = i.ssthresh == UINT32_MAX ? 0x7fffffff : i.ssthresh / mss;
    out->tcpi_snd_cwnd = i.cwnd / mss;
    out->tcpi_advmss = i.adv_mss;
    out->tcpi_rcv_space = i.rcv_wnd;
    out->tcpi_total_retrans = i.total_retrans;
    out->tcpi_sacked = (i.sacked + mss - 1) / mss;
    out->tcpi_lost = (i.lost + mss - 1) / mss;
    out->tcpi_retrans = (i.retrans + mss - 1) / mss;
    out->tcpi_reordering = i.reordering;
    return 0;
}

static int put_opt(void *val, socklen_t *len, const void *v, size_t n)
{
    if (!len || (int)*len < 0) return -EINVAL;
    if (!val && *len) return -EFAULT;
    size_t k = *len < n ? *len : n;
    memcpy(val, v, k);
    *len = (socklen_t)k;
    return 0;
}

int synack_posix_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    synack_host *h;
    int sd, r = lookup(fd, &h, &sd);
    if (r < 0) return fail(socket_only(fd));
    if (!len) return fail(-EFAULT);
    int slevel, sname, v;
    size_t n;
    if (map_int_option(level, name, &slevel, &sname)) {
        n = sizeof v;
        if ((r = synack_host_getsockopt(h, sd, slevel, sname, &v, &n)) < 0) return fail(r);
        r = put_opt(val, len, &v, sizeof v);
    } else if (level == SOL_SOCKET && name == SO_LINGER) {
        struct synack_linger sl;
        n = sizeof sl;
        if ((r = synack_host_getsockopt(h, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &sl, &n)) < 0)
            return fail(r);
        struct linger l = {sl.onoff, sl.linger_s};
        r = put_opt(val, len, &l, sizeof l);
    } else if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
        struct synack_timeval st;
        n = sizeof st;
        if ((r = synack_host_getsockopt(h, sd, SYNACK_SOL_SOCKET,
                                        name == SO_RCVTIMEO ? SYNACK_SO_RCVTIMEO : SYNACK_SO_SNDTIMEO, &st,
                                        &n)) < 0)
            return fail(r);
        struct timeval tv = {st.tv_sec, st.tv_usec};
        r = put_opt(val, len, &tv, sizeof tv);
    } else if (level == SOL_SOCKET && (name == SO_TYPE || name == SO_DOMAIN || name == SO_PROTOCOL)) {
        v = name == SO_TYPE ? SOCK_STREAM : name == SO_DOMAIN ? AF_INET : IPPROTO_TCP;
        r = put_opt(val, len, &v, sizeof v);
    } else if (level == SOL_SOCKET && name == SO_ACCEPTCONN) {
        enum synack_tcp_state st;
        if ((r = synack_host_getstate(h, sd, &st)) < 0) return fail(r);
        v = st == SYNACK_LISTEN;
        r = put_opt(val, len, &v, sizeof v);
    } else if (level == IPPROTO_TCP && name == TCP_INFO) {
        struct tcp_info ti;
        if ((r = get_tcp_info(h, sd, &ti)) < 0) return fail(r);
        r = put_opt(val, len, &ti, sizeof ti);
    } else {
        r = -ENOPROTOOPT;
    }
    return r < 0 ? fail(r) : 0;
}

/* ---- fcntl and poll ------------------------------------------------------ */

int synack_fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    bool int_arg = cmd == F_SETFL || cmd == F_SETFD || cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ||
                   cmd == F_SETOWN;
    bool no_arg = cmd == F_GETFL || cmd == F_GETFD || cmd == F_GETOWN;
    long iarg = int_arg ? va_arg(ap, int) : 0;
    void *parg = !int_arg && !no_arg ? va_arg(ap, void *) : NULL;
    va_end(ap);
    synack_host *h;
    int sd;
    if (lookup(fd, &h, &sd) < 0) {
        if (no_arg) return fcntl(fd, cmd);
        return int_arg ? fcntl(fd, cmd, (int)iarg) : fcntl(fd, cmd, parg);
    }
    bool nb = false;
    int r;
    switch (cmd) {
    case F_GETFL:
        if ((r = synack_host_get_nonblocking(h, sd, &nb)) < 0) return fail(r);
        return O_RDWR | (nb ? O_NONBLOCK : 0);
    case F_SETFL:
        r = synack_host_set_nonblocking(h, sd, (iarg & O_NONBLOCK) != 0);
        return r < 0 ? fail(r) : 0;
    case F_GETFD:
        return fcntl(fd, F_GETFD);
    case F_SETFD:
        return fcntl(fd, F_SETFD, (int)iarg);
    default:
        return fail(-EINVAL); /* dup of a synack socket, locks, owners: not supported */
    }
}

#define POLL_LOCAL 64

int synack_posix_poll(struct pollfd *fds, nfds_t n, int timeout_ms)
{
    struct synack_pollfd local[POLL_LOCAL], *sp = local;
    size_t ns = 0, nk = 0;
    for (nfds_t i = 0; i < n; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0) continue;
        if (synack_posix_sd(fds[i].fd) >= 0) ns++;
        else nk++;
    }
    if (ns == 0) return poll(fds, n, timeout_ms);
    synack_host *h = synack_posix_host();
    if (!h) return -1;
    if (ns > POLL_LOCAL && !(sp = malloc(ns * sizeof *sp))) return fail(-ENOMEM);
    size_t k = 0;
    for (nfds_t i = 0; i < n; i++) {
        int sd = fds[i].fd >= 0 ? synack_posix_sd(fds[i].fd) : -1;
        if (sd < 0) continue;
        short ev = 0;
        if (fds[i].events & (POLLIN | POLLRDNORM)) ev |= SYNACK_POLLIN;
        if (fds[i].events & (POLLOUT | POLLWRNORM)) ev |= SYNACK_POLLOUT;
        sp[k++] = (struct synack_pollfd){sd, ev, 0};
    }
    /* Only synack descriptors: the host waits. Mixed with kernel ones: the
     * host waits in slices of at most 2 ms, the kernel's are polled between. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ready = 0;
    for (;;) {
        int left = timeout_ms;
        if (timeout_ms > 0) {
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            long spent = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
            left = spent >= timeout_ms ? 0 : timeout_ms - (int)spent;
        }
        int slice = nk == 0 ? left : (left < 0 || left > 2 ? 2 : left);
        int r = synack_host_poll(h, sp, ns, slice);
        if (r < 0) {
            if (sp != local) free(sp);
            return fail(r);
        }
        ready = 0;
        if (nk) {
            for (nfds_t i = 0; i < n; i++) {
                if (fds[i].fd < 0 || synack_posix_sd(fds[i].fd) >= 0) continue;
                int kr = poll(&fds[i], 1, 0);
                if (kr < 0) {
                    if (sp != local) free(sp);
                    return -1;
                }
                ready += kr;
            }
        }
        if (r > 0 || ready > 0 || left == 0) break;
    }
    k = 0;
    for (nfds_t i = 0; i < n; i++) {
        if (fds[i].fd < 0 || synack_posix_sd(fds[i].fd) < 0) continue;
        short re = sp[k++].revents, out = 0;
        if (re & SYNACK_POLLIN) out |= fds[i].events & (POLLIN | POLLRDNORM);
        if (re & SYNACK_POLLOUT) out |= fds[i].events & (POLLOUT | POLLWRNORM);
        if (re & SYNACK_POLLERR) out |= POLLERR;
        if (re & SYNACK_POLLHUP) out |= POLLHUP;
        if (re & SYNACK_POLLNVAL) out |= POLLNVAL;
        fds[i].revents = out;
        if (out) ready++;
    }
    if (sp != local) free(sp);
    return ready;
}

/* ---- epoll ------------------------------------------------------------- */

int synack_epoll_create1(int flags)
{
    if (flags & ~EPOLL_CLOEXEC) return fail(-EINVAL);
    synack_host *h = synack_posix_host();
    if (!h) return -1;
    synack_epoll *ep;
    int r = synack_host_epoll_create(h, &ep);
    if (r < 0) return fail(r);
    /* The number is a kernel epoll instance, for the kernel descriptors a
     * program adds (made by syscall: under LD_PRELOAD, epoll_create1 is
     * this function). */
    int fd = fd_map((int)syscall(SYS_epoll_create1, EPOLL_CLOEXEC), -1, ep);
    if (fd < 0) {
        int e = errno;
        synack_host_epoll_destroy(h, ep);
        errno = e;
    }
    return fd;
}

int synack_posix_epoll_create(int size)
{
    return size <= 0 ? fail(-EINVAL) : synack_epoll_create1(0);
}

int synack_posix_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    synack_epoll *ep = epoll_of(epfd);
    if (!ep) return fail(fcntl(epfd, F_GETFD) < 0 ? -EBADF : -EINVAL);
    if (fd == epfd) return fail(-EINVAL);
    synack_host *h;
    int sd;
    if (lookup(fd, &h, &sd) < 0) {
        /* A kernel descriptor: the kernel instance behind epfd watches it. */
        if (epoll_of(fd)) return fail(-EINVAL); /* nesting synack instances: not supported */
        if (syscall(SYS_epoll_ctl, epfd, op, fd, ev) < 0) return -1;
        pthread_mutex_lock(&g_mu);
        if (op == EPOLL_CTL_ADD) g_fds[epfd].nkernel++;
        if (op == EPOLL_CTL_DEL && g_fds[epfd].nkernel > 0) g_fds[epfd].nkernel--;
        pthread_mutex_unlock(&g_mu);
        return 0;
    }
    struct synack_epoll_event sev = {0, 0};
    if (op != EPOLL_CTL_DEL) {
        if (!ev) return fail(-EFAULT);
        uint32_t e = ev->events;
        if (e & EPOLLRDNORM) e |= EPOLLIN;
        if (e & EPOLLWRNORM) e |= EPOLLOUT;
        /* Hints synack has no use for (no priority data, no suspend). */
        e &= ~(uint32_t)(EPOLLRDNORM | EPOLLWRNORM | EPOLLPRI | EPOLLWAKEUP | EPOLLEXCLUSIVE);
        sev = (struct synack_epoll_event){e, ev->data.u64};
    }
    int r = synack_host_epoll_ctl(h, ep, op, sd, &sev);
    return r < 0 ? fail(r) : 0;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Only synack sockets: the host waits. With kernel descriptors too, the
 * host waits in slices of at most 2 ms and the kernel instance is asked
 * between them. */
int synack_posix_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout_ms)
{
    synack_epoll *ep = epoll_of(epfd);
    if (!ep) return fail(fcntl(epfd, F_GETFD) < 0 ? -EBADF : -EINVAL);
    if (max < 1) return fail(-EINVAL);
    synack_host *h = synack_posix_host();
    if (!h) return -1;
    pthread_mutex_lock(&g_mu);
    bool mixed = g_fds[epfd].nkernel > 0;
    pthread_mutex_unlock(&g_mu);
    struct synack_epoll_event local[64];
    int n = max < 64 ? max : 64;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        long left = timeout_ms < 0 ? -1 : timeout_ms - ms_since(&t0);
        if (timeout_ms >= 0 && left < 0) left = 0;
        int slice = !mixed ? (int)left : (left < 0 || left > 2 ? 2 : (int)left);
        int r = synack_host_epoll_wait(h, ep, local, n, slice);
        if (r < 0) return fail(r);
        for (int i = 0; i < r; i++) {
            events[i].events = local[i].events;
            events[i].data.u64 = local[i].data;
        }
        if (mixed && r < max) {
            long k = syscall(SYS_epoll_pwait, epfd, events + r, max - r, 0, NULL, 8);
            if (k > 0) r += (int)k;
        }
        if (r > 0 || left == 0) return r;
    }
}

/* ---- exit ---------------------------------------------------------------- */

void synack_posix_finish(unsigned max_ms)
{
    pthread_mutex_lock(&g_mu);
    synack_host *h = g_host;
    bool wait = g_from_env;
    int cap = g_cap;
    pthread_mutex_unlock(&g_mu);
    if (!h) return;
    for (int fd = 0; fd < cap; fd++)
        if (synack_posix_sd(fd) >= 0) synack_posix_close(fd);
    for (unsigned waited = 0; wait && waited < max_ms && atomic_load(&g_active) > 0; waited += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}
