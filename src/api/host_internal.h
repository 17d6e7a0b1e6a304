/*
 * host_internal.h — what host.c (the blocking socket calls), host_sim.c
 * (simulated hosts and the simnet driver) and host_rt.c (real-time hosts
 * and their loop threads) share: the common host struct and the backend
 * ops table host.c dispatches through. See docs/BLOCKING.md for the design.
 *
 * Locking: h->mu guards the stack and everything in struct synack_host
 * except the fields marked "immutable". For a simulated host h->mu is the
 * simnet's world lock, so one lock guards every stack and the simulator.
 */
#ifndef SYNACK_API_HOST_INTERNAL_H
#define SYNACK_API_HOST_INTERNAL_H

#include <pthread.h>
#include <stdlib.h>

#include "synack/host.h"

/* Per-descriptor state the stack does not keep. */
struct host_sd {
    bool nonblock;
    uint64_t rcvtimeo_us;   /* 0: forever */
    uint64_t sndtimeo_us;
};

/* A host backend: how a host locks, tells time, waits and wakes its loop.
 * host.c calls a backend only through this table (never by name), and a
 * backend never calls into host.c: real-time hosts (host_rt.c) and
 * simulated hosts (host_sim.c) each fill one at creation. */
struct host_ops {
    /* Bracket every call (after taking h->mu, before releasing it); enter
     * returns the token leave needs. */
    bool (*enter)(synack_host *h);
    void (*leave)(synack_host *h, bool token);
    /* The host's clock, in microseconds (called with h->mu held, except for
     * hosts whose clock needs no lock: see now_unlocked). */
    uint64_t (*now)(synack_host *h);
    bool now_unlocked;             /* true: now() may run without h->mu */
    /* A socket call may have created work: make sure it goes out. */
    void (*kick)(synack_host *h);
    /* Waits until one entry of fds is ready (synack_poll > 0) or the host's
     * clock reaches deadline (SYNACK_NEVER: no limit). Returns 0 when
     * ready, -EAGAIN at the deadline, -EDEADLK when nothing can ever wake
     * the caller, -ECANCELED when the host is going away. */
    int (*wait)(synack_host *h, struct synack_pollfd *fds, size_t n, uint64_t deadline);
    /* synack_host_destroy: free the host, or ignore the call when another
     * object (the simnet) owns it. */
    void (*destroy)(synack_host *h);
};

/* What every host has. A backend's own host struct begins with this one
 * (struct rt_host in host_rt.c, struct sim_host in host_sim.c). */
struct synack_host {
    const struct host_ops *ops;     /* immutable */
    synack_stack *stack;
    pthread_mutex_t *mu;            /* immutable: the backend's lock */
    uint32_t addr;                  /* immutable */
    struct host_sd *sds;            /* indexed by descriptor (host.c) */
    int nsds;
};

/* For a backend's destroy: the descriptor table host.c filled. */
static inline void host_sd_free(synack_host *h)
{
    free(h->sds);
    h->sds = NULL;
    h->nsds = 0;
}

#endif
