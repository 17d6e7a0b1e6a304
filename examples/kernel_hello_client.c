/*
 * kernel_hello_client.c — the tutorial's client on the kernel's own BSD
 * sockets: connect, read the greeting, print "Message from server: ...",
 * close.
 *
 * It is hello_client.c call for call, without the synack_host_ prefix
 * (socket, connect, read, printf, close); either client reaches either
 * server (tests/interop/hello.sh runs all four pairings over TUN).
 *
 *     kernel_hello_client HOST:PORT      (HOST: an IPv4 address)
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

int main(int argc, char **argv)
{
    char host[32];
    const char *colon = argc == 2 ? strrchr(argv[1], ':') : NULL;
    if (!colon || (size_t)(colon - argv[1]) >= sizeof host) {
        fprintf(stderr, "usage: kernel_hello_client HOST:PORT   (e.g. 10.7.0.2:8080)\n");
        return 2;
    }
    memcpy(host, argv[1], (size_t)(colon - argv[1]));
    host[colon - argv[1]] = '\0';
    char *end;
    long port = strtol(colon + 1, &end, 10);
    struct sockaddr_in serv_addr;
    memset(&serv_addr, 0, sizeof serv_addr);
    serv_addr.sin_family = AF_INET;
    serv_addr.sin_port = htons((uint16_t)port);
    if (!colon[1] || *end || port < 1 || port > 65535 ||
        inet_pton(AF_INET, host, &serv_addr.sin_addr) != 1) {
        fprintf(stderr, "kernel_hello_client: '%s': expected an IPv4 address and a port, e.g. 10.7.0.2:8080\n",
                argv[1]);
        return 2;
    }

    char buffer[1024] = {0};
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    if (sock < 0) {
        perror("socket creation error");
        return 1;
    }
    if (connect(sock, (struct sockaddr *)&serv_addr, sizeof serv_addr) < 0) {
        perror("connection failed");
        close(sock);
        return 1;
    }

    /* The tutorial reads once; reading to end of stream is the robust form
     * of the same thing (a greeting may arrive in pieces). */
    size_t got = 0;
    ssize_t n;
    while (got < sizeof buffer - 1 && (n = read(sock, buffer + got, sizeof buffer - 1 - got)) != 0) {
        if (n < 0) {
            if (errno == EINTR) continue;
            perror("read");
            close(sock);
            return 1;
        }
        got += (size_t)n;
    }
    buffer[got] = '\0';
    printf("Message from server: %s\n", buffer);

    close(sock);
    return 0;
}
