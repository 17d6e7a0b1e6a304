/*
 * hello_server.c — the tutorial's server, with synack's blocking calls:
 * accept one client, write "Hello, Client!", close.
 *
 * Each BSD call of the tutorial is the same call prefixed synack_host_ on a
 * synack_host (see include/synack/host.h): socket, setsockopt, bind,
 * listen, accept, send, close. hello_server() runs on any host — a
 * simulated one (examples/hello_sim.c runs it against hello_client.c on a
 * two-host simulated network) or, once the TUN link lands, a real one.
 *
 * Built alone, the program explains where to run it; hello_sim.c includes
 * this file with HELLO_NO_MAIN defined.
 */
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
int main(void)
{
    /* A server needs a link to listen on. The only link today is the
     * simulated network, where hello_sim runs this code against the client;
     * over TUN this main will create a real-time host with
     * synack_host_create(&h, &cfg, &tun_link) and call hello_server(h, 8080). */
    fprintf(stderr, "hello_server: no TUN link in this build; run hello_sim, which runs this\n"
                    "server and hello_client on a simulated network.\n");
    return 0;
}
#endif
