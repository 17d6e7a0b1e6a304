/*
 * fuzz_wire.c — libFuzzer target for the wire layer (src/wire/).
 *
 * Owns: one entry point, LLVMFuzzerTestOneInput. The input is one raw IPv4
 * datagram. Seed corpus fuzz/corpus/wire/: linux-* are the packets captured
 * from the kernel by tests/vectors/make_linux_capture.sh; synthetic-* are
 * hand-built datagrams with valid checksums for shapes no capture holds
 * (SACK with 2..4 blocks, option sets that only fit in emit's packed layout,
 * unknown kinds then EOL, the H-08 IPv4 options, ICMP frag-needed and time
 * exceeded). It is fed to ipv4_parse, then tcp_parse or icmp_parse on the
 * payload; whenever a parse succeeds the repr is emitted, parsed again, and
 * the two reprs must be equal (abort otherwise). The same bytes are tried a
 * second time with every checksum repaired, so that the fuzzer reaches the
 * option parsers without having to solve checksums, and once more straight
 * into tcp_parse_nocsum and icmp_parse.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OUT_CAP (65536 + 64)
static uint8_t out[OUT_CAP];
static uint8_t fixed[OUT_CAP];

#define ENSURE(cond)                                                             \
    do {                                                                         \
        if (!(cond)) {                                                           \
            fprintf(stderr, "fuzz_wire: %s failed at line %d\n", #cond, __LINE__); \
            abort();                                                             \
        }                                                                        \
    } while (0)

static bool opts_eq(const struct tcp_options *a, const struct tcp_options *b)
{
    if (a->has_mss != b->has_mss || a->has_wscale != b->has_wscale ||
        a->sack_permitted != b->sack_permitted || a->has_timestamp != b->has_timestamp ||
        a->sack_count != b->sack_count || a->mss != b->mss || a->wscale != b->wscale ||
        a->ts_val != b->ts_val || a->ts_ecr != b->ts_ecr)
        return false;
    for (size_t i = 0; i < a->sack_count; i++)
        if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
            return false;
    return true;
}

static bool tcp_eq(const struct tcp_repr *a, const struct tcp_repr *b)
{
    return a->src_port == b->src_port && a->dst_port == b->dst_port && a->seq == b->seq &&
           a->ack == b->ack && a->flags == b->flags && a->window == b->window &&
           a->urgent == b->urgent && opts_eq(&a->opt, &b->opt) &&
           a->payload_len == b->payload_len &&
           (a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static void roundtrip_tcp(const struct tcp_repr *r, uint32_t src, uint32_t dst)
{
    ENSURE(r->opt.sack_count <= TCP_MAX_SACK_BLOCKS);
    ENSURE(r->header_len >= TCP_HDR_MIN && r->header_len <= TCP_HDR_MAX);
    size_t need = tcp_repr_len(r);
    ENSURE(need <= OUT_CAP);
    ENSURE(tcp_header_len(&r->opt) <= TCP_HDR_MAX);
    /* Every parsed repr can be emitted, and emit honours cap exactly. */
    ENSURE(tcp_emit(r, out, need - 1, src, dst) == WIRE_E_NOSPACE);
    int n = tcp_emit(r, out, OUT_CAP, src, dst);
    ENSURE(n > 0 && (size_t)n == need);
    struct tcp_repr back;
    ENSURE(tcp_parse(&back, out, (size_t)n, src, dst) == WIRE_OK);
    ENSURE(tcp_eq(r, &back));
    ENSURE(back.header_len == tcp_header_len(&r->opt));
}

static void roundtrip_icmp(const struct icmp_repr *r)
{
    size_t need = icmp_repr_len(r);
    ENSURE(need <= OUT_CAP);
    ENSURE(icmp_emit(r, out, need - 1) == WIRE_E_NOSPACE);
    int n = icmp_emit(r, out, OUT_CAP);
    ENSURE(n > 0 && (size_t)n == need);
    struct icmp_repr back;
    ENSURE(icmp_parse(&back, out, (size_t)n) == WIRE_OK);
    ENSURE(back.type == r->type && back.code == r->code && back.ident == r->ident &&
           back.seq_no == r->seq_no && back.next_hop_mtu == r->next_hop_mtu &&
           back.data_len == r->data_len &&
           (r->data_len == 0 || memcmp(back.data, r->data, r->data_len) == 0));
}

static void roundtrip_ipv4(const struct ipv4_repr *r, const uint8_t *payload)
{
    ENSURE(r->header_len >= IPV4_HDR_MIN && r->header_len <= IPV4_HDR_MAX);
    ENSURE(ipv4_repr_len(r) == IPV4_HDR_MIN);
    ENSURE(ipv4_emit(r, out, IPV4_HDR_MIN - 1) == WIRE_E_NOSPACE);
    int n = ipv4_emit(r, out, OUT_CAP);
    ENSURE(n == IPV4_HDR_MIN);
    memcpy(out + n, payload, r->payload_len);
    struct ipv4_repr back;
    ENSURE(ipv4_parse(&back, out, (size_t)n + r->payload_len) == WIRE_OK);
    ENSURE(back.src == r->src && back.dst == r->dst && back.protocol == r->protocol &&
           back.ttl == r->ttl && back.tos == r->tos && back.flags == r->flags &&
           back.ident == r->ident && back.frag_offset == r->frag_offset &&
           back.payload_len == r->payload_len && back.header_len == IPV4_HDR_MIN);
}

static void datagram(const uint8_t *data, size_t size)
{
    struct ipv4_repr ip;
    if (ipv4_parse(&ip, data, size) != WIRE_OK)
        return;
    ENSURE((size_t)ip.header_len + ip.payload_len <= size);
    const uint8_t *pl = data + ip.header_len;
    /* Copy the transport bytes to the heap, exactly sized, so that ASan sees
     * a read past the IPv4 total length (padding is not TCP's). */
    uint8_t *copy = malloc(ip.payload_len ? ip.payload_len : 1);
    ENSURE(copy != NULL);
    memcpy(copy, pl, ip.payload_len);
    if (ip.protocol == IPV4_PROTO_TCP) {
        struct tcp_repr t;
        if (tcp_parse(&t, copy, ip.payload_len, ip.src, ip.dst) == WIRE_OK)
            roundtrip_tcp(&t, ip.src, ip.dst);
    } else if (ip.protocol == IPV4_PROTO_ICMP) {
        struct icmp_repr m;
        if (icmp_parse(&m, copy, ip.payload_len) == WIRE_OK)
            roundtrip_icmp(&m);
    }
    roundtrip_ipv4(&ip, copy);
    free(copy);
}

static void repair_checksums(uint8_t *p, size_t size)
{
    if (size < IPV4_HDR_MIN || (p[0] >> 4) != 4)
        return;
    size_t hlen = (size_t)(p[0] & 15) * 4;
    if (hlen < IPV4_HDR_MIN || hlen > size)
        return;
    size_t totlen = wire_get16(p + 2);
    if (totlen >= hlen && totlen <= size) {
        uint8_t *t = p + hlen;
        size_t tl = totlen - hlen;
        if (p[9] == IPV4_PROTO_TCP && tl >= TCP_HDR_MIN) {
            wire_put16(t + 16, 0);
            uint32_t s = wire_csum_pseudo(wire_get32(p + 12), wire_get32(p + 16),
                                          IPV4_PROTO_TCP, (uint16_t)tl);
            wire_put16(t + 16, wire_csum_finish(wire_csum_add(s, t, tl)));
        } else if (p[9] == IPV4_PROTO_ICMP && tl >= 4) {
            wire_put16(t + 2, 0);
            wire_put16(t + 2, wire_csum_finish(wire_csum_add(0, t, tl)));
        }
    }
    wire_put16(p + 10, 0);
    wire_put16(p + 10, wire_csum_finish(wire_csum_add(0, p, hlen)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    datagram(data, size);

    if (size <= OUT_CAP) {
        memcpy(fixed, data, size);
        repair_checksums(fixed, size);
        uint8_t *exact = malloc(size ? size : 1);
        ENSURE(exact != NULL);
        memcpy(exact, fixed, size);
        datagram(exact, size);
        free(exact);
    }

    /* The whole input as a TCP segment (checksum ignored) and as ICMP. */
    struct tcp_repr t;
    if (tcp_parse_nocsum(&t, data, size) == WIRE_OK && size <= 0xFFFF - TCP_HDR_MAX)
        roundtrip_tcp(&t, 0x0a000001, 0xc0a80101);
    struct icmp_repr m;
    if (icmp_parse(&m, data, size) == WIRE_OK && size <= 0xFFFF - IPV4_HDR_MIN)
        roundtrip_icmp(&m);
    return 0;
}
