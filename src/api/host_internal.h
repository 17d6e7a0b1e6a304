/*
 * host_internal.h — what host.c (the blocking socket calls), host_sim.c
 * (simulated hosts and the simnet driver) and host_rt.c (real-time hosts
 * and their loop threads) share. See docs/BLOCKING.md for the design.
 *
 * Locking: h->mu guards the stack and everything in struct synack_host
 * except the fields marked "immutable". For a simulated host h->mu is the
 * simnet's world lock, so one lock guards every stack and the simulator.
 */
#ifndef SYNACK_API_HOST_INTERNAL_H
#define SYNACK_API_HOST_INTERNAL_H

#include <pthread.h>

#include "synack/host.h"

/* Per-descriptor state the stack does not keep. */
struct host_sd {
    bool nonblock;
    uint64_t rcvtimeo_us;   /* 0: forever */
    uint64_t sndtimeo_us;
};

struct synack_host {
    synack_stack *stack;
    pthread_mutex_t *mu;            /* immutable: &own_mu or &net->mu */
    uint32_t addr;                  /* immutable */
    struct host_sd *sds;            /* indexed by descriptor */
    int nsds;

    /* simulated hosts */
    struct synack_simnet *net;      /* immutable; NULL for real-time hosts */
    int sim_id;

    /* real-time hosts */
    pthread_mutex_t own_mu;
    pthread_cond_t cv;              /* broadcast after every input and poll */
    pthread_t thread;
    bool stop;
    struct synack_link link;
    int wake[2];                    /* pipe: socket calls wake the loop */
    uint64_t loop_deadline;         /* when the sleeping loop wakes by itself */
    uint8_t *rxbuf;
};

/* Called with h->mu held. */
/* Waits until one entry of fds is ready (synack_poll > 0) or the host's
 * clock reaches deadline (SYNACK_NEVER: no limit). Returns 0 when ready,
 * -EAGAIN at the deadline, -EDEADLK when a simnet can never wake us. */
int host_sim_wait(synack_host *h, struct synack_pollfd *fds, size_t n, uint64_t deadline);
int host_rt_wait(synack_host *h, struct synack_pollfd *fds, size_t n, uint64_t deadline);
/* A socket call may have created work: make sure it goes out. */
void host_sim_kick(synack_host *h);
void host_rt_kick(synack_host *h);
uint64_t host_sim_now(synack_host *h);
uint64_t host_rt_now(void);
/* Bracket every call of a simulated host (after lock, before unlock): a
 * thread not attached to the simnet counts as runnable inside the call.
 * enter returns the token leave needs. */
bool host_sim_enter(synack_host *h);
void host_sim_leave(synack_host *h, bool token);

/* host.c: descriptor table; host_sd_free at destroy. */
void host_sd_free(synack_host *h);

#endif
