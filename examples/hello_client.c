/*
 * hello_client.c — the tutorial's client, with synack's blocking calls:
 * connect, read the greeting, print "Message from server: ...", close.
 *
 * Each BSD call of the tutorial is the same call prefixed synack_host_ on a
 * synack_host (see include/synack/host.h). hello_client() runs on any host:
 * examples/hello_sim.c runs it against hello_server.c on a simulated
 * network, and main() below on a Linux TUN interface:
 *
 *     hello_client --tun tun1 --addr 10.8.0.2/24 [--create] HOST:PORT
 *
 * kernel_hello_client.c is the same program on the kernel's own sockets.
 * hello_sim.c includes this file with HELLO_NO_MAIN defined.
 */
#define _GNU_SOURCE /* getifaddrs, in hello_tun.h */
#include <stdio.h>
#include <string.h>

#include "synack/host.h"

int hello_client(synack_host *h, uint32_t server_addr, uint16_t port);

/* Returns 0 when the greeting was received and printed, or a negative errno. */
int hello_client(synack_host *h, uint32_t server_addr, uint16_t port)
{
    char buffer[1024] = {0};

    int sock = synack_host_socket(h);
    if (sock < 0) {
        fprintf(stderr, "socket creation error: %s\n", synack_strerror(sock));
        return sock;
    }
    struct synack_endpoint serv_addr = {server_addr, port};
    int err = synack_host_connect(h, sock, &serv_addr);
    if (err < 0) {
        fprintf(stderr, "connection failed: %s\n", synack_strerror(err));
        synack_host_close(h, sock);
        return err;
    }

    /* The tutorial reads once; reading to end of stream is the robust form
     * of the same thing (a greeting may arrive in pieces). */
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buffer - 1 &&
           (n = synack_host_recv(h, sock, buffer + got, sizeof buffer - 1 - got)) > 0)
        got += (size_t)n;
    buffer[got] = '\0';
    printf("Message from server: %s\n", buffer);

    synack_host_close(h, sock);
    return 0;
}

#ifndef HELLO_NO_MAIN
#include "hello_tun.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hello_client --tun IF --addr A/PREFIX [--create] HOST:PORT\n\n"
            "Connects to HOST:PORT (an IPv4 address: synack has no DNS), prints what the\n"
            "server sends as \"Message from server: ...\" and closes: the tutorial's client,\n"
            "on a synack stack attached to a TUN interface.\n\n%s",
            hello_tun_help);
}

/* "A.B.C.D:PORT" */
static int parse_hostport(const char *text, const char *prog, uint32_t *addr, uint16_t *port)
{
    const char *colon = strrchr(text, ':');
    char host[32];
    if (!colon || (size_t)(colon - text) >= sizeof host) {
        fprintf(stderr, "%s: '%s': expected HOST:PORT with an IPv4 address, e.g. 10.7.0.2:8080\n", prog, text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    if (synack_parse_ipv4(host, addr) != 0) {
        fprintf(stderr, "%s: '%s': '%s' is not an IPv4 address (synack has no DNS)\n", prog, text, host);
        return -1;
    }
    char *end;
    errno = 0;
    unsigned long v = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || colon[1] == '-' || v == 0 || v > 65535) {
        fprintf(stderr, "%s: '%s': a port is a number from 1 to 65535\n", prog, text);
        return -1;
    }
    *port = (uint16_t)v;
    return 0;
}

int main(int argc, char **argv)
{
    const char *prog = "hello_client";
    struct hello_tun o = {0};
    const char *target = NULL;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        int r = hello_tun_option(&o, argc, argv, &i, prog);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (a[0] == '-' || target) {
            fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, a);
            return 2;
        }
        target = a;
        i++;
    }
    uint32_t server_addr;
    uint16_t port;
    if (!target) {
        fprintf(stderr, "%s: missing HOST:PORT, the server to connect to (see --help)\n", prog);
        return 2;
    }
    if (parse_hostport(target, prog, &server_addr, &port) != 0) return 2;
    if (hello_tun_check(&o, prog) != 0) return 2;

    synack_host *h;
    if (hello_tun_start(&o, &h, prog) != 0) return 1;
    int err = hello_client(h, server_addr, port);
    fflush(stdout);
    hello_tun_stop(h, 5000);
    return err ? 1 : 0;
}
#endif
