/*
 * synack/epoll.h — readiness for many sockets, shaped like Linux's epoll:
 * an interest list (create, ctl) and a wait that returns only the sockets
 * with something to report, level- or edge-triggered.
 *
 * On the sans-I/O core (synack.h) the wait never blocks, like synack_poll:
 * call it after synack_stack_input / synack_stack_poll. On a host (host.h),
 * synack_host_epoll_wait blocks until an event, or timeout_ms passes.
 *
 * Events have Linux's values, so struct epoll_event's bits mean the same:
 *   IN (readable, EOF, or a connection to accept), OUT (writable, or the
 *   handshake finished), ERR, HUP (always reported), RDHUP (the peer sent
 *   its FIN); flags ET, ONESHOT.
 * Level-triggered (the default): each wait reports what is ready now.
 * Edge-triggered (SYNACK_EPOLLET): an event is reported once per change:
 * when a condition becomes true, and for IN also whenever new data has
 * arrived since the last report (Linux reports every arrival, drained or
 * not). ONESHOT: after one report the socket is disabled until
 * SYNACK_EPOLL_CTL_MOD.
 * Closing a socket removes it from every interest list. Destroy the epoll
 * instances of a stack before the stack.
 *
 * Cost: a wait looks at each socket of the interest list once (the stack
 * keeps no per-socket wake-up list yet), and reports them round-robin so no
 * socket starves when more than maxevents are ready.
 */
#ifndef SYNACK_EPOLL_H
#define SYNACK_EPOLL_H

#include <stdint.h>

#include "synack/export.h"
#include "synack/host.h"
#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_EPOLLIN 0x001u
#define SYNACK_EPOLLOUT 0x004u
#define SYNACK_EPOLLERR 0x008u
#define SYNACK_EPOLLHUP 0x010u
#define SYNACK_EPOLLRDHUP 0x2000u
#define SYNACK_EPOLLONESHOT (1u << 30)
#define SYNACK_EPOLLET (1u << 31)

#define SYNACK_EPOLL_CTL_ADD 1
#define SYNACK_EPOLL_CTL_DEL 2
#define SYNACK_EPOLL_CTL_MOD 3

struct synack_epoll_event {
    uint32_t events;
    uint64_t data;      /* the caller's, returned as given */
};

typedef struct synack_epoll synack_epoll;

/* 0 or -ENOMEM. */
SYNACK_API int synack_epoll_create(synack_stack *stack, synack_epoll **out);
SYNACK_API void synack_epoll_destroy(synack_epoll *ep);
/* ADD (-EEXIST if there), MOD and DEL (-ENOENT if not); -EBADF for a
 * descriptor that is not open, -EINVAL for an unknown op or event bit. */
SYNACK_API int synack_epoll_ctl(synack_epoll *ep, int op, int sd, const struct synack_epoll_event *ev);
/* Fills up to max events; returns their count (0: nothing), or -EINVAL
 * when max < 1. Never blocks. */
SYNACK_API int synack_epoll_wait(synack_epoll *ep, struct synack_epoll_event *events, int max);

/* On a host (host.h): the instance is made on the host's stack, and every
 * call locks the host. Wait blocks until an event or timeout_ms (-1:
 * forever; 0: do not wait). Returns the count, or a negative errno
 * (-EDEADLK in a simnet that can never wake us). */
SYNACK_API int synack_host_epoll_create(synack_host *h, synack_epoll **out);
SYNACK_API void synack_host_epoll_destroy(synack_host *h, synack_epoll *ep);
SYNACK_API int synack_host_epoll_ctl(synack_host *h, synack_epoll *ep, int op, int sd,
                                     const struct synack_epoll_event *ev);
SYNACK_API int synack_host_epoll_wait(synack_host *h, synack_epoll *ep, struct synack_epoll_event *events,
                                      int max, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
