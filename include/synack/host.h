/*
 * synack/host.h — blocking sockets: a synack stack with its own event loop,
 * callable from application threads.
 *
 * synack.h is sans-I/O: socket calls never wait, and someone must feed the
 * stack packets and time. A synack_host does that for you. It owns one
 * stack, one link and a lock; application threads call synack_host_*()
 * (the BSD calls, prefixed), which lock the host, run the non-blocking
 * synack_*() call and, on a blocking descriptor, wait until the call can
 * complete, fails, or its SO_RCVTIMEO / SO_SNDTIMEO expires.
 *
 * Two kinds of host, with the same socket calls (docs/BLOCKING.md):
 *
 *   - Real-time hosts (synack_host_create): a link (TUN, a socketpair, ...)
 *     described by struct synack_link, the monotonic clock, and one loop
 *     thread per host that reads the link and polls the stack at its
 *     deadlines. Socket calls wake the loop when they create work.
 *
 *   - Simulated hosts (synack_simnet_add_host): several hosts in one
 *     process on the simulated network of sim.h and its VIRTUAL clock. All
 *     hosts of a simnet share one lock and one driver thread. The rule that
 *     keeps runs deterministic: virtual time advances only when every
 *     application thread attached to the simnet is blocked inside a
 *     synack_host call (or has finished). Threads are attached by creating
 *     them with synack_simnet_thread_create() or by calling
 *     synack_simnet_attach(). An attached thread must not block anywhere
 *     else (pthread_join, sleep, a mutex held by a blocked thread): the
 *     world would stop. synack_host_poll(h, NULL, 0, ms) sleeps ms of
 *     virtual time.
 *
 * Conventions as in synack.h: 0 or a count on success, a negative errno on
 * failure. Blocking calls that time out return -EAGAIN, as Linux does
 * (connect: -EINPROGRESS, the handshake goes on). In a simnet, a blocking
 * call that could only be ended by an event that will never come (every
 * thread blocked, nothing scheduled, no timeout) returns -EDEADLK.
 *
 * Thread safety: every synack_host_* call may be made from any thread.
 * Create and destroy calls must not race with other calls on the same
 * host or simnet.
 */
#ifndef SYNACK_HOST_H
#define SYNACK_HOST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "synack/sim.h"
#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct synack_host synack_host;
typedef struct synack_simnet synack_simnet;

/* ---- Links (real-time hosts) --------------------------------------------
 *
 * A link carries raw IPv4 packets (no link-layer header), one per read or
 * write, like a TUN device in IFF_TUN|IFF_NO_PI mode. The host's loop
 * thread poll(2)s fd for POLLIN together with its own wake-up pipe, then
 * calls read until it returns -EAGAIN. All three calls are made by the
 * host (loop thread or destroy) with the host's lock held; they must not
 * block and must not call into the host.
 */
struct synack_link_ops {
    /* Reads one packet into buf (cap bytes). Returns its length, -EAGAIN
     * when none is waiting, or another negative errno (the loop stops
     * reading until fd is readable again). */
    ssize_t (*read)(void *ctx, uint8_t *buf, size_t cap);
    /* Sends one packet (bytes valid only during the call). A full link may
     * drop it, as a real interface does: TCP retransmits. */
    int (*write)(void *ctx, const uint8_t *pkt, size_t len);
    /* Releases the link (may be NULL). Called once, by synack_host_destroy. */
    void (*close)(void *ctx);
};

struct synack_link {
    const struct synack_link_ops *ops;
    void *ctx;
    int fd;         /* readable when read() has a packet; must be O_NONBLOCK-safe */
};

/* A pair of links joined back to back (an AF_UNIX datagram socketpair): what
 * one host writes, the other reads. For tests and examples of real-time
 * hosts. Returns 0 or a negative errno. Each link owns its fd; close frees. */
SYNACK_API int synack_link_socketpair(struct synack_link *a, struct synack_link *b);

/* A link over a TUN interface opened with synack_tun_open (synack/tun.h):
 * each read and write is one packet on tun->fd. The link takes the
 * interface over: on success tun->fd becomes -1 (tun's name and mtu stay
 * readable) and the descriptor is closed by close (synack_host_destroy).
 * Give the stack the interface's MTU (cfg.mtu = tun->mtu) and an address
 * of the interface's network that the kernel side does not use. Returns 0,
 * -EINVAL (tun not open) or -ENOMEM; on failure tun is left as it was. */
struct synack_tun;
SYNACK_API int synack_link_tun(struct synack_link *out, struct synack_tun *tun);

/* ---- Real-time hosts ---------------------------------------------------- */

/* Creates a stack from cfg (output and output_ctx are replaced by the link)
 * and starts its loop thread. Time is CLOCK_MONOTONIC. On success the host
 * owns the link (it is closed by synack_host_destroy). */
SYNACK_API int synack_host_create(synack_host **out, const struct synack_config *cfg,
                       const struct synack_link *link);
/* Stops the loop thread and frees the host and its stack (real-time hosts
 * only; a simnet frees its hosts in synack_simnet_destroy). No thread may
 * be inside a call on h. */
SYNACK_API void synack_host_destroy(synack_host *h);

/* ---- Simulated networks -------------------------------------------------- */

/* A simulated network with the given PRNG seed, and its driver thread. */
SYNACK_API int synack_simnet_create(synack_simnet **out, uint64_t seed);
/* Stops the driver and frees the hosts and the simulator. Every attached
 * thread must have finished (joined). */
SYNACK_API void synack_simnet_destroy(synack_simnet *net);
/* Adds a host with address addr. cfg may be NULL (defaults); its output is
 * replaced (with cfg->tso_max, output_gso too: the host's link cuts the
 * stack's super-segments into segments in software), and its secret is derived from the seed and addr so that runs
 * repeat exactly. */
SYNACK_API int synack_simnet_add_host(synack_simnet *net, uint32_t addr, const struct synack_config *cfg,
                           synack_host **out);
/* Joins two hosts of net with a link (see sim.h for the impairments; NULL
 * means none). Returns the link id or a negative errno. */
SYNACK_API int synack_simnet_link(synack_simnet *net, synack_host *a, synack_host *b,
                       const struct synack_sim_link_params *a_to_b,
                       const struct synack_sim_link_params *b_to_a);
/* Changes the impairments of the direction of link leaving from, mid-run. */
SYNACK_API int synack_simnet_set_link_params(synack_simnet *net, int link, synack_host *from,
                                  const struct synack_sim_link_params *params);
/* Virtual time, microseconds since the simulation started. */
SYNACK_API uint64_t synack_simnet_now(synack_simnet *net);
SYNACK_API void synack_simnet_get_stats(synack_simnet *net, struct synack_sim_stats *out);

/* The simple way to run application threads: queue each with spawn, then
 * run starts them all (all counted as runnable before any starts, so none
 * can see time move before the others have had their first turn) and
 * returns when all have finished. Call run from a thread that is not
 * attached. Returns 0 or a negative errno (a thread that could not start). */
SYNACK_API int synack_simnet_spawn(synack_simnet *net, void *(*fn)(void *), void *arg);
SYNACK_API int synack_simnet_run(synack_simnet *net);

/* Starts fn(arg) on a new thread attached to net. The thread is counted as
 * runnable from before pthread_create until fn returns, so virtual time
 * cannot move before it has had its turn. Call it from an attached thread
 * (a server starting a handler thread); an unattached caller starting
 * several threads must attach around the batch (or use spawn and run), or
 * the first may run alone and see time move. Join with pthread_join from a
 * thread that is not attached. Returns 0 or a negative errno. */
SYNACK_API int synack_simnet_thread_create(synack_simnet *net, pthread_t *thread,
                                void *(*fn)(void *), void *arg);
/* Attaches / detaches the calling thread (for threads made otherwise). An
 * unattached thread may still call synack_host_*: it counts as runnable only
 * while inside a call, so time may move between its calls. */
SYNACK_API void synack_simnet_attach(synack_simnet *net);
SYNACK_API void synack_simnet_detach(synack_simnet *net);
/* With no application thread inside the simulation, runs events until
 * none is left at or before limit_us (lets TIME_WAIT and FINs finish).
 * Returns the virtual time reached, or -EBUSY while threads are attached. */
SYNACK_API int64_t synack_simnet_settle(synack_simnet *net, uint64_t limit_us);

/* ---- Host-level information ---------------------------------------------- */

/* The host's clock in microseconds (virtual in a simnet, CLOCK_MONOTONIC
 * otherwise). */
SYNACK_API uint64_t synack_host_now(synack_host *h);
SYNACK_API uint32_t synack_host_addr(synack_host *h);
SYNACK_API int synack_host_set_tunables(synack_host *h, const struct synack_tunables *t);
SYNACK_API void synack_host_get_tunables(synack_host *h, struct synack_tunables *out);
SYNACK_API void synack_host_get_counters(synack_host *h, struct synack_counters *out);

/* ---- Sockets --------------------------------------------------------------
 * The calls of synack.h with the same arguments and results, except that on
 * a blocking descriptor (the default) they wait:
 *   accept   until a connection is ready                    (SO_RCVTIMEO)
 *   connect  until established (0) or failed (-ECONNREFUSED, (SO_SNDTIMEO,
 *            -ETIMEDOUT, ...)                                 -EINPROGRESS)
 *   send     until all len bytes are queued; a timeout or    (SO_SNDTIMEO)
 *            error after some were queued returns that count
 *   recv     until at least one byte, EOF (0) or an error    (SO_RCVTIMEO)
 *   poll     until an entry is ready or timeout_ms passes (-1: forever)
 * shutdown never waits; close waits only with SO_LINGER {1, t} on a blocking
 * socket: until all sent data and the FIN are acknowledged, at most t s.
 */
SYNACK_API int synack_host_socket(synack_host *h);
SYNACK_API int synack_host_bind(synack_host *h, int sd, const struct synack_endpoint *local);
SYNACK_API int synack_host_listen(synack_host *h, int sd, int backlog);
SYNACK_API int synack_host_accept(synack_host *h, int sd, struct synack_endpoint *peer);
SYNACK_API int synack_host_connect(synack_host *h, int sd, const struct synack_endpoint *remote);
SYNACK_API ssize_t synack_host_send(synack_host *h, int sd, const void *buf, size_t len);
SYNACK_API ssize_t synack_host_recv(synack_host *h, int sd, void *buf, size_t len);
SYNACK_API int synack_host_shutdown(synack_host *h, int sd, int how);
SYNACK_API int synack_host_close(synack_host *h, int sd);
SYNACK_API int synack_host_getsockname(synack_host *h, int sd, struct synack_endpoint *out);
SYNACK_API int synack_host_getpeername(synack_host *h, int sd, struct synack_endpoint *out);
SYNACK_API int synack_host_getstate(synack_host *h, int sd, enum synack_tcp_state *out);
SYNACK_API int synack_host_poll(synack_host *h, struct synack_pollfd *fds, size_t n, int timeout_ms);

/* Like fcntl(F_SETFL, O_NONBLOCK): a non-blocking descriptor behaves as in
 * synack.h (-EAGAIN, -EINPROGRESS). Descriptors start blocking; accepted
 * ones too (as accept(2) without SOCK_NONBLOCK). */
SYNACK_API int synack_host_set_nonblocking(synack_host *h, int sd, bool nonblocking);
SYNACK_API int synack_host_get_nonblocking(synack_host *h, int sd, bool *out);

/* Host-level socket options, at level SYNACK_SOL_SOCKET, with Linux's
 * numbers. The value is a struct synack_timeval (the layout of struct
 * timeval on Linux); {0, 0} means wait forever (the default). Accepted
 * sockets inherit the listener's timeouts. Every other option is passed to
 * synack_setsockopt / synack_getsockopt. */
#define SYNACK_SO_RCVTIMEO 20
#define SYNACK_SO_SNDTIMEO 21

struct synack_timeval {
    long tv_sec;
    long tv_usec;   /* 0..999999 */
};

SYNACK_API int synack_host_setsockopt(synack_host *h, int sd, int level, int name,
                           const void *val, size_t len);
SYNACK_API int synack_host_getsockopt(synack_host *h, int sd, int level, int name,
                           void *val, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
