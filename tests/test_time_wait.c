/*
 * test_time_wait.c — compact TIME_WAIT: the table (src/stack/tw_table.c)
 * on its own — index, FIFO, removal, restart, incremental growth, bytes per
 * record — and a stack whose closed connection became a record, driven by
 * hand-made segments: re-ACK of a retransmitted FIN with its 2*MSL restart,
 * RST ignored (RFC 1337), an old timestamp answered (PAWS), a new SYN
 * reopening the pair with an ISN above the old SND.NXT (as Linux), the
 * counters, and the end of 2*MSL to the microsecond. And ephemeral ports
 * chosen per 4-tuple.
 */
#include <errno.h>

#include "harness.h"
#include "stack/stack.h"
#include "stack/tw_table.h"
#include "util/slotmap.h"
#include "synack/synack.h"
#include "synack/wire.h"

static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

#define TW_LADDR 0x0a000001u

static uint32_t tw_find(struct tw_table *t, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    return tw_lookup(t, tw_tuple_hash(key, TW_LADDR, lport, raddr, rport), TW_LADDR, lport, raddr, rport);
}

static void table_index_fifo_and_growth(void)
{
    static struct tw_table t;
    REQUIRE(tw_table_init(&t, key, TW_LADDR) == 0);
    enum { N = 200000 };
    uint64_t max_work = 0;
    for (uint32_t i = 0; i < N; i++) {
        uint64_t w0 = t.index.work;
        uint32_t x = tw_insert(&t, TW_LADDR, (uint16_t)(1024 + i % 60000), 0x0a000002u + i / 60000, 80, 1000 + i);
        REQUIRE(x != TW_NIL);
        if (t.index.work - w0 > max_work) max_work = t.index.work - w0;
    }
    /* Growth moves a few old slots per insertion, never the whole table. */
    CHECK(max_work < 64);
    CHECK_EQ(t.live, N);
    /* Every record is found; a key never inserted is not; nor one with
     * another local address (the table holds its stack's only). */
    int found = 0;
    for (uint32_t i = 0; i < N; i += 7) found += tw_find(&t, (uint16_t)(1024 + i % 60000), 0x0a000002u + i / 60000, 80) != TW_NIL;
    CHECK_EQ(found, (N + 6) / 7);
    CHECK(tw_find(&t, 1023, 0x0a000002u, 80) == TW_NIL);
    CHECK(tw_lookup(&t, tw_tuple_hash(key, 9, 1024, 0x0a000002u, 80), 9, 1024, 0x0a000002u, 80) == TW_NIL);
    CHECK(tw_insert(&t, 9, 1, 2, 3, 2000000) == TW_NIL);
    /* 48 bytes a record; the index at most half full: at most 64 bytes per
     * record all told when the index has just doubled (as at 1,048,576
     * records), 80 at worst in between (here: 200,000 in 524,288 slots). */
    CHECK_EQ(sizeof(struct tw_rec), 48);
    CHECK(t.index.mask + 1 == 524288);
    CHECK(tw_table_bytes(&t) <= (uint64_t)N * 48 + (1u << TW_CHUNK_SHIFT) * sizeof(struct tw_rec) + 8u * 524288 + 1024);
    /* Remove one in the middle: no longer found; the FIFO skips it. */
    uint32_t mid = tw_find(&t, 1024 + 5, 0x0a000002u, 80);
    REQUIRE(mid != TW_NIL);
    tw_remove(&t, mid);
    CHECK(tw_find(&t, 1024 + 5, 0x0a000002u, 80) == TW_NIL);
    tw_remove(&t, mid); /* twice: nothing more happens */
    CHECK_EQ(t.live, N - 1);
    /* Restart the first one: it moves behind all the others. */
    uint32_t first = tw_find(&t, 1024, 0x0a000002u, 80);
    uint32_t moved = tw_requeue(&t, first, 5000000);
    CHECK(moved != first);
    CHECK(tw_find(&t, 1024, 0x0a000002u, 80) == moved);
    /* Expiry order: 1001, 1002, ... (1005 removed), then the restarted one. */
    uint64_t prev = 0;
    int popped = 0, in_order = 1;
    struct tw_rec r;
    while (tw_oldest(&t) != TW_NIL) {
        tw_pop_oldest(&t, &r);
        if (tw_expiry(&r) < prev) in_order = 0;
        if (popped == 0) CHECK_EQ(tw_expiry(&r), 1001);
        prev = tw_expiry(&r);
        popped++;
    }
    CHECK(in_order);
    CHECK_EQ(popped, N - 1);
    CHECK_EQ(prev, 5000000);
    CHECK_EQ(t.live, 0);
    CHECK_EQ(t.held, 0);
    CHECK_EQ(t.index.live, 0);
    CHECK_EQ(t.ahead_wrong, 0);
    /* Freed records are reused before new memory. */
    uint32_t fresh = t.fresh;
    for (int i = 0; i < 1000; i++) CHECK(tw_insert(&t, TW_LADDR, (uint16_t)i, 2, 3, 9) != TW_NIL);
    CHECK_EQ(t.fresh, fresh);
    tw_table_fini(&t);
}

/* Issue 10's bound: at most 64 bytes per TIME_WAIT with 1,048,576 held
 * (the default max_tw), records, chunk list and index all counted. */
static void table_at_a_million_is_64_bytes_each(void)
{
    static struct tw_table t;
    REQUIRE(tw_table_init(&t, key, TW_LADDR) == 0);
    enum { N = 1 << 20 };
    for (uint32_t i = 0; i < N; i++)
        REQUIRE(tw_insert(&t, TW_LADDR, (uint16_t)(1024 + i % 64000), 0x0a000002u + i / 64000, 80, 1000 + i) !=
                TW_NIL);
    CHECK_EQ(t.live, N);
    CHECK(t.index.old == NULL); /* growth finished: one array */
    CHECK(tw_table_bytes(&t) <= 64ull * N + 4096);
    tw_table_fini(&t);
}

/* The table against a plain model under churn: insert, remove, restart
 * and expire in random order, through the index's growth; every lookup
 * agrees with the model. */

static void table_matches_a_model_under_churn(void)
{
    static struct tw_table t;
    REQUIRE(tw_table_init(&t, key, TW_LADDR) == 0);
    enum { PORTS = 4096 };
    static uint32_t model[PORTS]; /* record index + 1 of the live record on port p, or 0 */
    static uint64_t exp_of[PORTS];
    uint32_t rnd = 99, live = 0, bad = 0;
    uint64_t now = 1000;
    for (int step = 0; step < 300000; step++) {
        rnd = rnd * 1103515245u + 12345u;
        uint16_t p = (uint16_t)((rnd >> 8) % PORTS);
        unsigned op = (rnd >> 28) % 4;
        now++;
        if (op <= 1 && !model[p]) {
            uint32_t i = tw_insert(&t, TW_LADDR, p, 0x0a000002u, (uint16_t)(p % 7), now);
            REQUIRE(i != TW_NIL);
            model[p] = i + 1;
            exp_of[p] = now;
            live++;
        } else if (op == 2 && model[p]) {
            tw_remove(&t, model[p] - 1);
            model[p] = 0;
            live--;
        } else if (op == 3 && model[p]) {
            model[p] = tw_requeue(&t, model[p] - 1, now) + 1;
            exp_of[p] = now;
        }
        /* Expire what is older than 20000 steps, oldest first. */
        uint32_t o;
        while ((o = tw_oldest(&t)) != TW_NIL && tw_expiry(tw_at(&t, o)) + 20000 < now) {
            struct tw_rec r;
            tw_pop_oldest(&t, &r);
            if (model[r.lport] != o + 1 || exp_of[r.lport] != tw_expiry(&r)) bad++;
            model[r.lport] = 0;
            live--;
        }
        uint16_t q = (uint16_t)((rnd >> 3) % PORTS);
        uint32_t got = tw_find(&t, q, 0x0a000002u, (uint16_t)(q % 7));
        if (got != (model[q] ? model[q] - 1 : TW_NIL)) bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK_EQ(t.live, live);
    CHECK_EQ(t.index.live, live);
    CHECK_EQ(t.ahead_wrong, 0); /* expiry's prefetch ring kept the right hashes */
    tw_table_fini(&t);
}

/* ---- a stack, one connection, segments made by hand ---------------------- */

#define LADDR 0x0a000001u
#define RADDR 0x0a000002u
#define RPORT 40000
#define LPORT 80

struct out {
    struct tcp_repr seg[16];
    int n;
};

static void capture(void *ctx, const uint8_t *pkt, size_t len)
{
    struct out *o = ctx;
    struct ipv4_repr ip;
    if (ipv4_parse(&ip, pkt, len) != 0 || o->n == 16) return;
    tcp_parse_nocsum(&o->seg[o->n++], pkt + ip.header_len, ip.payload_len);
}

static uint64_t now_us;

static void send_seg(synack_stack *s, uint8_t flags, uint32_t seq, uint32_t ack, int ts_val, uint32_t ts_ecr)
{
    struct tcp_repr t = {.src_port = RPORT, .dst_port = LPORT, .seq = seq, .ack = ack, .flags = flags,
                         .window = 65535};
    if (ts_val >= 0) {
        t.opt.has_timestamp = true;
        t.opt.ts_val = (uint32_t)ts_val;
        t.opt.ts_ecr = ts_ecr;
    }
    if (flags & TCP_SYN) {
        t.opt.has_mss = true;
        t.opt.mss = 1460;
    }
    uint8_t pkt[128];
    struct ipv4_repr ip = {.src = RADDR, .dst = LADDR, .protocol = IPV4_PROTO_TCP, .ttl = 64,
                           .payload_len = (uint16_t)tcp_repr_len(&t)};
    REQUIRE(ipv4_emit(&ip, pkt, sizeof pkt) >= 0);
    REQUIRE(tcp_emit(&t, pkt + 20, sizeof pkt - 20, RADDR, LADDR) >= 0);
    synack_stack_input(s, pkt, 20 + tcp_repr_len(&t), now_us);
    synack_stack_poll(s, now_us);
}

static uint32_t fixed_isn(void *ctx, uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp, uint64_t now)
{
    (void)ctx, (void)la, (void)lp, (void)ra, (void)rp, (void)now;
    return 1000000;
}

/* The server closes first and keeps the TIME_WAIT, as a record. */
static synack_stack *server_in_time_wait(struct out *o, bool ts, int *lsd)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = LADDR;
    cfg.output = capture;
    cfg.output_ctx = o;
    cfg.isn_hook = fixed_isn;
    synack_stack *s;
    if (synack_stack_create(&s, &cfg) != 0) return NULL;
    now_us = 1000000;
    *lsd = synack_socket(s);
    synack_bind(s, *lsd, &(struct synack_endpoint){0, LPORT});
    synack_listen(s, *lsd, 8);
    send_seg(s, TCP_SYN, 5000, 0, ts ? 100 : -1, 0);       /* SYN|ACK: 1000000 */
    now_us += 1000;
    send_seg(s, TCP_ACK, 5001, 1000001, ts ? 101 : -1, 0);
    int a = synack_accept(s, *lsd, NULL);
    synack_close(s, a);
    synack_stack_poll(s, now_us);                            /* FIN 1000001 */
    now_us += 1000;
    send_seg(s, TCP_FIN | TCP_ACK, 5001, 1000002, ts ? 102 : -1, 0);
    return s;
}

static void record_keeps_time_wait_rules(void)
{
    static struct out o;
    o.n = 0;
    int lsd;
    synack_stack *s = server_in_time_wait(&o, true, &lsd);
    REQUIRE(s != NULL);
    REQUIRE(o.n == 3);
    CHECK_EQ(o.seg[2].flags, TCP_ACK);                         /* the last ACK */
    struct synack_counters k;
    synack_stack_get_counters(s, &k);
    CHECK_EQ(k.curr_time_wait, 1);
    /* It is a record now: the connection is gone from the table. */
    CHECK_EQ(s->tw.live, 1);
    CHECK(stack_conn_lookup(s, LADDR, LPORT, RADDR, RPORT) == NULL);
    uint64_t entered = now_us;

    /* RFC 1337: a RST in TIME_WAIT is ignored; nothing answers it. */
    o.n = 0;
    now_us += 1000000;
    send_seg(s, TCP_RST, 5002, 0, -1, 0);
    send_seg(s, TCP_RST | TCP_ACK, 5002, 1000002, -1, 0);
    CHECK_EQ(o.n, 0);
    CHECK_EQ(s->tw.live, 1);

    /* PAWS: an old timestamp draws an ACK (rate-limited), nothing else. */
    now_us += 1000000;
    send_seg(s, TCP_ACK, 5002, 1000002, 50, 0);
    REQUIRE(o.n == 1);
    CHECK_EQ(o.seg[0].flags, TCP_ACK);
    CHECK_EQ(o.seg[0].ack, 5002);
    CHECK_EQ(o.seg[0].opt.ts_ecr, 102);
    send_seg(s, TCP_ACK, 5002, 1000002, 50, 0);              /* within 500 ms: silent */
    CHECK_EQ(o.n, 1);

    /* A retransmitted FIN is ACKed again at once and restarts 2*MSL. */
    o.n = 0;
    now_us += 10000000;
    uint64_t restarted = now_us;
    send_seg(s, TCP_FIN | TCP_ACK, 5001, 1000002, 103, 0);
    REQUIRE(o.n == 1);
    CHECK_EQ(o.seg[0].flags, TCP_ACK);
    CHECK_EQ(o.seg[0].seq, 1000002);
    CHECK_EQ(o.seg[0].ack, 5002);
    CHECK_EQ(o.seg[0].opt.ts_ecr, 103);
    CHECK(restarted + 60000000 > entered + 60000000);
    synack_stack_poll(s, entered + 60000000);                /* the old end: still there */
    CHECK_EQ(s->tw.live, 1);
    CHECK_EQ(synack_stack_poll(s, restarted + 60000000 - 1), restarted + 60000000);
    CHECK_EQ(s->tw.live, 1);
    synack_stack_poll(s, restarted + 60000000);              /* exactly 2*MSL after the restart */
    CHECK_EQ(s->tw.live, 0);
    synack_stack_get_counters(s, &k);
    CHECK_EQ(k.curr_time_wait, 0);
    synack_close(s, lsd);
    synack_stack_destroy(s);
}

static void syn_reopens_with_isn_above_old(void)
{
    for (int ts = 0; ts < 2; ts++) {
        static struct out o;
        o.n = 0;
        int lsd;
        synack_stack *s = server_in_time_wait(&o, ts, &lsd);
        REQUIRE(s != NULL);
        CHECK_EQ(s->tw.live, 1);
        /* An old SYN (sequence below RCV.NXT, no newer timestamp): ACKed,
         * the TIME_WAIT stays. */
        o.n = 0;
        now_us += 1000000;
        send_seg(s, TCP_SYN, 4000, 0, ts ? 90 : -1, 0);
        CHECK_EQ(s->tw.live, 1);
        CHECK(o.n == 0 || !(o.seg[0].flags & TCP_SYN));
        /* A newer SYN: a new connection whose ISN is the old SND.NXT
         * (1000002) + 65535 + 2, not the ISN hook's answer. */
        o.n = 0;
        send_seg(s, TCP_SYN, 9000, 0, ts ? 200 : -1, 0);
        CHECK_EQ(s->tw.live, 0);
        REQUIRE(o.n == 1);
        CHECK_EQ(o.seg[0].flags, TCP_SYN | TCP_ACK);
        CHECK_EQ(o.seg[0].seq, 1000002u + 65535u + 2u);
        CHECK_EQ(o.seg[0].ack, 9001);
        struct synack_counters k;
        synack_stack_get_counters(s, &k);
        CHECK_EQ(k.curr_time_wait, 0);
        synack_close(s, lsd);
        synack_stack_destroy(s);
    }
}

/* Ephemeral ports per 4-tuple (RFC 6056, as Linux): with a range of 10
 * ports, 10 connections toward each of 3 server ports (30 in all) fit; the
 * 11th toward one server port finds none; a port taken by bind() is not
 * handed out by connect(); bind(port 0) wants a port nobody uses. */
/* A stack at LADDR whose output goes to o; local ports lo..hi (0, 0: the
 * defaults). */
static synack_stack *capture_stack(struct out *o, uint16_t lo, uint16_t hi)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = LADDR;
    cfg.output = capture;
    cfg.output_ctx = o;
    if (lo) cfg.tunables.ephemeral_lo = lo, cfg.tunables.ephemeral_hi = hi;
    synack_stack *s;
    return synack_stack_create(&s, &cfg) == 0 ? s : NULL;
}

static void ports_per_four_tuple(void)
{
    static struct out o;
    synack_stack *s = capture_stack(&o, 50000, 50009);
    REQUIRE(s);
    int b = synack_socket(s);
    CHECK_EQ(synack_bind(s, b, &(struct synack_endpoint){0, 50003}), 0);
    int used[3][10] = {{0}}, ok = 0;
    for (int dst = 0; dst < 3; dst++) {
        for (int i = 0; i < 9; i++) {
            o.n = 0;
            int sd = synack_socket(s);
            if (synack_connect(s, sd, &(struct synack_endpoint){RADDR, (uint16_t)(80 + dst)}) != -EINPROGRESS) continue;
            struct synack_endpoint me;
            synack_getsockname(s, sd, &me);
            if (me.port >= 50000 && me.port <= 50009 && me.port != 50003 && !used[dst][me.port - 50000]++) ok++;
        }
        int sd = synack_socket(s); /* the range toward this endpoint is full (50003 is bound) */
        CHECK_EQ(synack_connect(s, sd, &(struct synack_endpoint){RADDR, (uint16_t)(80 + dst)}), -EADDRNOTAVAIL);
        synack_close(s, sd);
    }
    CHECK_EQ(ok, 27);
    /* Every port is in use toward someone: bind(0) finds none... */
    int n = synack_socket(s);
    CHECK_EQ(synack_bind(s, n, &(struct synack_endpoint){0, 0}), -EADDRINUSE);
    /* ... and a port in use by connections cannot be bound without SO_REUSEADDR. */
    CHECK_EQ(synack_bind(s, n, &(struct synack_endpoint){0, 50001}), -EADDRINUSE);
    /* Closing the bound socket frees 50003 for connect(). */
    synack_close(s, b);
    CHECK_EQ(synack_connect(s, n, &(struct synack_endpoint){RADDR, 80}), -EINPROGRESS);
    struct synack_endpoint me;
    synack_getsockname(s, n, &me);
    CHECK_EQ(me.port, 50003);
    synack_stack_destroy(s);
}

/* RFC 6056 algorithm 4: a destination's ports come from its own bucket's
 * counter, so connects toward another destination (of another bucket) do
 * not move them; and successive ports toward one destination are not
 * neighbours (the counter's keyed random steps). */
static int bucket_moved(const synack_stack *before, const synack_stack *after)
{
    int moved = -1;
    for (unsigned i = 0; i < STACK_PORT_BUCKETS; i++)
        if (before->port_table[i] != after->port_table[i]) moved = i;
    return moved;
}

static void ports_per_destination_bucket(void)
{
    static struct out o;
    synack_stack *alone = capture_stack(&o, 0, 0), *mixed = capture_stack(&o, 0, 0);
    REQUIRE(alone && mixed);
    static synack_stack snap;
    /* A's bucket, then a destination B of another bucket. */
    snap = *mixed;
    int sd = synack_socket(mixed);
    REQUIRE(synack_connect(mixed, sd, &(struct synack_endpoint){RADDR, 80}) == -EINPROGRESS);
    int bucket_a = bucket_moved(&snap, mixed);
    REQUIRE(bucket_a >= 0);
    synack_close(mixed, sd);
    sd = synack_socket(alone);
    REQUIRE(synack_connect(alone, sd, &(struct synack_endpoint){RADDR, 80}) == -EINPROGRESS);
    synack_close(alone, sd);
    uint16_t port_b = 0;
    for (uint16_t p = 81; p < 200 && !port_b; p++) {
        snap = *mixed;
        sd = synack_socket(mixed);
        REQUIRE(synack_connect(mixed, sd, &(struct synack_endpoint){RADDR, p}) == -EINPROGRESS);
        if (bucket_moved(&snap, mixed) != bucket_a) port_b = p;
        synack_close(mixed, sd);
    }
    REQUIRE(port_b != 0);
    int same = 0, near = 0;
    uint16_t prev = 0;
    for (int i = 0; i < 200; i++) {
        struct synack_endpoint pa, pm;
        int a = synack_socket(alone), m = synack_socket(mixed), other = synack_socket(mixed);
        REQUIRE(synack_connect(mixed, other, &(struct synack_endpoint){RADDR, port_b}) == -EINPROGRESS);
        REQUIRE(synack_connect(alone, a, &(struct synack_endpoint){RADDR, 80}) == -EINPROGRESS);
        REQUIRE(synack_connect(mixed, m, &(struct synack_endpoint){RADDR, 80}) == -EINPROGRESS);
        synack_getsockname(alone, a, &pa);
        synack_getsockname(mixed, m, &pm);
        same += pa.port == pm.port;
        if (prev && (uint16_t)(pa.port - prev) <= 2) near++;
        prev = pa.port;
    }
    CHECK_EQ(same, 200);
    CHECK(near < 10);
    synack_stack_destroy(alone);
    synack_stack_destroy(mixed);
}

/* The look-ahead at the next connects' candidate ports (port_ahead) only
 * prefetches: with 8 destinations filled round-robin to 90% of a
 * 1,000-port range, a stack whose look-ahead entries are scribbled over
 * before every connect picks the same ports as one left alone; each
 * destination's ports are distinct, the look-ahead ran, and a full range
 * still fails at once. */
static void ports_look_ahead_is_a_hint(void)
{
    static struct out o;
    synack_stack *a = capture_stack(&o, 40000, 40999), *b = capture_stack(&o, 40000, 40999);
    REQUIRE(a && b);
    static uint8_t used[8][1000];
    int differ = 0, dup = 0;
    uint32_t x = 7;
    for (int i = 0; i < 8 * 900; i++) {
        uint16_t dport = (uint16_t)(80 + i % 8);
        for (unsigned k = 0; k < STACK_PORT_AHEAD; k++) { /* b's entries: plausible, wrong */
            struct port_ahead *e = &b->port_ahead[k];
            x = x * 1103515245u + 12345u;
            e->counter = &b->port_table[x % STACK_PORT_BUCKETS];
            e->counter_at = *e->counter;
            e->next = x;
            e->hash = x * 2654435761u;
            e->i = (uint16_t)(x % 9);
            e->seq = b->port_seq - STACK_PORT_LOOK;
        }
        b->port_ahead_tail = b->port_ahead_head - STACK_PORT_AHEAD / 2;
        int sa = synack_socket(a), sb = synack_socket(b);
        REQUIRE(synack_connect(a, sa, &(struct synack_endpoint){RADDR, dport}) == -EINPROGRESS);
        REQUIRE(synack_connect(b, sb, &(struct synack_endpoint){RADDR, dport}) == -EINPROGRESS);
        struct synack_endpoint pa, pb;
        synack_getsockname(a, sa, &pa);
        synack_getsockname(b, sb, &pb);
        differ += pa.port != pb.port;
        if (pa.port >= 40000 && pa.port <= 40999) dup += used[i % 8][pa.port - 40000]++ != 0;
        else dup++;
    }
    CHECK_EQ(differ, 0);
    CHECK_EQ(dup, 0);
    CHECK(a->port_ahead_head > 1000); /* candidates were often in use: it looked ahead */
    for (int d = 0; d < 100; d++) { /* fill destination 80 to the last port */
        int sd = synack_socket(a);
        REQUIRE(synack_connect(a, sd, &(struct synack_endpoint){RADDR, 80}) == -EINPROGRESS);
    }
    int sd = synack_socket(a);
    CHECK_EQ(synack_connect(a, sd, &(struct synack_endpoint){RADDR, 80}), -EADDRNOTAVAIL);
    synack_stack_destroy(a);
    synack_stack_destroy(b);
}

/* The lowest free slot (socket descriptors), against a linear reference. */
static void slotmap_lowest_free_slot(void)
{
    enum { N = 70000 };
    static struct slotmap m;
    static bool is_free[N];
    REQUIRE(slotmap_init(&m, N) == 0);
    CHECK_EQ(slotmap_lowest_free(&m), -1);
    uint32_t x = 12345;
    int bad = 0;
    for (int step = 0; step < 200000; step++) {
        x = x * 1103515245u + 12345u;
        uint32_t i = (x >> 8) % N;
        if (step % 3) i %= 300; /* mostly low slots, so the lowest moves often */
        if (is_free[i]) slotmap_set_used(&m, i);
        else slotmap_set_free(&m, i);
        is_free[i] = !is_free[i];
        int64_t want = -1;
        if (step % 97 == 0 || i < 300) {
            for (uint32_t j = 0; j < N; j++)
                if (is_free[j]) {
                    want = j;
                    break;
                }
            bad += slotmap_lowest_free(&m) != want;
        }
    }
    CHECK_EQ(bad, 0);
    slotmap_set_free(&m, N - 1);
    for (uint32_t j = 0; j < N - 1; j++) slotmap_set_used(&m, j);
    CHECK_EQ(slotmap_lowest_free(&m), N - 1);
    slotmap_fini(&m);
}

TEST_MAIN(TEST(slotmap_lowest_free_slot), TEST(ports_per_four_tuple), TEST(ports_per_destination_bucket), TEST(ports_look_ahead_is_a_hint), TEST(table_index_fifo_and_growth), TEST(table_at_a_million_is_64_bytes_each), TEST(table_matches_a_model_under_churn),
          TEST(record_keeps_time_wait_rules), TEST(syn_reopens_with_isn_above_old))
