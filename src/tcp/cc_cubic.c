/*
 * cc_cubic.c — CUBIC (RFC 9438) with HyStart++ (RFC 9406), the default.
 *
 * Owns: CUBIC's window curve W(t) = C (t - K)^3 + W_max (section 4.2), its
 * Reno-friendly region (4.3), fast convergence (4.7), the multiplicative
 * decrease beta = 0.7 (4.6), and HyStart++'s exit from slow start on a
 * rising round-trip time, through Conservative Slow Start (RFC 9406 4.2),
 * and beside it Linux's HyStart ACK-train exit: when the ACKs of one round
 * keep coming closely spaced for longer than half the minimum RTT (the
 * whole minimum RTT when pacing spreads the round itself), the window
 * holds a path's worth of data and slow start ends at once. Paced, the
 * first samples of a round see the queue drained by the round's idle gap,
 * so the delay test also runs within the round: HyStart++'s threshold held
 * by N_RTT_SAMPLE samples in a row ends slow start at once.
 * Windows are kept in bytes; the curve is computed in segments of the
 * current MSS, as the RFC writes it. Where the RFC leaves room, as Linux's
 * tcp_cubic: the curve's target is taken one minimum RTT ahead; the
 * Reno-friendly estimate grows by 3(1-beta)/(1+beta) (about 0.53) segments
 * per RTT throughout; with no W_max yet (no loss, or a timeout since) the
 * window grows at least 5% per RTT; a timeout forgets W_max. Must not touch
 * anything but cwnd, ssthresh, ca_acked and its own state in cc_priv.
 */
#include <string.h>

#include "synack/synack.h"
#include "tcp/seq.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

#define CUBIC_C 0.4             /* RFC 9438 4.2: segments / s^3 */
#define CUBIC_BETA 0.7          /* RFC 9438 4.6 */
#define CUBIC_FIRST_GROWTH 20.0 /* no W_max: one MSS per 20 acked at least (Linux) */
#define HS_MIN_RTT_THRESH 4000u /* RFC 9406 4.3, microseconds */
#define HS_MAX_RTT_THRESH 16000u
#define HS_MIN_RTT_DIVISOR 8u
#define HS_N_RTT_SAMPLE 8u
#define HS_CSS_GROWTH_DIVISOR 4u
#define HS_CSS_ROUNDS 5u
#define HS_L_NON_PACED 8u       /* segments of growth per ACK at most */
#define TRAIN_LOW_WINDOW 16u    /* Linux's hystart_low_window, segments */
#define TRAIN_ACK_DELTA 2000u   /* Linux's hystart_ack_delta_us */
#define TRAIN_ACK_DELAY_MAX 1000u /* slack for TSO bursts and delayed ACKs, microseconds */
#define RTT_NONE UINT32_MAX

enum hystart_phase { HS_SLOW_START, HS_CSS, HS_DONE };

struct cubic {
    uint64_t epoch_start;   /* microseconds; 0: no congestion-avoidance epoch */
    uint64_t w_est_fp;      /* Reno-friendly window, bytes << 10 */
    uint32_t w_max;         /* bytes: the window before the last reduction (0: none) */
    uint32_t origin;        /* bytes: the curve's plateau this epoch (W_max or cwnd) */
    uint32_t w_last_max;    /* W_max before the last reduction (undo) */
    uint32_t k_us;          /* K: time to climb back to W_max */
    /* HyStart++ (RFC 9406 4.2) */
    uint32_t round_end;     /* the round ends when SND.UNA passes this */
    uint32_t cur_min, last_min, css_base; /* microseconds, RTT_NONE when unset */
    uint32_t round_start, last_ack; /* microseconds (low 32 bits): the ACK train */
    uint8_t samples;        /* RTT samples in the current round */
    uint8_t css_rounds;
    uint8_t high_run;       /* paced: consecutive samples of this round above the threshold */
    uint8_t phase;          /* enum hystart_phase */
    bool round_open;
};

_Static_assert(sizeof(struct cubic) <= sizeof(((struct tcp_xfer *)0)->cc_priv), "CUBIC state fits cc_priv");

static struct cubic *cubic_of(struct tcp_conn *c) { return (struct cubic *)(void *)c->x->cc_priv; }
static const struct cubic *cubic_of_const(const struct tcp_conn *c) { return (const struct cubic *)(const void *)tcp_xr(c)->cc_priv; }

/* Cube root by Newton's method (no libm in the library). */
static double cube_root(double x)
{
    if (x <= 0) return 0;
    double r = x > 1 ? x / 3 : 1;
    for (int i = 0; i < 100; i++) {
        double next = r - (r * r * r - x) / (3 * r * r);
        if (next == r || (next > r ? next - r : r - next) < 1e-9 * r) return next;
        r = next;
    }
    return r;
}

static void cubic_init(struct tcp_conn *c)
{
    struct cubic *k = cubic_of(c);
    memset(k, 0, sizeof *k);
    k->cur_min = k->last_min = k->css_base = RTT_NONE;
    k->phase = HS_SLOW_START;
    c->x->ca_acked = 0;
}

/* RFC 9438 4.6/4.7: remember W_max (reduced further when the window is
 * still below the previous one: fast convergence) and cut by beta. */
static uint32_t cubic_ssthresh(struct tcp_conn *c, uint64_t now)
{
    (void)now;
    struct cubic *k = cubic_of(c);
    uint32_t cwnd = c->cwnd;
    /* Compared with W_max as the last reduction left it (after its own fast
     * convergence), as RFC 9438 4.7 and Linux's last_max_cwnd do; the value
     * before is kept for undo (4.9). */
    k->w_last_max = k->w_max;
    if (cwnd < k->w_max) k->w_max = (uint32_t)(cwnd * (1.0 + CUBIC_BETA) / 2.0);
    else k->w_max = cwnd;
    k->epoch_start = 0;
    /* A loss ends HyStart++ for this connection (RFC 9406 4.2). */
    k->phase = HS_DONE;
    uint32_t t = (uint32_t)(cwnd * CUBIC_BETA);
    return t > 2u * c->snd_mss ? t : 2u * c->snd_mss;
}

/* HyStart++, per ACK in slow start: a round is one window of data; the
 * round's minimum RTT over its first samples is compared with the last
 * round's. */
/* Linux's ACK-train test (its HyStart, HYSTART_ACK_TRAIN), on every ACK of
 * a round after its first: ACKs no more than TRAIN_ACK_DELTA apart form a
 * train; a train longer than the threshold means the round's data took
 * that long to drain through the bottleneck: exit slow start now. */
static bool ack_train_ends_slow_start(struct tcp_conn *c, struct cubic *k, uint64_t now)
{
    uint32_t t = (uint32_t)now;
    if (c->cwnd < TRAIN_LOW_WINDOW * c->snd_mss || !c->x->min_rtt) return false;
    if (t - k->last_ack > TRAIN_ACK_DELTA) {
        /* A gap: a paced round has idle stretches, so a train starts
         * again here (Linux, unpaced, waits for the next round). */
        k->round_start = k->last_ack = t;
        return false;
    }
    k->last_ack = t;
    uint64_t slack = 0, rate = c->x->pacing_rate;
    if (rate) slack = 4ull * 65536u * 1000000u / rate;
    if (slack > TRAIN_ACK_DELAY_MAX) slack = TRAIN_ACK_DELAY_MAX;
    uint64_t threshold = c->x->min_rtt + slack;
    /* As Linux's hystart_update: unpaced (sk_pacing_status none), a round
     * leaves in bursts and half the minimum RTT of train shows a full pipe.
     * Paced, the sending alone may spread a round over up to an RTT (half
     * of one at slow start's 200%, more once the window outgrows the
     * path), so the threshold stays the whole minimum RTT: only a round
     * that the bottleneck stretched past it ends slow start. */
    if (!c->x->paced) threshold /= 2;
    return t - k->round_start > threshold;
}

static void hystart_on_ack(struct tcp_conn *c, uint32_t rtt_us, uint64_t now)
{
    struct cubic *k = cubic_of(c);
    if (k->phase == HS_DONE || !tcp_cc_in_slow_start(c)) return;
    bool new_round = !k->round_open || seq_geq(c->snd_una, k->round_end);
    if (new_round) {
        /* A new round begins. */
        k->last_min = k->cur_min;
        k->cur_min = RTT_NONE;
        k->samples = 0;
        k->high_run = 0;
        k->round_end = c->snd_max;
        k->round_open = true;
        k->round_start = k->last_ack = (uint32_t)now;
        if (k->phase == HS_CSS && ++k->css_rounds >= HS_CSS_ROUNDS) {
            /* CSS lasted CSS_ROUNDS rounds: slow start is over. */
            c->ssthresh = c->cwnd;
            k->phase = HS_DONE;
            return;
        }
    } else if (ack_train_ends_slow_start(c, k, now)) {
        c->ssthresh = c->cwnd;
        k->phase = HS_DONE;
        return;
    }
    if (rtt_us) {
        if (rtt_us < k->cur_min) k->cur_min = rtt_us;
        if (k->samples < 255) k->samples++;
    }
    uint32_t thresh = RTT_NONE;
    if (k->last_min != RTT_NONE) {
        thresh = k->last_min / HS_MIN_RTT_DIVISOR;
        if (thresh < HS_MIN_RTT_THRESH) thresh = HS_MIN_RTT_THRESH;
        if (thresh > HS_MAX_RTT_THRESH) thresh = HS_MAX_RTT_THRESH;
    }
    if (rtt_us && c->x->paced && k->phase == HS_SLOW_START && thresh != RTT_NONE) {
        /* Paced, a round leaves as a stretch of about half an RTT and an
         * idle gap in which the bottleneck's queue drains, so the first
         * samples of every round see no queue until the window is near
         * the path's capacity. The queue shows instead within the round:
         * the same threshold held by HS_N_RTT_SAMPLE samples in a row
         * (a queue, not one delayed ACK) ends slow start at once, as
         * Linux's HyStart delay test does (no CSS: by the time a paced
         * round shows it, the window is near the capacity). */
        k->high_run = rtt_us >= k->last_min + thresh ? (uint8_t)(k->high_run < 255 ? k->high_run + 1 : 255) : 0;
        if (k->high_run >= HS_N_RTT_SAMPLE) {
            c->ssthresh = c->cwnd;
            k->phase = HS_DONE;
            return;
        }
    }
    if (k->samples < HS_N_RTT_SAMPLE || k->cur_min == RTT_NONE) return;
    if (k->phase == HS_SLOW_START && thresh != RTT_NONE) {
        if (k->cur_min >= k->last_min + thresh) {
            k->css_base = k->cur_min;
            k->phase = HS_CSS;
            k->css_rounds = 0;
        }
    } else if (k->phase == HS_CSS && k->cur_min < k->css_base) {
        /* The RTT came back down: the rise was spurious, resume slow start. */
        k->phase = HS_SLOW_START;
        k->css_base = RTT_NONE;
    }
}

static void cubic_pkts_acked(struct tcp_conn *c, uint32_t acked, uint32_t rtt_us, uint64_t now)
{
    (void)acked;
    hystart_on_ack(c, rtt_us, now);
}

/* W_cubic(t) in bytes, t microseconds since the epoch began. */
static double w_cubic(const struct tcp_conn *c, const struct cubic *k, uint64_t t_us)
{
    double t = ((double)t_us - (double)k->k_us) / 1e6;
    return (CUBIC_C * t * t * t) * c->snd_mss + (double)k->origin;
}

static void cubic_cong_avoid(struct tcp_conn *c, uint32_t acked, uint64_t now)
{
    struct cubic *k = cubic_of(c);
    uint32_t mss = c->snd_mss;
    if (tcp_cc_in_slow_start(c)) {
        /* RFC 9406: growth capped at L segments per ACK, divided by
         * CSS_GROWTH_DIVISOR during Conservative Slow Start. */
        uint32_t grow = acked;
        uint32_t limit = HS_L_NON_PACED * mss;
        if (k->phase == HS_CSS) {
            k->w_est_fp += (uint64_t)acked << 10; /* remainder carried in the estimate */
            grow = (uint32_t)((k->w_est_fp >> 10) / HS_CSS_GROWTH_DIVISOR);
            k->w_est_fp -= ((uint64_t)grow * HS_CSS_GROWTH_DIVISOR) << 10;
        }
        acked = tcp_cc_slow_start(c, grow, limit);
        if (!acked) return;
    }
    if (k->epoch_start == 0) {
        /* A congestion-avoidance epoch begins (RFC 9438 4.2, 4.8). */
        k->epoch_start = now ? now : 1;
        k->w_est_fp = (uint64_t)c->cwnd << 10;
        if (k->w_max <= c->cwnd) {
            /* No loss yet, or the window already passed W_max: the plateau
             * is here (K = 0). W_max itself stays what the last loss left. */
            k->origin = c->cwnd;
            k->k_us = 0;
        } else {
            k->origin = k->w_max;
            double segs = (double)(k->w_max - c->cwnd) / mss;
            k->k_us = (uint32_t)(cube_root(segs / CUBIC_C) * 1e6);
        }
        c->x->ca_acked = 0;
    }
    /* Target: the curve one RTT ahead (the minimum RTT, as Linux; the RFC
     * allows it), within [cwnd, 1.5 cwnd] (4.2). */
    uint32_t rtt = c->x->min_rtt ? c->x->min_rtt : c->srtt;
    uint64_t t = now - k->epoch_start + rtt;
    double target = w_cubic(c, k, t);
    double cwnd = c->cwnd;
    if (target < cwnd) target = cwnd;
    if (target > 1.5 * cwnd) target = 1.5 * cwnd;
    /* Before any loss: at least 5% per RTT (Linux's cap on cnt). */
    if (k->w_max == 0 && target < cwnd + cwnd / CUBIC_FIRST_GROWTH) target = cwnd + cwnd / CUBIC_FIRST_GROWTH;
    /* Reno-friendly estimate (4.3): alpha = 3(1-beta)/(1+beta) segments per
     * window. The RFC moves alpha to 1 once the estimate passes W_max;
     * Linux keeps it, and so does synack. */
    double alpha = 3.0 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA);
    k->w_est_fp += (uint64_t)(alpha * (double)acked * mss / cwnd * 1024.0);
    double w_est = (double)(k->w_est_fp >> 10);
    if (w_est > target) target = w_est;
    /* Grow by (target - cwnd) / cwnd per segment acknowledged: one MSS for
     * every `per` bytes acknowledged. */
    if (target <= cwnd) {
        tcp_cc_cong_avoid_ai(c, 100u * c->cwnd, acked);
        return;
    }
    double per = cwnd / (target - cwnd) * mss;
    if (per < mss) per = mss; /* at most one MSS per MSS acked */
    tcp_cc_cong_avoid_ai(c, per > (double)UINT32_MAX ? UINT32_MAX : (uint32_t)per, acked);
}

static void cubic_set_state(struct tcp_conn *c, enum tcp_ca_state to)
{
    struct cubic *k = cubic_of(c);
    if (to == TCP_CA_LOSS) {
        /* After a timeout the window restarts from one segment: a new epoch
         * begins when slow start ends (RFC 9438 4.8), and, as Linux, W_max
         * is forgotten (the curve starts from where slow start stops). */
        k->epoch_start = 0;
        k->w_max = 0;
        k->phase = HS_DONE;
    }
}

static uint32_t cubic_undo_cwnd(struct tcp_conn *c)
{
    struct cubic *k = cubic_of(c);
    /* RFC 9438 4.9: back to the state before the spurious reduction. */
    k->w_max = k->w_last_max;
    k->epoch_start = 0;
    return c->cwnd > c->x->prior_cwnd ? c->cwnd : c->x->prior_cwnd;
}

static void cubic_get_info(const struct tcp_conn *c, struct synack_tcp_info *out)
{
    const struct cubic *k = cubic_of_const(c);
    out->ca_wmax = k->w_max;
    out->ca_k_us = k->k_us;
    out->ca_hystart = k->phase;
}

const struct tcp_cc_ops tcp_cc_cubic = {
    .name = "cubic",
    .init = cubic_init,
    .ssthresh = cubic_ssthresh,
    .cong_avoid = cubic_cong_avoid,
    .pkts_acked = cubic_pkts_acked,
    .set_state = cubic_set_state,
    .undo_cwnd = cubic_undo_cwnd,
    .get_info = cubic_get_info,
};
