/*
 * tcp_input.c — a segment arrives for a known connection.
 *
 * Owns: RFC 9293 3.10.7.3 (SYN-SENT) and 3.10.7.4 (the other states).
 * tcp_validate_incoming() decides whether a segment is acceptable, in the
 * RFCs' order: PAWS R1 (RFC 7323 5.3), the sequence check (trimming to the
 * window), R3 (TS.Recent), RST (with RFC 5961 3), SYN (RFC 5961 4), the ACK
 * checks (RFC 5961 5). Then an acceptable segment is processed: its ACK
 * (handshake completion, sender side with RFC 6298 / 5681 / 6582, window
 * update, our FIN's states), text, FIN. URG is accepted and ignored: urgent
 * data is delivered inline (RFC 6093), the pointer never moves a data
 * pointer. Must not touch: tables, listeners (the stack demultiplexes and
 * handles LISTEN and CLOSED), timers' expiry.
 *
 * Every step returns STEP_CONTINUE or STEP_DONE (the segment is consumed);
 * tcp_input flushes output once at the end, so one input makes at most one
 * burst of segments (ACK coalesced with any data now allowed).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"

enum step { STEP_CONTINUE, STEP_DONE };

/* A segment after trimming to the receive window: what is left of it. */
struct seg_view {
    const struct tcp_repr *hdr;
    uint32_t seq;            /* first sequence number kept */
    const uint8_t *data;
    uint32_t len;            /* payload bytes kept */
    bool syn, fin;           /* SYN / FIN still inside the kept part */
};

static uint32_t seg_len(const struct tcp_repr *s)
{
    return (uint32_t)s->payload_len + ((s->flags & TCP_SYN) ? 1u : 0u) + ((s->flags & TCP_FIN) ? 1u : 0u);
}

/* Challenge ACKs (RFC 5961 7) are limited per connection: at most one per
 * 500 ms, as Linux's per-socket tcp_invalid_ratelimit. */
static void challenge_ack(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->last_challenge && env->now - c->last_challenge < 500000) return;
    c->last_challenge = env->now ? env->now : 1;
    env->ctr->challenge_acks++;
    tcp_send_ack(env, c);
}

/* Memory an orphan no longer needs: once our FIN is acknowledged the send
 * buffer is empty for good, and nobody will read the receive buffer of a
 * closed socket. A TIME_WAIT connection keeps only its small struct. */
static void trim_memory(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->sndbuf.len == 0 && c->fin_queued && seq_gt(c->snd_una, c->fin_seq)) {
        bytebuf_release(&c->sndbuf, env->pool);
        c->sndbuf.cap = 0;
    }
    if (c->sd < 0) {
        bytebuf_release(&c->rcvbuf, env->pool);
        c->rcvbuf.cap = 0;
    }
}

static void enter_time_wait(struct tcp_env *env, struct tcp_conn *c)
{
    if (env->ctr->curr_time_wait >= env->tunables->max_tw) {
        /* Bounded TIME_WAIT memory: skip it, as Linux does on overflow,
         * but ACK the peer's FIN first (Linux has sent that ACK before
         * tcp_time_wait runs): else the peer's LAST_ACK lingers and
         * retransmits its FIN into a reset, or meets our next SYN on the
         * same 4-tuple. */
        env->ctr->tw_overflows++;
        if (c->ack_now) {
            tcp_send_ack(env, c);
            c->ack_now = false;
        }
        tcp_set_state(env, c, SYNACK_CLOSED);
        return;
    }
    tcp_set_state(env, c, SYNACK_TIME_WAIT);
    trim_memory(env, c);
    tcp_timer_set(env, c, TCP_T_RTX, TIMER_NEVER);
    tcp_timer_set(env, c, TCP_T_DELACK, TIMER_NEVER);
    c->persist = false;
    tcp_timer_set(env, c, TCP_T_WAIT, env->now + 2ull * env->tunables->msl_ms * 1000u);
}

/* ---- SYN-SENT (RFC 9293 3.10.7.3) ------------------------------------- */
static void input_syn_sent(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s)
{
    bool ack = s->flags & TCP_ACK;
    /* First: the ACK must acknowledge our SYN, nothing less or more (H-56). */
    if (ack && (seq_leq(s->ack, c->iss) || seq_gt(s->ack, c->snd_max))) {
        /* The peer answered an older SYN (a stale half-open connection
         * that our RST now clears): resend our SYN almost at once rather
         * than after the whole initial RTO, as Linux does when no
         * retransmission has happened yet (tcp_rcv_synsent_state_process:
         * TCP_TIMEOUT_MIN). */
        if (c->backoff == 0 && !(s->flags & TCP_RST)) {
            c->syn_rtx_early = true;
            tcp_timer_set(env, c, TCP_T_RTX, env->now + TCP_TIMEOUT_MIN_US);
        }
        tcp_send_rst(env, c, s);
        return;
    }
    /* Second: RST is acceptable only with an acceptable ACK (H-52). */
    if (s->flags & TCP_RST) {
        if (ack) tcp_abort(env, c, ECONNREFUSED);
        return;
    }
    /* Fourth: SYN. */
    if (!(s->flags & TCP_SYN)) return;
    c->irs = s->seq;
    c->rcv_nxt = s->seq + 1;
    c->rcv_adv = c->rcv_nxt + tcp_rcv_window_avail(c);
    tcp_negotiate(env, c, s);
    /* ECN (RFC 3168 6.1.1): our SYN asked; a SYN|ACK agrees with ECE alone
     * (ECE with CWR is a peer reflecting our flags), a crossing SYN with
     * both. Otherwise the connection goes without. */
    if (c->ecn_ok) {
        uint8_t e = s->flags & (TCP_ECE | TCP_CWR);
        c->ecn_ok = ack ? e == TCP_ECE : e == (TCP_ECE | TCP_CWR);
    }
    c->snd_wnd = s->window;                 /* SYN windows are never scaled */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = s->ack;
    if (ack) {
        if (c->rtt_start && seq_geq(s->ack, c->rtt_seq))
            tcp_rtt_sample(env, c, (uint32_t)(env->now - c->rtt_start));
        c->rtt_start = 0;
        c->snd_una = s->ack;
        c->backoff = 0;
        tcp_timer_set(env, c, TCP_T_RTX, TIMER_NEVER);
        tcp_set_state(env, c, SYNACK_ESTABLISHED);
        c->ack_now = true;
        /* Data or FIN carried by a SYN|ACK are rare; they are not queued
         * here and the peer retransmits them after our ACK. */
    } else {
        /* Simultaneous open: answer SYN|ACK with the same ISS. */
        c->snd_nxt = c->iss;
        tcp_timer_set(env, c, TCP_T_RTX, TIMER_NEVER);
        tcp_set_state(env, c, SYNACK_SYN_RCVD);
    }
}

static void paws_remember(struct tcp_conn *c, const struct tcp_repr *s);

/* D-SACK (RFC 2883): data we already had arrived again; the next ACK
 * reports it first among its SACK blocks, so the sender can tell a spurious
 * retransmission. */
static void note_dsack(struct tcp_env *env, struct tcp_conn *c, uint32_t start, uint32_t end)
{
    struct tcp_xfer *x;
    if (!c->sack_ok || !env->tunables->dsack || !(x = tcp_xfer_need(env, c))) return;
    x->dsack_start = start;
    x->dsack_end = end;
    c->dsack_pending = true;
    c->ack_now = true;
    env->ctr->dsacks_sent++;
}

/* ---- Step 1: sequence number ------------------------------------------ */
static enum step step_check_sequence(struct tcp_env *env, struct tcp_conn *c, struct seg_view *v)
{
    const struct tcp_repr *s = v->hdr;
    uint32_t len = seg_len(s);
    uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    bool ok;
    if (len == 0)
        ok = wnd == 0 ? s->seq == c->rcv_nxt : seq_in(s->seq, c->rcv_nxt, c->rcv_nxt + wnd);
    else
        ok = wnd != 0 && (seq_in(s->seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
                          seq_in(s->seq + len - 1, c->rcv_nxt, c->rcv_nxt + wnd));
    /* A zero window still takes the exact next ACK/RST/FIN-less segment. */
    if (!ok && wnd == 0 && len > 0 && s->seq == c->rcv_nxt) {
        /* RFC 9293: process ACK and RST, drop the text, say the window is 0. */
        v->seq = s->seq;
        v->data = s->payload;
        v->len = 0;
        c->ack_now = true;
        v->syn = v->fin = false;
        return STEP_CONTINUE;
    }
    /* Simultaneous open (RFC 9293 figure 7): in SYN_RCVD the peer's SYN|ACK
     * repeats its SYN (below RCV.NXT) and acknowledges ours. Take its ACK:
     * the SYN is trimmed off and the segment goes on to the ACK step. */
    if (!ok && c->state == SYNACK_SYN_RCVD && !c->passive && (s->flags & (TCP_SYN | TCP_ACK | TCP_RST)) ==
                                                                    (TCP_SYN | TCP_ACK) &&
        s->seq == c->irs && seq_gt(s->ack, c->snd_una) && seq_leq(s->ack, c->snd_max)) {
        v->seq = s->seq + 1;
        v->data = s->payload;
        v->len = 0;
        v->syn = v->fin = false;
        c->ack_now = true; /* and confirm, as figure 7 and Linux do, */
        note_dsack(env, c, s->seq, s->seq + 1); /* reporting the repeated SYN */
        return STEP_CONTINUE;
    }
    if (!ok) {
        if (s->flags & TCP_RST) return STEP_DONE;
        /* A recent duplicate (it starts less than a window below RCV.NXT:
         * the peer retransmitted what we already had) still gives TS.Recent
         * its fresh TSval, so our answer does not make the peer's RTT
         * sample span its retransmission timeout. A blind segment would
         * have to guess that window, as it would to be accepted. */
        if (seq_lt(s->seq, c->rcv_nxt) && seq_geq(s->seq, c->rcv_nxt - (wnd > TCP_MAX_WINDOW ? wnd : TCP_MAX_WINDOW)))
            paws_remember(c, s);
        /* TIME_WAIT: a retransmitted FIN is ACKed again and restarts 2*MSL. */
        if (c->state == SYNACK_TIME_WAIT && (s->flags & TCP_FIN) && s->seq + len == c->rcv_nxt)
            tcp_timer_set(env, c, TCP_T_WAIT, env->now + 2ull * env->tunables->msl_ms * 1000u);
        /* SYN_RCVD: the peer's SYN again (our SYN|ACK was lost): repeat it
         * (at most every 500 ms) and time the next retransmission from now,
         * with the backoff the timer has reached, as Linux's tcp_check_req. */
        if (c->state == SYNACK_SYN_RCVD && (s->flags & TCP_SYN) && !(s->flags & TCP_ACK) &&
            s->seq == c->irs) {
            if (c->last_challenge && env->now - c->last_challenge < 500000) return STEP_DONE;
            c->last_challenge = env->now ? env->now : 1;
            c->snd_nxt = c->iss;
            tcp_rto_restart(env, c);
            return STEP_DONE;
        }
        /* Out of window: answer with an ACK (H-55). A segment carrying
         * nothing (a pure ACK) is answered at most every 500 ms, as Linux's
         * tcp_oow_rate_limited: two ends whose ACKs each look old to the
         * other must not start an ACK storm. */
        if (len == 0 || (s->flags & TCP_SYN)) challenge_ack(env, c); /* SYN: RFC 5961 4 */
        else {
            c->ack_now = true;
            /* Data we had already: our ACK was probably lost, so ACK at
             * once for a while (Linux's tcp_send_dupack). */
            if (s->payload_len && seq_lt(s->seq, c->rcv_nxt)) tcp_enter_quickack_mode(env, c);
            /* A duplicate, data or a repeated FIN alike, is reported as a
             * D-SACK of what lies below RCV.NXT, as Linux's
             * tcp_send_dupack (not from TIME_WAIT: Linux's TIME_WAIT
             * minisocket answers with a plain ACK). */
            if (seq_lt(s->seq, c->rcv_nxt) && c->state != SYNACK_TIME_WAIT)
                note_dsack(env, c, s->seq, seq_lt(s->seq + len, c->rcv_nxt) ? s->seq + len : c->rcv_nxt);
        }
        return STEP_DONE;
    }
    /* Trim to the window: drop what lies left of RCV.NXT ... */
    v->seq = s->seq;
    v->data = s->payload;
    v->len = (uint32_t)s->payload_len;
    v->syn = s->flags & TCP_SYN;
    v->fin = s->flags & TCP_FIN;
    if (seq_lt(v->seq, c->rcv_nxt)) {
        uint32_t skip = c->rcv_nxt - v->seq;
        if (v->syn) { v->syn = false; skip--; v->seq++; }
        if (skip > v->len) skip = v->len;
        if (skip) note_dsack(env, c, v->seq, v->seq + skip);
        v->data += skip;
        v->len -= skip;
        v->seq += skip;
    }
    /* ... and what lies right of the window (a FIN beyond it goes too). */
    uint32_t room = seq_gt(c->rcv_nxt + wnd, v->seq) ? c->rcv_nxt + wnd - v->seq : 0;
    if (v->len > room) {
        v->len = room;
        v->fin = false;
    }
    return STEP_CONTINUE;
}

/* ---- PAWS (RFC 7323 5.3) R1, before the sequence check ---------------- */
static enum step step_paws(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s)
{
    if (!c->ts_ok || !s->opt.has_timestamp) return STEP_CONTINUE;
    if ((s->flags & TCP_RST) == 0 && seq_lt(s->opt.ts_val, c->ts_recent)) {
        /* R1: an old duplicate. Drop it and ACK (rate-limited like a
         * challenge ACK, as Linux's tcp_oow_rate_limited). */
        challenge_ack(env, c);
        return STEP_DONE;
    }
    return STEP_CONTINUE;
}

/* R3 (RFC 7323 5.3), only after the sequence check: remember the newest
 * TSval of an acceptable segment that starts at or before the ACK we last
 * sent. Before that check a blind segment far outside the window could set
 * TS.Recent to a huge value, and PAWS would then drop the real peer. */
static void paws_remember(struct tcp_conn *c, const struct tcp_repr *s)
{
    if (!c->ts_ok || !s->opt.has_timestamp) return;
    if (seq_leq(s->seq, c->rcv_wup) && seq_geq(s->opt.ts_val, c->ts_recent)) c->ts_recent = s->opt.ts_val;
}

/* ---- Step 2: RST (RFC 9293 + RFC 5961 3, RFC 1337) -------------------- */
static enum step step_rst(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s)
{
    if (!(s->flags & TCP_RST)) return STEP_CONTINUE;
    if (c->state == SYNACK_TIME_WAIT) return STEP_DONE;   /* RFC 1337 fix 1 (H-58) */
    if (s->seq != c->rcv_nxt) {
        challenge_ack(env, c);                            /* in window, not exact */
        return STEP_DONE;
    }
    switch (c->state) {
    case SYNACK_SYN_RCVD:
        /* Passive: the half-open connection just goes away (the listener
         * stays). Active (simultaneous open): connection refused. */
        tcp_abort(env, c, c->passive ? 0 : ECONNREFUSED);
        break;
    case SYNACK_CLOSING:
    case SYNACK_LAST_ACK:
        tcp_set_state(env, c, SYNACK_CLOSED);
        break;
    default:
        tcp_abort(env, c, ECONNRESET);
        break;
    }
    return STEP_DONE;
}

/* ---- Step 4: SYN in a synchronized state (RFC 5961 4) ------------------ */
static enum step step_syn(struct tcp_env *env, struct tcp_conn *c, const struct seg_view *v)
{
    if (!v->syn) return STEP_CONTINUE;
    if (c->state == SYNACK_SYN_RCVD && c->passive && !(v->hdr->flags & TCP_ACK)) {
        /* RFC 9293: a SYN in SYN-RECEIVED from a passive open returns the
         * connection to LISTEN, i.e. drops the half-open connection. */
        tcp_abort(env, c, 0);
        return STEP_DONE;
    }
    challenge_ack(env, c);
    return STEP_DONE;
}

/* ACK of new data: free the send buffer and sample the RTT. Returns the
 * RTT sample taken from the timed segment (0: none). */
static uint32_t ack_new_data(struct tcp_env *env, struct tcp_conn *c, uint32_t ack)
{
    uint32_t acked = ack - c->snd_una;
    uint32_t rtt = 0;
    if (c->x) c->x->bytes_acked += acked; /* taken when the data or FIN was queued */
    /* Bytes of the send buffer now acknowledged (SYN and FIN are not in it). */
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    uint32_t upto = seq_lt(ack, data_end) ? ack : data_end;
    if (seq_gt(upto, c->snd_buf_seq)) {
        bytebuf_drop(&c->sndbuf, env->pool, upto - c->snd_buf_seq);
        c->snd_buf_seq = upto;
    }
    c->snd_una = ack;
    if (seq_lt(c->snd_nxt, ack)) c->snd_nxt = ack;
    if (c->rtt_start && seq_geq(ack, c->rtt_seq)) {
        rtt = (uint32_t)(env->now - c->rtt_start);
        tcp_rtt_sample(env, c, rtt);
        c->rtt_start = 0;
    }
    c->backoff = 0;
    /* RFC 6298 5.2/5.3: stop the timer when all is ACKed, else restart it. */
    c->persist = false;
    if (c->snd_una == c->snd_max) tcp_timer_set(env, c, TCP_T_RTX, TIMER_NEVER);
    else tcp_timer_set(env, c, TCP_T_RTX, env->now + c->rto);
    return rtt;
}

/* ---- Step 5: ACK, the checks (RFC 9293 + RFC 5961 5) ------------------ */
static enum step check_ack(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s)
{
    if (!(s->flags & TCP_ACK)) return STEP_DONE;
    uint32_t ack = s->ack;
    if (c->state == SYNACK_SYN_RCVD) {
        /* It must acknowledge our SYN|ACK, else RST (RFC 9293). */
        if (seq_gt(ack, c->snd_una) && seq_leq(ack, c->snd_max)) return STEP_CONTINUE;
        tcp_send_rst(env, c, s);
        return STEP_DONE;
    }
    /* RFC 5961 5.2: acceptable ACKs lie in [SND.UNA - MAX.SND.WND, SND.NXT]. */
    if (seq_gt(ack, c->snd_max) || seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
        challenge_ack(env, c);
        return STEP_DONE;
    }
    return STEP_CONTINUE;
}

/* SYN_RCVD -> ESTABLISHED: the ACK of our SYN|ACK (already checked). */
static void complete_handshake(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s)
{
    uint32_t ack = s->ack;
    if (c->rtt_start && seq_geq(ack, c->rtt_seq))
        tcp_rtt_sample(env, c, (uint32_t)(env->now - c->rtt_start));
    c->rtt_start = 0;
    c->snd_una = ack;
    c->backoff = 0;
    c->snd_wnd = (uint32_t)s->window << c->snd_wscale;
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = ack;
    tcp_timer_set(env, c, TCP_T_RTX, TIMER_NEVER);
    tcp_set_state(env, c, SYNACK_ESTABLISHED);
    if (c->passive) env->established(env, c);
}

/* The sender side of an acceptable ACK: new data acknowledged (RTT sample,
 * congestion window, NewReno) or a duplicate ACK (RFC 5681 2). */
static void ack_sender_side(struct tcp_env *env, struct tcp_conn *c, const struct seg_view *v, uint32_t seg_wnd)
{
    const struct tcp_repr *s = v->hdr;
    uint32_t ack = s->ack;
    if (seq_gt(ack, c->snd_una)) {
        /* Every ACK of new data is an RTT sample, as Linux's
         * tcp_ack_update_rtt: first from when the oldest newly acknowledged
         * byte was sent, to the microsecond, unless it may have been resent
         * (Karn); else (RFC 7323 4) from the echoed timestamp, whose clock
         * ticks in milliseconds (a sub-millisecond RTT reads as 1 ms: on a
         * fast path that would hold the pacing rate to a window per ms). */
        uint32_t rtt = tcp_recovery_sent_rtt(env, c, c->snd_una);
        if (rtt) {
            tcp_rtt_sample(env, c, rtt);
            c->rtt_start = 0;
        } else if (c->ts_ok && s->opt.has_timestamp && s->opt.ts_ecr != 0) {
            uint32_t rtt_ms = tcp_ts_now(env, c) - s->opt.ts_ecr;
            if (rtt_ms < 3600000u) {
                rtt = rtt_ms ? rtt_ms * 1000u : 1000u;
                tcp_rtt_sample(env, c, rtt);
                c->rtt_start = 0;
            }
        }
        uint32_t prior_una = c->snd_una;
        uint32_t timed = ack_new_data(env, c, ack);
        tcp_recovery_on_ack(env, c, s, prior_una, timed ? timed : rtt, false);
    } else if (ack == c->snd_una && v->len == 0 && !v->fin && seg_wnd == c->snd_wnd &&
               c->snd_una != c->snd_max && !(s->flags & (TCP_SYN | TCP_FIN))) {
        /* Duplicate ACK (RFC 5681 2). */
        tcp_recovery_on_ack(env, c, s, c->snd_una, 0, true);
    } else if (ack == c->snd_una && (s->opt.sack_count || (c->ecn_ok && (s->flags & TCP_ECE) &&
                                                           c->snd_una != c->snd_max))) {
        /* Not a duplicate by RFC 5681's definition (it carries data or a
         * window change) but its SACK blocks still inform the scoreboard,
         * and an ECN echo still asks for a reduction. */
        tcp_recovery_on_ack(env, c, s, c->snd_una, 0, false);
    } else if (seq_lt(ack, c->snd_una) && c->sack_ok && s->opt.sack_count && c->snd_una != c->snd_max) {
        /* An ACK older than SND.UNA (overtaken by a later one on the way)
         * still says with its SACK blocks what arrived: as Linux's old_ack
         * path, the scoreboard takes them and finds losses (which the
         * output then resends), but the window does not move: neither an
         * ECN echo nor PRR counts what it delivered. */
        struct tcp_repr old = *s;
        old.flags = (uint8_t)(old.flags & ~TCP_ECE);
        uint32_t cwnd = c->cwnd, prr_delivered = tcp_xr(c)->prr_delivered;
        bool was = c->in_recovery;
        tcp_recovery_on_ack(env, c, &old, c->snd_una, 0, false);
        if (c->in_recovery && c->x) {
            c->cwnd = cwnd;
            c->x->prr_delivered = was ? prr_delivered : 0;
        }
    }
    tcp_pacing_update(env, c);
}

/* Window update (RFC 9293 3.10.7.4, fifth step, SND.WL1/WL2 rule). */
static void ack_window_update(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s,
                              uint32_t seg_wnd, uint32_t old_wnd)
{
    if (!(seq_lt(c->snd_wl1, s->seq) || (c->snd_wl1 == s->seq && seq_leq(c->snd_wl2, s->ack)))) return;
    c->snd_wnd = seg_wnd;
    if (c->snd_wnd > c->max_snd_wnd) c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = s->seq;
    c->snd_wl2 = s->ack;
    if (c->snd_wnd > old_wnd && c->persist) {
        /* The window opened: the persist timer has done its job. */
        c->persist = false;
        c->backoff = 0;
        tcp_timer_set(env, c, TCP_T_RTX, TIMER_NEVER);
    }
}

/* Our FIN acknowledged: FIN_WAIT_1, CLOSING and LAST_ACK move on. */
static enum step ack_fin_states(struct tcp_env *env, struct tcp_conn *c)
{
    if (!(c->fin_queued && seq_gt(c->snd_una, c->fin_seq))) return STEP_CONTINUE;
    switch (c->state) {
    case SYNACK_FIN_WAIT_1:
        tcp_set_state(env, c, SYNACK_FIN_WAIT_2);
        if (c->sd < 0)
            tcp_timer_set(env, c, TCP_T_WAIT, env->now + (uint64_t)env->tunables->fin_timeout_ms * 1000u);
        return STEP_CONTINUE;
    case SYNACK_CLOSING:
        enter_time_wait(env, c);
        return STEP_CONTINUE;
    case SYNACK_LAST_ACK:
        tcp_set_state(env, c, SYNACK_CLOSED);
        return STEP_DONE;
    default:
        return STEP_CONTINUE;
    }
}

/* ---- Step 5: ACK, processing an acceptable one -------------------------- */
static enum step step_ack(struct tcp_env *env, struct tcp_conn *c, const struct seg_view *v)
{
    const struct tcp_repr *s = v->hdr;
    if (c->state == SYNACK_SYN_RCVD) {
        complete_handshake(env, c, s);
        return STEP_CONTINUE;
    }
    /* TIME_WAIT: a bare ACK exactly at RCV.NXT restarts 2*MSL, as Linux's
     * tcp_timewait_state_process (the peer is still there; keep its
     * 4-tuple until it has gone quiet). */
    if (c->state == SYNACK_TIME_WAIT && v->len == 0 && !v->fin && s->seq == c->rcv_nxt)
        tcp_timer_set(env, c, TCP_T_WAIT, env->now + 2ull * env->tunables->msl_ms * 1000u);
    c->probes_out = 0; /* the peer is alive: it answers */
    uint32_t old_wnd = c->snd_wnd;
    uint32_t seg_wnd = (uint32_t)s->window << c->snd_wscale;
    bool old_ack = seq_lt(s->ack, c->snd_una);
    ack_sender_side(env, c, v, seg_wnd);
    ack_window_update(env, c, s, seg_wnd, old_wnd);
    /* ECN receiver: the peer's CWR ends our ECE (RFC 3168 6.1.3), on a pure
     * ACK too, as Linux; one that carries data is ACKed at once (the
     * peer's window may be down to a segment). Not from an old ACK. */
    if (c->ecn_ok && (s->flags & TCP_CWR) && !old_ack) {
        c->ecn_demand_cwr = false;
        if (v->hdr->payload_len || (s->flags & TCP_FIN)) c->ack_now = true;
    }
    return ack_fin_states(env, c);
}

/* The peer's FIN has been reached in sequence (RFC 9293, eighth step). */
static void fin_reached(struct tcp_env *env, struct tcp_conn *c)
{
    c->rcv_nxt++;
    c->peer_fin = true;
    c->fin_pending = false;
    c->ack_sched = true;
    switch (c->state) {
    case SYNACK_SYN_RCVD:
    case SYNACK_ESTABLISHED:
        /* As Linux's tcp_fin: the application will likely answer (close),
         * so the connection turns interactive and the ACK of the FIN waits
         * for ato to ride on our reply. */
        c->pingpong = true;
        tcp_set_state(env, c, SYNACK_CLOSE_WAIT);
        break;
    case SYNACK_FIN_WAIT_1:
        c->ack_now = true;
        tcp_set_state(env, c, SYNACK_CLOSING);
        break;
    case SYNACK_FIN_WAIT_2:
        c->ack_now = true;
        enter_time_wait(env, c);
        break;
    default:
        break;
    }
}

/* ---- Delayed ACKs (RFC 1122 4.2.3.2, RFC 9293 3.8.6.3), as Linux 6.x --
 * Arriving data schedules an ACK (ack_sched). It goes at once in quickack
 * mode (the first 16 ACKs of a connection, or after a long silence or a
 * retransmission from the peer) unless the connection is interactive
 * (pingpong: we answered the last data within ato, or the peer's FIN came);
 * at once when more than one full segment is unacknowledged and the window
 * we would offer is no smaller than the last (else the application's read
 * will send it); otherwise after ato, which starts at delack_ms and follows
 * the peer's pace, at most delack_max_ms and the smoothed RTT. */
static uint32_t ato_min(const struct tcp_env *env) { return env->tunables->delack_ms * 1000u; }

static uint32_t ato_max(const struct tcp_env *env)
{
    uint32_t max = env->tunables->delack_max_ms;
    return (max > env->tunables->delack_ms ? max : env->tunables->delack_ms) * 1000u;
}

static uint32_t last_window(const struct tcp_conn *c)
{
    return seq_gt(c->rcv_adv, c->rcv_wup) ? c->rcv_adv - c->rcv_wup : 0;
}

/* The number of ACKs to send at once: half the window in segments, at
 * least 2, at most 16 (Linux's TCP_MAX_QUICKACKS); never lowered here. */
static void incr_quickack(struct tcp_conn *c)
{
    uint32_t q = last_window(c) / (2u * (c->rcv_mss ? c->rcv_mss : 536u));
    if (q == 0) q = 2;
    if (q > 16) q = 16;
    if (q > c->quick_acks) c->quick_acks = (uint8_t)q;
}

void tcp_enter_quickack_mode(struct tcp_env *env, struct tcp_conn *c)
{
    incr_quickack(c);
    c->pingpong = false;
    c->ato = ato_min(env);
}

/* Quickack mode for at most two more ACKs (Linux's
 * tcp_enter_quickack_mode(sk, 2)). */
static void enter_quickack_two(struct tcp_env *env, struct tcp_conn *c)
{
    uint8_t before = c->quick_acks;
    tcp_enter_quickack_mode(env, c);
    if (c->quick_acks > 2 && c->quick_acks > before) c->quick_acks = before > 2 ? before : 2;
}

/* ECN receiver (RFC 3168 6.1.3, as Linux's tcp_ecn_check_ce), for data in
 * order or out of order: a CE mark starts ECE on our ACKs until the peer's
 * CWR, and the first ACKs go at once (the sender's window may be small);
 * a Not-ECT segment after ECT ones is likely a retransmission, also ACKed
 * at once. Only on a connection that negotiated ECN. */
static void ecn_check_ce(struct tcp_env *env, struct tcp_conn *c)
{
    if (!c->ecn_ok) return;
    switch (env->rx_ecn & IP_ECN_MASK) {
    case IP_ECN_NOT_ECT:
        if (c->ecn_seen) enter_quickack_two(env, c);
        break;
    case IP_ECN_CE:
        env->ctr->ecn_ce_received++;
        if (!c->ecn_demand_cwr) {
            enter_quickack_two(env, c);
            c->ecn_demand_cwr = true;
        }
        c->ecn_seen = true;
        break;
    default:
        c->ecn_seen = true;
        break;
    }
}

/* The peer's segment size as its segments show it (Linux's
 * tcp_measure_rcv_mss); a small or pushed segment marks the ACK "pushed". */
static void init_rcv_mss(struct tcp_conn *c)
{
    if (c->rcv_mss) return;
    /* First guess (Linux's tcp_initialize_rcv_mss): the smaller MSS, at
     * most half the window and 536, at least 88. */
    uint32_t hint = c->adv_mss < c->snd_mss ? c->adv_mss : c->snd_mss;
    if (hint > last_window(c) / 2) hint = last_window(c) / 2;
    if (hint > 536) hint = 536;
    c->rcv_mss = (uint16_t)(hint < 88 ? 88 : hint);
}

static void measure_rcv_mss(struct tcp_conn *c, const struct tcp_repr *s, uint32_t len)
{
    init_rcv_mss(c);
    uint32_t lss = c->last_seg_size;
    c->last_seg_size = 0;
    if (len >= c->rcv_mss) {
        c->rcv_mss = (uint16_t)(len < c->adv_mss ? len : c->adv_mss);
    } else {
        /* A segment at least 536 bytes long, or an unpushed one of at least
         * 88 (a sender sends a full one then), is a candidate; seen twice
         * in a row it becomes the segment size. */
        if (len >= 536 || (len >= 88 && !(s->flags & (TCP_PSH | TCP_URG | TCP_FIN | TCP_RST | TCP_SYN)))) {
            c->last_seg_size = (uint16_t)len;
            if (len == lss) {
                c->rcv_mss = (uint16_t)len;
                if (!(s->flags & TCP_PSH)) return;
            }
        }
        if (c->ack_pushed) c->ack_pushed2 = true;
        c->ack_pushed = true;
        return;
    }
    /* Linux 6.18 also treats a full-sized segment with PSH as pushed: the
     * application's read that drains the buffer ACKs it (measured). */
    if (s->flags & TCP_PSH) {
        if (c->ack_pushed) c->ack_pushed2 = true;
        c->ack_pushed = true;
    }
}

/* In-order data arrived (Linux's tcp_event_data_recv): adapt ato to the
 * time between arrivals; the first data starts quickack mode, and so does
 * data after a silence longer than the RTO. */
static void data_received(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s, uint32_t len)
{
    c->ack_sched = true;
    measure_rcv_mss(c, s, len);
    if (c->ato == 0) {
        incr_quickack(c);
        c->ato = ato_min(env);
    } else {
        uint64_t m = env->now - tcp_xr(c)->last_data_rcv;
        if (m <= ato_min(env) / 2) {
            c->ato = c->ato / 2 + ato_min(env) / 2;
        } else if (m < c->ato) {
            c->ato = c->ato / 2 + (uint32_t)m;
            if (c->ato > c->rto) c->ato = c->rto;
        } else if (m > c->rto) {
            incr_quickack(c);
        }
    }
    if (c->x) c->x->last_data_rcv = env->now; /* taken: data arrived */
}

/* Arms the delayed-ACK timer (Linux's tcp_send_delayed_ack). */
static void send_delayed_ack(struct tcp_env *env, struct tcp_conn *c)
{
    uint32_t ato = c->ato;
    if (ato > ato_min(env)) {
        uint32_t max = c->pingpong || c->ack_pushed ? ato_max(env) : 500000u;
        if (c->srtt) {
            uint32_t rtt = c->srtt > ato_min(env) ? c->srtt : ato_min(env);
            if (rtt < max) max = rtt;
        }
        if (ato > max) ato = max;
    }
    if (ato > ato_max(env)) ato = ato_max(env);
    if (ato == 0) { /* no data yet (a bare FIN): Linux's timer fires at the next tick */
        c->ack_now = true;
        return;
    }
    uint64_t at = env->now + ato;
    uint64_t armed = c->deadline[TCP_T_DELACK];
    if (armed != TIMER_NEVER) {
        if (armed <= env->now + ato / 4) { /* about to expire anyway: ACK now */
            c->ack_now = true;
            return;
        }
        if (at > armed) at = armed;
    }
    tcp_timer_set(env, c, TCP_T_DELACK, at);
}

/* After a segment's data and FIN: ACK now or later (Linux's
 * __tcp_ack_snd_check). */
static void ack_snd_check(struct tcp_env *env, struct tcp_conn *c)
{
    if (!c->ack_sched || c->ack_now) return;
    init_rcv_mss(c);
    bool quick = env->tunables->quickack || (c->quick_acks && !c->pingpong);
    bool two_segments = c->rcv_nxt - c->rcv_wup > c->rcv_mss && tcp_rcv_window_avail(c) >= last_window(c);
    if (quick || two_segments) c->ack_now = true;
    else send_delayed_ack(env, c);
}

void tcp_ack_on_read(struct tcp_conn *c, uint32_t n)
{
    if (!n || !c->ack_sched) return;
    init_rcv_mss(c);
    bool drained = c->rcvbuf.len == 0 && tcp_ooo_count(c) == 0;
    if (c->rcv_nxt - c->rcv_wup > c->rcv_mss ||
        (drained && (c->ack_pushed2 || (c->ack_pushed && !c->pingpong))))
        c->ack_now = true;
}

/* ---- Step 7: segment text --------------------------------------------- */
static enum step step_text(struct tcp_env *env, struct tcp_conn *c, const struct seg_view *v)
{
    if (v->len == 0) return STEP_CONTINUE;
    if (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_FIN_WAIT_1 &&
        c->state != SYNACK_FIN_WAIT_2)
        return STEP_CONTINUE; /* after the peer's FIN there is no more text; ignore it */
    if (c->sd < 0 && c->state != SYNACK_ESTABLISHED) {
        /* Data for a socket the application closed: nobody will ever read
         * it. Abort with RST, as Linux does (TCPAbortOnData). */
        env->ctr->abort_on_data++;
        tcp_app_abort(env, c);
        return STEP_DONE;
    }
    struct tcp_xfer *x = tcp_xfer_need(env, c);
    if (!x) { /* no memory for it: the sender will retransmit */
        env->ctr->rcv_q_drops++;
        return STEP_CONTINUE;
    }
    uint32_t off = v->seq - c->rcv_nxt;         /* >= 0 after trimming */
    uint32_t len = v->len;
    uint32_t space = bytebuf_space(&c->rcvbuf);
    if (off >= space) return STEP_CONTINUE;
    if (len > space - off) len = space - off;   /* never write outside the buffer */
    if (off > 0) {
        /* Out of order: park it and ACK at once so the sender sees the hole
         * (RFC 5681 4.2: duplicate ACKs are not delayed). */
        /* Storage is taken only for a segment the assembler can record,
         * and recorded only once its bytes are all stored. */
        /* The range list itself is taken on the first such segment (an
         * idle or in-order connection never holds one) and kept. */
        ecn_check_ce(env, c);
        if (!x->ooo) x->ooo = calloc(1, sizeof *x->ooo);
        unsigned ranges = asm_limit(c->rcvbuf.cap, c->adv_mss);
        if (x->ooo && asm_can_add(x->ooo, v->seq, v->seq + len, ranges) &&
            bytebuf_write_at(&c->rcvbuf, env->pool, c->rcvbuf.len + off, v->data, len) == len &&
            asm_add(x->ooo, v->seq, v->seq + len, ranges))
            x->sack_latest = v->seq;
        else
            env->ctr->ooo_dropped++;
        c->ack_now = true;
        return STEP_CONTINUE;
    }
    if (env->rx_placed && v->data == v->hdr->payload) /* tcp_rx_place put it there */
        bytebuf_wrote(&c->rcvbuf, c->rcvbuf.len, len);
    else
        len = bytebuf_write_at(&c->rcvbuf, env->pool, c->rcvbuf.len, v->data, len);
    if (len == 0) { /* no memory for it: the sender will retransmit */
        env->ctr->rcv_q_drops++;
        return STEP_CONTINUE;
    }
    /* The offered window grows as data arrives (Linux's tcp_grow_window):
     * by two segments, or twice the data, per in-order segment. */
    if (c->rcv_ssthresh < c->rcvbuf.cap) {
        uint32_t incr = 2u * (len > c->adv_mss ? len : c->adv_mss);
        uint32_t room = c->rcvbuf.cap - c->rcv_ssthresh;
        c->rcv_ssthresh += incr < room ? incr : room;
    }
    uint32_t nxt = c->rcv_nxt + len;
    bool filled = tcp_ooo_count(c) > 0;
    /* Parked ranges that now touch (or lie below) RCV.NXT become readable. */
    while (tcp_ooo_count(c) && seq_leq(x->ooo->r[0].start, nxt)) nxt = asm_take(x->ooo, nxt);
    bytebuf_commit(&c->rcvbuf, nxt - c->rcv_nxt);
    x->bytes_received += nxt - c->rcv_nxt;
    c->rcv_nxt = nxt;
    tcp_rcv_rtt_measure(env, c);
    data_received(env, c, v->hdr, len);
    ecn_check_ce(env, c);
    if (filled) c->ack_now = true; /* a hole was filled: ACK at once (RFC 5681 4.2) */
    if (c->fin_pending && c->peer_fin_seq == c->rcv_nxt) fin_reached(env, c);
    return STEP_CONTINUE;
}

enum tcp_rx_place tcp_rx_place(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg,
                               uint32_t partial)
{
    uint32_t len = (uint32_t)seg->payload_len;
    struct bytebuf *b = &c->rcvbuf;
    /* In order, inside the window, nothing parked beyond RCV.NXT: the
     * bytes' place is certain and no stored byte is overwritten. */
    if (c->state != SYNACK_ESTABLISHED || len == 0 || seg->seq != c->rcv_nxt ||
        (seg->flags & (TCP_SYN | TCP_RST)) || !c->x || !b->ch || b->end != b->len ||
        len > bytebuf_space(b) || !seq_gt(c->rcv_adv, c->rcv_nxt) || len > c->rcv_adv - c->rcv_nxt)
        return TCP_RX_UNPLACED;
    uint64_t sum = partial;
    if (bytebuf_stage_csum(b, env->pool, b->len, seg->payload, len, &sum) != len)
        return TCP_RX_UNPLACED; /* no memory: the slow path decides */
    while (sum >> 32) sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
    return wire_csum_finish((uint32_t)sum) == 0 ? TCP_RX_PLACED : TCP_RX_CORRUPT;
}

/* ---- Step 8: FIN ------------------------------------------------------ */
static void step_fin(struct tcp_env *env, struct tcp_conn *c, const struct seg_view *v)
{
    if (!v->fin) return;
    uint32_t fin_seq = v->seq + v->len;
    if (fin_seq == c->rcv_nxt) {
        if (c->peer_fin) {
            c->ack_now = true;  /* a repeated FIN: ACK it again */
            if (c->state == SYNACK_TIME_WAIT)
                tcp_timer_set(env, c, TCP_T_WAIT, env->now + 2ull * env->tunables->msl_ms * 1000u);
            return;
        }
        fin_reached(env, c);
    } else if (seq_gt(fin_seq, c->rcv_nxt) && !c->peer_fin) {
        c->fin_pending = true;   /* out of order: wait for the data before it */
        c->peer_fin_seq = fin_seq;
    }
}

/* Is this segment acceptable, and what of it is kept? RFC 9293 3.10.7.4's
 * checks in order, with RFC 7323 5.3 (PAWS) and RFC 5961 (blind attacks):
 * PAWS R1, the sequence check (trims v to the window), R3, RST, SYN, ACK.
 * STEP_DONE: the segment was dropped or answered (and maybe ended c). */
static enum step tcp_validate_incoming(struct tcp_env *env, struct tcp_conn *c, struct seg_view *v)
{
    const struct tcp_repr *s = v->hdr;
    if (step_paws(env, c, s) == STEP_DONE) return STEP_DONE;
    if (step_check_sequence(env, c, v) == STEP_DONE) return STEP_DONE;
    if (step_rst(env, c, s) == STEP_DONE) return STEP_DONE;
    if (step_syn(env, c, v) == STEP_DONE) return STEP_DONE;
    if (check_ack(env, c, s) == STEP_DONE) return STEP_DONE;
    /* R3 once the ACK too is acceptable and not older than SND.UNA, as
     * Linux (tcp_ack's tcp_replace_ts_recent): a segment whose ACK covers
     * data never sent, or an overtaken one, does not move TS.Recent. */
    if (!seq_lt(s->ack, c->snd_una)) paws_remember(c, s);
    return STEP_CONTINUE;
}

void tcp_input(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg)
{
    c->last_rcv = env->now;
    c->ka_sent = 0;
    switch (c->state) {
    case SYNACK_CLOSED:
    case SYNACK_LISTEN:
        return;
    case SYNACK_SYN_SENT:
        input_syn_sent(env, c, seg);
        break;
    default: {
        struct seg_view v = {.hdr = seg};
        if (tcp_validate_incoming(env, c, &v) == STEP_DONE) break;
        if (step_ack(env, c, &v) == STEP_DONE) break;
        if (step_text(env, c, &v) == STEP_DONE) break;
        step_fin(env, c, &v);
        ack_snd_check(env, c);
        break;
    }
    }
    if (c->state != SYNACK_CLOSED) tcp_output(env, c);
    env->timer_changed(env, c);
}
