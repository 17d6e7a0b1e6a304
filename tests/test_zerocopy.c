/*
 * test_zerocopy.c — the zero-copy calls (synack_send_reserve/commit,
 * synack_recv_peek/consume) between two stacks joined by an in-memory link
 * on a virtual clock: 2 MB each way byte-exact, mixed with the copying
 * calls; and misuse, which must be -EINVAL and change nothing: committing
 * more than reserved, consuming more than peeked, either with no view open
 * or after another call closed it, and a commit after the connection was
 * reset (run under ASan by `make asan-test`). The several-piece calls
 * (synack_send_reservev, synack_recv_peekv): 64 KB per call byte-exact, and
 * their misuse. The receive fast path, which checks a segment's checksum
 * while copying its payload into the receive buffer: corrupted in-order
 * segments (and corrupted ones while data is parked out of order) are
 * dropped and counted, and nothing of them reaches the application.
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

/* 64 KB per reservev/peekv, one commit/consume each: byte-exact. */
static void several_pieces_byte_exact(void)
{
    int a, b;
    connect_pair(&a, &b);
    REQUIRE(b >= 0);
    const uint64_t total = 3000000;
    uint64_t sent = 0, got = 0;
    int bad = 0, max_pieces = 0;
    for (int round = 0; round < 100000 && got < total; round++) {
        while (sent < total) {
            struct iovec iov[20];
            int cnt = 20;
            size_t want = total - sent < 65536 ? (size_t)(total - sent) : 65536;
            ssize_t n = synack_send_reservev(A, a, iov, &cnt, want);
            if (n == -EAGAIN) break;
            REQUIRE(n > 0);
            size_t sum = 0;
            for (int i = 0; i < cnt; i++) {
                for (size_t j = 0; j < iov[i].iov_len; j++) ((uint8_t *)iov[i].iov_base)[j] = pat(sent + sum + j);
                sum += iov[i].iov_len;
            }
            CHECK_EQ(sum, (size_t)n);
            CHECK((size_t)n <= want);
            /* Commit all but a few bytes now and then: those are dropped. */
            size_t keep = (round % 3 == 0 && n > 10) ? (size_t)n - 7 : (size_t)n;
            REQUIRE(synack_send_commit(A, a, keep) == 0);
            sent += keep;
        }
        pump(1);
        for (;;) {
            struct iovec iov[20];
            int cnt = 20;
            ssize_t n = synack_recv_peekv(B, b, iov, &cnt);
            if (n <= 0) break;
            if (cnt > max_pieces) max_pieces = cnt;
            size_t sum = 0;
            for (int i = 0; i < cnt; i++) {
                const uint8_t *v = iov[i].iov_base;
                for (size_t j = 0; j < iov[i].iov_len && bad < 3; j++)
                    if (v[j] != pat(got + sum + j)) {
                        HARNESS_FAIL("byte %llu differs", (unsigned long long)(got + sum + j));
                        bad++;
                    }
                sum += iov[i].iov_len;
            }
            CHECK_EQ(sum, (size_t)n);
            size_t take = (round % 2) && n > 100 ? (size_t)n / 2 : (size_t)n; /* partial consumes too */
            REQUIRE(synack_recv_consume(B, b, take) == 0);
            got += take;
        }
    }
    CHECK_EQ(got, total);
    CHECK(max_pieces > 1); /* views did span several chunks */
    teardown();
}

static void several_pieces_misuse(void)
{
    int a, b;
    connect_pair(&a, &b);
    REQUIRE(b >= 0);
    struct iovec iov[4];
    int cnt = 0;
    CHECK_EQ(synack_send_reservev(A, a, iov, &cnt, 100), -EINVAL);   /* no room for a piece */
    cnt = 4;
    CHECK_EQ(synack_send_reservev(A, a, NULL, &cnt, 100), -EINVAL);
    CHECK_EQ(synack_send_reservev(A, a, iov, NULL, 100), -EINVAL);
    CHECK_EQ(synack_send_reservev(A, a, iov, &cnt, 0), -EINVAL);
    CHECK_EQ(synack_send_reservev(A, 999, iov, &cnt, 10), -EBADF);
    ssize_t n = synack_send_reservev(A, a, iov, &cnt, 10000);
    REQUIRE(n == 10000);
    CHECK(cnt >= 3 && cnt <= 4);                                       /* 4 KB chunks */
    size_t off = 0;
    for (int i = 0; i < cnt; i++) {
        memset(iov[i].iov_base, 'a' + i, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    CHECK_EQ(off, (size_t)10000);
    CHECK_EQ(synack_send_commit(A, a, 10001), -EINVAL);              /* more than reserved */
    CHECK_EQ(synack_send_commit(A, a, 9000), 0);
    CHECK_EQ(synack_send_commit(A, a, 1), -EINVAL);                  /* the view is closed */
    /* Only one piece of room: the view stops at one chunk. */
    cnt = 1;
    n = synack_send_reservev(A, a, iov, &cnt, 10000);
    REQUIRE(n > 0 && n <= 4096);
    CHECK_EQ(cnt, 1);
    CHECK_EQ(synack_send_commit(A, a, 0), 0);                        /* cancelled */
    pump(20);
    cnt = 0;
    CHECK_EQ(synack_recv_peekv(B, b, iov, &cnt), -EINVAL);
    CHECK_EQ(synack_recv_peekv(B, b, NULL, &cnt), -EINVAL);
    cnt = 4;
    n = synack_recv_peekv(B, b, iov, &cnt);
    REQUIRE(n == 9000);
    uint8_t *all = malloc(9000);
    REQUIRE(all != NULL);
    off = 0;
    for (int i = 0; i < cnt; i++) {
        memcpy(all + off, iov[i].iov_base, iov[i].iov_len);
        off += iov[i].iov_len;
    }
    CHECK_EQ(off, (size_t)9000);
    /* The bytes are the committed ones, in order (pieces of the sender's
     * reservation were filled with a, b, c, ...). */
    size_t first = 4096; /* the send buffer was empty: the first piece is a whole chunk */
    CHECK_EQ(all[0], 'a');
    CHECK_EQ(all[first - 1], 'a');
    CHECK_EQ(all[first], 'b');
    CHECK_EQ(all[8999], 'c');
    free(all);
    CHECK_EQ(synack_recv_consume(B, b, 9001), -EINVAL);              /* more than peeked */
    CHECK_EQ(synack_recv_consume(B, b, 9000), 0);
    CHECK_EQ(synack_recv_consume(B, b, 1), -EINVAL);                 /* the view is closed */
    cnt = 4;
    CHECK_EQ(synack_recv_peekv(B, b, iov, &cnt), -EAGAIN);            /* nothing left */
    teardown();
}

/* A copy of packet i of q with one payload bit flipped (a TCP checksum
 * error: the IPv4 header stays intact). */
static uint8_t *corrupted(const struct queue *q, size_t i, size_t where)
{
    uint8_t *p = malloc(q->len[i]);
    memcpy(p, q->pkt[i], q->len[i]);
    size_t hl = (size_t)(p[0] & 0x0f) * 4u, tl = (size_t)(p[hl + 12] >> 4) * 4u;
    size_t plen = q->len[i] - hl - tl;
    p[hl + tl + where % plen] ^= 0x10;
    return p;
}

static uint64_t csum_errors(synack_stack *s)
{
    struct synack_counters k;
    synack_stack_get_counters(s, &k);
    return k.in_csum_errors;
}

/* Every data segment arrives corrupted first, then intact: in order (the
 * fast path, which copies while it sums), and in pairs swapped so that data
 * is parked out of order when the corrupted copy comes (the ordinary path).
 * Each corrupted copy is counted and dropped; the bytes read are exact. */
static void corrupted_segments_dropped(void)
{
    for (int swapped = 0; swapped < 2; swapped++) {
        int a, b;
        connect_pair(&a, &b);
        REQUIRE(b >= 0);
        const size_t total = 40000; /* ~28 segments, across many 4 KB chunks */
        uint8_t *src = malloc(total);
        REQUIRE(src != NULL);
        for (size_t i = 0; i < total; i++) src[i] = pat(i * 7 + 3);
        size_t sent = 0, got = 0;
        uint64_t errs0 = csum_errors(B), bad_sent = 0;
        int bad = 0;
        for (int round = 0; round < 200 && got < total; round++) {
            if (sent < total) {
                ssize_t n = synack_send(A, a, src + sent, total - sent);
                if (n > 0) sent += (size_t)n;
            }
            now_us += 100;
            synack_stack_poll(A, now_us);
            struct queue q = to_b;
            to_b.n = 0;
            for (size_t i = 0; i < q.n; i++) {
                size_t j = swapped && i + 1 < q.n && i % 2 == 0 ? i + 1 : swapped && i % 2 == 1 ? i - 1 : i;
                if (q.len[j] > 80) { /* data: its corrupted twin first */
                    uint8_t *c = corrupted(&q, j, (size_t)round * 131 + j * 17);
                    synack_stack_input(B, c, q.len[j], now_us);
                    free(c);
                    bad_sent++;
                }
                synack_stack_input(B, q.pkt[j], q.len[j], now_us);
            }
            for (size_t i = 0; i < q.n; i++) free(q.pkt[i]);
            uint8_t tmp[4096];
            ssize_t n;
            while ((n = synack_recv(B, b, tmp, sizeof tmp)) > 0) {
                if (got + (size_t)n > total || memcmp(tmp, src + got, (size_t)n) != 0) {
                    if (bad++ < 1) HARNESS_FAIL("swapped %d: bytes %zu..%zu differ", swapped, got, got + (size_t)n);
                }
                got += (size_t)n;
            }
            now_us += 100;
            synack_stack_poll(B, now_us);
            deliver(&to_a, A);
        }
        CHECK_EQ(got, total);
        CHECK(bad_sent > 20);
        CHECK_EQ(csum_errors(B) - errs0, bad_sent);
        free(src);
        teardown();
    }
}

TEST_MAIN(TEST(byte_exact_each_way), TEST(misuse), TEST(several_pieces_byte_exact), TEST(several_pieces_misuse),
          TEST(corrupted_segments_dropped))
