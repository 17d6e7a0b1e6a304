/*
 * kernel_hello_server.c — the tutorial's server on the kernel's own BSD
 * sockets: accept one client on port 8080, write "Hello, Client!", close.
 *
 * It is hello_server.c call for call, without the synack_host_ prefix
 * (socket, setsockopt, bind, listen, accept, write, close), so the two can
 * be compared line by line, and either server can be reached by either
 * client (tests/interop/hello.sh runs all four pairings over TUN).
 *
 *     kernel_hello_server [--port N]
 *
 * It does not use synack (the build links every example with it; harmless).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 8080

int main(int argc, char **argv)
{
    int port = PORT;
    if (argc == 3 && !strcmp(argv[1], "--port")) {
        char *end;
        long v = strtol(argv[2], &end, 10);
        if (!argv[2][0] || *end || v < 1 || v > 65535) {
            fprintf(stderr, "kernel_hello_server: --port '%s': a port is a number from 1 to 65535\n", argv[2]);
            return 2;
        }
        port = (int)v;
    } else if (argc != 1) {
        fprintf(stderr, "usage: kernel_hello_server [--port N]\n");
        return 2;
    }

    const char *hello = "Hello, Client!";
    struct sockaddr_in address;
    socklen_t addrlen = sizeof address;

    int server_fd = socket(AF_INET, SOCK_STREAM, 0);
    if (server_fd < 0) {
        perror("socket failed");
        return 1;
    }
    int opt = 1;
    if (setsockopt(server_fd, SOL_SOCKET, SO_REUSEADDR, &opt, sizeof opt) < 0) {
        perror("setsockopt");
        return 1;
    }
    memset(&address, 0, sizeof address);
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_ANY);
    address.sin_port = htons((uint16_t)port);
    if (bind(server_fd, (struct sockaddr *)&address, sizeof address) < 0) {
        perror("bind failed");
        return 1;
    }
    if (listen(server_fd, 3) < 0) {
        perror("listen");
        return 1;
    }
    fprintf(stderr, "server: listening on port %d\n", port);

    int new_socket = accept(server_fd, (struct sockaddr *)&address, &addrlen);
    if (new_socket < 0) {
        perror("accept");
        return 1;
    }
    ssize_t n = write(new_socket, hello, strlen(hello));
    if (n < 0) perror("write");

    close(new_socket);
    close(server_fd);
    return n < 0 ? 1 : 0;
}
