/*
 * host_sim.c — simulated hosts: several synack_hosts on one struct
 * synack_sim, driven on its virtual clock by one driver thread.
 *
 * Owns: the world lock (one mutex for the simulator and every stack of the
 * simnet), the count of runnable application threads, the list of blocked
 * calls (waiters), and the driver thread. Must not touch: sockets (host.c)
 * or the simulator's internals (sim.h only).
 *
 * The virtual-time rule. Time may move only when no application thread can
 * still act at the current time, otherwise the result would depend on how
 * the OS schedules threads. So:
 *   - `running` counts attached application threads that are not blocked
 *     in a synack_host call (plus unattached threads while inside a call).
 *     It goes down when a thread blocks or finishes, up when the driver
 *     wakes a waiter (the driver does the increment, under the lock, so
 *     there is no window in which a woken thread is counted as blocked).
 *   - The driver sleeps until running == 0 and someone waits. Then it polls
 *     the stacks (socket calls left work at the current time), wakes every
 *     waiter whose call can now progress or whose deadline has come, and
 *     only if it woke nobody steps the simulator to its next event.
 *   - Blocking timeouts are virtual deadlines. A pseudo-host with no links
 *     (the "clock host") asks the simulator to be polled at the earliest
 *     waiter deadline, so a step lands on it exactly.
 *   - Packets are sent only by the driver (the core never sends from inside
 *     a socket call), so their order, and the PRNG draws of the links, do
 *     not depend on thread timing.
 * When every thread waits with no timeout and the simulator has nothing
 * scheduled, nothing can ever happen: the driver ends those waits with
 * -EDEADLK instead of hanging.
 *
 * Map: structures; the clock host and stack callbacks; the backend ops for
 * host.c (enter/leave/now/kick/wait); the driver; the public simnet calls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/host_internal.h"
#include "synack/wire.h"

/* A simulated host: the common part, then its place in the simnet. */
struct sim_host {
    synack_host base;                /* first: a synack_host * points here */
    struct synack_simnet *net;       /* immutable */
    int sim_id;                      /* immutable: its host in net->sim */
    uint8_t *seg_buf;                /* TSO (cfg.tso_max): the segment being cut */
    uint16_t mtu;
};

struct sim_waiter {
    synack_host *h;
    struct synack_pollfd *fds;
    size_t n;
    uint64_t deadline;
    int result;
    bool done;
    pthread_cond_t cv;
    struct sim_waiter *prev, *next;
};

struct synack_simnet {
    pthread_mutex_t mu;              /* the world lock */
    pthread_cond_t drive_cv;         /* the driver sleeps here */
    pthread_t driver;
    bool stop;
    struct synack_sim *sim;
    uint64_t seed;
    int running;                     /* runnable application threads */
    bool dirty;                      /* stacks or deadlines changed by calls */
    struct sim_waiter *head, *tail;  /* blocked calls, oldest first */
    struct sim_host **hosts;
    int nhosts, cap_hosts;
    struct spawn *spawned;           /* queued by synack_simnet_spawn */
    int nspawned, cap_spawned;
};

struct spawn {
    void *(*fn)(void *);
    void *arg;
};

/* The simnet the calling thread is attached to (NULL: none). */
static _Thread_local struct synack_simnet *tls_net;

static const struct host_ops sim_host_ops;

/* The simulated host behind h, or NULL when h is another kind of host. */
static struct sim_host *sim_host_of(synack_host *h)
{
    return h && h->ops == &sim_host_ops ? (struct sim_host *)h : NULL;
}

/* ---- simulator callbacks ------------------------------------------------- */

static void clock_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    (void)ctx, (void)pkt, (void)len, (void)now;
}

static uint64_t clock_poll(void *ctx, uint64_t now)
{
    struct synack_simnet *net = ctx;
    uint64_t t = SYNACK_SIM_NEVER;
    (void)now;
    for (struct sim_waiter *w = net->head; w; w = w->next)
        if (!w->done && w->deadline < t) t = w->deadline;
    return t;
}

static const struct synack_sim_host_ops clock_ops = {clock_deliver, clock_poll};

static void stack_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    struct sim_host *h = ctx;
    synack_stack_input(h->base.stack, pkt, len, now);
}

static uint64_t stack_poll(void *ctx, uint64_t now)
{
    struct sim_host *h = ctx;
    uint64_t t = synack_stack_poll(h->base.stack, now);
    return t == SYNACK_NEVER ? SYNACK_SIM_NEVER : t;
}

static void stack_output(void *ctx, const uint8_t *pkt, size_t len)
{
    struct sim_host *h = ctx;
    synack_sim_send(h->net->sim, h->sim_id, pkt, len);
}

/* TSO: the host's link cuts a super-segment into segments (a NIC's TSO),
 * so the simulator's impairments act on each. */
static void stack_output_gso(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size)
{
    struct sim_host *h = ctx;
    wire_tcp_segment(pkt, len, gso_size, true, h->seg_buf, h->mtu, stack_output, h);
}

static const struct synack_sim_host_ops stack_ops = {stack_deliver, stack_poll};

/* ---- the backend ops for host.c (world lock held) ------------------------ */

static void maybe_drive(struct synack_simnet *net)
{
    if (net->running == 0 && net->head) pthread_cond_signal(&net->drive_cv);
}

/* A thread not attached to the simnet counts as runnable inside a call. */
static bool sim_enter(synack_host *h)
{
    struct synack_simnet *net = sim_host_of(h)->net;
    if (tls_net == net) return false;
    net->running++;
    return true;
}

static void sim_leave(synack_host *h, bool token)
{
    if (!token) return;
    struct synack_simnet *net = sim_host_of(h)->net;
    net->running--;
    maybe_drive(net);
}

static uint64_t sim_now(synack_host *h)
{
    return synack_sim_now(sim_host_of(h)->net->sim);
}

static void sim_kick(synack_host *h)
{
    /* The driver polls every stack before it next moves time. */
    sim_host_of(h)->net->dirty = true;
}

static int sim_wait(synack_host *h, struct synack_pollfd *fds, size_t n, uint64_t deadline)
{
    struct synack_simnet *net = sim_host_of(h)->net;
    struct sim_waiter w = {.h = h, .fds = fds, .n = n, .deadline = deadline};
    pthread_cond_init(&w.cv, NULL);
    w.prev = net->tail;
    if (net->tail) net->tail->next = &w;
    else net->head = &w;
    net->tail = &w;
    if (deadline != SYNACK_NEVER) net->dirty = true; /* the clock host's deadline moved */

    net->running--;
    maybe_drive(net);
    while (!w.done) pthread_cond_wait(&w.cv, &net->mu);
    /* The driver counted us runnable again when it set done. */

    if (w.prev) w.prev->next = w.next;
    else net->head = w.next;
    if (w.next) w.next->prev = w.prev;
    else net->tail = w.prev;
    if (deadline != SYNACK_NEVER) net->dirty = true;
    pthread_cond_destroy(&w.cv);
    return w.result;
}

/* synack_host_destroy on a simulated host: the simnet owns it and frees it
 * in synack_simnet_destroy, so there is nothing to do here. */
static void sim_destroy(synack_host *h)
{
    (void)h;
}

static const struct host_ops sim_host_ops = {
    .enter = sim_enter,
    .leave = sim_leave,
    .now = sim_now,
    .now_unlocked = false,
    .kick = sim_kick,
    .wait = sim_wait,
    .destroy = sim_destroy,
};

/* ---- the driver ------------------------------------------------------------ */

static void wake(struct synack_simnet *net, struct sim_waiter *w, int result)
{
    w->done = true;
    w->result = result;
    net->running++;
    pthread_cond_signal(&w->cv);
}

/* Wakes every waiter that can progress at the current time; returns how many. */
static int wake_ready(struct synack_simnet *net)
{
    uint64_t now = synack_sim_now(net->sim);
    int woken = 0;
    for (struct sim_waiter *w = net->head; w; w = w->next) {
        if (w->done) continue;
        if (w->n > 0 && synack_poll(w->h->stack, w->fds, w->n) > 0) {
            wake(net, w, 0);
            woken++;
        } else if (w->deadline <= now) {
            wake(net, w, -EAGAIN);
            woken++;
        }
    }
    return woken;
}

static bool has_waiting(const struct synack_simnet *net)
{
    for (const struct sim_waiter *w = net->head; w; w = w->next)
        if (!w->done) return true;
    return false;
}

static void *driver_main(void *arg)
{
    struct synack_simnet *net = arg;
    pthread_mutex_lock(&net->mu);
    for (;;) {
        while (!net->stop && (net->running > 0 || !has_waiting(net)))
            pthread_cond_wait(&net->drive_cv, &net->mu);
        if (net->stop) break;
        /* Every application thread is blocked: the world is ours. */
        if (net->dirty) {
            net->dirty = false;
            synack_sim_poll_hosts(net->sim);
        }
        if (wake_ready(net) > 0) continue;
        if (synack_sim_step(net->sim, SYNACK_SIM_NEVER - 1) == SYNACK_SIM_NEVER) {
            /* Nothing scheduled and no deadline: no wait can ever end. */
            for (struct sim_waiter *w = net->head; w; w = w->next)
                if (!w->done) wake(net, w, -EDEADLK);
        }
    }
    pthread_mutex_unlock(&net->mu);
    return NULL;
}

/* ---- public calls ------------------------------------------------------------ */

int synack_simnet_create(synack_simnet **out, uint64_t seed)
{
    struct synack_simnet *net = calloc(1, sizeof *net);
    if (!net) return -ENOMEM;
    net->seed = seed;
    net->sim = synack_sim_create(seed);
    if (!net->sim) {
        free(net);
        return -ENOMEM;
    }
    /* The clock host takes address 0.0.0.0, which no stack can connect to. */
    int id = synack_sim_add_host(net->sim, 0, &clock_ops, net);
    if (id < 0) {
        synack_sim_destroy(net->sim);
        free(net);
        return id;
    }
    pthread_mutex_init(&net->mu, NULL);
    pthread_cond_init(&net->drive_cv, NULL);
    int err = pthread_create(&net->driver, NULL, driver_main, net);
    if (err) {
        pthread_cond_destroy(&net->drive_cv);
        pthread_mutex_destroy(&net->mu);
        synack_sim_destroy(net->sim);
        free(net);
        return -err;
    }
    *out = net;
    return 0;
}

void synack_simnet_destroy(synack_simnet *net)
{
    if (!net) return;
    pthread_mutex_lock(&net->mu);
    net->stop = true;
    pthread_cond_signal(&net->drive_cv);
    pthread_mutex_unlock(&net->mu);
    pthread_join(net->driver, NULL);
    for (int i = 0; i < net->nhosts; i++) {
        struct sim_host *h = net->hosts[i];
        synack_stack_destroy(h->base.stack);
        host_sd_free(&h->base);
        free(h->seg_buf);
        free(h);
    }
    free(net->hosts);
    free(net->spawned);
    synack_sim_destroy(net->sim);
    pthread_cond_destroy(&net->drive_cv);
    pthread_mutex_destroy(&net->mu);
    free(net);
}


int synack_simnet_add_host(synack_simnet *net, uint32_t addr, const struct synack_config *base,
                           synack_host **out)
{
    if (!net || !out || addr == 0) return -EINVAL;
    struct sim_host *h = calloc(1, sizeof *h);
    if (!h) return -ENOMEM;
    struct synack_config cfg;
    if (base) cfg = *base;
    else synack_config_init(&cfg);
    cfg.addr = addr;
    cfg.output = stack_output;
    cfg.output_ctx = h;
    cfg.output_gso = NULL;
    h->mtu = cfg.mtu;
    if (cfg.tso_max) {
        cfg.output_gso = stack_output_gso;
        if (!(h->seg_buf = malloc(cfg.mtu))) {
            free(h);
            return -ENOMEM;
        }
    }
    synack_sim_derive_secret(net->seed, addr, cfg.secret);
    h->net = net;
    h->base.ops = &sim_host_ops;
    h->base.mu = &net->mu;
    h->base.addr = addr;

    pthread_mutex_lock(&net->mu);
    int err = 0;
    if (net->nhosts == net->cap_hosts) {
        int ncap = net->cap_hosts ? net->cap_hosts * 2 : 4;
        struct sim_host **nh = realloc(net->hosts, (size_t)ncap * sizeof *nh);
        if (!nh) err = -ENOMEM;
        else {
            net->hosts = nh;
            net->cap_hosts = ncap;
        }
    }
    if (!err) err = synack_stack_create(&h->base.stack, &cfg);
    if (!err) {
        int id = synack_sim_add_host(net->sim, addr, &stack_ops, h);
        if (id < 0) {
            synack_stack_destroy(h->base.stack);
            err = id;
        } else {
            h->sim_id = id;
            net->hosts[net->nhosts++] = h;
        }
    }
    pthread_mutex_unlock(&net->mu);
    if (err) {
        free(h->seg_buf);
        free(h);
        return err;
    }
    *out = &h->base;
    return 0;
}

int synack_simnet_link(synack_simnet *net, synack_host *a, synack_host *b,
                       const struct synack_sim_link_params *a_to_b,
                       const struct synack_sim_link_params *b_to_a)
{
    struct sim_host *sa = sim_host_of(a), *sb = sim_host_of(b);
    if (!net || !sa || !sb || sa->net != net || sb->net != net) return -EINVAL;
    pthread_mutex_lock(&net->mu);
    int r = synack_sim_link(net->sim, sa->sim_id, sb->sim_id, a_to_b, b_to_a);
    pthread_mutex_unlock(&net->mu);
    return r;
}

int synack_simnet_set_link_params(synack_simnet *net, int link, synack_host *from,
                                  const struct synack_sim_link_params *params)
{
    struct sim_host *sf = sim_host_of(from);
    if (!net || !sf || sf->net != net) return -EINVAL;
    pthread_mutex_lock(&net->mu);
    int r = synack_sim_set_link_params(net->sim, link, sf->sim_id, params);
    pthread_mutex_unlock(&net->mu);
    return r;
}

uint64_t synack_simnet_now(synack_simnet *net)
{
    pthread_mutex_lock(&net->mu);
    uint64_t t = synack_sim_now(net->sim);
    pthread_mutex_unlock(&net->mu);
    return t;
}

void synack_simnet_get_stats(synack_simnet *net, struct synack_sim_stats *out)
{
    pthread_mutex_lock(&net->mu);
    synack_sim_get_stats(net->sim, out);
    pthread_mutex_unlock(&net->mu);
}

void synack_simnet_attach(synack_simnet *net)
{
    pthread_mutex_lock(&net->mu);
    net->running++;
    tls_net = net;
    pthread_mutex_unlock(&net->mu);
}

void synack_simnet_detach(synack_simnet *net)
{
    pthread_mutex_lock(&net->mu);
    if (tls_net == net) {
        tls_net = NULL;
        net->running--;
        maybe_drive(net);
    }
    pthread_mutex_unlock(&net->mu);
}

struct trampoline {
    struct synack_simnet *net;
    void *(*fn)(void *);
    void *arg;
};

static void *thread_main(void *arg)
{
    struct trampoline t = *(struct trampoline *)arg;
    free(arg);
    tls_net = t.net; /* already counted in running by thread_create */
    void *ret = t.fn(t.arg);
    synack_simnet_detach(t.net);
    return ret;
}

int synack_simnet_thread_create(synack_simnet *net, pthread_t *thread, void *(*fn)(void *), void *arg)
{
    if (!net || !thread || !fn) return -EINVAL;
    struct trampoline *t = malloc(sizeof *t);
    if (!t) return -ENOMEM;
    *t = (struct trampoline){net, fn, arg};
    pthread_mutex_lock(&net->mu);
    net->running++; /* before the thread exists: time must wait for it */
    pthread_mutex_unlock(&net->mu);
    int err = pthread_create(thread, NULL, thread_main, t);
    if (err) {
        free(t);
        pthread_mutex_lock(&net->mu);
        net->running--;
        maybe_drive(net);
        pthread_mutex_unlock(&net->mu);
        return -err;
    }
    return 0;
}

int synack_simnet_spawn(synack_simnet *net, void *(*fn)(void *), void *arg)
{
    if (!net || !fn) return -EINVAL;
    pthread_mutex_lock(&net->mu);
    int err = 0;
    if (net->nspawned == net->cap_spawned) {
        int ncap = net->cap_spawned ? net->cap_spawned * 2 : 4;
        struct spawn *n = realloc(net->spawned, (size_t)ncap * sizeof *n);
        if (!n) err = -ENOMEM;
        else {
            net->spawned = n;
            net->cap_spawned = ncap;
        }
    }
    if (!err) net->spawned[net->nspawned++] = (struct spawn){fn, arg};
    pthread_mutex_unlock(&net->mu);
    return err;
}

int synack_simnet_run(synack_simnet *net)
{
    pthread_mutex_lock(&net->mu);
    int n = net->nspawned;
    struct spawn *list = net->spawned;
    net->spawned = NULL;
    net->nspawned = net->cap_spawned = 0;
    pthread_mutex_unlock(&net->mu);
    pthread_t *tids = calloc((size_t)n + 1, sizeof *tids);
    if (!tids) {
        free(list);
        return -ENOMEM;
    }
    /* Attached while starting them: no thread may see time move before
     * every other one has been counted. */
    synack_simnet_attach(net);
    int err = 0, started = 0;
    for (int i = 0; i < n && !err; i++) {
        err = synack_simnet_thread_create(net, &tids[i], list[i].fn, list[i].arg);
        if (!err) started++;
    }
    synack_simnet_detach(net);
    for (int i = 0; i < started; i++) pthread_join(tids[i], NULL);
    free(tids);
    free(list);
    return err;
}

int64_t synack_simnet_settle(synack_simnet *net, uint64_t limit_us)
{
    pthread_mutex_lock(&net->mu);
    if (net->running > 0 || net->head) {
        pthread_mutex_unlock(&net->mu);
        return -EBUSY;
    }
    synack_sim_poll_hosts(net->sim);
    net->dirty = false;
    while (synack_sim_step(net->sim, limit_us) != SYNACK_SIM_NEVER) {
    }
    int64_t t = (int64_t)synack_sim_now(net->sim);
    pthread_mutex_unlock(&net->mu);
    return t;
}
