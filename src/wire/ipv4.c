/*
 * ipv4.c — IPv4 header codec (RFC 791).
 *
 * Owns: ipv4_parse, ipv4_repr_len, ipv4_emit. Reads the header through byte
 * accessors only; IPv4 options are walked with bounds and then ignored
 * (never acted on: no source routing, no record-route).
 *
 * ipv4_parse checks, in this order; the first failing check decides the
 * error, so each malformation maps to exactly one code:
 *   1. len < 20                           WIRE_E_TRUNCATED
 *   2. version != 4                       WIRE_E_IP_VERSION
 *   3. IHL < 5                            WIRE_E_IP_IHL
 *   4. IHL*4 > len (header past the bytes) WIRE_E_IP_IHL_PAST_END
 *   5. total length < IHL*4               WIRE_E_IP_TOTLEN_SHORT
 *   6. total length > len                 WIRE_E_IP_TOTLEN_PAST_END
 *   7. header checksum                    WIRE_E_IP_CHECKSUM
 *   8. options (len 0/1, past IHL)        WIRE_E_IP_OPTION
 * Step 4 comes before 5 because nothing of the header past byte 20 may be
 * read before we know it is there; a header that fits the bytes but not the
 * total length is reported by step 5. The checksum comes before the options
 * so that corruption is reported as corruption, not as a bad option.
 * Bytes after the total length (link padding, H-06) are not part of the
 * datagram: payload_len = total length - IHL*4.
 */
#include "synack/wire.h"

/* Walk the options area [IPV4_HDR_MIN, hlen): EOL ends the list, NOP is one
 * byte, every other option has a length byte >= 2 that stays in the header.
 * The index is a size_t, so a length of 255 cannot wrap it (H-36 analogue). */
static int ipv4_check_options(const uint8_t *hdr, size_t hlen)
{
    size_t i = IPV4_HDR_MIN;

    while (i < hlen) {
        uint8_t kind = hdr[i];
        if (kind == 0)         /* EOL */
            break;
        if (kind == 1) {       /* NOP */
            i++;
            continue;
        }
        if (i + 1 >= hlen)
            return WIRE_E_IP_OPTION;
        size_t olen = hdr[i + 1];
        if (olen < 2 || olen > hlen - i)
            return WIRE_E_IP_OPTION;
        i += olen;
    }
    return WIRE_OK;
}

int ipv4_parse(struct ipv4_repr *out, const uint8_t *bytes, size_t len)
{
    if (len < IPV4_HDR_MIN)
        return WIRE_E_TRUNCATED;
    if ((bytes[0] >> 4) != 4)
        return WIRE_E_IP_VERSION;
    size_t hlen = (size_t)(bytes[0] & 0x0F) * 4;
    if (hlen < IPV4_HDR_MIN)
        return WIRE_E_IP_IHL;
    if (hlen > len)
        return WIRE_E_IP_IHL_PAST_END;
    size_t totlen = wire_get16(bytes + 2);
    if (totlen < hlen)
        return WIRE_E_IP_TOTLEN_SHORT;
    if (totlen > len)
        return WIRE_E_IP_TOTLEN_PAST_END;
    if (wire_csum_finish(wire_csum_add(0, bytes, hlen)) != 0)
        return WIRE_E_IP_CHECKSUM;
    int err = ipv4_check_options(bytes, hlen);
    if (err)
        return err;

    uint16_t frag = wire_get16(bytes + 6);
    out->tos = bytes[1];
    out->ident = wire_get16(bytes + 4);
    out->flags = (uint8_t)(frag >> 13);
    out->frag_offset = frag & 0x1FFF;
    out->ttl = bytes[8];
    out->protocol = bytes[9];
    out->src = wire_get32(bytes + 12);
    out->dst = wire_get32(bytes + 16);
    out->header_len = (uint16_t)hlen;
    out->payload_len = (uint16_t)(totlen - hlen);
    return WIRE_OK;
}

size_t ipv4_repr_len(const struct ipv4_repr *r)
{
    (void)r;
    return IPV4_HDR_MIN;
}

/* header_len is ignored: the emitted header never carries options. Fields
 * that do not fit their bits (flags > 7, frag_offset > 0x1FFF) or a payload
 * that would push the total length past 65535 are WIRE_E_INVALID. */
int ipv4_emit(const struct ipv4_repr *r, uint8_t *buf, size_t cap)
{
    if (r->flags > 7 || r->frag_offset > 0x1FFF ||
        r->payload_len > 0xFFFF - IPV4_HDR_MIN)
        return WIRE_E_INVALID;
    if (cap < IPV4_HDR_MIN)
        return WIRE_E_NOSPACE;

    buf[0] = 0x45;
    buf[1] = r->tos;
    wire_put16(buf + 2, (uint16_t)(IPV4_HDR_MIN + r->payload_len));
    wire_put16(buf + 4, r->ident);
    wire_put16(buf + 6, (uint16_t)((r->flags << 13) | r->frag_offset));
    buf[8] = r->ttl;
    buf[9] = r->protocol;
    wire_put16(buf + 10, 0);
    wire_put32(buf + 12, r->src);
    wire_put32(buf + 16, r->dst);
    wire_put16(buf + 10, wire_csum_finish(wire_csum_add(0, buf, IPV4_HDR_MIN)));
    return IPV4_HDR_MIN;
}
