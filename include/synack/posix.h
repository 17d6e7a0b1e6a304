/*
 * synack/posix.h — the BSD socket calls with their Linux shapes and
 * meanings, prefixed synack_: struct sockaddr_in addresses, -1 with errno,
 * blocking by default, O_NONBLOCK through fcntl, struct pollfd for poll.
 * A program written for the kernel's sockets runs on synack when each
 * socket call gets the prefix (socket -> synack_socket, read ->
 * synack_read, ...) and nothing else changes.
 *
 * The host: the calls run on one process-wide synack host (host.h), made
 * at the first call from the environment:
 *     SYNACK_TUN=IF         the TUN interface synack lives on (it must exist)
 *     SYNACK_ADDR=A/PREFIX  synack's IPv4 address on it (e.g. 10.7.0.2/24);
 *                           the kernel's side of IF has another address
 * or given by the program once, before any other call, with
 * synack_posix_use_host() (a simulated host, a host on another link).
 * Without either, every call fails with ENETDOWN and the first prints why.
 *
 * Descriptors are real kernel descriptor numbers (each synack socket holds
 * one placeholder descriptor), so they never collide with files, pipes or
 * kernel sockets, and synack_close()/synack_read() on a non-synack
 * descriptor do what close()/read() do. synack_poll() accepts kernel
 * descriptors mixed with synack ones.
 *
 * Exit: as the kernel does for a process that exits, an exit handler
 * closes the sockets still open and lets connections finish their FIN
 * exchange (at most SYNACK_EXIT_WAIT_MS, default 3000 ms).
 *
 * Same-named calls of synack.h and epoll.h: synack_socket, bind, listen,
 * accept, connect, send, recv, shutdown, close, getsockname, getpeername,
 * setsockopt, getsockopt, poll and epoll_create/ctl/wait exist in both
 * shapes. Including this
 * header makes each name choose by its first argument (C11 _Generic): a
 * synack_stack (or synack_epoll) pointer calls the core's, anything else
 * the POSIX one. The
 * POSIX functions themselves are synack_posix_*.
 *
 * Differences from Linux, all reported rather than silent: IPv4 TCP only
 * (socket() of another family or type fails with EAFNOSUPPORT /
 * ESOCKTNOSUPPORT); MSG_PEEK, MSG_OOB and unknown flags fail with
 * EOPNOTSUPP; unknown socket options with ENOPROTOOPT.
 */
#ifndef SYNACK_POSIX_H
#define SYNACK_POSIX_H

#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "synack/epoll.h"
#include "synack/export.h"
#include "synack/host.h"
#include "synack/synack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Uses h for every later call (before the first call; h stays the
 * caller's: it is not destroyed at exit). Returns 0, or -1 with EBUSY when
 * a host is already in use. */
SYNACK_API int synack_posix_use_host(synack_host *h);
/* The host the calls use, creating it from the environment if needed;
 * NULL (errno ENETDOWN) when there is none. */
SYNACK_API synack_host *synack_posix_host(void);
/* The synack descriptor (synack_host_*) behind fd, or -1 when fd is not a
 * synack socket. */
SYNACK_API int synack_posix_sd(int fd);
/* 1 when fd is a synack socket or a synack epoll instance, else 0. */
SYNACK_API int synack_posix_owns(int fd);
/* Closes every synack socket still open and waits, at most max_ms, until
 * the connections have finished their FIN exchange (TIME_WAIT or CLOSED),
 * as the kernel does for a process that exits. The exit handler calls it
 * with SYNACK_EXIT_WAIT_MS. (The wait needs the host made from the
 * environment; with synack_posix_use_host it only closes.) */
SYNACK_API void synack_posix_finish(unsigned max_ms);

SYNACK_API int synack_posix_socket(int domain, int type, int protocol);
SYNACK_API int synack_posix_bind(int fd, const struct sockaddr *addr, socklen_t len);
SYNACK_API int synack_posix_listen(int fd, int backlog);
SYNACK_API int synack_posix_accept(int fd, struct sockaddr *addr, socklen_t *len);
SYNACK_API int synack_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);
SYNACK_API int synack_posix_connect(int fd, const struct sockaddr *addr, socklen_t len);
SYNACK_API ssize_t synack_posix_send(int fd, const void *buf, size_t len, int flags);
SYNACK_API ssize_t synack_posix_recv(int fd, void *buf, size_t len, int flags);
SYNACK_API ssize_t synack_read(int fd, void *buf, size_t len);
SYNACK_API ssize_t synack_write(int fd, const void *buf, size_t len);
SYNACK_API int synack_posix_shutdown(int fd, int how);
SYNACK_API int synack_posix_close(int fd);
SYNACK_API int synack_posix_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
SYNACK_API int synack_posix_getpeername(int fd, struct sockaddr *addr, socklen_t *len);
SYNACK_API int synack_posix_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
SYNACK_API int synack_posix_getsockopt(int fd, int level, int name, void *val, socklen_t *len);
/* F_GETFL / F_SETFL (O_NONBLOCK), F_GETFD / F_SETFD; other commands fail
 * with EINVAL on a synack socket and go to fcntl() otherwise. */
SYNACK_API int synack_fcntl(int fd, int cmd, ...);
SYNACK_API int synack_posix_poll(struct pollfd *fds, nfds_t n, int timeout_ms);
/* epoll(7) over synack sockets (synack/epoll.h): level and edge triggered,
 * EPOLLONESHOT, EPOLLRDHUP. Only synack sockets can join (a kernel
 * descriptor: EPERM, as Linux answers for a file that epoll cannot watch).
 * synack_close() on the epoll descriptor frees the instance. */
SYNACK_API int synack_posix_epoll_create(int size);
SYNACK_API int synack_epoll_create1(int flags);
SYNACK_API int synack_posix_epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);
SYNACK_API int synack_posix_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout_ms);

/* The dispatch on the first argument (see the header comment). */
#define SYNACK__FIRST(a, ...) a
#define SYNACK__PICK(core, posix, ...) \
    _Generic(SYNACK__FIRST(__VA_ARGS__, 0), synack_stack *: core, default: posix)(__VA_ARGS__)
#define synack_socket(...) SYNACK__PICK(synack_socket, synack_posix_socket, __VA_ARGS__)
#define synack_bind(...) SYNACK__PICK(synack_bind, synack_posix_bind, __VA_ARGS__)
#define synack_listen(...) SYNACK__PICK(synack_listen, synack_posix_listen, __VA_ARGS__)
#define synack_accept(...) SYNACK__PICK(synack_accept, synack_posix_accept, __VA_ARGS__)
#define synack_connect(...) SYNACK__PICK(synack_connect, synack_posix_connect, __VA_ARGS__)
#define synack_send(...) SYNACK__PICK(synack_send, synack_posix_send, __VA_ARGS__)
#define synack_recv(...) SYNACK__PICK(synack_recv, synack_posix_recv, __VA_ARGS__)
#define synack_shutdown(...) SYNACK__PICK(synack_shutdown, synack_posix_shutdown, __VA_ARGS__)
#define synack_close(...) SYNACK__PICK(synack_close, synack_posix_close, __VA_ARGS__)
#define synack_getsockname(...) SYNACK__PICK(synack_getsockname, synack_posix_getsockname, __VA_ARGS__)
#define synack_getpeername(...) SYNACK__PICK(synack_getpeername, synack_posix_getpeername, __VA_ARGS__)
#define synack_setsockopt(...) SYNACK__PICK(synack_setsockopt, synack_posix_setsockopt, __VA_ARGS__)
#define synack_getsockopt(...) SYNACK__PICK(synack_getsockopt, synack_posix_getsockopt, __VA_ARGS__)
#define synack_poll(...) SYNACK__PICK(synack_poll, synack_posix_poll, __VA_ARGS__)
#define synack_epoll_create(...) SYNACK__PICK(synack_epoll_create, synack_posix_epoll_create, __VA_ARGS__)
#define SYNACK__PICK_EP(core, posix, ...) \
    _Generic(SYNACK__FIRST(__VA_ARGS__, 0), synack_epoll *: core, default: posix)(__VA_ARGS__)
#define synack_epoll_ctl(...) SYNACK__PICK_EP(synack_epoll_ctl, synack_posix_epoll_ctl, __VA_ARGS__)
#define synack_epoll_wait(...) SYNACK__PICK_EP(synack_epoll_wait, synack_posix_epoll_wait, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
