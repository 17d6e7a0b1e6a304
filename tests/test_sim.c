/*
 * test_sim.c — tests of the simulated network (src/link/sim.c) and the pcap
 * writer (src/link/pcap.c).
 *
 * Owns: fake hosts (not TCP: they log what arrives, send hand-built IPv4/UDP
 * packets on a schedule and return scripted poll deadlines) and temporary
 * capture files. Must not touch: synack internals beyond the public headers.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "synack/pcap.h"
#include "synack/sim.h"

#define NEVER SYNACK_SIM_NEVER
#define ADDR_A 0x0a000001u /* 10.0.0.1 */
#define ADDR_B 0x0a000002u
#define ADDR_C 0x0a000003u

/* ---- packets ---- */

static uint16_t ip_csum(const uint8_t *b, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)b[i] << 8 | b[i + 1];
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put32be(uint8_t *b, uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static uint32_t get32be(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* A minimal IPv4 packet of len >= 28 bytes: 20-byte header (UDP, checksum
 * right), an 8-byte UDP header (no checksum), then a 4-byte tag (if room)
 * and a pattern. The tag lets tests tell packets apart. */
static void make_pkt(uint8_t *buf, size_t len, uint32_t src, uint32_t dst, uint32_t tag)
{
    memset(buf, 0, len);
    buf[0] = 0x45;
    buf[2] = (uint8_t)(len >> 8);
    buf[3] = (uint8_t)len;
    buf[4] = (uint8_t)(tag >> 8);
    buf[5] = (uint8_t)tag;
    buf[8] = 64;
    buf[9] = 17;
    put32be(buf + 12, src);
    put32be(buf + 16, dst);
    uint16_t c = ip_csum(buf, 20);
    buf[10] = (uint8_t)(c >> 8);
    buf[11] = (uint8_t)c;
    buf[20] = 0x30; /* ports 12345 -> 54321 */
    buf[21] = 0x39;
    buf[22] = 0xd4;
    buf[23] = 0x31;
    buf[24] = (uint8_t)((len - 20) >> 8);
    buf[25] = (uint8_t)(len - 20);
    if (len >= 32) put32be(buf + 28, tag);
    for (size_t i = 32; i < len; i++) buf[i] = (uint8_t)(i * 7 + tag);
}

static uint32_t pkt_tag(const uint8_t *pkt, size_t len)
{
    return len >= 32 ? get32be(pkt + 28) : 0;
}

/* ---- fake hosts ---- */

struct rx {
    uint64_t t;
    uint32_t tag;
    size_t len;
    uint8_t data[64]; /* first bytes only */
};

struct fake_host {
    struct synack_sim *sim;
    int id;
    uint32_t addr;

    struct rx *rx;
    size_t n_rx, cap_rx;

    /* Scripted deadlines: poll() returns script[n_polls] (NEVER past the end). */
    const uint64_t *script;
    size_t script_len;
    size_t n_polls;
    uint64_t poll_times[16];

    /* Periodic sender: from send_at, every send_every us, send_count packets. */
    uint32_t send_dst;
    size_t send_len;
    uint64_t send_at, send_every;
    uint32_t send_count, sent;

    /* Echo: reply to every packet received (sent from poll, not deliver). */
    int echo;
    uint32_t echo_pending[256];
    size_t n_echo;

    uint64_t *hash; /* when set, fold each delivery into this FNV-1a hash */
};

static void fnv(uint64_t *h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 0x100000001b3ull;
    }
}

static void fake_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    struct fake_host *h = ctx;
    if (h->n_rx == h->cap_rx) {
        h->cap_rx = h->cap_rx ? h->cap_rx * 2 : 64;
        h->rx = realloc(h->rx, h->cap_rx * sizeof *h->rx);
        if (!h->rx) abort();
    }
    struct rx *r = &h->rx[h->n_rx++];
    r->t = now;
    r->tag = pkt_tag(pkt, len);
    r->len = len;
    memset(r->data, 0, sizeof r->data); /* short packets: compare defined bytes only */
    memcpy(r->data, pkt, len < sizeof r->data ? len : sizeof r->data);
    if (h->hash) {
        fnv(h->hash, &now, sizeof now);
        fnv(h->hash, &h->id, sizeof h->id);
        fnv(h->hash, pkt, len);
    }
    if (h->echo && h->n_echo < 256) h->echo_pending[h->n_echo++] = get32be(pkt + 12);
}

static uint64_t fake_poll(void *ctx, uint64_t now)
{
    struct fake_host *h = ctx;
    if (h->n_polls < 16) h->poll_times[h->n_polls] = now;
    size_t k = h->n_polls++;
    uint64_t dl = k < h->script_len ? h->script[k] : NEVER;

    uint8_t buf[1500];
    while (h->sent < h->send_count && h->send_at <= now) {
        make_pkt(buf, h->send_len, h->addr, h->send_dst, h->sent);
        CHECK_EQ(synack_sim_send(h->sim, h->id, buf, h->send_len), 0);
        h->sent++;
        h->send_at += h->send_every;
    }
    if (h->sent < h->send_count && h->send_at < dl) dl = h->send_at;

    for (size_t i = 0; i < h->n_echo; i++) {
        make_pkt(buf, 40, h->addr, h->echo_pending[i], 0xec00u + (uint32_t)i);
        CHECK_EQ(synack_sim_send(h->sim, h->id, buf, 40), 0);
    }
    h->n_echo = 0;
    return dl;
}

static const struct synack_sim_host_ops fake_ops = {fake_deliver, fake_poll};

static void host_init(struct fake_host *h, struct synack_sim *sim, uint32_t addr)
{
    memset(h, 0, sizeof *h);
    h->sim = sim;
    h->addr = addr;
    h->id = synack_sim_add_host(sim, addr, &fake_ops, h);
}

static void host_free(struct fake_host *h)
{
    free(h->rx);
    h->rx = NULL;
}

/* Runs until nothing is left at or before limit. */
static void run(struct synack_sim *sim, uint64_t limit)
{
    while (synack_sim_step(sim, limit) != NEVER) {}
}

static int send_tagged(struct synack_sim *sim, int from, uint32_t src, uint32_t dst,
                       size_t len, uint32_t tag)
{
    uint8_t buf[1500];
    make_pkt(buf, len, src, dst, tag);
    return synack_sim_send(sim, from, buf, len);
}

/* A tap that counts fates and remembers the last call. */
struct tap_log {
    uint64_t fates[5];
    uint64_t dups;
    int last_from, last_to;
    enum synack_sim_fate last_fate;
    uint8_t last_bytes[64];
};

static void tap_fn(void *ctx, int from, int to, const uint8_t *pkt, size_t len, uint64_t now,
                   enum synack_sim_fate fate, int dup)
{
    struct tap_log *t = ctx;
    (void)now;
    t->fates[fate]++;
    t->dups += (uint64_t)dup;
    t->last_from = from;
    t->last_to = to;
    t->last_fate = fate;
    memcpy(t->last_bytes, pkt, len < 64 ? len : 64);
}

/* Two hosts A, B joined by one link; the hosts start idle (deadline NEVER
 * after their first poll, which run() performs). */
struct pair {
    struct synack_sim *sim;
    struct fake_host a, b;
    int link;
};

static int pair_init(struct pair *p, uint64_t seed, const struct synack_sim_link_params *ab,
                     const struct synack_sim_link_params *ba)
{
    p->sim = synack_sim_create(seed);
    if (!p->sim) return -1;
    host_init(&p->a, p->sim, ADDR_A);
    host_init(&p->b, p->sim, ADDR_B);
    p->link = synack_sim_link(p->sim, p->a.id, p->b.id, ab, ba);
    if (p->a.id != 0 || p->b.id != 1 || p->link != 0) return -1;
    /* First step: new hosts are polled at time 0. */
    if (synack_sim_step(p->sim, NEVER) != 0) return -1;
    return 0;
}

static void pair_free(struct pair *p)
{
    host_free(&p->a);
    host_free(&p->b);
    synack_sim_destroy(p->sim);
}

/* ---- tests ---- */

static void test_delay_exact(void)
{
    struct synack_sim_link_params ab = {.delay_us = 5000}, ba = {.delay_us = 700};
    struct pair p;
    REQUIRE(pair_init(&p, 1, &ab, &ba) == 0);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 40, 1), 0);
    CHECK_EQ(synack_sim_next_event(p.sim), 5000);
    CHECK_EQ(synack_sim_step(p.sim, NEVER), 5000);
    REQUIRE(p.b.n_rx == 1);
    CHECK_EQ(p.b.rx[0].t, 5000);
    CHECK_EQ(p.b.rx[0].tag, 1);

    /* Sent at 5000 from B: arrives at A at 5700. */
    CHECK_EQ(send_tagged(p.sim, 1, ADDR_B, ADDR_A, 40, 2), 0);
    CHECK_EQ(synack_sim_step(p.sim, NEVER), 5700);
    REQUIRE(p.a.n_rx == 1);
    CHECK_EQ(p.a.rx[0].t, 5700);
    CHECK_EQ(synack_sim_step(p.sim, NEVER), NEVER);

    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.sent, 2);
    CHECK_EQ(st.delivered, 2);
    pair_free(&p);
}

static void test_bandwidth(void)
{
    /* 1250 bytes = 10000 bits at 10 Mbit/s = 1000 us each. */
    struct synack_sim_link_params ab = {.delay_us = 100, .bandwidth_bps = 10000000};
    struct pair p;
    REQUIRE(pair_init(&p, 1, &ab, &ab) == 0);
    for (uint32_t i = 0; i < 5; i++) CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 1250, i), 0);
    run(p.sim, NEVER);
    REQUIRE(p.b.n_rx == 5);
    for (size_t i = 0; i < 5; i++) {
        CHECK_EQ(p.b.rx[i].t, 1000 * (i + 1) + 100);
        CHECK_EQ(p.b.rx[i].tag, i);
    }
    /* Rounding up: 41 bytes = 328 bits = 32.8 us -> 33 us. */
    uint64_t t0 = synack_sim_now(p.sim);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 41, 9), 0);
    CHECK_EQ(synack_sim_step(p.sim, NEVER), t0 + 33 + 100);
    pair_free(&p);
}

static void test_queue_limit(void)
{
    /* One packet on the wire, two (2500 bytes) waiting; the rest dropped. */
    struct synack_sim_link_params ab = {.bandwidth_bps = 10000000, .queue_limit = 2500};
    struct pair p;
    REQUIRE(pair_init(&p, 1, &ab, &ab) == 0);
    struct tap_log tl = {0};
    synack_sim_set_tap(p.sim, tap_fn, &tl);
    for (uint32_t i = 0; i < 5; i++) CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 1250, i), 0);
    CHECK_EQ(tl.fates[SYNACK_SIM_SENT], 3);
    CHECK_EQ(tl.fates[SYNACK_SIM_QUEUE_DROP], 2);
    CHECK_EQ(tl.last_fate, SYNACK_SIM_QUEUE_DROP);
    CHECK_EQ(tl.last_to, 1);

    /* At 1000 the first has gone and the second started: room for one. */
    CHECK_EQ(synack_sim_step(p.sim, NEVER), 1000);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 1250, 10), 0);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 1250, 11), 0);
    CHECK_EQ(tl.fates[SYNACK_SIM_SENT], 4);
    CHECK_EQ(tl.fates[SYNACK_SIM_QUEUE_DROP], 3);
    run(p.sim, NEVER);
    REQUIRE(p.b.n_rx == 4);
    uint32_t want[4] = {0, 1, 2, 10};
    for (size_t i = 0; i < 4; i++) {
        CHECK_EQ(p.b.rx[i].tag, want[i]);
        CHECK_EQ(p.b.rx[i].t, 1000 * (i + 1));
    }
    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.queue_drops, 3);
    CHECK_EQ(st.sent, 7);
    CHECK_EQ(st.delivered, 4);
    pair_free(&p);
}

static uint64_t run_loss(uint64_t seed, double loss, uint64_t n)
{
    struct synack_sim_link_params ab = {.delay_us = 10, .loss = loss};
    struct pair p;
    if (pair_init(&p, seed, &ab, &ab) != 0) return UINT64_MAX;
    uint8_t buf[40];
    for (uint64_t i = 0; i < n; i++) {
        make_pkt(buf, sizeof buf, ADDR_A, ADDR_B, (uint32_t)i);
        if (synack_sim_send(p.sim, 0, buf, sizeof buf) != 0) return UINT64_MAX;
        /* Keep the heap small: drain every 1000 packets. */
        if (i % 1000 == 999) run(p.sim, NEVER);
    }
    run(p.sim, NEVER);
    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.sent, n);
    CHECK_EQ(st.delivered + st.lost, n);
    CHECK_EQ(p.b.n_rx, st.delivered);
    pair_free(&p);
    return st.lost;
}

static void test_loss_rate(void)
{
    const uint64_t n = 100000;
    uint64_t lost = run_loss(42, 0.2, n);
    double rate = (double)lost / (double)n;
    CHECK(rate > 0.19 && rate < 0.21);
    CHECK_EQ(run_loss(42, 0.2, n), lost);
    CHECK(run_loss(43, 0.2, n) != lost);
    CHECK_EQ(run_loss(7, 0.0, 10000), 0);
    CHECK_EQ(run_loss(7, 1.0, 10000), 10000);
}

/* Gilbert-Elliott bursty loss: the long-run loss is enter/(enter+leave)
 * and the losses come in runs of 1/leave on average; a link without it
 * draws exactly what it drew before (its random stream is unchanged). */
static void lost_tap(void *ctx, int from, int to, const uint8_t *pkt, size_t len, uint64_t now,
                     enum synack_sim_fate fate, int dup)
{
    (void)from, (void)to, (void)pkt, (void)len, (void)now, (void)dup;
    uint64_t *t = ctx; /* t[0]: packets, t[1]: lost, t[2]: runs, t[3]: previous lost */
    int lost = fate == SYNACK_SIM_LOST;
    t[0]++;
    t[1] += (uint64_t)lost;
    t[2] += (uint64_t)(lost && !t[3]);
    t[3] = (uint64_t)lost;
}

static void test_bursty_loss(void)
{
    struct synack_sim_link_params ab = {.delay_us = 10, .ge_enter = 0.02, .ge_leave = 0.2, .ge_loss = 1.0};
    struct pair p;
    REQUIRE(pair_init(&p, 5, &ab, &ab) == 0);
    uint64_t t[4] = {0};
    synack_sim_set_tap(p.sim, lost_tap, t);
    uint8_t buf[40];
    const uint64_t n = 200000;
    for (uint64_t i = 0; i < n; i++) {
        make_pkt(buf, sizeof buf, ADDR_A, ADDR_B, (uint32_t)i);
        /* over the link, whatever the destination address */
        CHECK_EQ(synack_sim_send_on(p.sim, p.link, p.a.id, buf, sizeof buf), 0);
        if (i % 1000 == 999) synack_sim_advance(p.sim, synack_sim_now(p.sim) + 100);
    }
    synack_sim_advance(p.sim, synack_sim_now(p.sim) + 100);
    CHECK_EQ(t[0], n);
    double rate = (double)t[1] / (double)n, run_len = (double)t[1] / (double)t[2];
    CHECK(rate > 0.08 && rate < 0.102);  /* 0.02 / 0.22 = 0.0909 */
    CHECK(run_len > 4.5 && run_len < 5.5); /* 1 / 0.2 */
    CHECK_EQ(p.b.n_rx, n - t[1]);
    /* advance() moved the clock and delivered everything due */
    CHECK(synack_sim_now(p.sim) >= 200u * 100u);
    CHECK_EQ(synack_sim_send_on(p.sim, p.link + 1, p.a.id, buf, sizeof buf), -EINVAL);
    pair_free(&p);
    /* a link without the chain: same seed, same losses */
    CHECK_EQ(run_loss(42, 0.2, 100000), run_loss(42, 0.2, 100000));
}

static void test_reorder(void)
{
    struct synack_sim_link_params ab = {.delay_us = 100, .reorder = 0.5, .reorder_us = 1000};
    struct pair p;
    REQUIRE(pair_init(&p, 5, &ab, &ab) == 0);
    /* One packet every 10 us; tag i was sent at 10 * i. */
    p.a.send_dst = ADDR_B;
    p.a.send_len = 40;
    p.a.send_at = 0;
    p.a.send_every = 10;
    p.a.send_count = 200;
    synack_sim_poll_hosts(p.sim);
    run(p.sim, NEVER);
    REQUIRE(p.b.n_rx == 200);
    size_t inversions = 0, held = 0;
    for (size_t i = 0; i < p.b.n_rx; i++) {
        uint64_t base = 10 * (uint64_t)p.b.rx[i].tag + 100;
        CHECK(p.b.rx[i].t >= base && p.b.rx[i].t <= base + 1000);
        if (p.b.rx[i].t > base) held++;
        if (i > 0 && p.b.rx[i].tag < p.b.rx[i - 1].tag) inversions++;
    }
    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.reordered, held);
    CHECK(held > 60 && held < 140);
    CHECK(inversions > 10);
    pair_free(&p);
}

static void test_duplicate(void)
{
    struct synack_sim_link_params ab = {.delay_us = 50, .duplicate = 1.0};
    struct pair p;
    REQUIRE(pair_init(&p, 9, &ab, &ab) == 0);
    struct tap_log tl = {0};
    synack_sim_set_tap(p.sim, tap_fn, &tl);
    for (uint32_t i = 0; i < 10; i++) CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 60, i), 0);
    run(p.sim, NEVER);
    REQUIRE(p.b.n_rx == 20);
    for (size_t i = 0; i < 10; i++) {
        const struct rx *x = &p.b.rx[2 * i], *y = &p.b.rx[2 * i + 1];
        CHECK_EQ(x->tag, i);
        CHECK_EQ(y->tag, i);
        CHECK_EQ(x->t, 50);
        CHECK_EQ(y->t, 50);
        CHECK_MEM(x->data, y->data, sizeof x->data);
    }
    CHECK_EQ(tl.fates[SYNACK_SIM_SENT], 20);
    CHECK_EQ(tl.dups, 10);
    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.duplicated, 10);
    CHECK_EQ(st.sent, 10);
    CHECK_EQ(st.delivered, 20);

    /* At probability 0.3 about 30% are doubled. */
    struct synack_sim_link_params half = {.duplicate = 0.3};
    REQUIRE(synack_sim_set_link_params(p.sim, p.link, 0, &half) == 0);
    for (uint32_t i = 0; i < 10000; i++) CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 40, i), 0);
    run(p.sim, NEVER);
    synack_sim_get_stats(p.sim, &st);
    CHECK(st.duplicated - 10 > 2800 && st.duplicated - 10 < 3200);
    CHECK_EQ(st.delivered, 20 + 10000 + (st.duplicated - 10));
    pair_free(&p);
}

static void test_corrupt(void)
{
    struct synack_sim_link_params ab = {.corrupt = 1.0};
    struct pair p;
    REQUIRE(pair_init(&p, 11, &ab, &ab) == 0);
    struct tap_log tl = {0};
    synack_sim_set_tap(p.sim, tap_fn, &tl);
    enum { N = 2000, LEN = 64 };
    for (uint32_t i = 0; i < N; i++) CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, LEN, 77), 0);
    CHECK_EQ(tl.fates[SYNACK_SIM_CORRUPTED], N);
    run(p.sim, NEVER);
    REQUIRE(p.b.n_rx == N);
    uint8_t orig[LEN];
    make_pkt(orig, LEN, ADDR_A, ADDR_B, 77);
    int seen[LEN * 8] = {0};
    size_t distinct = 0;
    for (size_t i = 0; i < N; i++) {
        int flipped = 0, where = -1;
        for (size_t j = 0; j < LEN; j++) {
            uint8_t x = (uint8_t)(orig[j] ^ p.b.rx[i].data[j]);
            for (int k = 0; k < 8; k++)
                if (x >> k & 1) {
                    flipped++;
                    where = (int)(j * 8) + k;
                }
        }
        CHECK_EQ(flipped, 1);
        if (where >= 0 && !seen[where]++) distinct++;
    }
    /* 2000 draws over 512 bit positions cover nearly all of them. */
    CHECK(distinct > 450);
    /* The tap saw the corrupted bytes (what the receiver gets). */
    CHECK_MEM(tl.last_bytes, p.b.rx[N - 1].data, LEN);
    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.corrupted, N);
    pair_free(&p);
}

static void test_no_route(void)
{
    struct pair p;
    REQUIRE(pair_init(&p, 1, NULL, NULL) == 0);
    struct fake_host c;
    host_init(&c, p.sim, ADDR_C); /* a host with no link */
    REQUIRE(c.id == 2);
    struct tap_log tl = {0};
    synack_sim_set_tap(p.sim, tap_fn, &tl);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, 0x0a0000ffu, 40, 1), 0); /* unknown address */
    CHECK_EQ(tl.last_fate, SYNACK_SIM_NO_ROUTE);
    CHECK_EQ(tl.last_from, 0);
    CHECK_EQ(tl.last_to, -1);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_C, 40, 2), 0); /* known host, no link */
    CHECK_EQ(send_tagged(p.sim, 2, ADDR_C, ADDR_A, 40, 3), 0);
    CHECK_EQ(tl.fates[SYNACK_SIM_NO_ROUTE], 3);
    run(p.sim, NEVER);
    CHECK_EQ(p.a.n_rx + p.b.n_rx + c.n_rx, 0);
    struct synack_sim_stats st;
    synack_sim_get_stats(p.sim, &st);
    CHECK_EQ(st.no_route, 3);
    CHECK_EQ(st.delivered, 0);

    /* Bad arguments. */
    uint8_t buf[40];
    make_pkt(buf, 40, ADDR_A, ADDR_B, 0);
    CHECK_EQ(synack_sim_send(p.sim, 0, buf, 19), -EINVAL);
    CHECK_EQ(synack_sim_send(p.sim, 3, buf, 40), -EINVAL);
    CHECK_EQ(synack_sim_send(p.sim, -1, buf, 40), -EINVAL);
    CHECK_EQ(synack_sim_link(p.sim, 0, 0, NULL, NULL), -EINVAL);
    CHECK_EQ(synack_sim_link(p.sim, 0, 9, NULL, NULL), -EINVAL);
    struct synack_sim_link_params bad = {.loss = 1.5};
    CHECK_EQ(synack_sim_link(p.sim, 0, 2, &bad, NULL), -EINVAL);
    CHECK_EQ(synack_sim_set_link_params(p.sim, 0, 2, &bad), -EINVAL);
    CHECK_EQ(synack_sim_set_link_params(p.sim, 0, 2, &(struct synack_sim_link_params){0}), -EINVAL);
    CHECK_EQ(synack_sim_add_host(p.sim, ADDR_A, &fake_ops, NULL), -EINVAL); /* address taken */
    struct synack_sim_host_ops half = {fake_deliver, NULL};
    CHECK_EQ(synack_sim_add_host(p.sim, 0x0a000009u, &half, NULL), -EINVAL);
    host_free(&c);
    pair_free(&p);
}

/* Three hosts in a line A - B - C with every impairment on; A and C send to
 * B, B echoes to the sender. Returns a hash of every delivery. */
static uint64_t run_scenario(uint64_t seed, uint64_t *delivered)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    struct synack_sim *sim = synack_sim_create(seed);
    struct fake_host h[3];
    host_init(&h[0], sim, ADDR_A);
    host_init(&h[1], sim, ADDR_B);
    host_init(&h[2], sim, ADDR_C);
    struct synack_sim_link_params lp = {
        .delay_us = 2000, .bandwidth_bps = 5000000, .queue_limit = 6000, .loss = 0.1,
        .reorder = 0.2, .reorder_us = 3000, .duplicate = 0.05, .corrupt = 0.05};
    synack_sim_link(sim, 0, 1, &lp, &lp);
    synack_sim_link(sim, 2, 1, &lp, &lp);
    for (int i = 0; i < 3; i++) h[i].hash = &hash;
    h[1].echo = 1;
    h[0].send_dst = ADDR_B;
    h[0].send_len = 500;
    h[0].send_every = 700;
    h[0].send_count = 400;
    h[2].send_dst = ADDR_B;
    h[2].send_len = 1000;
    h[2].send_at = 33;
    h[2].send_every = 900;
    h[2].send_count = 300;
    run(sim, 2000000);
    struct synack_sim_stats st;
    synack_sim_get_stats(sim, &st);
    *delivered = st.delivered;
    CHECK(st.lost > 0 && st.queue_drops > 0 && st.reordered > 0 && st.duplicated > 0 &&
          st.corrupted > 0);
    for (int i = 0; i < 3; i++) host_free(&h[i]);
    synack_sim_destroy(sim);
    return hash;
}

static void test_determinism(void)
{
    uint64_t d1, d2, d3;
    uint64_t h1 = run_scenario(1234, &d1);
    uint64_t h2 = run_scenario(1234, &d2);
    uint64_t h3 = run_scenario(4321, &d3);
    printf("determinism: %" PRIu64 " deliveries, hash %016" PRIx64 "\n", d1, h1);
    CHECK(d1 > 500);
    CHECK_EQ(d1, d2);
    CHECK(h1 == h2);
    CHECK(h1 != h3);
}

static void test_poll_deadlines(void)
{
    struct synack_sim *sim = synack_sim_create(3);
    REQUIRE(sim != NULL);
    CHECK_EQ(synack_sim_step(sim, NEVER), NEVER); /* no hosts at all */
    struct fake_host a, b;
    static const uint64_t script_a[] = {100, 250, 40 /* past: again now */, 600};
    static const uint64_t script_b[] = {NEVER, 250};
    host_init(&a, sim, ADDR_A);
    host_init(&b, sim, ADDR_B);
    a.script = script_a;
    a.script_len = 4;
    b.script = script_b;
    b.script_len = 2;
    CHECK_EQ(synack_sim_next_event(sim), 0); /* new hosts: polled at once */
    CHECK_EQ(synack_sim_step(sim, NEVER), 0);
    CHECK_EQ(synack_sim_step(sim, NEVER), 100);
    /* Next deadline is 250: a limit short of it leaves the clock alone. */
    CHECK_EQ(synack_sim_step(sim, 249), NEVER);
    CHECK_EQ(synack_sim_now(sim), 100);
    CHECK_EQ(synack_sim_step(sim, 250), 250);
    /* A returned 40 at 250: polled again at 250. */
    CHECK_EQ(synack_sim_next_event(sim), 250);
    CHECK_EQ(synack_sim_step(sim, NEVER), 250);
    CHECK_EQ(synack_sim_step(sim, NEVER), 600);
    CHECK_EQ(synack_sim_step(sim, NEVER), NEVER); /* everyone said NEVER */
    CHECK_EQ(synack_sim_now(sim), 600);
    REQUIRE(a.n_polls == 5);
    uint64_t want[5] = {0, 100, 250, 250, 600};
    for (size_t i = 0; i < 5; i++) CHECK_EQ(a.poll_times[i], want[i]);
    /* Every host is polled on every step. */
    CHECK_EQ(b.n_polls, 5);

    /* poll_hosts polls at now without moving the clock. */
    synack_sim_poll_hosts(sim);
    CHECK_EQ(a.n_polls, 6);
    CHECK_EQ(a.poll_times[5], 600);
    CHECK_EQ(synack_sim_now(sim), 600);

    /* A packet in flight past the limit: NEVER, clock unchanged. */
    synack_sim_link(sim, a.id, b.id, &(struct synack_sim_link_params){.delay_us = 5000}, NULL);
    CHECK_EQ(send_tagged(sim, a.id, ADDR_A, ADDR_B, 40, 1), 0);
    CHECK_EQ(synack_sim_step(sim, 5599), NEVER);
    CHECK_EQ(synack_sim_now(sim), 600);
    CHECK_EQ(synack_sim_step(sim, 5600), 5600);
    CHECK_EQ(b.n_rx, 1);
    CHECK_EQ(synack_sim_step(sim, NEVER), NEVER);
    host_free(&a);
    host_free(&b);
    synack_sim_destroy(sim);
}

static void test_set_link_params(void)
{
    struct synack_sim_link_params slow = {.delay_us = 1000}, fast = {.delay_us = 10};
    struct pair p;
    REQUIRE(pair_init(&p, 1, &slow, &slow) == 0);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 40, 1), 0);
    CHECK_EQ(synack_sim_set_link_params(p.sim, p.link, 0, &fast), 0);
    CHECK_EQ(send_tagged(p.sim, 0, ADDR_A, ADDR_B, 40, 2), 0);
    CHECK_EQ(send_tagged(p.sim, 1, ADDR_B, ADDR_A, 40, 3), 0); /* other direction unchanged */
    run(p.sim, NEVER);
    REQUIRE(p.b.n_rx == 2);
    CHECK_EQ(p.b.rx[0].tag, 2);
    CHECK_EQ(p.b.rx[0].t, 10);
    CHECK_EQ(p.b.rx[1].tag, 1);
    CHECK_EQ(p.b.rx[1].t, 1000);
    REQUIRE(p.a.n_rx == 1);
    CHECK_EQ(p.a.rx[0].t, 1000);
    pair_free(&p);
}

/* Many hosts (the tables grow), a star around host 0. */
static void test_many_hosts(void)
{
    enum { N = 100 };
    struct synack_sim *sim = synack_sim_create(8);
    struct fake_host *h = calloc(N, sizeof *h);
    REQUIRE(sim && h);
    for (int i = 0; i < N; i++) {
        host_init(&h[i], sim, 0x0a010000u + (uint32_t)i);
        CHECK_EQ(h[i].id, i);
    }
    for (int i = 1; i < N; i++) {
        struct synack_sim_link_params lp = {.delay_us = (uint64_t)i};
        CHECK_EQ(synack_sim_link(sim, 0, i, &lp, &lp), i - 1);
    }
    for (int i = 1; i < N; i++)
        CHECK_EQ(send_tagged(sim, 0, h[0].addr, h[i].addr, 40, (uint32_t)i), 0);
    run(sim, NEVER);
    for (int i = 1; i < N; i++) {
        REQUIRE(h[i].n_rx == 1);
        CHECK_EQ(h[i].rx[0].t, i);
    }
    for (int i = 0; i < N; i++) host_free(&h[i]);
    free(h);
    synack_sim_destroy(sim);
}

/* ---- pcap ---- */

static char *temp_path(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/synack_test_sim_XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    close(fd);
    return path;
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void test_pcap_bytes(void)
{
    char *path = temp_path();
    REQUIRE(path != NULL);
    int err = 1;
    struct synack_pcap *pc = synack_pcap_open(path, &err);
    REQUIRE(pc != NULL);
    CHECK_EQ(err, 0);
    uint8_t p1[28], p2[40];
    make_pkt(p1, sizeof p1, ADDR_A, ADDR_B, 1);
    make_pkt(p2, sizeof p2, ADDR_B, ADDR_A, 2);
    CHECK_EQ(synack_pcap_write(pc, p1, sizeof p1, 0), 0);
    CHECK_EQ(synack_pcap_write(pc, p2, sizeof p2, 1234567), 0);     /* 1 s 234567 us */
    CHECK_EQ(synack_pcap_write(pc, p1, sizeof p1, 4000000000ull * 1000000ull), 0);
    CHECK_EQ(synack_pcap_write(pc, p1, sizeof p1, 5000000000ull * 1000000ull), -ERANGE);
    CHECK_EQ(synack_pcap_close(pc), 0);

    static const uint8_t file_hdr[24] = {
        0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        0xff, 0xff, 0, 0, 101, 0, 0, 0};
    static const uint8_t rec1[16] = {0, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28, 0, 0, 0};
    static const uint8_t rec2[16] = {1, 0, 0, 0, 0x47, 0x94, 0x03, 0, 40, 0, 0, 0, 40, 0, 0, 0};
    static const uint8_t rec3[16] = {0x00, 0x28, 0x6b, 0xee, 0, 0, 0, 0, 28, 0, 0, 0, 28, 0, 0, 0};
    uint8_t want[24 + 16 + 28 + 16 + 40 + 16 + 28], *w = want;
    memcpy(w, file_hdr, 24), w += 24;
    memcpy(w, rec1, 16), w += 16;
    memcpy(w, p1, 28), w += 28;
    memcpy(w, rec2, 16), w += 16;
    memcpy(w, p2, 40), w += 40;
    memcpy(w, rec3, 16), w += 16;
    memcpy(w, p1, 28);

    uint8_t got[512];
    size_t n = read_file(path, got, sizeof got);
    CHECK_EQ(n, sizeof want);
    if (n == sizeof want) CHECK_MEM(got, want, sizeof want);
    remove(path);

    /* Errors are negative errno. */
    pc = synack_pcap_open("/nonexistent-dir/x.pcap", &err);
    CHECK(pc == NULL);
    CHECK_EQ(err, -ENOENT);
}

static void test_pcap_tshark(void)
{
    if (system("command -v tshark >/dev/null 2>&1") != 0) {
        printf("skip: tshark not installed\n");
        return;
    }
    char *path = temp_path();
    REQUIRE(path != NULL);
    /* Capture a real sim run through the tap. */
    struct synack_pcap *pc = synack_pcap_open(path, NULL);
    REQUIRE(pc != NULL);
    struct synack_sim_link_params lp = {.delay_us = 300};
    struct pair p;
    REQUIRE(pair_init(&p, 1, &lp, &lp) == 0);
    enum { N = 7 };
    for (uint32_t i = 0; i < N; i++) {
        uint8_t buf[100];
        size_t len = 28 + 10 * i;
        make_pkt(buf, len, i % 2 ? ADDR_B : ADDR_A, i % 2 ? ADDR_A : ADDR_B, i);
        CHECK_EQ(synack_sim_send(p.sim, (int)(i % 2), buf, len), 0);
        CHECK_EQ(synack_pcap_write(pc, buf, len, 1000000 + 150 * i), 0);
    }
    CHECK_EQ(synack_pcap_close(pc), 0);
    pair_free(&p);

    char cmd[128];
    /* stderr dropped: tshark warns there about running as root. */
    snprintf(cmd, sizeof cmd, "tshark -n -r %s 2>/dev/null", path);
    FILE *f = popen(cmd, "r");
    REQUIRE(f != NULL);
    char line[512];
    int lines = 0, malformed = 0, udp = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        if (strstr(line, "Malformed")) malformed++;
        if (strstr(line, "UDP")) udp++;
        if (strstr(line, "Malformed") || !strstr(line, "UDP")) fprintf(stderr, "tshark: %s", line);
    }
    int rc = pclose(f);
    CHECK_EQ(rc, 0);
    CHECK_EQ(lines, N);
    CHECK_EQ(udp, N);
    CHECK_EQ(malformed, 0);
    remove(path);
}

TEST_MAIN(TEST(test_delay_exact), TEST(test_bandwidth), TEST(test_queue_limit),
          TEST(test_loss_rate), TEST(test_bursty_loss), TEST(test_reorder), TEST(test_duplicate), TEST(test_corrupt),
          TEST(test_no_route), TEST(test_determinism), TEST(test_poll_deadlines),
          TEST(test_set_link_params), TEST(test_many_hosts), TEST(test_pcap_bytes),
          TEST(test_pcap_tshark))
