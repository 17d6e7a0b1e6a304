/*
 * preload.c — libsynack-preload.so: unmodified programs on synack.
 *
 *     SYNACK_TUN=tun0 SYNACK_ADDR=10.7.0.2/24 LD_PRELOAD=libsynack-preload.so curl http://10.7.0.1/
 *
 * Owns: the libc entry points a TCP program uses, each deciding whether
 * its descriptor is synack's: socket(AF_INET, SOCK_STREAM) makes a synack
 * socket (synack/posix.h, on the host from SYNACK_TUN and SYNACK_ADDR), and
 * every later call on that descriptor goes to synack; everything else
 * (files, pipes, AF_UNIX, UDP, AF_INET6) goes to the kernel unchanged.
 * epoll_create makes a synack epoll instance, which also watches kernel
 * descriptors. Must not touch: synack internals (posix.h only).
 *
 * Entry points: socket bind listen accept accept4 connect read write readv
 * writev recv recvfrom send sendto close shutdown getsockname getpeername
 * setsockopt getsockopt fcntl fcntl64 ioctl(FIONBIO, FIONREAD) poll
 * epoll_create epoll_create1 epoll_ctl epoll_wait epoll_pwait, and the
 * fortified __read_chk __recv_chk __recvfrom_chk __poll_chk.
 * Not covered (a synack descriptor there gets EBADF or ENOTSOCK from the
 * kernel): select/pselect, dup/dup2, sendmsg/recvmsg, sendfile, splice.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "synack/posix.h"

#define EXPORT __attribute__((visibility("default")))

/* glibc's fortified entry points (-D_FORTIFY_SOURCE): no public header
 * declares them. */
ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen);
ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
                       socklen_t *fromlen);
int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen);

/* The next definition of name (libc's), looked up once. */
#define REAL(name)                                                     \
    static __typeof__(name) *real_##name;                              \
    if (!real_##name) *(void **)&real_##name = dlsym(RTLD_NEXT, #name)

static int is_synack(int fd)
{
    return synack_posix_sd(fd) >= 0;
}

EXPORT int socket(int domain, int type, int protocol)
{
    if (domain == AF_INET && (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM &&
        (protocol == 0 || protocol == IPPROTO_TCP))
        return synack_posix_socket(domain, type, protocol);
    REAL(socket);
    return real_socket(domain, type, protocol);
}

EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (is_synack(fd)) return synack_posix_bind(fd, addr, len);
    REAL(bind);
    return real_bind(fd, addr, len);
}

EXPORT int listen(int fd, int backlog)
{
    if (is_synack(fd)) return synack_posix_listen(fd, backlog);
    REAL(listen);
    return real_listen(fd, backlog);
}

EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
    if (is_synack(fd)) return synack_accept4(fd, addr, len, flags);
    REAL(accept4);
    return real_accept4(fd, addr, len, flags);
}

EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (is_synack(fd)) return synack_accept4(fd, addr, len, 0);
    REAL(accept);
    return real_accept(fd, addr, len);
}

EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    if (is_synack(fd)) return synack_posix_connect(fd, addr, len);
    REAL(connect);
    return real_connect(fd, addr, len);
}

EXPORT ssize_t read(int fd, void *buf, size_t n)
{
    if (is_synack(fd)) return synack_posix_recv(fd, buf, n, 0);
    REAL(read);
    return real_read(fd, buf, n);
}

EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
    if (n > buflen) abort();
    if (is_synack(fd)) return synack_posix_recv(fd, buf, n, 0);
    REAL(read);
    return real_read(fd, buf, n);
}

EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
    if (is_synack(fd)) return synack_posix_send(fd, buf, n, 0);
    REAL(write);
    return real_write(fd, buf, n);
}

EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
    if (is_synack(fd)) return synack_posix_recv(fd, buf, n, flags);
    REAL(recv);
    return real_recv(fd, buf, n, flags);
}

EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen, int flags)
{
    if (n > buflen) abort();
    return recv(fd, buf, n, flags);
}

EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags, struct sockaddr *from, socklen_t *fromlen)
{
    if (is_synack(fd)) {
        ssize_t r = synack_posix_recv(fd, buf, n, flags);
        if (r >= 0 && from && fromlen) {
            int e = errno;
            if (synack_posix_getpeername(fd, from, fromlen) < 0) *fromlen = 0;
            errno = e;
        }
        return r;
    }
    REAL(recvfrom);
    return real_recvfrom(fd, buf, n, flags, from, fromlen);
}

EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen, int flags, struct sockaddr *from,
                              socklen_t *fromlen)
{
    if (n > buflen) abort();
    return recvfrom(fd, buf, n, flags, from, fromlen);
}

EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
    if (is_synack(fd)) return synack_posix_send(fd, buf, n, flags);
    REAL(send);
    return real_send(fd, buf, n, flags);
}

/* A connected stream socket ignores the address, as Linux's TCP does. */
EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags, const struct sockaddr *to, socklen_t tolen)
{
    if (is_synack(fd)) return synack_posix_send(fd, buf, n, flags);
    REAL(sendto);
    return real_sendto(fd, buf, n, flags, to, tolen);
}

EXPORT ssize_t readv(int fd, const struct iovec *iov, int n)
{
    if (!is_synack(fd)) {
        REAL(readv);
        return real_readv(fd, iov, n);
    }
    ssize_t total = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len == 0) continue;
        ssize_t r = synack_posix_recv(fd, iov[i].iov_base, iov[i].iov_len, total ? MSG_DONTWAIT : 0);
        if (r < 0) return total ? total : -1;
        total += r;
        if ((size_t)r < iov[i].iov_len || r == 0) break;
    }
    return total;
}

EXPORT ssize_t writev(int fd, const struct iovec *iov, int n)
{
    if (!is_synack(fd)) {
        REAL(writev);
        return real_writev(fd, iov, n);
    }
    ssize_t total = 0;
    for (int i = 0; i < n; i++) {
        if (iov[i].iov_len == 0) continue;
        ssize_t r = synack_posix_send(fd, iov[i].iov_base, iov[i].iov_len, total ? MSG_DONTWAIT : 0);
        if (r < 0) return total ? total : -1;
        total += r;
        if ((size_t)r < iov[i].iov_len) break;
    }
    return total;
}

EXPORT int close(int fd)
{
    if (synack_posix_owns(fd)) return synack_posix_close(fd);
    REAL(close);
    return real_close(fd);
}

EXPORT int shutdown(int fd, int how)
{
    if (is_synack(fd)) return synack_posix_shutdown(fd, how);
    REAL(shutdown);
    return real_shutdown(fd, how);
}

EXPORT int getsockname(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (is_synack(fd)) return synack_posix_getsockname(fd, addr, len);
    REAL(getsockname);
    return real_getsockname(fd, addr, len);
}

EXPORT int getpeername(int fd, struct sockaddr *addr, socklen_t *len)
{
    if (is_synack(fd)) return synack_posix_getpeername(fd, addr, len);
    REAL(getpeername);
    return real_getpeername(fd, addr, len);
}

EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
    if (is_synack(fd)) return synack_posix_setsockopt(fd, level, name, val, len);
    REAL(setsockopt);
    return real_setsockopt(fd, level, name, val, len);
}

EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
    if (is_synack(fd)) return synack_posix_getsockopt(fd, level, name, val, len);
    REAL(getsockopt);
    return real_getsockopt(fd, level, name, val, len);
}

/* fcntl's third argument is an int or a pointer, by command; both travel
 * in the same register class on Linux's ABIs, so a long carries either. */
static int fcntl_any(const char *which, int fd, int cmd, long arg)
{
    if (is_synack(fd)) return synack_fcntl(fd, cmd, (int)arg);
    static int (*real_fcntl_fn)(int, int, ...);
    static int (*real_fcntl64_fn)(int, int, ...);
    int (**slot)(int, int, ...) = which[5] ? &real_fcntl64_fn : &real_fcntl_fn;
    if (!*slot) *(void **)slot = dlsym(RTLD_NEXT, which);
    if (!*slot) *(void **)slot = dlsym(RTLD_NEXT, "fcntl");
    return (*slot)(fd, cmd, arg);
}

EXPORT int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return fcntl_any("fcntl", fd, cmd, arg);
}

EXPORT int fcntl64(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return fcntl_any("fcntl64", fd, cmd, arg);
}

EXPORT int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (!is_synack(fd)) {
        REAL(ioctl);
        return real_ioctl(fd, request, arg);
    }
    if (request == FIONBIO) {
        int on = arg ? *(int *)arg : 0;
        int fl = synack_fcntl(fd, F_GETFL);
        return fl < 0 ? -1 : synack_fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
    }
    if (request == FIONREAD) {
        synack_host *h = synack_posix_host();
        struct synack_tcp_info ti;
        size_t n = sizeof ti;
        if (!h) return -1;
        int r = synack_host_getsockopt(h, synack_posix_sd(fd), SYNACK_SOL_TCP, SYNACK_TCP_INFO, &ti, &n);
        *(int *)arg = r == 0 ? (int)ti.readable : 0;
        return 0;
    }
    errno = ENOTTY;
    return -1;
}

static bool any_synack(const struct pollfd *fds, nfds_t n)
{
    for (nfds_t i = 0; i < n; i++)
        if (fds[i].fd >= 0 && is_synack(fds[i].fd)) return true;
    return false;
}

/* glibc declares poll's fds write-only (access attribute), so gcc takes
 * our reading of the caller's array for a read of uninitialized memory. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
    if (any_synack(fds, n)) return synack_posix_poll(fds, n, timeout);
    REAL(poll);
    return real_poll(fds, n, timeout);
}

EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t fdslen)
{
    if (fdslen / sizeof *fds < n) abort();
    return poll(fds, n, timeout);
}

EXPORT int epoll_create1(int flags)
{
    return synack_epoll_create1(flags);
}

EXPORT int epoll_create(int size)
{
    return synack_posix_epoll_create(size);
}

EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
    if (synack_posix_owns(epfd)) return synack_posix_epoll_ctl(epfd, op, fd, ev);
    REAL(epoll_ctl);
    return real_epoll_ctl(epfd, op, fd, ev);
}

EXPORT int epoll_wait(int epfd, struct epoll_event *events, int max, int timeout)
{
    if (synack_posix_owns(epfd)) return synack_posix_epoll_wait(epfd, events, max, timeout);
    REAL(epoll_wait);
    return real_epoll_wait(epfd, events, max, timeout);
}

/* The signal mask is not applied while waiting on synack's instances. */
EXPORT int epoll_pwait(int epfd, struct epoll_event *events, int max, int timeout, const sigset_t *mask)
{
    if (synack_posix_owns(epfd)) return synack_posix_epoll_wait(epfd, events, max, timeout);
    REAL(epoll_pwait);
    return real_epoll_pwait(epfd, events, max, timeout, mask);
}
