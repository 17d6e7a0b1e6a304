/*
 * ip.c — IPv4 in and out, and the ICMP the host answers itself.
 *
 * Owns: validating arriving packets (RFC 791, RFC 1122 3.2.1) and deciding
 * whether they are ours; dropping fragments (reassembly is not supported:
 * HOSTILE-INPUTS B recommends counting and dropping them), source addresses
 * that must never be answered (H-09) and protocols we do not speak; ICMP
 * echo replies (RFC 792); wrapping outgoing TCP segments in IPv4 (DF set,
 * RFC 1191) and handing them to the stack's send upcall (which defers them
 * inside a socket call). Must not touch: TCP state, the stack's tables
 * (everything upward goes through ip->up; see ip.h).
 */
#include <string.h>

#include "ip/ip.h"

static bool addr_is_unanswerable(uint32_t a)
{
    uint8_t top = (uint8_t)(a >> 24);
    return a == 0 || a == 0xffffffffu || top == 127 || (top >= 224); /* any, bcast, loopback, mcast, class E */
}

static size_t build_ipv4(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t proto, uint8_t ttl,
                         size_t payload_len)
{
    struct ipv4_repr ip = {
        .src = src, .dst = dst, .protocol = proto, .ttl = ttl, .flags = IPV4_FLAG_DF,
        .ident = (uint16_t)(s->ident++), .header_len = IPV4_HDR_MIN,
        .payload_len = (uint16_t)payload_len,
    };
    int n = ipv4_emit(&ip, s->out_buf, s->cfg->mtu);
    return n < 0 ? 0 : (size_t)n;
}

void ip_output_tcp(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t ttl, const struct tcp_repr *seg)
{
    ip_output_tcp_summed(s, src, dst, ttl, seg, false, 0);
}

void ip_output_tcp_summed(struct ip_layer *s, uint32_t src, uint32_t dst, uint8_t ttl, const struct tcp_repr *seg,
                          bool summed, uint32_t payload_sum)
{
    size_t tlen = tcp_repr_len(seg);
    if (IPV4_HDR_MIN + tlen > s->cfg->mtu) return; /* never: segments are sized by the MSS */
    size_t hl = build_ipv4(s, src, dst, IPV4_PROTO_TCP, ttl, tlen);
    if (hl == 0) return;
    int n = s->cfg->checksum_offload ? tcp_emit_nocsum(seg, s->out_buf + hl, s->cfg->mtu - hl)
            : summed ? tcp_emit_summed(seg, s->out_buf + hl, s->cfg->mtu - hl, src, dst, payload_sum)
                     : tcp_emit(seg, s->out_buf + hl, s->cfg->mtu - hl, src, dst);
    if (n < 0) return;
    s->up.send(s->up.ctx, s->out_buf, hl + (size_t)n);
}

/* An ICMP error quotes the IP header and at least 8 bytes of the datagram
 * that caused it (RFC 792). Everything read from the quote is bounds-checked
 * against what actually arrived (H-19): the quoted IHL must fit, the quoted
 * source must be us, the protocol TCP, and 8 transport bytes present. */
static void icmp_error_input(struct ip_layer *s, const struct icmp_repr *icmp)
{
    const uint8_t *q = icmp->data;
    size_t qlen = icmp->data_len;
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
    struct icmp_repr reply = icmp;
    reply.type = ICMP_ECHO_REPLY;
    size_t ilen = icmp_repr_len(&reply);
    if (IPV4_HDR_MIN + ilen > s->cfg->mtu) return;
    size_t hl = build_ipv4(s, ip->dst, ip->src, IPV4_PROTO_ICMP, s->tunables->ttl, ilen);
    if (hl == 0) return;
    int n = icmp_emit(&reply, s->out_buf + hl, s->cfg->mtu - hl);
    if (n < 0) return;
    s->ctr->icmp_out_echo_replies++;
    s->up.send(s->up.ctx, s->out_buf, hl + (size_t)n);
}

void ip_input(struct ip_layer *s, const uint8_t *pkt, size_t len)
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
    if (ipv4_is_fragment(&ip)) {                       /* H-13 */
        s->ctr->in_fragments++;
        return;
    }
    const uint8_t *payload = pkt + ip.header_len;
    switch (ip.protocol) {
    case IPV4_PROTO_TCP: {
        struct tcp_repr seg;
        int err = s->cfg->checksum_offload ? tcp_parse_nocsum(&seg, payload, ip.payload_len)
                                          : tcp_parse(&seg, payload, ip.payload_len, ip.src, ip.dst);
        if (err != 0) {
            if (err == WIRE_E_TCP_CHECKSUM) s->ctr->in_csum_errors++;
            s->ctr->in_tcp_errors++;
            return;
        }
        s->up.tcp_input(s->up.ctx, &ip, &seg);
        return;
    }
    case IPV4_PROTO_ICMP:
        icmp_input(s, &ip, payload);
        return;
    default:                                           /* H-11: never decapsulate */
        s->ctr->in_other_proto++;
        return;
    }
}
