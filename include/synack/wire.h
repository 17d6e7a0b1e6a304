/*
 * synack/wire.h — byte-level codecs for IPv4, TCP and ICMP (the "wire" layer).
 *
 * Owns: turning bytes into plain value structs ("reprs") and back, and the
 * Internet checksum. Must not touch: connections, sockets, time, allocation.
 * Nothing here allocates, keeps state, or reads outside the buffer it is given.
 *
 * Guarantees, for every parser below:
 *   - parse(out, bytes, len) reads only bytes[0 .. len-1]; on error it
 *     returns a negative WIRE_E_* code (each malformation its own code) and
 *     leaves *out unspecified; on success it returns 0 and *out is valid.
 *   - *_repr_len(repr) is the exact number of bytes *_emit(repr, ...) writes.
 *   - emit(repr, buf, cap) writes exactly repr_len bytes (returns that count)
 *     or returns WIRE_E_NOSPACE when cap is too small, writing nothing.
 *   - parse(emit(r)) == r for every repr that emit accepts (round trip).
 *
 * Map: checksum (wire_csum_*), IPv4 (ipv4_*), TCP (tcp_*), ICMP (icmp_*).
 * All multi-byte header fields are big-endian on the wire and host order in
 * reprs; IPv4 addresses are uint32_t in host order (10.0.0.1 == 0x0a000001).
 */
#ifndef SYNACK_WIRE_H
#define SYNACK_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes: distinct per malformation so tests and counters can tell them
 * apart. Keep wire_strerror() in wire.c in step with this list. */
enum wire_error {
    WIRE_OK = 0,
    WIRE_E_TRUNCATED = -1,       /* fewer bytes than the fixed header */
    WIRE_E_IP_VERSION = -2,      /* IPv4 version field != 4 */
    WIRE_E_IP_IHL = -3,          /* IHL < 5 */
    WIRE_E_IP_IHL_PAST_END = -4, /* IHL*4 > total length or > bytes given */
    WIRE_E_IP_TOTLEN_SHORT = -5, /* total length < IHL*4 */
    WIRE_E_IP_TOTLEN_PAST_END = -6, /* total length > bytes given */
    WIRE_E_IP_CHECKSUM = -7,     /* header checksum does not verify */
    WIRE_E_IP_OPTION = -8,       /* malformed IPv4 option (length 0/1/past IHL) */
    WIRE_E_TCP_OFFSET = -9,      /* data offset < 5 */
    WIRE_E_TCP_OFFSET_PAST_END = -10, /* data offset*4 > segment length */
    WIRE_E_TCP_CHECKSUM = -11,   /* pseudo-header checksum does not verify */
    WIRE_E_TCP_OPT_LEN = -12,    /* option length 0 or 1 */
    WIRE_E_TCP_OPT_PAST_END = -13, /* option runs past the header */
    WIRE_E_TCP_OPT_TRUNCATED = -14, /* kind byte with no room for its length */
    WIRE_E_TCP_OPT_BAD_SIZE = -15, /* reserved: a known option of the wrong size is ignored */
    WIRE_E_ICMP_CHECKSUM = -16,
    WIRE_E_ICMP_TRUNCATED = -17, /* ICMP shorter than its type requires */
    WIRE_E_NOSPACE = -18,        /* emit: output buffer too small */
    WIRE_E_INVALID = -19,        /* emit: repr cannot be encoded */
};

const char *wire_strerror(int err);

/* ---- Internet checksum (RFC 1071) ---------------------------------------- */

/* One's-complement sum of data, added to an initial partial sum; returns a
 * partial (unfolded) sum that can be fed back in. */
uint32_t wire_csum_add(uint32_t sum, const void *data, size_t len);
/* The same, and copies the len bytes from src to dst (not overlapping) in
 * the same pass: the checksum of data on its way into a buffer. */
uint32_t wire_csum_copy(uint32_t sum, void *dst, const void *src, size_t len);
/* The plain C versions, the reference the vector ones are tested against. */
uint32_t wire_csum_add_scalar(uint32_t sum, const void *data, size_t len);
uint32_t wire_csum_copy_scalar(uint32_t sum, void *dst, const void *src, size_t len);
/* Which version wire_csum_add/copy use: "scalar", "sse2" or "avx2" (the
 * fastest the CPU offers; SYNACK_CSUM=NAME in the environment forces one).
 * wire_csum_set_impl switches (tests, benchmarks): 0, or -1 when unknown or
 * not offered by this CPU. Not to be switched while other threads sum. */
const char *wire_csum_impl_name(void);
int wire_csum_set_impl(const char *name);
/* Fold a partial sum to 16 bits and complement it. */
uint16_t wire_csum_finish(uint32_t sum);
/* Partial sum of the TCP/UDP pseudo-header. */
uint32_t wire_csum_pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint16_t len);

/* ---- IPv4 (RFC 791) ------------------------------------------------------ */

#define IPV4_HDR_MIN 20
#define IPV4_HDR_MAX 60
#define IPV4_PROTO_ICMP 1
#define IPV4_PROTO_TCP 6
#define IPV4_FLAG_DF 0x2
#define IPV4_FLAG_MF 0x1

/* The ECN field: the low two bits of the TOS byte (RFC 3168 5). */
#define IP_ECN_MASK 0x3
#define IP_ECN_NOT_ECT 0x0
#define IP_ECN_ECT1 0x1
#define IP_ECN_ECT0 0x2
#define IP_ECN_CE 0x3

struct ipv4_repr {
    uint32_t src, dst;
    uint8_t protocol;
    uint8_t ttl;
    uint8_t tos;           /* DSCP and ECN, as one byte */
    uint8_t flags;         /* 3 bits: reserved, DF, MF */
    uint16_t ident;
    uint16_t frag_offset;  /* in 8-byte units */
    uint16_t header_len;   /* bytes, 20..60 (parse: IHL*4; emit: always 20) */
    uint16_t payload_len;  /* total length - header_len */
};

/* Parse and validate an IPv4 header. Bytes after total length (link padding)
 * are ignored: payload is bytes[header_len .. header_len + payload_len).
 * IPv4 options are bounds-checked (length 0/1 or past the header is an
 * error) but otherwise ignored, never acted on. */
int ipv4_parse(struct ipv4_repr *out, const uint8_t *bytes, size_t len);
/* Emits a 20-byte header (no options) with a correct checksum. payload_len
 * must already be set; the payload itself is not written. */
size_t ipv4_repr_len(const struct ipv4_repr *r);
int ipv4_emit(const struct ipv4_repr *r, uint8_t *buf, size_t cap);
static inline bool ipv4_is_fragment(const struct ipv4_repr *r)
{
    return (r->flags & IPV4_FLAG_MF) || r->frag_offset != 0;
}

/* ---- TCP (RFC 9293, 7323, 2018) ------------------------------------------ */

#define TCP_HDR_MIN 20
#define TCP_HDR_MAX 60

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40
#define TCP_CWR 0x80

#define TCP_OPT_EOL 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2
#define TCP_OPT_WSCALE 3
#define TCP_OPT_SACK_PERM 4
#define TCP_OPT_SACK 5
#define TCP_OPT_TIMESTAMP 8

#define TCP_MAX_SACK_BLOCKS 4

struct tcp_sack_block {
    uint32_t left, right; /* [left, right) sequence numbers */
};

/* Options of one segment. A has_* flag says the option was present and
 * well formed. Emit writes options in Linux's order — MSS, SACK-permitted,
 * timestamps, NOP + window scale, then SACK blocks — with NOP padding to a
 * 4-byte boundary, so that a parsed Linux SYN re-emits byte for byte. */
struct tcp_options {
    bool has_mss, has_wscale, sack_permitted, has_timestamp;
    uint16_t mss;
    uint8_t wscale;               /* as sent; the receiver clamps to 14 */
    uint32_t ts_val, ts_ecr;
    uint8_t sack_count;           /* 0..TCP_MAX_SACK_BLOCKS */
    struct tcp_sack_block sack[TCP_MAX_SACK_BLOCKS];
};

struct tcp_repr {
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t flags;                /* TCP_FIN | TCP_SYN | ... (8 bits) */
    uint16_t window;              /* raw 16-bit field, unscaled */
    uint16_t urgent;
    uint16_t checksum;            /* parse: as received; emit: computed */
    uint8_t header_len;           /* bytes, 20..60 (parse: offset*4) */
    struct tcp_options opt;
    const uint8_t *payload;       /* parse: points into the input bytes */
    size_t payload_len;
};

/* Parse a TCP segment (header + payload, exactly the IPv4 payload). The
 * checksum is verified against the pseudo-header of src/dst. Options are
 * parsed with strict bounds: the rules follow RFC 9293 3.1 and the hostile
 * inputs list — a malformed option makes the whole segment an error. Unknown
 * option kinds with a sane length are skipped. A second MSS/WS/TS option is
 * ignored (first wins). SACK blocks beyond 4 are ignored. */
int tcp_parse(struct tcp_repr *out, const uint8_t *bytes, size_t len,
              uint32_t src, uint32_t dst);
/* Like tcp_parse but without checksum verification (for tools reading
 * captures in which checksums were offloaded). */
int tcp_parse_nocsum(struct tcp_repr *out, const uint8_t *bytes, size_t len);
/* Like tcp_parse, but the payload's part of the checksum is left to the
 * caller, who sums it while copying it (one pass over the bytes): *partial
 * is the sum of the pseudo-header and the header, and the segment is intact
 * only when wire_csum_finish(wire_csum_add(*partial, payload, payload_len))
 * (or the same sum from wire_csum_copy) is 0. Error codes are tcp_parse's. */
int tcp_parse_defer_csum(struct tcp_repr *out, const uint8_t *bytes, size_t len, uint32_t src,
                         uint32_t dst, uint32_t *partial);
/* Bytes the header (with options, padded) will take. */
size_t tcp_header_len(const struct tcp_options *opt);
size_t tcp_repr_len(const struct tcp_repr *r); /* header + payload_len */
/* Emit header and copy the payload; computes the checksum for src/dst. */
int tcp_emit(const struct tcp_repr *r, uint8_t *buf, size_t cap,
             uint32_t src, uint32_t dst);
/* Like tcp_emit but leaves the checksum field 0, for links that compute
 * and check checksums themselves (checksum offload). */
int tcp_emit_nocsum(const struct tcp_repr *r, uint8_t *buf, size_t cap);
/* tcp_emit for a payload already in place at buf + header length whose
 * partial sum (wire_csum_add from 0, e.g. from wire_csum_copy while it was
 * copied there) is payload_sum: only the header is summed. */
int tcp_emit_summed(const struct tcp_repr *r, uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                    uint32_t payload_sum);

/* Short human-readable flag string, e.g. "SYN|ACK", "PSH|ACK", "FIN|ACK",
 * "RST", "ACK", "none". Returns a pointer to static storage per flag byte. */
const char *tcp_flags_str(uint8_t flags);

/* ---- ICMP (RFC 792) ------------------------------------------------------ */

#define ICMP_ECHO_REPLY 0
#define ICMP_DEST_UNREACH 3
#define ICMP_ECHO_REQUEST 8
#define ICMP_TIME_EXCEEDED 11

#define ICMP_UNREACH_NET 0
#define ICMP_UNREACH_HOST 1
#define ICMP_UNREACH_PROTOCOL 2
#define ICMP_UNREACH_PORT 3
#define ICMP_UNREACH_FRAG_NEEDED 4

struct icmp_repr {
    uint8_t type, code;
    uint16_t checksum;            /* parse: as received; emit: computed */
    /* echo request/reply */
    uint16_t ident, seq_no;
    /* destination unreachable: next-hop MTU (code 4), otherwise 0 */
    uint16_t next_hop_mtu;
    /* echo: the data; errors: the quoted IP header + at least 8 bytes */
    const uint8_t *data;
    size_t data_len;
};

/* Parse an ICMP message (the IPv4 payload); verifies its checksum. Echo and
 * destination-unreachable are decoded; other types parse with only type,
 * code and data (bytes after the 4-byte header) set. */
int icmp_parse(struct icmp_repr *out, const uint8_t *bytes, size_t len);
size_t icmp_repr_len(const struct icmp_repr *r);
int icmp_emit(const struct icmp_repr *r, uint8_t *buf, size_t cap);

/* ---- big-endian helpers -------------------------------------------------- */
static inline uint16_t wire_get16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t wire_get32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void wire_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wire_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* ---- a TCP packet's shape, for links that merge or split segments ------- */
/* The header lengths, payload length, sequence number and flags of an
 * unfragmented IPv4 TCP packet whose lengths are consistent and whose IP
 * total length (tot) fits in len; false for anything else. What a link
 * doing TSO/GRO-style merging looks at, without parsing options. */
struct wire_tcp_view {
    size_t ihl, thl, tot, plen;
    uint32_t seq;
    uint8_t flags;
};
static inline bool wire_tcp_view(const uint8_t *p, size_t len, struct wire_tcp_view *v)
{
    if (len < 40 || (p[0] >> 4) != 4 || p[9] != IPV4_PROTO_TCP) return false;
    size_t ihl = (size_t)(p[0] & 15) * 4, tot = (size_t)p[2] << 8 | p[3];
    if (ihl < 20 || tot > len || tot < ihl + 20) return false;
    size_t thl = (size_t)(p[ihl + 12] >> 4) * 4;
    if (thl < 20 || ihl + thl > tot) return false;
    if (p[6] & 0x3F || p[7]) return false; /* a fragment */
    v->ihl = ihl;
    v->thl = thl;
    v->tot = tot;
    v->plen = tot - ihl - thl;
    v->seq = wire_get32(p + ihl + 4);
    v->flags = p[ihl + 13];
    return true;
}

/* ---- software segmentation (GSO) ---------------------------------------- */
/* Cuts a TCP/IPv4 super-segment (synack_config.output_gso in synack.h) into
 * segments of gso_size payload bytes, as a NIC's TSO or Linux's GSO does:
 * segment i gets the first's headers with the sequence number seq + i *
 * gso_size, its own IP total length, the IP ID + i and a new IP header
 * checksum; CWR only on the first, PSH and FIN only on the last; with csum
 * its TCP checksum computed over it (summed while its payload is copied),
 * without it the field left as it came (links with checksum offload). Each
 * segment is built in buf (cap bytes: at least the headers plus gso_size)
 * and handed to fn in order. Returns the segments made, or -1 when pkt is
 * not an unfragmented IPv4/TCP packet, gso_size is 0 or buf too small (then
 * nothing was handed on). A packet of at most gso_size payload bytes goes
 * on as one segment (its checksum recomputed with csum). */
typedef void (*wire_segment_fn)(void *ctx, const uint8_t *pkt, size_t len);
int wire_tcp_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, bool csum, uint8_t *buf, size_t cap,
                     wire_segment_fn fn, void *ctx);

#endif
