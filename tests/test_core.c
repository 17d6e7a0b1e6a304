/*
 * test_core.c — the core's building blocks: out-of-order assembler, byte
 * ring, sequence arithmetic, SipHash, ISNs and ports (the timer wheel has
 * test_timer_wheel.c).
 */
#include <errno.h>
#include <stdlib.h>

#include "harness.h"
#include "util/siphash.h"
#include "tcp/assembler.h"
#include "tcp/ring.h"
#include "tcp/seq.h"
#include "synack/synack.h"
#include "synack/wire.h"

/* ---- assembler ------------------------------------------------------------ */

static void assembler_merges_and_bounds(void)
{
    struct assembler a;
    asm_clear(&a);
    CHECK(asm_add(&a, 100, 200));
    CHECK(asm_add(&a, 300, 400));
    CHECK(asm_add(&a, 200, 300)); /* fills the gap: one range */
    CHECK_EQ(a.count, 1);
    CHECK_EQ(a.r[0].start, 100);
    CHECK_EQ(a.r[0].end, 400);
    CHECK_EQ(asm_take(&a, 50), 50);   /* a hole before 100 */
    CHECK_EQ(asm_take(&a, 100), 400);
    CHECK_EQ(a.count, 0);
    /* H-60: every other byte: at most ASM_MAX_RANGES ranges, then refused */
    int refused = 0;
    for (uint32_t i = 0; i < 100; i++)
        if (!asm_add(&a, 1000 + 2 * i, 1001 + 2 * i)) refused++;
    CHECK_EQ(a.count, ASM_MAX_RANGES);
    CHECK_EQ(refused, 100 - ASM_MAX_RANGES);
    /* across 2^32 */
    asm_clear(&a);
    CHECK(asm_add(&a, 0xfffffff0u, 0x10));
    CHECK_EQ(asm_take(&a, 0xfffffff0u), 0x10);
}

/* ---- ring ----------------------------------------------------------------- */

static void ring_wraps(void)
{
    struct ring r;
    REQUIRE(ring_init(&r, 10) == 0);
    CHECK_EQ(ring_push(&r, "abcdefgh", 8), 8);
    char out[16] = {0};
    ring_read_at(&r, 0, out, 3);
    CHECK_MEM(out, "abc", 3);
    ring_drop(&r, 6);
    CHECK_EQ(ring_push(&r, "123456789", 9), 8); /* only 8 fit */
    ring_read_at(&r, 0, out, 10);
    CHECK_MEM(out, "gh12345678", 10);
    /* write past len (parking) keeps len */
    ring_drop(&r, 10);
    ring_write_at(&r, 4, "XY", 2);
    CHECK_EQ(r.len, 0);
    ring_drop(&r, 0);
    r.len = 6;
    ring_read_at(&r, 4, out, 2);
    CHECK_MEM(out, "XY", 2);
    ring_free(&r);
}

/* ---- sequence arithmetic --------------------------------------------------- */

static void seq_wraps(void)
{
    CHECK(seq_lt(0xfffffff0u, 0x10));
    CHECK(seq_gt(0x10, 0xfffffff0u));
    CHECK(seq_leq(5, 5));
    CHECK(seq_in(0, 0xffffffffu, 2));
    CHECK(!seq_in(2, 0xffffffffu, 2));
    CHECK_EQ(seq_max(0xfffffff0u, 3), 3);
}

/* ---- Internet checksum: the fast path against the RFC 1071 definition ---- */

static uint32_t csum_reference(uint32_t sum, const uint8_t *p, size_t len)
{
    uint64_t acc = sum;
    size_t i = 0;
    for (; i + 1 < len; i += 2) acc += (uint32_t)((p[i] << 8) | p[i + 1]);
    if (i < len) acc += (uint32_t)p[i] << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint32_t)acc;
}

static void checksum_matches_reference(void)
{
    static uint8_t buf[2100];
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    int bad = 0;
    for (size_t off = 0; off < 8; off++) {
        for (size_t len = 0; len < 2048; len += (len < 80 ? 1 : 37)) {
            uint32_t fast = wire_csum_add(0x1234, buf + off, len);
            if (wire_csum_finish(fast) != wire_csum_finish(csum_reference(0x1234, buf + off, len))) bad++;
        }
    }
    CHECK_EQ(bad, 0);
    memset(buf, 0xff, 64); /* all ones: the sum must not overflow or fold wrong */
    CHECK_EQ(wire_csum_finish(wire_csum_add(0, buf, 64)), wire_csum_finish(csum_reference(0, buf, 64)));
}

/* ---- SipHash (reference vector from the SipHash paper, appendix A) ---------- */

static void siphash_reference_vector(void)
{
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++) msg[i] = (uint8_t)i;
    CHECK(siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
}

/* ---- ISNs (RFC 6528) and ephemeral ports (RFC 6056) -------------------------- */

static void ignore_output(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    (void)p;
    (void)n;
}

static uint32_t syn_isn_of(synack_stack *st, uint16_t *port);
static const uint8_t *last_pkt;
static size_t last_len;
static uint8_t last_buf[1600];
static void keep_output(void *ctx, const uint8_t *p, size_t n)
{
    (void)ctx;
    if (n <= sizeof last_buf) {
        memcpy(last_buf, p, n);
        last_pkt = last_buf;
        last_len = n;
    }
}

static uint32_t syn_isn_of(synack_stack *st, uint16_t *port)
{
    int sd = synack_socket(st);
    last_pkt = NULL;
    synack_connect(st, sd, &(struct synack_endpoint){0x0a000002u, 80});
    synack_stack_poll(st, 1000);
    if (!last_pkt || last_len < 40) return 0;
    *port = (uint16_t)((last_pkt[20] << 8) | last_pkt[21]);
    uint32_t isn = ((uint32_t)last_pkt[24] << 24) | ((uint32_t)last_pkt[25] << 16) | ((uint32_t)last_pkt[26] << 8) |
                   last_pkt[27];
    synack_close(st, sd);
    return isn;
}

static void isns_and_ports_are_keyed(void)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = 0x0a000001u;
    cfg.output = keep_output;
    uint32_t isn[2];
    uint16_t port[2];
    for (int k = 0; k < 2; k++) {
        memset(cfg.secret, k ? 0x5a : 0xa5, sizeof cfg.secret);
        synack_stack *st;
        REQUIRE(synack_stack_create(&st, &cfg) == 0);
        isn[k] = syn_isn_of(st, &port[k]);
        CHECK(port[k] >= 32768 && port[k] <= 60999);
        synack_stack_destroy(st);
    }
    /* Different secrets: different ISNs and ports for the same 4-tuple. */
    CHECK(isn[0] != isn[1]);
    CHECK(port[0] != port[1]);
    /* The same secret and time give the same ISN (deterministic). */
    memset(cfg.secret, 0xa5, sizeof cfg.secret);
    synack_stack *st;
    REQUIRE(synack_stack_create(&st, &cfg) == 0);
    uint16_t p2;
    CHECK_EQ(syn_isn_of(st, &p2), isn[0]);
    synack_stack_destroy(st);
    cfg.output = ignore_output;
}

/* IP_TTL reaches the wire: byte 8 of the IPv4 header of our SYN. */
static void ip_ttl_on_the_wire(void)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = 0x0a000001u;
    cfg.output = keep_output;
    synack_stack *st;
    REQUIRE(synack_stack_create(&st, &cfg) == 0);
    int sd = synack_socket(st);
    int ttl = 7;
    CHECK_EQ(synack_setsockopt(st, sd, SYNACK_SOL_IP, SYNACK_IP_TTL, &ttl, sizeof ttl), 0);
    last_pkt = NULL;
    synack_connect(st, sd, &(struct synack_endpoint){0x0a000002u, 80});
    synack_stack_poll(st, 1000);
    REQUIRE(last_pkt != NULL);
    CHECK_EQ(last_pkt[8], 7);
    /* and the default, 64, on another socket */
    int sd2 = synack_socket(st);
    last_pkt = NULL;
    synack_connect(st, sd2, &(struct synack_endpoint){0x0a000002u, 81});
    synack_stack_poll(st, 2000);
    REQUIRE(last_pkt != NULL);
    CHECK_EQ(last_pkt[8], 64);
    synack_stack_destroy(st);
}

static void bad_config_is_rejected(void)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    synack_stack *st;
    CHECK_EQ(synack_stack_create(&st, &cfg), -EINVAL); /* no output */
    cfg.output = ignore_output;
    cfg.tunables.rto_min_ms = 0;
    CHECK_EQ(synack_stack_create(&st, &cfg), -EINVAL);
    synack_config_init(&cfg);
    cfg.output = ignore_output;
    cfg.mtu = 40;
    CHECK_EQ(synack_stack_create(&st, &cfg), -EINVAL);
    cfg.mtu = 1500;
    REQUIRE(synack_stack_create(&st, &cfg) == 0);
    struct synack_tunables t;
    synack_stack_get_tunables(st, &t);
    CHECK_EQ(t.syn_retries, 6);
    t.msl_ms = 0;
    CHECK_EQ(synack_stack_set_tunables(st, &t), -EINVAL);
    t.msl_ms = 1000;
    CHECK_EQ(synack_stack_set_tunables(st, &t), 0);
    synack_stack_destroy(st);
}

TEST_MAIN(TEST(assembler_merges_and_bounds), TEST(ring_wraps), TEST(seq_wraps), TEST(checksum_matches_reference), TEST(siphash_reference_vector),
          TEST(isns_and_ports_are_keyed), TEST(ip_ttl_on_the_wire), TEST(bad_config_is_rejected))
