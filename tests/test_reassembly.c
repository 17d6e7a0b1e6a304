/*
 * test_reassembly.c — IPv4 reassembly (src/ip/reasm.c) as packet exchanges:
 * the peer cuts a datagram into fragments and sends them in some order; the
 * test checks what the application reads, what the stack sends back, and
 * the counters. Timeouts run on the virtual clock.
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "peer.h"
#include "stack/stack.h"

/* A fragment of datagram whole: bytes [off, off + len) of its payload
 * behind a copy of its 20-byte header, with MF as given (DF cleared). */
static struct pkt frag_of(const struct pkt *whole, size_t off, size_t len, bool mf)
{
    size_t plen = whole->len - IPV4_HDR_MIN;
    if (off > plen) off = plen;
    if (len > plen - off) len = plen - off;
    struct pkt p = pkt_dup(whole->b, IPV4_HDR_MIN + len);
    memcpy(p.b + IPV4_HDR_MIN, whole->b + IPV4_HDR_MIN + off, len);
    wire_put16(p.b + 2, (uint16_t)p.len);
    wire_put16(p.b + 6, (uint16_t)((mf ? 0x2000 : 0) | (off / 8)));
    pkt_fix_ip_csum(&p);
    return p;
}

/* A raw fragment: any payload bytes, any flags and offset (in 8-byte units). */
static struct pkt raw_frag(uint32_t src, uint16_t ident, uint8_t flags, uint16_t off8, size_t len, uint8_t fill)
{
    struct pkt p = {calloc(1, IPV4_HDR_MIN + len + 1), IPV4_HDR_MIN + len};
    if (!p.b) abort();
    struct ipv4_repr ip = {.src = src, .dst = STACK_ADDR, .protocol = IPV4_PROTO_TCP, .ttl = 64,
                           .flags = flags, .frag_offset = off8, .ident = ident,
                           .header_len = IPV4_HDR_MIN, .payload_len = (uint16_t)len};
    if (ipv4_emit(&ip, p.b, p.len) != IPV4_HDR_MIN) abort();
    memset(p.b + IPV4_HDR_MIN, fill, len);
    return p;
}

static void send_frag(struct peer *t, const struct pkt *whole, size_t off, size_t len, bool mf)
{
    struct pkt f = frag_of(whole, off, len, mf);
    peer_inject(t, &f);
    pkt_free(&f);
}

static struct synack_counters counters(struct peer *t)
{
    struct synack_counters c;
    synack_stack_get_counters(t->st, &c);
    return c;
}

static uint8_t payload[4000];

/* xorshift64*: a seeded generator of the test's own */
static uint64_t rng_next_local(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void fill_payload(void)
{
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* A data segment of n bytes from the peer on the established connection. */
static struct pkt data_segment(struct peer *t, size_t n)
{
    struct bytes b = {payload, n};
    return peer_build(t, TCP_ACK | TCP_PSH, t->pseq, t->pack, 65535, NONE, b);
}

/* The application reads exactly the n bytes of payload, and the stack ACKs
 * them (at once or after the delayed-ACK timer). */
static void delivered(struct peer *t, size_t n, const char *what)
{
    uint8_t buf[4096];
    ssize_t got = synack_recv(t->st, t->sd, buf, sizeof buf);
    if (got != (ssize_t)n) {
        PFAIL(t, "%s: read %zd bytes, expected %zu", what, got, n);
        return;
    }
    PCHECK(t, memcmp(buf, payload, n) == 0);
    t->pseq += (uint32_t)n;
    peer_advance(t, 200000);
    bool acked = false;
    while (t->head)
        if (peer_pop(t) == 1 && (t->last.tcp.flags & TCP_ACK) && t->last.tcp.ack == t->pseq) acked = true;
    PCHECK(t, acked);
}

static void nothing_delivered(struct peer *t)
{
    uint8_t buf[16];
    PCHECK_EQ(t, synack_recv(t->st, t->sd, buf, sizeof buf), -EAGAIN);
}

static bool established(struct peer *t, const char *what)
{
    fill_payload();
    if (!peer_begin(t, NULL)) return false;
    peer_ctx(t, "%s", what);
    return fx_established(t);
}

/* ---- the cases ---------------------------------------------------------- */

/* A TCP segment of 1000 bytes in two fragments, in order. */
static void tcp_segment_in_two_fragments(void)
{
    struct peer t;
    if (established(&t, "two fragments")) {
        struct pkt seg = data_segment(&t, 1000);       /* 20 + 20 + 1000 */
        send_frag(&t, &seg, 0, 512, true);             /* TCP header + 492 bytes, MF */
        nothing_delivered(&t);
        expect_none(&t);
        send_frag(&t, &seg, 512, 2000, false);         /* the rest */
        delivered(&t, 1000, "after the second fragment");
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_reqds, 2);
        CHECK_EQ(c.reasm_oks, 1);
        CHECK_EQ(c.reasm_fails, 0);
        CHECK_EQ(c.in_fragments, 0);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* ECN across fragments (RFC 3168 5.3, as Linux's ip_frag_ecn): fragments
 * that are all ECN-capable (here ECT(0) and CE) make a datagram that is
 * delivered; Not-ECT mixed with ECT is a path that rewrites the field on
 * some fragments only: the datagram is dropped (reasm_bad). */
static void send_frag_ecn(struct peer *t, const struct pkt *whole, size_t off, size_t len, bool mf, uint8_t ecn)
{
    struct pkt f = frag_of(whole, off, len, mf);
    f.b[1] = (uint8_t)((f.b[1] & ~IP_ECN_MASK) | ecn);
    pkt_fix_ip_csum(&f);
    peer_inject(t, &f);
    pkt_free(&f);
}

static void ecn_fields_combined(void)
{
    struct peer t;
    if (established(&t, "ECT(0) and CE fragments")) {
        struct pkt seg = data_segment(&t, 1000);
        send_frag_ecn(&t, &seg, 0, 512, true, IP_ECN_ECT0);
        send_frag_ecn(&t, &seg, 512, 2000, false, IP_ECN_CE);
        delivered(&t, 1000, "ECT(0) then CE");
        CHECK_EQ(counters(&t).reasm_oks, 1);
        /* The same bytes again, Not-ECT then ECT(0): dropped whole. */
        uint32_t bad = counters(&t).reasm_bad;
        struct pkt again = data_segment(&t, 1000);
        wire_put16(again.b + 4, 4321); /* a new identification */
        pkt_fix_ip_csum(&again);
        send_frag_ecn(&t, &again, 0, 512, true, IP_ECN_NOT_ECT);
        send_frag_ecn(&t, &again, 512, 2000, false, IP_ECN_ECT0);
        nothing_delivered(&t);
        CHECK_EQ(counters(&t).reasm_bad, bad + 1);
        CHECK_EQ(counters(&t).reasm_oks, 1);
        pkt_free(&again);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* Three fragments arriving last first, then first, then middle. */
static void out_of_order(void)
{
    struct peer t;
    if (established(&t, "out of order")) {
        struct pkt seg = data_segment(&t, 3000);
        send_frag(&t, &seg, 2400, 1000, false);
        send_frag(&t, &seg, 0, 1200, true);
        nothing_delivered(&t);
        send_frag(&t, &seg, 1200, 1200, true);
        delivered(&t, 3000, "three fragments out of order");
        CHECK_EQ(counters(&t).reasm_oks, 1);
        /* and reversed, one datagram more */
        pkt_free(&seg);
        seg = data_segment(&t, 3000);
        send_frag(&t, &seg, 2400, 1000, false);
        send_frag(&t, &seg, 1200, 1200, true);
        send_frag(&t, &seg, 0, 1200, true);
        delivered(&t, 3000, "three fragments reversed");
        CHECK_EQ(counters(&t).reasm_oks, 2);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* Any overlap drops the whole datagram (CVE-2018-5391); what comes after
 * starts a new datagram, which the retransmission (whole) overtakes. */
static void overlap_drops_datagram(void)
{
    struct peer t;
    if (established(&t, "overlap")) {
        struct pkt seg = data_segment(&t, 1000);
        send_frag(&t, &seg, 0, 512, true);
        send_frag(&t, &seg, 504, 256, true);           /* 8 bytes over the first */
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_overlaps, 1);
        CHECK_EQ(c.reasm_fails, 1);
        send_frag(&t, &seg, 760, 2000, false);         /* the rest: a datagram of its own now */
        nothing_delivered(&t);
        expect_none(&t);
        CHECK_EQ(counters(&t).reasm_oks, 0);
        peer_inject(&t, &seg);                         /* the retransmission, unfragmented */
        delivered(&t, 1000, "the retransmission after the overlap");
        pkt_free(&seg);
        /* Linux's rule in detail: pieces that fill a hole are runs of their
         * own, so a fragment across two of them overlaps, even though every
         * byte of it is already held. */
        seg = data_segment(&t, 1000);
        send_frag(&t, &seg, 0, 256, true);
        send_frag(&t, &seg, 512, 256, true);
        send_frag(&t, &seg, 256, 256, true);           /* fills the hole: held */
        CHECK_EQ(counters(&t).reasm_overlaps, 1);
        send_frag(&t, &seg, 128, 256, true);           /* inside held bytes, across two runs */
        CHECK_EQ(counters(&t).reasm_overlaps, 2);
        send_frag(&t, &seg, 768, 2000, false);
        nothing_delivered(&t);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* A fragment wholly inside bytes already held is dropped alone (as Linux):
 * an exact duplicate, or a piece inside a run. The datagram completes once. */
static void duplicate_tolerated(void)
{
    struct peer t;
    if (established(&t, "duplicate")) {
        struct pkt seg = data_segment(&t, 1000);
        send_frag(&t, &seg, 0, 512, true);
        send_frag(&t, &seg, 0, 512, true);             /* exact duplicate */
        send_frag(&t, &seg, 64, 128, true);            /* inside the first */
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_dups, 2);
        CHECK_EQ(c.reasm_fails, 0);
        CHECK_EQ(c.in_fragments, 2);
        send_frag(&t, &seg, 512, 2000, false);
        delivered(&t, 1000, "after duplicates");
        send_frag(&t, &seg, 512, 2000, false);         /* a late duplicate: a new datagram, never complete */
        nothing_delivered(&t);
        CHECK_EQ(counters(&t).reasm_oks, 1);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* 30 s after its first fragment arrived, an incomplete datagram is dropped
 * and, because fragment 0 came, ICMP time exceeded (11/1) goes back quoting
 * fragment 0's header and first bytes. The deadline is on the virtual clock. */
static void timeout_sends_time_exceeded(void)
{
    struct peer t;
    if (established(&t, "timeout")) {
        struct pkt seg = data_segment(&t, 1000);
        uint64_t t0 = t.now;
        send_frag(&t, &seg, 0, 512, true);
        CHECK_EQ(ip_next_deadline(&t.st->ip), t0 + 30000000u);   /* the FIFO's head */
        CHECK(synack_stack_next_deadline(t.st) <= t0 + 30000000u);
        peer_run_until(&t, t0 + 29999999u);
        expect_none(&t);
        send_frag(&t, &seg, 600, 200, true);           /* later fragments do not extend its life */
        peer_run_until(&t, t0 + 30000000u);
        REQUIRE(peer_pop(&t) == 2);
        CHECK_EQ(t.last.ip.protocol, IPV4_PROTO_ICMP);
        CHECK_EQ(t.last.ip.dst, PEER_ADDR);
        CHECK_EQ(t.last.ip.src, STACK_ADDR);
        const uint8_t *icmp = t.last.data + t.last.ip.header_len;
        CHECK_EQ(icmp[0], ICMP_TIME_EXCEEDED);
        CHECK_EQ(icmp[1], 1);
        CHECK_EQ(wire_csum_finish(wire_csum_add(0, icmp, t.last.ip.payload_len)), 0);
        /* the quote: fragment 0's header as it came, then its first bytes */
        CHECK_EQ(t.last.ip.payload_len, 8 + 20 + 512);
        CHECK(memcmp(icmp + 8 + 4, seg.b + 4, 2) == 0);  /* ident */
        CHECK_EQ(icmp[8 + 6], 0x20);                      /* MF */
        CHECK(memcmp(icmp + 8 + 20, seg.b + 20, 512) == 0);
        expect_none(&t);
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_timeouts, 1);
        CHECK_EQ(c.reasm_fails, 1);
        CHECK_EQ(c.icmp_out_time_excds, 1);
        /* the rest of the datagram now starts a new one: nothing delivered */
        send_frag(&t, &seg, 512, 2000, false);
        nothing_delivered(&t);
        CHECK_EQ(ip_next_deadline(&t.st->ip), t.now + 30000000u);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* No fragment 0, no ICMP: the datagram just goes, counted. */
static void timeout_without_first_fragment_is_silent(void)
{
    struct peer t;
    if (established(&t, "timeout, no fragment 0")) {
        struct pkt seg = data_segment(&t, 1000);
        uint64_t t0 = t.now;
        send_frag(&t, &seg, 512, 256, true);
        send_frag(&t, &seg, 768, 2000, false);
        peer_run_until(&t, t0 + 31000000u);
        expect_none(&t);
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_timeouts, 1);
        CHECK_EQ(c.icmp_out_time_excds, 0);
        CHECK_EQ(ip_next_deadline(&t.st->ip), SYNACK_NEVER);
        pkt_free(&seg);
    }
    peer_end(&t);
}

/* Malformed fragments: each refused, with its counter. */
static void bad_fragments_refused(void)
{
    struct peer t;
    if (established(&t, "bad fragments")) {
        struct synack_counters c0 = counters(&t);
        uint32_t src = PEER_ADDR;
        struct pkt p = raw_frag(src, 1, IPV4_FLAG_DF | IPV4_FLAG_MF, 0, 64, 1); /* DF+MF */
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(src, 2, IPV4_FLAG_MF, 8, 0, 1);   /* empty, not last */
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(src, 3, IPV4_FLAG_MF, 8, 7, 1);   /* under 8 bytes, not last */
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(src, 4, 0, 16, 0, 1);             /* empty last fragment */
        peer_inject(&t, &p);
        pkt_free(&p);
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_bad - c0.reasm_bad, 4);
        CHECK_EQ(c.in_fragments - c0.in_fragments, 4);
        /* past a known end, or a second different end: the datagram goes */
        p = raw_frag(src, 5, 0, 10, 80, 1);            /* last: ends at 160 */
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(src, 5, IPV4_FLAG_MF, 20, 64, 1); /* 160..224: past the end */
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(src, 6, 0, 10, 80, 1);
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(src, 6, 0, 12, 80, 1);            /* another end */
        peer_inject(&t, &p);
        pkt_free(&p);
        c = counters(&t);
        CHECK_EQ(c.reasm_bad - c0.reasm_bad, 6);
        CHECK_EQ(c.reasm_fails - c0.reasm_fails, 6);
        CHECK_EQ(t.st->ip.reasm.nqueues, 0);
        expect_none(&t);
        expect_state(&t, SYNACK_ESTABLISHED);
    }
    peer_end(&t);
}

/* Ping of death: a fragment ending past 65535 bytes drops its datagram. */
static void oversize_dropped(void)
{
    struct peer t;
    if (established(&t, "ping of death")) {
        struct pkt p = raw_frag(PEER_ADDR, 9, IPV4_FLAG_MF, 0, 1480, 2);
        peer_inject(&t, &p);
        pkt_free(&p);
        p = raw_frag(PEER_ADDR, 9, 0, 8189, 100, 2);   /* 65512 + 100 */
        peer_inject(&t, &p);
        pkt_free(&p);
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.reasm_oversize, 1);
        CHECK_EQ(c.reasm_fails, 1);
        CHECK_EQ(t.st->ip.reasm.nqueues, 0);
        /* exactly 65535 bytes (20 + 65515) is allowed: it completes */
        for (uint16_t off8 = 0; off8 < 8189; off8 += 185) {
            p = raw_frag(PEER_ADDR, 10, IPV4_FLAG_MF, off8, off8 + 185 <= 8189 ? 1480 : (8189u - off8) * 8u, 3);
            peer_inject(&t, &p);
            pkt_free(&p);
        }
        p = raw_frag(PEER_ADDR, 10, 0, 8189, 3, 3);     /* ends at 65515 */
        peer_inject(&t, &p);
        pkt_free(&p);
        c = counters(&t);
        CHECK_EQ(c.reasm_oks, 1);
        CHECK_EQ(c.in_tcp_errors, 1); /* its bytes are no TCP segment */
        expect_none(&t);
    }
    peer_end(&t);
}

/* A flood of incomplete datagrams: from one source (its bound), then from
 * many (the stack-wide bound). Memory stays under ipfrag_high_thresh, the
 * evictions are counted, and legitimate fragments still reassemble during
 * and after the flood. */
static void flood_bounded(void)
{
    struct peer t;
    if (established(&t, "flood")) {
        struct synack_tunables tun;
        synack_stack_get_tunables(t.st, &tun);
        CHECK_EQ(tun.ipfrag_high_thresh, 4194304);
        CHECK_EQ(tun.ipfrag_low_thresh, 3145728);
        CHECK_EQ(tun.ipfrag_time, 30);
        CHECK_EQ(tun.ipfrag_src_thresh, 1048576);
        size_t heap = peer_heap();
        uint64_t rng = 11;
        enum { N = 20000 };
        /* one source: 1480-byte first fragments of 20,000 datagrams */
        uint32_t flooder = synack_ipv4(198, 51, 100, 7);
        for (int i = 0; i < N; i++) {
            struct pkt p = raw_frag(flooder, (uint16_t)i, IPV4_FLAG_MF, 0, 1480, 4);
            peer_inject(&t, &p);
            pkt_free(&p);
        }
        struct synack_counters c = counters(&t);
        CHECK(c.reasm_src_evicted > 0);
        CHECK(t.st->ip.reasm.peak_mem <= tun.ipfrag_src_thresh + sizeof(struct reasm_src));
        printf("one source, %d datagrams: peak %zu bytes held, %zu queues, %" PRIu64 " evicted by its bound\n", N,
               t.st->ip.reasm.peak_mem, (size_t)t.st->ip.reasm.nqueues, c.reasm_src_evicted);
        /* legitimate traffic from the peer meanwhile */
        struct pkt seg = data_segment(&t, 3000);
        send_frag(&t, &seg, 0, 1480, true);
        send_frag(&t, &seg, 1480, 1480, true);
        send_frag(&t, &seg, 2960, 1000, false);
        delivered(&t, 3000, "during a one-source flood");
        pkt_free(&seg);
        /* many sources, spread over offsets (several blocks each) */
        for (int i = 0; i < N; i++) {
            uint64_t r = rng_next_local(&rng);
            uint32_t src = synack_ipv4(203, 0, (uint8_t)(r >> 8), (uint8_t)(1 + (r >> 16) % 250));
            struct pkt p = raw_frag(src, (uint16_t)(r >> 24), IPV4_FLAG_MF, (uint16_t)((r >> 40) % 8000), 1480, 5);
            peer_inject(&t, &p);
            pkt_free(&p);
        }
        c = counters(&t);
        CHECK(c.reasm_evicted > 0);
        printf("many sources, %d datagrams: peak %zu bytes held, %zu queues now, %" PRIu64 " evicted stack-wide, "
               "heap +%zu bytes\n", N, t.st->ip.reasm.peak_mem, (size_t)t.st->ip.reasm.nqueues, c.reasm_evicted,
               peer_heap() - heap);
        CHECK(t.st->ip.reasm.peak_mem <= tun.ipfrag_high_thresh);
        CHECK(t.st->ip.reasm.mem <= tun.ipfrag_high_thresh);
        size_t grown = peer_heap() - heap;
        if (grown > tun.ipfrag_high_thresh + 512 * 1024)
            PFAIL(&t, "heap grew %zu bytes for a bound of %u", grown, tun.ipfrag_high_thresh);
        seg = data_segment(&t, 3000);
        send_frag(&t, &seg, 2960, 1000, false);
        send_frag(&t, &seg, 1480, 1480, true);
        send_frag(&t, &seg, 0, 1480, true);
        delivered(&t, 3000, "right after a many-source flood");
        pkt_free(&seg);
        /* 30 s on: every flood queue has timed out; memory comes back */
        peer_advance(&t, 31000000u);
        peer_drain(&t);
        CHECK_EQ(t.st->ip.reasm.nqueues, 0);
        CHECK_EQ(t.st->ip.reasm.mem, 0);
        c = counters(&t);
        CHECK(c.reasm_timeouts > 0);
        grown = peer_heap() > heap ? peer_heap() - heap : 0;
        if (grown > 512 * 1024) PFAIL(&t, "heap still %zu bytes above its level after the timeouts", grown);
        seg = data_segment(&t, 2000);
        send_frag(&t, &seg, 0, 1024, true);
        send_frag(&t, &seg, 1024, 2000, false);
        delivered(&t, 2000, "after the flood timed out");
        pkt_free(&seg);
        expect_state(&t, SYNACK_ESTABLISHED);
    }
    peer_end(&t);
}

/* Steady fragmented traffic allocates nothing per fragment: the blocks and
 * queue structs come back to the spare lists and are reused. */
static void steady_state_no_malloc(void)
{
    struct peer t;
    if (established(&t, "steady state")) {
        for (int round = 0; round < 3; round++) {
            struct pkt seg = data_segment(&t, 3000);
            send_frag(&t, &seg, 0, 1480, true);
            send_frag(&t, &seg, 1480, 2000, false);
            delivered(&t, 3000, "warm-up");
            pkt_free(&seg);
        }
        size_t heap = peer_heap();
        for (int round = 0; round < 50; round++) {
            struct pkt seg = data_segment(&t, 3000);
            size_t before = peer_heap();
            send_frag(&t, &seg, 0, 1480, true);
            send_frag(&t, &seg, 1480, 2000, false);
            (void)before;
            delivered(&t, 3000, "steady");
            pkt_free(&seg);
        }
        CHECK(peer_heap() <= heap + 4096);
    }
    peer_end(&t);
}

/* ping -s 3000: the request in fragments, the reply fragmented to the MTU
 * (as Linux answers), the same data back. */
static void big_ping_answered_in_fragments(void)
{
    struct peer t;
    if (established(&t, "big ping")) {
        enum { DATA = 3000 };
        size_t ilen = 8 + DATA;
        struct pkt req = {calloc(1, IPV4_HDR_MIN + ilen), IPV4_HDR_MIN + ilen};
        REQUIRE(req.b != NULL);
        struct ipv4_repr ip = {.src = PEER_ADDR, .dst = STACK_ADDR, .protocol = IPV4_PROTO_ICMP, .ttl = 64,
                               .ident = 0x7777, .header_len = IPV4_HDR_MIN, .payload_len = (uint16_t)ilen};
        REQUIRE(ipv4_emit(&ip, req.b, req.len) == IPV4_HDR_MIN);
        struct icmp_repr echo = {.type = ICMP_ECHO_REQUEST, .ident = 0x1234, .seq_no = 7,
                                 .data = payload, .data_len = DATA};
        REQUIRE(icmp_emit(&echo, req.b + IPV4_HDR_MIN, ilen) == (int)ilen);
        send_frag(&t, &req, 0, 1480, true);
        send_frag(&t, &req, 1480, 1480, true);
        send_frag(&t, &req, 2960, 1480, false);
        /* three fragments back: 1480, 1480, 48 payload bytes */
        uint8_t reply[8 + DATA];
        size_t got = 0;
        int frags = 0;
        uint16_t ident = 0;
        while (t.head) {
            REQUIRE(peer_pop(&t) == 2);
            CHECK_EQ(t.last.ip.protocol, IPV4_PROTO_ICMP);
            CHECK(t.last.data_len <= 1500);
            size_t off = (size_t)t.last.ip.frag_offset * 8;
            if (frags == 0) ident = t.last.ip.ident;
            CHECK_EQ(t.last.ip.ident, ident);
            CHECK_EQ(off, got);
            bool more = t.last.ip.flags & IPV4_FLAG_MF;
            CHECK_EQ(more, got + t.last.ip.payload_len < sizeof reply);
            REQUIRE(off + t.last.ip.payload_len <= sizeof reply);
            memcpy(reply + off, t.last.data + t.last.ip.header_len, t.last.ip.payload_len);
            got += t.last.ip.payload_len;
            frags++;
        }
        CHECK_EQ(frags, 3);
        CHECK_EQ(got, sizeof reply);
        CHECK_EQ(reply[0], ICMP_ECHO_REPLY);
        CHECK_EQ(wire_csum_finish(wire_csum_add(0, reply, sizeof reply)), 0);
        CHECK_EQ(wire_get16(reply + 4), 0x1234);
        CHECK_EQ(wire_get16(reply + 6), 7);
        CHECK(memcmp(reply + 8, payload, DATA) == 0);
        CHECK_EQ(counters(&t).icmp_out_echo_replies, 1);
        pkt_free(&req);
    }
    peer_end(&t);
}

/* ipfrag_high_thresh = 0 turns reassembly off: every fragment is dropped. */
static void reassembly_off(void)
{
    struct peer t;
    if (established(&t, "reassembly off")) {
        struct synack_tunables tun;
        synack_stack_get_tunables(t.st, &tun);
        tun.ipfrag_high_thresh = 0;
        tun.ipfrag_low_thresh = 0;
        CHECK_EQ(synack_stack_set_tunables(t.st, &tun), 0);
        tun.ipfrag_low_thresh = 1;
        CHECK_EQ(synack_stack_set_tunables(t.st, &tun), -EINVAL); /* low above high */
        struct pkt seg = data_segment(&t, 1000);
        send_frag(&t, &seg, 0, 512, true);
        send_frag(&t, &seg, 512, 2000, false);
        nothing_delivered(&t);
        struct synack_counters c = counters(&t);
        CHECK_EQ(c.in_fragments, 2);
        CHECK_EQ(c.reasm_fails, 2);
        CHECK_EQ(t.st->ip.reasm.nqueues, 0);
        pkt_free(&seg);
    }
    peer_end(&t);
}

TEST_MAIN(TEST(tcp_segment_in_two_fragments), TEST(ecn_fields_combined), TEST(out_of_order), TEST(overlap_drops_datagram),
          TEST(duplicate_tolerated), TEST(timeout_sends_time_exceeded),
          TEST(timeout_without_first_fragment_is_silent), TEST(bad_fragments_refused), TEST(oversize_dropped),
          TEST(flood_bounded), TEST(steady_state_no_malloc), TEST(big_ping_answered_in_fragments),
          TEST(reassembly_off))
