/*
 * test_memlink.c — the bulk benchmark's in-memory link (bench/memlink.h)
 * with its offloads on: runs of full-sized segments merged into
 * super-segments of up to 64 KB, delivered whole. Two stacks on a virtual
 * clock move 3 MB byte-exact through it (MTU 1500; MTU 1501, whose odd
 * segment size puts every other segment's payload at an odd offset of the
 * merged checksum; MTU 9000), super-segments must really form, and every
 * merged TCP checksum must hold (the receiver checks all of them: no
 * checksum error counted). A byte damaged inside a super-segment after the
 * senders summed it is caught by the receiving stack (counted, dropped) and
 * the bytes still arrive exact through retransmission. Without offloads
 * nothing is merged.
 *
 * With the stack's own TSO (synack_config.tso_max, output_gso): the sender
 * builds super-segments itself (one header, one checksum summed with the
 * payload's copy); passed whole, 3 MB arrive byte-exact at MTU 1500, 1501
 * and 9000 with every checksum holding, and a byte damaged inside one is
 * caught by the receiver; cut into segments by the link (wire_tcp_segment),
 * the receiver sees exactly the segments it sees without TSO: both stacks'
 * counters (out_segs counted per segment, as Linux counts GSO segments) are
 * equal with and without TSO for the same transfer. Runs under ASan with
 * the rest of the suite.
 */
#include <stdlib.h>
#include <string.h>

#include "../bench/memlink.h"
#include "harness.h"
#include "synack/synack.h"

static uint64_t vnow = 1000;
static struct memlink link_;
static synack_stack *A, *B;
static int damage_next; /* damage one byte of the next super-segment to B */

static void out_a(void *ctx, const uint8_t *p, size_t len) { (void)ctx, memlink_push(&link_, 1, p, len); }
static void out_b(void *ctx, const uint8_t *p, size_t len) { (void)ctx, memlink_push(&link_, 0, p, len); }
static void gso_a(void *ctx, const uint8_t *p, size_t len, uint16_t gso)
{
    (void)ctx, memlink_push_gso(&link_, 1, p, len, gso);
}
static void gso_b(void *ctx, const uint8_t *p, size_t len, uint16_t gso)
{
    (void)ctx, memlink_push_gso(&link_, 0, p, len, gso);
}

static void damage_tail_super(void)
{
    struct memlink_dir *d = &link_.dir[1];
    for (unsigned k = 0; k < d->count; k++) {
        unsigned i = (d->head + k) % MEMLINK_SLOTS;
        uint8_t *p = d->data + (size_t)i * link_.slot_bytes;
        if (d->len[i] > 3000) { /* a super-segment: flip a byte deep inside it */
            p[d->len[i] - 1000] ^= 0x5A;
            damage_next = 0;
            return;
        }
    }
}

static void pump(void)
{
    memlink_poll(&link_, 0, vnow);
    memlink_poll(&link_, 1, vnow);
    while (link_.dir[0].count || link_.dir[1].count) {
        if (damage_next) damage_tail_super();
        memlink_deliver(&link_, 1, B, vnow);
        memlink_deliver(&link_, 0, A, vnow);
        memlink_poll(&link_, 0, vnow);
        memlink_poll(&link_, 1, vnow);
    }
}

static uint8_t pattern(uint64_t i) { return (uint8_t)(i * 2654435761u >> 13); }

static struct synack_counters ac; /* the sender's counters after a transfer */
static bool no_pacing;            /* the transfer runs unpaced */
static bool direct;               /* the link hands packets over at once */

/* Moves `bytes` from A to B; returns the bytes B read intact in order. */
static uint64_t transfer_tso(unsigned mtu, bool offload, enum memlink_tso tso, uint64_t bytes, bool damage,
                             struct synack_counters *bc)
{
    vnow = 1000;
    if (!memlink_init(&link_, mtu, offload, tso)) abort();
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.mtu = (uint16_t)mtu;
    cfg.tunables.pacing = !no_pacing;
    if (tso) {
        cfg.tso_max = MEMLINK_SUPER_MAX;
        cfg.output_gso = gso_a;
    }
    cfg.tunables.rcvbuf = 256 * 1024;
    cfg.tunables.sndbuf = 256 * 1024;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(i * 5 + 3);
    cfg.addr = 0x0a000001u;
    cfg.output = out_a;
    if (synack_stack_create(&A, &cfg) != 0) abort();
    cfg.addr = 0x0a000002u;
    cfg.output = out_b;
    cfg.output_gso = tso ? gso_b : NULL;
    if (synack_stack_create(&B, &cfg) != 0) abort();
    memlink_attach(&link_, A, B);
    link_.direct = direct;
    int l = synack_socket(B);
    synack_bind(B, l, &(struct synack_endpoint){0, 5001});
    synack_listen(B, l, 4);
    int c = synack_socket(A);
    synack_connect(A, c, &(struct synack_endpoint){0x0a000002u, 5001});
    pump();
    int s = synack_accept(B, l, NULL);
    uint64_t sent = 0, got = 0, ok = 0;
    static uint8_t buf[65536];
    int idle = 0;
    while (s >= 0 && got < bytes && idle < 200) {
        uint64_t before = got;
        while (sent < bytes) {
            size_t n = bytes - sent < sizeof buf ? (size_t)(bytes - sent) : sizeof buf;
            for (size_t i = 0; i < n; i++) buf[i] = pattern(sent + i);
            ssize_t w = synack_send(A, c, buf, n);
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        if (damage && sent > bytes / 2 && damage_next == 0 && bc->in_csum_errors == 0) damage_next = 1;
        pump();
        for (;;) {
            ssize_t r = synack_recv(B, s, buf, sizeof buf);
            if (r <= 0) break;
            for (ssize_t i = 0; i < r; i++) ok += buf[i] == pattern(got + (uint64_t)i);
            got += (uint64_t)r;
        }
        synack_stack_get_counters(B, bc);
        vnow += 100;
        if (got == before) { /* stalled (a loss): let the timers run */
            vnow += 50000;
            idle++;
        } else {
            idle = 0;
        }
        pump();
    }
    synack_stack_get_counters(B, bc);
    synack_stack_get_counters(A, &ac);
    synack_stack_destroy(A);
    synack_stack_destroy(B);
    memlink_fini(&link_);
    return got == bytes ? ok : 0;
}

static uint64_t transfer(unsigned mtu, bool offload, uint64_t bytes, bool damage, struct synack_counters *bc)
{
    return transfer_tso(mtu, offload, MEMLINK_TSO_OFF, bytes, damage, bc);
}

static void offload_byte_exact(unsigned mtu)
{
    struct synack_counters bc = {0};
    uint64_t bytes = 3u << 20;
    CHECK_EQ(transfer(mtu, true, bytes, false, &bc), bytes);
    CHECK(link_.merged > bytes / (mtu - 52) / 2); /* most segments rode in super-segments */
    CHECK_EQ(link_.dropped, 0);
    CHECK_EQ(bc.in_csum_errors, 0); /* every merged checksum held */
}

static void offload_mtu1500_byte_exact(void) { offload_byte_exact(1500); }
static void offload_odd_segment_size_byte_exact(void) { offload_byte_exact(1501); }
static void offload_mtu9000_byte_exact(void) { offload_byte_exact(9000); }

static void offload_damaged_byte_caught_by_receiver(void)
{
    struct synack_counters bc = {0};
    uint64_t bytes = 3u << 20;
    CHECK_EQ(transfer(1500, true, bytes, true, &bc), bytes);
    CHECK(bc.in_csum_errors >= 1); /* the super-segment with the bad byte */
}

static void no_offload_no_merge(void)
{
    struct synack_counters bc = {0};
    uint64_t bytes = 1u << 20;
    CHECK_EQ(transfer(1500, false, bytes, false, &bc), bytes);
    CHECK_EQ(link_.merged, 0);
    CHECK_EQ(bc.in_csum_errors, 0);
}

/* The sender's own TSO, super-segments passed whole. */
static void tso_byte_exact(unsigned mtu)
{
    struct synack_counters bc = {0};
    uint64_t bytes = 3u << 20;
    CHECK_EQ(transfer_tso(mtu, false, MEMLINK_TSO, bytes, false, &bc), bytes);
    uint64_t segs = bytes / (mtu - 52);
    CHECK(link_.supers > 0);
    CHECK(link_.super_segs > segs / 2);     /* most segments went in super-segments */
    CHECK(link_.packets < segs);            /* fewer packets than segments, ACKs included */
    CHECK_EQ(link_.dropped, 0);
    CHECK_EQ(bc.in_csum_errors, 0);         /* every super-segment's checksum held */
    CHECK(ac.out_segs >= segs);             /* counted per segment */
}

static void tso_mtu1500_byte_exact(void) { tso_byte_exact(1500); }
/* Handed over at once (no FIFO): the receiver reads each super-segment
 * where the sender built it, inside the sender's output. */
static void tso_direct_byte_exact(void)
{
    direct = true;
    tso_byte_exact(1500);
    CHECK(link_.direct_packets > link_.packets / 2);
    direct = false;
}
static void tso_odd_segment_size_byte_exact(void) { tso_byte_exact(1501); }
static void tso_mtu9000_byte_exact(void) { tso_byte_exact(9000); }

static void tso_damaged_byte_caught_by_receiver(void)
{
    struct synack_counters bc = {0};
    uint64_t bytes = 3u << 20;
    CHECK_EQ(transfer_tso(1500, false, MEMLINK_TSO, bytes, true, &bc), bytes);
    CHECK(bc.in_csum_errors >= 1); /* the super-segment with the bad byte */
}

/* Cut by the link, the super-segments are the segments the sender makes
 * without TSO: the same transfer gives the same counters on both sides. */
static void tso_cut_counts_as_without(unsigned mtu, bool pacing)
{
    struct synack_counters bc0 = {0}, bc1 = {0}, ac0;
    uint64_t bytes = 2u << 20;
    no_pacing = !pacing;
    CHECK_EQ(transfer_tso(mtu, false, MEMLINK_TSO_OFF, bytes, false, &bc0), bytes);
    ac0 = ac;
    uint64_t packets0 = link_.packets;
    CHECK_EQ(transfer_tso(mtu, false, MEMLINK_TSO_CUT, bytes, false, &bc1), bytes);
    no_pacing = false;
    CHECK(link_.supers > 0);
    CHECK_EQ(link_.packets, packets0); /* the same packets crossed the link */
    CHECK_EQ(ac.out_segs, ac0.out_segs);
    CHECK_EQ(ac.retrans_segs, ac0.retrans_segs);
    CHECK_EQ(ac.in_segs, ac0.in_segs);
    CHECK_EQ(bc1.in_segs, bc0.in_segs);
    CHECK_EQ(bc1.out_segs, bc0.out_segs);
    CHECK_EQ(bc1.in_csum_errors, 0);
}

static void tso_cut_unpaced_counts_as_without(void) { tso_cut_counts_as_without(1500, false); }
static void tso_cut_mtu9000_counts_as_without(void) { tso_cut_counts_as_without(9000, false); }

TEST_MAIN(TEST(tso_mtu1500_byte_exact), TEST(tso_odd_segment_size_byte_exact), TEST(tso_direct_byte_exact), TEST(tso_mtu9000_byte_exact),
          TEST(tso_damaged_byte_caught_by_receiver), TEST(tso_cut_unpaced_counts_as_without),
          TEST(tso_cut_mtu9000_counts_as_without), TEST(offload_mtu1500_byte_exact), TEST(offload_odd_segment_size_byte_exact), TEST(offload_mtu9000_byte_exact),
          TEST(offload_damaged_byte_caught_by_receiver), TEST(no_offload_no_merge))
