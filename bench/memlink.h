/*
 * memlink.h — an in-memory link between two synack stacks for the bulk
 * benchmark (bench_inproc) and its test (tests/test_memlink.c): one FIFO of
 * packet slots per direction; a packet is copied once into the FIFO and
 * handed whole to the other stack by memlink_deliver.
 *
 * With offloads (memlink.offload) the link does what synack's TUN link does
 * with the kernel's TSO and GRO (tools/tun/loop.c): a run of back-to-back
 * full-sized segments of one flow becomes one super-segment of up to 64 KB,
 * delivered to the receiving stack as one packet, as a GRO receive path
 * hands one merged packet to TCP. The segments merge only when the headers
 * are the same but for the sequence number (addresses, ports, ACK, window,
 * options — so the same timestamp — and the IP fields); every segment but
 * the last is full-sized and carries only ACK; the last may carry PSH or
 * FIN. The merged IP header gets the total length and a new header
 * checksum. The TCP checksum is NOT dropped or trusted: the senders compute
 * theirs as usual, and the link combines the segments' sums into the
 * super-segment's (one's-complement sums add: the payload's sum is what the
 * segment's checksum leaves after taking out its pseudo-header and header),
 * so the receiving stack checks every byte against what the sender summed,
 * and a byte damaged after the sender summed it is caught there.
 *
 * With the stack's TSO (memlink.tso, synack_config.tso_max and output_gso)
 * the sending stack itself builds one packet per run of full segments, one
 * header and one checksum over the whole run, summed while the payload is
 * copied from its send buffer. MEMLINK_TSO passes those super-segments to
 * the receiving stack whole (memlink_push_gso queues them as they are; the
 * receiver checks every byte against the sender's sum, as with the merge
 * above); MEMLINK_TSO_CUT cuts them into segments in software first
 * (wire_tcp_segment: each its own header and checksum, as a NIC without a
 * GRO peer), so the receiver sees what it would without TSO.
 *
 * Direct (memlink.direct, without the merge): the link hands a packet to
 * the receiving stack at once, inside the sender's output call, as Linux's
 * lo hands the sent packet to its receive path, with no copy into a FIFO;
 * the receiver reads it where the sender built it. A stack is never
 * entered twice: a packet for a stack that is inside a call (polled through
 * memlink_poll, or taking a packet) waits in the FIFO as usual, and packets
 * already waiting there go first. The stacks must then be polled through
 * memlink_poll (memlink_attach names them).
 *
 * Owns: the slots, the merge, the cut, direct delivery, their counters. Must not touch: the stacks
 * (they see packets only through synack_stack_input).
 */
#ifndef SYNACK_BENCH_MEMLINK_H
#define SYNACK_BENCH_MEMLINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "synack/synack.h"
#include "synack/wire.h"

#define MEMLINK_SLOTS 1024
#define MEMLINK_SUPER_MAX 65535u /* an IPv4 packet's largest total length */

struct memlink_dir {
    uint8_t *data;                 /* MEMLINK_SLOTS * slot_bytes */
    uint32_t len[MEMLINK_SLOTS];
    unsigned head, count;
    /* The tail slot as a super-segment in the making (offload only). */
    bool tail_open;                /* more segments may join the tail */
    uint32_t tail_next_seq;        /* the sequence number the next must have */
    uint32_t tail_mss;             /* the payload size of its segments */
    uint32_t tail_paysum;          /* one's-complement sum of its payload */
};

enum memlink_tso {
    MEMLINK_TSO_OFF = 0,           /* the stacks send no super-segments */
    MEMLINK_TSO = 1,               /* the stacks' super-segments pass whole */
    MEMLINK_TSO_CUT = 2,           /* ... cut into segments by the link */
};

struct memlink {
    unsigned slot_bytes;           /* the largest packet a slot holds */
    bool offload;                  /* TSO/GRO-style super-segments */
    enum memlink_tso tso;          /* what becomes of the stacks' super-segments */
    unsigned mtu;
    int cut_dir;                   /* memlink_push_gso's direction, for the cut */
    uint8_t *cut_buf;              /* one segment being cut (MEMLINK_TSO_CUT) */
    uint64_t supers;               /* super-segments the stacks sent */
    bool direct;                   /* hand packets over at once (no FIFO copy) */
    synack_stack *stack[2];        /* [0]: a, [1]: b (memlink_attach) */
    bool busy[2];                  /* that stack is inside a call */
    uint64_t now;                  /* the time of the current memlink_poll */
    uint64_t direct_packets;       /* packets handed over at once */
    uint64_t super_segs;           /* the segments in them */
    struct memlink_dir dir[2];     /* [0]: to stack a, [1]: to stack b */
    uint64_t packets, dropped;     /* packets taken; dropped (queue full) */
    uint64_t merged;               /* segments that joined a super-segment */
};

/* Sets up a link for packets of up to mtu bytes (65535 with offload or
 * MEMLINK_TSO). false: out of memory. */
static inline bool memlink_init(struct memlink *l, unsigned mtu, bool offload, enum memlink_tso tso)
{
    memset(l, 0, sizeof *l);
    l->offload = offload;
    l->tso = tso;
    l->mtu = mtu;
    l->slot_bytes = offload || tso == MEMLINK_TSO ? MEMLINK_SUPER_MAX : mtu;
    for (int d = 0; d < 2; d++) {
        l->dir[d].data = malloc((size_t)MEMLINK_SLOTS * l->slot_bytes);
        if (!l->dir[d].data) return false;
    }
    if (tso == MEMLINK_TSO_CUT && !(l->cut_buf = malloc(mtu))) return false;
    return true;
}

static inline void memlink_fini(struct memlink *l)
{
    free(l->dir[0].data);
    free(l->dir[1].data);
    free(l->cut_buf);
}

/* 16-bit one's-complement helpers over wire_csum_add's 32-bit sums. */
static inline uint16_t memlink_fold(uint32_t s)
{
    while (s >> 16) s = (s & 0xFFFFu) + (s >> 16);
    return (uint16_t)s;
}
static inline uint16_t memlink_swap(uint16_t v) { return (uint16_t)(v << 8 | v >> 8); }

/* An IPv4 TCP packet the link may merge: its header lengths, payload
 * length, sequence number and flags. false: leave it as it is. */
static inline bool memlink_view(const uint8_t *p, size_t len, struct wire_tcp_view *v)
{
    return wire_tcp_view(p, len, v) && v->tot == len;
}

/* The one's-complement sum of a segment's payload, taken out of its TCP
 * checksum: checksum = ~(pseudo + header + payload), header summed with
 * its checksum field as zero. */
static inline uint32_t memlink_payload_sum(const uint8_t *p, const struct wire_tcp_view *v)
{
    const uint8_t *t = p + v->ihl;
    uint16_t field = wire_get16(t + 16);
    uint32_t pseudo = wire_csum_pseudo(wire_get32(p + 12), wire_get32(p + 16), 6, (uint16_t)(v->thl + v->plen));
    uint32_t hdr = wire_csum_add(0, t, v->thl); /* includes the field */
    /* payload = ~field - pseudo - (hdr - field) */
    uint32_t s = (uint16_t)~field;
    s += (uint16_t)~memlink_fold(pseudo);
    s += (uint16_t)~memlink_fold(hdr);
    s += field;
    return memlink_fold(s);
}

/* Can packet q (view w) join the super-segment in slot f (view fv)? */
static inline bool memlink_can_merge(const struct memlink_dir *d, const uint8_t *f, const struct wire_tcp_view *fv,
                                     const uint8_t *q, const struct wire_tcp_view *w, size_t room)
{
    if (!d->tail_open || fv->flags != TCP_ACK) return false;
    if ((w->flags & ~(TCP_ACK | TCP_PSH | TCP_FIN)) || !(w->flags & TCP_ACK)) return false;
    if (w->plen == 0 || w->plen > d->tail_mss || w->seq != d->tail_next_seq) return false;
    if (w->ihl != fv->ihl || w->thl != fv->thl) return false;
    if ((size_t)fv->ihl + fv->thl + fv->plen + w->plen > room) return false;
    /* IP: version/IHL, TOS, TTL, protocol, addresses, options. */
    if (f[0] != q[0] || f[1] != q[1] || f[8] != q[8] || f[9] != q[9] || memcmp(f + 12, q + 12, fv->ihl - 12))
        return false;
    const uint8_t *ft = f + fv->ihl, *qt = q + w->ihl;
    /* TCP: ports, ACK, offset, window, urgent pointer, options. */
    return !memcmp(ft, qt, 4) && !memcmp(ft + 8, qt + 8, 5) && !memcmp(ft + 14, qt + 14, 2) &&
           !memcmp(ft + 18, qt + 18, fv->thl - 18);
}

/* Appends q to the super-segment in slot f: payload, lengths, flags, sums. */
static inline void memlink_merge(struct memlink_dir *d, uint8_t *f, struct wire_tcp_view *fv, const uint8_t *q,
                                 const struct wire_tcp_view *w)
{
    size_t hl = fv->ihl + fv->thl;
    memcpy(f + hl + fv->plen, q + hl, w->plen);
    uint16_t add = memlink_fold(memlink_payload_sum(q, w));
    if (fv->plen & 1) add = memlink_swap(add); /* it starts at an odd offset */
    d->tail_paysum = memlink_fold(d->tail_paysum + add);
    fv->plen += w->plen;
    d->tail_next_seq = w->seq + (uint32_t)w->plen;
    if (w->plen < d->tail_mss || (w->flags & (TCP_PSH | TCP_FIN))) d->tail_open = false;
    uint8_t *t = f + fv->ihl;
    t[13] = (uint8_t)(t[13] | (w->flags & (TCP_PSH | TCP_FIN)));
    fv->flags = t[13];
    size_t tot = hl + fv->plen;
    wire_put16(f + 2, (uint16_t)tot);
    wire_put16(f + 10, 0);
    wire_put16(f + 10, wire_csum_finish(wire_csum_add(0, f, fv->ihl)));
    wire_put16(t + 16, 0);
    uint32_t s = wire_csum_pseudo(wire_get32(f + 12), wire_get32(f + 16), 6, (uint16_t)(fv->thl + fv->plen));
    s = wire_csum_add(s, t, fv->thl);
    wire_put16(t + 16, wire_csum_finish(s + d->tail_paysum));
}

static inline void memlink_deliver(struct memlink *l, int dir, synack_stack *st, uint64_t now);

/* Takes a packet for direction dir (0: to a, 1: to b). A full queue drops
 * it, as a real link would. */
static inline void memlink_push(struct memlink *l, int dir, const uint8_t *pkt, size_t len)
{
    struct memlink_dir *d = &l->dir[dir];
    l->packets++;
    if (l->direct && !l->offload && l->stack[dir] && !l->busy[dir]) {
        memlink_deliver(l, dir, l->stack[dir], l->now); /* what waits goes first */
        l->busy[dir] = true;
        synack_stack_input(l->stack[dir], pkt, len, l->now);
        l->busy[dir] = false;
        l->direct_packets++;
        return;
    }
    struct wire_tcp_view w;
    bool tcp = l->offload && memlink_view(pkt, len, &w);
    if (tcp && d->count) {
        unsigned i = (d->head + d->count - 1) % MEMLINK_SLOTS;
        uint8_t *f = d->data + (size_t)i * l->slot_bytes;
        struct wire_tcp_view fv;
        if (memlink_view(f, d->len[i], &fv) && memlink_can_merge(d, f, &fv, pkt, &w, l->slot_bytes)) {
            memlink_merge(d, f, &fv, pkt, &w);
            d->len[i] = (uint32_t)(fv.ihl + fv.thl + fv.plen);
            l->merged++;
            return;
        }
    }
    if (d->count == MEMLINK_SLOTS || len > l->slot_bytes) {
        l->dropped++;
        return;
    }
    unsigned i = (d->head + d->count) % MEMLINK_SLOTS;
    memcpy(d->data + (size_t)i * l->slot_bytes, pkt, len);
    d->len[i] = (uint32_t)len;
    d->count++;
    /* A full-sized data segment with only ACK may start a super-segment. */
    d->tail_open = tcp && w.plen > 0 && w.flags == TCP_ACK;
    if (d->tail_open) {
        d->tail_mss = (uint32_t)w.plen;
        d->tail_next_seq = w.seq + (uint32_t)w.plen;
        d->tail_paysum = memlink_payload_sum(pkt, &w);
    }
}

static inline void memlink_cut_one(void *ctx, const uint8_t *pkt, size_t len)
{
    struct memlink *l = (struct memlink *)ctx;
    memlink_push(l, l->cut_dir, pkt, len);
}

/* Takes a super-segment (the stack's output_gso) for direction dir: queued
 * whole (MEMLINK_TSO) or cut into segments of gso_size (MEMLINK_TSO_CUT). */
static inline void memlink_push_gso(struct memlink *l, int dir, const uint8_t *pkt, size_t len, uint16_t gso_size)
{
    struct wire_tcp_view v;
    l->supers++;
    if (wire_tcp_view(pkt, len, &v)) l->super_segs += (v.plen + gso_size - 1) / gso_size;
    if (l->tso != MEMLINK_TSO_CUT) {
        memlink_push(l, dir, pkt, len);
        return;
    }
    l->cut_dir = dir;
    if (wire_tcp_segment(pkt, len, gso_size, true, l->cut_buf, l->mtu, memlink_cut_one, l) < 0) l->dropped++;
}

/* Hands every queued packet of direction dir to stack st. */
static inline void memlink_deliver(struct memlink *l, int dir, synack_stack *st, uint64_t now)
{
    struct memlink_dir *d = &l->dir[dir];
    d->tail_open = false; /* delivered packets are gone: nothing joins them */
    bool was_busy = l->busy[dir];
    l->now = now;
    l->busy[dir] = true;
    while (d->count) {
        unsigned i = d->head;
        d->head = (d->head + 1) % MEMLINK_SLOTS;
        d->count--;
        synack_stack_input(st, d->data + (size_t)i * l->slot_bytes, d->len[i], now);
        /* Packets the input emitted back into this direction (none in a
         * two-stack link: a stack's output goes the other way). */
    }
    /* Empty: start again at the first slot, as a driver hands out its
     * recently used (cache-warm) buffers first. Cycling through all the
     * slots instead walks 1024 slots of cold memory (65 MB of 64 KB slots,
     * a page fault per page on the first pass), which measured the link,
     * not the stacks. */
    d->head = 0;
    l->busy[dir] = was_busy;
}

/* Names the stacks (for direct delivery): a takes direction 0, b 1. */
static inline void memlink_attach(struct memlink *l, synack_stack *a, synack_stack *b)
{
    l->stack[0] = a;
    l->stack[1] = b;
}

/* Polls stack `side` (0: a, 1: b) at now, marked as inside a call. */
static inline uint64_t memlink_poll(struct memlink *l, int side, uint64_t now)
{
    l->now = now;
    l->busy[side] = true;
    uint64_t next = synack_stack_poll(l->stack[side], now);
    l->busy[side] = false;
    return next;
}

#endif
