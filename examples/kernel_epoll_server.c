/*
 * kernel_epoll_server.c — a small echo server on the kernel's sockets and
 * epoll (edge-triggered, non-blocking), for running unmodified under
 * libsynack-preload.so (tests/interop/preload.sh) and, as the reference,
 * on the kernel.
 *
 *     kernel_epoll_server [--port N] [--count N]
 *
 * Echoes every byte back on each connection; a connection ends when the
 * client closes its side. After --count connections have ended (default:
 * never) it prints "served N connections, B bytes" and exits 0.
 * It does not use synack (the build links every example with it; harmless).
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FDS 1024

/* Bytes read but not yet written back, per descriptor. */
struct pending {
    char buf[16384];
    size_t len;
};
static struct pending *pend[MAX_FDS];

static int parse_num(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

/* Writes what is pending; 0 when all went, 1 when the socket is full, -1 on error. */
static int flush(int fd)
{
    struct pending *p = pend[fd];
    while (p->len) {
        ssize_t n = write(fd, p->buf, p->len);
        if (n < 0) return errno == EAGAIN ? 1 : -1;
        memmove(p->buf, p->buf + n, p->len - (size_t)n);
        p->len -= (size_t)n;
    }
    return 0;
}

int main(int argc, char **argv)
{
    long port = 7, count = -1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--port") && !parse_num(argv[i + 1], 1, 65535, &port)) i++;
        else if (i + 1 < argc && !strcmp(argv[i], "--count") && !parse_num(argv[i + 1], 1, 1000000, &count)) i++;
        else {
            fprintf(stderr, "usage: kernel_epoll_server [--port 1..65535] [--count N]\n");
            return 2;
        }
    }
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(ls, (struct sockaddr *)&a, sizeof a) < 0 || listen(ls, 128) < 0) {
        perror("kernel_epoll_server: listen");
        return 1;
    }
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev) < 0) {
        perror("kernel_epoll_server: epoll");
        return 1;
    }
    fprintf(stderr, "kernel_epoll_server: listening on port %ld\n", port);
    long served = 0;
    unsigned long long bytes = 0;
    struct epoll_event evs[64];
    while (count < 0 || served < count) {
        int n = epoll_wait(ep, evs, 64, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("kernel_epoll_server: epoll_wait");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            if (fd == ls) {
                int c;
                while ((c = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (c >= MAX_FDS || !(pend[c] = calloc(1, sizeof *pend[c]))) {
                        close(c);
                        continue;
                    }
                    struct epoll_event cev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = c};
                    epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                }
                continue;
            }
            bool done = (evs[i].events & (EPOLLERR | EPOLLHUP)) != 0;
            /* Read while there is room to keep what cannot be written yet. */
            while (!done) {
                struct pending *p = pend[fd];
                int f = flush(fd);
                if (f < 0) done = true;
                if (f != 0 || p->len == sizeof p->buf) break;
                ssize_t r = read(fd, p->buf + p->len, sizeof p->buf - p->len);
                if (r > 0) {
                    p->len += (size_t)r;
                    bytes += (unsigned long long)r;
                } else if (r == 0 || errno != EAGAIN) {
                    done = flush(fd) <= 0; /* EOF: finish echoing, then close */
                    break;
                } else {
                    break;
                }
            }
            if (done) {
                epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
                free(pend[fd]);
                pend[fd] = NULL;
                close(fd);
                served++;
            }
        }
    }
    printf("served %ld connections, %llu bytes\n", served, bytes);
    close(ep);
    close(ls);
    return 0;
}
