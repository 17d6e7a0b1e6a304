/*
 * host_rt.c — real-time hosts: one stack, one link, CLOCK_MONOTONIC, and a
 * loop thread; plus the socketpair link.
 *
 * Owns: the host's mutex and condition variable, the loop thread, the
 * wake-up pipe. Must not touch: sockets (host.c).
 *
 * The loop, with the host's lock held except inside poll(2):
 *
 *     forever:
 *         if the stack's deadline has come: synack_stack_poll(now); broadcast
 *         sleep in poll({link fd, wake pipe}) until the deadline
 *         read every waiting packet: synack_stack_input(now); broadcast
 *
 * Application threads wait on the condition variable (with a timeout on the
 * same monotonic clock) and re-check readiness after each broadcast. A
 * socket call that creates work lowers the stack's deadline below the one
 * the loop sleeps until; rt_kick then writes one byte to the pipe so
 * the loop runs at once.
 *
 * Map: the host struct and clock; the ops for host.c (kick, wait); the loop; create/destroy; the
 * socketpair link; the TUN link.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api/host_internal.h"
#include "synack/tun.h"

#define RT_MAX_PACKET 65536
#define RT_READ_BATCH 64   /* packets read per wake-up before polling the stack */

/* A real-time host: the common part, then the loop thread's state. */
struct rt_host {
    synack_host base;               /* first: a synack_host * points here */
    pthread_mutex_t own_mu;         /* base.mu points here */
    pthread_cond_t cv;              /* broadcast after every input and poll */
    pthread_t thread;
    bool stop;
    struct synack_link link;
    int wake[2];                    /* pipe: socket calls wake the loop */
    uint64_t loop_deadline;         /* when the sleeping loop wakes by itself */
    uint8_t *rxbuf;
};

static struct rt_host *rt(synack_host *host)
{
    return (struct rt_host *)host;
}

static uint64_t monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- the backend ops for host.c ------------------------------------------- */

static bool rt_enter(synack_host *host)
{
    (void)host;
    return false;
}

static void rt_leave(synack_host *host, bool token)
{
    (void)host, (void)token;
}

static uint64_t rt_now(synack_host *host)
{
    (void)host;
    return monotonic_us();
}

static void rt_kick(synack_host *host)
{
    struct rt_host *h = rt(host);
    if (synack_stack_next_deadline(h->base.stack) >= h->loop_deadline) return;
    h->loop_deadline = 0; /* one byte per sleep is enough */
    char c = 1;
    ssize_t n = write(h->wake[1], &c, 1);
    (void)n; /* a full pipe already wakes the loop */
}

static int rt_wait(synack_host *host, struct synack_pollfd *fds, size_t n, uint64_t deadline)
{
    struct rt_host *h = rt(host);
    for (;;) {
        if (n > 0 && synack_poll(h->base.stack, fds, n) > 0) return 0;
        if (h->stop) return -ECANCELED;
        if (deadline == SYNACK_NEVER) {
            pthread_cond_wait(&h->cv, h->base.mu);
            continue;
        }
        if (monotonic_us() >= deadline) return -EAGAIN;
        struct timespec ts = {(time_t)(deadline / 1000000u), (long)(deadline % 1000000u) * 1000};
        pthread_cond_timedwait(&h->cv, h->base.mu, &ts);
    }
}

static void rt_destroy(synack_host *host);

static const struct host_ops rt_host_ops = {
    .enter = rt_enter,
    .leave = rt_leave,
    .now = rt_now,
    .now_unlocked = true,
    .kick = rt_kick,
    .wait = rt_wait,
    .destroy = rt_destroy,
};

/* ---- the loop ---------------------------------------------------------------- */

static void output(void *ctx, const uint8_t *pkt, size_t len)
{
    struct rt_host *h = ctx;
    h->link.ops->write(h->link.ctx, pkt, len);
}

static void *loop_main(void *arg)
{
    struct rt_host *h = arg;
    pthread_mutex_lock(h->base.mu);
    while (!h->stop) {
        uint64_t now = monotonic_us();
        if (synack_stack_next_deadline(h->base.stack) <= now) {
            synack_stack_poll(h->base.stack, now);
            pthread_cond_broadcast(&h->cv);
        }
        uint64_t dl = synack_stack_next_deadline(h->base.stack);
        h->loop_deadline = dl;
        int timeout_ms = -1;
        if (dl != SYNACK_NEVER) {
            uint64_t ms = dl > now ? (dl - now + 999) / 1000 : 0;
            timeout_ms = ms > 60000 ? 60000 : (int)ms;
        }
        pthread_mutex_unlock(h->base.mu);
        struct pollfd pfd[2] = {{h->link.fd, POLLIN, 0}, {h->wake[0], POLLIN, 0}};
        int r = poll(pfd, 2, timeout_ms);
        pthread_mutex_lock(h->base.mu);
        if (r <= 0) continue;
        if (pfd[1].revents) {
            char buf[64];
            while (read(h->wake[0], buf, sizeof buf) > 0) {
            }
        }
        if (pfd[0].revents) {
            bool got = false;
            for (int i = 0; i < RT_READ_BATCH; i++) {
                ssize_t len = h->link.ops->read(h->link.ctx, h->rxbuf, RT_MAX_PACKET);
                if (len < 0) break;
                synack_stack_input(h->base.stack, h->rxbuf, (size_t)len, monotonic_us());
                got = true;
            }
            if (got) pthread_cond_broadcast(&h->cv);
        }
    }
    pthread_mutex_unlock(h->base.mu);
    return NULL;
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) return -errno;
    return 0;
}

int synack_host_create(synack_host **out, const struct synack_config *cfg, const struct synack_link *link)
{
    if (!out || !cfg || !link || !link->ops || !link->ops->read || !link->ops->write || link->fd < 0)
        return -EINVAL;
    struct rt_host *h = calloc(1, sizeof *h);
    if (!h) return -ENOMEM;
    h->rxbuf = malloc(RT_MAX_PACKET);
    h->wake[0] = h->wake[1] = -1;
    int err = h->rxbuf ? 0 : -ENOMEM;
    if (!err && pipe(h->wake) < 0) err = -errno;
    if (!err) err = set_nonblock(h->wake[0]);
    if (!err) err = set_nonblock(h->wake[1]);
    struct synack_config c = *cfg;
    c.output = output;
    c.output_ctx = h;
    if (!err) err = synack_stack_create(&h->base.stack, &c);
    if (err) {
        if (h->wake[0] >= 0) close(h->wake[0]);
        if (h->wake[1] >= 0) close(h->wake[1]);
        free(h->rxbuf);
        free(h);
        return err;
    }
    h->link = *link;
    h->base.addr = cfg->addr;
    h->base.mu = &h->own_mu;
    h->base.ops = &rt_host_ops;
    pthread_mutex_init(&h->own_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&h->cv, &ca);
    pthread_condattr_destroy(&ca);
    err = pthread_create(&h->thread, NULL, loop_main, h);
    if (err) {
        h->link.ops = NULL; /* the caller keeps its link on failure */
        h->thread = pthread_self();
        rt_destroy(&h->base);
        return -err;
    }
    *out = &h->base;
    return 0;
}

static void rt_destroy(synack_host *host)
{
    struct rt_host *h = rt(host);
    pthread_mutex_lock(h->base.mu);
    h->stop = true;
    pthread_cond_broadcast(&h->cv);
    char c = 1;
    ssize_t n = write(h->wake[1], &c, 1);
    (void)n;
    pthread_mutex_unlock(h->base.mu);
    if (!pthread_equal(h->thread, pthread_self())) pthread_join(h->thread, NULL);
    synack_stack_destroy(h->base.stack);
    if (h->link.ops && h->link.ops->close) h->link.ops->close(h->link.ctx);
    close(h->wake[0]);
    close(h->wake[1]);
    pthread_cond_destroy(&h->cv);
    pthread_mutex_destroy(&h->own_mu);
    host_sd_free(&h->base);
    free(h->rxbuf);
    free(h);
}

/* ---- socketpair link ------------------------------------------------------- */

static ssize_t sp_read(void *ctx, uint8_t *buf, size_t cap)
{
    int fd = (int)(intptr_t)ctx;
    ssize_t n = recv(fd, buf, cap, 0);
    if (n < 0) return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    return n;
}

static int sp_write(void *ctx, const uint8_t *pkt, size_t len)
{
    int fd = (int)(intptr_t)ctx;
    return send(fd, pkt, len, 0) < 0 ? -errno : 0; /* full: dropped, as on a wire */
}

static void sp_close(void *ctx)
{
    close((int)(intptr_t)ctx);
}

static const struct synack_link_ops sp_ops = {sp_read, sp_write, sp_close};

int synack_link_socketpair(struct synack_link *a, struct synack_link *b)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0) return -errno;
    int err = set_nonblock(sv[0]);
    if (!err) err = set_nonblock(sv[1]);
    if (err) {
        close(sv[0]);
        close(sv[1]);
        return err;
    }
    *a = (struct synack_link){&sp_ops, (void *)(intptr_t)sv[0], sv[0]};
    *b = (struct synack_link){&sp_ops, (void *)(intptr_t)sv[1], sv[1]};
    return 0;
}

/* ---- TUN link ---------------------------------------------------------------
 * The interface's descriptor is non-blocking (synack_tun_open), and each
 * read or write moves exactly one packet, which is what a link is. */

static ssize_t tun_read(void *ctx, uint8_t *buf, size_t cap)
{
    struct synack_tun *tun = ctx;
    for (;;) {
        ssize_t n = read(tun->fd, buf, cap);
        if (n >= 0) return n;
        if (errno == EINTR) continue;
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
}

static int tun_write(void *ctx, const uint8_t *pkt, size_t len)
{
    struct synack_tun *tun = ctx;
    const uint8_t *const pkts[1] = {pkt};
    const size_t lens[1] = {len};
    int n = synack_tun_write_batch(tun, pkts, lens, 1); /* a full queue drops, as a wire */
    return n < 0 ? n : 0;
}

static void tun_close(void *ctx)
{
    struct synack_tun *tun = ctx;
    synack_tun_close(tun);
    free(tun);
}

static const struct synack_link_ops tun_ops = {tun_read, tun_write, tun_close};

int synack_link_tun(struct synack_link *out, struct synack_tun *tun)
{
    if (!out || !tun || tun->fd < 0) return -EINVAL;
    int err = set_nonblock(tun->fd); /* already, when synack_tun_open opened it */
    if (err) return err;
    struct synack_tun *own = malloc(sizeof *own);
    if (!own) return -ENOMEM;
    *own = *tun;
    tun->fd = -1;
    *out = (struct synack_link){&tun_ops, own, own->fd};
    return 0;
}
