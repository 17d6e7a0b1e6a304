/*
 * ip.c — IPv4 in and out, and the ICMP the host answers itself.
 *
 * Owns: validating arriving packets (RFC 791, RFC 1122 3.2.1) and deciding
 * whether they are ours; handing fragments to reassembly (reasm.c) and
 * dispatching the datagrams it completes as if they had come whole; source
 * addresses that must never be answered and protocols we do not speak
 * (docs/HOSTILE.md); ICMP echo replies (RFC 792), fragmented when the
 * request was larger than the MTU (as Linux answers `ping -s 3000`); ICMP
 * time exceeded (code 1) when a reassembly times out after its first
 * fragment came; wrapping outgoing TCP segments in IPv4 (DF set, RFC 1191)
 * and handing them to the stack's send upcall (which defers them inside a
 * socket call). Must not touch: TCP state, the stack's tables (everything
 * upward goes through ip->up; see ip.h).
 */
#include <string.h>

#include "ip/ip.h"

static bool addr_is_unanswerable(uint32_t a)
{
    uint8_t top = (uint8_t)(a >> 24);
    return a == 0 || a == 0xffffffffu || top == 127 || (top >= 224); /* any, bcast, loopback, mcast, class E */
}

static size_t build_ipv4(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
                         uint8_t tos, size_t payload_len)
{
    struct ipv4_repr ip = {
        .src = src, .dst = dst, .protocol = proto, .ttl = ttl, .tos = tos, .flags = IPV4_FLAG_DF,
        .ident = (uint16_t)(s->ident++), .header_len = IPV4_HDR_MIN,
        .payload_len = (uint16_t)payload_len,
    };
    int n = ipv4_emit(&ip, s->out_buf, IPV4_HDR_MIN);
    return n < 0 ? 0 : (size_t)n;
}

void ip_output_tcp(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t ttl, const struct tcp_repr *seg)
{
    ip_output_tcp_summed(s, src, dst, ttl, IP_ECN_NOT_ECT, seg, false, 0, 0);
}

void ip_output_tcp_summed(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t ttl, uint8_t tos,
                          const struct tcp_repr *seg, bool summed, uint32_t payload_sum, uint16_t gso_size)
{
    size_t tlen = tcp_repr_len(seg);
    size_t cap = gso_size ? s->tso_max : s->cfg->mtu;
    if (IPV4_HDR_MIN + tlen > cap) return; /* never: segments are sized by the MSS (or tso_max) */
    size_t hl = build_ipv4(s, src, dst, IPV4_PROTO_TCP, ttl, tos, tlen);
    if (hl == 0) return;
    /* The link gives each segment of a super-segment the next ID: skip
     * them, as Linux's ip_select_ident_segs. */
    if (gso_size) s->ident += (uint32_t)((seg->payload_len + gso_size - 1) / gso_size) - 1;
    int n = s->cfg->checksum_offload ? tcp_emit_nocsum(seg, s->out_buf + hl, cap - hl)
            : summed ? tcp_emit_summed(seg, s->out_buf + hl, cap - hl, src, dst, payload_sum)
                     : tcp_emit(seg, s->out_buf + hl, cap - hl, src, dst);
    if (n < 0) return;
    s->up.send(s->up.ctx, s->out_buf, hl + (size_t)n, gso_size);
}

/* An ICMP error quotes the IP header and at least 8 bytes of the datagram
 * that caused it (RFC 792). Everything read from the quote is bounds-checked
 * against what actually arrived (H-19): the quoted IHL must fit, the quoted
 * source must be us, the protocol TCP, and 8 transport bytes present. */
static void icmp_error_input(struct ip_layer *s, const struct icmp_repr *icmp)
{
    const uint8_t *q = icmp->data;
    size_t qlen = icmp->data_len;
    if (icmp->type == ICMP_TIME_EXCEEDED) { /* the codec leaves its unused word in data */
        if (qlen < 4) return;
        q += 4;
        qlen -= 4;
    }
    if (qlen < IPV4_HDR_MIN || (q[0] >> 4) != 4) return;
    size_t ihl = (size_t)(q[0] & 0x0f) * 4u;
    if (ihl < IPV4_HDR_MIN || ihl + 8 > qlen) return;
    if (q[9] != IPV4_PROTO_TCP) return;
    uint32_t src = wire_get32(q + 12), dst = wire_get32(q + 16);
    if (src != s->cfg->addr) return;
    const uint8_t *t = q + ihl;
    uint16_t sport = wire_get16(t), dport = wire_get16(t + 2);
    uint32_t seq = wire_get32(t + 4);
    if (s->up.tcp_icmp_error(s->up.ctx, src, sport, dst, dport, icmp->type, icmp->code,
                             icmp->next_hop_mtu, seq))
        s->ctr->icmp_in_errors++;
}

/* Sends head then body (one datagram of protocol proto) from src to dst: one
 * packet with DF set when it fits the MTU, else fragments (RFC 791: each
 * fragment's payload but the last a multiple of 8 bytes, DF clear). */
static void send_datagram(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t proto, const uint8_t *head,
                          size_t hlen, const uint8_t *body, size_t blen)
{
    size_t len = hlen + blen, room = (size_t)s->cfg->mtu - IPV4_HDR_MIN;
    if (len > 0xFFFFu - IPV4_HDR_MIN || room < 8) return;
    bool whole = len <= room;
    size_t step = whole ? len : room & ~(size_t)7;
    uint16_t ident = (uint16_t)(s->ident++);
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        struct ipv4_repr ip = {
            .src = src, .dst = dst, .protocol = proto, .ttl = s->tunables->ttl, .ident = ident,
            .flags = whole ? IPV4_FLAG_DF : (off + n < len ? IPV4_FLAG_MF : 0),
            .frag_offset = (uint16_t)(off / 8), .header_len = IPV4_HDR_MIN, .payload_len = (uint16_t)n,
        };
        if (ipv4_emit(&ip, s->out_buf, s->cfg->mtu) != IPV4_HDR_MIN) return;
        uint8_t *p = s->out_buf + IPV4_HDR_MIN;
        for (size_t i = off; i < off + n;) { /* bytes [off, off + n) of head then body */
            size_t k;
            if (i < hlen) {
                k = hlen - i < off + n - i ? hlen - i : off + n - i;
                memcpy(p, head + i, k);
            } else {
                k = off + n - i;
                memcpy(p, body + (i - hlen), k);
            }
            p += k;
            i += k;
        }
        s->up.send(s->up.ctx, s->out_buf, IPV4_HDR_MIN + n, 0);
    }
}

/* An ICMP message of 8 header bytes (type, code, checksum, rest) and body. */
static void send_icmp(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t type, uint8_t code,
                      const uint8_t rest[4], const uint8_t *body, size_t blen)
{
    uint8_t head[8] = {type, code, 0, 0, rest[0], rest[1], rest[2], rest[3]};
    uint32_t sum = wire_csum_add(0, head, sizeof head);
    sum = wire_csum_add(sum, body, blen);
    wire_put16(head + 2, wire_csum_finish(sum));
    send_datagram(s, src, dst, IPV4_PROTO_ICMP, head, sizeof head, body, blen);
}

static void icmp_input(struct ip_layer *s, const struct ipv4_repr *ip, const uint8_t *payload)
{
    struct icmp_repr icmp;
    s->ctr->icmp_in++;
    if (icmp_parse(&icmp, payload, ip->payload_len) != 0) return;
    if (icmp.type == ICMP_DEST_UNREACH || icmp.type == ICMP_TIME_EXCEEDED) {
        icmp_error_input(s, &icmp);
        return;
    }
    if (icmp.type != ICMP_ECHO_REQUEST || icmp.code != 0) return; /* others: ignored (H-22) */
    s->ctr->icmp_out_echo_replies++;
    send_icmp(s, ip->dst, ip->src, ICMP_ECHO_REPLY, 0, payload + 4, icmp.data, icmp.data_len);
}

/* A whole datagram (arrived whole or reassembled): to its protocol. */
static void dispatch(struct ip_layer *s, const struct ipv4_repr *ip, const uint8_t *pkt)
{
    const uint8_t *payload = pkt + ip->header_len;
    switch (ip->protocol) {
    case IPV4_PROTO_TCP: {
        struct tcp_repr seg;
        uint32_t partial = 0;
        int err = s->cfg->checksum_offload
                      ? tcp_parse_nocsum(&seg, payload, ip->payload_len)
                      : tcp_parse_defer_csum(&seg, payload, ip->payload_len, ip->src, ip->dst, &partial);
        if (err != 0) {
            if (err == WIRE_E_TCP_CHECKSUM) s->ctr->in_csum_errors++;
            s->ctr->in_tcp_errors++;
            return;
        }
        /* The payload's sum is checked above, while it is copied. */
        s->up.tcp_input(s->up.ctx, ip, &seg, s->cfg->checksum_offload ? NULL : &partial);
        return;
    }
    case IPV4_PROTO_ICMP:
        icmp_input(s, ip, payload);
        return;
    default:                                           /* H-11: never decapsulate */
        s->ctr->in_other_proto++;
        return;
    }
}

void ip_input(struct ip_layer *s, const uint8_t *pkt, size_t len, uint64_t now)
{
    struct ipv4_repr ip;
    s->ctr->in_packets++;
    if (ipv4_parse(&ip, pkt, len) != 0) {
        s->ctr->in_ip_errors++;
        return;
    }
    if (ip.dst != s->cfg->addr) {                       /* H-10: we are not a router */
        s->ctr->in_not_ours++;
        return;
    }
    if (addr_is_unanswerable(ip.src) || ip.src == s->cfg->addr) { /* H-09, LAND */
        s->ctr->in_ip_errors++;
        return;
    }
    if (ipv4_is_fragment(&ip)) {                       /* H-13..H-17: reassembly */
        const uint8_t *whole;
        size_t whole_len;
        if (reasm_input(&s->reasm, &ip, pkt, now, &whole, &whole_len) != REASM_COMPLETE) return;
        if (ipv4_parse(&ip, whole, whole_len) != 0) { /* not reached: reasm built it */
            s->ctr->in_ip_errors++;
            return;
        }
        pkt = whole;
    }
    dispatch(s, &ip, pkt);
}

/* RFC 1122 3.2.2: no ICMP error about an ICMP error. */
static bool quotes_icmp_error(const uint8_t *q, size_t qlen)
{
    size_t hl = (size_t)(q[0] & 0x0f) * 4u;
    if (q[9] != IPV4_PROTO_ICMP || qlen <= hl) return false;
    uint8_t type = q[hl];
    return type == ICMP_DEST_UNREACH || type == 4 || type == 5 || type == ICMP_TIME_EXCEEDED || type == 12;
}

void ip_expire(struct ip_layer *s, uint64_t now)
{
    struct reasm_expired e;
    while (reasm_expire(&s->reasm, now, &e)) {
        /* As Linux's ip_expire: only when the first fragment came. */
        if (e.quote_len == 0 || quotes_icmp_error(e.quote, e.quote_len)) continue;
        size_t qlen = e.quote_len;
        if (qlen + IPV4_HDR_MIN + 8 > s->cfg->mtu) qlen = s->cfg->mtu - IPV4_HDR_MIN - 8u;
        static const uint8_t unused[4] = {0, 0, 0, 0};
        s->ctr->icmp_out_time_excds++;
        send_icmp(s, e.daddr, e.saddr, ICMP_TIME_EXCEEDED, 1, unused, e.quote, qlen);
    }
}

void ip_init(struct ip_layer *s, const uint8_t key[16])
{
    reasm_init(&s->reasm, s->tunables, s->ctr, key);
}

void ip_fini(struct ip_layer *s) { reasm_fini(&s->reasm); }
