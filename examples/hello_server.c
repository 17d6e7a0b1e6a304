/*
 * hello_server.c — the tutorial's server, with synack's blocking calls:
 * accept one client, write "Hello, Client!", close.
 *
 * Each BSD call of the tutorial is the same call prefixed synack_host_ on a
 * synack_host (see include/synack/host.h): socket, setsockopt, bind,
 * listen, accept, send, close. hello_server() runs on any host: a
 * simulated one (examples/hello_sim.c runs it against hello_client.c on a
 * two-host simulated network) or a real one, as main() below does, on a
 * Linux TUN interface:
 *
 *     hello_server --tun tun0 --addr 10.7.0.2/24 [--port 8080] [--create]
 *
 * kernel_hello_server.c is the same program on the kernel's own sockets;
 * any pairing of the two servers and the two clients talks.
 * hello_sim.c includes this file with HELLO_NO_MAIN defined.
 */
#define _GNU_SOURCE /* getifaddrs, in hello_tun.h */
#include <stdio.h>
#include <string.h>

#include "synack/host.h"

#define HELLO_PORT 8080

int hello_server(synack_host *h, uint16_t port);

/* Returns 0 when the greeting was sent, or a negative errno. */
int hello_server(synack_host *h, uint16_t port)
{
    const char *hello = "Hello, Client!";

    int server_fd = synack_host_socket(h);
    if (server_fd < 0) {
        fprintf(stderr, "socket failed: %s\n", synack_strerror(server_fd));
        return server_fd;
    }
    int opt = 1;
    int err = synack_host_setsockopt(h, server_fd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR,
                                     &opt, sizeof opt);
    struct synack_endpoint address = {0, port}; /* INADDR_ANY */
    if (!err) err = synack_host_bind(h, server_fd, &address);
    if (!err) err = synack_host_listen(h, server_fd, 3);
    if (err) {
        fprintf(stderr, "bind/listen failed: %s\n", synack_strerror(err));
        synack_host_close(h, server_fd);
        return err;
    }
    fprintf(stderr, "server: listening on port %u\n", (unsigned)port);

    struct synack_endpoint peer;
    int new_socket = synack_host_accept(h, server_fd, &peer);
    if (new_socket < 0) {
        fprintf(stderr, "accept failed: %s\n", synack_strerror(new_socket));
        synack_host_close(h, server_fd);
        return new_socket;
    }
    ssize_t n = synack_host_send(h, new_socket, hello, strlen(hello));
    if (n < 0) fprintf(stderr, "send failed: %s\n", synack_strerror((int)n));

    synack_host_close(h, new_socket);
    synack_host_close(h, server_fd);
    return n < 0 ? (int)n : 0;
}

#ifndef HELLO_NO_MAIN
#include "hello_tun.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: hello_server --tun IF --addr A/PREFIX [--port N] [--create]\n\n"
            "Accepts one client on port N (8080), writes \"Hello, Client!\" and closes:\n"
            "the tutorial's server, on a synack stack attached to a TUN interface.\n\n"
            "%s"
            "  --port N          the port to listen on (8080)\n",
            hello_tun_help);
}

int main(int argc, char **argv)
{
    const char *prog = "hello_server";
    struct hello_tun o = {0};
    uint16_t port = HELLO_PORT;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        int r = hello_tun_option(&o, argc, argv, &i, prog);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "--port") && i + 1 < argc) {
            char *end;
            errno = 0;
            unsigned long v = strtoul(argv[i + 1], &end, 10);
            if (!argv[i + 1][0] || *end || errno || argv[i + 1][0] == '-' || v == 0 || v > 65535) {
                fprintf(stderr, "%s: --port '%s': a port is a number from 1 to 65535\n", prog, argv[i + 1]);
                return 2;
            }
            port = (uint16_t)v;
            i += 2;
            continue;
        }
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", prog, a);
        return 2;
    }
    if (hello_tun_check(&o, prog) != 0) return 2;

    synack_host *h;
    if (hello_tun_start(&o, &h, prog) != 0) return 1;
    int err = hello_server(h, port);
    hello_tun_stop(h, 5000);
    return err ? 1 : 0;
}
#endif
