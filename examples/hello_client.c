/*
 * hello_client.c — the tutorial's client, with synack's blocking calls:
 * connect, read the greeting, print "Message from server: ...", close.
 *
 * Each BSD call of the tutorial is the same call prefixed synack_host_ on a
 * synack_host (see include/synack/host.h). hello_client() runs on any host;
 * examples/hello_sim.c runs it against hello_server.c on a simulated
 * network. Built alone, the program explains where to run it; hello_sim.c
 * includes this file with HELLO_NO_MAIN defined.
 */
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
int main(void)
{
    /* See hello_server.c: over TUN this main will create a real-time host
     * and call hello_client(h, server_addr, 8080). */
    fprintf(stderr, "hello_client: no TUN link in this build; run hello_sim, which runs this\n"
                    "client and hello_server on a simulated network.\n");
    return 0;
}
#endif
