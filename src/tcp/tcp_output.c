/*
 * tcp_output.c — what a connection sends, and when.
 *
 * Owns: building segments (header fields, options, the advertised window),
 * the send decision for SYN, SYN|ACK, data, FIN and pure ACKs, Nagle's
 * algorithm (RFC 896), sender-side SWS avoidance (RFC 9293 3.8.6.2.1), the
 * congestion and flow-control limits, and arming the retransmission and
 * persist timers. Must not touch: incoming segments (tcp_input.c) or timer
 * expiry (tcp_timer.c).
 */
#include <string.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"
#include "tcp/tcp_sack.h"

/* The window field for an outgoing segment. The right edge we advertise
 * never moves left (RFC 9293 3.8.6.2.2: do not shrink the window). Unscaled,
 * the window follows Linux's whole-segment rules (tcp_select_window_unscaled);
 * scaled, the edge only moves right in steps of at least min(MSS, half the
 * buffer). LAST is the window our previous ACK offered. With
 * window scaling the field is the window >> Rcv.Wind.Shift, rounded up so
 * the edge never appears to shrink (RFC 7323 2.4); SYNs are never scaled. */
static uint16_t advertise_window(struct tcp_conn *c, bool syn, uint32_t last)
{
    if (!syn && c->state >= SYNACK_ESTABLISHED && tcp_rcv_window_unscaled(c)) {
        /* Unscaled: Linux's whole-segment rules; the edge never moves left. */
        uint32_t w = tcp_select_window_unscaled(c, last);
        uint32_t cur = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        if (w < cur) w = cur;
        if (w > TCP_MAX_WINDOW) w = TCP_MAX_WINDOW;
        c->rcv_adv = c->rcv_nxt + w;
        return (uint16_t)w;
    }
    uint32_t avail = tcp_rcv_window_avail(c);
    uint32_t edge = c->rcv_nxt + avail;
    uint32_t promised = seq_lt(c->rcv_adv, c->rcv_nxt) ? c->rcv_nxt : c->rcv_adv;
    uint32_t step = c->rcvbuf.cap / 2 < c->adv_mss ? c->rcvbuf.cap / 2 : c->adv_mss;
    if (seq_lt(c->rcv_adv, c->rcv_nxt)) c->rcv_adv = c->rcv_nxt;
    if (seq_gt(edge, c->rcv_adv) && (edge - c->rcv_adv >= step || avail == c->rcvbuf.cap ||
                                     c->rcv_adv == c->rcv_nxt))
        c->rcv_adv = edge;
    uint32_t w = c->rcv_adv - c->rcv_nxt;
    if (syn) {
        if (w > TCP_MAX_WINDOW) w = TCP_MAX_WINDOW;
        c->rcv_adv = c->rcv_nxt + w;
        return (uint16_t)w;
    }
    uint8_t shift = c->ws_ok ? c->rcv_wscale : 0;
    uint32_t field = w >> shift;
    if (seq_lt(c->rcv_nxt + (field << shift), promised)) field++; /* never shrink */
    if (field > TCP_MAX_WINDOW) field = TCP_MAX_WINDOW;
    c->rcv_adv = c->rcv_nxt + (field << shift);
    return (uint16_t)field;
}

/* SACK blocks for our ACK (RFC 2018 4): the range holding the latest
 * out-of-order segment first, then the others, as many as fit. */
static void add_sack_blocks(struct tcp_conn *c, struct tcp_options *o)
{
    unsigned room = o->has_timestamp ? 3 : 4;
    static const struct assembler none;
    const struct tcp_xfer *x = tcp_xr(c);
    const struct assembler *a = x->ooo ? x->ooo : &none;
    if (c->dsack_pending) {
        /* D-SACK (RFC 2883 4): the duplicate we just received goes first,
         * reported once. */
        o->sack[0].left = x->dsack_start;
        o->sack[0].right = x->dsack_end;
        o->sack_count = 1;
        c->dsack_pending = false;
    }
    for (unsigned i = 0; i < a->count && o->sack_count < room; i++) {
        if (seq_in(x->sack_latest, a->r[i].start, a->r[i].end)) {
            o->sack[o->sack_count].left = a->r[i].start;
            o->sack[o->sack_count].right = a->r[i].end;
            o->sack_count++;
        }
    }
    for (unsigned i = 0; i < a->count && o->sack_count < room; i++) {
        if (seq_in(x->sack_latest, a->r[i].start, a->r[i].end)) continue;
        o->sack[o->sack_count].left = a->r[i].start;
        o->sack[o->sack_count].right = a->r[i].end;
        o->sack_count++;
    }
}

static void fill_header(struct tcp_env *env, struct tcp_conn *c, struct tcp_repr *seg, uint32_t seq,
                        uint8_t flags)
{
    bool syn = flags & TCP_SYN;
    memset(seg, 0, sizeof *seg);
    seg->src_port = c->id.lport;
    seg->dst_port = c->id.rport;
    seg->seq = seq;
    seg->flags = flags;
    /* ECN receiver (RFC 3168 6.1.3): ECE on every segment but a SYN until
     * the peer's CWR, once a CE mark arrived. */
    if (!syn && c->ecn_ok && c->ecn_demand_cwr) seg->flags |= TCP_ECE;
    uint32_t last = c->rcv_adv - c->rcv_wup; /* the window our latest ACK offered */
    if (flags & TCP_ACK) {
        seg->ack = c->rcv_nxt;
        c->rcv_wup = c->rcv_nxt;
    }
    seg->window = advertise_window(c, syn, last);
    struct tcp_options *o = &seg->opt;
    if (syn) {
        /* Linux's order: MSS, SACK-permitted, timestamps, NOP, window scale. */
        bool synack = flags & TCP_ACK;
        o->has_mss = true;
        o->mss = c->adv_mss;
        o->sack_permitted = synack ? c->sack_ok : c->offer_sack;
        o->has_wscale = synack ? c->ws_ok : c->offer_ws;
        o->wscale = c->rcv_wscale;
        o->has_timestamp = synack ? c->ts_ok : c->offer_ts;
    } else {
        o->has_timestamp = c->ts_ok;
    }
    if (o->has_timestamp) {
        o->ts_val = tcp_ts_now(env, c);
        o->ts_ecr = (flags & TCP_ACK) ? c->ts_recent : 0;
    }
}

/* Every segment carrying ACK satisfies any pending ACK obligation. */
static void sent_ack(struct tcp_env *env, struct tcp_conn *c)
{
    c->ack_now = false;
    if (c->ack_sched && c->quick_acks) {
        /* One quick ACK used (Linux's tcp_dec_quickack_mode); leaving
         * quickack mode deflates ato. */
        if (--c->quick_acks == 0) c->ato = env->tunables->delack_ms * 1000u;
    }
    c->ack_sched = c->ack_pushed = c->ack_pushed2 = false;
    if (c->deadline[TCP_T_DELACK] != TIMER_NEVER) tcp_timer_set(env, c, TCP_T_DELACK, TIMER_NEVER);
}

unsigned tcp_rto_shift(const struct tcp_env *env, const struct tcp_conn *c)
{
    unsigned shift = c->backoff;
    if (c->state == SYNACK_SYN_SENT) {
        unsigned linear = env->tunables->syn_linear_timeouts;
        shift = shift > linear ? shift - linear : 0;
    }
    return shift > 16 ? 16 : shift;
}

void tcp_rto_restart(struct tcp_env *env, struct tcp_conn *c)
{
    uint64_t rto = (uint64_t)c->rto << tcp_rto_shift(env, c);
    uint64_t max = (uint64_t)env->tunables->rto_max_ms * 1000u;
    tcp_timer_set(env, c, TCP_T_RTX, env->now + (rto > max ? max : rto));
}

static void arm_rtx(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->deadline[TCP_T_RTX] == TIMER_NEVER || c->persist) {
        c->persist = false;
        tcp_rto_restart(env, c);
    }
}

/* [seq, end) went out in segs segments (more than one: a super-segment
 * the link cuts, counted as the segments it makes, as Linux counts GSO
 * segments). */
static void note_sent(struct tcp_env *env, struct tcp_conn *c, uint32_t seq, uint32_t end, uint32_t segs)
{
    env->ctr->out_segs += segs;
    if (c->x && seq != end) tcp_recovery_on_send(env, c, seq, end);
    if (seq_lt(seq, c->snd_max)) {
        env->ctr->retrans_segs++;
        c->total_retrans++;
        if (c->undo_armed && c->x) c->x->undo_retrans += end - seq, c->x->undo_no_rxt = false;
        if (c->x && (!c->x->rxt_any || seq_gt(end, c->x->rxt_max))) c->x->rxt_max = end;
        if (c->x) c->x->rxt_any = true;
    }
    if (seq_gt(end, c->snd_max)) {
        /* New data: time it unless a sample is running (one per RTT) and
         * never across a retransmission (Karn: rtt_start is cleared then). */
        if (c->rtt_start == 0 && c->backoff == 0) {
            c->rtt_start = env->now ? env->now : 1;
            c->rtt_seq = end;
        }
        c->snd_max = end;
    }
}

static void send_syn(struct tcp_env *env, struct tcp_conn *c, bool with_ack)
{
    struct tcp_repr seg;
    fill_header(env, c, &seg, c->iss, with_ack ? (TCP_SYN | TCP_ACK) : TCP_SYN);
    /* ECN negotiation (RFC 3168 6.1.1), as Linux: the SYN asks with ECE
     * and CWR, its retransmissions without (a path that drops such SYNs
     * still connects, tcp_ecn_fallback); the SYN|ACK agrees with ECE. No
     * SYN ever goes ECT. */
    if (c->ecn_ok && !with_ack && c->snd_max == c->iss) seg.flags |= TCP_ECE | TCP_CWR;
    if (c->ecn_ok && with_ack) seg.flags |= TCP_ECE;
    env->emit(env, c, &seg);
    note_sent(env, c, c->iss, c->iss + 1, 1);
    c->snd_nxt = c->iss + 1;
    if (with_ack) sent_ack(env, c);
    arm_rtx(env, c);
}

/* push: PSH even when the segment does not end the queued data. gso > 0:
 * [seq, seq + len) goes as one super-segment of segments of gso bytes (the
 * last may be shorter) for the link to cut (TSO): one header, one checksum
 * summed while the payload is copied, the flags of the whole run (the link
 * keeps CWR on the first segment only, PSH and FIN on the last), and the
 * bookkeeping of every segment in it. */
static void send_segment(struct tcp_env *env, struct tcp_conn *c, uint32_t seq, uint32_t len, bool push,
                         uint32_t gso)
{
    struct tcp_repr seg;
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    uint8_t flags = TCP_ACK;
    /* PSH at the end of the queued data, and, as Linux's forced_push, on
     * new data running more than half the peer's largest window past the
     * last push (so a receiver that waits for PSH still gets data). */
    if (len && seq_geq(seq, c->snd_max) && seq_gt(seq + len, c->pushed_seq + c->max_snd_wnd / 2)) push = true;
    if (len && (push || seq + len == data_end)) flags |= TCP_PSH;
    if (flags & TCP_PSH) c->pushed_seq = seq + len;
    bool fin = c->fin_queued && seq + len == c->fin_seq;
    if (fin) flags |= TCP_FIN;
    fill_header(env, c, &seg, seq, flags);
    /* ECN sender (RFC 3168 6.1.2, 6.1.5; Linux's tcp_ecn_send): new data
     * goes ECT(0), and the first new data after a reduction carries CWR;
     * retransmissions, pure ACKs, probes and a bare FIN go Not-ECT. */
    if (c->ecn_ok && len && seq_geq(seq, c->snd_max)) {
        env->tx_ecn = IP_ECN_ECT0;
        if (c->ecn_queue_cwr) {
            seg.flags |= TCP_CWR;
            c->ecn_queue_cwr = false;
        }
    }
    if (len) {
        /* Copy the bytes once, from the send buffer to where the packet's
         * payload goes; emit then finds them in place. */
        uint8_t *dst = env->payload_at(env, tcp_header_len(&seg.opt));
        if (env->checksum_offload) {
            bytebuf_read_at(&c->sndbuf, seq - c->snd_buf_seq, dst, len);
        } else {
            /* The checksum of the payload is computed in the same pass. */
            env->payload_sum = bytebuf_read_at_csum(&c->sndbuf, seq - c->snd_buf_seq, dst, len);
            env->payload_summed = true;
        }
        seg.payload = dst;
    }
    seg.payload_len = len;
    uint32_t segs = 1, last = len;
    if (gso && len > gso) {
        segs = (len + gso - 1) / gso;
        last = len - (segs - 1) * gso;
        env->tx_gso_size = (uint16_t)gso;
    }
    env->emit(env, c, &seg);
    env->payload_summed = false;
    env->tx_ecn = IP_ECN_NOT_ECT;
    env->tx_gso_size = 0;
    uint32_t end = seq + len + (fin ? 1 : 0);
    if (last < c->snd_mss) c->snd_sml = end;
    /* Answering data within the delayed-ACK time makes the connection
     * interactive: ACKs will ride on our data (Linux's pingpong mode). */
    if (len && env->now - tcp_xr(c)->last_data_rcv < c->ato) c->pingpong = true;
    note_sent(env, c, seq, end, segs);
    tcp_pacing_sent(env, c, len, segs);
    if (c->x && ((c->in_recovery && tcp_sb(c)) || c->ca_state == TCP_CA_CWR)) c->x->prr_out += len ? len : 1;
    if (seq_gt(end, c->snd_nxt)) c->snd_nxt = end;
    sent_ack(env, c);
    arm_rtx(env, c);
}

void tcp_send_data(struct tcp_env *env, struct tcp_conn *c, uint32_t seq, uint32_t len)
{
    send_segment(env, c, seq, len, false, 0);
}

static void send_bare_ack(struct tcp_env *env, struct tcp_conn *c, uint32_t seq)
{
    struct tcp_repr seg;
    fill_header(env, c, &seg, seq, TCP_ACK);
    if (c->sack_ok && (tcp_ooo_count(c) || c->dsack_pending)) add_sack_blocks(c, &seg.opt);
    env->emit(env, c, &seg);
    env->ctr->out_segs++;
    sent_ack(env, c);
}

/* A pure ACK carries SND.MAX, the highest sequence number sent: after a
 * retransmission timeout rewinds SND.NXT, SND.NXT may lie below what the
 * peer has already received, and an ACK carrying it would be unacceptable
 * there (RFC 9293 3.10.7.4) — its acknowledgment would never be read. */
void tcp_send_ack(struct tcp_env *env, struct tcp_conn *c) { send_bare_ack(env, c, c->snd_max); }

void tcp_send_probe(struct tcp_env *env, struct tcp_conn *c) { send_bare_ack(env, c, c->snd_una - 1); }

/* The usable window: how far past SND.NXT the peer and the network let us go. */
static uint32_t usable_window(const struct tcp_conn *c)
{
    uint32_t edge = c->snd_una + c->snd_wnd;
    uint32_t peer = seq_gt(edge, c->snd_nxt) ? edge - c->snd_nxt : 0;
    uint32_t net = tcp_cwnd_room(c);
    return peer < net ? peer : net;
}

/* Whether the congestion window limits the sender, as Linux's
 * tcp_cwnd_validate and tcp_is_cwnd_limited: after a send that sent
 * something or was held by cwnd, the window's record is renewed when a new
 * window began (SND.UNA passed the previous record's SND.NXT), when cwnd
 * held this send, or when the flight is the window's largest so far and cwnd
 * has not held it. The window may grow when cwnd held the window's sending,
 * or in slow start while it is below twice the window's largest flight (an
 * application that writes one window at a time still doubles it per round,
 * as Linux's upstream slow_start scripts require). */
static void note_cwnd_use(struct tcp_conn *c, bool sent, bool stopped_at_cwnd)
{
    uint32_t flight = c->snd_nxt - c->snd_una;
    bool limited = stopped_at_cwnd || (uint64_t)flight + c->snd_mss > c->cwnd;
    struct tcp_xfer *x = c->x;
    if (!x) {
        c->cwnd_limited = limited;
        return;
    }
    if (!sent && !limited) return;
    if (seq_geq(c->snd_una, x->cwnd_usage_seq) || limited || (!c->cwnd_limited && flight > x->max_flight)) {
        c->cwnd_limited = limited;
        x->max_flight = flight;
        x->cwnd_usage_seq = c->snd_nxt;
    }
}

bool tcp_cwnd_is_limited(const struct tcp_conn *c)
{
    if (c->cwnd_limited) return true;
    return c->x && c->cwnd < c->ssthresh && c->cwnd < 2ull * c->x->max_flight;
}

/* The largest segment we send: the MSS, bounded by half the largest window
 * the peer has offered when that window is small (Linux's
 * tcp_bound_to_half_wnd), so a small window is filled by two segments
 * instead of one segment and a held remainder. */
uint32_t tcp_send_mss(const struct tcp_conn *c)
{
    uint32_t cutoff = c->max_snd_wnd > TCP_DEFAULT_MSS ? c->max_snd_wnd / 2 : c->max_snd_wnd;
    uint32_t floor = 68u - 20u - (c->ts_ok ? 12u : 0u);
    if (cutoff && c->snd_mss > cutoff) return cutoff < floor ? floor : cutoff;
    return c->snd_mss;
}

bool tcp_send_held(struct tcp_env *env, struct tcp_conn *c)
{
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    uint32_t unsent = seq_lt(c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
    uint32_t len = usable_window(c);
    if (unsent == 0 || len == 0) return false;
    if (len > unsent) len = unsent;
    if (len > tcp_send_mss(c)) len = tcp_send_mss(c);
    send_segment(env, c, c->snd_nxt, len, true, 0);  /* PSH, as Linux's tcp_write_wakeup */
    return true;
}

/* Whether Nagle (RFC 896, in Minshall's form as Linux) holds a runt that
 * ends the queued data: only while an earlier runt is unacknowledged. */
static bool nagle_holds(const struct tcp_conn *c)
{
    return !c->nodelay && !c->fin_queued && seq_gt(c->snd_sml, c->snd_una) && seq_leq(c->snd_sml, c->snd_nxt);
}

/* TSO (env->tso_max): a full segment of new data at SND.NXT may take the
 * full segments after it along, and the runt that ends the queued data when
 * the windows take it whole and Nagle lets it go: as many as
 * tcp_tso_autosize gives (about 1 ms at the pacing rate, at most what fits
 * in tso_max), within the usable window. Returns the run's length (mss:
 * no run) and sets *gso to the segment size for a run. Every segment in it
 * is one the loop in send_queued would have sent next, one by one. */
static uint32_t tso_run(const struct tcp_env *env, const struct tcp_conn *c, uint32_t mss, uint32_t unsent,
                        uint32_t usable, uint32_t *gso)
{
    uint32_t hdrs = 20u + (c->ts_ok ? 32u : 20u);
    if (env->tso_max <= hdrs + 2 * mss) return mss;
    uint32_t max_pay = env->tso_max - hdrs;
    uint32_t segs = tcp_tso_autosize(c, mss, max_pay);
    uint32_t room = unsent < usable ? unsent : usable;
    uint32_t n = room / mss;
    if (n > segs) n = segs;
    uint32_t run = n * mss;
    uint32_t tail = unsent - run;
    if (n < segs && room == unsent && tail > 0 && tail < mss && run + tail <= max_pay && !nagle_holds(c))
        run = unsent;
    if (run <= mss) return mss;
    *gso = mss;
    return run;
}

/* Sends new or rewound data and the FIN while windows allow. Returns true
 * when it sent anything. */
static bool send_queued(struct tcp_env *env, struct tcp_conn *c)
{
    bool sent = false;
    uint32_t mss = tcp_send_mss(c);
    /* Nagle's verdict on a window-limited runt, taken once per burst as
     * Linux's tcp_mss_split_point takes it per TSO burst (tcp_nagle_check):
     * the runt that fills the peer's window after full segments goes with
     * them unless Nagle is on, data is in flight and an earlier runt is
     * still unacknowledged (Minshall). */
    bool runt_held = !c->nodelay && c->snd_nxt != c->snd_una && seq_gt(c->snd_sml, c->snd_una) &&
                     seq_leq(c->snd_sml, c->snd_nxt);
    bool full_sent = false, stopped_at_cwnd = false;
    for (;;) {
        /* Go-back-N after a timeout passes over what the peer SACKed. */
        if (seq_lt(c->snd_nxt, c->snd_max) && tcp_sb(c)) c->snd_nxt = tcp_skip_sacked(c, c->snd_nxt);
        uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
        uint32_t unsent = seq_lt(c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
        bool fin_due = c->fin_queued && seq_leq(c->snd_nxt, c->fin_seq);
        if (unsent == 0 && !fin_due) break;
        uint32_t usable = usable_window(c);
        if (usable < mss && usable < unsent && c->cwnd <= c->snd_wnd) stopped_at_cwnd = true;
        uint32_t len = unsent < mss ? unsent : mss;
        if (len > usable) len = usable;
        if (unsent > 0 && len == 0) break;                  /* window closed: persist */
        if (len < unsent && len < mss) {
            /* Sender SWS avoidance as Linux's: a burst starts only when a
             * full segment fits the window (tcp_snd_wnd_test; the persist
             * timer sends a runt into a smaller one, tcp_send_held), and a
             * runt ends it only when the peer's window, not the congestion
             * window, cuts it, after a full segment, and Nagle allows. */
            uint32_t edge = c->snd_una + c->snd_wnd;
            bool peer_cut = seq_leq(edge, c->snd_nxt + len);
            if (!full_sent || runt_held || !peer_cut) break;
        }
        /* Nagle (RFC 896) in Minshall's form, as Linux: a runt waits only
         * while an earlier runt is still unacknowledged. */
        if (len == unsent && len < mss && len > 0 && nagle_holds(c)) break;
        /* A lone FIN is not held by the congestion window (as Linux's
         * tcp_cwnd_test), only by the peer's. */
        if (len == 0 && !seq_gt(c->snd_nxt + 1, c->snd_una + c->snd_wnd)) {
            tcp_send_data(env, c, c->snd_nxt, 0);
            sent = true;
            break;
        }
        if (len == 0 && usable == 0) break;
        if (len > 0 && tcp_pacing_wait(env, c)) break; /* the timer sends it */
        uint32_t gso = 0;
        if (len == mss && env->tso_max && seq_geq(c->snd_nxt, c->snd_max))
            len = tso_run(env, c, mss, unsent, usable, &gso);
        send_segment(env, c, c->snd_nxt, len, false, gso);
        if (len >= mss) full_sent = true;
        sent = true;
    }
    note_cwnd_use(c, sent, stopped_at_cwnd);
    return sent;
}

void tcp_output(struct tcp_env *env, struct tcp_conn *c)
{
    switch (c->state) {
    case SYNACK_CLOSED:
    case SYNACK_LISTEN:
        return;
    case SYNACK_SYN_SENT:
        if (c->snd_nxt == c->iss) send_syn(env, c, false);
        return;
    case SYNACK_SYN_RCVD:
        if (c->snd_nxt == c->iss) send_syn(env, c, true);
        else if (c->ack_now) tcp_send_ack(env, c);
        return;
    case SYNACK_TIME_WAIT:
        if (c->ack_now) tcp_send_ack(env, c);
        return;
    default:
        break;
    }
    tcp_recovery_output(env, c);
    bool sent = send_queued(env, c);
    if (!sent && c->ack_now) tcp_send_ack(env, c);
    /* Data in flight always has a retransmission timer (RFC 6298 5.1),
     * whatever the recovery decided to send or not. */
    if (c->snd_una != c->snd_max && c->deadline[TCP_T_RTX] == TIMER_NEVER) arm_rtx(env, c);
    tcp_recovery_arm_probe(env, c);
    /* Data waits behind a zero window and nothing is in flight to bring a
     * window update: start the persist timer (RFC 9293 3.8.6.1). */
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    bool waiting = seq_lt(c->snd_nxt, data_end) || (c->fin_queued && seq_leq(c->snd_nxt, c->fin_seq));
    if (waiting && c->snd_una == c->snd_max && c->deadline[TCP_T_RTX] == TIMER_NEVER) {
        c->persist = true;
        tcp_rto_restart(env, c); /* not in SYN_SENT: the backoff as it is */
    }
}

/* Every RST synack sends is filled here. */
static void rst_fill(struct tcp_repr *rst, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
                     uint8_t flags)
{
    memset(rst, 0, sizeof *rst);
    rst->src_port = sport;
    rst->dst_port = dport;
    rst->seq = seq;
    rst->ack = ack;
    rst->flags = flags;
}

bool tcp_rst_for(const struct tcp_repr *seg, struct tcp_repr *rst)
{
    if (seg->flags & TCP_RST) return false;
    if (seg->flags & TCP_ACK) {
        /* <SEQ=SEG.ACK><CTL=RST> */
        rst_fill(rst, seg->dst_port, seg->src_port, seg->ack, 0, TCP_RST);
    } else {
        /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        uint32_t len = (uint32_t)seg->payload_len;
        if (seg->flags & TCP_SYN) len++;
        if (seg->flags & TCP_FIN) len++;
        rst_fill(rst, seg->dst_port, seg->src_port, 0, seg->seq + len, TCP_RST | TCP_ACK);
    }
    return true;
}

void tcp_send_rst(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg)
{
    struct tcp_repr rst;
    if (seg) {
        if (!tcp_rst_for(seg, &rst)) return;
    } else {
        rst_fill(&rst, c->id.lport, c->id.rport, c->snd_nxt, c->rcv_nxt, TCP_RST | TCP_ACK);
        /* A connection's own RST (abort, close with unread data, linger 0,
         * keepalive timeout) carries its receive window like any segment
         * it sends, as Linux's tcp_send_active_reset; RSTs answering a
         * segment (above) carry 0. */
        rst.window = advertise_window(c, false, c->rcv_adv - c->rcv_wup);
        /* And its timestamps, as every segment of the connection (RFC 7323
         * 3.2: SHOULD on a RST; Linux sends them). */
        if (c->ts_ok) {
            rst.opt.has_timestamp = true;
            rst.opt.ts_val = tcp_ts_now(env, c);
            rst.opt.ts_ecr = c->ts_recent;
        }
    }
    env->emit(env, c, &rst);
    env->ctr->out_rsts++;
    env->ctr->out_segs++;
}
