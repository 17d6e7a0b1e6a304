/*
 * test_zerocopy.c — the zero-copy calls (synack_send_reserve/commit,
 * synack_recv_peek/consume) between two stacks joined by an in-memory link
 * on a virtual clock: 2 MB each way byte-exact, mixed with the copying
 * calls; and misuse, which must be -EINVAL and change nothing: committing
 * more than reserved, consuming more than peeked, either with no view open
 * or after another call closed it, and a commit after the connection was
 * reset (run under ASan by `make asan-test`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "synack/synack.h"

#define QMAX 4096
struct queue {
    uint8_t *pkt[QMAX];
    size_t len[QMAX];
    size_t n;
};
static struct queue to_a, to_b;
static synack_stack *A, *B;
static uint64_t now_us = 1000;

static void out_a(void *ctx, const uint8_t *p, size_t len) /* A's packets go to B */
{
    (void)ctx;
    if (to_b.n == QMAX) return;
    to_b.pkt[to_b.n] = malloc(len);
    memcpy(to_b.pkt[to_b.n], p, len);
    to_b.len[to_b.n++] = len;
}
static void out_b(void *ctx, const uint8_t *p, size_t len)
{
    (void)ctx;
    if (to_a.n == QMAX) return;
    to_a.pkt[to_a.n] = malloc(len);
    memcpy(to_a.pkt[to_a.n], p, len);
    to_a.len[to_a.n++] = len;
}

static void deliver(struct queue *q, synack_stack *s)
{
    struct queue batch = *q;
    q->n = 0;
    for (size_t i = 0; i < batch.n; i++) {
        synack_stack_input(s, batch.pkt[i], batch.len[i], now_us);
        free(batch.pkt[i]);
    }
}

/* Moves packets both ways until the link is quiet (or rounds run out). */
static void pump(int rounds)
{
    for (int r = 0; r < rounds; r++) {
        now_us += 100;
        synack_stack_poll(A, now_us);
        synack_stack_poll(B, now_us);
        if (!to_a.n && !to_b.n) {
            now_us += 50000; /* let delayed ACKs and timers run */
            synack_stack_poll(A, now_us);
            synack_stack_poll(B, now_us);
            if (!to_a.n && !to_b.n) return;
        }
        deliver(&to_b, B);
        deliver(&to_a, A);
    }
}

static synack_stack *make(uint32_t addr, synack_output_fn out)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = addr;
    cfg.output = out;
    cfg.tunables.rcvbuf = cfg.tunables.sndbuf = 262144;
    memset(cfg.secret, addr & 0xff, sizeof cfg.secret);
    synack_stack *s = NULL;
    synack_stack_create(&s, &cfg);
    return s;
}

/* A connected pair: *ca on A, *cb on B. */
static void connect_pair(int *ca, int *cb)
{
    A = make(synack_ipv4(10, 0, 0, 1), out_a);
    B = make(synack_ipv4(10, 0, 0, 2), out_b);
    int l = synack_socket(B);
    struct synack_endpoint ep = {synack_ipv4(10, 0, 0, 2), 5000};
    synack_bind(B, l, &ep);
    synack_listen(B, l, 8);
    *ca = synack_socket(A);
    synack_connect(A, *ca, &ep);
    pump(20);
    *cb = synack_accept(B, l, NULL);
    synack_close(B, l);
}

static void teardown(void)
{
    pump(5);
    synack_stack_destroy(A);
    synack_stack_destroy(B);
    for (size_t i = 0; i < to_a.n; i++) free(to_a.pkt[i]);
    for (size_t i = 0; i < to_b.n; i++) free(to_b.pkt[i]);
    to_a.n = to_b.n = 0;
}

static uint8_t pat(uint64_t i) { return (uint8_t)(i % 251); }

/* Sends total bytes from s/sd to r/rd: zero-copy when zc_send/zc_recv,
 * copying otherwise; returns the bytes received in order. */
static uint64_t transfer(synack_stack *s, int sd, synack_stack *r, int rd, uint64_t total, bool zc_send, bool zc_recv)
{
    uint64_t sent = 0, got = 0;
    uint8_t tmp[3000];
    int bad = 0;
    for (int round = 0; round < 200000 && got < total; round++) {
        while (sent < total) {
            size_t want = total - sent < 5000 ? (size_t)(total - sent) : 5000;
            if (zc_send) {
                void *p;
                ssize_t n = synack_send_reserve(s, sd, &p, want);
                if (n == -EAGAIN) break;
                if (n <= 0) return got;
                for (ssize_t i = 0; i < n; i++) ((uint8_t *)p)[i] = pat(sent + (uint64_t)i);
                if (synack_send_commit(s, sd, (size_t)n) != 0) return got;
                sent += (uint64_t)n;
            } else {
                if (want > sizeof tmp) want = sizeof tmp;
                for (size_t i = 0; i < want; i++) tmp[i] = pat(sent + i);
                ssize_t n = synack_send(s, sd, tmp, want);
                if (n == -EAGAIN) break;
                if (n <= 0) return got;
                sent += (uint64_t)n;
            }
        }
        pump(1);
        for (;;) {
            const uint8_t *v;
            ssize_t n;
            if (zc_recv) {
                const void *p;
                n = synack_recv_peek(r, rd, &p);
                v = p;
            } else {
                n = synack_recv(r, rd, tmp, sizeof tmp);
                v = tmp;
            }
            if (n <= 0) break;
            for (ssize_t i = 0; i < n && bad < 3; i++)
                if (v[i] != pat(got + (uint64_t)i)) {
                    HARNESS_FAIL("byte %llu differs", (unsigned long long)(got + (uint64_t)i));
                    bad++;
                }
            if (zc_recv && synack_recv_consume(r, rd, (size_t)n) != 0) return got;
            got += (uint64_t)n;
        }
    }
    return got;
}

static void byte_exact_each_way(void)
{
    int a, b;
    connect_pair(&a, &b);
    REQUIRE(b >= 0);
    CHECK_EQ(transfer(A, a, B, b, 2000000, true, true), 2000000);   /* zero-copy both ends */
    CHECK_EQ(transfer(B, b, A, a, 2000000, true, false), 2000000);  /* zc send, copying recv */
    CHECK_EQ(transfer(A, a, B, b, 1000000, false, true), 1000000);  /* copying send, zc recv */
    teardown();
}

static void misuse(void)
{
    int a, b;
    connect_pair(&a, &b);
    REQUIRE(b >= 0);
    void *p;
    const void *v;
    CHECK_EQ(synack_send_commit(A, a, 1), -EINVAL);          /* nothing reserved */
    CHECK_EQ(synack_send_reserve(A, a, &p, 0), -EINVAL);
    CHECK_EQ(synack_send_reserve(A, a, NULL, 10), -EINVAL);
    ssize_t n = synack_send_reserve(A, a, &p, 100);
    REQUIRE(n == 100);
    memset(p, 'x', 100);
    CHECK_EQ(synack_send_commit(A, a, 101), -EINVAL);        /* more than reserved */
    CHECK_EQ(synack_send_commit(A, a, 60), 0);
    CHECK_EQ(synack_send_commit(A, a, 10), -EINVAL);         /* the view is closed */
    n = synack_send_reserve(A, a, &p, 50);
    REQUIRE(n == 50);
    memset(p, 'y', 50);
    CHECK_EQ(synack_send(A, a, "z", 1), 1);                  /* closes the reservation */
    CHECK_EQ(synack_send_commit(A, a, 50), -EINVAL);
    pump(20);
    /* B got exactly 60 x and one z: nothing from the refused commits. */
    CHECK_EQ(synack_recv_consume(B, b, 1), -EINVAL);         /* nothing peeked */
    n = synack_recv_peek(B, b, &v);
    REQUIRE(n == 61);
    CHECK(memcmp(v, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxz", 61) == 0);
    CHECK_EQ(synack_recv_consume(B, b, 62), -EINVAL);        /* more than peeked */
    CHECK_EQ(synack_recv_consume(B, b, 10), 0);
    CHECK_EQ(synack_recv_consume(B, b, 1), -EINVAL);         /* the view is closed */
    n = synack_recv_peek(B, b, &v);
    CHECK_EQ(n, 51);
    char buf[8];
    CHECK_EQ(synack_recv(B, b, buf, 1), 1);                  /* closes the view */
    CHECK_EQ(synack_recv_consume(B, b, 1), -EINVAL);
    CHECK_EQ(synack_recv(B, b, buf, 8), 8);
    /* A reset between reserve and commit: the commit fails cleanly. */
    n = synack_send_reserve(A, a, &p, 4000);
    REQUIRE(n > 0);
    struct synack_linger lg = {1, 0};
    synack_setsockopt(B, b, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    synack_close(B, b);
    pump(5);
    memset(p, 'q', (size_t)n); /* still A's memory: ASan would object otherwise */
    CHECK(synack_send_commit(A, a, (size_t)n) != 0);
    CHECK(synack_send_reserve(A, a, &p, 10) < 0);            /* ECONNRESET, then EPIPE */
    CHECK_EQ(synack_recv_peek(A, a, &v) <= 0, 1);
    teardown();
}

TEST_MAIN(TEST(byte_exact_each_way), TEST(misuse))
