/*
 * gso.c — software segmentation of TCP/IPv4 super-segments (see
 * wire_tcp_segment in synack/wire.h): what a NIC's TSO or Linux's GSO does
 * for a link that cannot take a super-segment whole (the simulator, a TUN
 * without TSO4, a benchmark link cutting what the sending stack built).
 *
 * Owns: cutting one packet into segments in a caller's buffer. Must not
 * touch: anything but the bytes it is given (no state, no allocation).
 */
#include <string.h>

#include "synack/wire.h"

int wire_tcp_segment(const uint8_t *pkt, size_t len, uint16_t gso_size, bool csum, uint8_t *buf, size_t cap,
                     wire_segment_fn fn, void *ctx)
{
    struct wire_tcp_view v;
    if (!wire_tcp_view(pkt, len, &v) || gso_size == 0) return -1;
    size_t hl = v.ihl + v.thl;
    size_t step = v.plen < gso_size ? (v.plen ? v.plen : 1) : gso_size;
    if (cap < hl + (v.plen < step ? v.plen : step)) return -1;
    uint32_t src = wire_get32(pkt + 12), dst = wire_get32(pkt + 16);
    uint16_t ident = wire_get16(pkt + 4);
    uint8_t flags = v.flags;
    const uint8_t *pay = pkt + hl;
    int n = 0;
    size_t off = 0;
    do {
        size_t plen = v.plen - off < step ? v.plen - off : step;
        bool first = off == 0, last = off + plen >= v.plen;
        memcpy(buf, pkt, hl);
        uint8_t *t = buf + v.ihl;
        wire_put16(buf + 2, (uint16_t)(hl + plen));
        wire_put16(buf + 4, (uint16_t)(ident + n));
        wire_put16(buf + 10, 0);
        wire_put16(buf + 10, wire_csum_finish(wire_csum_add(0, buf, v.ihl)));
        wire_put32(t + 4, v.seq + (uint32_t)off);
        uint8_t f = flags;
        if (!first) f &= (uint8_t)~TCP_CWR;
        if (!last) f &= (uint8_t)~(TCP_PSH | TCP_FIN);
        t[13] = f;
        if (csum) {
            wire_put16(t + 16, 0);
            uint32_t s = wire_csum_pseudo(src, dst, IPV4_PROTO_TCP, (uint16_t)(v.thl + plen));
            s = wire_csum_add(s, t, v.thl);
            uint32_t ps = wire_csum_copy(0, buf + hl, pay + off, plen);
            /* Payload after an even-length header: its sum adds as it is. */
            wire_put16(t + 16, wire_csum_finish(s + ps < s ? s + ps + 1 : s + ps));
        } else {
            memcpy(buf + hl, pay + off, plen);
        }
        fn(ctx, buf, hl + plen);
        n++;
        off += plen;
    } while (off < v.plen);
    return n;
}
