/*
 * outside.c — a program outside the synack tree, built against an installed
 * synack (tests/install/check.sh: once with pkg-config, once with CMake's
 * find_package). Two sans-I/O stacks in one process, joined by a packet
 * queue: the client connects, sends "ping", the server answers "pong".
 * Prints "outside: pong" and exits 0 when the exchange completed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <synack/synack.h>

#define QUEUE_CAP 64

struct packet {
    int to;
    size_t len;
    unsigned char bytes[2048];
};
static struct packet queue[QUEUE_CAP];
static size_t queued;

static void output(void *ctx, const uint8_t *pkt, size_t len)
{
    if (queued == QUEUE_CAP || len > sizeof queue[0].bytes) return; /* dropped: TCP retransmits */
    queue[queued].to = *(int *)ctx;
    queue[queued].len = len;
    memcpy(queue[queued].bytes, pkt, len);
    queued++;
}

int main(void)
{
    synack_stack *st[2];
    static int to[2] = {1, 0};
    for (int i = 0; i < 2; i++) {
        struct synack_config cfg;
        synack_config_init(&cfg);
        cfg.addr = synack_ipv4(10, 0, 0, (uint8_t)(i + 1));
        cfg.output = output;
        cfg.output_ctx = &to[i];
        cfg.secret[0] = (uint8_t)(i + 1);
        if (synack_stack_create(&st[i], &cfg) < 0) return 1;
    }
    int ls = synack_socket(st[1]);
    if (synack_bind(st[1], ls, &(struct synack_endpoint){0, 7}) < 0 || synack_listen(st[1], ls, 1) < 0)
        return 1;
    int cs = synack_socket(st[0]);
    if (synack_connect(st[0], cs, &(struct synack_endpoint){synack_ipv4(10, 0, 0, 2), 7}) != -EINPROGRESS)
        return 1;
    int as = -1;
    char buf[16] = {0};
    bool sent = false, answered = false;
    uint64_t now = 0;
    for (int step = 0; step < 1000 && !buf[0]; step++, now += 1000) {
        for (int i = 0; i < 2; i++) synack_stack_poll(st[i], now);
        struct packet batch[QUEUE_CAP];
        size_t n = queued;
        memcpy(batch, queue, n * sizeof batch[0]);
        queued = 0;
        for (size_t k = 0; k < n; k++) synack_stack_input(st[batch[k].to], batch[k].bytes, batch[k].len, now);
        if (as < 0) as = synack_accept(st[1], ls, NULL);
        if (!sent && synack_send(st[0], cs, "ping", 4) == 4) sent = true;
        char req[8];
        if (as >= 0 && !answered && synack_recv(st[1], as, req, sizeof req) == 4 && !memcmp(req, "ping", 4))
            answered = synack_send(st[1], as, "pong", 4) == 4;
        if (synack_recv(st[0], cs, buf, sizeof buf - 1) < 0) buf[0] = 0;
    }
    printf("outside: %s\n", buf[0] ? buf : "(no answer)");
    synack_stack_destroy(st[0]);
    synack_stack_destroy(st[1]);
    return strcmp(buf, "pong") ? 1 : 0;
}
