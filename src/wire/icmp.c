/*
 * icmp.c — ICMPv4 message codec (RFC 792, RFC 1191 next-hop MTU).
 *
 * Owns: icmp_parse, icmp_repr_len, icmp_emit. No policy: whether to answer,
 * and checking the quoted datagram of an error, belong to the IP layer.
 *
 * Layouts (checksum always over the whole message):
 *   echo request/reply (8, 0)  type code csum ident seq_no | data
 *   dest unreachable (3)       type code csum 00 00 mtu    | quoted datagram
 *                              (mtu is next_hop_mtu for code 4, else 0)
 *   any other type             type code csum              | data
 *                              (data is everything after the 4-byte header,
 *                              e.g. the unused word of time exceeded too)
 *
 * icmp_parse checks, in this order (the first failing check decides):
 *   1. len < 4, or len < 8 for echo or dest-unreach  WIRE_E_ICMP_TRUNCATED
 *   2. checksum                                      WIRE_E_ICMP_CHECKSUM
 * Emit ignores the fields a type does not carry (ident/seq_no outside echo,
 * next_hop_mtu outside type 3 code 4): they are written as zero, or not at
 * all, and parse back as zero.
 */
#include <string.h>

#include "synack/wire.h"

static size_t icmp_header_len(uint8_t type)
{
    switch (type) {
    case ICMP_ECHO_REQUEST:
    case ICMP_ECHO_REPLY:
    case ICMP_DEST_UNREACH:
        return 8;
    default:
        return 4;
    }
}

int icmp_parse(struct icmp_repr *out, const uint8_t *bytes, size_t len)
{
    if (len < 4)
        return WIRE_E_ICMP_TRUNCATED;
    size_t hlen = icmp_header_len(bytes[0]);
    if (len < hlen)
        return WIRE_E_ICMP_TRUNCATED;
    if (wire_csum_finish(wire_csum_add(0, bytes, len)) != 0)
        return WIRE_E_ICMP_CHECKSUM;

    out->type = bytes[0];
    out->code = bytes[1];
    out->checksum = wire_get16(bytes + 2);
    out->ident = 0;
    out->seq_no = 0;
    out->next_hop_mtu = 0;
    if (out->type == ICMP_ECHO_REQUEST || out->type == ICMP_ECHO_REPLY) {
        out->ident = wire_get16(bytes + 4);
        out->seq_no = wire_get16(bytes + 6);
    } else if (out->type == ICMP_DEST_UNREACH && out->code == ICMP_UNREACH_FRAG_NEEDED) {
        out->next_hop_mtu = wire_get16(bytes + 6);
    }
    out->data = bytes + hlen;
    out->data_len = len - hlen;
    return WIRE_OK;
}

size_t icmp_repr_len(const struct icmp_repr *r)
{
    return icmp_header_len(r->type) + r->data_len;
}

int icmp_emit(const struct icmp_repr *r, uint8_t *buf, size_t cap)
{
    size_t hlen = icmp_header_len(r->type);

    if (r->data_len > 0xFFFF - IPV4_HDR_MIN - hlen || (r->data_len && !r->data))
        return WIRE_E_INVALID;
    size_t total = hlen + r->data_len;
    if (cap < total)
        return WIRE_E_NOSPACE;

    if (r->data_len)
        memmove(buf + hlen, r->data, r->data_len);
    buf[0] = r->type;
    buf[1] = r->code;
    wire_put16(buf + 2, 0);
    if (hlen == 8) {
        bool echo = r->type != ICMP_DEST_UNREACH;
        bool mtu = !echo && r->code == ICMP_UNREACH_FRAG_NEEDED;
        wire_put16(buf + 4, echo ? r->ident : 0);
        wire_put16(buf + 6, echo ? r->seq_no : mtu ? r->next_hop_mtu : 0);
    }
    wire_put16(buf + 2, wire_csum_finish(wire_csum_add(0, buf, total)));
    return (int)total;
}
