/*
 * test_wire.c — tests of the wire layer (src/wire/): checksum, IPv4, TCP,
 * ICMP codecs.
 *
 * Owns: golden bytes both ways (packets captured from the Linux kernel are
 * parsed, checked field by field, and re-emitted byte for byte into buffers
 * pre-filled with 0xA5), round trips of synthetic reprs, every malformed
 * input of docs/HOSTILE.md A/C/D/E that reaches a parser
 * (each with its own error code), every truncation of valid packets (copied
 * into exactly-sized heap buffers so ASan sees any overread), and emit's
 * no-space behaviour.
 *
 * Map: helpers; test_checksum; test_linux_*; test_roundtrip_*;
 * test_ipv4_malformed; test_tcp_malformed; test_icmp_malformed;
 * test_truncations; test_emit_*; test_strings.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "vectors/linux_capture.h"
#include "synack/wire.h"

#define ADDR_A 0x0a4d0001u /* 10.77.0.1 */
#define ADDR_B 0x0a4d0002u /* 10.77.0.2 */
#define FILL 0xA5

/* ---- helpers ------------------------------------------------------------ */

/* A heap copy of exactly n bytes, so that ASan reports any read past it. */
static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *q = malloc(n ? n : 1);
    if (!q) abort();
    if (n) memcpy(q, p, n);
    return q;
}

static const struct linux_vector *vec(const char *name)
{
    for (size_t i = 0; i < LINUX_VECTOR_COUNT; i++)
        if (strcmp(linux_vectors[i].name, name) == 0) return &linux_vectors[i];
    fprintf(stderr, "no vector %s\n", name);
    abort();
}

static bool all_fill(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != FILL) return false;
    return true;
}

static bool opts_eq(const struct tcp_options *a, const struct tcp_options *b)
{
    if (a->has_mss != b->has_mss || a->has_wscale != b->has_wscale ||
        a->sack_permitted != b->sack_permitted || a->has_timestamp != b->has_timestamp ||
        a->sack_count != b->sack_count)
        return false;
    if (a->has_mss && a->mss != b->mss) return false;
    if (a->has_wscale && a->wscale != b->wscale) return false;
    if (a->has_timestamp && (a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)) return false;
    for (size_t i = 0; i < a->sack_count && i < TCP_MAX_SACK_BLOCKS; i++)
        if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
            return false;
    return true;
}

/* Equal as values: checksum and header_len (wire layout) are not compared,
 * payloads are compared by content. */
static bool tcp_eq(const struct tcp_repr *a, const struct tcp_repr *b)
{
    return a->src_port == b->src_port && a->dst_port == b->dst_port && a->seq == b->seq &&
           a->ack == b->ack && a->flags == b->flags && a->window == b->window &&
           a->urgent == b->urgent && opts_eq(&a->opt, &b->opt) &&
           a->payload_len == b->payload_len &&
           (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static bool ipv4_eq(const struct ipv4_repr *a, const struct ipv4_repr *b)
{
    return a->src == b->src && a->dst == b->dst && a->protocol == b->protocol &&
           a->ttl == b->ttl && a->tos == b->tos && a->flags == b->flags &&
           a->ident == b->ident && a->frag_offset == b->frag_offset &&
           a->payload_len == b->payload_len;
}

static bool icmp_eq(const struct icmp_repr *a, const struct icmp_repr *b)
{
    return a->type == b->type && a->code == b->code && a->ident == b->ident &&
           a->seq_no == b->seq_no && a->next_hop_mtu == b->next_hop_mtu &&
           a->data_len == b->data_len &&
           (a->data_len == 0 || memcmp(a->data, b->data, a->data_len) == 0);
}

static void fix_ip_csum(uint8_t *p)
{
    size_t hlen = (size_t)(p[0] & 15) * 4;
    wire_put16(p + 10, 0);
    wire_put16(p + 10, wire_csum_finish(wire_csum_add(0, p, hlen)));
}

static void fix_tcp_csum(uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
    wire_put16(seg + 16, 0);
    uint32_t sum = wire_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)len);
    wire_put16(seg + 16, wire_csum_finish(wire_csum_add(sum, seg, len)));
}

static void fix_icmp_csum(uint8_t *msg, size_t len)
{
    wire_put16(msg + 2, 0);
    wire_put16(msg + 2, wire_csum_finish(wire_csum_add(0, msg, len)));
}

/* Build a TCP segment (ADDR_A:1234 -> ADDR_B:80) with the given raw option
 * bytes (optlen a multiple of 4) and payload, with a correct checksum.
 * Returns the segment length. */
static size_t build_tcp(uint8_t *seg, const uint8_t *opts, size_t optlen,
                        const char *payload)
{
    size_t plen = payload ? strlen(payload) : 0;
    size_t hlen = 20 + optlen;
    memset(seg, 0, hlen);
    wire_put16(seg + 0, 1234);
    wire_put16(seg + 2, 80);
    wire_put32(seg + 4, 0x01020304);
    wire_put32(seg + 8, 0xa0b0c0d0);
    seg[12] = (uint8_t)((hlen / 4) << 4);
    seg[13] = TCP_SYN;
    wire_put16(seg + 14, 29200);
    wire_put16(seg + 18, 0x0777);
    if (optlen) memcpy(seg + 20, opts, optlen);
    if (plen) memcpy(seg + hlen, payload, plen);
    fix_tcp_csum(seg, hlen + plen, ADDR_A, ADDR_B);
    return hlen + plen;
}

/* Parse seg[0..len) from an exactly-sized heap copy. */
static int parse_tcp_exact(struct tcp_repr *r, const uint8_t *seg, size_t len)
{
    uint8_t *copy = dup_exact(seg, len);
    int err = tcp_parse(r, copy, len, ADDR_A, ADDR_B);
    /* payload would dangle: callers only look at header fields */
    r->payload = NULL;
    free(copy);
    return err;
}

/* Options padded to a multiple of 4 with NOPs... or EOLs when pad_eol. */
static int parse_opts(struct tcp_repr *r, const uint8_t *opts, size_t n)
{
    uint8_t o[40], seg[80];
    if (n > 40) abort();
    memcpy(o, opts, n);
    size_t padded = (n + 3) & ~(size_t)3;
    memset(o + n, TCP_OPT_EOL, padded - n);
    size_t len = build_tcp(seg, o, padded, NULL);
    return parse_tcp_exact(r, seg, len);
}

/* Build an IPv4 header with raw option bytes (optlen multiple of 4) in
 * front of plen payload bytes of 0x5A; correct checksum. Returns length. */
static size_t build_ip(uint8_t *pkt, const uint8_t *opts, size_t optlen, size_t plen)
{
    size_t hlen = 20 + optlen;
    memset(pkt, 0, hlen);
    pkt[0] = (uint8_t)(0x40 | (hlen / 4));
    wire_put16(pkt + 2, (uint16_t)(hlen + plen));
    wire_put16(pkt + 4, 0x1234);
    wire_put16(pkt + 6, 0x4000);
    pkt[8] = 64;
    pkt[9] = IPV4_PROTO_TCP;
    wire_put32(pkt + 12, ADDR_A);
    wire_put32(pkt + 16, ADDR_B);
    if (optlen) memcpy(pkt + 20, opts, optlen);
    memset(pkt + hlen, 0x5A, plen);
    fix_ip_csum(pkt);
    return hlen + plen;
}

static int parse_ip_exact(struct ipv4_repr *r, const uint8_t *pkt, size_t len)
{
    uint8_t *copy = dup_exact(pkt, len);
    int err = ipv4_parse(r, copy, len);
    free(copy);
    return err;
}

/* ---- checksum ----------------------------------------------------------- */

static void test_checksum(void)
{
    /* RFC 1071 section 3 example: sum ddf2 (folded), checksum 220d. */
    static const uint8_t ex[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
    CHECK_EQ(wire_csum_finish(wire_csum_add(0, ex, sizeof ex)), 0x220d);
    /* Chaining even chunks gives the same result. */
    uint32_t s = wire_csum_add(0, ex, 2);
    s = wire_csum_add(s, ex + 2, 4);
    s = wire_csum_add(s, ex + 6, 2);
    CHECK_EQ(wire_csum_finish(s), 0x220d);
    /* Odd length: the last byte is the high byte of a zero-padded word. */
    static const uint8_t odd[] = {0x12, 0x34, 0x56};
    CHECK_EQ(wire_csum_finish(wire_csum_add(0, odd, 3)), (uint16_t)~(0x1234 + 0x5600));
    CHECK_EQ(wire_csum_finish(0), 0xFFFF);
    CHECK_EQ(wire_csum_finish(wire_csum_add(0, NULL, 0)), 0xFFFF);
    /* Pseudo-header: addresses, zero+protocol, length. */
    uint32_t p = wire_csum_pseudo(0x0a000001, 0x0a000002, 6, 40);
    CHECK_EQ(wire_csum_finish(p), (uint16_t)~(0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 6 + 40));
    /* Large input: many 0xFFFF words do not lose carries. */
    size_t big = 200000;
    uint8_t *ff = malloc(big);
    REQUIRE(ff != NULL);
    memset(ff, 0xFF, big);
    CHECK_EQ(wire_csum_finish(wire_csum_add(0, ff, big)), 0x0000);
    free(ff);
}

/* ---- golden bytes: Linux captures --------------------------------------- */

static void test_linux_ipv4(void)
{
    for (size_t i = 0; i < LINUX_VECTOR_COUNT; i++) {
        const struct linux_vector *v = &linux_vectors[i];
        struct ipv4_repr ip;
        REQUIRE(parse_ip_exact(&ip, v->bytes, v->len) == WIRE_OK);
        CHECK_EQ(ip.header_len, 20);
        CHECK_EQ(ip.header_len + ip.payload_len, v->len);
        CHECK(ip.src == ADDR_A || ip.src == ADDR_B);
        CHECK(ip.dst == ADDR_A || ip.dst == ADDR_B);
        CHECK(ip.src != ip.dst);
        CHECK(!ipv4_is_fragment(&ip));
        CHECK_EQ(ip.ttl, 64);
    }
    struct ipv4_repr ip;
    CHECK_EQ(ipv4_parse(&ip, linux_tcp_syn, sizeof linux_tcp_syn), WIRE_OK);
    CHECK_EQ(ip.protocol, IPV4_PROTO_TCP);
    CHECK_EQ(ip.src, ADDR_A);
    CHECK_EQ(ip.dst, ADDR_B);
    CHECK_EQ(ip.flags, IPV4_FLAG_DF);
    CHECK_EQ(ip.frag_offset, 0);
    CHECK_EQ(ipv4_parse(&ip, linux_ipv4_proto17, sizeof linux_ipv4_proto17), WIRE_OK);
    CHECK_EQ(ip.protocol, 17);
    CHECK_EQ(ipv4_parse(&ip, linux_icmp_unreach, sizeof linux_icmp_unreach), WIRE_OK);
    CHECK_EQ(ip.protocol, IPV4_PROTO_ICMP);
    CHECK_EQ(ip.src, ADDR_B);
}

/* Parse the TCP segment of a captured datagram. */
static int linux_tcp(const char *name, struct tcp_repr *t)
{
    const struct linux_vector *v = vec(name);
    struct ipv4_repr ip;
    int err = ipv4_parse(&ip, v->bytes, v->len);
    if (err) return err;
    return tcp_parse(t, v->bytes + ip.header_len, ip.payload_len, ip.src, ip.dst);
}

static void test_linux_tcp_fields(void)
{
    struct tcp_repr syn, synack, ack, d1, d2, rst, t;

    REQUIRE(linux_tcp("tcp_syn", &syn) == WIRE_OK);
    CHECK_EQ(syn.dst_port, 5000);
    CHECK_EQ(syn.flags, TCP_SYN);
    CHECK_EQ(syn.ack, 0);
    CHECK_EQ(syn.header_len, 40);
    CHECK_EQ(syn.payload_len, 0);
    CHECK(syn.opt.has_mss);
    CHECK_EQ(syn.opt.mss, 1460);
    CHECK(syn.opt.sack_permitted);
    CHECK(syn.opt.has_timestamp);
    CHECK_EQ(syn.opt.ts_ecr, 0);
    CHECK(syn.opt.has_wscale);
    CHECK(syn.opt.wscale <= 14);
    CHECK_EQ(syn.opt.sack_count, 0);
    CHECK_EQ(syn.urgent, 0);
    CHECK(syn.window > 0);
    CHECK_STR(tcp_flags_str(syn.flags), "SYN");

    REQUIRE(linux_tcp("tcp_syn_ack", &synack) == WIRE_OK);
    CHECK_EQ(synack.src_port, 5000);
    CHECK_EQ(synack.dst_port, syn.src_port);
    CHECK_EQ(synack.flags, TCP_SYN | TCP_ACK);
    CHECK_EQ(synack.ack, syn.seq + 1);
    CHECK(synack.opt.has_mss && synack.opt.mss == 1460);
    CHECK(synack.opt.sack_permitted && synack.opt.has_wscale);
    CHECK(synack.opt.has_timestamp);
    CHECK_EQ(synack.opt.ts_ecr, syn.opt.ts_val);
    CHECK_STR(tcp_flags_str(synack.flags), "SYN|ACK");

    REQUIRE(linux_tcp("tcp_ack", &ack) == WIRE_OK);
    CHECK_EQ(ack.flags, TCP_ACK);
    CHECK_EQ(ack.seq, syn.seq + 1);
    CHECK_EQ(ack.ack, synack.seq + 1);
    CHECK_EQ(ack.header_len, 32);
    CHECK(!ack.opt.has_mss && !ack.opt.has_wscale && !ack.opt.sack_permitted);
    CHECK(ack.opt.has_timestamp);
    CHECK_EQ(ack.opt.ts_ecr, synack.opt.ts_val);

    REQUIRE(linux_tcp("tcp_psh_ack_data", &d1) == WIRE_OK);
    CHECK_EQ(d1.flags, TCP_PSH | TCP_ACK);
    CHECK_EQ(d1.seq, syn.seq + 1);
    CHECK_EQ(d1.payload_len, 13);
    CHECK_MEM(d1.payload, "hello, server", 13);
    CHECK_STR(tcp_flags_str(d1.flags), "PSH|ACK");

    REQUIRE(linux_tcp("tcp_psh_ack_data_2", &d2) == WIRE_OK);
    CHECK_EQ(d2.src_port, 5000);
    CHECK_EQ(d2.seq, synack.seq + 1);
    CHECK_EQ(d2.ack, syn.seq + 1 + 13);
    CHECK_EQ(d2.payload_len, 14);
    CHECK_MEM(d2.payload, "Hello, Client!", 14);

    REQUIRE(linux_tcp("tcp_fin_ack", &t) == WIRE_OK);
    CHECK_EQ(t.flags, TCP_FIN | TCP_ACK);
    CHECK_EQ(t.seq, syn.seq + 1 + 13); /* client's FIN after its data */
    CHECK_STR(tcp_flags_str(t.flags), "FIN|ACK");
    REQUIRE(linux_tcp("tcp_fin_ack_2", &t) == WIRE_OK);
    CHECK_EQ(t.flags, TCP_FIN | TCP_ACK);
    CHECK_EQ(t.seq, synack.seq + 1 + 14);
    CHECK_EQ(t.ack, syn.seq + 1 + 13 + 1); /* FIN consumes one number */

    REQUIRE(linux_tcp("tcp_rst_ack", &rst) == WIRE_OK);
    CHECK_EQ(rst.src_port, 5001);
    CHECK_EQ(rst.flags, TCP_RST | TCP_ACK);
    CHECK_EQ(rst.header_len, 20);
    CHECK_EQ(rst.window, 0);
    CHECK_EQ(rst.seq, 0);
    struct tcp_repr syn2;
    REQUIRE(linux_tcp("tcp_syn_2", &syn2) == WIRE_OK);
    CHECK_EQ(syn2.dst_port, 5001);
    CHECK_EQ(rst.ack, syn2.seq + 1);
    CHECK_STR(tcp_flags_str(rst.flags), "RST|ACK");
}

static int linux_icmp(const char *name, struct icmp_repr *m)
{
    const struct linux_vector *v = vec(name);
    struct ipv4_repr ip;
    int err = ipv4_parse(&ip, v->bytes, v->len);
    if (err) return err;
    return icmp_parse(m, v->bytes + ip.header_len, ip.payload_len);
}

static void test_linux_icmp_fields(void)
{
    struct icmp_repr req, rep, un;
    static const char ping[] = "synack-ping-0123456789";

    REQUIRE(linux_icmp("icmp_echo_request", &req) == WIRE_OK);
    CHECK_EQ(req.type, ICMP_ECHO_REQUEST);
    CHECK_EQ(req.code, 0);
    CHECK_EQ(req.seq_no, 1);
    CHECK_EQ(req.data_len, sizeof ping - 1);
    CHECK_MEM(req.data, ping, sizeof ping - 1);

    REQUIRE(linux_icmp("icmp_echo_reply", &rep) == WIRE_OK);
    CHECK_EQ(rep.type, ICMP_ECHO_REPLY);
    CHECK_EQ(rep.ident, req.ident);
    CHECK_EQ(rep.seq_no, req.seq_no);
    CHECK_EQ(rep.data_len, req.data_len);
    CHECK_MEM(rep.data, ping, sizeof ping - 1);

    REQUIRE(linux_icmp("icmp_unreach", &un) == WIRE_OK);
    CHECK_EQ(un.type, ICMP_DEST_UNREACH);
    CHECK_EQ(un.code, ICMP_UNREACH_PORT);
    CHECK_EQ(un.next_hop_mtu, 0);
    /* The quote is the whole UDP datagram the client sent. */
    CHECK_EQ(un.data_len, sizeof linux_ipv4_proto17);
    CHECK_MEM(un.data, linux_ipv4_proto17, sizeof linux_ipv4_proto17);
    struct ipv4_repr quoted;
    CHECK_EQ(ipv4_parse(&quoted, un.data, un.data_len), WIRE_OK);
    CHECK_EQ(quoted.dst, ADDR_B);
    CHECK_EQ(quoted.protocol, 17);
}

/* Re-emit every captured datagram into a 0xA5-filled buffer and compare it
 * byte for byte with the original. */
static void test_linux_reemit(void)
{
    for (size_t i = 0; i < LINUX_VECTOR_COUNT; i++) {
        const struct linux_vector *v = &linux_vectors[i];
        uint8_t out[1600];
        struct ipv4_repr ip;
        memset(out, FILL, sizeof out);
        REQUIRE(ipv4_parse(&ip, v->bytes, v->len) == WIRE_OK);
        CHECK_EQ(ipv4_repr_len(&ip), 20);
        CHECK_EQ(ipv4_emit(&ip, out, sizeof out), 20);
        const uint8_t *pl = v->bytes + ip.header_len;
        int n = -1;
        if (ip.protocol == IPV4_PROTO_TCP) {
            struct tcp_repr t;
            REQUIRE(tcp_parse(&t, pl, ip.payload_len, ip.src, ip.dst) == WIRE_OK);
            CHECK_EQ(tcp_header_len(&t.opt), t.header_len);
            CHECK_EQ(tcp_repr_len(&t), ip.payload_len);
            n = tcp_emit(&t, out + 20, sizeof out - 20, ip.src, ip.dst);
            CHECK_EQ(n, ip.payload_len);
        } else if (ip.protocol == IPV4_PROTO_ICMP) {
            struct icmp_repr m;
            REQUIRE(icmp_parse(&m, pl, ip.payload_len) == WIRE_OK);
            CHECK_EQ(icmp_repr_len(&m), ip.payload_len);
            n = icmp_emit(&m, out + 20, sizeof out - 20);
            CHECK_EQ(n, ip.payload_len);
        } else {
            memcpy(out + 20, pl, ip.payload_len); /* UDP: IP header only */
        }
        if (memcmp(out, v->bytes, v->len) != 0) {
            HARNESS_FAIL("re-emit of %s differs", v->name);
            for (size_t j = 0; j < v->len; j++)
                if (out[j] != v->bytes[j])
                    fprintf(stderr, "  byte %zu: got %02x want %02x\n", j, out[j], v->bytes[j]);
        }
        CHECK(all_fill(out + v->len, sizeof out - v->len));
    }
}

/* The Linux SYN option layout, spelled out. */
static void test_linux_syn_layout(void)
{
    struct tcp_repr t;
    REQUIRE(linux_tcp("tcp_syn", &t) == WIRE_OK);
    uint8_t out[60];
    memset(out, FILL, sizeof out);
    REQUIRE(tcp_emit(&t, out, sizeof out, ADDR_A, ADDR_B) == 40);
    static const uint8_t head[] = {0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a};
    CHECK_MEM(out + 20, head, sizeof head);
    CHECK_EQ(out[36], 0x01);
    CHECK_EQ(out[37], 0x03);
    CHECK_EQ(out[38], 0x03);
    CHECK_EQ(out[39], t.opt.wscale);
    CHECK(all_fill(out + 40, 20));
}

/* ---- round trips of synthetic reprs ------------------------------------- */

static void test_roundtrip_tcp(void)
{
    static const uint8_t payload[] = "0123456789abcdef";
    static const size_t plens[] = {0, 1, 7, 16};
    int emitted = 0, rejected = 0;

    for (unsigned combo = 0; combo < 16; combo++) {
        for (uint8_t nsack = 0; nsack <= TCP_MAX_SACK_BLOCKS; nsack++) {
            for (size_t pi = 0; pi < sizeof plens / sizeof plens[0]; pi++) {
                struct tcp_repr r;
                memset(&r, 0, sizeof r);
                r.src_port = 0xFFFF;
                r.dst_port = (uint16_t)(combo * 1000 + nsack);
                r.seq = 0xFFFFFFF0u + combo;
                r.ack = 0x80000000u ^ (uint32_t)pi;
                r.flags = (uint8_t)(TCP_ACK | (combo << 2) | nsack);
                r.window = (uint16_t)(0xFFFF - combo);
                r.urgent = (uint16_t)pi;
                r.opt.has_mss = combo & 1;
                r.opt.mss = r.opt.has_mss ? (uint16_t)(536 + combo) : 0;
                r.opt.has_wscale = (combo >> 1) & 1;
                r.opt.wscale = r.opt.has_wscale ? (uint8_t)(combo + 1) : 0;
                r.opt.sack_permitted = (combo >> 2) & 1;
                r.opt.has_timestamp = (combo >> 3) & 1;
                r.opt.ts_val = r.opt.has_timestamp ? 0xFFFFFFFFu - combo : 0;
                r.opt.ts_ecr = r.opt.has_timestamp ? 0x01020304u * combo : 0;
                r.opt.sack_count = nsack;
                for (uint8_t b = 0; b < nsack; b++) {
                    r.opt.sack[b].left = 1000u * b + 0xFFFFFF00u;
                    r.opt.sack[b].right = 1000u * b + 500;
                }
                r.payload = plens[pi] ? payload : NULL;
                r.payload_len = plens[pi];

                size_t hlen = tcp_header_len(&r.opt);
                uint8_t buf[128];
                memset(buf, FILL, sizeof buf);
                int n = tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B);
                if (hlen > TCP_HDR_MAX) {
                    CHECK_EQ(n, WIRE_E_INVALID);
                    CHECK(all_fill(buf, sizeof buf));
                    rejected++;
                    continue;
                }
                emitted++;
                CHECK_EQ(hlen % 4, 0);
                CHECK_EQ(n, hlen + plens[pi]);
                CHECK_EQ((size_t)n, tcp_repr_len(&r));
                CHECK(all_fill(buf + n, sizeof buf - (size_t)n));
                struct tcp_repr back;
                uint8_t *copy = dup_exact(buf, (size_t)n);
                CHECK_EQ(tcp_parse(&back, copy, (size_t)n, ADDR_A, ADDR_B), WIRE_OK);
                CHECK_EQ(back.header_len, hlen);
                if (!tcp_eq(&r, &back))
                    HARNESS_FAIL("round trip combo %u sack %u payload %zu", combo, nsack, plens[pi]);
                /* emit(parse(emit(r))) == emit(r), byte for byte */
                uint8_t again[128];
                memset(again, FILL, sizeof again);
                CHECK_EQ(tcp_emit(&back, again, sizeof again, ADDR_A, ADDR_B), n);
                CHECK_MEM(again, buf, (size_t)n);
                free(copy);
            }
        }
    }
    CHECK(emitted > 0);
    CHECK(rejected > 0);
}

static void test_tcp_emit_layouts(void)
{
    struct tcp_repr r;
    uint8_t buf[64];

    /* Timestamps alone: NOP NOP TS, as in every Linux data segment. */
    memset(&r, 0, sizeof r);
    r.opt.has_timestamp = true;
    r.opt.ts_val = 0x11223344;
    r.opt.ts_ecr = 0x55667788;
    static const uint8_t ts[] = {1, 1, 8, 10, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), 32);
    CHECK_MEM(buf + 20, ts, sizeof ts);

    /* SACK-permitted without timestamps: NOP NOP SACK-perm. */
    memset(&r, 0, sizeof r);
    r.opt.has_mss = true;
    r.opt.mss = 1460;
    r.opt.sack_permitted = true;
    r.opt.has_wscale = true;
    r.opt.wscale = 7;
    static const uint8_t sp[] = {2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7};
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), 32);
    CHECK_MEM(buf + 20, sp, sizeof sp);

    /* TS and two SACK blocks: NOP NOP SACK after the timestamps. */
    memset(&r, 0, sizeof r);
    r.opt.has_timestamp = true;
    r.opt.sack_count = 2;
    r.opt.sack[0] = (struct tcp_sack_block){1, 2};
    r.opt.sack[1] = (struct tcp_sack_block){3, 4};
    static const uint8_t sk[] = {1, 1, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 5, 18,
                                 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), 52);
    CHECK_MEM(buf + 20, sk, sizeof sk);

    /* MSS + TS + 3 SACK blocks is legal on the wire (40 bytes packed) but
     * does not fit aligned: emit packs it, and it round-trips. */
    memset(&r, 0, sizeof r);
    r.opt.has_mss = true;
    r.opt.mss = 1000;
    r.opt.has_timestamp = true;
    r.opt.ts_val = 9;
    r.opt.sack_count = 3;
    for (int b = 0; b < 3; b++) r.opt.sack[b] = (struct tcp_sack_block){10u * b, 10u * b + 5};
    CHECK_EQ(tcp_header_len(&r.opt), 60);
    memset(buf, FILL, sizeof buf);
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), 60);
    CHECK_EQ(buf[20], 2);
    CHECK_EQ(buf[24], 8);
    CHECK_EQ(buf[34], 5);
    CHECK_EQ(buf[35], 26);
    struct tcp_repr back;
    CHECK_EQ(tcp_parse(&back, buf, 60, ADDR_A, ADDR_B), WIRE_OK);
    CHECK(tcp_eq(&r, &back));

    /* Everything plus 4 SACK blocks cannot be encoded. */
    r.opt.has_wscale = true;
    r.opt.sack_permitted = true;
    r.opt.sack_count = 4;
    CHECK(tcp_header_len(&r.opt) > TCP_HDR_MAX);
    memset(buf, FILL, sizeof buf);
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), WIRE_E_INVALID);
    CHECK(all_fill(buf, sizeof buf));
    r.opt.sack_count = 5;
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), WIRE_E_INVALID);
    /* A payload length without a payload pointer. */
    memset(&r, 0, sizeof r);
    r.payload_len = 3;
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), WIRE_E_INVALID);
    /* header_len in the repr is ignored on emit. */
    memset(&r, 0, sizeof r);
    r.header_len = 60;
    CHECK_EQ(tcp_emit(&r, buf, sizeof buf, ADDR_A, ADDR_B), 20);
    CHECK_EQ(buf[12], 0x50);
    /* Emit in place: the payload already sits after the header. */
    uint8_t inplace[40];
    memset(inplace, 0, sizeof inplace);
    memcpy(inplace + 32, "in-place", 8);
    memset(&r, 0, sizeof r);
    r.opt.has_timestamp = true;
    r.payload = inplace + 32;
    r.payload_len = 8;
    CHECK_EQ(tcp_emit(&r, inplace, sizeof inplace, ADDR_A, ADDR_B), 40);
    CHECK_EQ(tcp_parse(&back, inplace, 40, ADDR_A, ADDR_B), WIRE_OK);
    CHECK_MEM(back.payload, "in-place", 8);
}

static void test_roundtrip_ipv4(void)
{
    static const uint16_t frags[] = {0, 1, 0xF0, 0x1FFF};
    for (uint8_t flags = 0; flags < 8; flags++) {
        for (size_t f = 0; f < 4; f++) {
            struct ipv4_repr r = {
                .src = 0xFFFFFFFFu, .dst = (uint32_t)flags << 24 | frags[f],
                .protocol = (uint8_t)(flags * 37), .ttl = (uint8_t)(255 - flags),
                .tos = (uint8_t)(0xFC | flags), .flags = flags, .ident = (uint16_t)(0xFFFF - f),
                .frag_offset = frags[f], .header_len = 60, .payload_len = (uint16_t)(f * 100),
            };
            uint8_t buf[512];
            memset(buf, FILL, sizeof buf);
            REQUIRE(ipv4_emit(&r, buf, sizeof buf) == 20);
            CHECK(all_fill(buf + 20, sizeof buf - 20));
            struct ipv4_repr back;
            CHECK_EQ(ipv4_parse(&back, buf, 20 + r.payload_len), WIRE_OK);
            CHECK(ipv4_eq(&r, &back));
            CHECK_EQ(back.header_len, 20);
            CHECK_EQ(ipv4_is_fragment(&back), (flags & IPV4_FLAG_MF) || frags[f]);
        }
    }
    struct ipv4_repr bad = {.flags = 8};
    uint8_t buf[20];
    CHECK_EQ(ipv4_emit(&bad, buf, sizeof buf), WIRE_E_INVALID);
    bad.flags = 0;
    bad.frag_offset = 0x2000;
    CHECK_EQ(ipv4_emit(&bad, buf, sizeof buf), WIRE_E_INVALID);
    bad.frag_offset = 0;
    bad.payload_len = 0xFFFF - 19;
    CHECK_EQ(ipv4_emit(&bad, buf, sizeof buf), WIRE_E_INVALID);
    bad.payload_len = 0xFFFF - 20;
    CHECK_EQ(ipv4_emit(&bad, buf, sizeof buf), 20);
}

static void test_roundtrip_icmp(void)
{
    static const uint8_t data[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static const struct { uint8_t type, code; } kinds[] = {
        {ICMP_ECHO_REQUEST, 0}, {ICMP_ECHO_REPLY, 0}, {ICMP_DEST_UNREACH, ICMP_UNREACH_PORT},
        {ICMP_DEST_UNREACH, ICMP_UNREACH_FRAG_NEEDED}, {ICMP_TIME_EXCEEDED, 0}, {5, 1}, {18, 0},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        for (size_t dl = 0; dl <= 36; dl += 7) {
            struct icmp_repr r = {.type = kinds[k].type, .code = kinds[k].code};
            bool echo = r.type == ICMP_ECHO_REQUEST || r.type == ICMP_ECHO_REPLY;
            if (echo) {
                r.ident = (uint16_t)(0xBEEF + dl);
                r.seq_no = (uint16_t)(k + 1);
            }
            if (r.type == ICMP_DEST_UNREACH && r.code == ICMP_UNREACH_FRAG_NEEDED)
                r.next_hop_mtu = 1280;
            r.data = dl ? data : NULL;
            r.data_len = dl;
            uint8_t buf[64];
            memset(buf, FILL, sizeof buf);
            int n = icmp_emit(&r, buf, sizeof buf);
            CHECK_EQ(n, icmp_repr_len(&r));
            CHECK_EQ(n, (echo || r.type == ICMP_DEST_UNREACH ? 8 : 4) + dl);
            REQUIRE(n > 0);
            CHECK(all_fill(buf + n, sizeof buf - (size_t)n));
            uint8_t *copy = dup_exact(buf, (size_t)n);
            struct icmp_repr back;
            CHECK_EQ(icmp_parse(&back, copy, (size_t)n), WIRE_OK);
            CHECK(icmp_eq(&r, &back));
            free(copy);
        }
    }
    /* Fields a type does not carry are written as zero. */
    struct icmp_repr r = {.type = ICMP_DEST_UNREACH, .code = ICMP_UNREACH_PORT,
                          .ident = 7, .seq_no = 8, .next_hop_mtu = 1500};
    uint8_t buf[8];
    CHECK_EQ(icmp_emit(&r, buf, sizeof buf), 8);
    CHECK_EQ(wire_get32(buf + 4), 0);
    struct icmp_repr bad = {.type = ICMP_ECHO_REQUEST, .data_len = 4};
    CHECK_EQ(icmp_emit(&bad, buf, sizeof buf), WIRE_E_INVALID);
}

/* ---- malformed IPv4 (docs/HOSTILE.md A) ---------------------------------- */

static void test_ipv4_malformed(void)
{
    struct ipv4_repr r;
    uint8_t p[128];
    size_t len;

    /* H-01: version 0, 6, 15 (checksum kept right, so only the version is wrong). */
    static const uint8_t versions[] = {0, 1, 6, 15};
    for (size_t i = 0; i < sizeof versions; i++) {
        len = build_ip(p, NULL, 0, 20);
        p[0] = (uint8_t)(versions[i] << 4 | 5);
        fix_ip_csum(p);
        CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_VERSION);
    }
    /* H-02: IHL 0..4, never reading an options area. */
    for (uint8_t ihl = 0; ihl < 5; ihl++) {
        len = build_ip(p, NULL, 0, 20);
        p[0] = (uint8_t)(0x40 | ihl);
        CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_IHL);
    }
    /* H-03: IHL 15 on a 40-byte packet with no options. */
    len = build_ip(p, NULL, 0, 20);
    CHECK_EQ(len, 40);
    p[0] = 0x4F;
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_IHL_PAST_END);
    /* ... and IHL 6 on exactly 20 bytes. */
    len = build_ip(p, NULL, 0, 0);
    p[0] = 0x46;
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_IHL_PAST_END);
    /* H-04: total length < IHL*4: 0, 19, and 59 with IHL 15. */
    static const uint16_t shorts[] = {0, 19};
    for (size_t i = 0; i < 2; i++) {
        len = build_ip(p, NULL, 0, 20);
        wire_put16(p + 2, shorts[i]);
        fix_ip_csum(p);
        CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_TOTLEN_SHORT);
    }
    uint8_t nops[40];
    memset(nops, 1, sizeof nops);
    len = build_ip(p, nops, 40, 4);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_OK);
    CHECK_EQ(r.header_len, 60);
    CHECK_EQ(r.payload_len, 4);
    wire_put16(p + 2, 59);
    fix_ip_csum(p);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_TOTLEN_SHORT);
    wire_put16(p + 2, 0x3F); /* 63 >= 60: three payload bytes, fine */
    fix_ip_csum(p);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_OK);
    CHECK_EQ(r.payload_len, 3);
    /* H-05: total length > bytes received, 0xFFFF. */
    len = build_ip(p, NULL, 0, 20);
    wire_put16(p + 2, 41);
    fix_ip_csum(p);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_TOTLEN_PAST_END);
    wire_put16(p + 2, 0xFFFF);
    fix_ip_csum(p);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_TOTLEN_PAST_END);
    /* H-06: link padding is trimmed. */
    len = build_ip(p, NULL, 0, 20);
    memset(p + len, 0xEE, 6);
    CHECK_EQ(parse_ip_exact(&r, p, len + 6), WIRE_OK);
    CHECK_EQ(r.payload_len, 20);
    /* H-07: bad header checksum, 0x0000 and 0xFFFF. */
    len = build_ip(p, NULL, 0, 20);
    uint16_t good = wire_get16(p + 10);
    static const uint16_t bads[] = {0x0000, 0xFFFF, 0x1234};
    for (size_t i = 0; i < 3; i++) {
        if (bads[i] == good) continue;
        wire_put16(p + 10, bads[i]);
        CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_CHECKSUM);
    }
    /* A flipped bit anywhere in the header. */
    len = build_ip(p, NULL, 0, 20);
    p[8] ^= 0x10;
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_E_IP_CHECKSUM);

    /* H-08: IPv4 options. */
    static const struct { uint8_t o[16]; size_t n; int want; } opts[] = {
        {{0x00, 0xFF, 0xFF, 0xFF}, 4, WIRE_OK},                /* EOL, then garbage */
        {{0x01, 0x01, 0x01, 0x01}, 4, WIRE_OK},                /* NOPs */
        {{0x44, 0x00, 0x00, 0x00}, 4, WIRE_E_IP_OPTION},       /* length 0 */
        {{0x44, 0x01, 0x00, 0x00}, 4, WIRE_E_IP_OPTION},       /* length 1 */
        {{0x44, 0x08, 0x05, 0x00}, 4, WIRE_E_IP_OPTION},       /* past IHL */
        {{0x01, 0x01, 0x01, 0x44}, 4, WIRE_E_IP_OPTION},       /* no length byte */
        {{0x01, 0x83, 0xFF, 0x00}, 4, WIRE_E_IP_OPTION},       /* NOP + len 255 */
        {{0x94, 0x04, 0x00, 0x00}, 4, WIRE_OK},                /* router alert */
        /* LSRR with an out-of-range pointer: bounds fine, never honoured. */
        {{0x83, 0x07, 0xFF, 0x0a, 0x00, 0x00, 0x01, 0x00}, 8, WIRE_OK},
        /* The H-08 sequence: 03 03 55 | 55 03 04 | EOL ... */
        {{0x03, 0x03, 0x55, 0x55, 0x03, 0x04, 0x00, 0x03, 0x04, 0x00, 0x03, 0x04, 0x00,
          0x03, 0x04, 0x00}, 16, WIRE_OK},
        /* The same without the EOLs: 03 04 runs past the header. */
        {{0x03, 0x03, 0x55, 0x55, 0x03, 0x04, 0x01, 0x03, 0x04, 0x01, 0x03, 0x04, 0x01,
          0x01, 0x03, 0x04}, 16, WIRE_E_IP_OPTION},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        len = build_ip(p, opts[i].o, opts[i].n, 8);
        int err = parse_ip_exact(&r, p, len);
        if (err != opts[i].want) HARNESS_FAIL("ip option case %zu: got %d want %d", i, err, opts[i].want);
        if (err == WIRE_OK) {
            CHECK_EQ(r.header_len, 20 + opts[i].n);
            CHECK_EQ(r.payload_len, 8);
        }
    }
    /* H-12: TTL 0, every TOS, reserved flag: parsed as they are. */
    len = build_ip(p, NULL, 0, 0);
    p[8] = 0;
    p[1] = 0xFF;
    p[6] = 0xE0 | 0x1F;
    p[7] = 0xFF;
    fix_ip_csum(p);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_OK);
    CHECK_EQ(r.ttl, 0);
    CHECK_EQ(r.tos, 0xFF);
    CHECK_EQ(r.flags, 7);
    CHECK_EQ(r.frag_offset, 0x1FFF);
    CHECK(ipv4_is_fragment(&r));
    /* H-11: any protocol number parses; the IP layer decides. */
    len = build_ip(p, NULL, 0, 0);
    p[9] = 4;
    fix_ip_csum(p);
    CHECK_EQ(parse_ip_exact(&r, p, len), WIRE_OK);
    CHECK_EQ(r.protocol, 4);
    /* Fewer than 20 bytes. */
    for (size_t n = 0; n < 20; n++)
        CHECK_EQ(parse_ip_exact(&r, p, n), WIRE_E_TRUNCATED);
}

/* ---- malformed TCP (docs/HOSTILE.md D, E) -------------------------------- */

static void test_tcp_header_malformed(void)
{
    struct tcp_repr r;
    uint8_t s[128];
    size_t len;

    /* H-24: fewer than 20 bytes. */
    len = build_tcp(s, NULL, 0, NULL);
    for (size_t n = 0; n < 20; n++)
        CHECK_EQ(parse_tcp_exact(&r, s, n), WIRE_E_TRUNCATED);
    CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_OK);
    /* H-25: data offset 0..4 (checksum recomputed). */
    for (uint8_t off = 0; off < 5; off++) {
        len = build_tcp(s, NULL, 0, "payload!");
        s[12] = (uint8_t)(off << 4);
        fix_tcp_csum(s, len, ADDR_A, ADDR_B);
        CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_E_TCP_OFFSET);
    }
    /* H-26: data offset 15 on 20..40-byte segments. */
    for (size_t extra = 0; extra <= 20; extra += 4) {
        uint8_t zeros[20] = {0};
        len = build_tcp(s, zeros, extra, NULL);
        s[12] = 0xF0;
        fix_tcp_csum(s, len, ADDR_A, ADDR_B);
        CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_E_TCP_OFFSET_PAST_END);
        CHECK_EQ(tcp_parse_nocsum(&r, s, len), WIRE_E_TCP_OFFSET_PAST_END);
    }
    /* Offset 6 on a 20-byte segment. */
    len = build_tcp(s, NULL, 0, NULL);
    s[12] = 0x60;
    fix_tcp_csum(s, len, ADDR_A, ADDR_B);
    CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_E_TCP_OFFSET_PAST_END);
    /* H-27: bad checksum: 0x0000, 0xFFFF, and the checksum of a different
     * pseudo-header length; also wrong addresses. */
    len = build_tcp(s, NULL, 0, "data");
    uint16_t good = wire_get16(s + 16);
    static const uint16_t bads[] = {0x0000, 0xFFFF};
    for (size_t i = 0; i < 2; i++) {
        if (bads[i] == good) continue;
        wire_put16(s + 16, bads[i]);
        CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_E_TCP_CHECKSUM);
        CHECK_EQ(tcp_parse_nocsum(&r, s, len), WIRE_OK);
        CHECK_EQ(r.checksum, bads[i]);
    }
    wire_put16(s + 16, 0);
    uint32_t sum = wire_csum_pseudo(ADDR_A, ADDR_B, IPV4_PROTO_TCP, (uint16_t)(len + 1));
    wire_put16(s + 16, wire_csum_finish(wire_csum_add(sum, s, len)));
    CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_E_TCP_CHECKSUM);
    len = build_tcp(s, NULL, 0, "data");
    CHECK_EQ(tcp_parse(&r, s, len, ADDR_B, ADDR_A), WIRE_OK); /* symmetric sum */
    CHECK_EQ(tcp_parse(&r, s, len, ADDR_A, ADDR_A), WIRE_E_TCP_CHECKSUM);
    s[21] ^= 1; /* payload corruption */
    CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_E_TCP_CHECKSUM);
    /* Odd-length payload. */
    len = build_tcp(s, NULL, 0, "odd");
    CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_OK);
    CHECK_EQ(r.payload_len, 3);
    /* H-28..H-31: ports 0 and 0xFFFF, every flag byte, reserved bits, window
     * and urgent extremes: all parse as they are. */
    for (unsigned fl = 0; fl < 256; fl++) {
        len = build_tcp(s, NULL, 0, NULL);
        wire_put16(s + 0, 0);
        wire_put16(s + 2, 0xFFFF);
        s[12] |= 0x0F;                       /* reserved bits and NS */
        s[13] = (uint8_t)fl;
        wire_put16(s + 14, fl & 1 ? 0xFFFF : 0);
        wire_put16(s + 18, 0xFFFF);
        fix_tcp_csum(s, len, ADDR_A, ADDR_B);
        CHECK_EQ(parse_tcp_exact(&r, s, len), WIRE_OK);
        CHECK_EQ(r.flags, fl);
        CHECK_EQ(r.src_port, 0);
        CHECK_EQ(r.dst_port, 0xFFFF);
        CHECK_EQ(r.header_len, 20);
        CHECK_EQ(r.urgent, 0xFFFF);
    }
    /* A segment longer than any IPv4 datagram can carry. */
    size_t huge = 70000;
    uint8_t *h = calloc(1, huge);
    REQUIRE(h != NULL);
    h[12] = 0x50;
    CHECK_EQ(tcp_parse(&r, h, huge, ADDR_A, ADDR_B), WIRE_E_TCP_CHECKSUM);
    CHECK_EQ(tcp_parse_nocsum(&r, h, huge), WIRE_OK);
    CHECK_EQ(r.payload_len, huge - 20);
    free(h);
}

struct opt_case {
    const char *what;
    uint8_t o[40];
    size_t n;
    int want;
};

static void test_tcp_options_malformed(void)
{
    static const struct opt_case cases[] = {
        {"H-32 unknown kind len 0", {0x22, 0x00}, 2, WIRE_E_TCP_OPT_LEN},
        {"H-33 unknown kind len 1", {0x22, 0x01}, 2, WIRE_E_TCP_OPT_LEN},
        {"MSS kind len 0", {0x02, 0x00, 0x05, 0xb4}, 4, WIRE_E_TCP_OPT_LEN},
        {"H-34 TS at 36 of 40",
         {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 10, 0, 0}, 20,
         WIRE_E_TCP_OPT_PAST_END},
        {"H-35 kind as last byte",
         {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0x13}, 20,
         WIRE_E_TCP_OPT_TRUNCATED},
        {"MSS kind as last byte", {1, 1, 1, 2}, 4, WIRE_E_TCP_OPT_TRUNCATED},
        {"H-36 NOP + unknown len 255", {1, 0x42, 0xFF, 0}, 4, WIRE_E_TCP_OPT_PAST_END},
        {"H-40 SACK len 1", {5, 1, 0, 0}, 4, WIRE_E_TCP_OPT_LEN},
        {"SACK 5 blocks past end", {5, 42}, 2, WIRE_E_TCP_OPT_PAST_END},
        {"good then truncated",
         {2, 4, 0x05, 0xb4, 1, 1, 1, 8}, 8, WIRE_E_TCP_OPT_TRUNCATED},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tcp_repr r;
        int err = parse_opts(&r, cases[i].o, cases[i].n);
        if (err != cases[i].want)
            HARNESS_FAIL("%s: got %d (%s), want %d", cases[i].what, err, wire_strerror(err),
                         cases[i].want);
    }
}

/* H-37/38/40/41: a known option of the wrong size is skipped by its length
 * and ignored; the segment parses, without that option. */
static void test_tcp_options_wrong_size_ignored(void)
{
    static const struct {
        const char *what;
        uint8_t o[40];
        size_t n;
        int want;
    } cases[] = {
        {"H-37 MSS len 3", {2, 3, 0, 0}, 4, WIRE_OK},
        {"H-37 MSS len 5", {2, 5, 0x05, 0xb4, 0, 1, 1, 1}, 8, WIRE_OK},
        {"H-38 wscale len 2", {3, 2, 1, 1}, 4, WIRE_OK},
        {"H-38 wscale len 4", {3, 4, 7, 0}, 4, WIRE_OK},
        {"SACK-perm len 3", {4, 3, 0, 1}, 4, WIRE_OK},
        {"H-40 SACK len 2", {5, 2, 1, 1}, 4, WIRE_OK},
        {"H-40 SACK len 3", {5, 3, 0, 1}, 4, WIRE_OK},
        {"H-40 SACK len 9", {5, 9, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1}, 12, WIRE_OK},
        {"H-40 SACK len 11", {5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 0, 1}, 12, WIRE_OK},
        {"H-41 TS len 8", {8, 8, 0, 0, 0, 1, 0, 0}, 8, WIRE_OK},
        {"H-41 TS len 12", {8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0}, 12, WIRE_OK},
        {"bad second MSS", {2, 4, 0x05, 0xb4, 2, 3, 0, 0}, 8, WIRE_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct tcp_repr r;
        int err = parse_opts(&r, cases[i].o, cases[i].n);
        if (err != cases[i].want)
            HARNESS_FAIL("%s: got %d (%s), want %d", cases[i].what, err, wire_strerror(err), cases[i].want);
        if (err == WIRE_OK && i < 11) {
            CHECK(!r.opt.has_mss && !r.opt.has_wscale && !r.opt.sack_permitted && !r.opt.has_timestamp);
            CHECK_EQ(r.opt.sack_count, 0);
        }
    }
    /* the second, malformed MSS does not replace the first */
    struct tcp_repr r;
    static const uint8_t bad_second[] = {2, 4, 0x05, 0xb4, 2, 3, 0, 0};
    REQUIRE(parse_opts(&r, bad_second, sizeof bad_second) == WIRE_OK);
    CHECK_EQ(r.opt.mss, 1460);
}

static void test_tcp_options_valid(void)
{
    struct tcp_repr r;

    /* H-42: two MSS options, first wins. */
    static const uint8_t two_mss[] = {2, 4, 0x05, 0xb4, 2, 4, 0x00, 0x30};
    REQUIRE(parse_opts(&r, two_mss, sizeof two_mss) == WIRE_OK);
    CHECK(r.opt.has_mss);
    CHECK_EQ(r.opt.mss, 1460);
    /* Second TS, WS and SACK ignored too. */
    static const uint8_t twice[] = {3, 3, 7, 3, 3, 9, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
                                    8, 10, 0, 0, 0, 3, 0, 0, 0, 4, 5, 10, 0, 0, 0, 5,
                                    0, 0, 0, 6, 5, 2};
    /* the trailing "5 2" is a malformed SACK: ignored like the duplicate */
    CHECK_EQ(parse_opts(&r, twice, sizeof twice), WIRE_OK);
    REQUIRE(parse_opts(&r, twice, sizeof twice - 2) == WIRE_OK);
    CHECK(r.opt.has_wscale);
    CHECK_EQ(r.opt.wscale, 7);
    CHECK(r.opt.has_timestamp);
    CHECK_EQ(r.opt.ts_val, 1);
    CHECK_EQ(r.opt.ts_ecr, 2);
    CHECK_EQ(r.opt.sack_count, 1);
    CHECK_EQ(r.opt.sack[0].left, 5);
    CHECK_EQ(r.opt.sack[0].right, 6);
    /* H-42: 40 bytes of NOPs. */
    uint8_t nops[40];
    memset(nops, 1, sizeof nops);
    REQUIRE(parse_opts(&r, nops, 40) == WIRE_OK);
    CHECK_EQ(r.header_len, 60);
    CHECK(!r.opt.has_mss && !r.opt.has_wscale && !r.opt.sack_permitted &&
          !r.opt.has_timestamp && r.opt.sack_count == 0);
    /* H-42: EOL then garbage: stop at EOL. */
    static const uint8_t eol[] = {2, 4, 0x02, 0x18, 0, 0xFF, 0x00, 0x22, 0x01, 0x02, 0x04, 0x12};
    REQUIRE(parse_opts(&r, eol, sizeof eol) == WIRE_OK);
    CHECK(r.opt.has_mss);
    CHECK_EQ(r.opt.mss, 536);
    CHECK(!r.opt.has_timestamp);
    /* H-43: unknown kinds with valid lengths are skipped cleanly. */
    static const uint8_t unknown[] = {
        19, 18, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        29, 4, 0x01, 0x02,
        30, 4, 0x00, 0x81,
        254, 4, 0xF9, 0x89,
        34, 2,
        2, 4, 0x04, 0x00,
        1, 3, 3, 14,
    };
    REQUIRE(parse_opts(&r, unknown, sizeof unknown) == WIRE_OK);
    CHECK(r.opt.has_mss);
    CHECK_EQ(r.opt.mss, 1024);
    CHECK(r.opt.has_wscale);
    CHECK_EQ(r.opt.wscale, 14);
    CHECK(!r.opt.sack_permitted && !r.opt.has_timestamp && r.opt.sack_count == 0);
    CHECK_EQ(r.urgent, 0x0777);
    CHECK_EQ(r.window, 29200);
    CHECK_EQ(r.flags, TCP_SYN);
    static const uint8_t tfo[] = {34, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    REQUIRE(parse_opts(&r, tfo, sizeof tfo) == WIRE_OK);
    CHECK(!r.opt.has_mss);
    /* The H-08 sequence as TCP options: WS 0x55, unknown 0x55 len 3, EOL. */
    static const uint8_t h08[] = {0x03, 0x03, 0x55, 0x55, 0x03, 0x04, 0x00, 0x03,
                                  0x04, 0x00, 0x03, 0x04, 0x00, 0x03, 0x04, 0x00};
    REQUIRE(parse_opts(&r, h08, sizeof h08) == WIRE_OK);
    CHECK(r.opt.has_wscale);
    CHECK_EQ(r.opt.wscale, 0x55);
    CHECK(!r.opt.has_mss);
    /* H-37: MSS values as sent, 0 included (the TCP layer treats 0 as absent). */
    static const uint16_t msses[] = {0, 1, 8, 47, 0x1111, 0xFFFF};
    for (size_t i = 0; i < sizeof msses / sizeof msses[0]; i++) {
        uint8_t o[4] = {2, 4, (uint8_t)(msses[i] >> 8), (uint8_t)msses[i]};
        REQUIRE(parse_opts(&r, o, 4) == WIRE_OK);
        CHECK(r.opt.has_mss);
        CHECK_EQ(r.opt.mss, msses[i]);
    }
    /* H-38: window scale values as sent. */
    static const uint8_t scales[] = {0, 14, 15, 0x11, 0xAA, 0xFF};
    for (size_t i = 0; i < sizeof scales; i++) {
        uint8_t o[3] = {3, 3, scales[i]};
        REQUIRE(parse_opts(&r, o, 3) == WIRE_OK);
        CHECK_EQ(r.opt.wscale, scales[i]);
    }
    /* SACK 1..4 blocks (4 blocks fill 34 of the 40 bytes). */
    for (uint8_t n = 1; n <= 4; n++) {
        uint8_t o[40] = {1, 1, 5, (uint8_t)(2 + 8 * n)};
        for (uint8_t b = 0; b < n; b++) {
            wire_put32(o + 4 + 8 * b, 0xFFFFFFF0u + b);
            wire_put32(o + 8 + 8 * b, 0x10u + b);
        }
        REQUIRE(parse_opts(&r, o, 4 + 8 * (size_t)n) == WIRE_OK);
        CHECK_EQ(r.opt.sack_count, n);
        CHECK_EQ(r.opt.sack[n - 1].left, 0xFFFFFFF0u + n - 1);
        CHECK_EQ(r.opt.sack[n - 1].right, 0x10u + n - 1);
    }
    /* SACK-perm and SACK on a plain segment: reported; policy is TCP's. */
    static const uint8_t sp[] = {4, 2, 1, 1};
    REQUIRE(parse_opts(&r, sp, sizeof sp) == WIRE_OK);
    CHECK(r.opt.sack_permitted);
    /* Option exactly filling the area. */
    static const uint8_t full[] = {1, 1, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8};
    REQUIRE(parse_opts(&r, full, sizeof full) == WIRE_OK);
    CHECK_EQ(r.opt.ts_val, 0x01020304);
    CHECK_EQ(r.opt.ts_ecr, 0x05060708);
}

/* ---- malformed ICMP (docs/HOSTILE.md C) ---------------------------------- */

static void test_icmp_malformed(void)
{
    struct icmp_repr r;
    uint8_t m[64];

    /* Fewer than 4 bytes, whatever the type. */
    for (size_t n = 0; n < 4; n++) {
        memset(m, 0, sizeof m);
        m[0] = ICMP_TIME_EXCEEDED;
        uint8_t *c = dup_exact(m, n);
        CHECK_EQ(icmp_parse(&r, c, n), WIRE_E_ICMP_TRUNCATED);
        free(c);
    }
    /* H-18: echo request/reply and dest-unreach need 8 bytes, even with a
     * checksum that verifies. */
    static const uint8_t types8[] = {ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH};
    for (size_t t = 0; t < sizeof types8; t++) {
        for (size_t n = 4; n < 8; n++) {
            memset(m, 0, sizeof m);
            m[0] = types8[t];
            m[1] = types8[t] == ICMP_DEST_UNREACH ? ICMP_UNREACH_FRAG_NEEDED : 0;
            fix_icmp_csum(m, n);
            uint8_t *c = dup_exact(m, n);
            CHECK_EQ(icmp_parse(&r, c, n), WIRE_E_ICMP_TRUNCATED);
            free(c);
        }
    }
    /* Other types need only 4 bytes. */
    memset(m, 0, sizeof m);
    m[0] = ICMP_TIME_EXCEEDED;
    fix_icmp_csum(m, 4);
    CHECK_EQ(icmp_parse(&r, m, 4), WIRE_OK);
    CHECK_EQ(r.data_len, 0);
    /* H-22: redirect, address-mask reply: parsed, type and code only. */
    m[0] = 18;
    m[4] = 0xFF;
    fix_icmp_csum(m, 12);
    CHECK_EQ(icmp_parse(&r, m, 12), WIRE_OK);
    CHECK_EQ(r.type, 18);
    CHECK_EQ(r.data_len, 8);
    CHECK_EQ(r.ident, 0);
    /* Bad checksum. */
    memset(m, 0, sizeof m);
    m[0] = ICMP_ECHO_REQUEST;
    memcpy(m + 8, "abc", 3);
    fix_icmp_csum(m, 11); /* odd length */
    CHECK_EQ(icmp_parse(&r, m, 11), WIRE_OK);
    CHECK_EQ(r.data_len, 3);
    m[9] ^= 0x40;
    CHECK_EQ(icmp_parse(&r, m, 11), WIRE_E_ICMP_CHECKSUM);
    m[9] ^= 0x40;
    CHECK_EQ(icmp_parse(&r, m, 10), WIRE_E_ICMP_CHECKSUM); /* one byte short */
    /* H-20: frag-needed MTU values are reported as sent; clamping is IP's. */
    static const uint16_t mtus[] = {0, 1, 67, 65535};
    for (size_t i = 0; i < 4; i++) {
        memset(m, 0, sizeof m);
        m[0] = ICMP_DEST_UNREACH;
        m[1] = ICMP_UNREACH_FRAG_NEEDED;
        wire_put16(m + 6, mtus[i]);
        fix_icmp_csum(m, 36);
        CHECK_EQ(icmp_parse(&r, m, 36), WIRE_OK);
        CHECK_EQ(r.next_hop_mtu, mtus[i]);
        CHECK_EQ(r.data_len, 28);
    }
    /* MTU bytes of another code are not an MTU. */
    m[1] = ICMP_UNREACH_PORT;
    fix_icmp_csum(m, 36);
    CHECK_EQ(icmp_parse(&r, m, 36), WIRE_OK);
    CHECK_EQ(r.next_hop_mtu, 0);
    /* H-19: a quote whose inner IHL exceeds the quoted bytes fails cleanly
     * when the IP layer parses it. */
    static const uint8_t inner[] = {0x4F, 0, 0, 100, 0, 0, 0, 0, 64, 6, 0, 0,
                                    10, 77, 0, 2, 10, 77, 0, 1, 0, 80, 4, 210};
    struct ipv4_repr q;
    uint8_t *c = dup_exact(inner, sizeof inner);
    CHECK_EQ(ipv4_parse(&q, c, sizeof inner), WIRE_E_IP_IHL_PAST_END);
    free(c);
}

/* ---- every truncation of every valid packet ----------------------------- */

static void test_truncations(void)
{
    for (size_t i = 0; i < LINUX_VECTOR_COUNT; i++) {
        const struct linux_vector *v = &linux_vectors[i];
        struct ipv4_repr ip;
        REQUIRE(ipv4_parse(&ip, v->bytes, v->len) == WIRE_OK);
        for (size_t n = 0; n < v->len; n++) {
            uint8_t *c = dup_exact(v->bytes, n);
            struct ipv4_repr t;
            int err = ipv4_parse(&t, c, n);
            CHECK_EQ(err, n < 20 ? WIRE_E_TRUNCATED : WIRE_E_IP_TOTLEN_PAST_END);
            free(c);
        }
        const uint8_t *pl = v->bytes + ip.header_len;
        for (size_t n = 0; n < ip.payload_len; n++) {
            uint8_t *c = dup_exact(pl, n);
            if (ip.protocol == IPV4_PROTO_TCP) {
                struct tcp_repr t;
                size_t hlen = (size_t)(pl[12] >> 4) * 4;
                int want = n < 20 ? WIRE_E_TRUNCATED
                           : n < hlen ? WIRE_E_TCP_OFFSET_PAST_END : WIRE_E_TCP_CHECKSUM;
                int err = tcp_parse(&t, c, n, ip.src, ip.dst);
                if (err != want)
                    HARNESS_FAIL("%s cut to %zu: got %d want %d", v->name, n, err, want);
                err = tcp_parse_nocsum(&t, c, n);
                CHECK_EQ(err, n < 20 ? WIRE_E_TRUNCATED
                              : n < hlen ? WIRE_E_TCP_OFFSET_PAST_END : WIRE_OK);
                if (err == WIRE_OK) CHECK_EQ(t.payload_len, n - hlen);
            } else if (ip.protocol == IPV4_PROTO_ICMP) {
                struct icmp_repr t;
                int err = icmp_parse(&t, c, n);
                if (n < 8) CHECK_EQ(err, WIRE_E_ICMP_TRUNCATED);
                else CHECK_EQ(err, WIRE_E_ICMP_CHECKSUM);
            }
            free(c);
        }
    }

    /* Every truncation of segments with every option shape: parse must stay
     * in bounds (the results are whatever they are; ASan judges). */
    static const struct { uint8_t o[40]; size_t n; } shapes[] = {
        {{2, 4, 5, 0xb4, 4, 2, 8, 10, 1, 2, 3, 4, 5, 6, 7, 8, 1, 3, 3, 7}, 20},
        {{1, 1, 5, 34, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5,
          0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 8}, 36},
        {{1, 0x42, 0xFF, 0}, 4},
        {{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 8, 10, 0, 0}, 20},
        {{1, 1, 1, 0x13}, 4},
    };
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
        uint8_t seg[80];
        size_t len = build_tcp(seg, shapes[k].o, shapes[k].n, "xy");
        for (size_t n = 0; n <= len; n++) {
            struct tcp_repr t;
            uint8_t *c = dup_exact(seg, n);
            (void)tcp_parse(&t, c, n, ADDR_A, ADDR_B);
            (void)tcp_parse_nocsum(&t, c, n);
            (void)icmp_parse(&(struct icmp_repr){0}, c, n);
            (void)ipv4_parse(&(struct ipv4_repr){0}, c, n);
            free(c);
        }
    }
}

/* ---- emit never writes past cap ----------------------------------------- */

static void test_emit_nospace(void)
{
    for (size_t i = 0; i < LINUX_VECTOR_COUNT; i++) {
        const struct linux_vector *v = &linux_vectors[i];
        struct ipv4_repr ip;
        REQUIRE(ipv4_parse(&ip, v->bytes, v->len) == WIRE_OK);
        const uint8_t *pl = v->bytes + ip.header_len;
        struct tcp_repr t;
        struct icmp_repr m;
        size_t need;
        if (ip.protocol == IPV4_PROTO_TCP) {
            REQUIRE(tcp_parse(&t, pl, ip.payload_len, ip.src, ip.dst) == WIRE_OK);
            need = tcp_repr_len(&t);
        } else if (ip.protocol == IPV4_PROTO_ICMP) {
            REQUIRE(icmp_parse(&m, pl, ip.payload_len) == WIRE_OK);
            need = icmp_repr_len(&m);
        } else {
            continue;
        }
        for (size_t cap = 0; cap <= need; cap++) {
            /* An exactly-sized heap buffer (ASan) ... */
            uint8_t *b = malloc(cap ? cap : 1);
            REQUIRE(b != NULL);
            memset(b, FILL, cap ? cap : 1);
            int n = ip.protocol == IPV4_PROTO_TCP ? tcp_emit(&t, b, cap, ip.src, ip.dst)
                                                  : icmp_emit(&m, b, cap);
            if (cap < need) {
                CHECK_EQ(n, WIRE_E_NOSPACE);
                CHECK(all_fill(b, cap)); /* wrote nothing */
            } else {
                CHECK_EQ(n, need);
                CHECK_MEM(b, pl, need);
            }
            free(b);
            /* ... and the IPv4 header too. */
            uint8_t h[24];
            memset(h, FILL, sizeof h);
            n = ipv4_emit(&ip, h, cap < 20 ? cap : 20);
            CHECK_EQ(n, cap < 20 ? WIRE_E_NOSPACE : 20);
            CHECK(all_fill(h + (cap < 20 ? 0 : 20), cap < 20 ? sizeof h : 4));
        }
    }
}

/* ---- names ------------------------------------------------------------- */

static void test_strings(void)
{
    for (int a = 0; a >= WIRE_E_INVALID; a--) {
        const char *sa = wire_strerror(a);
        CHECK(sa != NULL && sa[0] != '\0');
        CHECK(strcmp(sa, wire_strerror(-100)) != 0);
        for (int b = a - 1; b >= WIRE_E_INVALID; b--)
            if (strcmp(sa, wire_strerror(b)) == 0) HARNESS_FAIL("codes %d and %d share a string", a, b);
    }
    CHECK_STR(wire_strerror(1), wire_strerror(-100));
    CHECK_STR(tcp_flags_str(0), "none");
    CHECK_STR(tcp_flags_str(TCP_ACK), "ACK");
    CHECK_STR(tcp_flags_str(TCP_RST), "RST");
    CHECK_STR(tcp_flags_str(TCP_SYN | TCP_ACK), "SYN|ACK");
    CHECK_STR(tcp_flags_str(TCP_FIN | TCP_PSH | TCP_ACK), "FIN|PSH|ACK");
    CHECK_STR(tcp_flags_str(0xFF), "SYN|FIN|RST|PSH|ACK|URG|ECE|CWR");
    for (unsigned f = 0; f < 256; f++) CHECK(tcp_flags_str((uint8_t)f) != NULL);
}

/* Software segmentation (wire_tcp_segment): a super-segment of 3 full
 * segments and a 100-byte tail, CWR|PSH|FIN|ACK and a timestamp, cut at 1000
 * bytes: each piece parses with a valid IP and TCP checksum, the sequence
 * numbers and IP IDs step, CWR only on the first, PSH and FIN only on the
 * last, options copied, and the payloads put together are the original. */
struct seg_log {
    int n;
    uint8_t pay[3100];
    size_t got;
    uint32_t seq[8];
    uint8_t flags[8];
    uint16_t ident[8];
    bool ok;
};

static void seg_collect(void *ctx, const uint8_t *pkt, size_t len)
{
    struct seg_log *l = ctx;
    struct ipv4_repr ip;
    struct tcp_repr t;
    if (ipv4_parse(&ip, pkt, len) != 0 || tcp_parse(&t, pkt + 20, len - 20, ip.src, ip.dst) != 0 || l->n >= 8 ||
        !t.opt.has_timestamp || t.opt.ts_val != 77 || t.payload_len > 1000 || l->got + t.payload_len > sizeof l->pay) {
        l->ok = false;
        return;
    }
    memcpy(l->pay + l->got, t.payload, t.payload_len);
    l->got += t.payload_len;
    l->seq[l->n] = t.seq;
    l->flags[l->n] = t.flags;
    l->ident[l->n] = ip.ident;
    l->n++;
}

static void test_tcp_segment(void)
{
    static uint8_t pkt[20 + 32 + 3100], payload[3100], buf[1100];
    for (size_t i = 0; i < sizeof payload; i++) payload[i] = (uint8_t)(i * 7 + 1);
    struct tcp_repr t = {.src_port = 5001, .dst_port = 80, .seq = 0xFFFFFF00u, .ack = 9,
                         .flags = TCP_ACK | TCP_PSH | TCP_FIN | TCP_CWR, .window = 500,
                         .payload = payload, .payload_len = sizeof payload};
    t.opt.has_timestamp = true;
    t.opt.ts_val = 77;
    struct ipv4_repr ip = {.src = ADDR_A, .dst = ADDR_B, .protocol = IPV4_PROTO_TCP, .ttl = 64, .ident = 0xFFFE,
                           .flags = IPV4_FLAG_DF, .header_len = 20, .payload_len = 32 + sizeof payload};
    REQUIRE(ipv4_emit(&ip, pkt, sizeof pkt) == 20);
    REQUIRE(tcp_emit(&t, pkt + 20, sizeof pkt - 20, ADDR_A, ADDR_B) == (int)(32 + sizeof payload));
    struct seg_log l = {.ok = true};
    CHECK_EQ(wire_tcp_segment(pkt, sizeof pkt, 1000, true, buf, sizeof buf, seg_collect, &l), 4);
    CHECK(l.ok);
    CHECK_EQ(l.n, 4);
    CHECK_EQ(l.got, sizeof payload);
    CHECK(memcmp(l.pay, payload, sizeof payload) == 0);
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(l.seq[i], 0xFFFFFF00u + 1000u * (uint32_t)i); /* wraps past 2^32 */
        CHECK_EQ(l.ident[i], (uint16_t)(0xFFFE + i));
        uint8_t want = TCP_ACK | (i == 0 ? TCP_CWR : 0) | (i == 3 ? TCP_PSH | TCP_FIN : 0);
        CHECK_EQ(l.flags[i], want);
    }
    /* Too small a buffer, a zero segment size or a non-TCP packet: nothing. */
    struct seg_log none = {.ok = true};
    CHECK_EQ(wire_tcp_segment(pkt, sizeof pkt, 1000, true, buf, 500, seg_collect, &none), -1);
    CHECK_EQ(wire_tcp_segment(pkt, sizeof pkt, 0, true, buf, sizeof buf, seg_collect, &none), -1);
    CHECK_EQ(wire_tcp_segment(pkt, 30, 1000, true, buf, sizeof buf, seg_collect, &none), -1);
    CHECK_EQ(none.n, 0);
}

TEST_MAIN(TEST(test_tcp_segment), TEST(test_checksum), TEST(test_linux_ipv4), TEST(test_linux_tcp_fields),
          TEST(test_linux_icmp_fields), TEST(test_linux_reemit), TEST(test_linux_syn_layout),
          TEST(test_roundtrip_tcp), TEST(test_tcp_emit_layouts), TEST(test_roundtrip_ipv4),
          TEST(test_roundtrip_icmp), TEST(test_ipv4_malformed), TEST(test_tcp_header_malformed),
          TEST(test_tcp_options_malformed), TEST(test_tcp_options_wrong_size_ignored), TEST(test_tcp_options_valid),
          TEST(test_icmp_malformed), TEST(test_truncations), TEST(test_emit_nospace),
          TEST(test_strings))
