/*
 * tcp.c — TCP header and options codec (RFC 9293 3.1, RFC 7323, RFC 2018).
 *
 * Owns: tcp_parse, tcp_parse_nocsum, tcp_parse_defer_csum, tcp_header_len,
 * tcp_repr_len, tcp_emit, tcp_emit_nocsum, tcp_emit_summed.
 * Reads and writes through byte accessors only.
 *
 * tcp_parse checks, in this order (the first failing check decides):
 *   1. len < 20                            WIRE_E_TRUNCATED
 *   2. data offset < 5                     WIRE_E_TCP_OFFSET
 *   3. data offset*4 > len                 WIRE_E_TCP_OFFSET_PAST_END
 *   4. checksum over the pseudo-header     WIRE_E_TCP_CHECKSUM
 *      (a len > 65535 can match no IPv4 pseudo-header: also this code)
 *   5. options, left to right; the first bad option decides:
 *        kind byte with no length byte     WIRE_E_TCP_OPT_TRUNCATED
 *        length 0 or 1                     WIRE_E_TCP_OPT_LEN
 *        length past the header            WIRE_E_TCP_OPT_PAST_END
 *   A known option of the wrong fixed size (MSS != 4, WS != 3, SACK-perm
 *   != 2, TS != 10, SACK not 2 + 8n with n >= 1) is skipped by its length
 *   and ignored, not an error (docs/HOSTILE.md H-37/38/40/41, as Linux): the
 *   segment is processed as if the option were absent.
 * The checksum is verified before the options, so corrupted bytes are
 * reported as a checksum error and option errors are those of segments the
 * peer really sent. tcp_parse_nocsum skips step 4 only. tcp_parse_defer_csum
 * sums only the pseudo-header and the header in step 4 and leaves the
 * payload to its caller (which sums it while copying it); when an option is
 * bad it checks the whole sum first, so the error codes stay those above.
 * Option rules: EOL ends the list (what follows is padding, never read); NOP
 * is one byte; unknown kinds with a sane length are skipped; a second MSS,
 * WS, TS or SACK option is size-checked and then ignored (first wins).
 * MSS 0 is reported as has_mss with mss 0; the TCP layer treats it as absent.
 *
 * Emit layout. Linux's layout, each option NOP-aligned to 4 bytes:
 *   MSS            02 04 mm mm
 *   TS + SACK-perm 04 02 08 0a vvvvvvvv eeeeeeee   (TS alone: 01 01 08 0a ...)
 *   SACK-perm      01 01 04 02                     (only when no TS)
 *   window scale   01 03 03 ss
 *   SACK blocks    01 01 05 ll  llllllll rrrrrrrr ...
 * When that does not fit in 40 bytes (e.g. MSS + TS + 3 SACK blocks, which a
 * peer may legally pack), the same options are written unaligned in the
 * same order and padded with EOL/zero bytes, so every repr that tcp_parse
 * returns can be emitted. Reprs that do not fit even so (or with
 * sack_count > 4) are WIRE_E_INVALID.
 */
#include <string.h>

#include "synack/wire.h"

#define TCP_OPT_SPACE (TCP_HDR_MAX - TCP_HDR_MIN)

/* Option bytes of the Linux (aligned) layout. */
static size_t opt_len_aligned(const struct tcp_options *o)
{
    size_t n = 0;
    if (o->has_mss)
        n += 4;
    if (o->has_timestamp)
        n += 12;
    else if (o->sack_permitted)
        n += 4;
    if (o->has_wscale)
        n += 4;
    if (o->sack_count)
        n += 4 + 8 * (size_t)o->sack_count;
    return n;
}

/* Option bytes of the packed layout, padded to a multiple of 4. */
static size_t opt_len_packed(const struct tcp_options *o)
{
    size_t n = 0;
    if (o->has_mss)
        n += 4;
    if (o->sack_permitted)
        n += 2;
    if (o->has_timestamp)
        n += 10;
    if (o->has_wscale)
        n += 3;
    if (o->sack_count)
        n += 2 + 8 * (size_t)o->sack_count;
    return (n + 3) & ~(size_t)3;
}

size_t tcp_header_len(const struct tcp_options *opt)
{
    size_t n = opt_len_aligned(opt);
    if (n > TCP_OPT_SPACE)
        n = opt_len_packed(opt);
    return TCP_HDR_MIN + n;
}

size_t tcp_repr_len(const struct tcp_repr *r)
{
    return tcp_header_len(&r->opt) + r->payload_len;
}

static void put_sack(uint8_t *p, const struct tcp_options *o)
{
    p[0] = TCP_OPT_SACK;
    p[1] = (uint8_t)(2 + 8 * o->sack_count);
    for (size_t i = 0; i < o->sack_count; i++) {
        wire_put32(p + 2 + 8 * i, o->sack[i].left);
        wire_put32(p + 6 + 8 * i, o->sack[i].right);
    }
}

static void put_ts(uint8_t *p, const struct tcp_options *o)
{
    p[0] = TCP_OPT_TIMESTAMP;
    p[1] = 10;
    wire_put32(p + 2, o->ts_val);
    wire_put32(p + 6, o->ts_ecr);
}

/* Write the options into p[0 .. optlen); returns nothing, cannot fail. */
static void write_options(uint8_t *p, size_t optlen, const struct tcp_options *o)
{
    size_t i = 0;

    if (opt_len_aligned(o) == optlen) {
        if (o->has_mss) {
            p[i] = TCP_OPT_MSS;
            p[i + 1] = 4;
            wire_put16(p + i + 2, o->mss);
            i += 4;
        }
        if (o->has_timestamp) {
            if (o->sack_permitted) {
                p[i] = TCP_OPT_SACK_PERM;
                p[i + 1] = 2;
            } else {
                p[i] = TCP_OPT_NOP;
                p[i + 1] = TCP_OPT_NOP;
            }
            put_ts(p + i + 2, o);
            i += 12;
        } else if (o->sack_permitted) {
            p[i] = TCP_OPT_NOP;
            p[i + 1] = TCP_OPT_NOP;
            p[i + 2] = TCP_OPT_SACK_PERM;
            p[i + 3] = 2;
            i += 4;
        }
        if (o->has_wscale) {
            p[i] = TCP_OPT_NOP;
            p[i + 1] = TCP_OPT_WSCALE;
            p[i + 2] = 3;
            p[i + 3] = o->wscale;
            i += 4;
        }
        if (o->sack_count) {
            p[i] = TCP_OPT_NOP;
            p[i + 1] = TCP_OPT_NOP;
            put_sack(p + i + 2, o);
            i += 4 + 8 * (size_t)o->sack_count;
        }
        return;
    }

    /* Packed layout: the options that would not fit aligned. */
    if (o->has_mss) {
        p[i] = TCP_OPT_MSS;
        p[i + 1] = 4;
        wire_put16(p + i + 2, o->mss);
        i += 4;
    }
    if (o->sack_permitted) {
        p[i] = TCP_OPT_SACK_PERM;
        p[i + 1] = 2;
        i += 2;
    }
    if (o->has_timestamp) {
        put_ts(p + i, o);
        i += 10;
    }
    if (o->has_wscale) {
        p[i] = TCP_OPT_WSCALE;
        p[i + 1] = 3;
        p[i + 2] = o->wscale;
        i += 3;
    }
    if (o->sack_count) {
        put_sack(p + i, o);
        i += 2 + 8 * (size_t)o->sack_count;
    }
    memset(p + i, TCP_OPT_EOL, optlen - i);
}

static int emit_common(const struct tcp_repr *r, uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                       bool checksum, bool summed, uint32_t payload_sum)
{
    const struct tcp_options *o = &r->opt;

    if (o->sack_count > TCP_MAX_SACK_BLOCKS)
        return WIRE_E_INVALID;
    size_t hlen = tcp_header_len(o);
    if (hlen > TCP_HDR_MAX)
        return WIRE_E_INVALID;
    if (r->payload_len > 0xFFFF - hlen || (r->payload_len && !r->payload))
        return WIRE_E_INVALID;
    size_t total = hlen + r->payload_len;
    if (cap < total)
        return WIRE_E_NOSPACE;

    /* The payload first: memmove allows a payload already placed at
     * buf + hlen (in-place emit) or overlapping the header area. */
    if (r->payload_len)
        if (r->payload != buf + hlen) memmove(buf + hlen, r->payload, r->payload_len);
    wire_put16(buf + 0, r->src_port);
    wire_put16(buf + 2, r->dst_port);
    wire_put32(buf + 4, r->seq);
    wire_put32(buf + 8, r->ack);
    buf[12] = (uint8_t)((hlen / 4) << 4);
    buf[13] = r->flags;
    wire_put16(buf + 14, r->window);
    wire_put16(buf + 16, 0);
    wire_put16(buf + 18, r->urgent);
    write_options(buf + TCP_HDR_MIN, hlen - TCP_HDR_MIN, o);

    if (checksum) {
        uint32_t sum = wire_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)total);
        if (summed && r->payload == buf + hlen) {
            /* hlen is a multiple of 4: the payload's sum chains on. */
            sum = wire_csum_add(sum, buf, hlen);
            uint64_t t = (uint64_t)sum + payload_sum;
            sum = (uint32_t)((t & 0xFFFFFFFFu) + (t >> 32));
        } else {
            sum = wire_csum_add(sum, buf, total);
        }
        wire_put16(buf + 16, wire_csum_finish(sum));
    }
    return (int)total;
}

int tcp_emit(const struct tcp_repr *r, uint8_t *buf, size_t cap, uint32_t src, uint32_t dst)
{
    return emit_common(r, buf, cap, src, dst, true, false, 0);
}

int tcp_emit_summed(const struct tcp_repr *r, uint8_t *buf, size_t cap, uint32_t src, uint32_t dst,
                    uint32_t payload_sum)
{
    return emit_common(r, buf, cap, src, dst, true, true, payload_sum);
}

int tcp_emit_nocsum(const struct tcp_repr *r, uint8_t *buf, size_t cap)
{
    return emit_common(r, buf, cap, 0, 0, false, false, 0);
}

/* Parse the options area opt[0 .. len) into *o (already zeroed). */
static int parse_options(struct tcp_options *o, const uint8_t *opt, size_t len)
{
    bool seen_sack = false;
    size_t i = 0;

    while (i < len) {
        uint8_t kind = opt[i];
        if (kind == TCP_OPT_EOL)
            break;
        if (kind == TCP_OPT_NOP) {
            i++;
            continue;
        }
        if (len - i < 2)
            return WIRE_E_TCP_OPT_TRUNCATED;   /* H-35 */
        size_t olen = opt[i + 1];
        if (olen < 2)
            return WIRE_E_TCP_OPT_LEN;         /* H-32, H-33 */
        if (olen > len - i)
            return WIRE_E_TCP_OPT_PAST_END;    /* H-34 */
        const uint8_t *p = opt + i;

        switch (kind) {
        case TCP_OPT_MSS:
            if (olen != 4)
                break;                         /* wrong size: ignored */
            if (!o->has_mss) {
                o->has_mss = true;
                o->mss = wire_get16(p + 2);
            }
            break;
        case TCP_OPT_WSCALE:
            if (olen != 3)
                break;
            if (!o->has_wscale) {
                o->has_wscale = true;
                o->wscale = p[2];
            }
            break;
        case TCP_OPT_SACK_PERM:
            if (olen != 2)
                break;
            o->sack_permitted = true;
            break;
        case TCP_OPT_TIMESTAMP:
            if (olen != 10)
                break;
            if (!o->has_timestamp) {
                o->has_timestamp = true;
                o->ts_val = wire_get32(p + 2);
                o->ts_ecr = wire_get32(p + 6);
            }
            break;
        case TCP_OPT_SACK:
            if (olen < 10 || (olen - 2) % 8 != 0)
                break;
            if (!seen_sack) {
                size_t n = (olen - 2) / 8;
                if (n > TCP_MAX_SACK_BLOCKS)   /* cannot happen in 40 bytes */
                    n = TCP_MAX_SACK_BLOCKS;
                for (size_t b = 0; b < n; b++) {
                    o->sack[b].left = wire_get32(p + 2 + 8 * b);
                    o->sack[b].right = wire_get32(p + 6 + 8 * b);
                }
                o->sack_count = (uint8_t)n;
                seen_sack = true;
            }
            break;
        default:
            break;                             /* unknown: skip (H-43) */
        }
        i += olen;
    }
    return WIRE_OK;
}

/* verify: the whole checksum; partial (not NULL, verify false): only the
 * pseudo-header's and the header's sum, left there for the caller. */
static int tcp_parse_common(struct tcp_repr *out, const uint8_t *bytes, size_t len,
                            bool verify, uint32_t src, uint32_t dst, uint32_t *partial)
{
    if (len < TCP_HDR_MIN)
        return WIRE_E_TRUNCATED;
    size_t hlen = (size_t)(bytes[12] >> 4) * 4;
    if (hlen < TCP_HDR_MIN)
        return WIRE_E_TCP_OFFSET;
    if (hlen > len)
        return WIRE_E_TCP_OFFSET_PAST_END;
    if ((verify || partial) && len > 0xFFFF)
        return WIRE_E_TCP_CHECKSUM;
    if (verify) {
        uint32_t sum = wire_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)len);
        if (wire_csum_finish(wire_csum_add(sum, bytes, len)) != 0)
            return WIRE_E_TCP_CHECKSUM;
    }

    memset(&out->opt, 0, sizeof out->opt);
    int err = parse_options(&out->opt, bytes + TCP_HDR_MIN, hlen - TCP_HDR_MIN);
    if (err && partial) /* corrupted bytes are a checksum error, as in tcp_parse */
        return tcp_parse_common(out, bytes, len, true, src, dst, NULL);
    if (err)
        return err;
    if (partial) /* hlen is a multiple of 4: the payload's sum chains on (RFC 1071) */
        *partial = wire_csum_add(wire_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)len), bytes, hlen);

    out->src_port = wire_get16(bytes + 0);
    out->dst_port = wire_get16(bytes + 2);
    out->seq = wire_get32(bytes + 4);
    out->ack = wire_get32(bytes + 8);
    out->flags = bytes[13];            /* reserved bits of byte 12 ignored */
    out->window = wire_get16(bytes + 14);
    out->checksum = wire_get16(bytes + 16);
    out->urgent = wire_get16(bytes + 18);
    out->header_len = (uint8_t)hlen;
    out->payload = bytes + hlen;
    out->payload_len = len - hlen;
    return WIRE_OK;
}

int tcp_parse(struct tcp_repr *out, const uint8_t *bytes, size_t len,
              uint32_t src, uint32_t dst)
{
    return tcp_parse_common(out, bytes, len, true, src, dst, NULL);
}

int tcp_parse_nocsum(struct tcp_repr *out, const uint8_t *bytes, size_t len)
{
    return tcp_parse_common(out, bytes, len, false, 0, 0, NULL);
}

int tcp_parse_defer_csum(struct tcp_repr *out, const uint8_t *bytes, size_t len, uint32_t src,
                         uint32_t dst, uint32_t *partial)
{
    return tcp_parse_common(out, bytes, len, false, src, dst, partial);
}
