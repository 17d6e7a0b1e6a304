/*
 * analysis.c — Wireshark's TCP analysis of one connection (see analysis.h
 * for the rules).
 */
#include "analysis.h"

#include "render.h"

#define FAST_RETRANS_US 20000u
#define OOO_DEFAULT_US 3000u

static bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }

uint32_t analysis_segment(struct analysis *a, int s, const struct tcp_repr *tcp, uint32_t win, uint64_t now,
                          uint32_t *dup_num)
{
    s = s ? 1 : 0;
    struct analysis_flow *fwd = &a->f[s], *rev = &a->f[1 - s];
    uint32_t seq = tcp->seq, ack = tcp->ack, seglen = (uint32_t)tcp->payload_len;
    uint8_t fl = tcp->flags;
    bool sfr = (fl & (TCP_SYN | TCP_FIN | TCP_RST)) != 0;
    bool has_ack = (fl & TCP_ACK) != 0;
    bool same_seq = fwd->have_next && seq == fwd->nextseq;
    bool same_ack = has_ack && fwd->have_ack && ack == fwd->lastack;
    uint32_t m = 0;

    if (seglen == 1 && same_seq && rev->have_win && rev->win == 0) {
        m |= RENDER_M_ZERO_WINDOW_PROBE;
        goto finished_fwd;
    }
    if (win == 0 && !sfr && has_ack) m |= RENDER_M_ZERO_WINDOW;
    if (fwd->have_next && seq_gt(seq, fwd->nextseq) && !(fl & TCP_RST)) m |= RENDER_M_PREV_NOT_CAPTURED;
    if (seglen <= 1 && !sfr && fwd->have_next && seq == fwd->nextseq - 1) {
        m |= RENDER_M_KEEPALIVE;
        goto finished_fwd;
    }
    if (seglen == 0 && win != 0 && fwd->have_win && win != fwd->win && same_seq && same_ack && !sfr) {
        m |= RENDER_M_WINDOW_UPDATE;
        goto finished_fwd;
    }
    if (seglen > 0 && rev->have_win && rev->have_ack && seq + seglen == rev->lastack + rev->win)
        m |= RENDER_M_WINDOW_FULL;
    if (seglen == 0 && win != 0 && fwd->have_win && win == fwd->win && same_seq && same_ack &&
        (rev->last_marks & RENDER_M_KEEPALIVE) && !sfr) {
        m |= RENDER_M_KEEPALIVE_ACK;
        goto finished_fwd;
    }
    if (seglen == 0 && win == 0 && fwd->have_win && win == fwd->win && same_seq && same_ack &&
        (rev->last_marks & RENDER_M_ZERO_WINDOW_PROBE) && !sfr) {
        m |= RENDER_M_ZERO_WINDOW_PROBE_ACK;
        goto finished_fwd;
    }
    if (seglen == 0 && win != 0 && fwd->have_win && win == fwd->win && same_seq && same_ack && !sfr) {
        fwd->dupacks++;
        *dup_num = fwd->dupacks;
        m |= RENDER_M_DUP_ACK;
    }
finished_fwd:
    if (has_ack && (!fwd->have_ack || ack != fwd->lastack)) fwd->dupacks = 0;
    if (has_ack && !(fl & TCP_RST) && rev->have_next && seq_gt(ack, rev->nextseq)) m |= RENDER_M_ACKED_UNSEEN;

    if ((seglen > 0 || (fl & (TCP_SYN | TCP_FIN))) && fwd->have_next && seq_lt(seq, fwd->nextseq) &&
        !(m & RENDER_M_KEEPALIVE)) {
        uint64_t ooo = a->ooo_us ? a->ooo_us : OOO_DEFAULT_US;
        if (rev->dupacks >= 2 && rev->have_ack && rev->lastack == seq && now - rev->lastack_t < FAST_RETRANS_US)
            m |= RENDER_M_FAST_RETRANS;
        else if (now - fwd->nextseq_t < ooo && fwd->nextseq != seq + seglen)
            m |= RENDER_M_OUT_OF_ORDER;
        else if (seglen > 0 && rev->have_ack && seq_leq(seq + seglen, rev->lastack))
            m |= RENDER_M_SPURIOUS;
        else
            m |= RENDER_M_RETRANS;
        if (m & (RENDER_M_FAST_RETRANS | RENDER_M_SPURIOUS)) m |= RENDER_M_RETRANS;
    }
    if (fl & TCP_RST) m |= RENDER_M_RESET;

    /* Update the sender's flow. */
    uint32_t end = seq + seglen + ((fl & TCP_SYN) ? 1u : 0u) + ((fl & TCP_FIN) ? 1u : 0u);
    if (!fwd->have_next || seq_gt(end, fwd->nextseq)) {
        fwd->have_next = true;
        fwd->nextseq = end;
        fwd->nextseq_t = now;
    }
    if (has_ack) {
        fwd->have_ack = true;
        fwd->lastack = ack;
        fwd->lastack_t = now;
    }
    if (!(fl & (TCP_SYN | TCP_RST))) {
        fwd->have_win = true;
        fwd->win = win;
    }
    fwd->last_marks = m;
    return m;
}
