/*
 * tcp_recovery.c — how a sender finds and repairs losses, and when it tells
 * the congestion-control algorithm (tcp_cc.h) about them.
 *
 * Owns: the congestion state (open, disorder, recovery, loss); with SACK,
 * the scoreboard's use (tcp_sack.h): RFC 6675 recovery with its pipe
 * estimate, losses found as Linux's RACK (RFC 8985: data sent before the
 * latest delivered data is lost once RACK.rtt plus a reordering window has
 * passed since it was sent, which needs the send times kept here),
 * Proportional Rate Reduction (RFC 6937, as Linux's) for the window in
 * recovery, limited transmit (RFC 3042, through pipe), tail-loss probes
 * (RFC 8985 7), undo of a spurious recovery on D-SACK (RFC 2883, as Linux);
 * without SACK, duplicate-ACK counting, fast retransmit (RFC 5681 3.2) and
 * NewReno's partial ACKs (RFC 6582). Also the reaction to a retransmission
 * timeout. Calls into the algorithm: ssthresh on a loss, cong_avoid on an
 * ACK that may grow the window, undo_cwnd when a reduction was spurious.
 * Must not touch: segment parsing, the send buffer (it asks tcp_send_data to
 * retransmit), the algorithms' own state.
 */
#include <stdlib.h>
#include <string.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"
#include "tcp/tcp_sack.h"

#define DUPTHRESH 3u
#define PTO_EXTRA_ONE_SEGMENT 200000u /* Linux: TCP_RTO_MIN more when one segment is out */
#define PTO_EXTRA 2000u               /* Linux: TCP_TIMEOUT_MIN */

/* Work counted for the hostile-input bound (docs/HOSTILE.md H-61): each
 * scoreboard or send-time walk adds the entries it may visit. */
static void count_work(struct tcp_env *env, unsigned entries) { env->ctr->sack_work += entries; }
/* Entries a binary search of the scoreboard visits. */
static unsigned board_search_work(const struct sack_board *b)
{
    unsigned n = 1;
    for (unsigned k = b->count; k; k >>= 1) n++;
    return n;
}

void tcp_set_ca_state(struct tcp_conn *c, enum tcp_ca_state to)
{
    if (c->ca_state == to) return;
    c->ca_state = (uint8_t)to;
    if (c->cc->set_state && c->x) c->cc->set_state(c, to);
}

void tcp_recovery_fini(struct tcp_conn *c)
{
    if (!c->x || !c->x->sb) return;
    sack_board_free(c->x->sb);
    free(c->x->sb);
    c->x->sb = NULL;
}

static uint32_t flight_size(const struct tcp_conn *c) { return c->snd_max - c->snd_una; }

static bool sack_recovery(const struct tcp_conn *c) { return c->in_recovery && tcp_sb(c); }

/* UnSACKed bytes of the retransmissions RACK found lost and not yet sent
 * again (Linux: lost_out less retrans_out, for resent data), or of those
 * still in flight (lost false). */
static uint32_t rxt_unsacked(const struct tcp_conn *c, bool lost)
{
    const struct sack_board *b = tcp_sb(c);
    uint32_t n = 0;
    for (unsigned i = 0; b && i < b->rxt_count; i++)
        if (b->rxt[i].lost == lost) n += sack_board_unsacked_in(b, seq_max(b->rxt[i].start, c->snd_una), b->rxt[i].end);
    return n;
}

static bool rxt_any_lost(const struct sack_board *b)
{
    for (unsigned i = 0; b && i < b->rxt_count; i++)
        if (b->rxt[i].lost) return true;
    return false;
}

/* RFC 6675 SetPipe, by ranges: what is in flight counts, except SACKed
 * bytes and lost bytes not yet resent (a resent one counts once, a resent
 * one found lost again not at all until it goes once more). */
static uint32_t pipe_of(const struct tcp_conn *c)
{
    const struct sack_board *b = tcp_sb(c);
    uint32_t fl = flight_size(c);
    if (!b) return fl;
    uint32_t lost = seq_gt(b->lost_end, b->high_rxt) ? sack_board_unsacked_in(b, b->high_rxt, b->lost_end) : 0;
    uint32_t out = b->sacked + lost + (rxt_any_lost(b) ? rxt_unsacked(c, true) : 0);
    return fl > out ? fl - out : 0;
}

uint32_t tcp_cwnd_room(const struct tcp_conn *c)
{
    if (tcp_sb(c) && (c->in_recovery || c->ca_state == TCP_CA_DISORDER)) {
        uint32_t pipe = pipe_of(c);
        uint32_t room = c->cwnd > pipe ? c->cwnd - pipe : 0;
        /* New data only past SND.NXT; pipe already counts what is out. */
        return room;
    }
    if (c->frto && c->ca_state == TCP_CA_LOSS && c->x && seq_geq(c->snd_nxt, c->recover)) {
        /* F-RTO sending new data (step 2.b): what the timeout declared lost
         * and was not resent is not in flight (Linux's lost_out). */
        uint32_t from = seq_max(c->x->rxt_high, c->snd_una);
        uint32_t lost = seq_gt(c->recover, from) ? c->recover - from : 0;
        uint32_t flight = c->snd_nxt - c->snd_una - lost;
        return c->cwnd > flight ? c->cwnd - flight : 0;
    }
    uint32_t wnd = c->cwnd;
    if (c->ca_state == TCP_CA_LOSS && seq_lt(c->snd_nxt, c->recover) && seq_gt(c->snd_max, c->recover)) {
        /* Resending after F-RTO found the loss real: the new data it sent
         * (past `recover`) is in flight unless SACKed. */
        uint32_t extra = tcp_sb(c) ? sack_board_unsacked_in(tcp_sb(c), c->recover, c->snd_max) : c->snd_max - c->recover;
        wnd = wnd > extra ? wnd - extra : 0;
    }
    /* Limited transmit (RFC 3042) without SACK: one new segment for each
     * of the first two duplicate ACKs. */
    if (c->ca_state == TCP_CA_DISORDER && !c->in_recovery && c->dupacks < DUPTHRESH)
        wnd += (uint32_t)c->dupacks * c->snd_mss;
    uint32_t edge = c->snd_una + wnd;
    return seq_gt(edge, c->snd_nxt) ? edge - c->snd_nxt : 0;
}

uint32_t tcp_skip_sacked(const struct tcp_conn *c, uint32_t seq)
{
    /* SND.UNA itself always goes again: the cumulative ACK, not a SACK
     * block, says what the peer holds there. */
    if (!tcp_sb(c) || !seq_lt(seq, c->snd_max) || seq == c->snd_una) return seq;
    uint32_t end;
    return sack_board_next_hole(tcp_sb(c), seq, c->snd_max, &end);
}

/* Retransmits the first unacknowledged segment (SND.UNA), with the FIN when
 * that is all that is left. */
static void retransmit_head(struct tcp_env *env, struct tcp_conn *c)
{
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    uint32_t len = seq_lt(c->snd_una, data_end) ? data_end - c->snd_una : 0;
    if (len > c->snd_mss) len = c->snd_mss;
    if (len || (c->fin_queued && c->snd_una == c->fin_seq)) tcp_send_data(env, c, c->snd_una, len);
}

/* A congestion event: remember the window for undo, ask the algorithm for
 * the new threshold. */
static void reduce_window(struct tcp_env *env, struct tcp_conn *c)
{
    /* Already reducing for an ECN mark (CWR): that reduction stands and
     * recovery or a timeout carries it on, as Linux's tcp_enter_recovery
     * (no second cut for the same window). */
    if (c->ca_state == TCP_CA_CWR) {
        c->rtt_start = 0;
        return;
    }
    if (c->ecn_ok) c->ecn_queue_cwr = true; /* RFC 3168 6.1.2: tell the peer (CWR) */
    c->x->prior_cwnd = c->cwnd;
    c->x->prior_ssthresh = c->ssthresh;
    c->ssthresh = c->cc->ssthresh(c, env->now);
    c->x->ca_acked = 0;
    c->undo_armed = true;
    /* As Linux's tcp_init_undo: retransmissions still in flight may bring
     * D-SACKs later, so they count (undo_retrans = retrans_out); with
     * none, no D-SACK undoes until something is resent (its -1). */
    c->x->undo_retrans = tcp_sb(c) ? rxt_unsacked(c, false) : 0;
    c->x->undo_no_rxt = c->x->undo_retrans == 0;
    c->rtt_start = 0; /* Karn: the timed segment may be resent */
}

/* ---- without SACK: NewReno ---------------------------------------------- */

static void enter_newreno_recovery(struct tcp_env *env, struct tcp_conn *c)
{
    env->ctr->reno_recoveries++;
    reduce_window(env, c);
    c->recover = c->snd_max;
    c->in_recovery = true;
    tcp_set_ca_state(c, TCP_CA_RECOVERY);
    retransmit_head(env, c); /* RFC 5681 3.2 step 2 */
    c->cwnd = c->ssthresh + 3u * c->snd_mss;
}

static void newreno_on_ack(struct tcp_env *env, struct tcp_conn *c, uint32_t acked, bool dupack)
{
    if (dupack) {
        c->dupacks++;
        if (c->dupacks == DUPTHRESH && !c->in_recovery && seq_gt(c->snd_una, c->recover))
            enter_newreno_recovery(env, c);
        else if (c->dupacks > DUPTHRESH && c->in_recovery)
            c->cwnd += c->snd_mss; /* inflate: a segment has left the network */
        else if (!c->in_recovery && c->ca_state == TCP_CA_OPEN)
            tcp_set_ca_state(c, TCP_CA_DISORDER);
        return;
    }
    if (!acked || !c->in_recovery) return;
    if (seq_geq(c->snd_una, c->recover)) {
        /* Full ACK: leave recovery (RFC 6582 3.2 step 3). */
        uint32_t fl = flight_size(c) + c->snd_mss;
        c->cwnd = c->ssthresh < fl ? c->ssthresh : fl;
        c->in_recovery = false;
        tcp_set_ca_state(c, TCP_CA_OPEN);
    } else {
        /* Partial ACK: retransmit the next hole, deflate (step 4). */
        retransmit_head(env, c);
        c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
        c->cwnd += c->snd_mss;
    }
}

/* ---- with SACK ------------------------------------------------------------ */

static struct sack_board *board(struct tcp_conn *c)
{
    struct tcp_xfer *x = c->x; /* recovery runs with the block taken */
    if (!x->sb) {
        x->sb = calloc(1, sizeof *x->sb);
        if (x->sb) x->sb->high_rxt = x->sb->lost_end = c->snd_una;
    }
    return x->sb;
}

/* ---- RACK (RFC 8985): send times --------------------------------------------
 * New data's first transmission times, as a short ordered list of stretches
 * of data sent at one time or, once merged, over a span of time: each knows
 * when its first and its last byte went. Sending is in sequence order, so
 * the times rise with the sequence numbers. When the list is full the two
 * neighbours closest in time merge. RACK reads a stretch's last time: a
 * loss is then declared later, never earlier. An RTT sample reads the time
 * of the byte it measures, interpolated between the stretch's first and
 * last (a cumulative ACK trims the first stretch to what is left of it, so
 * the next sample starts at an exact or interpolated first time): reading
 * the last time instead made samples of a merged stretch too short by up to
 * its whole span (a 100 ms path measured 0.5 ms once a window was sent at
 * more than 16 instants, as pacing does). Bounded (TCP_SEND_MARKS) whatever
 * the window. */

static uint64_t mark_time(uint64_t now, uint32_t t) { return now - (uint32_t)((uint32_t)now - t); }

static uint32_t mark_start(const struct tcp_xfer *x, unsigned i) { return i ? x->sent[i - 1].end : x->sent_start; }

/* When the byte at seq, inside stretch i, was sent (low 32 bits): between
 * the stretch's first and last times, in proportion to its place. */
static uint32_t mark_time_of(const struct tcp_xfer *x, unsigned i, uint32_t seq)
{
    const struct tcp_send_mark *m = &x->sent[i];
    uint32_t start = mark_start(x, i), span = m->time - m->first, len = m->end - start;
    if (!span || !len || !seq_gt(seq, start)) return m->first;
    return m->first + (uint32_t)((uint64_t)span * (seq - start) / len);
}

/* ---- RACK: retransmission times ---------------------------------------------
 * In SACK recovery every retransmission is timed (RFC 8985 6.2; Linux keeps
 * each skb's latest transmission time and its retransmitted flag): the
 * board keeps stretches of resent data, ordered by sequence number, each
 * with the first and the last time it went (one instant unless merged).
 * Resending part of a stretch cuts it. When they are more than
 * SACK_RXT_MARKS, the two neighbours closest in time merge (the same
 * lost state first): a merged stretch is lost by its last time (later,
 * never earlier) and, delivered, proves only its first time. What lies
 * between two stretches below HighRxt was SACKed (every unSACKed byte
 * there was resent), so a merge covers no data that did not go again. */

static bool time_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }

static void rxt_merge(struct sack_rxt *r, unsigned *n)
{
    unsigned best = 0;
    uint64_t cost = UINT64_MAX;
    for (unsigned i = 0; i + 1 < *n; i++) {
        uint32_t a = r[i].time, b = r[i + 1].time;
        uint64_t c = time_before(a, b) ? b - a : a - b;
        if (r[i].lost != r[i + 1].lost) c += (uint64_t)1 << 32;
        if (c < cost) cost = c, best = i;
    }
    struct sack_rxt *a = &r[best], *b = &r[best + 1];
    a->end = b->end;
    if (time_before(b->first, a->first)) a->first = b->first;
    if (time_before(a->time, b->time)) a->time = b->time;
    a->lost = a->lost && b->lost;
    memmove(b, b + 1, (*n - best - 2) * sizeof *b);
    --*n;
}

/* [seq, end) went again at now32. */
static void rxt_note(struct tcp_env *env, struct sack_board *b, uint32_t seq, uint32_t end, uint32_t now32)
{
    struct sack_rxt r[SACK_RXT_MARKS + 2]; /* one stretch cut in two, and the new one */
    unsigned n = 0;
    bool placed = false;
    count_work(env, b->rxt_count);
    for (unsigned i = 0; i < b->rxt_count; i++) {
        struct sack_rxt m = b->rxt[i];
        if (!placed && !seq_lt(m.start, seq)) {
            r[n++] = (struct sack_rxt){seq, end, now32, now32, false};
            placed = true;
        }
        if (seq_leq(m.end, seq) || seq_geq(m.start, end)) {
            r[n++] = m;
            continue;
        }
        /* The part below and the part above what went again stay. */
        if (seq_lt(m.start, seq)) {
            r[n] = m;
            r[n++].end = seq;
            if (!placed) r[n++] = (struct sack_rxt){seq, end, now32, now32, false}, placed = true;
        }
        if (seq_gt(m.end, end)) {
            r[n] = m;
            r[n++].start = end;
        }
    }
    if (!placed) r[n++] = (struct sack_rxt){seq, end, now32, now32, false};
    /* One instant, one stretch: a segment sent right after its neighbour. */
    for (unsigned i = 0; i + 1 < n; i++) {
        if (r[i].end == r[i + 1].start && r[i].time == r[i + 1].time && r[i].first == r[i + 1].first &&
            !r[i].lost && !r[i + 1].lost) {
            r[i].end = r[i + 1].end;
            memmove(&r[i + 1], &r[i + 2], (n - i - 2) * sizeof r[0]);
            n--;
            i--;
        }
    }
    while (n > SACK_RXT_MARKS) rxt_merge(r, &n);
    memcpy(b->rxt, r, n * sizeof r[0]);
    b->rxt_count = (uint8_t)n;
}

/* The stretch of retransmitted data overlapping [start, end) that went
 * last, or rxt_count when none does. */
static unsigned rxt_latest_in(const struct sack_board *b, uint32_t start, uint32_t end)
{
    unsigned best = b->rxt_count;
    for (unsigned i = 0; i < b->rxt_count; i++) {
        if (!seq_lt(b->rxt[i].start, end)) break;
        if (seq_leq(b->rxt[i].end, start)) continue;
        if (best == b->rxt_count || time_before(b->rxt[best].time, b->rxt[i].time)) best = i;
    }
    return best;
}

void tcp_recovery_on_send(struct tcp_env *env, struct tcp_conn *c, uint32_t seq, uint32_t end)
{
    struct tcp_xfer *x = c->x;
    if (seq_lt(seq, c->snd_max)) {
        x->rxt_time = env->now; /* a retransmission */
        if (sack_recovery(c)) rxt_note(env, tcp_sb(c), seq, seq_min(end, c->snd_max), (uint32_t)env->now);
        if (c->ca_state == TCP_CA_LOSS && seq_gt(end, x->rxt_high)) x->rxt_high = end;
    }
    if (!seq_gt(end, c->snd_max)) return;
    uint32_t now32 = (uint32_t)env->now;
    if (x->sent_count && x->sent[x->sent_count - 1].time == now32) {
        x->sent[x->sent_count - 1].end = end;
        return;
    }
    if (!x->sent_count) x->sent_start = seq_max(seq, c->snd_max);
    if (x->sent_count == TCP_SEND_MARKS) {
        unsigned best = 0;
        uint32_t gap = UINT32_MAX;
        for (unsigned i = 0; i + 1 < x->sent_count; i++) {
            uint32_t g = x->sent[i + 1].time - x->sent[i].time;
            if (g < gap) gap = g, best = i;
        }
        /* Stretch best joins best+1: its start and first time, the other's
         * end and last time. */
        uint32_t first = x->sent[best].first;
        memmove(&x->sent[best], &x->sent[best + 1], (x->sent_count - best - 1) * sizeof x->sent[0]);
        x->sent[best].first = first;
        x->sent_count--;
    }
    x->sent[x->sent_count++] = (struct tcp_send_mark){end, now32, now32};
}

/* Forgets the stretches the peer has cumulatively acknowledged, and trims
 * the first one left to start at una. */
static void marks_advance(struct tcp_xfer *x, uint32_t una)
{
    unsigned drop = 0;
    while (drop < x->sent_count && seq_leq(x->sent[drop].end, una)) drop++;
    if (drop) {
        x->sent_start = x->sent[drop - 1].end;
        memmove(&x->sent[0], &x->sent[drop], (x->sent_count - drop) * sizeof x->sent[0]);
        x->sent_count = (uint8_t)(x->sent_count - drop);
    }
    if (x->sent_count && seq_gt(una, x->sent_start)) {
        x->sent[0].first = mark_time_of(x, 0, una);
        x->sent_start = una;
    }
}

/* When the byte at seq was first sent, by its stretch's last time (now
 * when unknown: never lost early). */
/* The send mark holding seq: its index, or sent_count when none does. */
static unsigned mark_of(const struct tcp_xfer *x, uint32_t seq)
{
    unsigned i = 0;
    while (i < x->sent_count && !seq_lt(seq, x->sent[i].end)) i++;
    return i;
}

static uint64_t mark_sent(const struct tcp_env *env, const struct tcp_xfer *x, unsigned i)
{
    return i < x->sent_count ? mark_time(env->now, x->sent[i].time) : env->now;
}

uint32_t tcp_recovery_sent_rtt(const struct tcp_env *env, const struct tcp_conn *c, uint32_t seq)
{
    const struct tcp_xfer *x = c->x;
    if (!x || (x->rxt_any && seq_lt(seq, x->rxt_max))) return 0;
    for (unsigned i = 0; i < x->sent_count; i++) {
        if (!seq_lt(seq, x->sent[i].end)) continue;
        if (seq_lt(seq, mark_start(x, i))) return 0; /* below what is kept */
        uint64_t rtt = env->now - mark_time(env->now, mark_time_of(x, i, seq));
        return rtt == 0 ? 1 : rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
    }
    return 0; /* not known */
}

/* RFC 8985 6.2 step 2, for delivered data sent at xmit (ending at end):
 * RACK keeps the most recently sent delivered data and the RTT. A
 * retransmission delivered faster than the minimum RTT (min_rtt) may be
 * the original's delivery: it says nothing (Karn's ambiguity), as Linux.
 * early: the earliest the data may have gone (0: not known). */
static void rack_advance(struct tcp_xfer *x, uint64_t now, uint32_t min_rtt, uint64_t xmit, uint64_t early, uint32_t end,
                         bool resent)
{
    uint64_t rtt = now - xmit;
    if (resent && rtt < min_rtt) return;
    if (early > x->rack_xmit_early) x->rack_xmit_early = early;
    x->rack_rtt = rtt > UINT32_MAX ? UINT32_MAX : (uint32_t)rtt;
    if (xmit > x->rack_xmit || (xmit == x->rack_xmit && seq_gt(end, x->rack_end))) {
        x->rack_xmit = xmit;
        x->rack_end = end;
    }
}

/* The unSACKed part of [from, to) on the board, from its first hole's
 * start to its last hole's end: what an ACK or a SACK block covering
 * [from, to) delivers now (RACK reads only that, as Linux advances it only
 * for skbs not SACKed before). False when all of it was SACKed. */
static bool unsacked_span(struct tcp_env *env, const struct sack_board *b, uint32_t from, uint32_t to,
                          uint32_t *lo, uint32_t *hi)
{
    bool any = false;
    *lo = *hi = from;
    while (seq_lt(from, to)) {
        uint32_t hole_end, hole = sack_board_next_hole(b, from, to, &hole_end);
        count_work(env, board_search_work(b));
        if (!seq_lt(hole, to)) break;
        if (!any) *lo = hole, any = true;
        *hi = hole_end;
        from = hole_end;
    }
    return any;
}

/* Data [start, end) was delivered (cumulatively ACKed or newly SACKed).
 * What in it went again in this recovery is read at its retransmission
 * (the latest stretch of them it overlaps); its top byte, if it went only
 * once, at its first transmission, last: as Linux, which advances RACK
 * skb by skb in sequence order, RACK.rtt is then the top one's (a late
 * retransmission's short RTT would declare lost data sent just before
 * it that is merely on its way: upstream prr-ss-ack-below-snd_una-cubic). */
static void rack_delivered(struct tcp_env *env, struct tcp_conn *c, uint32_t start, uint32_t end)
{
    struct tcp_xfer *x = c->x;
    const struct sack_board *b = tcp_sb(c);
    uint32_t last = end - 1;
    /* The Karn filter's floor: the least RTT seen, or before any ACK of
     * data gave one, SRTT (the handshake's sample; Linux's min_rtt has it). */
    uint32_t floor = x->min_rtt ? x->min_rtt : c->srtt;
    if (c->tlp_out && c->tlp_retrans && seq_gt(end, x->tlp_high - c->snd_mss) && seq_leq(end, x->tlp_high)) {
        rack_advance(x, env->now, floor, x->tlp_time, 0, end, true);
        return;
    }
    unsigned r = b ? rxt_latest_in(b, start, end) : 0;
    bool rxt = b && r < b->rxt_count, top_resent = false;
    uint64_t rxt_xmit = 0, rxt_early = 0;
    if (b) count_work(env, b->rxt_count);
    if (rxt) {
        rxt_xmit = mark_time(env->now, b->rxt[r].time);
        rxt_early = mark_time(env->now, b->rxt[r].first);
        for (unsigned k = 0; k < b->rxt_count && !top_resent; k++)
            top_resent = seq_geq(last, b->rxt[k].start) && seq_lt(last, b->rxt[k].end);
    }
    if (top_resent) {
        rack_advance(x, env->now, floor, rxt_xmit, rxt_early, end, true);
        return;
    }
    unsigned i = mark_of(x, last);
    count_work(env, x->sent_count);
    uint64_t xmit = mark_sent(env, x, i), early = i < x->sent_count ? mark_time(env->now, x->sent[i].first) : 0;
    if (rxt) rack_advance(x, env->now, floor, rxt_xmit, rxt_early, end, true);
    rack_advance(x, env->now, floor, xmit, early, end, false);
}

/* RACK's reordering window (RFC 8985 6.2, as Linux's tcp_rack_reo_wnd):
 * until the peer has shown reordering, none in recovery or once DupThresh
 * segments are SACKed; else a quarter of the minimum RTT, at most SRTT. */
static uint64_t reo_wnd(const struct tcp_conn *c)
{
    const struct sack_board *b = tcp_sb(c);
    if (!c->x->reord_seen && (c->in_recovery || (b && b->sacked >= DUPTHRESH * c->snd_mss))) return 0;
    uint32_t rtt = c->x->min_rtt ? c->x->min_rtt : c->srtt;
    return rtt / 4 < c->srtt ? rtt / 4 : c->srtt;
}

/* RACK for retransmissions (RFC 8985 6.2, which times every transmission;
 * Linux's tcp_rack_detect_loss reads each skb's latest xmit time): a
 * retransmission still unSACKed is lost once data sent after it went was
 * delivered and RACK.rtt plus the reordering window has passed since it
 * went; it then leaves the pipe and goes again (Linux clears
 * TCPCB_SACKED_RETRANS and counts it in lost_out). The later data is read
 * at the earliest its stretch may have gone (rack_xmit_early: RACK's own
 * reference, a stretch's last time, may be later than the data went, and
 * taken as proof it resent retransmissions still on their way). Without
 * this a lost retransmission waited for the retransmission timeout, which
 * also collapses the window to one segment. Returns when the next one will
 * be lost if nothing else arrives (TIMER_NEVER: none pending);
 * *newly: some were found lost now. */
static uint64_t rxt_mark_lost(struct tcp_env *env, struct tcp_conn *c, bool *newly)
{
    struct sack_board *b = tcp_sb(c);
    const struct tcp_xfer *x = c->x;
    uint64_t pending = TIMER_NEVER, wait = (uint64_t)x->rack_rtt + reo_wnd(c);
    count_work(env, b->rxt_count);
    for (unsigned i = 0; i < b->rxt_count; i++) {
        struct sack_rxt *m = &b->rxt[i];
        uint64_t went = mark_time(env->now, m->time);
        if (m->lost || x->rack_xmit_early <= went) continue;
        uint32_t run_end;
        count_work(env, board_search_work(b));
        if (!seq_lt(sack_board_next_hole(b, seq_max(m->start, c->snd_una), m->end, &run_end), m->end)) continue;
        if (went + wait > env->now) {
            if (went + wait < pending) pending = went + wait;
            continue;
        }
        m->lost = true;
        *newly = true;
    }
    return pending;
}

/* RFC 8985 6.2 step 5: unSACKed data sent before the most recently sent
 * delivered data is lost once RACK.rtt plus the reordering window has
 * passed since it was sent. First transmissions' times rise with the
 * sequence numbers, so lost data forms a prefix: lost_end moves up to its
 * top. That data may lie above RACK's own when RACK's is a retransmission
 * (sent late, low in sequence): the walk goes on while the send times are
 * before RACK's, not only up to its sequence number. Returns when the
 * next unSACKed data below RACK's data will be lost if nothing else arrives
 * (TIMER_NEVER: none pending). */
static uint64_t mark_lost(struct tcp_env *env, struct tcp_conn *c)
{
    struct sack_board *b = tcp_sb(c);
    struct tcp_xfer *x = c->x;
    if (!x->rack_xmit) return TIMER_NEVER;
    uint64_t wait = (uint64_t)x->rack_rtt + reo_wnd(c), pending = TIMER_NEVER;
    uint32_t from = seq_max(b->lost_end, c->snd_una), limit = c->snd_max;
    while (seq_lt(from, limit)) {
        uint32_t hole_end;
        uint32_t hole = sack_board_next_hole(b, from, limit, &hole_end);
        count_work(env, board_search_work(b));
        if (!seq_lt(hole, limit)) break;
        /* Stretch by stretch within the hole (each has one send time). */
        for (uint32_t seq = hole; seq_lt(seq, hole_end);) {
            unsigned i = mark_of(x, seq);
            count_work(env, x->sent_count);
            uint64_t sent = mark_sent(env, x, i);
            uint32_t stop = i < x->sent_count ? seq_min(x->sent[i].end, hole_end) : hole_end;
            bool low = seq_lt(seq, x->rack_end);
            if (low && seq_gt(stop, x->rack_end)) stop = x->rack_end;
            /* Below RACK's data its time decides; above it (RACK's data
             * was resent late), only data surely sent before the delivered
             * data went: a stretch's last time against the earliest the
             * delivered data may have gone (a merged stretch of either
             * kind spans a while). */
            bool before = low ? sent <= x->rack_xmit : sent < x->rack_xmit_early;
            if (!before || sent + wait > env->now) {
                if (before) pending = sent + wait;
                return pending;
            }
            b->lost_end = stop;
            seq = stop;
        }
        from = hole_end;
    }
    return pending;
}

static void enter_sack_recovery(struct tcp_env *env, struct tcp_conn *c)
{
    struct sack_board *b = tcp_sb(c);
    reduce_window(env, c);
    c->recover = c->snd_max;
    c->in_recovery = true;
    /* What the previous recovery resent below HighRxt is in flight still
     * (Linux keeps TCPCB_SACKED_RETRANS on it): a recovery that begins as
     * one ends, for a loss it already repaired, does not send it again. */
    b->high_rxt = seq_max(b->high_rxt, c->snd_una);
    c->x->prr_delivered = c->x->prr_out = 0;
    tcp_set_ca_state(c, TCP_CA_RECOVERY);
    env->ctr->sack_recoveries++;
}

/* PRR (RFC 6937 section 3), per ACK in recovery, as Linux's
 * tcp_cwnd_reduction (in segments, so a delivered segment can release a
 * whole one): while pipe is above ssthresh, ssthresh/prior cwnd of what was
 * delivered; below it, what was delivered and not yet sent again (one more
 * when SND.UNA advanced and nothing newly lost), up to ssthresh. The first
 * ACK of recovery always lets the retransmission go. */
static void prr_on_ack(struct tcp_conn *c, uint32_t delivered, bool una_advanced, bool newly_lost)
{
    struct tcp_xfer *x = c->x;
    uint32_t mss = c->snd_mss;
    if (!delivered) return;
    x->prr_delivered += delivered;
    uint32_t pipe = pipe_of(c);
    int64_t d = (x->prr_delivered + mss - 1) / mss, out = (x->prr_out + mss - 1) / mss;
    int64_t ss = c->ssthresh / mss, newly = (delivered + mss - 1) / mss, in_flight = (pipe + mss - 1) / mss;
    int64_t sndcnt, delta = ss - in_flight;
    if (delta < 0) {
        int64_t prior = (c->x->prior_cwnd + mss - 1) / mss;
        if (prior < 1) prior = 1;
        sndcnt = (ss * d + prior - 1) / prior - out;
    } else {
        sndcnt = d - out > newly ? d - out : newly;
        if (una_advanced && !newly_lost) sndcnt++;
        if (sndcnt > delta) sndcnt = delta;
    }
    if (sndcnt < (out ? 0 : 1)) sndcnt = out ? 0 : 1;
    c->cwnd = pipe + (uint32_t)sndcnt * mss;
}

static void end_recovery(struct tcp_conn *c)
{
    /* As Linux's tcp_end_cwnd_reduction: the window is ssthresh after it. */
    if (c->ssthresh != UINT32_MAX) c->cwnd = c->ssthresh;
    c->in_recovery = false;
    c->dupacks = 0;
    tcp_set_ca_state(c, TCP_CA_OPEN);
}

/* ---- ECN (RFC 3168 6.1.2): one reduction per window of data ----------------- */

/* The peer echoed a CE mark (ECE), as Linux's tcp_enter_cwr: the algorithm
 * sets ssthresh, PRR brings the window down to it over the next round trip
 * (CWR state), and the next new data carries CWR. Not while a reduction is
 * already under way (CWR, recovery, loss): once per window. A mark is no
 * loss that could prove spurious, so nothing is undone later. */
static void enter_cwr(struct tcp_env *env, struct tcp_conn *c)
{
    reduce_window(env, c);
    c->undo_armed = false;
    c->x->cwr_high = c->snd_max;
    c->x->prr_delivered = c->x->prr_out = 0;
    tcp_set_ca_state(c, TCP_CA_CWR);
    env->ctr->ecn_cwr++;
}

/* CWR ends once data sent after it began is acknowledged (SND.UNA past the
 * SND.MAX of its start, so the peer has seen CWR): the window is ssthresh. */
static void end_cwr(struct tcp_conn *c)
{
    if (c->ssthresh != UINT32_MAX) c->cwnd = c->ssthresh;
    tcp_set_ca_state(c, TCP_CA_OPEN);
}

/* D-SACK (RFC 2883): every retransmission since the reduction (counted in
 * undo_retrans by tcp_send_data) came back as a duplicate, so nothing was lost: restore the window (Linux's
 * tcp_try_undo_dsack). */
static void try_undo(struct tcp_env *env, struct tcp_conn *c)
{
    if (!c->undo_armed || c->x->undo_no_rxt || c->x->undo_retrans != 0 || c->ssthresh == UINT32_MAX) return;
    c->undo_armed = false;
    c->cwnd = c->cc->undo_cwnd(c);
    c->ssthresh = c->x->prior_ssthresh;
    env->ctr->dsack_undos++;
    if (c->in_recovery) {
        c->in_recovery = false;
        tcp_set_ca_state(c, TCP_CA_OPEN);
    }
}

/* F-RTO (RFC 5682 3.1, SACK-enhanced, as Linux's tcp_process_loss), on an
 * ACK after a retransmission timeout. Data never resent since the timeout
 * acknowledged or SACKed: the timeout was spurious, undo it (step 3.b). The
 * first ACK advancing SND.UNA with nothing new sent yet: send new data
 * instead of resending more (step 2.b). Then a SACK or a duplicate ACK: the
 * loss was real, resend as usual (step 3.a). */
static void frto_on_ack(struct tcp_conn *c, bool una_advanced, bool orig_acked, bool dup_or_sack,
                        struct tcp_env *env)
{
    if (orig_acked) {
        c->frto = false;
        c->undo_armed = false;
        c->cwnd = c->cc->undo_cwnd(c);
        if (c->x->prior_ssthresh > c->ssthresh) c->ssthresh = c->x->prior_ssthresh;
        c->snd_nxt = c->snd_max; /* what was not resent is not lost */
        c->backoff = 0;
        if (tcp_sb(c)) tcp_sb(c)->high_rxt = tcp_sb(c)->lost_end = c->snd_una, tcp_sb(c)->rxt_count = 0;
        tcp_set_ca_state(c, TCP_CA_OPEN);
        env->ctr->spurious_rtos++;
        return;
    }
    if (seq_gt(c->snd_max, c->recover)) {
        /* New data went out after the timeout: a SACK or duplicate ACK now
         * shows the loss was real. Go back to resending. */
        if (dup_or_sack) {
            c->frto = false;
            c->snd_nxt = seq_max(c->x->rxt_high, c->snd_una);
            c->snd_nxt = tcp_skip_sacked(c, c->snd_nxt);
        }
    } else if (una_advanced && seq_lt(c->snd_una, c->recover)) {
        uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
        c->recover = c->snd_max;
        if (seq_lt(c->snd_max, data_end) && seq_gt(c->snd_una + c->snd_wnd, c->snd_max)) {
            c->x->rxt_high = seq_max(c->x->rxt_high, c->snd_nxt);
            c->snd_nxt = c->snd_max; /* new data next, not the rest of the window */
            return;
        }
        c->frto = false;
    }
}

/* Whether delivered data [start, end) shows reordering (as Linux's
 * tcp_check_sack_reordering): it lies below data already SACKed and was
 * never sent again, so it was late, not lost. *reord receives the lowest
 * such byte (unchanged when none). */
static void check_reordering(const struct tcp_conn *c, uint32_t start, uint32_t end, uint32_t top, uint32_t *reord)
{
    const struct sack_board *b = tcp_sb(c);
    if (!b || c->ca_state == TCP_CA_LOSS || c->tlp_out) return;
    if (c->in_recovery && seq_lt(start, b->high_rxt)) start = b->high_rxt;
    end = seq_min(end, top);
    if (!seq_lt(start, end)) return;
    uint32_t run_end, hole = sack_board_next_hole(b, start, end, &run_end);
    if (seq_lt(hole, end) && seq_lt(hole, *reord)) *reord = hole;
}

/* One ACK showed reordering down to `low`: the peer reordered (RACK's
 * window stays open from now), by as many segments as lie between it and
 * the highest SACKed byte (`fack`; Linux's tp->reordering, at most
 * tcp_max_reordering's 300). */
static void note_reordering(struct tcp_conn *c, uint32_t low, uint32_t fack)
{
    struct tcp_xfer *x = c->x;
    uint32_t mss = c->snd_mss ? c->snd_mss : 1, metric = seq_gt(fack, low) ? fack - low : 0;
    x->reord_seen = true;
    x->reord_count++;
    uint32_t now = x->reordering ? x->reordering : DUPTHRESH;
    if (metric > now * mss) {
        uint32_t segs = (metric + mss - 1) / mss;
        x->reordering = (uint16_t)(segs < 300 ? segs : 300);
    }
}

/* The SACK blocks of one ACK. Returns the newly SACKed bytes. */
static uint32_t take_sack_blocks(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s,
                                 bool *dsacked, uint32_t top, bool *orig_sacked)
{
    uint32_t newly = 0, reord = c->snd_max;
    for (unsigned i = 0; i < s->opt.sack_count && i < TCP_MAX_SACK_BLOCKS; i++) {
        uint32_t l = s->opt.sack[i].left, r = s->opt.sack[i].right;
        /* Bounds (docs/HOSTILE.md H-40): empty, inverted, beyond
         * what we sent or older than the window could be: ignored. */
        if (!seq_lt(l, r) || seq_gt(r, c->snd_max) || r - l > c->max_snd_wnd + c->snd_max - c->snd_una ||
            seq_lt(l, c->snd_una - c->max_snd_wnd)) {
            env->ctr->sack_blocks_ignored++;
            continue;
        }
        /* D-SACK: the first block, below SND.UNA or inside the second. */
        bool dsack = i == 0 && (seq_leq(r, c->snd_una) ||
                                (s->opt.sack_count > 1 && seq_geq(l, s->opt.sack[1].left) &&
                                 seq_leq(r, s->opt.sack[1].right)));
        if (dsack) {
            env->ctr->dsacks_received++;
            *dsacked = true;
            if (c->undo_armed) c->x->undo_retrans = c->x->undo_retrans > r - l ? c->x->undo_retrans - (r - l) : 0;
            if (c->tlp_out && c->tlp_retrans && seq_geq(r, c->x->tlp_high - c->snd_mss) && seq_leq(l, c->x->tlp_high))
                c->tlp_retrans = false; /* the probe was a duplicate: nothing was lost */
            continue;
        }
        if (!seq_gt(r, c->snd_una)) continue;
        struct sack_board *b = board(c);
        if (!b) return newly; /* no memory: recovery goes on without SACK */
        check_reordering(c, seq_max(l, c->snd_una), r, top, &reord);
        uint32_t new_lo, new_hi;
        bool any = unsacked_span(env, b, seq_max(l, c->snd_una), r, &new_lo, &new_hi);
        unsigned work = 0;
        uint32_t added = sack_board_add(b, c->snd_una, c->snd_max, l, r,
                                        sack_board_limit(c->snd_max - c->snd_una, c->snd_mss), &work);
        count_work(env, work);
        if (added && any) rack_delivered(env, c, new_lo, new_hi);
        /* Never resent, and sent before the timeout (Linux's FLAG_ORIG_SACK_ACKED). */
        if (added && seq_gt(seq_min(r, c->recover), seq_max(l, c->x->rxt_high))) *orig_sacked = true;
        newly += added;
    }
    if (reord != c->snd_max && tcp_sb(c) && tcp_sb(c)->count)
        note_reordering(c, reord, seq_max(top, tcp_sb(c)->r[tcp_sb(c)->count - 1].end));
    return newly;
}

static void arm_loss_timer(struct tcp_env *env, struct tcp_conn *c, uint64_t at)
{
    tcp_timer_set(env, c, TCP_T_LOSS, at);
}

/* Loss detection on the scoreboard; enters recovery when a hole is lost
 * (returns true then). *newly_lost: holes were declared lost now. */
static bool detect_losses(struct tcp_env *env, struct tcp_conn *c, bool *newly_lost)
{
    struct sack_board *b = tcp_sb(c);
    bool entered = false;
    /* After a timeout everything outstanding is being resent already. */
    if (!b || (b->count == 0 && !b->rxt_count) || c->ca_state == TCP_CA_LOSS) return false;
    uint32_t lost_before = b->lost_end;
    bool rxt_lost = false;
    uint64_t pending = mark_lost(env, c);
    uint64_t rxt_pending = rxt_mark_lost(env, c, &rxt_lost);
    if (!c->in_recovery && (seq_gt(b->lost_end, c->snd_una) || rxt_lost)) {
        enter_sack_recovery(env, c);
        pending = mark_lost(env, c);
        entered = true;
    }
    if (newly_lost) *newly_lost = seq_gt(b->lost_end, lost_before) || rxt_lost;
    if (!c->in_recovery && c->ca_state == TCP_CA_OPEN) tcp_set_ca_state(c, TCP_CA_DISORDER);
    if (rxt_pending < pending) pending = rxt_pending;
    /* The reordering timer (RFC 8985 6.3) takes TCP_T_LOSS from the probe:
     * with SACKed data outstanding, no probe is due. */
    arm_loss_timer(env, c, pending);
    return entered;
}

/* RFC 8985 7.4: the ACK of a probe. If it was a retransmission and no
 * D-SACK says it was a duplicate, it repaired a loss: reduce the window. */
static void probe_acked(struct tcp_env *env, struct tcp_conn *c)
{
    if (!c->tlp_out || seq_lt(c->snd_una, c->x->tlp_high)) return;
    c->tlp_out = false;
    if (c->tlp_retrans && !c->in_recovery) {
        reduce_window(env, c);
        c->undo_armed = false;
        c->cwnd = c->ssthresh;
        env->ctr->tlp_recoveries++;
    }
}

void tcp_recovery_on_ack(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s,
                         uint32_t prior_una, uint32_t rtt_us, bool dupack)
{
    if (!tcp_xfer_need(env, c)) return; /* out of memory: no window changes */
    uint32_t acked = c->snd_una - prior_una;
    struct sack_board *b = tcp_sb(c);
    uint32_t top = b && b->count ? b->r[b->count - 1].end : prior_una;
    /* Delivered data (RFC 6937 DeliveredData, Linux's acked_sacked): what
     * the cumulative ACK covers that was not SACKed before, plus what is
     * newly SACKed. */
    uint32_t delivered = acked;
    if (acked) {
        uint32_t lo = prior_una, hi = c->snd_una;
        if (!b || unsacked_span(env, b, prior_una, c->snd_una, &lo, &hi)) rack_delivered(env, c, lo, hi);
        if (b) {
            uint32_t reord = c->snd_max;
            check_reordering(c, prior_una, c->snd_una, top, &reord);
            count_work(env, 2u * (b->count + 1u));
            uint32_t sacked_before = b->sacked;
            sack_board_advance(b, c->snd_una);
            if (reord != c->snd_max) note_reordering(c, reord, b->count ? seq_max(top, c->snd_una) : c->snd_una);
            delivered -= sacked_before - b->sacked;
        }
        count_work(env, c->x->sent_count);
        marks_advance(c->x, c->snd_una);
    }
    if (rtt_us && (c->x->min_rtt == 0 || rtt_us < c->x->min_rtt)) c->x->min_rtt = rtt_us;
    bool dsacked = false, orig_sacked = false, sacked_now = false;
    if (c->sack_ok && s->opt.sack_count) {
        uint32_t n = take_sack_blocks(env, c, s, &dsacked, top, &orig_sacked);
        delivered += n;
        sacked_now = n != 0;
    }
    if (acked && c->cc->pkts_acked) c->cc->pkts_acked(c, acked, rtt_us, env->now);
    if (acked) probe_acked(env, c);
    if (dsacked) try_undo(env, c);
    if (c->frto && c->ca_state == TCP_CA_LOSS)
        frto_on_ack(c, acked != 0,
                    orig_sacked || (acked && seq_gt(seq_min(c->snd_una, c->recover), seq_max(prior_una, c->x->rxt_high))),
                    sacked_now || dupack, env);

    /* ECN (RFC 3168): an echoed mark counts on an ECN connection only. */
    bool ece = c->ecn_ok && (s->flags & TCP_ECE) && !(s->flags & TCP_SYN);
    if (c->ca_state == TCP_CA_CWR && seq_gt(c->snd_una, c->x->cwr_high)) end_cwr(c);

    if (tcp_sb(c) && (tcp_sb(c)->count || sack_recovery(c))) {
        /* SACK-based recovery (RFC 6675, losses found by RACK). */
        c->dupacks = 0;
        bool newly_lost = false;
        detect_losses(env, c, &newly_lost);
        if (c->in_recovery && seq_geq(c->snd_una, c->recover)) {
            end_recovery(c);
            /* Data still deemed lost (resent or not) begins the next
             * recovery on this ACK, as Linux's tcp_fastretrans_alert (the
             * exit, then tcp_time_to_recover sees lost_out), not one ACK
             * later: its repairs go now. */
            bool more = false;
            if (detect_losses(env, c, &more)) prr_on_ack(c, delivered, acked != 0, newly_lost || more);
        } else if (c->in_recovery) {
            prr_on_ack(c, delivered, acked != 0, newly_lost);
        }
    } else {
        if (acked && !dupack && c->dupacks && !c->sack_ok && !c->in_recovery) {
            /* Without SACK, Linux counts each duplicate ACK as a segment
             * delivered (tcp_add_reno_sack, at most all but one of those
             * out) and the ACK that then advances as delivering the rest,
             * at least one segment (tcp_remove_reno_sacks): the window
             * grows by what was delivered since the duplicates, once. */
            uint32_t prior_flight = c->snd_max - prior_una;
            uint32_t dup = (uint32_t)c->dupacks * c->snd_mss;
            if (prior_flight > c->snd_mss && dup > prior_flight - c->snd_mss) dup = prior_flight - c->snd_mss;
            delivered = acked > dup + c->snd_mss ? acked - dup : (acked < c->snd_mss ? acked : c->snd_mss);
        }
        /* An ACK whose only SACK block is a D-SACK SACKs nothing new: no
         * duplicate ACK (RFC 6675 5; Linux's tcp_try_to_open stays Open). */
        newreno_on_ack(env, c, acked, dupack && !(dsacked && !sacked_now));
        if (c->ca_state == TCP_CA_DISORDER && !dupack && acked) tcp_set_ca_state(c, TCP_CA_OPEN);
    }
    if (ece && !c->in_recovery && c->ca_state <= TCP_CA_DISORDER) enter_cwr(env, c);
    if (c->ca_state == TCP_CA_CWR) prr_on_ack(c, delivered, acked != 0, false);
    if (!c->in_recovery && acked) {
        c->dupacks = dupack ? c->dupacks : 0;
        if (c->ca_state == TCP_CA_LOSS && seq_geq(c->snd_una, c->recover)) tcp_set_ca_state(c, TCP_CA_OPEN);
        if (c->ca_state == TCP_CA_DISORDER && (!tcp_sb(c) || tcp_sb(c)->count == 0)) tcp_set_ca_state(c, TCP_CA_OPEN);
        /* Grow only when the window, not the application or the peer,
         * limited what was sent (Linux's tcp_is_cwnd_limited), by what was
         * delivered (Linux's acked_sacked: SACKed data counted once). */
        if (tcp_cwnd_is_limited(c) && c->ca_state != TCP_CA_RECOVERY && c->ca_state != TCP_CA_CWR && delivered)
            c->cc->cong_avoid(c, delivered, env->now);
    }
    /* Memory only while needed: an empty board outside recovery goes. */
    if (tcp_sb(c) && tcp_sb(c)->count == 0 && !c->in_recovery) {
        tcp_recovery_fini(c);
        if (!c->tlp_out) arm_loss_timer(env, c, TIMER_NEVER);
    }
}

void tcp_recovery_output(struct tcp_env *env, struct tcp_conn *c)
{
    if (!sack_recovery(c)) return;
    struct sack_board *b = tcp_sb(c);
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    /* Pipe once (a walk of the lost span); each resent lost segment then
     * adds its own length to it (it leaves "lost, not resent"). */
    count_work(env, b->count + 1u + 2u * b->rxt_count);
    uint32_t pipe = pipe_of(c);
    for (int guard = 0; guard < 64; guard++) {
        count_work(env, board_search_work(b) + b->rxt_count);
        if (pipe >= c->cwnd) return;
        if (tcp_pacing_wait(env, c)) return; /* retransmissions are paced too */
        /* NextSeg rule 1: the first unSACKed byte that is lost and not
         * resent since: in a retransmission found lost (below HighRxt),
         * else past HighRxt. */
        uint32_t seq = 0, run_end = 0;
        bool again = false;
        for (unsigned i = 0; i < b->rxt_count && !again; i++) {
            struct sack_rxt *m = &b->rxt[i];
            if (!m->lost) continue;
            seq = sack_board_next_hole(b, seq_max(m->start, c->snd_una), m->end, &run_end);
            if (seq_lt(seq, m->end)) again = true;
            else m->lost = false; /* SACKed since */
        }
        if (!again) {
            uint32_t from = seq_max(b->high_rxt, c->snd_una);
            seq = sack_board_next_hole(b, from, b->lost_end, &run_end);
            if (!seq_lt(seq, b->lost_end)) return;
        }
        uint32_t len = run_end - seq;
        if (len > c->snd_mss) len = c->snd_mss;
        if (!seq_lt(seq, data_end)) {
            len = 0; /* only the FIN is left there */
            if (!(c->fin_queued && seq == c->fin_seq)) return;
        } else if (seq_gt(seq + len, data_end)) {
            len = data_end - seq;
        }
        tcp_send_data(env, c, seq, len);
        if (again && seq == c->snd_una) {
            /* The head went once more: the retransmission timer starts
             * again from it, as Linux's tcp_xmit_retransmit_queue does. */
            tcp_rto_restart(env, c);
        }
        if (!again) b->high_rxt = seq + len + (len == 0 ? 1u : 0u);
        pipe += len;
        env->ctr->sack_retrans++;
    }
}

/* ---- tail-loss probe (RFC 8985 7) ------------------------------------------ */

void tcp_recovery_arm_probe(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->tlp_out || c->persist || !c->sack_ok || !env->tunables->tail_loss_probe || c->srtt == 0 || c->ca_state != TCP_CA_OPEN ||
        c->snd_una == c->snd_max || (c->state != SYNACK_ESTABLISHED && c->state != SYNACK_CLOSE_WAIT &&
                                     c->state != SYNACK_FIN_WAIT_1 && c->state != SYNACK_LAST_ACK &&
                                     c->state != SYNACK_CLOSING)) {
        if (!tcp_sb(c) && !c->tlp_out && c->deadline[TCP_T_LOSS] != TIMER_NEVER) arm_loss_timer(env, c, TIMER_NEVER);
        return;
    }
    uint64_t pto = 2ull * c->srtt + (flight_size(c) <= c->snd_mss ? PTO_EXTRA_ONE_SEGMENT : PTO_EXTRA);
    uint64_t at = env->now + pto;
    /* Never later than the retransmission timeout: when that comes first,
     * the probe goes in its place (as Linux), which spares the collapse of
     * the window if only the tail was lost. */
    if (at > c->deadline[TCP_T_RTX]) at = c->deadline[TCP_T_RTX];
    arm_loss_timer(env, c, at);
}

static void send_probe(struct tcp_env *env, struct tcp_conn *c)
{
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    uint32_t unsent = seq_lt(c->snd_nxt, data_end) ? data_end - c->snd_nxt : 0;
    uint32_t rwnd_edge = c->snd_una + c->snd_wnd;
    c->tlp_retrans = false;
    if (unsent && seq_gt(rwnd_edge, c->snd_nxt)) {
        /* New data, if the peer's window takes it (7.3). */
        uint32_t len = unsent < c->snd_mss ? unsent : c->snd_mss;
        if (len > rwnd_edge - c->snd_nxt) len = rwnd_edge - c->snd_nxt;
        tcp_send_data(env, c, c->snd_nxt, len);
    } else {
        /* Otherwise the last segment sent, again. */
        uint32_t end = c->fin_queued && seq_gt(c->snd_max, c->fin_seq) ? c->fin_seq : c->snd_max;
        uint32_t start = end - c->snd_una > c->snd_mss ? end - c->snd_mss : c->snd_una;
        if (seq_gt(end, data_end)) end = data_end;
        if (seq_gt(start, end)) start = end;
        tcp_send_data(env, c, start, end - start);
        c->tlp_retrans = true;
    }
    c->tlp_out = true;
    c->x->tlp_high = c->snd_max;
    c->x->tlp_time = env->now;
    env->ctr->tlp_probes++;
    /* The retransmission timer starts again from the probe. */
    tcp_rto_restart(env, c);
}

void tcp_recovery_on_timer(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->snd_una == c->snd_max || !tcp_xfer_need(env, c)) return;
    if (tcp_sb(c) && (tcp_sb(c)->count || tcp_sb(c)->rxt_count)) {
        /* The reordering window passed: holes below SACKed data, or
         * retransmissions sent before delivered data, are lost.
         * Entering recovery here, PRR runs as for one delivered segment
         * (as Linux's tcp_rack_reo_timeout), so the first holes go now. */
        bool newly_lost = false;
        detect_losses(env, c, &newly_lost);
        if (c->in_recovery && newly_lost) prr_on_ack(c, c->snd_mss, false, false);
        return;
    }
    if (c->ca_state == TCP_CA_OPEN && !c->tlp_out && c->sack_ok) send_probe(env, c);
}

void tcp_recovery_on_rto(struct tcp_env *env, struct tcp_conn *c)
{
    /* RFC 5681 3.1 eq. 4: collapse to one segment, remember how far we had
     * gone, and resend from SND.UNA, skipping what the peer SACKed. A
     * second expiry in a row keeps the threshold of the first, as Linux
     * does, and forgets the SACKs (RFC 2018 8: the peer may have reneged). */
    bool have = tcp_xfer_need(env, c) != NULL; /* taken when the data or FIN was queued */
    env->ctr->timeouts++;
    /* F-RTO (RFC 5682 3.1 step 1; 3.2 for a timeout recurring on the same
     * SND.UNA), as Linux: not when the timeout interrupts a recovery. */
    c->frto = have && env->tunables->frto && (c->ca_state < TCP_CA_RECOVERY || c->backoff > 1);
    if (have) c->x->rxt_high = c->snd_una;
    if (have && (c->ca_state != TCP_CA_LOSS || c->backoff <= 1)) reduce_window(env, c);
    c->cwnd = c->snd_mss;
    c->recover = c->snd_max;
    c->in_recovery = false;
    c->dupacks = 0;
    c->snd_nxt = c->snd_una;
    c->tlp_out = false;
    tcp_timer_set(env, c, TCP_T_LOSS, TIMER_NEVER);
    if (tcp_sb(c) && c->backoff >= 2) tcp_recovery_fini(c);
    if (tcp_sb(c)) tcp_sb(c)->high_rxt = tcp_sb(c)->lost_end = c->snd_una, tcp_sb(c)->rxt_count = 0;
    tcp_set_ca_state(c, TCP_CA_LOSS);
}

void tcp_set_congestion_control(struct tcp_conn *c, const struct tcp_cc_ops *cc)
{
    if (c->cc == cc) return;
    c->cc = cc;
    if (c->x) cc->init(c); /* else when the transfer block is taken */
}
