/*
 * test_hostile.c — the hostile-input suite: every case of
 * docs/HOSTILE.md (H-01 ... H-62, H-ISN, H-PORT, H-MAT) as a packet
 * script against a stack under test, in every relevant TCP state, plus the
 * systematic mutation matrix (TCP and IPv4 field/value lists, single
 * mutations and a seeded sample of pairs).
 *
 * "Dropped" is asserted as: nothing sent, the named counter up, no state
 * change of any connection, heap back to its level (peer.h,
 * expect_dropped). Every injected packet is an exactly-sized heap copy, so
 * the ASan/UBSan build turns any overread into a report.
 *
 * Run one case: test_hostile h29_tcp_flags. The suite keeps asserting the
 * behaviour the spec requires even where synack does not provide it yet.
 */
#include <time.h>

#include "peer.h"
#include "stack/stack.h"
#include "tcp/tcp_sack.h"

/* ---- small helpers ---------------------------------------------------------- */

static bool begin(struct peer *t, enum synack_tcp_state s, const struct peer_options *po, const char *what)
{
    if (!peer_begin(t, po)) return false;
    peer_ctx(t, "%s in %s", what, synack_state_name(s));
    return fx_state(t, s);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A tiny seeded generator (xorshift64*), no global RNG. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* The application reads what is there; returns the count (<= cap). */
static ssize_t app_read(struct peer *t, void *buf, size_t cap)
{
    ssize_t n = synack_recv(t->st, t->sd, buf, cap);
    return n < 0 ? 0 : n;
}

/* Data segments the stack sent (drains the queue). */
struct flight {
    size_t bytes, segs, max_len, min_len, other;
    bool rst;
};
static struct flight collect(struct peer *t)
{
    struct flight f = {0, 0, 0, (size_t)-1, 0, false};
    while (t->head) {
        if (peer_pop(t) != 1) {
            f.other++;
            continue;
        }
        if (t->last.tcp.flags & TCP_RST) f.rst = true;
        size_t n = t->last.tcp.payload_len;
        if (n == 0) continue;
        f.bytes += n;
        f.segs++;
        if (n > f.max_len) f.max_len = n;
        if (n < f.min_len) f.min_len = n;
    }
    return f;
}

/* The application queues n bytes and the stack sends what it may. */
static struct flight app_send(struct peer *t, size_t n)
{
    static uint8_t buf[65536];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + 3);
    size_t done = 0;
    while (done < n) {
        size_t k = n - done > sizeof buf ? sizeof buf : n - done;
        ssize_t w = synack_send(t->st, t->sd, buf, k);
        if (w <= 0) break;
        done += (size_t)w;
    }
    peer_poll(t);
    return collect(t);
}

/* The peer sends "data" on the tracked connection: was it delivered and
 * ACKed? (The observable proof that a segment was processed.) */
static bool data_delivered(struct peer *t, struct bytes opts, const char *what)
{
    uint32_t ack = t->fin_sent ? t->pack - 1 : t->pack;
    peer_send(t, TCP_ACK | TCP_PSH, t->pseq, ack, 65535, opts, TEXT("data"));
    peer_advance(t, 50000); /* past any delayed ACK */
    bool acked = false;
    while (t->head)
        if (peer_pop(t) == 1 && t->last.tcp.ack == t->pseq + 4) acked = true;
    char buf[16];
    ssize_t n = app_read(t, buf, sizeof buf);
    bool ok = acked && n == 4 && memcmp(buf, "data", 4) == 0;
    if (!ok) PFAIL(t, "%s: segment not processed (acked=%d, read %zd bytes)", what, acked, n);
    else t->pseq += 4;
    harness_checks++;
    return ok;
}

/* Runs mutate() on the template of each listed state and asserts a drop
 * counted in the counter at off. */
typedef void (*mutator)(struct pkt *p, long arg);
static void drop_in_states(const enum synack_tcp_state *states, size_t nstates, const char *what, mutator mut,
                           long arg, size_t off, const char *ctr, int line)
{
    for (size_t i = 0; i < nstates; i++) {
        struct peer t;
        if (!begin(&t, states[i], NULL, what)) {
            peer_end(&t);
            continue;
        }
        peer_ctx(&t, "%s (arg %ld) in %s", what, arg, synack_state_name(states[i]));
        struct pkt p = peer_template(&t);
        mut(&p, arg);
        struct peer_snap snap;
        peer_snapshot(&t, &snap);
        peer_inject(&t, &p);
        peer_expect_dropped_(&t, &snap, off, ctr, __FILE__, line);
        pkt_free(&p);
        peer_end(&t);
    }
}
#define DROP_ALL(what, mut, arg, field)                                                          \
    drop_in_states(peer_all_states, PEER_NSTATES, (what), (mut), (arg),                        \
                   offsetof(struct synack_counters, field), #field, __LINE__)

/* What a packet does, recorded for comparisons: every TCP output segment,
 * the final state, the bytes readable. */
struct outcome {
    char out[8][200];
    int nout;
    enum synack_tcp_state state;
    char data[16];
    ssize_t ndata;
};
static void run_outcome(enum synack_tcp_state s, mutator mut, long arg, struct outcome *o, const char *what)
{
    struct peer t;
    memset(o, 0, sizeof *o);
    if (!begin(&t, s, NULL, what)) {
        peer_end(&t);
        o->nout = -1;
        return;
    }
    struct pkt p = peer_template(&t);
    if (mut) mut(&p, arg);
    peer_inject(&t, &p);
    pkt_free(&p);
    while (t.head) {
        if (o->nout < 8) peer_format(o->out[o->nout], sizeof o->out[0], t.head->b, t.head->len);
        o->nout++;
        peer_pop(&t);
    }
    o->state = t.state;
    if (t.sd >= 0) o->ndata = synack_recv(t.st, t.sd, o->data, sizeof o->data);
    peer_end(&t);
}
static bool outcome_equal(const struct outcome *a, const struct outcome *b)
{
    if (a->nout != b->nout || a->state != b->state || a->ndata != b->ndata) return false;
    for (int i = 0; i < a->nout && i < 8; i++)
        if (strcmp(a->out[i], b->out[i]) != 0) return false;
    return a->ndata <= 0 || memcmp(a->data, b->data, (size_t)a->ndata) == 0;
}
static void print_outcome(const char *label, const struct outcome *o)
{
    fprintf(stderr, "    %s: state %s, %d packet(s), read %zd\n", label, synack_state_name(o->state), o->nout,
            o->ndata);
    for (int i = 0; i < o->nout && i < 8; i++) fprintf(stderr, "      %s\n", o->out[i]);
}
/* The mutated template must behave exactly as the plain one. */
static void same_as_template(enum synack_tcp_state s, mutator mut, long arg, const char *what)
{
    struct outcome a, b;
    run_outcome(s, NULL, 0, &a, what);
    run_outcome(s, mut, arg, &b, what);
    harness_checks++;
    if (!outcome_equal(&a, &b)) {
        struct peer dummy;
        peer_ctx(&dummy, "%s (arg %ld) in %s", what, arg, synack_state_name(s));
        PFAIL(&dummy, "processed differently from the unmutated segment");
        print_outcome("plain  ", &a);
        print_outcome("mutated", &b);
    }
}
/* Two runs of the same mutated packet give the same result. */
static void deterministic(enum synack_tcp_state s, mutator mut, long arg, const char *what)
{
    struct outcome a, b;
    run_outcome(s, mut, arg, &a, what);
    run_outcome(s, mut, arg, &b, what);
    harness_checks++;
    if (!outcome_equal(&a, &b)) {
        struct peer dummy;
        peer_ctx(&dummy, "%s (arg %ld) in %s", what, arg, synack_state_name(s));
        PFAIL(&dummy, "not deterministic");
    }
}

/* ---- mutators --------------------------------------------------------------- */

static void m_ip_version(struct pkt *p, long v)
{
    p->b[0] = (uint8_t)((v << 4) | (p->b[0] & 0x0f));
    pkt_fix_ip_csum_len(p, 20);
}
static void m_ip_ihl(struct pkt *p, long v)
{
    p->b[0] = (uint8_t)(0x40 | (v & 0x0f));
    pkt_fix_ip_csum_len(p, 20);
}
static void m_ip_totlen(struct pkt *p, long v)
{
    wire_put16(p->b + 2, (uint16_t)v);
    pkt_fix_ip_csum(p);
}
static void m_ip_csum(struct pkt *p, long v) { wire_put16(p->b + 10, (uint16_t)v); }
static void m_ip_tos(struct pkt *p, long v)
{
    p->b[1] = (uint8_t)v;
    pkt_fix_ip_csum(p);
}
static void m_ip_ttl(struct pkt *p, long v)
{
    p->b[8] = (uint8_t)v;
    pkt_fix_ip_csum(p);
}
static void m_ip_proto(struct pkt *p, long v)
{
    p->b[9] = (uint8_t)v;
    pkt_fix_ip_csum(p);
}
static void m_ip_ident(struct pkt *p, long v)
{
    wire_put16(p->b + 4, (uint16_t)v);
    pkt_fix_ip_csum(p);
}
/* flags (3 bits) and fragment offset (13 bits) */
static void m_ip_flags(struct pkt *p, long v)
{
    uint16_t f = wire_get16(p->b + 6);
    wire_put16(p->b + 6, (uint16_t)((f & 0x1fff) | ((v & 7) << 13)));
    pkt_fix_ip_csum(p);
}
static void m_ip_fragoff(struct pkt *p, long v)
{
    uint16_t f = wire_get16(p->b + 6);
    wire_put16(p->b + 6, (uint16_t)((f & 0xe000) | (v & 0x1fff)));
    pkt_fix_ip_csum(p);
}
/* Addresses enter the TCP pseudo-header: fix both checksums (the packet
 * must fail on the address, not on the checksum). */
static void m_ip_src(struct pkt *p, long v)
{
    wire_put32(p->b + 12, (uint32_t)v);
    pkt_fix_ip_csum(p);
    pkt_fix_tcp_csum(p);
}
static void m_ip_dst(struct pkt *p, long v)
{
    wire_put32(p->b + 16, (uint32_t)v);
    pkt_fix_ip_csum(p);
    pkt_fix_tcp_csum(p);
}
/* Insert IPv4 options (the bytes of a static table selected by v). */
static const struct {
    uint8_t b[40];
    uint8_t n;
} ip_opts[] = {
    {{0x07, 0x00, 0, 0}, 4},                               /* RR, length 0 */
    {{0x07, 0x01, 0, 0}, 4},                               /* RR, length 1 */
    {{0x44, 0x20, 0x05, 0x00}, 4},                         /* TS, length past the header */
    {{0x83, 0x07, 0x00, 10, 0, 0, 1, 0}, 8},               /* LSRR, pointer 0 */
    {{0x89, 0x07, 0xff, 10, 0, 0, 1, 0}, 8},               /* SSRR, pointer 255 */
    {{0x07, 0x07, 0x64, 10, 0, 0, 1, 0}, 8},               /* RR, pointer 100 */
    {{0x44, 0x0c, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8}, 12}, /* TS, pointer 0 */
    {{0x03, 0x03, 0x55, 0x55, 0x03, 0x04, 0x00, 0x03, 0x04, 0x00, 0x03, 0x04, 0x00, 0x03, 0x04, 0x00}, 16},
    {{0x83, 0x07, 0x04, 10, 0, 0, 1, 0}, 8},               /* LSRR via 10.0.0.1: never honoured */
    {{0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
      0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01,
      0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01}, 40}, /* 40 NOPs: IHL 15, valid */
    {{0x94, 0x04, 0x00, 0x00}, 4},                         /* router alert, valid */
    {{0x01, 0x01, 0x01, 0x44}, 4},                         /* kind as the last byte */
};
#define N_IP_OPTS (sizeof ip_opts / sizeof ip_opts[0])
static void m_ip_options(struct pkt *p, long v)
{
    size_t n = ip_opts[v].n;
    struct pkt q = {calloc(1, p->len + n), p->len + n};
    memcpy(q.b, p->b, 20);
    memcpy(q.b + 20, ip_opts[v].b, n);
    memcpy(q.b + 20 + n, p->b + 20, p->len - 20);
    q.b[0] = (uint8_t)(0x40 | ((20 + n) / 4));
    wire_put16(q.b + 2, (uint16_t)q.len);
    pkt_fix_ip_csum_len(&q, 20 + n);
    pkt_free(p);
    *p = q;
}
/* 40 bytes of NOP options (IHL 15, a valid 60-byte header), then total
 * length v < 60. */
static void m_ip_ihl15_totlen(struct pkt *p, long v)
{
    m_ip_options(p, 9);
    wire_put16(p->b + 2, (uint16_t)v);
    pkt_fix_ip_csum_len(p, 60);
}
static void m_truncate_frame(struct pkt *p, long v) { pkt_truncate(p, p->len - (size_t)v); }
static void m_pad_frame(struct pkt *p, long v)
{
    uint8_t pad[64];
    memset(pad, 0xee, sizeof pad);
    pkt_append(p, pad, (size_t)v);
}
/* Cut the IP payload (TCP) to v bytes, keeping the IP header consistent. */
static void m_trunc_tcp(struct pkt *p, long v)
{
    pkt_truncate(p, 20 + (size_t)v);
    wire_put16(p->b + 2, (uint16_t)p->len);
    pkt_fix_ip_csum(p);
}

/* TCP fields (offsets in the TCP header at 20). */
static void m_tcp_off(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    p->b[32] = (uint8_t)((v << 4) | (p->b[32] & 0x0f));
    pkt_fix_tcp_csum(p);
}
static void m_tcp_reserved(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    p->b[32] = (uint8_t)((p->b[32] & 0xf0) | (v & 0x0f));
    pkt_fix_tcp_csum(p);
}
static void m_tcp_flags(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    p->b[33] = (uint8_t)v;
    pkt_fix_tcp_csum(p);
}
static void m_tcp_csum(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put16(p->b + 36, (uint16_t)v);
}
/* The checksum of a pseudo-header with a different length. */
static void m_tcp_csum_len(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    size_t tl = p->len - 20;
    uint32_t src = wire_get32(p->b + 12), dst = wire_get32(p->b + 16);
    wire_put16(p->b + 36, 0);
    uint32_t sum = wire_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)(tl + (size_t)v));
    wire_put16(p->b + 36, wire_csum_finish(wire_csum_add(sum, p->b + 20, tl)));
}
static void m_tcp_sport(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put16(p->b + 20, (uint16_t)v);
    pkt_fix_tcp_csum(p);
}
static void m_tcp_dport(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put16(p->b + 22, (uint16_t)v);
    pkt_fix_tcp_csum(p);
}
static void m_tcp_win(struct pkt *p, long v)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put16(p->b + 34, (uint16_t)v);
    pkt_fix_tcp_csum(p);
}
/* Replace the TCP options area with the given bytes (padded with EOL). */
static void pkt_set_tcp_options(struct pkt *p, const uint8_t *o, size_t n)
{
    if (p->len < 40) return;
    size_t hl = (size_t)(p->b[32] >> 4) * 4;
    if (hl < 20 || 20 + hl > p->len) hl = 20;
    size_t dlen = p->len - 20 - hl;
    size_t ol = (n + 3) & ~(size_t)3;
    if (ol > 40) ol = 40;
    struct pkt q = {calloc(1, 40 + ol + dlen), 40 + ol + dlen};
    memcpy(q.b, p->b, 40);
    memcpy(q.b + 40, o, n < ol ? n : ol);
    memcpy(q.b + 40 + ol, p->b + 20 + hl, dlen);
    q.b[32] = (uint8_t)((((20 + ol) / 4) << 4) | (q.b[32] & 0x0f));
    pkt_free(p);
    *p = q;
    pkt_fix_all(p);
}

/* ==== A. IPv4 header ========================================================= */

static void h01_ip_version(void)
{
    static const long v[] = {0, 6, 15};
    for (size_t i = 0; i < 3; i++) DROP_ALL("H-01 version", m_ip_version, v[i], in_ip_errors);
}

static void h02_ip_ihl_small(void)
{
    for (long ihl = 0; ihl <= 4; ihl++) DROP_ALL("H-02 IHL", m_ip_ihl, ihl, in_ip_errors);
}

static void h03_ip_ihl_past_packet(void)
{
    DROP_ALL("H-03 IHL=15", m_ip_ihl, 15, in_ip_errors);
    /* IHL 8 (32 bytes) on a packet whose TCP header starts at 20 */
    DROP_ALL("H-03 IHL=8", m_ip_ihl, 8, in_ip_errors);
}

static void h04_ip_totlen_short(void)
{
    static const long v[] = {0, 19, 0x3b, 0x3f};
    for (size_t i = 0; i < 4; i++) {
        if (v[i] < 60) DROP_ALL("H-04 tot_len < IHL*4 (IHL 15)", m_ip_ihl15_totlen, v[i], in_ip_errors);
        else DROP_ALL("H-04 tot_len = IHL*4 + 3 (IHL 15): 3 bytes of TCP", m_ip_ihl15_totlen, v[i], in_tcp_errors);
        if (v[i] < 20) DROP_ALL("H-04 tot_len < 20 (IHL 5)", m_ip_totlen, v[i], in_ip_errors);
    }
}

static void h05_ip_totlen_past_frame(void)
{
    DROP_ALL("H-05 tot_len 0xFFFF", m_ip_totlen, 0xffff, in_ip_errors);
    DROP_ALL("H-05 frame one byte short", m_truncate_frame, 1, in_ip_errors);
    /* tot_len one more than the frame */
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        struct peer t;
        if (!begin(&t, peer_all_states[i], NULL, "H-05 tot_len = frame + 1")) {
            peer_end(&t);
            continue;
        }
        struct pkt p = peer_template(&t);
        m_ip_totlen(&p, (long)p.len + 1);
        struct peer_snap s;
        peer_snapshot(&t, &s);
        peer_inject(&t, &p);
        expect_dropped(&t, &s, in_ip_errors);
        pkt_free(&p);
        peer_end(&t);
    }
}

static void h06_ip_link_padding(void)
{
    /* Padding never reaches TCP: the outcome is the unpadded one. */
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        same_as_template(peer_all_states[i], m_pad_frame, 6, "H-06 6 bytes of padding");
        same_as_template(peer_all_states[i], m_pad_frame, 40, "H-06 40 bytes of padding");
    }
    /* And concretely: "data" + padding delivers exactly 4 bytes. */
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-06")) {
        struct pkt p = peer_build(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, NONE, TEXT("data"));
        m_pad_frame(&p, 18);
        peer_inject(&t, &p);
        pkt_free(&p);
        expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4);
        char buf[64];
        CHECK_EQ(app_read(&t, buf, sizeof buf), 4);
    }
    peer_end(&t);
}

static void h07_ip_checksum(void)
{
    static const long v[] = {0x0000, 0xffff};
    for (size_t i = 0; i < 2; i++) DROP_ALL("H-07 IP checksum", m_ip_csum, v[i], in_ip_errors);
}

/* Options: ignored or bounds-checked; never a source route honoured, never
 * options in what we send back. */
static void h08_ip_options(void)
{
    for (size_t o = 0; o < N_IP_OPTS; o++) {
        for (size_t i = 0; i < PEER_NSTATES; i++) {
            struct peer t;
            if (!begin(&t, peer_all_states[i], NULL, "H-08 IP options")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-08 IP option #%zu in %s", o, synack_state_name(peer_all_states[i]));
            struct pkt p = peer_template(&t);
            m_ip_options(&p, (long)o);
            peer_inject(&t, &p);
            pkt_free(&p);
            while (t.head) {
                uint8_t b0 = t.head->b[0];
                uint32_t dst = wire_get32(t.head->b + 16);
                PCHECK(&t, b0 == 0x45);        /* no options in what we send */
                PCHECK(&t, dst == PEER_ADDR);  /* the source, never a route hop */
                peer_pop(&t);
            }
            PCHECK(&t, peer_clean_exchange(&t, 50001));
            peer_end(&t);
        }
    }
    /* The malformed ones (length 0, 1, past IHL, kind as last byte) drop. */
    static const long bad[] = {0, 1, 2, 11};
    for (size_t k = 0; k < 4; k++) DROP_ALL("H-08 malformed IP option", m_ip_options, bad[k], in_ip_errors);
}

static void h09_ip_bad_source(void)
{
    static const uint32_t src[] = {0x00000000, 0xffffffff, 0x7f000001, 0x7f123456, 0xe0000001,
                                   0xeffffffa, 0xf0000001, 0xc0a80001 /* our own: LAND */};
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++)
        DROP_ALL("H-09 source address", m_ip_src, (long)src[i], in_ip_errors);
}

static void h10_ip_not_ours(void)
{
    static const uint32_t dst[] = {0xc0a80002, 0xffffffff, 0xe0000001, 0xc0a800ff, 0x00000000, 0x7f000001};
    for (size_t i = 0; i < sizeof dst / sizeof dst[0]; i++)
        DROP_ALL("H-10 destination", m_ip_dst, (long)dst[i], in_not_ours);
}

/* Drop (or a protocol-unreachable, never anything else); never decapsulate. */
static void h11_ip_protocols(void)
{
    static const long proto[] = {0, 255, 4, 41, 17, 47};
    for (size_t k = 0; k < sizeof proto / sizeof proto[0]; k++) {
        for (size_t i = 0; i < PEER_NSTATES; i++) {
            struct peer t;
            if (!begin(&t, peer_all_states[i], NULL, "H-11")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-11 protocol %ld in %s", proto[k], synack_state_name(peer_all_states[i]));
            struct pkt p = peer_template(&t);
            if (proto[k] == 4) {
                /* IP-in-IP whose inner packet is a valid SYN to our listener. */
                struct seg_spec s = {PEER_ADDR, STACK_ADDR, 50002, SERVER_PORT, TCP_SYN, 1, 0, 65535, 0, NONE, NONE};
                struct pkt inner = pkt_build(&t, &s);
                pkt_truncate(&p, 20);
                pkt_append(&p, inner.b, inner.len);
                pkt_free(&inner);
                wire_put16(p.b + 2, (uint16_t)p.len);
            }
            m_ip_proto(&p, proto[k]);
            struct peer_snap s;
            peer_snapshot(&t, &s);
            peer_inject(&t, &p);
            if (t.head) {
                int rc = peer_pop(&t);
                PCHECK(&t, rc == 2 && t.last.ip.protocol == IPV4_PROTO_ICMP && t.last.data[20] == 3 &&
                               t.last.data[21] == 2);
                expect_none(&t);
            } else {
                expect_dropped(&t, &s, in_other_proto);
            }
            pkt_free(&p);
            peer_end(&t);
        }
    }
}

static void h12_ip_ttl_tos_rsv(void)
{
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        enum synack_tcp_state s = peer_all_states[i];
        /* DSCP/ECN at every value: a host accepts them all. */
        for (long tos = 0; tos < 256; tos += (i == 3 ? 1 : 17)) same_as_template(s, m_ip_tos, tos, "H-12 TOS");
        deterministic(s, m_ip_ttl, 0, "H-12 TTL 0");
        same_as_template(s, m_ip_ttl, 255, "H-12 TTL 255");
        deterministic(s, m_ip_flags, 4, "H-12 reserved flag bit");
        deterministic(s, m_ip_flags, 6, "H-12 reserved + DF");
    }
}

/* ==== B. Fragments (reassembled, bounded; tests/test_reassembly.c has the rest) == */

/* One fragment: held for reassembly (no reply, no change of state, one
 * queue kept; bounded, see tests/test_reassembly.c), or refused outright
 * (dropped and counted in in_fragments, nothing kept). */
static void frag_one(enum synack_tcp_state st, long flags, long off, const char *what, bool held)
{
    struct peer t;
    if (begin(&t, st, NULL, what)) {
        peer_ctx(&t, "%s (flags %ld, offset %ld) in %s", what, flags, off, synack_state_name(st));
        struct pkt p = peer_template(&t);
        m_ip_flags(&p, flags);
        m_ip_fragoff(&p, off);
        struct peer_snap s;
        peer_snapshot(&t, &s);
        int transitions = t.transitions;
        peer_inject(&t, &p);
        if (held) {
            expect_none(&t);
            expect_state(&t, st);
            PCHECK_EQ(&t, t.transitions, transitions);
        } else {
            expect_dropped(&t, &s, in_fragments);
        }
        PCHECK_EQ(&t, t.st->ip.reasm.nqueues, held ? 1 : 0);
        pkt_free(&p);
    }
    peer_end(&t);
}
#define frag_held(st, flags, off, what) frag_one((st), (flags), (off), (what), true)
#define frag_drop(st, flags, off, what) frag_one((st), (flags), (off), (what), false)

static void h13_fragments(void)
{
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        frag_held(peer_all_states[i], 1, 0, "H-13 first fragment (MF)");
        frag_held(peer_all_states[i], 0, 1, "H-13 last fragment");
        frag_held(peer_all_states[i], 1, 0xf0, "H-13 middle fragment");
        frag_drop(peer_all_states[i], 3, 0, "H-13 DF+MF");
    }
}

static void h14_fragment_offset_overflow(void)
{
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        frag_drop(peer_all_states[i], 0, 0x1fff, "H-14 offset 0x1FFF + payload");
        frag_drop(peer_all_states[i], 1, 0x1fff, "H-14 offset 0x1FFF, MF");
    }
}

/* A sequence of fragments of one datagram (same ID) that never makes a
 * whole datagram: no reply, nothing delivered, the counter named grows by
 * want, and 30 s later nothing is held. */
static void frag_sequence(const char *what, const long (*frags)[3], size_t n, size_t ctr_off, uint64_t want)
{
    struct peer t;
    if (begin(&t, SYNACK_LISTEN, NULL, what)) {
        struct synack_counters before, after;
        synack_stack_get_counters(t.st, &before);
        for (size_t k = 0; k < n; k++) {
            struct pkt p = peer_template(&t);
            pkt_append(&p, (const uint8_t *)"0123456789abcdefghijklmnopqrstuvwxyz", (size_t)frags[k][2]);
            wire_put16(p.b + 2, (uint16_t)p.len);
            m_ip_ident(&p, 0x4242);
            m_ip_flags(&p, frags[k][0]);
            m_ip_fragoff(&p, frags[k][1]);
            peer_inject(&t, &p);
            pkt_free(&p);
        }
        expect_none(&t);
        synack_stack_get_counters(t.st, &after);
        PCHECK_EQ(&t, after.reasm_reqds - before.reasm_reqds, n);
        PCHECK_EQ(&t, after.reasm_oks - before.reasm_oks, 0);
        PCHECK_EQ(&t, ctr_at(&after, ctr_off) - ctr_at(&before, ctr_off), want);
        PCHECK_EQ(&t, after.passive_opens - before.passive_opens, 0);
        peer_advance(&t, 31000000u);
        peer_drain(&t);
        PCHECK_EQ(&t, t.st->ip.reasm.nqueues, 0);
        PCHECK_EQ(&t, t.st->ip.reasm.mem, 0);
        PCHECK(&t, peer_clean_exchange(&t, 50003));
    }
    peer_end(&t);
}

static void h15_fragment_overlap(void)
{
    /* payload of each: the 20-byte SYN's TCP header + [2] bytes; a non-last
     * fragment is cut to a multiple of 8 */
    static const long overlap[][3] = {{1, 0, 8}, {1, 2, 16}, {0, 4, 8}};
    static const long duplicate[][3] = {{1, 0, 8}, {1, 0, 8}, {0, 5, 0}};
    static const long subset[][3] = {{1, 0, 24}, {1, 1, 8}, {0, 6, 0}};
    frag_sequence("H-15 overlapping fragments", overlap, 3, offsetof(struct synack_counters, reasm_overlaps), 1);
    frag_sequence("H-15 duplicate fragments", duplicate, 3, offsetof(struct synack_counters, reasm_dups), 1);
    frag_sequence("H-15 subset fragments", subset, 3, offsetof(struct synack_counters, reasm_dups), 1);
}

static void h16_fragment_tiny_first(void)
{
    /* The first fragment carries 8 bytes of TCP header only; it arrives
     * last, after a fragment that claims more bytes than it has. The
     * datagram is whole then: its data is delivered (as Linux; refusing
     * tiny first fragments, RFC 1858, is a filter's job). */
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-16")) {
        struct pkt whole = peer_template(&t);
        struct pkt last = pkt_dup(whole.b, whole.len);
        /* tail: bytes 8.. of the TCP segment at offset 1 (8 bytes) */
        if (last.len >= 28) memmove(last.b + 20, last.b + 28, last.len - 28);
        pkt_truncate(&last, last.len - 8);
        m_ip_fragoff(&last, 1);
        m_ip_totlen(&last, (long)last.len);
        struct pkt first = pkt_dup(whole.b, 28);
        m_ip_flags(&first, 1);
        m_ip_totlen(&first, 28);
        struct pkt huge = pkt_dup(first.b, first.len); /* claims more than it has */
        m_ip_totlen(&huge, 0xffff);
        struct synack_counters before, after;
        synack_stack_get_counters(t.st, &before);
        peer_inject(&t, &last);
        peer_inject(&t, &huge);
        peer_inject(&t, &first);
        synack_stack_get_counters(t.st, &after);
        PCHECK_EQ(&t, after.in_ip_errors - before.in_ip_errors, 1); /* huge */
        PCHECK_EQ(&t, after.reasm_oks - before.reasm_oks, 1);
        peer_advance(&t, 50000);
        bool acked = false;
        while (t.head)
            if (peer_pop(&t) == 1 && t.last.tcp.ack == t.pseq + 4) acked = true;
        char buf[16];
        ssize_t n = app_read(&t, buf, sizeof buf);
        PCHECK(&t, acked && n == 4 && memcmp(buf, "data", 4) == 0);
        t.pseq += 4;
        pkt_free(&whole);
        pkt_free(&last);
        pkt_free(&first);
        pkt_free(&huge);
    }
    peer_end(&t);
}

static void h17_fragment_flood(void)
{
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-17")) {
        uint64_t rng = 17;
        struct synack_counters before, after;
        synack_stack_get_counters(t.st, &before);
        size_t heap = peer_heap();
        double t0 = now_s();
        enum { N = 20000 };
        struct pkt p = peer_template(&t);
        for (int i = 0; i < N; i++) {
            uint64_t r = rng_next(&rng);
            wire_put16(p.b + 4, (uint16_t)r);
            wire_put32(p.b + 12, synack_ipv4(198, 51, (uint8_t)(r >> 16), (uint8_t)(1 + (r >> 24) % 250)));
            wire_put16(p.b + 6, (uint16_t)(0x2000 | ((r >> 32) & 0x1fff)));
            pkt_fix_ip_csum(&p);
            peer_inject(&t, &p);
        }
        pkt_free(&p);
        double dt = now_s() - t0;
        synack_stack_get_counters(t.st, &after);
        PCHECK_EQ(&t, after.reasm_reqds - before.reasm_reqds, N);
        PCHECK_EQ(&t, after.reasm_oks - before.reasm_oks, 0);
        PCHECK(&t, after.reasm_evicted > before.reasm_evicted);
        struct synack_tunables tun;
        synack_stack_get_tunables(t.st, &tun);
        PCHECK(&t, t.st->ip.reasm.peak_mem <= tun.ipfrag_high_thresh);
        size_t grown = peer_heap() > heap ? peer_heap() - heap : 0;
        if (grown > tun.ipfrag_high_thresh + 512u * 1024u) PFAIL(&t, "heap grew %zu bytes", grown);
        PCHECK(&t, dt < 5.0);
        expect_none(&t);
        expect_state(&t, SYNACK_ESTABLISHED);
        data_delivered(&t, NONE, "after the fragment flood");
    }
    peer_end(&t);
}

/* ==== C. ICMP ================================================================== */

/* An ICMP message from src: the 4-byte type/code/checksum header, then
 * body (for echo: ident, seq, data; for errors: 4 bytes then the quote). */
static struct pkt icmp_build(struct peer *t, uint32_t src, uint8_t type, uint8_t code, const uint8_t *body,
                             size_t n)
{
    size_t il = 4 + n;
    struct pkt p = {calloc(1, 20 + il), 20 + il};
    struct ipv4_repr ip = {.src = src, .dst = STACK_ADDR, .protocol = IPV4_PROTO_ICMP, .ttl = 64,
                           .ident = t->ident++, .header_len = 20, .payload_len = (uint16_t)il};
    ipv4_emit(&ip, p.b, p.len);
    p.b[20] = type;
    p.b[21] = code;
    if (n) memcpy(p.b + 24, body, n);
    wire_put16(p.b + 22, wire_csum_finish(wire_csum_add(0, p.b + 20, il)));
    return p;
}

/* An ICMP error quoting a segment we sent on the tracked connection:
 * quote_len bytes of (IPv4 header + TCP header), with seq. */
static struct pkt icmp_error(struct peer *t, uint8_t type, uint8_t code, uint16_t mtu, uint32_t seq,
                             size_t quote_len, void (*edit)(uint8_t *quote))
{
    struct seg_spec s = {STACK_ADDR, PEER_ADDR, t->lport, t->rport, TCP_ACK, seq, t->pseq, 65535, 0, NONE, NONE};
    struct pkt q = pkt_build(t, &s);
    uint8_t body[4 + 64];
    memset(body, 0, sizeof body);
    wire_put16(body + 2, mtu);
    if (quote_len > 60) quote_len = 60;
    memcpy(body + 4, q.b, quote_len < q.len ? quote_len : q.len);
    if (edit) edit(body + 4);
    pkt_free(&q);
    return icmp_build(t, PEER_ADDR, type, code, body, 4 + quote_len);
}

static void h18_icmp_echo(void)
{
    struct peer t;
    if (!begin(&t, SYNACK_ESTABLISHED, NULL, "H-18")) {
        peer_end(&t);
        return;
    }
    /* Well formed, odd length: echoed exactly, valid checksum. */
    static const uint8_t req[] = {0x12, 0x34, 0x00, 0x07, 'h', 'e', 'l', 'l', 'o'};
    struct pkt p = icmp_build(&t, PEER_ADDR, ICMP_ECHO_REQUEST, 0, req, sizeof req);
    peer_inject(&t, &p);
    pkt_free(&p);
    harness_checks++;
    if (peer_pop(&t) == 2) {
        const uint8_t *r = t.last.data;
        size_t il = t.last.ip.payload_len;
        PCHECK_EQ(&t, r[20], ICMP_ECHO_REPLY);
        PCHECK_EQ(&t, il, 4 + sizeof req);
        PCHECK(&t, il == 4 + sizeof req && memcmp(r + 24, req, sizeof req) == 0);
        PCHECK_EQ(&t, wire_csum_finish(wire_csum_add(0, r + 20, il)), 0);
        PCHECK_EQ(&t, t.last.ip.dst, PEER_ADDR);
    } else {
        PFAIL(&t, "no echo reply to a well-formed request");
    }
    /* Shorter than 8 bytes (4 and 7 bytes of ICMP): no reply. */
    for (size_t n = 0; n <= 3; n++) {
        peer_ctx(&t, "H-18 echo request of %zu bytes", 4 + n);
        struct pkt s = icmp_build(&t, PEER_ADDR, ICMP_ECHO_REQUEST, 0, req, n);
        struct peer_snap snap;
        peer_snapshot(&t, &snap);
        peer_inject(&t, &s);
        expect_dropped(&t, &snap, icmp_in);
        pkt_free(&s);
    }
    /* Bad ICMP checksum: no reply. */
    peer_ctx(&t, "H-18 bad checksum");
    struct pkt b = icmp_build(&t, PEER_ADDR, ICMP_ECHO_REQUEST, 0, req, sizeof req);
    b.b[23] ^= 0x55;
    peer_inject(&t, &b);
    expect_none(&t);
    pkt_free(&b);
    /* Frame longer than the IP total length: echo only the datagram. */
    peer_ctx(&t, "H-18 frame with padding");
    struct pkt pad = icmp_build(&t, PEER_ADDR, ICMP_ECHO_REQUEST, 0, req, sizeof req);
    m_pad_frame(&pad, 11);
    peer_inject(&t, &pad);
    pkt_free(&pad);
    if (peer_pop(&t) == 2) PCHECK_EQ(&t, t.last.ip.payload_len, 4 + sizeof req);
    else PFAIL(&t, "no echo reply to a padded request");
    /* IP total length past the frame: dropped. */
    peer_ctx(&t, "H-18 total length past the frame");
    struct pkt lng = icmp_build(&t, PEER_ADDR, ICMP_ECHO_REQUEST, 0, req, sizeof req);
    m_ip_totlen(&lng, (long)lng.len + 8);
    peer_inject(&t, &lng);
    expect_none(&t);
    pkt_free(&lng);
    /* Echo from a broadcast source: never answered. */
    peer_ctx(&t, "H-18 echo from 255.255.255.255");
    struct pkt bc = icmp_build(&t, 0xffffffffu, ICMP_ECHO_REQUEST, 0, req, sizeof req);
    peer_inject(&t, &bc);
    expect_none(&t);
    pkt_free(&bc);
    expect_state(&t, SYNACK_ESTABLISHED);
    peer_end(&t);
}

static void q_ihl15(uint8_t *q) { q[0] = 0x4f; }
static void q_other_ports(uint8_t *q) { wire_put16(q + 20, 1234); }
static void q_other_addr(uint8_t *q) { wire_put32(q + 12, synack_ipv4(10, 9, 8, 7)); }
static void q_ihl3(uint8_t *q) { q[0] = 0x43; }
static void q_version6(uint8_t *q) { q[0] = 0x65; }
static void q_proto_udp(uint8_t *q) { q[9] = 17; }

static void h19_icmp_bad_quote(void)
{
    static const uint8_t types[][2] = {{3, 3}, {3, 1}, {11, 0}, {12, 0}, {3, 4}};
    static const struct {
        size_t len;
        void (*edit)(uint8_t *);
        const char *what;
    } quotes[] = {
        {28, q_ihl15, "quoted IHL 15 on 28 bytes"}, {24, NULL, "4 quoted TCP bytes"},
        {20, NULL, "no transport bytes"},           {8, NULL, "8 bytes of IP header"},
        {0, NULL, "empty quote"},                   {28, q_other_ports, "ports not ours"},
        {28, q_other_addr, "addresses not ours"},   {28, q_ihl3, "quoted IHL 3"},
        {28, q_version6, "quoted version 6"},       {28, q_proto_udp, "quoted UDP"},
    };
    static const enum synack_tcp_state states[] = {SYNACK_SYN_SENT, SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1,
                                                   SYNACK_CLOSE_WAIT, SYNACK_TIME_WAIT};
    for (size_t si = 0; si < 5; si++) {
        for (size_t ti = 0; ti < 5; ti++) {
            for (size_t qi = 0; qi < sizeof quotes / sizeof quotes[0]; qi++) {
                struct peer t;
                if (!begin(&t, states[si], NULL, "H-19")) {
                    peer_end(&t);
                    continue;
                }
                peer_ctx(&t, "H-19 ICMP %u/%u, %s, in %s", types[ti][0], types[ti][1], quotes[qi].what,
                         synack_state_name(states[si]));
                struct pkt p = icmp_error(&t, types[ti][0], types[ti][1], 576, t.pack - 1, quotes[qi].len,
                                          quotes[qi].edit);
                struct peer_snap s;
                peer_snapshot(&t, &s);
                peer_inject(&t, &p);
                expect_dropped(&t, &s, icmp_in);
                pkt_free(&p);
                peer_end(&t);
            }
        }
    }
}

static void h20_icmp_frag_needed(void)
{
    static const long mtus[] = {0, 1, 67, 68, 296, 65535};
    for (size_t m = 0; m < sizeof mtus / sizeof mtus[0]; m++) {
        for (int inwin = 0; inwin < 2; inwin++) {
            struct peer t;
            if (!begin(&t, SYNACK_ESTABLISHED, NULL, "H-20")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-20 frag needed, MTU %ld, quoted seq %s window", mtus[m], inwin ? "in" : "outside the");
            /* Data in flight, so that SND.UNA < SND.NXT. */
            struct flight f0 = app_send(&t, 100);
            uint32_t una = t.pack;
            t.pack += (uint32_t)f0.bytes;
            uint32_t qseq = inwin ? una : una + 100000;
            struct pkt p = icmp_error(&t, 3, 4, (uint16_t)mtus[m], qseq, 28, NULL);
            peer_inject(&t, &p);
            pkt_free(&p);
            expect_none(&t);
            expect_state(&t, SYNACK_ESTABLISHED);
            /* ACK the 100 bytes, then send 2000: no segment below the minimum MSS. */
            peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
            peer_drain(&t);
            struct flight f = app_send(&t, 2000);
            PCHECK(&t, f.segs > 0);
            PCHECK(&t, f.segs == 0 || f.min_len >= 48);
            PCHECK(&t, f.segs <= 2000 / 48 + 1);
            peer_end(&t);
        }
    }
}

static void h21_icmp_soft_errors(void)
{
    static const uint8_t codes[] = {0, 1, 2, 3, 4};
    static const enum synack_tcp_state states[] = {SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, SYNACK_CLOSE_WAIT};
    for (size_t si = 0; si < 3; si++) {
        for (size_t c = 0; c < sizeof codes; c++) {
            struct peer t;
            if (!begin(&t, states[si], NULL, "H-21")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-21 ICMP 3/%u on an in-window sequence, %s", codes[c], synack_state_name(states[si]));
            struct pkt p = icmp_error(&t, 3, codes[c], 1200, t.pack - (t.fin_sent ? 1 : 0), 28, NULL);
            struct peer_snap s;
            peer_snapshot(&t, &s);
            peer_inject(&t, &p);
            expect_ignored(&t, &s); /* no reset, no reply, no state change */
            pkt_free(&p);
            if (states[si] != SYNACK_CLOSE_WAIT) data_delivered(&t, NONE, "after the ICMP error");
            peer_end(&t);
        }
    }
}

static void h22_icmp_unsupported(void)
{
    static const uint8_t types[][2] = {{18, 0}, {17, 0}, {5, 0}, {5, 1}, {5, 2}, {5, 3}, {13, 0},
                                       {14, 0}, {4, 0},  {9, 0}, {10, 0}, {15, 0}, {16, 0}, {37, 0},
                                       {40, 0}, {255, 255}, {0, 0}, {8, 1}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        struct peer t;
        if (!begin(&t, SYNACK_ESTABLISHED, NULL, "H-22")) {
            peer_end(&t);
            continue;
        }
        peer_ctx(&t, "H-22 ICMP type %u code %u", types[i][0], types[i][1]);
        struct pkt p = icmp_error(&t, types[i][0], types[i][1], 0, t.pack, 28, NULL);
        wire_put32(p.b + 24, synack_ipv4(10, 0, 0, 99)); /* a redirect's gateway */
        wire_put16(p.b + 22, 0);
        wire_put16(p.b + 22, wire_csum_finish(wire_csum_add(0, p.b + 20, p.len - 20)));
        struct peer_snap s;
        peer_snapshot(&t, &s);
        peer_inject(&t, &p);
        expect_dropped(&t, &s, icmp_in);
        pkt_free(&p);
        data_delivered(&t, NONE, "after the ICMP message");
        peer_end(&t);
    }
}

/* Every ICMP error we send quotes only received bytes, and none is sent in
 * answer to ICMP errors, broadcast/multicast, non-first fragments or
 * non-unicast sources. */
static void check_icmp_quotes(struct peer *t, const struct pkt *sent)
{
    while (t->head) {
        int rc = peer_pop(t);
        PCHECK(t, rc == 2);
        if (rc != 2) continue;
        const uint8_t *r = t->last.data + t->last.ip.header_len;
        size_t il = t->last.ip.payload_len;
        PCHECK(t, t->last.ip.protocol == IPV4_PROTO_ICMP && r[0] == 3);
        if (il < 8) continue;
        size_t qlen = il - 8;
        size_t ihl = (size_t)(sent->b[0] & 0x0f) * 4;
        PCHECK(t, qlen <= sent->len && qlen <= ihl + 8);
        PCHECK(t, memcmp(r + 8, sent->b, qlen < sent->len ? qlen : sent->len) == 0);
        PCHECK_EQ(t, wire_csum_finish(wire_csum_add(0, r, il)), 0);
    }
}

static void h23_icmp_errors_we_send(void)
{
    struct peer t;
    if (!begin(&t, SYNACK_ESTABLISHED, NULL, "H-23")) {
        peer_end(&t);
        return;
    }
    /* icmp_infoleak.py: IP-in-IP, inner IHL 15 and length 100, 28 bytes present. */
    peer_ctx(&t, "H-23 inner IHL 15, inner length 100, 28 bytes");
    struct pkt p = peer_template(&t);
    struct pkt inner = pkt_dup(p.b, 28);
    inner.b[0] = 0x4f;
    wire_put16(inner.b + 2, 100);
    pkt_truncate(&p, 20);
    pkt_append(&p, inner.b, inner.len);
    pkt_free(&inner);
    m_ip_totlen(&p, 48);
    m_ip_proto(&p, 4);
    peer_inject(&t, &p);
    check_icmp_quotes(&t, &p);
    pkt_free(&p);
    /* Never in answer to: an ICMP error, a broadcast, a non-first fragment,
     * a non-unicast source. */
    static const struct {
        long proto, dst, src, fragoff;
        const char *what;
    } no[] = {
        {1, 0, 0, 0, "an ICMP error"},
        {17, 0xffffffff, 0, 0, "UDP to 255.255.255.255"},
        {17, 0xe0000001, 0, 0, "UDP to 224.0.0.1"},
        {17, 0, 0, 5, "a non-first fragment"},
        {17, 0, 0xe0000005, 0, "a multicast source"},
        {17, 0, 0, 0, "UDP, many times (rate limit)"},
    };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        peer_ctx(&t, "H-23 %s", no[i].what);
        int reps = i == 5 ? 200 : 1;
        size_t icmp_out = 0;
        for (int k = 0; k < reps; k++) {
            struct pkt q;
            if (no[i].proto == 1) q = icmp_error(&t, 3, 3, 0, t.pack, 28, NULL);
            else {
                q = peer_template(&t);
                m_ip_proto(&q, no[i].proto);
            }
            if (no[i].dst) m_ip_dst(&q, no[i].dst);
            if (no[i].src) m_ip_src(&q, no[i].src);
            if (no[i].fragoff) m_ip_fragoff(&q, no[i].fragoff);
            peer_inject(&t, &q);
            icmp_out += t.nout;
            check_icmp_quotes(&t, &q);
            pkt_free(&q);
        }
        if (i < 5) PCHECK_EQ(&t, icmp_out, 0);
        else PCHECK(&t, icmp_out <= 10);
    }
    expect_state(&t, SYNACK_ESTABLISHED);
    peer_end(&t);
}

/* ==== D. TCP header ============================================================= */

static void h24_tcp_truncated(void)
{
    static const long len[] = {0, 1, 10, 19};
    for (size_t i = 0; i < 4; i++) DROP_ALL("H-24 IP payload < 20, protocol 6", m_trunc_tcp, len[i], in_tcp_errors);
}

static void h25_tcp_offset_small(void)
{
    for (long off = 0; off <= 4; off++) DROP_ALL("H-25 data offset", m_tcp_off, off, in_tcp_errors);
}

static void h26_tcp_offset_past_segment(void)
{
    DROP_ALL("H-26 data offset 15", m_tcp_off, 15, in_tcp_errors);
    DROP_ALL("H-26 data offset 6 (past a 20/24-byte segment)", m_tcp_off, 7, in_tcp_errors);
}

static void h27_tcp_checksum(void)
{
    DROP_ALL("H-27 checksum 0x0000", m_tcp_csum, 0x0000, in_csum_errors);
    DROP_ALL("H-27 checksum 0xFFFF", m_tcp_csum, 0xffff, in_csum_errors);
    DROP_ALL("H-27 checksum of a longer pseudo-header", m_tcp_csum_len, 1, in_csum_errors);
    DROP_ALL("H-27 checksum of a shorter pseudo-header", m_tcp_csum_len, -1, in_csum_errors);
    /* A bad checksum to a closed port draws no RST either. */
    struct peer t;
    if (begin(&t, SYNACK_LISTEN, NULL, "H-27 closed port")) {
        struct pkt p = peer_template(&t);
        m_tcp_dport(&p, 81);
        m_tcp_csum(&p, (long)(wire_get16(p.b + 36) ^ 0x0101));
        struct peer_snap s;
        peer_snapshot(&t, &s);
        peer_inject(&t, &p);
        expect_dropped(&t, &s, in_csum_errors);
        pkt_free(&p);
    }
    peer_end(&t);
}

static void h28_tcp_ports(void)
{
    DROP_ALL("H-28 source port 0", m_tcp_sport, 0, in_tcp_errors);
    DROP_ALL("H-28 destination port 0", m_tcp_dport, 0, in_tcp_errors);
    struct peer t;
    if (begin(&t, SYNACK_LISTEN, NULL, "H-28 port 0xFFFF")) {
        /* 0xFFFF is an ordinary port: a full exchange from it ... */
        PCHECK(&t, peer_clean_exchange(&t, 0xffff));
        /* ... and a SYN to a closed port 0xFFFF is refused with RST|ACK. */
        struct pkt p = peer_template(&t);
        m_tcp_dport(&p, 0xffff);
        peer_inject(&t, &p);
        pkt_free(&p);
        t.lport = 0xffff;
        expect_segment(&t, TCP_RST | TCP_ACK, 0, PEER_ISS + 1);
    }
    peer_end(&t);
}

static bool state_is_sync(enum synack_tcp_state s) { return s >= SYNACK_ESTABLISHED; }

static void h29_tcp_flags(void)
{
    int bad_bound = 0;
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        enum synack_tcp_state st = peer_all_states[i];
        for (long fl = 0; fl < 256; fl++) {
            struct peer t;
            if (!begin(&t, st, NULL, "H-29")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-29 flags [%s] (0x%02lx) in %s", tcp_flags_str((uint8_t)fl), fl, synack_state_name(st));
            struct pkt p = peer_template(&t);
            m_tcp_flags(&p, fl);
            struct peer_snap s;
            peer_snapshot(&t, &s);
            peer_inject(&t, &p);
            peer_advance(&t, 1000);
            if (t.nout > 4) bad_bound++;
            PCHECK(&t, t.nout <= 4);
            bool ack = fl & TCP_ACK, rst = fl & TCP_RST, syn = fl & TCP_SYN, fin = fl & TCP_FIN;
            if (state_is_sync(st) && !ack && !rst && !syn) {
                /* RFC 9293 3.10.7.4 fifth: no ACK bit, drop the segment. */
                expect_ignored(&t, &s);
            } else if (st == SYNACK_LISTEN) {
                if (rst) {
                    expect_ignored(&t, &s);      /* never a RST for a RST */
                } else if (ack) {
                    expect_segment(&t, TCP_RST, 0, ANY); /* <SEQ=SEG.ACK><CTL=RST>, SEG.ACK = 0 */
                    expect_none(&t);
                } else if (syn && fin) {
                    expect_ignored(&t, &s);      /* documented: SYN+FIN to a listener is dropped */
                } else if (!syn) {
                    expect_ignored(&t, &s);
                }
            } else if (st == SYNACK_SYN_SENT && !syn && !rst) {
                /* SYN-SENT: without SYN (and not an acceptable RST) nothing
                 * changes (H-56: FIN in SYN-SENT). */
                PCHECK_EQ(&t, t.state, SYNACK_SYN_SENT);
            }
            pkt_free(&p);
            peer_drain(&t);
            PCHECK(&t, peer_clean_exchange(&t, 50004));
            peer_end(&t);
        }
    }
    CHECK_EQ(bad_bound, 0);
}

static void h30_tcp_reserved_bits(void)
{
    for (size_t i = 0; i < PEER_NSTATES; i++)
        for (long v = 1; v < 16; v++) same_as_template(peer_all_states[i], m_tcp_reserved, v, "H-30 reserved bits");
}

/* Window 0 and 0xFFFF under every shift: 64-bit-safe arithmetic, the
 * window obeyed exactly, no sanitizer report. */
static void h31_tcp_window_scale(void)
{
    static const uint8_t shifts[] = {0, 1, 7, 13, 14, 15, 30, 255};
    for (size_t k = 0; k < sizeof shifts; k++) {
        for (int passive = 0; passive < 2; passive++) {
            struct peer t;
            struct peer_options po = {.ws = true, .wscale = shifts[k], .mss = 1460, .initial_cwnd = 1000};
            peer_begin(&t, &po);
            peer_ctx(&t, "H-31 window 0xFFFF, shift %u, %s open", shifts[k], passive ? "passive" : "active");
            bool ok;
            if (passive) {
                ok = fx_syn_rcvd(&t);
                peer_send(&t, TCP_ACK, t.pseq, t.pack, 0xffff, NONE, NONE);
                struct synack_endpoint ep;
                t.sd = synack_accept(t.st, t.lsd, &ep);
                ok = ok && t.sd >= 0;
            } else {
                ok = fx_established_active(&t);
                peer_send(&t, TCP_ACK, t.pseq, t.pack, 0xffff, NONE, NONE);
            }
            peer_drain(&t);
            if (!ok) {
                PFAIL(&t, "handshake failed");
                peer_end(&t);
                continue;
            }
            unsigned eff = shifts[k] > 14 ? 14 : shifts[k];
            uint64_t wnd = (uint64_t)0xffff << eff;
            struct flight f = app_send(&t, 65536);
            uint64_t want = wnd < 65536 ? wnd : 65536;
            PCHECK(&t, f.bytes <= want && f.bytes + 1460 > want);
            t.pack += (uint32_t)f.bytes;
            /* Window 0: nothing more goes out; the persist timer probes. */
            peer_send(&t, TCP_ACK, t.pseq, t.pack, 0, NONE, NONE);
            struct flight g = app_send(&t, 1000);
            PCHECK_EQ(&t, g.bytes, 0);
            uint64_t next = synack_stack_next_deadline(t.st);
            PCHECK(&t, next != SYNACK_NEVER);
            peer_run_until(&t, t.now + 3000000);
            struct flight h = collect(&t);
            PCHECK(&t, h.bytes <= 1); /* probes only */
            expect_state(&t, SYNACK_ESTABLISHED);
            peer_end(&t);
        }
    }
}

/* ==== E. TCP options ============================================================= */

/* Option areas that are malformed (length 0
 * or 1, past the header, kind with no length byte): dropped and counted. */
static const struct {
    uint8_t b[40];
    uint8_t n;
    const char *what;
} bad_opts[] = {
    {{0x22, 0x00}, 2, "H-32 unknown kind, length 0"},
    {{0x01, 0x01, 0x22, 0x00}, 4, "H-32 NOP NOP, unknown kind length 0"},
    {{0x02, 0x00, 0x05, 0xb4}, 4, "H-32 MSS with length 0"},
    {{0x22, 0x01}, 2, "H-33 unknown kind, length 1"},
    {{0x08, 0x01, 0x01, 0x01}, 4, "H-33 TS kind, length 1"},
    {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0x08, 0x0a, 0, 0}, 20, "H-34 TS length 10 at offset 36 of 40"},
    {{0x22, 0x1e, 0, 0, 0, 0, 0, 0}, 8, "H-34 unknown kind, length 30 in 8 bytes"},
    {{1, 1, 0x02, 0x04}, 4, "H-34 MSS header as the last 2 bytes"},
    {{1, 1, 1, 0x02}, 4, "H-35 MSS kind as the last byte"},
    {{1, 1, 1, 0xfe}, 4, "H-35 unknown kind as the last byte"},
    {{0x01, 0x99, 0xff, 0x00}, 4, "H-36 NOP, unknown kind length 255"},
    {{0x05, 0x01, 0, 0}, 4, "H-40 SACK length 1"},
    {{0x05, 0x00, 0, 0}, 4, "H-40 SACK length 0"},
};
#define N_BAD_OPTS (sizeof bad_opts / sizeof bad_opts[0])
static void m_bad_opts(struct pkt *p, long i) { pkt_set_tcp_options(p, bad_opts[i].b, bad_opts[i].n); }

static void bad_options_in(const char *prefix)
{
    for (size_t i = 0; i < N_BAD_OPTS; i++)
        if (strncmp(bad_opts[i].what, prefix, strlen(prefix)) == 0)
            DROP_ALL(bad_opts[i].what, m_bad_opts, (long)i, in_tcp_errors);
}
static void h32_opt_len_zero(void) { bad_options_in("H-32"); }
static void h33_opt_len_one(void) { bad_options_in("H-33"); }
static void h34_opt_past_end(void) { bad_options_in("H-34"); }
static void h35_opt_kind_last_byte(void) { bad_options_in("H-35"); }
static void h36_opt_len_255(void) { bad_options_in("H-36"); }

/* Options prefixed with the peer's timestamp when timestamps are on. */
static struct bytes with_ts(struct peer *t, uint8_t *buf, struct bytes extra)
{
    size_t n = 0;
    if (t->ts_on) {
        t->ts_val++;
        n = peer_ts_opt(t, buf);
    }
    memcpy(buf + n, extra.p, extra.n);
    struct bytes b = {buf, n + extra.n};
    return b;
}

/* A handshake with the given options in the peer's SYN (passive) or
 * SYN|ACK (active); returns the largest data segment of the first flight
 * of 3000 bytes, 0 when the handshake did not complete. */
static size_t mss_used(struct bytes syn_opts, bool passive, const char *what)
{
    struct peer t;
    peer_begin(&t, NULL);
    peer_ctx(&t, "%s (%s open)", what, passive ? "passive" : "active");
    size_t r = 0;
    if (passive) {
        fx_listen(&t);
        peer_send(&t, TCP_SYN, PEER_ISS, 0, 65535, syn_opts, NONE);
        t.pseq = PEER_ISS + 1;
        t.pack = STACK_ISS + 1;
        if (!expect_segment(&t, TCP_SYN | TCP_ACK, STACK_ISS, t.pseq)) goto out;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
        struct synack_endpoint ep;
        t.sd = synack_accept(t.st, t.lsd, &ep);
        if (t.sd < 0) {
            PFAIL(&t, "no connection to accept");
            goto out;
        }
    } else {
        if (!fx_syn_sent(&t)) goto out;
        peer_send(&t, TCP_SYN | TCP_ACK, PEER_ISS, t.pack, 65535, syn_opts, NONE);
        t.pseq = PEER_ISS + 1;
        if (!expect_segment(&t, TCP_ACK, t.pack, t.pseq)) goto out;
    }
    struct flight f = app_send(&t, 3000);
    r = f.max_len;
    PCHECK(&t, f.segs <= 3000 / 48 + 1);
out:
    peer_end(&t);
    return r;
}

static void h37_opt_mss(void)
{
    static const struct {
        uint16_t mss;
        size_t want;
    } v[] = {{0, 536}, {1, 48}, {8, 48}, {47, 48}, {48, 48}, {536, 536}, {1000, 1000}, {1460, 1460}, {0xffff, 1460}};
    for (int passive = 0; passive < 2; passive++) {
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
            uint8_t o[4] = {TCP_OPT_MSS, 4, (uint8_t)(v[i].mss >> 8), (uint8_t)v[i].mss};
            struct bytes b = {o, 4};
            char what[64];
            snprintf(what, sizeof what, "H-37 MSS %u", v[i].mss);
            size_t got = mss_used(b, passive, what);
            if (got != v[i].want) {
                struct peer d;
                peer_ctx(&d, "%s (%s open)", what, passive ? "passive" : "active");
                PFAIL(&d, "largest segment %zu, expected %zu", got, v[i].want);
            }
            harness_checks++;
        }
        /* Wrong lengths: the option is ignored (MSS absent: 536). */
        static const struct {
            uint8_t b[8];
            uint8_t n;
            const char *what;
        } wrong[] = {{{0x02, 0x03, 0x05, 0x01}, 4, "H-37 MSS length 3"},
                     {{0x02, 0x05, 0x05, 0xb4, 0x00, 0x01, 0x01, 0x01}, 8, "H-37 MSS length 5"}};
        for (size_t i = 0; i < 2; i++) {
            struct bytes b = {wrong[i].b, wrong[i].n};
            size_t got = mss_used(b, passive, wrong[i].what);
            if (got != 536) {
                struct peer d;
                peer_ctx(&d, "%s (%s open)", wrong[i].what, passive ? "passive" : "active");
                PFAIL(&d, "option not ignored: largest segment %zu (0 = handshake dropped), expected 536", got);
            }
            harness_checks++;
        }
    }
}

/* Handshake with a window-scale option in the peer's SYN (passive) or
 * SYN|ACK (active), then a window field of 1: how many bytes go out? */
static long wscale_bytes(struct bytes syn_opts, bool passive, const char *what)
{
    struct peer t;
    struct peer_options po = {.initial_cwnd = 1000};
    peer_begin(&t, &po);
    peer_ctx(&t, "%s (%s open)", what, passive ? "passive" : "active");
    long r = -1;
    if (passive) {
        fx_listen(&t);
        peer_send(&t, TCP_SYN, PEER_ISS, 0, 65535, syn_opts, NONE);
        t.pseq = PEER_ISS + 1;
        t.pack = STACK_ISS + 1;
        if (!expect_segment(&t, TCP_SYN | TCP_ACK, STACK_ISS, t.pseq)) goto out;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 1, NONE, NONE);
        struct synack_endpoint ep;
        t.sd = synack_accept(t.st, t.lsd, &ep);
        if (t.sd < 0) goto out;
    } else {
        if (!fx_syn_sent(&t)) goto out;
        peer_send(&t, TCP_SYN | TCP_ACK, PEER_ISS, t.pack, 65535, syn_opts, NONE);
        t.pseq = PEER_ISS + 1;
        if (!expect_segment(&t, TCP_ACK, t.pack, t.pseq)) goto out;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 1, NONE, NONE);
    }
    peer_drain(&t);
    r = (long)app_send(&t, 40000).bytes;
out:
    peer_end(&t);
    return r;
}

static void h38_opt_wscale(void)
{
    static const uint8_t shifts[] = {14, 15, 17, 0xaa, 0xff};
    for (int passive = 0; passive < 2; passive++) {
        for (size_t i = 0; i < sizeof shifts; i++) {
            uint8_t o[4] = {TCP_OPT_NOP, TCP_OPT_WSCALE, 3, shifts[i]};
            struct bytes b = {o, 4};
            char what[64];
            snprintf(what, sizeof what, "H-38 window scale %u", shifts[i]);
            long got = wscale_bytes(b, passive, what);
            /* shift 14: a window field of 1 is 16384 bytes */
            bool ok = got > 16384 - 536 && got <= 16384;
            harness_checks++;
            if (!ok) {
                struct peer d;
                peer_ctx(&d, "%s (%s open)", what, passive ? "passive" : "active");
                PFAIL(&d, "sent %ld bytes into a window field of 1, expected shift 14 (16384 bytes)", got);
            }
        }
        static const struct {
            uint8_t b[4];
            const char *what;
        } wrong[] = {{{0x03, 0x02, 0x01, 0x01}, "H-38 window scale length 2"},
                     {{0x03, 0x04, 0x0e, 0x00}, "H-38 window scale length 4"}};
        for (size_t i = 0; i < 2; i++) {
            struct bytes b = {wrong[i].b, 4};
            long got = wscale_bytes(b, passive, wrong[i].what);
            harness_checks++;
            if (got < 0 || got > 1) {
                struct peer d;
                peer_ctx(&d, "%s (%s open)", wrong[i].what, passive ? "passive" : "active");
                PFAIL(&d, "option not ignored: %s", got < 0 ? "handshake dropped" : "window was scaled");
            }
        }
    }
}

static void h39_opt_syn_only_on_data(void)
{
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-39 window scale on a non-SYN")) {
        /* ACK with WS 14 and window 600: the window stays 600 bytes. */
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 600, BYTES(TCP_OPT_NOP, TCP_OPT_WSCALE, 3, 14), NONE);
        expect_none(&t);
        struct flight f = app_send(&t, 1000);
        PCHECK(&t, f.bytes <= 600);
        PCHECK(&t, f.bytes > 0);
    }
    peer_end(&t);
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-39 SACK-permitted on a non-SYN")) {
        data_delivered(&t, BYTES(TCP_OPT_NOP, TCP_OPT_NOP, TCP_OPT_SACK_PERM, 2), "SACK-permitted on data");
        struct flight f = app_send(&t, 3000);
        /* A SACK block now: SACK was never negotiated, it changes nothing. */
        uint8_t o[12] = {1, 1, 5, 10};
        wire_put32(o + 4, t.pack + 536);
        wire_put32(o + 8, t.pack + 1072);
        struct bytes b = {o, 12};
        data_delivered(&t, b, "SACK block without SACK-permitted");
        t.pack += (uint32_t)f.bytes;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
        peer_advance(&t, 2000000);
        struct flight g = collect(&t);
        PCHECK_EQ(&t, g.bytes, 0); /* all ACKed: no retransmission */
    }
    peer_end(&t);
}

static void h40_opt_sack(void)
{
    struct peer_options po = {.sack = true, .ts = true, .mss = 1000};
    struct peer t;
    for (int variant = 0; variant < 12; variant++) {
        if (!begin(&t, SYNACK_ESTABLISHED, &po, "H-40")) {
            peer_end(&t);
            continue;
        }
        struct flight f = app_send(&t, 3000);
        uint32_t una = t.pack, nxt = t.pack + (uint32_t)f.bytes;
        uint8_t o[40], buf[64];
        size_t n = 0;
        const char *what = "";
        o[n++] = 1;
        o[n++] = 1;
        switch (variant) {
        case 0: what = "H-40 SACK length 3"; o[n++] = 5; o[n++] = 3; o[n++] = 0; o[n++] = 1; break;
        case 1: what = "H-40 SACK length 9"; o[n++] = 5; o[n++] = 9; memset(o + n, 0, 7); n += 7; o[n++] = 1; break;
        case 2: what = "H-40 SACK length 11"; o[n++] = 5; o[n++] = 11; memset(o + n, 0, 9); n += 9; o[n++] = 1; o[n++] = 1; break;
        case 3: what = "H-40 block left == right"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, una + 100); wire_put32(o + n + 4, una + 100); n += 8; break;
        case 4: what = "H-40 block left > right"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, una + 900); wire_put32(o + n + 4, una + 100); n += 8; break;
        case 5: what = "H-40 block above SND.NXT"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, nxt + 100); wire_put32(o + n + 4, nxt + 5000); n += 8; break;
        case 6: what = "H-40 block below SND.UNA"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, una - 5000); wire_put32(o + n + 4, una - 100); n += 8; break;
        case 7: what = "H-40 block across 2^31"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, una + 100); wire_put32(o + n + 4, una + 0x80000000u); n += 8; break;
        case 8: what = "H-40 three blocks (with TS)";
            o[n++] = 5; o[n++] = 26;
            for (int k = 0; k < 3; k++) { wire_put32(o + n, una + 100u * (uint32_t)(2 * k + 1)); wire_put32(o + n + 4, una + 100u * (uint32_t)(2 * k + 2)); n += 8; }
            break;
        case 9: what = "H-40 block 0..0xFFFFFFFF"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, 0); wire_put32(o + n + 4, 0xffffffffu); n += 8; break;
        case 10: what = "H-40 two SACK options"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, una + 100); wire_put32(o + n + 4, una + 200); n += 8;
            o[n++] = 5; o[n++] = 10; wire_put32(o + n, una + 300); wire_put32(o + n + 4, una + 400); n += 8; break;
        default: what = "H-40 block covering everything sent"; o[n++] = 5; o[n++] = 10; wire_put32(o + n, una); wire_put32(o + n + 4, nxt); n += 8; break;
        }
        peer_ctx(&t, "%s", what);
        struct bytes extra = {o, n};
        /* 12 bytes of TS + n must fit in 40 */
        if (n + 12 > 40) {
            extra.p = o + 2;
            extra.n = n - 2;
        }
        bool ts = t.ts_on;
        if (extra.n + 12 > 40) t.ts_on = false;
        struct bytes b = with_ts(&t, buf, extra);
        t.ts_on = ts;
        data_delivered(&t, b, what);
        /* The sender still completes: ACK everything, nothing left to resend. */
        t.pack = nxt;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
        peer_advance(&t, 3000000);
        struct flight g = collect(&t);
        PCHECK_EQ(&t, g.bytes, 0);
        expect_state(&t, SYNACK_ESTABLISHED);
        peer_end(&t);
    }
}

static void h41_opt_timestamps(void)
{
    struct peer_options po = {.ts = true};
    struct peer t;
    /* Malformed lengths: the option is ignored, the segment processed. */
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-41 TS length 8"))
        data_delivered(&t, BYTES(1, 1, 8, 8, 0, 0, 0, 200, 0, 0, 0, 0), "H-41 TS length 8");
    peer_end(&t);
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-41 TS length 12"))
        data_delivered(&t, BYTES(8, 12, 0, 0, 0, 200, 0, 0, 0, 0, 0, 0), "H-41 TS length 12");
    peer_end(&t);
    /* TSecr 0 and in the future: processed, RTT estimation unharmed. */
    static const uint32_t ecr[] = {0, 0x7fffffff, 0xffffffff};
    for (size_t i = 0; i < 3; i++) {
        if (begin(&t, SYNACK_ESTABLISHED, &po, "H-41 TSecr")) {
            peer_ctx(&t, "H-41 TSecr %u", ecr[i]);
            struct flight f = app_send(&t, 500);
            t.pack += (uint32_t)f.bytes;
            uint8_t o[12];
            t.ts_val++;
            peer_ts_opt(&t, o);
            wire_put32(o + 8, ecr[i]);
            struct bytes b = {o, 12};
            data_delivered(&t, b, "TSecr");
            /* The next data goes out and is retransmitted no sooner than rto_min. */
            struct flight g = app_send(&t, 100);
            PCHECK_EQ(&t, g.bytes, 100);
            peer_advance(&t, 199000);
            PCHECK_EQ(&t, collect(&t).bytes, 0);
        }
        peer_end(&t);
    }
    /* TSval older than TS.Recent (0 and 0xFFFFFFFF, both "before" ~100):
     * PAWS drop plus one ACK; data not delivered. */
    static const uint32_t val[] = {0, 0xffffffff, 0x80000000};
    for (size_t i = 0; i < 3; i++) {
        if (begin(&t, SYNACK_ESTABLISHED, &po, "H-41 TSval")) {
            peer_ctx(&t, "H-41 TSval %u (TS.Recent %u)", val[i], t.ts_val);
            uint8_t o[12];
            peer_ts_opt(&t, o);
            wire_put32(o + 4, val[i]);
            struct bytes b = {o, 12};
            peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, b, TEXT("data"));
            if (val[i] == 0x80000000u) {
                /* exactly 2^31 away: either reading is allowed; no crash */
                peer_drain(&t);
            } else {
                expect_segment(&t, TCP_ACK, t.pack, t.pseq);
                expect_none(&t);
                char buf[8];
                PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 0);
            }
            data_delivered(&t, NONE, "after PAWS");
        }
        peer_end(&t);
    }
}

static void h42_opt_duplicates(void)
{
    size_t got = mss_used(BYTES(2, 4, 0x03, 0xe8, 2, 4, 0x01, 0xf4), true, "H-42 MSS 1000 then MSS 500");
    harness_checks++;
    if (got != 1000) {
        struct peer d;
        peer_ctx(&d, "H-42 two MSS options");
        PFAIL(&d, "largest segment %zu, expected 1000 (first wins, as wire.h documents)", got);
    }
    got = mss_used(BYTES(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                         1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                   true, "H-42 40 NOPs");
    harness_checks++;
    if (got != 536) {
        struct peer d;
        peer_ctx(&d, "H-42 40 NOPs in a SYN");
        PFAIL(&d, "largest segment %zu, expected 536", got);
    }
    got = mss_used(BYTES(0, 2, 4, 0, 1, 0xff, 0xff, 0xff), true, "H-42 EOL then an MSS of 1");
    harness_checks++;
    if (got != 536) {
        struct peer d;
        peer_ctx(&d, "H-42 EOL then garbage in a SYN");
        PFAIL(&d, "largest segment %zu, expected 536 (options after EOL are not read)", got);
    }
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-42")) {
        data_delivered(&t, BYTES(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1),
                       "H-42 40 NOPs on data");
        data_delivered(&t, BYTES(0, 0x22, 0x00, 0xff, 0x01, 0xff, 0x02, 0x01), "H-42 EOL then garbage on data");
    }
    peer_end(&t);
}

static const struct {
    uint8_t b[24];
    uint8_t n;
    const char *what;
} unknown_opts[] = {
    {{19, 18, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}, 18, "MD5 (19)"},
    {{29, 16, 1, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 16, "TCP-AO (29)"},
    {{29, 4, 0xff, 0xff}, 4, "TCP-AO (29), no MAC"},
    {{30, 12, 0x00, 0x81, 1, 2, 3, 4, 5, 6, 7, 8}, 12, "MPTCP (30)"},
    {{254, 6, 0xf9, 0x89, 0, 0}, 6, "experimental (254)"},
    {{34, 10, 1, 2, 3, 4, 5, 6, 7, 8}, 10, "TFO (34)"},
    {{34, 2}, 2, "TFO request (34)"},
};

/* Data with the given options, then plain data: the ACK windows. */
static bool h43_windows(struct bytes b, uint16_t w[2], const char *what)
{
    struct peer t;
    bool ok = false;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-43")) {
        peer_ctx(&t, "%s", what);
        peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, b, TEXT("data"));
        if (expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4)) {
            w[0] = t.last.tcp.window;
            t.pseq += 4;
            char buf[8];
            PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 4);
            peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, NONE, TEXT("more"));
            if (expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4)) {
                w[1] = t.last.tcp.window;
                ok = true;
            }
            PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 4);
        }
    }
    peer_end(&t);
    return ok;
}

static void h43_opt_unknown_kinds(void)
{
    uint16_t plain[2] = {0, 0};
    h43_windows(NONE, plain, "H-43 control run, no options");
    for (size_t i = 0; i < sizeof unknown_opts / sizeof unknown_opts[0]; i++) {
        struct bytes b = {unknown_opts[i].b, unknown_opts[i].n};
        char what[80];
        snprintf(what, sizeof what, "H-43 %s on data", unknown_opts[i].what);
        uint16_t w[2] = {0, 0};
        if (h43_windows(b, w, what)) {
            /* delivered, ACKed, and the window we advertise is untouched */
            harness_checks++;
            if (w[0] != plain[0] || w[1] != plain[1]) {
                struct peer d;
                peer_ctx(&d, "%s", what);
                PFAIL(&d, "windows %u, %u; without the option %u, %u", w[0], w[1], plain[0], plain[1]);
            }
        }
        size_t got = mss_used(b, true, "H-43 on a SYN");
        harness_checks++;
        if (got != 536) {
            struct peer d;
            peer_ctx(&d, "H-43 %s on a SYN", unknown_opts[i].what);
            PFAIL(&d, "largest segment %zu, expected 536", got);
        }
    }
}

/* ==== F. Urgent pointer (delivered inline; the pointer never moves data) ========== */

static void urgent_inline(uint8_t flags, uint16_t urg, struct bytes data, const char *what)
{
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, what)) {
        struct seg_spec s = {PEER_ADDR, STACK_ADDR, t.rport, t.lport, flags, t.pseq, t.pack, 65535, urg, NONE, data};
        struct pkt p = pkt_build(&t, &s);
        peer_inject(&t, &p);
        pkt_free(&p);
        peer_advance(&t, 50000);
        expect_segment(&t, TCP_ACK, t.pack, t.pseq + (uint32_t)data.n);
        t.pseq += (uint32_t)data.n;
        char buf[64];
        ssize_t n = app_read(&t, buf, sizeof buf);
        PCHECK_EQ(&t, n, (ssize_t)data.n);
        PCHECK(&t, n == (ssize_t)data.n && memcmp(buf, data.p, data.n) == 0);
        data_delivered(&t, NONE, "after urgent data");
    }
    peer_end(&t);
}

static void h44_urg_pointer_zero(void)
{
    urgent_inline(TCP_ACK | TCP_URG, 0, TEXT("abcd"), "H-44 URG, pointer 0");
    urgent_inline(TCP_ACK | TCP_URG | TCP_PSH, 0, TEXT("x"), "H-44 URG, pointer 0, 1 byte");
}

static void h45_urg_pointer_far(void)
{
    urgent_inline(TCP_ACK | TCP_URG, 0xffff, TEXT("x"), "H-45 URG, pointer 0xFFFF on 1 byte");
    urgent_inline(TCP_ACK | TCP_URG, 5, TEXT("abcd"), "H-45 URG, pointer past the segment");
    urgent_inline(TCP_ACK | TCP_URG, 4, TEXT("abcd"), "H-45 URG, pointer at the segment end");
    /* pointer past the receive window, with a small window */
    struct peer t;
    struct peer_options po = {.rcvbuf = 1024};
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-45 URG pointer past the window")) {
        struct seg_spec s = {PEER_ADDR, STACK_ADDR, t.rport, t.lport, TCP_ACK | TCP_URG, t.pseq, t.pack, 65535,
                             0xfff0, NONE, TEXT("abcd")};
        struct pkt p = pkt_build(&t, &s);
        peer_inject(&t, &p);
        pkt_free(&p);
        expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4);
        t.pseq += 4;
        char buf[8];
        PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 4);
    }
    peer_end(&t);
}

static void h46_urg_on_syn(void)
{
    for (size_t i = 0; i < sizeof unknown_opts / sizeof unknown_opts[0]; i += 2) {
        struct bytes b = {unknown_opts[i].b, unknown_opts[i].n};
        struct peer t;
        /* URG on the SYN to the listener, with an unsupported option. */
        peer_begin(&t, NULL);
        peer_ctx(&t, "H-46 URG on a SYN with %s", unknown_opts[i].what);
        fx_listen(&t);
        struct seg_spec s = {PEER_ADDR, STACK_ADDR, t.rport, t.lport, TCP_SYN | TCP_URG, PEER_ISS, 0, 65535, 0x10,
                             b, NONE};
        struct pkt p = pkt_build(&t, &s);
        peer_inject(&t, &p);
        pkt_free(&p);
        t.pseq = PEER_ISS + 1;
        t.pack = STACK_ISS + 1;
        if (expect_segment(&t, TCP_SYN | TCP_ACK, STACK_ISS, t.pseq)) {
            PCHECK_EQ(&t, t.last.tcp.urgent, 0);
            PCHECK(&t, !(t.last.tcp.flags & TCP_URG));
            peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
            struct synack_endpoint ep;
            t.sd = synack_accept(t.st, t.lsd, &ep);
            PCHECK(&t, t.sd >= 0);
            if (t.sd >= 0) data_delivered(&t, NONE, "after URG on the SYN");
        }
        peer_end(&t);
        /* URG on the SYN|ACK, and URG data while connect() is in progress. */
        peer_begin(&t, NULL);
        peer_ctx(&t, "H-46 URG on a SYN|ACK with %s", unknown_opts[i].what);
        if (fx_syn_sent(&t)) {
            struct seg_spec u = {PEER_ADDR, STACK_ADDR, t.rport, t.lport, TCP_ACK | TCP_URG, PEER_ISS + 1, t.pack,
                                 65535, 1, b, TEXT("early")};
            struct pkt q = pkt_build(&t, &u);
            peer_inject(&t, &q);
            pkt_free(&q);
            peer_drain(&t);
            expect_state(&t, SYNACK_SYN_SENT);
            struct seg_spec sa = {PEER_ADDR, STACK_ADDR, t.rport, t.lport, TCP_SYN | TCP_ACK | TCP_URG, PEER_ISS,
                                  t.pack, 65535, 0xffff, b, NONE};
            struct pkt r = pkt_build(&t, &sa);
            peer_inject(&t, &r);
            pkt_free(&r);
            t.pseq = PEER_ISS + 1;
            expect_segment(&t, TCP_ACK, t.pack, t.pseq);
            expect_state(&t, SYNACK_ESTABLISHED);
            char buf[8];
            PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 0); /* "early" was not kept */
            data_delivered(&t, NONE, "after URG on the SYN|ACK");
        }
        peer_end(&t);
    }
}

static void h47_urg_pointer_without_flag(void)
{
    urgent_inline(TCP_ACK | TCP_PSH, 2, TEXT("abcd"), "H-47 pointer 2 without URG");
    urgent_inline(TCP_ACK, 0xffff, TEXT("abcd"), "H-47 pointer 0xFFFF without URG");
}

/* ==== G. Sequence and ACK arithmetic, the state machine ============================ */

/* RST with seq = RCV.NXT + delta: RFC 5961 3.2 with erratum 4845. The
 * receive window the peer knows is 65535 (no scaling). */
enum rst_expect { RST_IGNORE, RST_RESET, RST_CHALLENGE };
static void rst_case(enum synack_tcp_state st, long delta, enum rst_expect want, uint8_t flags, const char *what)
{
    struct peer t;
    if (!begin(&t, st, NULL, what)) {
        peer_end(&t);
        return;
    }
    /* deltas are relative to the window the stack last advertised */
    if (delta >= 65534) delta = (long)t.stack_wnd - (65535 - delta);
    peer_ctx(&t, "%s: RST%s at RCV.NXT%+ld (RCV.WND %u) in %s", what, (flags & TCP_ACK) ? "|ACK" : "", delta,
             t.stack_wnd, synack_state_name(st));
    uint32_t ack = t.fin_sent ? t.pack - 1 : t.pack;
    struct peer_snap s;
    peer_snapshot(&t, &s);
    peer_send(&t, flags, t.pseq + (uint32_t)delta, ack, 65535, NONE, NONE);
    switch (want) {
    case RST_IGNORE:
        expect_ignored(&t, &s);
        break;
    case RST_RESET:
        expect_none(&t);
        expect_state(&t, SYNACK_CLOSED);
        break;
    case RST_CHALLENGE:
        expect_segment(&t, TCP_ACK, t.pack, t.pseq);
        expect_none(&t);
        expect_state(&t, st);
        /* rate-limited: the same again at once draws nothing */
        peer_send(&t, flags, t.pseq + (uint32_t)delta, ack, 65535, NONE, NONE);
        expect_none(&t);
        expect_state(&t, st);
        break;
    }
    peer_end(&t);
}

static void rst_rules_in(enum synack_tcp_state st, const char *what)
{
    for (int a = 0; a < 2; a++) {
        uint8_t fl = a ? (TCP_RST | TCP_ACK) : TCP_RST;
        rst_case(st, -1, RST_IGNORE, fl, what);
        rst_case(st, -65535, RST_IGNORE, fl, what);
        rst_case(st, 0, RST_RESET, fl, what);
        rst_case(st, 1, RST_CHALLENGE, fl, what);
        rst_case(st, 65534, RST_CHALLENGE, fl, what);
        rst_case(st, 65535, RST_IGNORE, fl, what);
        rst_case(st, 0x7fffffff, RST_IGNORE, fl, what);
    }
}

static void h48_rst_left_of_window(void)
{
    rst_case(SYNACK_ESTABLISHED, -1, RST_IGNORE, TCP_RST, "H-48");
    rst_case(SYNACK_ESTABLISHED, -1, RST_IGNORE, TCP_RST | TCP_ACK, "H-48");
}
static void h49_rst_exact(void)
{
    rst_case(SYNACK_ESTABLISHED, 0, RST_RESET, TCP_RST, "H-49");
    rst_case(SYNACK_ESTABLISHED, 0, RST_RESET, TCP_RST | TCP_ACK, "H-49");
    /* the application sees ECONNRESET */
    struct peer t;
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-49 ECONNRESET")) {
        peer_send(&t, TCP_RST, t.pseq, 0, 0, NONE, NONE);
        char buf[4];
        PCHECK_EQ(&t, synack_recv(t.st, t.sd, buf, sizeof buf), -ECONNRESET);
    }
    peer_end(&t);
}
static void h50_rst_in_window(void)
{
    rst_case(SYNACK_ESTABLISHED, 1, RST_CHALLENGE, TCP_RST, "H-50");
    rst_case(SYNACK_ESTABLISHED, 65534, RST_CHALLENGE, TCP_RST, "H-50");
    rst_case(SYNACK_ESTABLISHED, 1000, RST_CHALLENGE, TCP_RST | TCP_ACK, "H-50");
}
static void h51_rst_right_of_window(void)
{
    rst_case(SYNACK_ESTABLISHED, 65535, RST_IGNORE, TCP_RST, "H-51");
    rst_case(SYNACK_ESTABLISHED, 65535, RST_IGNORE, TCP_RST | TCP_ACK, "H-51");
}

static void h52_rst_other_states(void)
{
    static const enum synack_tcp_state st[] = {SYNACK_SYN_RCVD, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2,
                                               SYNACK_CLOSE_WAIT, SYNACK_CLOSING, SYNACK_LAST_ACK};
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) rst_rules_in(st[i], "H-52");
    /* SYN-SENT: RST acceptable only with ACK = SND.NXT. */
    static const long dack[] = {-1, 1, 2, 1000, -1000, 0x7fffffff};
    for (size_t i = 0; i < sizeof dack / sizeof dack[0]; i++) {
        struct peer t;
        if (!begin(&t, SYNACK_SYN_SENT, NULL, "H-52")) {
            peer_end(&t);
            continue;
        }
        peer_ctx(&t, "H-52 RST|ACK in SYN-SENT with ack ISS+1%+ld", dack[i]);
        struct peer_snap s;
        peer_snapshot(&t, &s);
        peer_send(&t, TCP_RST | TCP_ACK, PEER_ISS, t.pack + (uint32_t)dack[i], 0, NONE, NONE);
        expect_ignored(&t, &s);
        peer_end(&t);
    }
    struct peer t;
    if (begin(&t, SYNACK_SYN_SENT, NULL, "H-52 RST without ACK in SYN-SENT")) {
        struct peer_snap s;
        peer_snapshot(&t, &s);
        peer_send(&t, TCP_RST, PEER_ISS, 0, 0, NONE, NONE);
        expect_ignored(&t, &s);
    }
    peer_end(&t);
    if (begin(&t, SYNACK_SYN_SENT, NULL, "H-52 RST|ACK, ack ISS+1, in SYN-SENT")) {
        peer_send(&t, TCP_RST | TCP_ACK, 0, t.pack, 0, NONE, NONE);
        expect_none(&t);
        expect_state(&t, SYNACK_CLOSED);
        char buf[4];
        PCHECK_EQ(&t, synack_recv(t.st, t.sd, buf, sizeof buf), -ECONNREFUSED);
    }
    peer_end(&t);
}

static void h53_syn_in_sync_states(void)
{
    static const long deltas[] = {0, 10, 65534, 100000, -100000, -1};
    for (size_t i = 0; i < PEER_NSYNC; i++) {
        enum synack_tcp_state st = peer_sync_states[i];
        for (size_t d = 0; d < sizeof deltas / sizeof deltas[0]; d++) {
            /* TIME-WAIT may accept a SYN above RCV.NXT as a new connection. */
            if (st == SYNACK_TIME_WAIT && deltas[d] >= 0) continue;
            for (int withack = 0; withack < 2; withack++) {
                struct peer t;
                if (!begin(&t, st, NULL, "H-53")) {
                    peer_end(&t);
                    continue;
                }
                peer_ctx(&t, "H-53 %s at RCV.NXT%+ld in %s", withack ? "SYN|ACK" : "SYN", deltas[d],
                         synack_state_name(st));
                uint8_t fl = withack ? (TCP_SYN | TCP_ACK) : TCP_SYN;
                uint32_t ack = t.fin_sent ? t.pack - 1 : t.pack;
                peer_send(&t, fl, t.pseq + (uint32_t)deltas[d], withack ? ack : 0, 65535, NONE, NONE);
                expect_segment(&t, TCP_ACK, t.pack, t.pseq);
                expect_none(&t);
                expect_state(&t, st);
                /* challenge ACKs are rate-limited: a burst draws nothing more */
                for (int k = 0; k < 5; k++)
                    peer_send(&t, fl, t.pseq + (uint32_t)deltas[d], withack ? ack : 0, 65535, NONE, NONE);
                harness_checks++;
                if (t.nout > 1) PFAIL(&t, "%zu ACKs for 5 more SYNs within 1 ms: not rate-limited", t.nout);
                peer_drain(&t);
                expect_state(&t, st);
                peer_end(&t);
            }
        }
    }
}

static void h54_ack_out_of_range(void)
{
    static const enum synack_tcp_state st[] = {SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2,
                                               SYNACK_CLOSE_WAIT};
    static const long dack[] = {1, 1000, 0x7fffffff, -65536 - 10, -0x7fffffff};
    for (size_t i = 0; i < 4; i++) {
        for (size_t d = 0; d < sizeof dack / sizeof dack[0]; d++) {
            struct peer t;
            if (!begin(&t, st[i], NULL, "H-54")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-54 ACK = SND.NXT%+ld in %s", dack[d], synack_state_name(st[i]));
            bool data = st[i] != SYNACK_CLOSE_WAIT;
            struct bytes payload = data ? TEXT("data") : NONE;
            peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack + (uint32_t)dack[d], 65535, NONE, payload);
            expect_segment(&t, TCP_ACK, t.pack, t.pseq);
            expect_none(&t);
            expect_state(&t, st[i]);
            if (data) {
                char buf[8];
                PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 0); /* the segment was discarded */
            }
            for (int k = 0; k < 5; k++)
                peer_send(&t, TCP_ACK, t.pseq, t.pack + (uint32_t)dack[d], 65535, NONE, NONE);
            harness_checks++;
            if (t.nout > 1) PFAIL(&t, "%zu ACKs for 5 more bad ACKs within 1 ms: not rate-limited", t.nout);
            peer_drain(&t);
            peer_end(&t);
        }
    }
}

static void h55_data_outside_window(void)
{
    struct peer_options po = {.rcvbuf = 1024};
    struct peer t;
    /* Left edge: 2 old bytes then 4 new. */
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-55 overlapping the left edge")) {
        peer_send(&t, TCP_ACK, t.pseq - 2, t.pack, 65535, NONE, TEXT("xxabcd"));
        expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4);
        char buf[16];
        ssize_t n = app_read(&t, buf, sizeof buf);
        PCHECK(&t, n == 4 && memcmp(buf, "abcd", 4) == 0);
    }
    peer_end(&t);
    /* Right edge: 100 bytes at RCV.NXT + 1000 of a 1024 window: 24 kept. */
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-55 overlapping the right edge")) {
        uint8_t big[1100];
        for (size_t i = 0; i < sizeof big; i++) big[i] = (uint8_t)('A' + i % 26);
        struct bytes tail = {big + 1000, 100}, head = {big, 1000};
        peer_send(&t, TCP_ACK, t.pseq + 1000, t.pack, 65535, NONE, tail);
        expect_segment(&t, TCP_ACK, t.pack, t.pseq);
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, head);
        peer_advance(&t, 50000);
        harness_checks++;
        bool acked = false;
        while (t.head)
            if (peer_pop(&t) == 1) acked = t.last.tcp.ack == t.pseq + 1024;
        PCHECK(&t, acked);
        static uint8_t buf[2048];
        ssize_t n = app_read(&t, buf, sizeof buf);
        PCHECK_EQ(&t, n, 1024);
        PCHECK(&t, n == 1024 && memcmp(buf, big, 1024) == 0);
    }
    peer_end(&t);
    /* Wholly outside, three times: three ACKs (exempt from the challenge limit). */
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-55 wholly outside the window")) {
        static const long where[] = {1024, 5000, -500};
        for (int k = 0; k < 3; k++) {
            peer_send(&t, TCP_ACK, t.pseq + (uint32_t)where[k], t.pack, 65535, NONE, TEXT("zzzz"));
            expect_segment(&t, TCP_ACK, t.pack, t.pseq);
        }
        char buf[8];
        PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 0);
    }
    peer_end(&t);
    /* Zero window: the buffer is full, one more byte is not stored. */
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-55 into a zero window")) {
        uint8_t fill[1024];
        memset(fill, 'f', sizeof fill);
        struct bytes f = {fill, 512};
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, f);
        peer_send(&t, TCP_ACK, t.pseq + 512, t.pack, 65535, NONE, f);
        t.pseq += 1024;
        peer_advance(&t, 50000);
        bool zero = false;
        while (t.head)
            if (peer_pop(&t) == 1 && t.last.tcp.ack == t.pseq) zero = t.last.tcp.window == 0;
        PCHECK(&t, zero);
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, TEXT("X"));
        expect_segment(&t, TCP_ACK, t.pack, t.pseq);
        PCHECK_EQ(&t, t.last.tcp.window, 0);
        static uint8_t buf[2048];
        PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 1024);
    }
    peer_end(&t);
}

static void h56_sequence_wrap(void)
{
    struct peer t;
    /* ISNs at 0xFFFFFFFF on both sides; data crossing 2^32 both ways. */
    for (int k = 0; k < 2; k++) {
        peer_begin(&t, NULL);
        t.stack_iss = k ? 0xfffffff0u : 0xffffffffu;
        t.peer_iss = k ? 0xfffffff8u : 0xffffffffu;
        peer_ctx(&t, "H-56 ISNs 0x%08x / 0x%08x", t.stack_iss, t.peer_iss);
        if (fx_established(&t)) {
            uint8_t d[64];
            for (int i = 0; i < 64; i++) d[i] = (uint8_t)i;
            struct bytes b = {d, 64};
            peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, NONE, b);
            expect_segment(&t, TCP_ACK, t.pack, t.pseq + 64);
            t.pseq += 64;
            uint8_t r[80];
            PCHECK(&t, app_read(&t, r, sizeof r) == 64 && memcmp(r, d, 64) == 0);
            struct flight f = app_send(&t, 64);
            PCHECK_EQ(&t, f.bytes, 64);
            t.pack += 64;
            peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
            peer_advance(&t, 3000000);
            PCHECK_EQ(&t, collect(&t).bytes, 0); /* ACK across 2^32 accepted: no retransmission */
            PCHECK(&t, peer_stack_fin(&t));
            peer_send(&t, TCP_FIN | TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
            expect_segment(&t, TCP_ACK, t.pack, t.pseq + 1);
            expect_state(&t, SYNACK_TIME_WAIT);
        }
        peer_end(&t);
    }
    /* SYN|ACK acknowledging ISS (not ISS+1) or ISS+2: RST <SEQ=SEG.ACK>, stay. */
    static const long bad[] = {-1, 1, -0x7fffffff};
    for (size_t i = 0; i < 3; i++) {
        if (begin(&t, SYNACK_SYN_SENT, NULL, "H-56")) {
            peer_ctx(&t, "H-56 SYN|ACK with ack ISS+1%+ld", bad[i]);
            uint32_t a = t.pack + (uint32_t)bad[i];
            peer_send(&t, TCP_SYN | TCP_ACK, PEER_ISS, a, 65535, NONE, NONE);
            expect_segment(&t, TCP_RST, a, ANY);
            expect_none(&t);
            expect_state(&t, SYNACK_SYN_SENT);
        }
        peer_end(&t);
    }
    /* SYN-RCVD: ACK = ISS or ISS+2: RST <SEQ=SEG.ACK>, the half-open stays. */
    for (size_t i = 0; i < 2; i++) {
        if (begin(&t, SYNACK_SYN_RCVD, NULL, "H-56")) {
            uint32_t a = i ? t.pack + 1 : t.pack - 1;
            peer_ctx(&t, "H-56 SYN-RCVD receives ACK %s", i ? "ISS+2" : "ISS");
            peer_send(&t, TCP_ACK, t.pseq, a, 65535, NONE, NONE);
            expect_segment(&t, TCP_RST, a, ANY);
            expect_none(&t);
            expect_state(&t, SYNACK_SYN_RCVD);
            peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE); /* the right one still works */
            expect_state(&t, SYNACK_ESTABLISHED);
        }
        peer_end(&t);
    }
    /* FIN (with and without ACK) in SYN-SENT: dropped. */
    for (int a = 0; a < 2; a++) {
        if (begin(&t, SYNACK_SYN_SENT, NULL, "H-56 FIN in SYN-SENT")) {
            struct peer_snap s;
            peer_snapshot(&t, &s);
            peer_send(&t, a ? (TCP_FIN | TCP_ACK) : TCP_FIN, PEER_ISS, a ? t.pack : 0, 65535, NONE, NONE);
            expect_ignored(&t, &s);
        }
        peer_end(&t);
    }
}

static void h57_window_shrink(void)
{
    struct peer t;
    struct peer_options po = {.mss = 1000};
    if (begin(&t, SYNACK_ESTABLISHED, &po, "H-57")) {
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 10000, NONE, NONE);
        struct flight f = app_send(&t, 8000);
        PCHECK_EQ(&t, f.bytes, 8000);
        uint32_t una = t.pack, nxt = t.pack + 8000;
        /* ACK 1000, window 100: the right edge moves from una+10000 to una+1100. */
        peer_send(&t, TCP_ACK, t.pseq, una + 1000, 100, NONE, NONE);
        struct flight g = app_send(&t, 2000);
        PCHECK_EQ(&t, g.bytes, 0);
        /* ACK beyond the shrunk edge (all 8000), window 5000. */
        peer_send(&t, TCP_ACK, t.pseq, nxt, 5000, NONE, NONE);
        struct flight h = collect(&t);
        PCHECK(&t, h.bytes <= 2000 && h.bytes > 0);
        t.pack = nxt + (uint32_t)h.bytes;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 5000, NONE, NONE);
        peer_advance(&t, 3000000);
        struct flight i = collect(&t);
        PCHECK_EQ(&t, i.bytes + h.bytes, 2000);
        expect_state(&t, SYNACK_ESTABLISHED);
    }
    peer_end(&t);
}

static void h58_rst_in_time_wait(void)
{
    static const long deltas[] = {0, 1, 100, -1};
    for (size_t d = 0; d < 4; d++) {
        for (int a = 0; a < 2; a++) {
            struct peer t;
            if (!begin(&t, SYNACK_TIME_WAIT, NULL, "H-58")) {
                peer_end(&t);
                continue;
            }
            peer_ctx(&t, "H-58 RST%s at RCV.NXT%+ld in TIME-WAIT", a ? "|ACK" : "", deltas[d]);
            uint64_t entered = t.now;
            struct peer_snap s;
            peer_snapshot(&t, &s);
            peer_send(&t, a ? (TCP_RST | TCP_ACK) : TCP_RST, t.pseq + (uint32_t)deltas[d], t.pack, 0, NONE, NONE);
            expect_ignored(&t, &s);
            /* TIME-WAIT runs to completion: 2*MSL = 60 s, not a microsecond less. */
            peer_run_until(&t, entered + 60000000 - 1000);
            expect_state(&t, SYNACK_TIME_WAIT);
            peer_run_until(&t, entered + 60000000 + 1000);
            expect_state(&t, SYNACK_CLOSED);
            peer_end(&t);
        }
    }
}

static void h59_paws(void)
{
    struct peer_options po = {.ts = true, .sack = true, .ws = true, .wscale = 7};
    static const enum synack_tcp_state st[] = {SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_2, SYNACK_CLOSE_WAIT};
    for (size_t i = 0; i < 3; i++) {
        struct peer t;
        if (!begin(&t, st[i], &po, "H-59 PAWS")) {
            peer_end(&t);
            continue;
        }
        uint8_t o[12];
        peer_ts_opt(&t, o);
        wire_put32(o + 4, t.ts_val - 50); /* older than TS.Recent */
        struct bytes b = {o, 12};
        bool data = st[i] != SYNACK_CLOSE_WAIT;
        peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, b, data ? TEXT("old!") : NONE);
        expect_segment(&t, TCP_ACK, t.pack, t.pseq);
        expect_none(&t);
        char buf[8];
        if (data) PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 0);
        /* rate-limited per socket */
        for (int k = 0; k < 5; k++) peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, b, NONE);
        harness_checks++;
        if (t.nout > 1) PFAIL(&t, "%zu ACKs for 5 more PAWS failures in 1 ms", t.nout);
        peer_drain(&t);
        /* RST with an old TSval is not subject to PAWS: exact RST resets. */
        peer_send(&t, TCP_RST, t.pseq, 0, 0, b, NONE);
        expect_state(&t, SYNACK_CLOSED);
        peer_end(&t);
    }
}

/* ==== H. Resource and algorithmic-complexity attacks ================================= */

static void h60_ooo_flood(void)
{
    struct peer t;
    if (!begin(&t, SYNACK_ESTABLISHED, NULL, "H-60 out-of-order flood")) {
        peer_end(&t);
        return;
    }
    enum { SPAN = 60000 };
    static uint8_t pat[SPAN];
    for (size_t i = 0; i < SPAN; i++) pat[i] = (uint8_t)(i * 13 + 1);
    struct synack_counters c0, c1;
    synack_stack_get_counters(t.st, &c0);
    size_t heap = peer_heap();
    double t0 = now_s(), first = 0, last = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t off = 1; off < SPAN; off += 2) {
            double s0 = off == 1001 || off == SPAN - 1999 ? now_s() : 0;
            struct bytes b = {pat + off, 1};
            peer_send(&t, TCP_ACK, t.pseq + (uint32_t)off, t.pack, 65535, NONE, b);
            if (t.nout > 64) peer_drain(&t);
            if (off == 1001) first = now_s() - s0;
            if (off == SPAN - 1999) last = now_s() - s0;
        }
    }
    peer_drain(&t);
    double dt = now_s() - t0;
    synack_stack_get_counters(t.st, &c1);
    /* Storage is taken on demand, and only for what is parked: the eight
     * ranges the assembler keeps (with its list, under 512 B) lie within the
     * first 16 bytes, one chunk
     * of the receive buffer (4 KB plus allocator overhead), and the
     * connection's transfer block (struct tcp_xfer, with RACK's send times
     * about 450 B), taken with its first payload, plus allocator overhead.
     * Measured: 5,104 B. The refused segments take nothing. */
    PCHECK(&t, peer_heap() <= heap + 4096 + 512 + sizeof(struct tcp_xfer) + 128);
    PCHECK(&t, c1.ooo_dropped > c0.ooo_dropped);
    PCHECK(&t, dt < 5.0);
    (void)first, (void)last;
    /* Fill everything in order: the stream is intact. */
    for (size_t off = 0; off < SPAN; off += 1000) {
        struct bytes b = {pat + off, 1000};
        peer_send(&t, TCP_ACK, t.pseq + (uint32_t)off, t.pack, 65535, NONE, b);
    }
    peer_advance(&t, 50000);
    peer_drain(&t);
    static uint8_t got[SPAN + 100];
    size_t n = 0;
    for (;;) {
        ssize_t k = synack_recv(t.st, t.sd, got + n, sizeof got - n);
        if (k <= 0) break;
        n += (size_t)k;
    }
    PCHECK_EQ(&t, n, SPAN);
    PCHECK(&t, n == SPAN && memcmp(got, pat, SPAN) == 0);
    peer_end(&t);
}

static void h61_sack_split(void)
{
    struct peer_options po = {.mss = 48, .sack = true};
    struct peer t;
    if (!begin(&t, SYNACK_ESTABLISHED, &po, "H-61 SACK split with MSS 48")) {
        peer_end(&t);
        return;
    }
    enum { TOTAL = 4800 };
    static uint8_t buf[TOTAL];
    memset(buf, 's', sizeof buf);
    PCHECK_EQ(&t, synack_send(t.st, t.sd, buf, TOTAL), TOTAL);
    peer_poll(&t);
    struct flight f = collect(&t);
    PCHECK(&t, f.max_len <= 48 && f.bytes > 0);
    uint32_t una = t.pack, nxt = t.pack + (uint32_t)f.bytes;
    size_t heap = peer_heap();
    uint64_t rng = 61;
    for (int i = 0; i < 2000; i++) {
        uint8_t o[36] = {1, 1, 5, 34};
        for (int k = 0; k < 4; k++) {
            uint32_t l = una + 1 + (uint32_t)(rng_next(&rng) % (nxt - una));
            wire_put32(o + 4 + 8 * k, l);
            wire_put32(o + 8 + 8 * k, l + 1);
        }
        struct bytes b = {o, 36};
        peer_send(&t, TCP_ACK, t.pseq, una, 65535, b, NONE);
        if (t.nout > 64) peer_drain(&t);
    }
    peer_drain(&t);
    PCHECK(&t, peer_heap() <= heap + 4096);
    /* Then the peer ACKs whatever comes: all 4800 bytes get through. */
    uint32_t acked = una - t.pack;
    (void)acked;
    uint32_t start = t.pack;
    uint32_t high = nxt;
    for (int round = 0; round < 2000 && high - start < TOTAL; round++) {
        peer_send(&t, TCP_ACK, t.pseq, high, 65535, NONE, NONE);
        peer_advance(&t, 1000);
        while (t.head)
            if (peer_pop(&t) == 1 && t.last.tcp.payload_len) {
                uint32_t e = t.last.tcp.seq + (uint32_t)t.last.tcp.payload_len;
                if ((int32_t)(e - high) > 0) high = e;
            }
    }
    PCHECK_EQ(&t, high - start, TOTAL);
    peer_end(&t);
}

/* H-61, work: hostile SACK patterns cost bounded work per ACK (counted by
 * the stack's sack_work counter: scoreboard and send-time entries visited
 * or moved, never timed) and bounded memory, with 50 or 1,000 tiny segments
 * in flight (48,000 bytes: as many one-byte holes). The scoreboard holds at
 * most one range per two segments in flight (what an honest peer losing
 * every other segment needs; at least SACK_BOARD_MIN, at most
 * SACK_BOARD_MAX), so both grow with that cap and no further: an ACK's
 * four blocks each cost a binary search and at most one move of the
 * board's tail. Patterns: thousands of one-byte holes, every other segment
 * SACKed upwards then downwards, overlapping and nested blocks, and blocks
 * out of the window. */
enum { SACK_WORK_BOUND = 4096 }; /* per ACK with 1,000 in flight; a walk of the window per block would be >= 4 x 1,000 x 33 */

static uint64_t sack_work_cap(unsigned segs)
{
    /* 4 blocks moving the board's tail, the retransmissions' searches */
    return 5u * sack_board_limit(segs * 48u, 48u) + 1024u;
}

static uint64_t sack_work_max(unsigned segs, unsigned pattern, uint64_t *total)
{
    struct peer_options po = {.mss = 48, .sack = true, .ws = true, .wscale = 2,
                              .initial_cwnd = segs, .sndbuf = 262144};
    struct peer t;
    uint64_t worst = 0;
    *total = 0;
    if (!begin(&t, SYNACK_ESTABLISHED, &po, "H-61 work")) {
        peer_end(&t);
        return 0;
    }
    peer_ctx(&t, "H-61 work: %u segments of 48 bytes in flight, pattern %u", segs, pattern);
    struct flight f = app_send(&t, (size_t)segs * 48u);
    PCHECK_EQ(&t, f.segs, segs);
    uint32_t una = t.pack, nxt = t.pack + (uint32_t)f.bytes;
    size_t heap = peer_heap();
    uint64_t rng = 61 + pattern;
    for (unsigned i = 0; i < 2000; i++) {
        uint8_t o[36] = {1, 1, 5, 34};
        for (unsigned k = 0; k < 4; k++) {
            uint32_t l, r;
            switch (pattern) {
            case 0: /* one-byte holes anywhere */
                l = una + 1 + (uint32_t)(rng_next(&rng) % (nxt - una - 1));
                r = l + 1;
                break;
            case 1: { /* every other segment, upwards then downwards */
                unsigned seg = (2u * (4u * i + k) + 1u) % segs;
                if (i >= 1000) seg = segs - 1u - seg;
                l = una + 48u * seg;
                r = l + 48u;
                break;
            }
            case 2: /* overlapping and nested blocks around a moving centre */
                l = una + 1 + (uint32_t)((i * 97u) % (nxt - una - 200));
                l += 10u * k;
                r = l + 100u - 20u * k;
                break;
            default: /* out of the window: below SND.UNA, past SND.NXT, inverted */
                l = k == 0 ? una - 5000u : k == 1 ? nxt + 100u : una + 900u;
                r = k == 0 ? una - 100u : k == 1 ? nxt + 5000u : una + 100u;
                break;
            }
            wire_put32(o + 4 + 8 * k, l);
            wire_put32(o + 8 + 8 * k, r);
        }
        struct synack_counters before, after;
        synack_stack_get_counters(t.st, &before);
        peer_send(&t, TCP_ACK, t.pseq, una, 65535, (struct bytes){o, 36}, NONE);
        synack_stack_get_counters(t.st, &after);
        uint64_t w = after.sack_work - before.sack_work;
        *total += w;
        if (w > worst) worst = w;
        if (t.nout > 64) peer_drain(&t);
    }
    peer_drain(&t);
    /* The scoreboard (its ranges at most, and the board) is all it holds. */
    PCHECK(&t, peer_heap() <= heap + 4096 + sack_board_limit(segs * 48u, 48u) * sizeof(struct sack_range));
    PCHECK(&t, worst <= SACK_WORK_BOUND && worst <= sack_work_cap(segs));
    /* The peer then ACKs everything: the transfer completes. */
    peer_send(&t, TCP_ACK, t.pseq, nxt, 65535, NONE, NONE);
    peer_advance(&t, 2000000);
    peer_drain(&t);
    expect_state(&t, SYNACK_ESTABLISHED);
    peer_end(&t);
    return worst;
}

static void h61_sack_work_bounded(void)
{
    for (unsigned pattern = 0; pattern < 4; pattern++) {
        uint64_t small_total, large_total;
        uint64_t small = sack_work_max(50, pattern, &small_total);
        uint64_t large = sack_work_max(1000, pattern, &large_total);
        printf("  H-61 pattern %u: most work for one ACK %llu (50 in flight), %llu (1000 in flight); "
               "2000 ACKs %llu / %llu\n", pattern, (unsigned long long)small, (unsigned long long)large,
               (unsigned long long)small_total, (unsigned long long)large_total);
        /* Work was counted (the test can fail), and it grows with the
         * scoreboard's cap, not with the window walked per block: the worst
         * ACK stays under the bound, and 2,000 ACKs cost at most 2,000
         * times the cap's bound. */
        if (pattern < 3) CHECK(small > 0 && large > 0);
        CHECK(large <= SACK_WORK_BOUND && small <= sack_work_cap(50) && large <= sack_work_cap(1000));
        CHECK(large_total <= 2000u * sack_work_cap(1000) && small_total <= 2000u * sack_work_cap(50));
    }
}

/* Connection churn with a small table: TIME-WAIT must not lock new peers out. */
static void h62_churn_and_floods(void)
{
    struct peer t;
    struct peer_options po = {.max_connections = 32};
    peer_begin(&t, &po);
    peer_ctx(&t, "H-62 churn: 100 connections closed by us (TIME-WAIT) with max_connections 32");
    size_t heap_at_32 = 0;
    int refused = 0;
    for (int i = 0; i < 100; i++) {
        if (i == 40) heap_at_32 = peer_heap();
        t.rport = (uint16_t)(20000 + i);
        t.lport = SERVER_PORT;
        t.fin_sent = false;
        uint32_t p = 100000u * (uint32_t)(i + 1);
        peer_send(&t, TCP_SYN, p, 0, 65535, NONE, NONE);
        if (!t.head) {
            refused++;
            continue;
        }
        peer_pop(&t);
        if (t.last.tcp.flags != (TCP_SYN | TCP_ACK)) {
            refused++;
            peer_drain(&t);
            continue;
        }
        t.pseq = p + 1;
        t.pack = t.last.tcp.seq + 1;
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
        struct synack_endpoint ep;
        t.sd = synack_accept(t.st, t.lsd, &ep);
        if (t.sd < 0) {
            refused++;
            continue;
        }
        synack_close(t.st, t.sd);
        peer_poll(&t);
        peer_drain(&t);
        t.pack++;
        peer_send(&t, TCP_FIN | TCP_ACK, t.pseq, t.pack, 65535, NONE, NONE);
        peer_drain(&t);
        t.now += 1000;
    }
    harness_checks++;
    if (refused) PFAIL(&t, "%d of 100 SYNs refused while TIME-WAIT connections filled the table", refused);
    if (peer_heap() > heap_at_32 + 8192)
        PFAIL(&t, "heap grew by %zu bytes over the last 60 cycles", peer_heap() - heap_at_32);
    harness_checks++;
    peer_end(&t);

    /* An orphan with unsent data against a zero-window peer does not live forever. */
    if (begin(&t, SYNACK_ESTABLISHED, NULL, "H-62 orphan against a zero window")) {
        peer_send(&t, TCP_ACK, t.pseq, t.pack, 0, NONE, NONE);
        static uint8_t buf[1000];
        synack_send(t.st, t.sd, buf, sizeof buf);
        synack_close(t.st, t.sd);
        t.sd = -1;
        uint64_t end = t.now + 2ull * 3600 * 1000000;
        int probes = 0;
        while (t.now < end && t.state != SYNACK_CLOSED && probes < 10000) {
            uint64_t next = peer_poll(&t);
            while (t.head) {
                peer_pop(&t);
                if (t.state == SYNACK_CLOSED) continue; /* its RST: nothing to answer */
                probes++;
                peer_send(&t, TCP_ACK, t.pseq, t.pack, 0, NONE, NONE);
            }
            if (next == SYNACK_NEVER) break;
            t.now = next > t.now ? next : t.now + 1000;
        }
        harness_checks++;
        if (t.state != SYNACK_CLOSED)
            PFAIL(&t, "orphan still in %s after 2 h of zero-window probes (%d probes)",
                  synack_state_name(t.state), probes);
    }
    peer_end(&t);

    /* SYN flood: half-open state bounded by the backlog, then cookies. */
    struct peer_options pf = {.max_syn_backlog = 16};
    peer_begin(&t, &pf);
    peer_ctx(&t, "H-62 SYN flood, max_syn_backlog 16");
    size_t heap0 = peer_heap();
    struct synack_counters c0, c1;
    synack_stack_get_counters(t.st, &c0);
    for (int i = 0; i < 200; i++) {
        struct seg_spec s = {synack_ipv4(198, 18, (uint8_t)(i >> 8), (uint8_t)i), STACK_ADDR, (uint16_t)(1024 + i),
                             SERVER_PORT, TCP_SYN, (uint32_t)i * 7919u, 0, 65535, 0, NONE, NONE};
        struct pkt p = pkt_build(&t, &s);
        peer_inject(&t, &p);
        pkt_free(&p);
    }
    peer_drain(&t);
    synack_stack_get_counters(t.st, &c1);
    PCHECK(&t, c1.passive_opens - c0.passive_opens <= 16);
    size_t grown = peer_heap() - heap0;
    PCHECK(&t, grown < 17 * (2 * 65536 + 4096));
    /* A legitimate client during the flood still connects (SYN cookies). */
    peer_ctx(&t, "H-62 legitimate SYN during a SYN flood (cookies)");
    harness_checks++;
    if (!peer_clean_exchange(&t, 50020)) PFAIL(&t, "a legitimate client cannot connect while the SYN queue is full");
    peer_end(&t);

    /* The default SYN queue (256) full of half-open connections holds no
     * buffer: the storage comes on first use. With two 64 KB rings each,
     * as before, this grew the heap by 32 MB. */
    peer_begin(&t, NULL);
    peer_ctx(&t, "H-62 SYN flood, default max_syn_backlog: half-open connections hold no buffers");
    heap0 = peer_heap();
    synack_stack_get_counters(t.st, &c0);
    for (int i = 0; i < 400; i++) {
        struct seg_spec s = {synack_ipv4(198, 19, (uint8_t)(i >> 8), (uint8_t)i), STACK_ADDR, (uint16_t)(2048 + i),
                             SERVER_PORT, TCP_SYN, (uint32_t)i * 104729u, 0, 65535, 0, NONE, NONE};
        struct pkt p = pkt_build(&t, &s);
        peer_inject(&t, &p);
        pkt_free(&p);
    }
    peer_drain(&t);
    synack_stack_get_counters(t.st, &c1);
    PCHECK(&t, c1.passive_opens - c0.passive_opens == 256);  /* the queue is full ... */
    PCHECK(&t, c1.syncookies_sent - c0.syncookies_sent >= 144); /* ... and the rest got cookies */
    grown = peer_heap() - heap0;
    harness_checks++;
    if (grown > 256 * 2048)
        PFAIL(&t, "256 half-open connections grew the heap by %zu bytes (%zu each)", grown, grown / 256);
    peer_end(&t);
}

/* ==== H-ISN and H-PORT =================================================================== */

static void isn_and_ports(uint32_t *isn, uint16_t *port, int n, bool same_dst)
{
    struct peer t;
    peer_begin_ex(&t, NULL, true);
    for (int i = 0; i < n; i++) {
        t.now += 1000 + (uint64_t)(i % 7) * 13;
        peer_poll(&t);
        int sd = synack_socket(t.st);
        struct synack_endpoint ep = {.addr = PEER_ADDR, .port = (uint16_t)(same_dst ? 8080 : 8080 + i)};
        synack_connect(t.st, sd, &ep);
        peer_poll(&t);
        isn[i] = 0;
        port[i] = 0;
        while (t.head)
            if (peer_pop(&t) == 1 && (t.last.tcp.flags & TCP_SYN)) {
                isn[i] = t.last.tcp.seq;
                port[i] = t.last.tcp.src_port;
            }
    }
    peer_end(&t);
}

static void h_isn_unpredictable(void)
{
    enum { N = 256 };
    static uint32_t isn[N];
    static uint16_t port[N];
    for (int same = 0; same < 2; same++) {
        isn_and_ports(isn, port, N, same);
        struct peer d;
        peer_ctx(&d, "H-ISN, %s destination", same ? "one" : "varying");
        /* consecutive differences are not constant (nor few) */
        int distinct = 0;
        for (int i = 2; i < N; i++) {
            bool seen = false;
            for (int j = 1; j < i && !seen; j++) seen = isn[j] - isn[j - 1] == isn[i] - isn[i - 1];
            if (!seen) distinct++;
        }
        PCHECK(&d, distinct > N * 3 / 4);
        /* every bit is set in roughly half the samples */
        for (int b = 0; b < 32; b++) {
            int ones = 0;
            for (int i = 0; i < N; i++) ones += (int)((isn[i] >> b) & 1);
            if (ones < N / 4 || ones > N * 3 / 4) {
                PFAIL(&d, "ISN bit %d set in %d of %d samples", b, ones, N);
                break;
            }
            harness_checks++;
        }
    }
}

static void h_port_random(void)
{
    enum { N = 200 };
    static uint32_t isn[N];
    static uint16_t port[N];
    isn_and_ports(isn, port, N, true);
    struct peer d;
    peer_ctx(&d, "H-PORT, successive connects to one destination");
    int sequential = 0, dup = 0;
    for (int i = 1; i < N; i++) {
        int diff = (int)port[i] - (int)port[i - 1];
        if (diff >= -2 && diff <= 2) sequential++;
        for (int j = 0; j < i; j++) dup += port[i] == port[j];
    }
    PCHECK_EQ(&d, dup, 0);
    harness_checks++;
    if (sequential > N / 10)
        PFAIL(&d, "%d of %d successive ephemeral ports differ by at most 2 (e.g. %u, %u, %u, %u): predictable",
              sequential, N - 1, port[0], port[1], port[2], port[3]);
}

/* ==== The templates themselves are valid (so a drop is the mutation's doing) ========== */

static void templates_are_valid(void)
{
    for (size_t i = 0; i < PEER_NSTATES; i++) {
        struct peer t;
        enum synack_tcp_state st = peer_all_states[i];
        if (!begin(&t, st, NULL, "template")) {
            peer_end(&t);
            continue;
        }
        struct pkt p = peer_template(&t);
        peer_inject(&t, &p);
        pkt_free(&p);
        switch (st) {
        case SYNACK_LISTEN:
            expect_segment(&t, TCP_SYN | TCP_ACK, STACK_ISS, PEER_ISS + 1);
            break;
        case SYNACK_SYN_SENT:
            expect_segment(&t, TCP_ACK, t.pack, PEER_ISS + 1);
            expect_state(&t, SYNACK_ESTABLISHED);
            break;
        case SYNACK_SYN_RCVD:
            expect_state(&t, SYNACK_ESTABLISHED);
            break;
        case SYNACK_ESTABLISHED:
        case SYNACK_FIN_WAIT_1:
        case SYNACK_FIN_WAIT_2: {
            expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4);
            char buf[8];
            PCHECK_EQ(&t, app_read(&t, buf, sizeof buf), 4);
            expect_state(&t, st);
            break;
        }
        default:
            expect_none(&t);
            expect_state(&t, st);
            break;
        }
        peer_end(&t);
    }
}

/* ==== The systematic mutation matrix ================================================== */

static void m_seq_syn(struct pkt *p, long a)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put32(p->b + 24, (a & 1) ? 0xffffffffu : 0);
    if (a & 2) p->b[33] |= TCP_SYN;
    else p->b[33] &= (uint8_t)~TCP_SYN;
    pkt_fix_tcp_csum(p);
}
static void m_ack_ack(struct pkt *p, long a)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put32(p->b + 28, (a & 1) ? 0xffffffffu : 0);
    if (a & 2) p->b[33] |= TCP_ACK;
    else p->b[33] &= (uint8_t)~TCP_ACK;
    pkt_fix_tcp_csum(p);
}
static void m_urg_urg(struct pkt *p, long a)
{
    if (p->len < 40) return; /* truncated by an earlier mutation */
    wire_put16(p->b + 38, (a & 1) ? 0xffff : 0);
    if (a & 2) p->b[33] |= TCP_URG;
    else p->b[33] &= (uint8_t)~TCP_URG;
    pkt_fix_tcp_csum(p);
}
static const uint16_t enc_values[] = {0x0000, 0x1111, 0x5555, 0xaaaa, 0xffff};
/* MSS option: length 3, 4 or 5 (a / 5 - ...) x 5 values. */
static void m_mss_enc(struct pkt *p, long a)
{
    uint8_t len = (uint8_t)(3 + a / 5);
    uint16_t v = enc_values[a % 5];
    uint8_t o[8] = {TCP_OPT_MSS, len, (uint8_t)(v >> 8), (uint8_t)v, (uint8_t)v, 1, 1, 1};
    pkt_set_tcp_options(p, o, len == 5 ? 8 : 4);
}
static void m_ws_enc(struct pkt *p, long a)
{
    uint8_t len = (uint8_t)(2 + a / 5);
    uint8_t v = (uint8_t)enc_values[a % 5];
    uint8_t o[4] = {TCP_OPT_WSCALE, len, v, v};
    if (len == 2) o[2] = o[3] = TCP_OPT_NOP;
    if (len == 3) o[3] = TCP_OPT_NOP;
    pkt_set_tcp_options(p, o, 4);
}
static void m_ip_dscp(struct pkt *p, long v)
{
    p->b[1] = (uint8_t)((p->b[1] & 3) | v);
    pkt_fix_ip_csum(p);
}
static void m_ip_ecn(struct pkt *p, long v)
{
    p->b[1] = (uint8_t)((p->b[1] & 0xfc) | v);
    pkt_fix_ip_csum(p);
}
static void m_ip_ihl_fix(struct pkt *p, long v)
{
    p->b[0] = (uint8_t)(0x40 | v);
    pkt_fix_ip_csum_len(p, 20);
}

struct mutation {
    mutator fn;
    long arg;
    const char *field;
    bool is_csum; /* applied last in pairs: it must not be "fixed" afterwards */
};

static struct mutation tcp_muts[400], ip_muts[100];
static size_t n_tcp_muts, n_ip_muts;

static void add_mut(struct mutation *list, size_t *n, mutator fn, long arg, const char *field, bool csum)
{
    list[*n].fn = fn;
    list[*n].arg = arg;
    list[*n].field = field;
    list[*n].is_csum = csum;
    (*n)++;
}

static void build_mutation_lists(void)
{
    if (n_tcp_muts) return;
    struct mutation *L = tcp_muts;
    size_t *n = &n_tcp_muts;
    add_mut(L, n, m_tcp_sport, 0, "src port", false);
    add_mut(L, n, m_tcp_sport, 0xffff, "src port", false);
    add_mut(L, n, m_tcp_dport, 0, "dst port", false);
    add_mut(L, n, m_tcp_dport, 0xffff, "dst port", false);
    for (long a = 0; a < 4; a++) add_mut(L, n, m_seq_syn, a, "seq x SYN", false);
    for (long a = 0; a < 4; a++) add_mut(L, n, m_ack_ack, a, "ack x ACK", false);
    add_mut(L, n, m_tcp_off, 0, "data offset", false);
    add_mut(L, n, m_tcp_off, 15, "data offset", false);
    for (long a = 0; a < 16; a++) add_mut(L, n, m_tcp_reserved, a, "reserved", false);
    for (long a = 0; a < 256; a++) add_mut(L, n, m_tcp_flags, a, "flags", false);
    add_mut(L, n, m_tcp_win, 0, "window", false);
    add_mut(L, n, m_tcp_win, 0xffff, "window", false);
    add_mut(L, n, m_tcp_csum, 0, "checksum", true);
    add_mut(L, n, m_tcp_csum, 0xffff, "checksum", true);
    for (long a = 0; a < 4; a++) add_mut(L, n, m_urg_urg, a, "urgent x URG", false);
    for (long a = 0; a < 15; a++) add_mut(L, n, m_mss_enc, a, "MSS option", false);
    for (long a = 0; a < 15; a++) add_mut(L, n, m_ws_enc, a, "window-scale option", false);
    static const long trunc[] = {0, 1, 10, 19};
    for (size_t i = 0; i < 4; i++) add_mut(L, n, m_trunc_tcp, trunc[i], "truncation", false);
    add_mut(L, n, m_truncate_frame, 1, "frame truncation", false);

    L = ip_muts;
    n = &n_ip_muts;
    static const long ver[] = {0, 4, 6, 15}, ihl[] = {0, 8, 15}, tot[] = {0, 0x3f, 0x9f, 0xffff};
    for (size_t i = 0; i < 4; i++) add_mut(L, n, m_ip_version, ver[i], "version", false);
    for (size_t i = 0; i < 3; i++) add_mut(L, n, m_ip_ihl_fix, ihl[i], "IHL", false);
    add_mut(L, n, m_ip_dscp, 0, "DSCP", false);
    add_mut(L, n, m_ip_dscp, 0xfc, "DSCP", false);
    for (long a = 0; a < 4; a++) add_mut(L, n, m_ip_ecn, a, "ECN", false);
    for (size_t i = 0; i < 4; i++) add_mut(L, n, m_ip_totlen, tot[i], "total length", false);
    add_mut(L, n, m_ip_ident, 0, "ID", false);
    add_mut(L, n, m_ip_ident, 0xffff, "ID", false);
    for (long a = 0; a < 8; a++) add_mut(L, n, m_ip_flags, a, "flags", false);
    add_mut(L, n, m_ip_fragoff, 0, "fragment offset", false);
    add_mut(L, n, m_ip_fragoff, 0xf0, "fragment offset", false);
    add_mut(L, n, m_ip_fragoff, 0x1fff, "fragment offset", false);
    add_mut(L, n, m_ip_ttl, 0, "TTL", false);
    add_mut(L, n, m_ip_ttl, 0xff, "TTL", false);
    static const long proto[] = {0, 6, 0x11, 0xff};
    for (size_t i = 0; i < 4; i++) add_mut(L, n, m_ip_proto, proto[i], "protocol", false);
    add_mut(L, n, m_ip_csum, 0, "checksum", true);
    add_mut(L, n, m_ip_csum, 0xffff, "checksum", true);
    static const uint32_t addrs[] = {0x00000000, 0xffffffff, 0x7f000001, 0xe0000001,
                                     0xc0a80001, 0xc0000201, 0xc0a800ff, 0x0a000001};
    for (size_t i = 0; i < 8; i++) add_mut(L, n, m_ip_src, (long)addrs[i], "src address", false);
    for (size_t i = 0; i < 8; i++) add_mut(L, n, m_ip_dst, (long)addrs[i], "dst address", false);
}

/* The state templates of the matrix: the ten states, ESTABLISHED with
 * options (TS, SACK, WS), and ESTABLISHED while sending. */
#define N_TEMPLATES 12
static bool template_begin(struct peer *t, int k)
{
    static const struct peer_options opts = {.ts = true, .sack = true, .ws = true, .wscale = 7, .mss = 1460};
    if (k < 10) return begin(t, peer_all_states[k], NULL, "matrix");
    if (!begin(t, SYNACK_ESTABLISHED, &opts, "matrix")) return false;
    if (k == 11) {
        static const uint8_t data[3000];
        synack_send(t->st, t->sd, data, sizeof data);
        peer_poll(t);
        peer_drain(t);
    }
    return true;
}
static const char *template_name(int k)
{
    return k < 10 ? synack_state_name(peer_all_states[k]) : k == 10 ? "ESTABLISHED+options" : "ESTABLISHED+sending";
}

/* One run: mutate, inject, then "no crash, bounded processing, and a clean
 * handshake plus data exchange still work". */
static void matrix_run(int k, const struct mutation *a, const struct mutation *b)
{
    struct peer t;
    if (!template_begin(&t, k)) {
        peer_end(&t);
        return;
    }
    if (b) peer_ctx(&t, "matrix %s=%ld + %s=%ld in %s", a->field, a->arg, b->field, b->arg, template_name(k));
    else peer_ctx(&t, "matrix %s=%ld in %s", a->field, a->arg, template_name(k));
    struct pkt p = peer_template(&t);
    a->fn(&p, a->arg);
    if (b) b->fn(&p, b->arg);
    peer_inject(&t, &p);
    pkt_free(&p);
    harness_checks += 3;
    if (t.nout > 16) PFAIL(&t, "%zu packets in answer to one packet", t.nout);
    peer_drain(&t);
    size_t before = t.total_out;
    unsigned polls = peer_run_until(&t, t.now + 5000000);
    if (polls > 1000) PFAIL(&t, "%u polls in 5 s of virtual time: unbounded timer activity", polls);
    if (t.total_out - before > 64) PFAIL(&t, "%zu packets in 5 s after one packet", t.total_out - before);
    peer_drain(&t);
    if (!peer_clean_exchange(&t, 50010)) PFAIL(&t, "a clean handshake and exchange fail afterwards");
    peer_end(&t);
}

static void matrix_singles(const struct mutation *list, size_t n)
{
    for (int k = 0; k < N_TEMPLATES; k++)
        for (size_t i = 0; i < n; i++) matrix_run(k, &list[i], NULL);
}

static void mutation_matrix_tcp(void)
{
    build_mutation_lists();
    matrix_singles(tcp_muts, n_tcp_muts);
}

static void mutation_matrix_ipv4(void)
{
    build_mutation_lists();
    matrix_singles(ip_muts, n_ip_muts);
}

/* A seeded sample of pairs (TCP x TCP, IPv4 x TCP, IPv4 x IPv4). A checksum
 * mutation always goes second, so the other one does not repair it. */
static void mutation_matrix_pairs(void)
{
    build_mutation_lists();
    uint64_t rng = 0x5eed2024;
    for (int i = 0; i < 3000; i++) {
        int k = (int)(rng_next(&rng) % N_TEMPLATES);
        int kind = (int)(rng_next(&rng) % 3);
        const struct mutation *a = kind == 2 ? &ip_muts[rng_next(&rng) % n_ip_muts] : &tcp_muts[rng_next(&rng) % n_tcp_muts];
        const struct mutation *b = kind == 0 ? &tcp_muts[rng_next(&rng) % n_tcp_muts] : &ip_muts[rng_next(&rng) % n_ip_muts];
        if (a->is_csum && !b->is_csum) {
            const struct mutation *x = a;
            a = b;
            b = x;
        }
        matrix_run(k, a, b);
    }
}

TEST_MAIN(TEST(templates_are_valid),
          TEST(h01_ip_version), TEST(h02_ip_ihl_small), TEST(h03_ip_ihl_past_packet), TEST(h04_ip_totlen_short),
          TEST(h05_ip_totlen_past_frame), TEST(h06_ip_link_padding), TEST(h07_ip_checksum), TEST(h08_ip_options),
          TEST(h09_ip_bad_source), TEST(h10_ip_not_ours), TEST(h11_ip_protocols), TEST(h12_ip_ttl_tos_rsv),
          TEST(h13_fragments), TEST(h14_fragment_offset_overflow), TEST(h15_fragment_overlap),
          TEST(h16_fragment_tiny_first), TEST(h17_fragment_flood),
          TEST(h18_icmp_echo), TEST(h19_icmp_bad_quote), TEST(h20_icmp_frag_needed), TEST(h21_icmp_soft_errors),
          TEST(h22_icmp_unsupported), TEST(h23_icmp_errors_we_send),
          TEST(h24_tcp_truncated), TEST(h25_tcp_offset_small), TEST(h26_tcp_offset_past_segment),
          TEST(h27_tcp_checksum), TEST(h28_tcp_ports), TEST(h29_tcp_flags), TEST(h30_tcp_reserved_bits),
          TEST(h31_tcp_window_scale),
          TEST(h32_opt_len_zero), TEST(h33_opt_len_one), TEST(h34_opt_past_end), TEST(h35_opt_kind_last_byte),
          TEST(h36_opt_len_255), TEST(h37_opt_mss), TEST(h38_opt_wscale), TEST(h39_opt_syn_only_on_data),
          TEST(h40_opt_sack), TEST(h41_opt_timestamps), TEST(h42_opt_duplicates), TEST(h43_opt_unknown_kinds),
          TEST(h44_urg_pointer_zero), TEST(h45_urg_pointer_far), TEST(h46_urg_on_syn),
          TEST(h47_urg_pointer_without_flag),
          TEST(h48_rst_left_of_window), TEST(h49_rst_exact), TEST(h50_rst_in_window), TEST(h51_rst_right_of_window),
          TEST(h52_rst_other_states), TEST(h53_syn_in_sync_states), TEST(h54_ack_out_of_range),
          TEST(h55_data_outside_window), TEST(h56_sequence_wrap), TEST(h57_window_shrink),
          TEST(h58_rst_in_time_wait), TEST(h59_paws),
          TEST(h60_ooo_flood), TEST(h61_sack_split), TEST(h61_sack_work_bounded), TEST(h62_churn_and_floods),
          TEST(h_isn_unpredictable), TEST(h_port_random),
          TEST(mutation_matrix_tcp), TEST(mutation_matrix_ipv4), TEST(mutation_matrix_pairs))
