/*
 * tcp_timer.c — a connection's timers and its RTO estimator.
 *
 * Owns: the per-connection deadlines (retransmission/persist, delayed ACK,
 * TIME_WAIT / FIN_WAIT_2), what happens when each expires, and RFC 6298's
 * SRTT/RTTVAR/RTO. A connection is filed in the stack's timer wheel once, at
 * its earliest deadline (tcp_next_deadline). Must not touch: segment parsing.
 */
#include <errno.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"

void tcp_timer_set(struct tcp_env *env, struct tcp_conn *c, enum tcp_timer_kind k, uint64_t at)
{
    if (c->deadline[k] == at) return;
    c->deadline[k] = at;
    env->timer_changed(env, c);
}

uint64_t tcp_next_deadline(const struct tcp_conn *c)
{
    uint64_t t = TIMER_NEVER;
    for (int k = 0; k < TCP_T_COUNT; k++)
        if (c->deadline[k] < t) t = c->deadline[k];
    /* Paced output waiting for its departure time (tcp_pacing_wait). */
    if (c->x && c->x->pace_timer && c->x->pace_timer < t) t = c->x->pace_timer;
    return t;
}

/* RFC 6298 2.2/2.3, with Linux's floor: RTO = SRTT + max(4*RTTVAR, rto_min),
 * which keeps at least rto_min of slack above the smoothed RTT. */
void tcp_rtt_sample(struct tcp_env *env, struct tcp_conn *c, uint32_t rtt)
{
    if (rtt == 0) rtt = 1;
    if (c->srtt == 0) {
        c->srtt = rtt;
        c->rttvar = rtt / 2;
    } else {
        uint32_t diff = c->srtt > rtt ? c->srtt - rtt : rtt - c->srtt;
        c->rttvar = (3 * c->rttvar + diff) / 4;
        c->srtt = (7 * c->srtt + rtt) / 8;
    }
    uint64_t min = (uint64_t)env->tunables->rto_min_ms * 1000u;
    uint64_t max = (uint64_t)env->tunables->rto_max_ms * 1000u;
    uint64_t var = 4ull * c->rttvar;
    uint64_t rto = c->srtt + (var > min ? var : min);
    if (rto > max) rto = max;
    c->rto = (uint32_t)rto;
}

/* Why a connection that timed out failed: an ICMP error seen meanwhile is
 * the better reason (RFC 1122 4.2.3.9). */
static int timeout_error(const struct tcp_conn *c) { return c->soft_err ? c->soft_err : ETIMEDOUT; }

/* A probe — zero-window (persist) or keepalive — is an ACK with an old
 * sequence number (SND.UNA - 1, tcp_send_probe): the peer must answer it
 * with an ACK that carries its current window (RFC 9293 3.8.6.1, RFC 1122
 * 4.2.3.6), as Linux probes do. */

/* A live connection probes a zero window as long as the peer answers (it
 * may read again some day); it gives up after retries2 unanswered probes.
 * An orphan — nobody will ever read our data's answer — gives up after
 * orphan_retries probes, answered or not (docs/HOSTILE.md H-62: a peer
 * holding a zero window must not pin memory forever). */
/* When to give up on a SYN. Linux decides by time, not by count
 * (retransmits_timed_out): a SYN fails once the time since the first one
 * reaches what syn_retries retransmissions with doubling take, (2^(n+1) - 1)
 * initial RTOs (127 s for 6). With exponential backoff that is after n
 * retransmissions; with linear timeouts (tcp_syn_linear_timeouts) more fit.
 * Here at the expiry after `backoff` retransmissions the time elapsed is the
 * sum of the timeouts so far (the first one only TCP_TIMEOUT_MIN_US when a
 * bad SYN|ACK cut it short: the model then leaves out the round trip that
 * SYN|ACK took). SYN|ACK retransmissions are counted. */
static bool syn_timed_out(const struct tcp_env *env, const struct tcp_conn *c)
{
    if (c->state != SYNACK_SYN_SENT) return c->backoff >= c->syn_retries_left;
    unsigned n = c->syn_retries_left > 30 ? 30 : c->syn_retries_left;
    uint64_t base = c->rto, max = (uint64_t)env->tunables->rto_max_ms * 1000u;
    uint64_t model = base * ((2ull << n) - 1), elapsed = 0;
    unsigned linear = env->tunables->syn_linear_timeouts;
    for (unsigned i = 0; i <= c->backoff && elapsed < model; i++) {
        unsigned shift = i > linear ? i - linear : 0;
        uint64_t rto = base << (shift > 16 ? 16 : shift);
        if (i == 0 && c->syn_rtx_early) rto = TCP_TIMEOUT_MIN_US; /* cut short by a bad SYN|ACK */
        elapsed += rto > max ? max : rto;
    }
    return elapsed >= model;
}

static void persist_probe(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->probes_out >= env->tunables->retries2 ||
        (c->sd < 0 && c->backoff >= env->tunables->orphan_retries)) {
        if (c->sd < 0) tcp_app_abort(env, c);
        else tcp_abort(env, c, timeout_error(c));
        return;
    }
    if (tcp_send_held(env, c)) return;  /* a window is open: the override timer */
    c->probes_out++;
    tcp_send_probe(env, c);
    if (c->backoff < 16) c->backoff++;
    uint64_t rto = (uint64_t)c->rto << c->backoff;
    uint64_t max = (uint64_t)env->tunables->rto_max_ms * 1000u;
    c->persist = true;
    tcp_timer_set(env, c, TCP_T_RTX, env->now + (rto > max ? max : rto));
}

static void on_retransmit_timer(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->persist) {
        persist_probe(env, c);
        return;
    }
    c->rtt_start = 0; /* Karn: no sample across a retransmission */
    switch (c->state) {
    case SYNACK_SYN_SENT:
    case SYNACK_SYN_RCVD:
        if (syn_timed_out(env, c)) {
            tcp_abort(env, c, timeout_error(c));
            return;
        }
        c->backoff++;
        c->snd_nxt = c->iss;      /* output sends SYN (or SYN|ACK) again */
        /* A SYN lost: as after any timeout of Linux's (tcp_enter_loss), an
         * ECN connection's first new data will carry CWR. */
        if (c->state == SYNACK_SYN_SENT && c->ecn_ok) c->ecn_queue_cwr = true;
        return;
    default:
        break;
    }
    if (c->snd_una == c->snd_max) return; /* nothing outstanding */
    unsigned limit = env->tunables->retries2;
    if (c->sd < 0 && env->tunables->orphan_retries < limit) limit = env->tunables->orphan_retries;
    if (c->backoff >= limit) {
        tcp_abort(env, c, timeout_error(c));
        return;
    }
    c->backoff++;
    tcp_recovery_on_rto(env, c);
}

static bool keepalive_state(enum synack_tcp_state s)
{
    return s == SYNACK_ESTABLISHED || s == SYNACK_CLOSE_WAIT || s == SYNACK_FIN_WAIT_1 ||
           s == SYNACK_FIN_WAIT_2;
}

static uint64_t ka_idle_us(const struct tcp_env *env, const struct tcp_conn *c)
{
    return (uint64_t)(c->ka_idle_s ? c->ka_idle_s : env->tunables->keepalive_time_s) * 1000000u;
}

void tcp_keepalive_arm(struct tcp_env *env, struct tcp_conn *c)
{
    uint64_t at = TIMER_NEVER;
    if (c->keepalive && keepalive_state(c->state)) at = c->last_rcv + ka_idle_us(env, c);
    if (at != TIMER_NEVER && at < env->now) at = env->now;
    tcp_timer_set(env, c, TCP_T_KEEP, at);
}

/* RFC 1122 4.2.3.6: after keepalive_time of silence, probe every interval;
 * after keepalive_probes unanswered probes the peer is gone: RST and
 * ETIMEDOUT, as Linux does. Any segment from the peer resets the count. */
static void on_keepalive_timer(struct tcp_env *env, struct tcp_conn *c)
{
    if (!c->keepalive || !keepalive_state(c->state)) return;
    uint64_t idle = ka_idle_us(env, c);
    uint64_t intvl = (uint64_t)(c->ka_intvl_s ? c->ka_intvl_s : env->tunables->keepalive_intvl_s) * 1000000u;
    unsigned count = c->ka_count ? c->ka_count : env->tunables->keepalive_probes;
    uint32_t data_end = c->snd_buf_seq + c->sndbuf.len;
    if (c->snd_una != c->snd_max || seq_lt(c->snd_nxt, data_end)) {
        /* Data is outstanding: the retransmission timer watches the peer. */
        tcp_timer_set(env, c, TCP_T_KEEP, env->now + idle);
        return;
    }
    if (c->ka_sent == 0 && env->now - c->last_rcv < idle) {
        tcp_timer_set(env, c, TCP_T_KEEP, c->last_rcv + idle);
        return;
    }
    if (c->ka_sent >= count) {
        tcp_app_abort(env, c);     /* RST to the peer, CLOSED */
        c->err = ETIMEDOUT;
        return;
    }
    tcp_send_probe(env, c);
    c->ka_sent++;
    tcp_timer_set(env, c, TCP_T_KEEP, env->now + intvl);
}

void tcp_on_timer(struct tcp_env *env, struct tcp_conn *c)
{
    uint64_t now = env->now;
    if (c->deadline[TCP_T_WAIT] <= now) {
        c->deadline[TCP_T_WAIT] = TIMER_NEVER;
        if (c->state == SYNACK_TIME_WAIT || c->state == SYNACK_FIN_WAIT_2) {
            tcp_set_state(env, c, SYNACK_CLOSED);
            return;
        }
    }
    if (c->deadline[TCP_T_DELACK] <= now) {
        c->deadline[TCP_T_DELACK] = TIMER_NEVER;
        if (c->ack_sched) {
            /* The delayed ACK went unanswered by our data (Linux's
             * tcp_delack_timer_handler): an interactive connection leaves
             * pingpong and ato deflates; otherwise ato doubles, up to the RTO. */
            if (c->pingpong) {
                c->pingpong = false;
                c->ato = env->tunables->delack_ms * 1000u;
            } else {
                c->ato = c->ato * 2 < c->rto ? c->ato * 2 : c->rto;
            }
            c->ack_now = true;
        }
    }
    if (c->deadline[TCP_T_LOSS] <= now) {
        c->deadline[TCP_T_LOSS] = TIMER_NEVER;
        tcp_recovery_on_timer(env, c);
    }
    if (c->deadline[TCP_T_RTX] <= now) {
        c->deadline[TCP_T_RTX] = TIMER_NEVER;
        on_retransmit_timer(env, c);
        if (c->state == SYNACK_CLOSED) return;
    }
    if (c->deadline[TCP_T_KEEP] <= now) {
        c->deadline[TCP_T_KEEP] = TIMER_NEVER;
        on_keepalive_timer(env, c);
        if (c->state == SYNACK_CLOSED) return;
    }
    /* A paced segment's departure time came: output below sends it. */
    if (c->x && c->x->pace_timer && c->x->pace_timer <= now) c->x->pace_timer = 0;
    tcp_output(env, c);
    env->timer_changed(env, c);
}
