/*
 * synflood.c — sends spoofed TCP SYNs through a raw socket, for the SYN
 * flood measurement (bench/synflood.sh, docs/SECURITY.md). Run it only
 * inside a network namespace whose routes lead to the stack under test.
 *
 *   synflood DST_ADDR DST_PORT SRC_NET/24 COUNT [SEED]
 *
 * Each SYN comes from a random address of SRC_NET (hosts .3 to .254) and a
 * random port, with a random ISN, MSS, window scale, SACK-permitted and
 * timestamp options like Linux's. Prints how many were sent.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static uint64_t rng_state;
static uint32_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
    for (size_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) s += (uint32_t)p[n - 1] << 8;
    return s;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: synflood DST_ADDR DST_PORT SRC_NET/24 COUNT [SEED]\n");
        return 2;
    }
    struct in_addr dst, net;
    char netbuf[32];
    snprintf(netbuf, sizeof netbuf, "%s", argv[3]);
    char *slash = strchr(netbuf, '/');
    if (slash) *slash = '\0';
    if (!inet_aton(argv[1], &dst) || !inet_aton(netbuf, &net)) {
        fprintf(stderr, "synflood: bad address\n");
        return 2;
    }
    uint16_t dport = (uint16_t)atoi(argv[2]);
    unsigned long count = strtoul(argv[4], NULL, 10);
    rng_state = argc > 5 ? strtoull(argv[5], NULL, 10) | 1 : 88172645463325252ull;
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        perror("synflood: raw socket");
        return 1;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
    uint8_t p[60];
    unsigned long sent = 0, dropped = 0;
    uint32_t base = ntohl(net.s_addr) & 0xffffff00u;
    for (unsigned long i = 0; i < count; i++) {
        memset(p, 0, sizeof p);
        uint32_t src = base | (3 + rnd() % 252);
        /* IPv4 */
        p[0] = 0x45;
        p[2] = 0, p[3] = 60;
        p[4] = (uint8_t)(i >> 8), p[5] = (uint8_t)i;
        p[6] = 0x40; /* DF */
        p[8] = 64;
        p[9] = 6;
        p[12] = (uint8_t)(src >> 24), p[13] = (uint8_t)(src >> 16), p[14] = (uint8_t)(src >> 8), p[15] = (uint8_t)src;
        memcpy(p + 16, &dst.s_addr, 4);
        uint16_t ipc = fold(sum16(p, 20, 0));
        p[10] = (uint8_t)(ipc >> 8), p[11] = (uint8_t)ipc;
        /* TCP SYN with MSS, SACK-permitted, timestamps, NOP, window scale */
        uint8_t *t = p + 20;
        uint16_t sport = (uint16_t)(1024 + rnd() % 64000);
        uint32_t isn = rnd();
        t[0] = (uint8_t)(sport >> 8), t[1] = (uint8_t)sport;
        t[2] = (uint8_t)(dport >> 8), t[3] = (uint8_t)dport;
        t[4] = (uint8_t)(isn >> 24), t[5] = (uint8_t)(isn >> 16), t[6] = (uint8_t)(isn >> 8), t[7] = (uint8_t)isn;
        t[12] = 10 << 4;
        t[13] = 0x02;
        t[14] = 0xfa, t[15] = 0xf0;
        static const uint8_t opts[20] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7};
        memcpy(t + 20, opts, sizeof opts);
        uint32_t tsval = rnd();
        t[28] = (uint8_t)(tsval >> 24), t[29] = (uint8_t)(tsval >> 16), t[30] = (uint8_t)(tsval >> 8), t[31] = (uint8_t)tsval;
        uint32_t ps = sum16(p + 12, 8, 0) + 6 + 40;
        uint16_t tc = fold(sum16(t, 40, ps));
        t[16] = (uint8_t)(tc >> 8), t[17] = (uint8_t)tc;
        if (sendto(fd, p, 60, 0, (struct sockaddr *)&to, sizeof to) == 60) {
            sent++;
        } else if (errno == ENOBUFS || errno == EAGAIN) {
            dropped++; /* the interface queue is full: count it, go on */
        } else {
            perror("synflood: sendto");
            return 1;
        }
    }
    printf("synflood: %lu SYNs sent, %lu refused by the local queue\n", sent, dropped);
    return 0;
}
