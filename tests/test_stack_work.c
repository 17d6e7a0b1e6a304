/*
 * test_stack_work.c — the work a stack does per connect, per segment and
 * per poll does not grow with the number of connections it holds.
 *
 * Work is counted, not timed (stack_work: slots probed and moved in the
 * connection index, chain steps in the TIME_WAIT table, timer nodes moved
 * and fired). And the connection index (src/util/hindex.c) on its own,
 * against a plain reference model, through growth and deletion.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "stack/stack.h"
#include "synack/synack.h"
#include "util/hindex.h"

#define LADDR 0x0a000001u
#define RADDR 0x0a000002u

/* ---- the index against a reference model ---- */

enum { KEYS = 1 << 14 };
static uint32_t model_hash[KEYS]; /* key k's hash: few distinct, so chains collide */
static bool model_in[KEYS];

static bool key_matches(void *ctx, uint32_t value, const void *key)
{
    (void)ctx;
    return value == *(const uint32_t *)key;
}

static void index_matches_a_reference_model(void)
{
    struct hindex x;
    REQUIRE(hindex_init(&x, NULL) == 0);
    uint32_t r = 7;
    for (uint32_t k = 1; k < KEYS; k++) {
        r = r * 1103515245u + 12345u;
        /* Every hash shared by about four keys, all homes in a few places:
         * long clusters, wrap-around, and the same 32 bits for other keys. */
        model_hash[k] = (r >> 16) % 4096u * 0x9e3779b1u;
    }
    unsigned live = 0, bad_find = 0, bad_remove = 0, bad_hash = 0;
    for (int step = 0; step < 400000; step++) {
        r = r * 1103515245u + 12345u;
        uint32_t k = 1 + (r >> 8) % (KEYS - 1);
        /* Grow to the whole key set, then churn around half of it. */
        bool insert = step < 100000 ? (r >> 30) != 0 : (r >> 31) != 0;
        if (insert && !model_in[k]) {
            REQUIRE(hindex_insert(&x, model_hash[k], k) == 0);
            model_in[k] = true;
            live++;
        } else if (!insert && model_in[k]) {
            bad_remove += !hindex_remove(&x, model_hash[k], k);
            model_in[k] = false;
            live--;
        } else if (!insert) {
            bad_remove += hindex_remove(&x, model_hash[k], k); /* absent: nothing taken */
        }
        uint32_t q = 1 + (r >> 3) % (KEYS - 1);
        uint32_t got = hindex_find(&x, model_hash[q], key_matches, &q);
        bad_find += got != (model_in[q] ? q : HINDEX_NONE);
        if (model_in[q]) bad_hash += !hindex_has_hash(&x, model_hash[q]);
    }
    CHECK_EQ(bad_find, 0);
    CHECK_EQ(bad_remove, 0);
    CHECK_EQ(bad_hash, 0);
    CHECK_EQ(x.live, live);
    /* Iteration gives every value once. */
    static bool seen[KEYS];
    uint64_t pos = 0;
    uint32_t v;
    unsigned count = 0, dup = 0, stray = 0;
    while (hindex_next(&x, &pos, &v)) {
        count++;
        if (v >= KEYS || !model_in[v]) stray++;
        else if (seen[v]) dup++;
        else seen[v] = true;
    }
    CHECK_EQ(count, live);
    CHECK_EQ(dup, 0);
    CHECK_EQ(stray, 0);
    /* At most half full: every probe ends at an empty slot. */
    CHECK(hindex_bytes(&x) >= 2 * (size_t)live * sizeof(uint64_t));
    hindex_fini(&x);
}

/* A key's home is the first slot of a cache line: a lookup reads that one
 * line unless the line is full. At just under half full (the most the
 * index holds), lookups of absent keys that probe past their home line
 * are few (a probe from any slot of the line would leave it in about one
 * lookup of six). Small arrays (aligned_alloc) and large ones (mmap)
 * alike. */
static void index_lookup_reads_its_home_line(void)
{
    for (uint32_t n = 1000; n <= 300000; n *= 300) {
        struct hindex x;
        REQUIRE(hindex_init(&x, NULL) == 0);
        uint32_t r = 11;
        for (uint32_t k = 1; k <= n; k++) {
            r = r * 1103515245u + 12345u;
            REQUIRE(hindex_insert(&x, r ^ (r >> 15) * 0x9e3779b1u, k) == 0);
        }
        while (x.old) REQUIRE(hindex_insert(&x, ++r * 0x85ebca6bu, ++n) == 0); /* growth done */
        unsigned misaligned = 0, past = 0, lookups = 100000;
        for (unsigned i = 0; i < lookups; i++) {
            r = r * 1103515245u + 12345u;
            uint32_t h = r ^ (r >> 13) * 0xc2b2ae35u;
            misaligned += ((uintptr_t)&x.slot[hindex_home(h, x.mask)] & 63) != 0;
            uint64_t w0 = x.work;
            (void)hindex_has_hash(&x, h);
            past += x.work - w0 > HINDEX_LINE; /* more than the home line's slots */
        }
        CHECK_EQ(misaligned, 0);
        CHECK((double)x.live / ((double)x.mask + 1) > 0.25);
        CHECK(past < lookups / 12); /* measured: 5.6% at 0.49 full, 0.4% at 0.31 */
        hindex_fini(&x);
    }
}

/* Growth moves HINDEX_MIGRATE old slots per insertion: no insertion pays
 * for the whole table, and lookups find entries on both sides meanwhile. */
static void index_grows_a_little_at_a_time(void)
{
    struct hindex x;
    REQUIRE(hindex_init(&x, NULL) == 0);
    enum { N = 300000 };
    uint64_t max_work = 0;
    unsigned lost = 0;
    for (uint32_t k = 1; k <= N; k++) {
        uint64_t w0 = x.work;
        REQUIRE(hindex_insert(&x, k * 0x9e3779b1u, k) == 0);
        if (x.work - w0 > max_work) max_work = x.work - w0;
        if (x.old && k % 97 == 0) { /* mid-growth: an early key and this one */
            uint32_t a = k / 3 + 1;
            lost += hindex_find(&x, a * 0x9e3779b1u, key_matches, &a) != a;
            lost += hindex_find(&x, k * 0x9e3779b1u, key_matches, &k) != k;
        }
    }
    CHECK(max_work < 8 * HINDEX_MIGRATE);
    CHECK_EQ(lost, 0);
    hindex_fini(&x);
}

/* ---- a stack ---- */

static void discard(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx, (void)pkt, (void)len;
}

static synack_stack *new_stack(void)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = LADDR;
    cfg.output = discard;
    synack_stack *s;
    return synack_stack_create(&s, &cfg) == 0 ? s : NULL;
}

/* Mean work of `count` more connects (each with the poll that sends its SYN),
 * spread over 64 server ports: the port range toward each stays far from
 * full (a search for a free port in a nearly full range is another matter). */
static void connect_work(synack_stack *s, unsigned count, uint64_t *t, uint64_t *max, double *mean)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < count; i++) {
        int sd = synack_socket(s);
        REQUIRE(sd >= 0);
        uint64_t w0 = stack_work(s);
        REQUIRE(synack_connect(s, sd, &(struct synack_endpoint){RADDR, (uint16_t)(80 + sd % 64)}) == -EINPROGRESS);
        synack_stack_poll(s, *t += 1);
        uint64_t w = stack_work(s) - w0;
        total += w;
        if (w > *max) *max = w;
    }
    *mean = (double)total / count;
}

/* Connects cost the same with 2,000 connections as with 100,000 (the
 * index grows a few slots per insertion, no search walks the crowd), and
 * a poll with nothing due does no work at all. */
static void work_does_not_grow_with_the_crowd(void)
{
    synack_stack *s = new_stack();
    REQUIRE(s);
    s->psum_on = 0; /* the port summaries' own work: port_summaries_bound_the_work */
    enum { N = 100000 };
    uint64_t t = 1000000, max = 0;
    double small = 0, big = 0, other;
    connect_work(s, 1000, &t, &max, &other);
    connect_work(s, 1000, &t, &max, &small);         /* connections 1,000 .. 2,000 */
    connect_work(s, N - 3000, &t, &max, &other);
    connect_work(s, 1000, &t, &max, &big);           /* connections 99,000 .. 100,000 */
    CHECK(small > 0);
    CHECK(big <= 1.5 * small + 2);
    /* No connect pays for the crowd (a port search, an insertion with its
     * share of growth, a timer). */
    CHECK(max < 128);
    CHECK_EQ(s->conn_count, N);
    /* Polls with nothing due: no work, with 100,000 connections waiting. */
    uint64_t w0 = stack_work(s);
    for (int i = 0; i < 100; i++) synack_stack_poll(s, t + (uint64_t)i * 10);
    CHECK_EQ(stack_work(s) - w0, 0);
    /* A freed descriptor is the next one handed out; then the next new one. */
    CHECK_EQ(synack_close(s, 777), 0);
    CHECK_EQ(synack_close(s, 42), 0);
    CHECK_EQ(synack_socket(s), 42);
    CHECK_EQ(synack_socket(s), 777);
    CHECK_EQ(synack_socket(s), N);
    synack_stack_destroy(s);
}

/* The per-destination port summaries (struct port_sum): each is built a
 * few lookups per connect (STACK_PSUM_SCAN), so no connect pays for the
 * crowd there either; once all are built, a connect reads no index slot
 * for its candidates and does less work than a stack without them. 64
 * destinations, 4,096 ports each, half of them used at the end. */
static void port_summaries_bound_the_work(void)
{
    synack_stack *s = new_stack(), *plain = new_stack();
    REQUIRE(s && plain);
    s->tunables.ephemeral_lo = plain->tunables.ephemeral_lo = 40000;
    s->tunables.ephemeral_hi = plain->tunables.ephemeral_hi = 44095;
    plain->psum_on = 0;
    enum { N = 64 * 2048 };
    uint64_t t = 1000000, tp = 1000000, max = 0, maxp = 0;
    double mean, meanp;
    connect_work(s, N - 1000, &t, &max, &mean);
    connect_work(plain, N - 1000, &tp, &maxp, &meanp);
    unsigned built = 0;
    for (unsigned i = 0; i < STACK_PSUM_MAX; i++) built += s->psum[i].bits && s->psum[i].scan > 4095;
    CHECK_EQ(built, 64);
    CHECK(max < maxp + 16 * STACK_PSUM_SCAN);
    uint64_t by_summary = s->psum_connects;
    connect_work(s, 1000, &t, &max, &mean);
    connect_work(plain, 1000, &tp, &maxp, &meanp);
    CHECK_EQ(s->psum_connects - by_summary, 1000);
    CHECK(mean < meanp);
    fprintf(stderr, "work per connect with summaries %.1f (max %llu), without %.1f (max %llu); %llu bytes of summaries\n",
            mean, (unsigned long long)max, meanp, (unsigned long long)maxp, (unsigned long long)s->psum_bytes);
    CHECK(s->psum_bytes <= 64 * (2 * 4096 / 8 + 16));
    synack_stack_destroy(s);
    synack_stack_destroy(plain);
}

/* Many connections dying in one socket call (an abortive close of each)
 * cost the same each, however many die with them. */
static void many_deaths_in_one_call_cost_the_same(void)
{
    synack_stack *s = new_stack();
    REQUIRE(s);
    enum { N = 20000 };
    uint64_t t = 1000000, max = 0;
    double mean;
    connect_work(s, N, &t, &max, &mean);
    struct synack_linger abort_close = {1, 0};
    uint64_t first = 0, last = 0;
    for (int sd = 0; sd < N; sd++) {
        REQUIRE(synack_setsockopt(s, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &abort_close, sizeof abort_close) == 0);
        uint64_t w0 = stack_work(s);
        REQUIRE(synack_close(s, sd) == 0);
        uint64_t w = stack_work(s) - w0;
        if (sd < 1000) first += w;
        if (sd >= N - 1000) last += w;
    }
    CHECK(last <= first + first / 2 + 1000);
    synack_stack_poll(s, t + 1);
    CHECK_EQ(s->conn_count, 0);
    synack_stack_destroy(s);
}

/* ---- synack_stack_input_batch is synack_stack_input for each packet ---- */

/* A client and a server joined by two queues; what each sends is also
 * folded into a digest, so that two worlds can be compared packet for
 * packet. */
enum { QCAP = 8192, QBYTES = 1600 };
struct queue {
    uint8_t data[QCAP][QBYTES];
    size_t len[QCAP];
    unsigned n;
    uint64_t digest, sent;
};
struct world {
    synack_stack *a, *b;
    struct queue to_a, to_b;
    bool batch;
};

static void enqueue(void *ctx, const uint8_t *pkt, size_t len)
{
    struct queue *q = ctx;
    REQUIRE(q->n < QCAP && len <= QBYTES);
    memcpy(q->data[q->n], pkt, len);
    q->len[q->n++] = len;
    q->digest = (q->digest ^ len) * 0x100000001b3u;
    for (size_t i = 0; i < len; i++) q->digest = (q->digest ^ pkt[i]) * 0x100000001b3u;
    q->sent++;
}

static synack_stack *world_stack(struct queue *out, uint32_t addr)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = addr;
    cfg.output = enqueue;
    cfg.output_ctx = out;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(3 * i + 5);
    synack_stack *s;
    return synack_stack_create(&s, &cfg) == 0 ? s : NULL;
}

/* Hands q's packets to s (one call each, or one batch), with a few that
 * are not for any connection mixed in: truncated, a fragment, not TCP. */
static void fix_ip_checksum(uint8_t *ip)
{
    ip[10] = ip[11] = 0;
    uint32_t sum = 0;
    for (int i = 0; i < 20; i += 2) sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    ip[10] = (uint8_t)(~sum >> 8);
    ip[11] = (uint8_t)~sum;
}

static void deliver(struct world *w, synack_stack *s, struct queue *q, uint64_t now)
{
    static uint8_t copy[QCAP + 3][QBYTES];
    static struct synack_packet pkts[QCAP + 3];
    unsigned n = 0;
    for (unsigned i = 0; i < q->n; i++) {
        memcpy(copy[n], q->data[i], q->len[i]);
        pkts[n] = (struct synack_packet){copy[n], q->len[i]};
        n++;
        if (i == q->n / 2) { /* the odd ones, in the middle of the batch */
            memcpy(copy[n], q->data[i], 22); /* cut inside the TCP header */
            pkts[n] = (struct synack_packet){copy[n], 22};
            n++;
            memcpy(copy[n], q->data[i], q->len[i]);
            copy[n][6] |= 0x20; /* more fragments */
            fix_ip_checksum(copy[n]);
            pkts[n] = (struct synack_packet){copy[n], q->len[i]};
            n++;
            memcpy(copy[n], q->data[i], q->len[i]);
            copy[n][9] = 17; /* UDP */
            fix_ip_checksum(copy[n]);
            pkts[n] = (struct synack_packet){copy[n], q->len[i]};
            n++;
        }
    }
    q->n = 0;
    if (w->batch) {
        synack_stack_input_batch(s, pkts, n, now);
    } else {
        for (unsigned i = 0; i < n; i++) synack_stack_input(s, pkts[i].data, pkts[i].len, now);
    }
}

static void world_pump(struct world *w, uint64_t now)
{
    synack_stack_poll(w->a, now);
    synack_stack_poll(w->b, now);
    while (w->to_a.n || w->to_b.n) {
        deliver(w, w->b, &w->to_b, now);
        deliver(w, w->a, &w->to_a, now);
        synack_stack_poll(w->a, now);
        synack_stack_poll(w->b, now);
    }
}

/* Connections opened, data both ways, closed (TIME_WAITs and all), some
 * aborted, some refused: returns the stacks' digests in w. */
static void world_run(struct world *w)
{
    REQUIRE((w->a = world_stack(&w->to_b, LADDR)) != NULL);
    REQUIRE((w->b = world_stack(&w->to_a, RADDR)) != NULL);
    int lsd[8];
    for (int i = 0; i < 8; i++) {
        lsd[i] = synack_socket(w->b);
        REQUIRE(synack_bind(w->b, lsd[i], &(struct synack_endpoint){0, (uint16_t)(7000 + i)}) == 0);
        REQUIRE(synack_listen(w->b, lsd[i], 4096) == 0);
    }
    enum { K = 600 };
    static int cs[K], ss[K];
    uint64_t now = 1000000;
    uint8_t msg[100];
    memset(msg, 'm', sizeof msg);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < K; i++) {
            cs[i] = synack_socket(w->a);
            /* a tenth to a port nobody listens on: refused */
            uint16_t port = (uint16_t)(i % 10 == 9 ? 7100 : 7000 + i % 8);
            REQUIRE(synack_connect(w->a, cs[i], &(struct synack_endpoint){RADDR, port}) == -EINPROGRESS);
        }
        world_pump(w, now += 1000);
        int got = 0;
        for (int i = 0; i < 8; i++) {
            int sd;
            while ((sd = synack_accept(w->b, lsd[i], NULL)) >= 0) ss[got++] = sd;
        }
        CHECK_EQ(got, K - K / 10);
        for (int i = 0; i < K; i++) synack_send(w->a, cs[i], msg, sizeof msg);
        for (int i = 0; i < got; i++) synack_send(w->b, ss[i], msg, (size_t)(i % 100));
        world_pump(w, now += 1000);
        struct synack_linger abort_close = {1, 0};
        for (int i = 0; i < K; i++) {
            uint8_t in[100];
            synack_recv(w->a, cs[i], in, sizeof in); /* unread data would make close() reset */
            if (i % 7 == 3)
                synack_setsockopt(w->a, cs[i], SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &abort_close, sizeof abort_close);
            synack_close(w->a, cs[i]);
        }
        world_pump(w, now += 1000);
        for (int i = 0; i < got; i++) {
            uint8_t in[100];
            synack_recv(w->b, ss[i], in, sizeof in);
            synack_close(w->b, ss[i]);
        }
        world_pump(w, now += 300000); /* past the delayed ACKs and an RTO or two */
        world_pump(w, now += 3000000);
    }
}

static void batch_input_is_input_one_by_one(void)
{
    static struct world one, many;
    one.batch = false;
    many.batch = true;
    world_run(&one);
    world_run(&many);
    CHECK(one.to_a.sent > 5000 && one.to_b.sent > 5000);
    CHECK_EQ(many.to_a.sent, one.to_a.sent);
    CHECK_EQ(many.to_b.sent, one.to_b.sent);
    CHECK_EQ(many.to_a.digest, one.to_a.digest);
    CHECK_EQ(many.to_b.digest, one.to_b.digest);
    struct synack_counters c1, c2;
    synack_stack_get_counters(one.b, &c1);
    synack_stack_get_counters(many.b, &c2);
    CHECK(memcmp(&c1, &c2, sizeof c1) == 0);
    /* The odd packets went through it too. */
    CHECK(c1.in_other_proto > 0);
    CHECK(c1.reasm_reqds > 0);
    CHECK(c1.in_ip_errors + c1.in_tcp_errors > 0);
    CHECK_EQ(many.a->conn_count, one.a->conn_count);
    CHECK_EQ(many.a->tw.live, one.a->tw.live);
    CHECK(one.a->tw.live > 0);
    synack_stack_destroy(one.a);
    synack_stack_destroy(one.b);
    synack_stack_destroy(many.a);
    synack_stack_destroy(many.b);
}

TEST_MAIN(TEST(index_matches_a_reference_model), TEST(index_grows_a_little_at_a_time),
          TEST(index_lookup_reads_its_home_line), TEST(work_does_not_grow_with_the_crowd), TEST(port_summaries_bound_the_work), TEST(many_deaths_in_one_call_cost_the_same),
          TEST(batch_input_is_input_one_by_one))
