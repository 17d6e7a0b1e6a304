/*
 * tcp_recovery.c — how a sender finds and repairs losses, and when it tells
 * the congestion-control algorithm (tcp_cc.h) about them.
 *
 * Owns: the congestion state (open, disorder, recovery, loss), duplicate-ACK
 * counting and fast retransmit (RFC 5681 3.2), NewReno's partial ACKs
 * (RFC 6582), the reaction to a retransmission timeout (RFC 5681 3.1 eq. 4),
 * and the calls into the algorithm: ssthresh on a loss, cong_avoid on an
 * ACK that may grow the window, undo when a reduction was spurious. Must not
 * touch: segment parsing or the send buffer (it asks tcp_send_data to
 * retransmit), the algorithms' own state.
 */
#include "tcp/seq.h"
#include "tcp/tcp.h"
#include "tcp/tcp_cc.h"

void tcp_set_ca_state(struct tcp_conn *c, enum tcp_ca_state to)
{
    if (c->ca_state == to) return;
    c->ca_state = (uint8_t)to;
    if (c->cc->set_state) c->cc->set_state(c, to);
}

static uint32_t flight_size(const struct tcp_conn *c) { return c->snd_max - c->snd_una; }

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
    c->prior_cwnd = c->cwnd;
    c->prior_ssthresh = c->ssthresh;
    c->ssthresh = c->cc->ssthresh(c, env->now);
    c->ca_acked = 0;
}

static void enter_fast_recovery(struct tcp_env *env, struct tcp_conn *c)
{
    reduce_window(env, c);
    c->recover = c->snd_max;
    c->in_recovery = true;
    tcp_set_ca_state(c, TCP_CA_RECOVERY);
    retransmit_head(env, c); /* RFC 5681 3.2 step 2 */
    c->cwnd = c->ssthresh + 3u * c->snd_mss;
}

void tcp_recovery_on_ack(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s,
                         uint32_t prior_una, uint32_t rtt_us, bool dupack)
{
    (void)s;
    uint32_t acked = c->snd_una - prior_una;
    if (rtt_us && (c->min_rtt == 0 || rtt_us < c->min_rtt)) c->min_rtt = rtt_us;
    if (dupack) {
        c->dupacks++;
        if (c->dupacks == 3 && !c->in_recovery && seq_gt(c->snd_una, c->recover)) {
            enter_fast_recovery(env, c);
        } else if (c->dupacks > 3 && c->in_recovery) {
            c->cwnd += c->snd_mss; /* inflate: a segment has left the network */
        } else if (!c->in_recovery && c->ca_state == TCP_CA_OPEN) {
            tcp_set_ca_state(c, TCP_CA_DISORDER);
        }
        return;
    }
    if (!acked) return;
    if (c->cc->pkts_acked) c->cc->pkts_acked(c, acked, rtt_us, env->now);
    if (c->in_recovery) {
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
    } else {
        if (c->ca_state == TCP_CA_LOSS && seq_lt(c->snd_una, c->recover)) {
            /* Still repairing after a timeout: slow start continues. */
        } else if (c->ca_state != TCP_CA_OPEN) {
            tcp_set_ca_state(c, TCP_CA_OPEN);
        }
        /* Grow only when the window, not the application or the peer,
         * limited what was sent (RFC 7661's idea; Linux's
         * tcp_is_cwnd_limited): an idle window proves nothing. */
        if (c->cwnd_limited) c->cc->cong_avoid(c, acked, env->now);
    }
    c->dupacks = 0;
}

void tcp_recovery_on_rto(struct tcp_env *env, struct tcp_conn *c)
{
    /* RFC 5681 3.1 eq. 4 and RFC 6582: collapse to one segment, remember
     * how far we had gone, and resend from SND.UNA (go-back-N). A second
     * expiry in a row keeps the threshold of the first, as Linux does. */
    if (c->ca_state != TCP_CA_LOSS || c->backoff <= 1) reduce_window(env, c);
    c->cwnd = c->snd_mss;
    c->recover = c->snd_max;
    c->in_recovery = false;
    c->dupacks = 0;
    c->snd_nxt = c->snd_una;
    tcp_set_ca_state(c, TCP_CA_LOSS);
}

void tcp_set_congestion_control(struct tcp_conn *c, const struct tcp_cc_ops *cc)
{
    if (c->cc == cc) return;
    c->cc = cc;
    cc->init(c);
}
