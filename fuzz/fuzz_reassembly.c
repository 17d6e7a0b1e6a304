/*
 * fuzz_reassembly.c — libFuzzer target for IPv4 reassembly (src/ip/reasm.c).
 *
 * Owns: one entry point, LLVMFuzzerTestOneInput. The input is a script for
 * one reassembler on a virtual clock. Byte 0 picks the bounds (small ones,
 * so that eviction and the per-source bound are reached in a few inputs);
 * then records, each starting with an opcode byte:
 *   op % 4 == 0   clock: 2 bytes, the clock advances that many x 10 ms; the
 *                 queues whose time is over are ended (reasm_expire)
 *   otherwise     a fragment: source (1 byte, 4 addresses), protocol (op bit
 *                 2: ICMP, else TCP), ident (1 byte), flags (1 byte: MF, DF,
 *                 the reserved bit), offset (2 bytes, 13 bits), payload
 *                 length (2 bytes, at most 1600), header options (op bit 3:
 *                 8 bytes of NOPs)
 * Every payload byte is a function of its place in the datagram, so that a
 * completed datagram can be checked byte by byte. After each record the
 * invariants are checked (abort otherwise): memory charged <= the stack-wide
 * bound, each source's <= its bound, the FIFO and the hash hold the same
 * number of queues (the hash checked at the end), each queue's runs sorted, disjoint, inside its length
 * and summing to what it holds; a completed datagram parses as IPv4, is at
 * most 65535 bytes, is no fragment, and holds exactly the expected bytes; an
 * expired queue's quote is at most 548 + 60 bytes. Seed corpus
 * fuzz/corpus/reassembly/ (in order, out of order, overlap, duplicate,
 * timeout, flood).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ip/reasm.h"
#include "synack/wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENSURE(cond)                                                                  \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz_reassembly: %s failed at line %d\n", #cond, __LINE__); \
            abort();                                                                  \
        }                                                                             \
    } while (0)

#define DST 0xc0a80001u
static const uint32_t sources[4] = {0xc0000201u, 0xc0000202u, 0xcb007101u, 0x0a000001u};

static uint8_t byte_at(uint16_t ident, uint32_t off) { return (uint8_t)(off * 7u + (off >> 8) + ident); }

static uint8_t pkt[IPV4_HDR_MAX + 4000];

static void check_invariants(const struct reasm *r, const struct synack_tunables *t)
{
    ENSURE(r->mem <= t->ipfrag_high_thresh);
    unsigned n = 0;
    size_t held = 0;
    for (const struct reasm_queue *q = r->oldest; q; q = q->newer) {
        n++;
        ENSURE(n <= r->nqueues);
        ENSURE(q->src->mem <= t->ipfrag_src_thresh);
        ENSURE(q->nruns <= REASM_MAX_RUNS);
        uint32_t sum = 0, prev_end = 0;
        for (unsigned i = 0; i < q->nruns; i++) {
            ENSURE(q->runs[i].start < q->runs[i].end);
            ENSURE(i == 0 || q->runs[i].start >= prev_end);
            ENSURE(q->runs[i].end <= q->len);
            prev_end = q->runs[i].end;
            sum += (uint32_t)(q->runs[i].end - q->runs[i].start);
        }
        ENSURE(sum == q->got);
        ENSURE(q->len <= REASM_MAX_PAYLOAD);
        held += q->mem;
        if (q->newer) ENSURE(q->newer->born >= q->born);
    }
    ENSURE(n == r->nqueues);
    ENSURE(held + (size_t)r->nsrcs * sizeof(struct reasm_src) == r->mem);
}

static void check_hash(const struct reasm *r)
{
    unsigned hashed = 0;
    for (uint32_t b = 0; b < r->nqbuckets; b++)
        for (const struct reasm_queue *q = r->qbuckets[b]; q; q = q->hash_next) hashed++;
    ENSURE(hashed == r->nqueues);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    struct synack_tunables t;
    memset(&t, 0, sizeof t);
    static const uint32_t highs[8] = {0, 4096, 16384, 65536, 131072, 262144, 524288, 1u << 20};
    uint8_t cfg = data[0];
    t.ipfrag_high_thresh = highs[cfg & 7];
    t.ipfrag_low_thresh = t.ipfrag_high_thresh / 4u * 3u;
    t.ipfrag_src_thresh = (cfg & 8) ? t.ipfrag_high_thresh : t.ipfrag_high_thresh / 2u;
    t.ipfrag_time = 1u + (cfg >> 4);
    struct synack_counters ctr;
    memset(&ctr, 0, sizeof ctr);
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct reasm r;
    reasm_init(&r, &t, &ctr, key);
    uint64_t now = 1000000;
    size_t i = 1;
    while (i < size) {
        uint8_t op = data[i++];
        if (op % 4 == 0) {
            if (i + 2 > size) break;
            now += (uint64_t)wire_get16(data + i) * 10000u;
            i += 2;
            struct reasm_expired e;
            while (reasm_expire(&r, now, &e)) {
                ENSURE(e.quote_len <= IPV4_HDR_MAX + REASM_QUOTE_MAX);
                ENSURE(e.quote_len == 0 || e.quote_len >= IPV4_HDR_MIN);
            }
            ENSURE(reasm_next_deadline(&r) > now);
            check_invariants(&r, &t);
            continue;
        }
        if (i + 7 > size) break;
        uint32_t src = sources[data[i] & 3];
        uint16_t ident = data[i + 1];
        uint8_t flags = data[i + 2] & 7;
        uint16_t off8 = wire_get16(data + i + 3) & 0x1fff;
        size_t len = wire_get16(data + i + 5) % 1601u;
        i += 7;
        size_t hl = (op & 8) ? IPV4_HDR_MIN + 8 : IPV4_HDR_MIN;
        struct ipv4_repr ip = {.src = src, .dst = DST, .protocol = (op & 4) ? IPV4_PROTO_ICMP : IPV4_PROTO_TCP,
                               .ttl = 64, .flags = flags, .frag_offset = off8, .ident = ident,
                               .header_len = IPV4_HDR_MIN, .payload_len = (uint16_t)(len + hl - IPV4_HDR_MIN)};
        ENSURE(ipv4_emit(&ip, pkt, sizeof pkt) == IPV4_HDR_MIN);
        if (hl > IPV4_HDR_MIN) { /* options: NOPs, then the header sum again */
            pkt[0] = (uint8_t)(0x40 | (hl / 4));
            memset(pkt + IPV4_HDR_MIN, 1, hl - IPV4_HDR_MIN);
            wire_put16(pkt + 10, 0);
            wire_put16(pkt + 10, wire_csum_finish(wire_csum_add(0, pkt, hl)));
        }
        for (size_t k = 0; k < len; k++) pkt[hl + k] = byte_at(ident, (uint32_t)off8 * 8u + (uint32_t)k);
        struct ipv4_repr parsed;
        if (ipv4_parse(&parsed, pkt, hl + len) != 0 || !ipv4_is_fragment(&parsed)) continue;
        const uint8_t *out = NULL;
        size_t out_len = 0;
        enum reasm_result res = reasm_input(&r, &parsed, pkt, now, &out, &out_len);
        if (res == REASM_COMPLETE) {
            struct ipv4_repr whole;
            ENSURE(out_len <= 65535u);
            ENSURE(ipv4_parse(&whole, out, out_len) == 0);
            ENSURE(!ipv4_is_fragment(&whole));
            ENSURE(whole.src == src && whole.dst == DST && whole.ident == ident);
            ENSURE((size_t)whole.header_len + whole.payload_len == out_len);
            for (size_t k = 0; k < whole.payload_len; k++)
                ENSURE(out[whole.header_len + k] == byte_at(ident, (uint32_t)k));
        }
        check_invariants(&r, &t);
    }
    check_hash(&r);
    ENSURE(ctr.reasm_reqds >= ctr.reasm_oks);
    reasm_fini(&r);
    return 0;
}
