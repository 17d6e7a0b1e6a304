/*
 * test_posix.c — synack/posix.h as a program for Linux sockets sees it, on
 * the simulated network: the POSIX calls run on host 10.0.0.1 (given with
 * synack_posix_use_host), a peer written with host.h on 10.0.0.2.
 * Checks the Linux meanings: -1 with errno, sockaddr_in in and out (with
 * the kernel's truncation rule), blocking and O_NONBLOCK, EINPROGRESS then
 * POLLOUT and SO_ERROR, ECONNREFUSED, EAGAIN, option numbers (TCP_NODELAY,
 * SO_TYPE, TCP_INFO's state), shutdown and EOF, MSG_WAITALL, epoll (a
 * blocking edge-triggered wait, EPERM for a kernel descriptor), and that
 * descriptors that are not synack's go to the kernel (read, close, poll).
 */
#define _DEFAULT_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "harness.h"
#include "synack/posix.h"

#define SERVER_PORT 80

struct env {
    synack_host *me, *peer;
};

/* The peer: accepts one connection, sends "hello", echoes what it reads
 * until EOF, then closes. Port 81 has no listener (refused). */
static void *peer_thread(void *arg)
{
    struct env *e = arg;
    synack_host *h = e->peer;
    int ls = synack_host_socket(h);
    synack_host_bind(h, ls, &(struct synack_endpoint){0, SERVER_PORT});
    synack_host_listen(h, ls, 4);
    int s = synack_host_accept(h, ls, NULL);
    if (s >= 0) {
        synack_host_send(h, s, "hello", 5);
        char buf[256];
        ssize_t n;
        while ((n = synack_host_recv(h, s, buf, sizeof buf)) > 0) synack_host_send(h, s, buf, (size_t)n);
        synack_host_close(h, s);
    }
    synack_host_close(h, ls);
    return NULL;
}

static void sin_of(struct sockaddr_in *sin, const char *addr, int port)
{
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, addr, &sin->sin_addr);
}

static void *app_thread(void *arg)
{
    (void)arg;
    /* Arguments the kernel refuses, refused the same way. */
    errno = 0;
    CHECK_EQ(synack_socket(AF_INET6, SOCK_STREAM, 0), -1);
    CHECK_EQ(errno, EAFNOSUPPORT);
    CHECK_EQ(synack_socket(AF_INET, SOCK_DGRAM, 0), -1);
    CHECK_EQ(errno, ESOCKTNOSUPPORT);
    int pipefd[2];
    CHECK_EQ(pipe(pipefd), 0);
    CHECK_EQ(synack_listen(pipefd[0], 1), -1);
    CHECK_EQ(errno, ENOTSOCK);
    CHECK_EQ(synack_write(pipefd[1], "k", 1), 1); /* not synack's: the kernel's write */
    char k = 0;
    CHECK_EQ(synack_read(pipefd[0], &k, 1), 1);
    CHECK_EQ(k, 'k');
    CHECK_EQ(synack_close(pipefd[0]), 0);
    CHECK_EQ(synack_close(pipefd[1]), 0);
    CHECK_EQ(synack_listen(pipefd[0], 1), -1);
    CHECK_EQ(errno, EBADF);

    int fd = synack_socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd > 2); /* a real descriptor number, never stdin/out/err */
    struct sockaddr_in sin;
    sin_of(&sin, "10.0.0.2", SERVER_PORT);
    CHECK_EQ(synack_connect(fd, (struct sockaddr *)&sin, sizeof sin - 1), -1);
    CHECK_EQ(errno, EINVAL);
    sin.sin_family = AF_UNIX;
    CHECK_EQ(synack_connect(fd, (struct sockaddr *)&sin, sizeof sin), -1);
    CHECK_EQ(errno, EAFNOSUPPORT);
    sin.sin_family = AF_INET;
    int type = 0;
    socklen_t len = sizeof type;
    CHECK_EQ(synack_getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
    CHECK_EQ(type, SOCK_STREAM);
    CHECK_EQ(synack_getsockopt(fd, SOL_SOCKET, SO_BROADCAST, &type, &len), -1);
    CHECK_EQ(errno, ENOPROTOOPT);

    /* Non-blocking connect: EINPROGRESS, then POLLOUT and SO_ERROR 0. */
    CHECK_EQ(synack_fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    CHECK_EQ(synack_fcntl(fd, F_SETFL, synack_fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    CHECK(synack_fcntl(fd, F_GETFL) & O_NONBLOCK);
    CHECK_EQ(synack_connect(fd, (struct sockaddr *)&sin, sizeof sin), -1);
    CHECK_EQ(errno, EINPROGRESS);
    struct pollfd p = {fd, POLLOUT, 0};
    CHECK_EQ(synack_poll(&p, 1, 5000), 1);
    CHECK_EQ(p.revents, POLLOUT);
    int soerr = -1;
    len = sizeof soerr;
    CHECK_EQ(synack_getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len), 0);
    CHECK_EQ(soerr, 0);
    struct tcp_info ti;
    len = sizeof ti;
    CHECK_EQ(synack_getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
    CHECK_EQ(ti.tcpi_state, 1); /* TCP_ESTABLISHED */
    int one = 1;
    CHECK_EQ(synack_setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    int nodelay = 0;
    len = sizeof nodelay;
    CHECK_EQ(synack_getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, &len), 0);
    CHECK(nodelay != 0);

    /* Addresses out, truncated as the kernel truncates. */
    struct sockaddr_in me, peer;
    len = sizeof me;
    CHECK_EQ(synack_getsockname(fd, (struct sockaddr *)&me, &len), 0);
    CHECK_EQ(len, sizeof me);
    CHECK_EQ(me.sin_family, AF_INET);
    CHECK_EQ(ntohl(me.sin_addr.s_addr), synack_ipv4(10, 0, 0, 1));
    CHECK(ntohs(me.sin_port) >= 32768);
    len = 4;
    memset(&peer, 0, sizeof peer);
    CHECK_EQ(synack_getpeername(fd, (struct sockaddr *)&peer, &len), 0);
    CHECK_EQ(len, sizeof peer);
    CHECK_EQ(peer.sin_family, AF_INET);
    CHECK_EQ(peer.sin_port, htons(SERVER_PORT));
    CHECK_EQ(peer.sin_addr.s_addr, 0); /* not copied: only 4 bytes given */

    /* Blocking again; data both ways; MSG_WAITALL; EAGAIN with MSG_DONTWAIT. */
    CHECK_EQ(synack_fcntl(fd, F_SETFL, 0), 0);
    char buf[16] = {0};
    CHECK_EQ(synack_recv(fd, buf, 5, MSG_WAITALL), 5);
    CHECK_STR(buf, "hello");
    CHECK_EQ(synack_recv(fd, buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, EAGAIN);
    CHECK_EQ(synack_recv(fd, buf, sizeof buf, MSG_PEEK), -1);
    CHECK_EQ(errno, EOPNOTSUPP);
    CHECK_EQ(synack_send(fd, "abc", 3, MSG_NOSIGNAL), 3);
    CHECK_EQ(synack_write(fd, "def", 3), 3);
    memset(buf, 0, sizeof buf);
    CHECK_EQ(synack_recv(fd, buf, 6, MSG_WAITALL), 6);
    CHECK_STR(buf, "abcdef");
    /* epoll over the host: a blocking edge-triggered wait wakes on the echo. */
    int ep = synack_epoll_create1(0);
    CHECK(ep > 2);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = fd}, evs[4];
    CHECK_EQ(synack_epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev), -1); /* stdin: not a synack socket */
    CHECK_EQ(errno, EPERM);
    CHECK_EQ(synack_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
    CHECK_EQ(synack_epoll_wait(ep, evs, 4, 0), 0);
    CHECK_EQ(synack_write(fd, "xyz", 3), 3);
    CHECK_EQ(synack_epoll_wait(ep, evs, 4, 5000), 1);
    CHECK_EQ(evs[0].events, EPOLLIN);
    CHECK_EQ(evs[0].data.fd, fd);
    CHECK_EQ(synack_epoll_wait(ep, evs, 4, 50), 0); /* edge: nothing new */
    CHECK_EQ(synack_recv(fd, buf, 3, MSG_WAITALL), 3);
    CHECK_EQ(synack_close(ep), 0);
    CHECK_EQ(synack_epoll_wait(ep, evs, 4, 0), -1);
    CHECK_EQ(errno, EBADF);

    /* Half-close: the peer sees EOF, closes, and we read EOF. */
    CHECK_EQ(synack_shutdown(fd, SHUT_WR), 0);
    CHECK_EQ(synack_read(fd, buf, sizeof buf), 0);
    CHECK_EQ(synack_close(fd), 0);
    CHECK_EQ(synack_close(fd), -1);
    CHECK_EQ(errno, EBADF);

    /* Nothing listens on 81: ECONNREFUSED from a blocking connect. */
    fd = synack_socket(AF_INET, SOCK_STREAM, 0);
    sin_of(&sin, "10.0.0.2", 81);
    CHECK_EQ(synack_connect(fd, (struct sockaddr *)&sin, sizeof sin), -1);
    CHECK_EQ(errno, ECONNREFUSED);
    CHECK_EQ(synack_close(fd), 0);
    return NULL;
}

static void test_posix_calls(void)
{
    synack_simnet *net;
    struct env e;
    REQUIRE(synack_simnet_create(&net, 3) == 0);
    REQUIRE(synack_simnet_add_host(net, synack_ipv4(10, 0, 0, 1), NULL, &e.me) == 0);
    REQUIRE(synack_simnet_add_host(net, synack_ipv4(10, 0, 0, 2), NULL, &e.peer) == 0);
    struct synack_sim_link_params link = {.delay_us = 5000};
    REQUIRE(synack_simnet_link(net, e.me, e.peer, &link, &link) >= 0);
    REQUIRE(synack_posix_use_host(e.me) == 0);
    CHECK(synack_posix_host() == e.me);
    CHECK_EQ(synack_posix_use_host(e.peer), -1); /* one host per process */
    CHECK_EQ(errno, EBUSY);
    REQUIRE(synack_simnet_spawn(net, peer_thread, &e) == 0);
    REQUIRE(synack_simnet_spawn(net, app_thread, &e) == 0);
    REQUIRE(synack_simnet_run(net) == 0);
    synack_simnet_settle(net, UINT64_MAX - 1);
    synack_simnet_destroy(net);
}

TEST_MAIN(TEST(test_posix_calls))
