/*
 * epoll_internal.h — what socket.c and host.c need from epoll.c: closing a
 * socket takes it out of every interest list, and a host's blocking wait
 * asks which conditions could produce the next event.
 */
#ifndef SYNACK_API_EPOLL_INTERNAL_H
#define SYNACK_API_EPOLL_INTERNAL_H

#include <stdbool.h>

#include "synack/epoll.h"

/* sd was closed: remove it from every epoll instance of the stack. */
void epoll_forget_sd(synack_stack *stack, int sd);
/* The sockets and events whose becoming ready would give ep an event, as
 * poll entries (in ep's own storage, valid until the next call on ep).
 * *tick: an edge-triggered IN is already at its level, so only new data
 * (invisible to poll) can make an event: the waiter must look again soon. */
void epoll_waitset(synack_epoll *ep, struct synack_pollfd **fds, size_t *n, bool *tick);

#endif
