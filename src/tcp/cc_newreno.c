/*
 * cc_newreno.c — Reno's window rules (RFC 5681 3.1, RFC 6582): slow start
 * by bytes acknowledged, then one MSS per window of data acknowledged; half
 * the data in flight after a loss. Owns only cwnd growth and the threshold;
 * the recovery mechanics live in tcp_recovery.c.
 */
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

static void newreno_init(struct tcp_conn *c) { c->x->ca_acked = 0; }

/* RFC 5681 eq. (4): ssthresh = max(FlightSize / 2, 2 * SMSS). */
static uint32_t newreno_ssthresh(struct tcp_conn *c, uint64_t now)
{
    (void)now;
    uint32_t half = (c->snd_max - c->snd_una) / 2;
    return half > 2u * c->snd_mss ? half : 2u * c->snd_mss;
}

static void newreno_cong_avoid(struct tcp_conn *c, uint32_t acked, uint64_t now)
{
    (void)now;
    if (tcp_cc_in_slow_start(c)) {
        acked = tcp_cc_slow_start(c, acked, c->snd_mss);
        if (!acked) return;
    }
    tcp_cc_cong_avoid_ai(c, c->cwnd, acked);
}

static uint32_t newreno_undo_cwnd(struct tcp_conn *c)
{
    return c->cwnd > c->x->prior_cwnd ? c->cwnd : c->x->prior_cwnd;
}

const struct tcp_cc_ops tcp_cc_newreno = {
    .name = "reno",
    .init = newreno_init,
    .ssthresh = newreno_ssthresh,
    .cong_avoid = newreno_cong_avoid,
    .undo_cwnd = newreno_undo_cwnd,
};
