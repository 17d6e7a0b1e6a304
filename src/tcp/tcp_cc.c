/*
 * tcp_cc.c — the registry of congestion-control algorithms and the helpers
 * they share (see tcp_cc.h).
 */
#include <string.h>

#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

static const struct tcp_cc_ops *const algorithms[] = {&tcp_cc_cubic, &tcp_cc_newreno};

const struct tcp_cc_ops *tcp_cc_find(const char *name)
{
    if (!name) return NULL;
    if (!strcmp(name, "newreno")) name = "reno";
    for (size_t i = 0; i < sizeof algorithms / sizeof *algorithms; i++)
        if (!strcmp(algorithms[i]->name, name)) return algorithms[i];
    return NULL;
}

const char *tcp_cc_available(void) { return "cubic reno"; }

const char *tcp_ca_state_name(enum tcp_ca_state s)
{
    switch (s) {
    case TCP_CA_OPEN: return "open";
    case TCP_CA_DISORDER: return "disorder";
    case TCP_CA_CWR: return "cwr";
    case TCP_CA_RECOVERY: return "recovery";
    case TCP_CA_LOSS: return "loss";
    }
    return "?";
}

/* ---- pacing ---- */

#define PACING_FREE_SEGS 10u /* Linux: "sch_fq does not pace the first 10 MSS" */

void tcp_pacing_update(const struct tcp_env *env, struct tcp_conn *c)
{
    struct tcp_xfer *x = c->x;
    if (!x) return;
    if (c->srtt == 0) return;
    /* Linux's tcp_update_pacing_rate, computed whether pacing is on or not
     * (TCP_INFO shows it): "in slow start" here means cwnd below
     * half of ssthresh, so the rate slows down as slow start nears its end. */
    uint32_t ratio = c->cwnd < c->ssthresh / 2 ? env->tunables->pacing_ss_ratio : env->tunables->pacing_ca_ratio;
    uint32_t flight = c->snd_max - c->snd_una;
    uint64_t window = c->cwnd > flight ? c->cwnd : flight;
    uint64_t rate = window * 1000000u / c->srtt * ratio / 100u;
    x->pacing_rate = rate ? rate : 1;
}

uint32_t tcp_tso_autosize(const struct tcp_conn *c, uint32_t mss, uint32_t max_bytes)
{
    uint64_t rate = c->x ? c->x->pacing_rate : 0;
    uint64_t bytes = max_bytes;
    if (rate) {
        bytes = rate >> 10;
        uint32_t r = c->x->min_rtt >> 9;
        if (r < 32) bytes += 65536u >> r;
        if (bytes > max_bytes) bytes = max_bytes;
    }
    if (mss == 0) mss = 1;
    uint64_t segs = bytes / mss;
    return segs < 2 ? 2 : (uint32_t)segs;
}

/* How far ahead of its departure time a segment may leave, microseconds:
 * Linux sends, at each departure, one TSO packet sized by tcp_tso_autosize.
 * Without TSO on the link, the segments of such a packet leave together
 * here: the first at its time, the others up to that packet's time early.
 * With TSO the packet itself leaves at its time (no allowance). */
static uint64_t pacing_burst_us(const struct tcp_env *env, const struct tcp_conn *c, uint64_t rate)
{
    if (env->tso_max) return 0;
    uint32_t mss = c->snd_mss ? c->snd_mss : 1;
    uint64_t segs = tcp_tso_autosize(c, mss, 65536);
    return (segs - 1) * mss * 1000000u / rate;
}

bool tcp_pacing_wait(struct tcp_env *env, struct tcp_conn *c)
{
    struct tcp_xfer *x = c->x;
    if (!x || !x->pacing_rate || !env->tunables->pacing || x->pace_next <= env->now) return false;
    if (x->pace_next <= env->now + pacing_burst_us(env, c, x->pacing_rate)) return false;
    if (x->pace_timer != x->pace_next) {
        x->pace_timer = x->pace_next;
        env->timer_changed(env, c);
    }
    return true;
}

void tcp_pacing_sent(const struct tcp_env *env, struct tcp_conn *c, uint32_t len, uint32_t segs)
{
    struct tcp_xfer *x = c->x;
    if (!x || !len) return;
    uint64_t prior = x->pace_next;
    if (x->pace_next < env->now) x->pace_next = env->now;
    x->data_segs_out = x->data_segs_out > UINT32_MAX - segs ? UINT32_MAX : x->data_segs_out + segs;
    x->paced = env->tunables->pacing;
    if (!x->pacing_rate || !env->tunables->pacing || x->data_segs_out < PACING_FREE_SEGS) return;
    uint64_t len_us = (uint64_t)len * 1000000u / x->pacing_rate;
    uint64_t credit = x->pace_next - prior; /* how late this segment went */
    len_us -= credit < len_us / 2 ? credit : len_us / 2;
    x->pace_next += len_us;
}

bool tcp_cc_in_slow_start(const struct tcp_conn *c) { return c->cwnd < c->ssthresh; }

uint32_t tcp_cc_slow_start(struct tcp_conn *c, uint32_t acked, uint32_t limit)
{
    uint32_t step = acked < limit ? acked : limit;
    uint64_t cwnd = (uint64_t)c->cwnd + step;
    if (cwnd > c->ssthresh) cwnd = c->ssthresh > c->cwnd ? c->ssthresh : c->cwnd;
    uint32_t used = (uint32_t)(cwnd - c->cwnd);
    c->cwnd = (uint32_t)cwnd;
    /* What was not spent reaching ssthresh counts for congestion avoidance. */
    return !tcp_cc_in_slow_start(c) && acked > used ? acked - used : 0;
}

void tcp_cc_cong_avoid_ai(struct tcp_conn *c, uint32_t w, uint32_t acked)
{
    if (w < c->snd_mss) w = c->snd_mss;
    c->x->ca_acked += acked;
    if (c->x->ca_acked >= w) {
        uint32_t n = c->x->ca_acked / w;
        c->x->ca_acked -= n * w;
        uint64_t cwnd = (uint64_t)c->cwnd + (uint64_t)n * c->snd_mss;
        c->cwnd = cwnd > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)cwnd;
    }
}
