/*
 * tcp_conn.c — a connection's lifecycle and the application's requests.
 *
 * Owns: initialisation and teardown of struct tcp_conn, the single choke
 * point for state changes (tcp_set_state), active and passive opens, and
 * the app-side calls (send, recv, close-write, abort, orphan). These calls
 * change buffers and state only; segments go out at the next tcp_output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/seq.h"
#include "tcp/tcp.h"

void tcp_conn_init(struct tcp_conn *c, const struct synack_conn_id *id,
                  uint32_t rcvbuf, uint32_t sndbuf, uint16_t mtu, uint8_t ttl)
{
    memset(c, 0, sizeof *c);
    c->id = *id;
    c->sd = -1;
    c->state = SYNACK_CLOSED;
    c->ttl = ttl;
    timer_node_init(&c->timer);
    for (int k = 0; k < TCP_T_COUNT; k++) c->deadline[k] = TIMER_NEVER;
    uint32_t mss = mtu > 40 + TCP_MIN_MSS ? (uint32_t)mtu - 40 : TCP_MIN_MSS;
    c->adv_mss = (uint16_t)(mss > 65535 ? 65535 : mss);
    c->snd_mss = TCP_DEFAULT_MSS;
    bytebuf_init(&c->rcvbuf, rcvbuf);
    bytebuf_init(&c->sndbuf, sndbuf);
}

void tcp_conn_fini(struct tcp_env *env, struct tcp_conn *c)
{
    bytebuf_release(&c->rcvbuf, env->pool);
    bytebuf_release(&c->sndbuf, env->pool);
    struct tcp_xfer *x = c->x;
    if (x) {
        tcp_recovery_fini(c);
        if (x->ooo) asm_free(x->ooo);
        free(x->ooo);
        c->x = NULL;
        c->sndbuf.ch = c->rcvbuf.ch = NULL;
        if (env->xfer_spare_count < TCP_XFER_SPARES) {
            x->next_spare = env->xfer_spare;
            env->xfer_spare = x;
            env->xfer_spare_count++;
        } else {
            free(x);
        }
    }
}

const struct tcp_xfer tcp_xfer_none;

/* Autotuning starts from the initial window's worth per RTT (at
 * ESTABLISHED, or when the block is taken later). */
static void rcv_space_start(struct tcp_env *env, struct tcp_conn *c, struct tcp_xfer *x)
{
    uint32_t init = env->tunables->initial_cwnd * c->adv_mss;
    x->rcvq_space = init < c->rcvbuf.cap ? init : c->rcvbuf.cap;
    x->rcvq_seq = c->rcv_nxt - c->rcvbuf.len;
    x->rcvq_time = env->now;
}

struct tcp_xfer *tcp_xfer_need(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->x) return c->x;
    struct tcp_xfer *x = env->xfer_spare;
    if (x) {
        env->xfer_spare = x->next_spare;
        env->xfer_spare_count--;
    } else {
        x = malloc(sizeof *x);
        if (!x) return NULL;
    }
    memset(x, 0, sizeof *x);
    x->cwnd_usage_seq = c->snd_una; /* no window recorded yet */
    /* The handshake's RTT sample counts for the minimum RTT, as Linux's
     * (tcp_synack_rtt_meas): before data flows it is the only sample, so
     * SRTT is that sample. RACK's reordering window and its test of a
     * retransmission delivered too fast to be one read it. */
    x->min_rtt = c->srtt;
    c->x = x;
    bytebuf_attach(&c->sndbuf, &x->snd_chain);
    bytebuf_attach(&c->rcvbuf, &x->rcv_chain);
    /* What the connection's life so far would have put here: the
     * algorithm's initial state, and (once established) the autotuning
     * start. rcvq_seq is where reading began: RCV.NXT at ESTABLISHED, so
     * IRS + 1. rcvq_time is now, not the moment of ESTABLISHED: the first
     * adjustment waits for a receiver RTT sample, which is taken after the
     * block exists, so both lead to the same adjustments. */
    if (c->cc) c->cc->init(c);
    if (c->state != SYNACK_CLOSED && c->state != SYNACK_LISTEN && c->state != SYNACK_SYN_SENT &&
        c->state != SYNACK_SYN_RCVD) {
        rcv_space_start(env, c, x);
        x->rcvq_seq = c->irs + 1;
    }
    return x;
}

void tcp_xfer_spares_free(struct tcp_env *env)
{
    while (env->xfer_spare) {
        struct tcp_xfer *x = env->xfer_spare;
        env->xfer_spare = x->next_spare;
        free(x);
    }
    env->xfer_spare_count = 0;
}

static bool is_established_like(enum synack_tcp_state s)
{
    return s == SYNACK_ESTABLISHED || s == SYNACK_CLOSE_WAIT;
}

void tcp_set_state(struct tcp_env *env, struct tcp_conn *c, enum synack_tcp_state to)
{
    enum synack_tcp_state from = c->state;
    if (from == to) return;
    c->state = to;
    /* CurrEstab counts ESTABLISHED and CLOSE_WAIT, as RFC 1213 (and Linux) do. */
    if (is_established_like(to) && !is_established_like(from)) env->ctr->curr_estab++;
    if (to == SYNACK_ESTABLISHED && c->keepalive) tcp_keepalive_arm(env, c);
    if (to == SYNACK_ESTABLISHED && (from == SYNACK_SYN_SENT || from == SYNACK_SYN_RCVD) && c->x)
        rcv_space_start(env, c, c->x);
    if (to == SYNACK_TIME_WAIT) env->ctr->curr_time_wait++;
    if (from == SYNACK_TIME_WAIT) env->ctr->curr_time_wait--;
    if (!is_established_like(to) && is_established_like(from)) env->ctr->curr_estab--;
    if (to == SYNACK_CLOSED) {
        for (int k = 0; k < TCP_T_COUNT; k++) c->deadline[k] = TIMER_NEVER;
        env->timer_changed(env, c);
    }
    env->state_changed(env, c, from, to);
}

uint8_t tcp_wscale_for_space(uint32_t space)
{
    uint8_t shift = 0;
    while (space > TCP_MAX_WINDOW && shift < 14) {
        space >>= 1;
        shift++;
    }
    return shift;
}

uint32_t tcp_initial_window(const struct tcp_conn *c, uint32_t mss)
{
    uint32_t space = c->rcvbuf.cap < TCP_MAX_WINDOW ? c->rcvbuf.cap : TCP_MAX_WINDOW;
    if (mss && space > mss) space -= space % mss;
    return space;
}

/* Sequence state common to both opens. */
static void init_send_side(struct tcp_env *env, struct tcp_conn *c, uint32_t iss)
{
    const struct synack_tunables *t = env->tunables;
    c->iss = iss;
    c->snd_una = iss;
    c->snd_nxt = iss;
    c->snd_max = iss;
    c->snd_buf_seq = iss + 1;
    c->pushed_seq = iss + 1;
    c->recover = iss;
    c->snd_sml = iss;
    c->rto = t->rto_initial_ms * 1000u;
    c->ssthresh = UINT32_MAX;
    /* TCP_CONGESTION (copied from the socket) or the stack's default. */
    if (!c->cc) c->cc = tcp_cc_find(t->congestion_control);
    if (!c->cc) c->cc = &tcp_cc_cubic;
    c->ca_state = TCP_CA_OPEN;
    if (c->x) c->cc->init(c); /* else when the transfer block is taken */
    if (c->user_mss && c->user_mss < c->adv_mss) c->adv_mss = c->user_mss;
    c->offer_ws = t->window_scaling;
    c->offer_ts = t->timestamps;
    c->offer_sack = t->sack;
    c->rcv_wscale = t->window_scaling ? tcp_wscale_for_space(t->rcvbuf_max) : 0;
    c->rcv_ssthresh = tcp_initial_window(c, c->adv_mss);
    c->last_rcv = env->now;
}

void tcp_negotiate(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *syn)
{
    const struct tcp_options *o = &syn->opt;
    c->ws_ok = c->offer_ws && o->has_wscale;
    /* RFC 7323 2.3: a shift above 14 is used as 14 (H-38). */
    c->snd_wscale = c->ws_ok ? (o->wscale > 14 ? 14 : o->wscale) : 0;
    if (!c->ws_ok) c->rcv_wscale = 0;
    c->ts_ok = c->offer_ts && o->has_timestamp;
    if (c->ts_ok) c->ts_recent = o->ts_val;
    c->sack_ok = c->offer_sack && o->sack_permitted;
    c->snd_mss = tcp_effective_mss(c, o);
    /* Every segment will carry a 12-byte timestamp option: it comes out of
     * the payload, as Linux's mss_cache does (1460 -> 1448). */
    if (c->ts_ok && c->snd_mss >= TCP_MIN_MSS + 12) c->snd_mss = (uint16_t)(c->snd_mss - 12);
    c->cwnd = env->tunables->initial_cwnd * c->snd_mss;
}

void tcp_open_active(struct tcp_env *env, struct tcp_conn *c, uint32_t iss)
{
    init_send_side(env, c, iss);
    c->ecn_ok = env->tunables->ecn == 1; /* asked for in the SYN; the SYN|ACK settles it */
    c->syn_retries_left = (uint8_t)(env->tunables->syn_retries > 255 ? 255 : env->tunables->syn_retries);
    env->ctr->active_opens++;
    tcp_set_state(env, c, SYNACK_SYN_SENT);
}

uint16_t tcp_effective_mss(const struct tcp_conn *c, const struct tcp_options *opt)
{
    uint32_t mss = (opt->has_mss && opt->mss != 0) ? opt->mss : TCP_DEFAULT_MSS;
    if (mss > c->adv_mss) mss = c->adv_mss;   /* our MTU bounds what we send too */
    if (c->user_mss && mss > c->user_mss) mss = c->user_mss;
    if (mss < TCP_MIN_MSS) mss = TCP_MIN_MSS;
    return (uint16_t)mss;
}

void tcp_open_passive(struct tcp_env *env, struct tcp_conn *c, uint32_t iss,
                      const struct tcp_repr *syn)
{
    init_send_side(env, c, iss);
    c->passive = true;
    c->irs = syn->seq;
    c->rcv_nxt = syn->seq + 1;
    c->rcv_adv = c->rcv_nxt;           /* nothing offered yet, whatever the peer's ISN */
    c->snd_wnd = syn->window;          /* never scaled in a SYN (RFC 7323 2.2) */
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = syn->seq;
    c->snd_wl2 = iss;
    tcp_negotiate(env, c, syn);
    /* ECN (RFC 3168 6.1.1, as Linux's tcp_ecn_create_request): the SYN asks
     * with ECE and CWR, and is itself Not-ECT (an ECT SYN came through
     * something that rewrites the field); tcp_ecn 1 or 2 agrees. */
    c->ecn_ok = env->tunables->ecn != 0 && (syn->flags & (TCP_ECE | TCP_CWR)) == (TCP_ECE | TCP_CWR) &&
                (env->rx_ecn & IP_ECN_MASK) == IP_ECN_NOT_ECT;
    c->rcv_ssthresh = tcp_initial_window(c, c->ts_ok && c->adv_mss > 12 ? c->adv_mss - 12u : c->adv_mss);
    c->syn_retries_left = (uint8_t)(env->tunables->synack_retries > 255 ? 255 : env->tunables->synack_retries);
    env->ctr->passive_opens++;
    tcp_set_state(env, c, SYNACK_SYN_RCVD);
}

void tcp_open_from_cookie(struct tcp_env *env, struct tcp_conn *c, uint32_t iss,
                          const struct tcp_repr *ack, uint16_t mss)
{
    init_send_side(env, c, iss);
    c->passive = true;
    c->offer_ws = c->offer_ts = c->offer_sack = false;
    c->rcv_wscale = 0;
    c->irs = ack->seq - 1;
    c->rcv_nxt = ack->seq;
    c->rcv_adv = c->rcv_nxt + tcp_rcv_window_avail(c);
    c->snd_una = c->snd_nxt = c->snd_max = iss + 1;
    c->snd_wnd = ack->window;
    c->max_snd_wnd = c->snd_wnd;
    c->snd_wl1 = ack->seq;
    c->snd_wl2 = ack->ack;
    c->snd_mss = mss < c->adv_mss ? mss : c->adv_mss;
    c->cwnd = env->tunables->initial_cwnd * c->snd_mss;
    env->ctr->passive_opens++;
    tcp_set_state(env, c, SYNACK_SYN_RCVD);
    tcp_set_state(env, c, SYNACK_ESTABLISHED);
    env->established(env, c);
}

uint32_t tcp_app_send(struct tcp_env *env, struct tcp_conn *c, const void *buf, uint32_t len)
{
    if (c->fin_queued || len == 0 || !tcp_xfer_need(env, c)) return 0;
    return bytebuf_push(&c->sndbuf, env->pool, buf, len);
}

uint32_t tcp_rcv_window_avail(const struct tcp_conn *c)
{
    uint32_t w = bytebuf_space(&c->rcvbuf);
    if (c->rcv_ssthresh && w > c->rcv_ssthresh) w = c->rcv_ssthresh; /* Linux's rcv_ssthresh */
    uint32_t max = c->ws_ok ? TCP_MAX_WINDOW << c->rcv_wscale : TCP_MAX_WINDOW;
    return w > max ? max : w;
}

bool tcp_rcv_window_unscaled(const struct tcp_conn *c)
{
    return !(c->ws_ok && c->rcv_wscale);
}

uint32_t tcp_select_window_unscaled(const struct tcp_conn *c, uint32_t last)
{
    uint32_t full = c->rcvbuf.cap < TCP_MAX_WINDOW ? c->rcvbuf.cap : TCP_MAX_WINDOW;
    uint32_t free = bytebuf_space(&c->rcvbuf);
    uint32_t mss = c->rcv_mss ? c->rcv_mss : c->adv_mss;
    if (mss > full) mss = full;
    if (mss == 0) return 0;
    if (free < full / 2 && (free < full / 16 || free < mss)) return 0;
    if (c->rcv_ssthresh && free > c->rcv_ssthresh) free = c->rcv_ssthresh;
    if (free > full) free = full;
    if (last > free || last + mss <= free) return free - free % mss;
    if (mss == full && free > last + full / 2) return free;
    return last;
}

uint32_t tcp_app_send_reservev(struct tcp_env *env, struct tcp_conn *c, struct iovec *iov, unsigned *cnt,
                               uint32_t want)
{
    uint32_t space = bytebuf_space(&c->sndbuf), total = 0;
    unsigned i = 0;
    if (want > space) want = space;
    if (!c->fin_queued && want && tcp_xfer_need(env, c)) {
        while (i < *cnt && total < want) {
            uint32_t n;
            uint8_t *p = bytebuf_reserve(&c->sndbuf, env->pool, c->sndbuf.len + total, &n);
            if (!p) break; /* the pool's budget: what was reserved so far */
            if (n > want - total) n = want - total;
            iov[i].iov_base = p;
            iov[i++].iov_len = n;
            total += n;
        }
    }
    /* Counted as written until the commit, so that ACKs draining the queue
     * meanwhile do not hand its chunks back to the pool. */
    if (total) bytebuf_wrote(&c->sndbuf, c->sndbuf.len, total);
    *cnt = i;
    return total;
}

void tcp_app_send_commit(struct tcp_conn *c, uint32_t n)
{
    bytebuf_commit(&c->sndbuf, n);
    c->sndbuf.end = c->sndbuf.len; /* what was reserved and not committed is gone */
}

uint32_t tcp_app_recv_peekv(struct tcp_conn *c, struct iovec *iov, unsigned *cnt)
{
    uint32_t total = 0;
    unsigned i = 0;
    while (i < *cnt && total < c->rcvbuf.len) {
        uint32_t n;
        const uint8_t *p = bytebuf_peek(&c->rcvbuf, total, &n);
        if (n > c->rcvbuf.len - total) n = c->rcvbuf.len - total;
        iov[i].iov_base = (void *)(uintptr_t)p; /* read-only to the application */
        iov[i++].iov_len = n;
        total += n;
    }
    *cnt = i;
    return total;
}

uint32_t tcp_app_recv(struct tcp_env *env, struct tcp_conn *c, void *buf, uint32_t len)
{
    uint32_t n = c->rcvbuf.len < len ? c->rcvbuf.len : len;
    bytebuf_read_at(&c->rcvbuf, 0, buf, n);
    tcp_app_recv_consume(env, c, n);
    return n;
}

void tcp_app_recv_consume(struct tcp_env *env, struct tcp_conn *c, uint32_t n)
{
    bytebuf_drop(&c->rcvbuf, env->pool, n);
    if (n) tcp_rcv_space_adjust(env, c);
    if (c->state >= SYNACK_ESTABLISHED && c->state <= SYNACK_CLOSE_WAIT) tcp_ack_on_read(c, n);
    /* Window update (receiver-side SWS avoidance, RFC 9293 3.8.6.2.2): tell
     * the peer only when the window opens by a full MSS-or-half-buffer step
     * beyond what it already knows. */
    if (n && c->state >= SYNACK_ESTABLISHED && c->state <= SYNACK_FIN_WAIT_2 && tcp_rcv_window_unscaled(c)) {
        /* Without scaling, as Linux's tcp_cleanup_rbuf: an update when the
         * window we would offer is at least twice what the peer has left. */
        uint32_t now = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
        uint32_t full = c->rcvbuf.cap < TCP_MAX_WINDOW ? c->rcvbuf.cap : TCP_MAX_WINDOW;
        uint32_t w = tcp_select_window_unscaled(c, c->rcv_adv - c->rcv_wup);
        if (2ull * now <= full && w && w >= 2ull * now) c->ack_now = true;
    } else if (n && c->state >= SYNACK_ESTABLISHED && c->state <= SYNACK_FIN_WAIT_2) {
        uint32_t edge = c->rcv_nxt + tcp_rcv_window_avail(c);
        uint32_t step = c->rcvbuf.cap / 2 < c->adv_mss ? c->rcvbuf.cap / 2 : c->adv_mss;
        uint32_t known = c->rcv_adv - c->rcv_nxt;
        if (seq_gt(edge, c->rcv_adv) && edge - c->rcv_adv >= step &&
            (known < step || edge - c->rcv_adv >= known))
            c->ack_now = true;
    }
}

/* As Linux's tcp_rcv_rtt_measure: the time from advertising a window until
 * that much data has arrived bounds the RTT from above when the sender is
 * window-limited; the least such sample is kept. It needs no timestamps and
 * has microsecond resolution. */
void tcp_rcv_rtt_measure(struct tcp_env *env, struct tcp_conn *c)
{
    struct tcp_xfer *x = c->x; /* taken with the data */
    if (!x || (x->rcv_rtt_time && seq_lt(c->rcv_nxt, x->rcv_rtt_seq))) return;
    if (x->rcv_rtt_time) {
        uint64_t d = env->now - x->rcv_rtt_time;
        uint32_t sample = d == 0 ? 1 : d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        if (x->rcv_rtt_us == 0 || sample < x->rcv_rtt_us) x->rcv_rtt_us = sample;
    }
    x->rcv_rtt_seq = c->rcv_nxt + (c->rcv_adv - c->rcv_nxt);
    if (seq_leq(x->rcv_rtt_seq, c->rcv_nxt)) x->rcv_rtt_seq = c->rcv_nxt + c->adv_mss;
    x->rcv_rtt_time = env->now ? env->now : 1;
}

/* As Linux's tcp_rcv_space_adjust: once per receiver RTT, compare what the
 * application read in that RTT with the most it read in one before. If it
 * read more, the sender is being held back by our window: make room for
 * twice that (plus 16 segments), more when the rate is still climbing, up
 * to rcvbuf_max. The buffer never shrinks (a promised window stays). */
void tcp_rcv_space_adjust(struct tcp_env *env, struct tcp_conn *c)
{
    struct tcp_xfer *x = c->x; /* none: no RTT sample yet, nothing to do */
    if (!x || x->rcv_rtt_us == 0 || env->now - x->rcvq_time < x->rcv_rtt_us) return;
    uint32_t copied_seq = c->rcv_nxt - c->rcvbuf.len;
    uint32_t copied = copied_seq - x->rcvq_seq;
    if (copied > x->rcvq_space) {
        if (env->tunables->moderate_rcvbuf && !c->rcvbuf_locked && x->rcvq_space) {
            uint64_t win = 2ull * copied + 16ull * c->adv_mss;
            uint64_t grow = win * (copied - x->rcvq_space) / x->rcvq_space;
            win += 2 * grow;
            uint64_t max = env->tunables->rcvbuf_max;
            uint32_t limit = c->ws_ok ? TCP_MAX_WINDOW << c->rcv_wscale : TCP_MAX_WINDOW;
            if (max > limit) max = limit;   /* more could never be advertised */
            if (win > max) win = max;
            if (win > c->rcvbuf.cap) c->rcvbuf.cap = (uint32_t)win;
        }
        x->rcvq_space = copied;
    }
    x->rcvq_seq = copied_seq;
    x->rcvq_time = env->now;
}

void tcp_app_close_write(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->fin_queued) return;
    switch (c->state) {
    case SYNACK_SYN_SENT:
        /* Nothing was said yet: closing a pending connect just ends it. */
        tcp_set_state(env, c, SYNACK_CLOSED);
        return;
    case SYNACK_SYN_RCVD:
    case SYNACK_ESTABLISHED:
        if (!tcp_xfer_need(env, c)) { /* no memory to close gracefully: reset */
            c->err = ENOMEM;
            tcp_app_abort(env, c);
            return;
        }
        c->fin_queued = true;
        c->fin_seq = c->snd_buf_seq + c->sndbuf.len;
        tcp_set_state(env, c, SYNACK_FIN_WAIT_1);
        return;
    case SYNACK_CLOSE_WAIT:
        if (!tcp_xfer_need(env, c)) {
            c->err = ENOMEM;
            tcp_app_abort(env, c);
            return;
        }
        c->fin_queued = true;
        c->fin_seq = c->snd_buf_seq + c->sndbuf.len;
        tcp_set_state(env, c, SYNACK_LAST_ACK);
        return;
    default:
        return;
    }
}

void tcp_app_abort(struct tcp_env *env, struct tcp_conn *c)
{
    if (c->state == SYNACK_CLOSED) return;
    if (c->state >= SYNACK_SYN_RCVD && c->state != SYNACK_TIME_WAIT) tcp_send_rst(env, c, NULL);
    /* The application asked for it: not a failed attempt. */
    if (c->state == SYNACK_ESTABLISHED || c->state == SYNACK_CLOSE_WAIT) env->ctr->estab_resets++;
    tcp_set_state(env, c, SYNACK_CLOSED);
}

void tcp_abort(struct tcp_env *env, struct tcp_conn *c, int err)
{
    c->err = err;
    if (c->state == SYNACK_ESTABLISHED || c->state == SYNACK_CLOSE_WAIT) env->ctr->estab_resets++;
    if (c->state == SYNACK_SYN_SENT || c->state == SYNACK_SYN_RCVD) env->ctr->attempt_fails++;
    tcp_set_state(env, c, SYNACK_CLOSED);
}

void tcp_app_orphan(struct tcp_env *env, struct tcp_conn *c)
{
    c->sd = -1;
    /* An orphan in FIN_WAIT_2 waits for the peer's FIN at most fin_timeout. */
    if (c->state == SYNACK_FIN_WAIT_2)
        tcp_timer_set(env, c, TCP_T_WAIT, env->now + (uint64_t)env->tunables->fin_timeout_ms * 1000u);
}

void tcp_app_quickack(struct tcp_env *env, struct tcp_conn *c, bool on)
{
    if (!on) {
        c->pingpong = true;
        return;
    }
    (void)env;
    c->pingpong = false;
    /* As Linux's TCP_QUICKACK: an ACK already scheduled goes now only if the
     * application has read everything (a pushed segment's rule). */
    if ((c->state == SYNACK_ESTABLISHED || c->state == SYNACK_CLOSE_WAIT) && c->ack_sched) {
        c->ack_pushed = true;
        tcp_ack_on_read(c, 1);
    }
}

/* The errno Linux gives each ICMP destination-unreachable code (its
 * icmp_err_convert table); codes past 15 are ignored. */
static const uint8_t unreach_errno[16] = {
    ENETUNREACH, EHOSTUNREACH, ENOPROTOOPT, ECONNREFUSED, EMSGSIZE,   EOPNOTSUPP,
    ENETUNREACH, EHOSTDOWN,    ENONET,      ENETUNREACH,  EHOSTUNREACH, ENETUNREACH,
    EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH, EHOSTUNREACH,
};

/* An ICMP error quoting one of our segments, as Linux's tcp_v4_err (RFC
 * 1122 4.2.3.9, RFC 5927, RFC 1191). The quoted sequence number must lie in
 * [SND.UNA, SND.MAX] (blind ICMP cannot guess it, H-20). While connecting
 * any unreachable or time-exceeded error ends the attempt with its errno
 * (connect fails at once, as on Linux); on a synchronized connection every
 * error is soft: remembered, read (once) through SO_ERROR and reported as the
 * reason if the connection later times out (H-21). Fragmentation needed lowers the MSS to the path MTU (at
 * least min_pmtu, 552 as Linux's route/min_pmtu) less the headers; if data
 * in flight no longer fits one segment it is sent again at once in smaller
 * ones (Linux's tcp_simple_retransmit; synack, which keeps no segment
 * boundaries, resends all of the flight). */
void tcp_icmp_error(struct tcp_env *env, struct tcp_conn *c, uint8_t type, uint8_t code,
                    uint16_t mtu, uint32_t quoted_seq)
{
    if (!(seq_geq(quoted_seq, c->snd_una) && seq_leq(quoted_seq, c->snd_max))) return;
    if (c->state == SYNACK_SYN_SENT && quoted_seq != c->iss) return;
    int err;
    if (type == ICMP_DEST_UNREACH) {
        if (code >= sizeof unreach_errno) return;
        err = unreach_errno[code];
    } else if (type == ICMP_TIME_EXCEEDED) {
        err = EHOSTUNREACH;
    } else {
        return;
    }
    if (type == ICMP_DEST_UNREACH && code == ICMP_UNREACH_FRAG_NEEDED) {
        uint32_t floor = env->tunables->min_pmtu ? env->tunables->min_pmtu : 552u;
        uint32_t pmtu = mtu < floor ? floor : mtu;
        uint32_t mss = pmtu - 40u - (c->ts_ok ? 12u : 0u);
        if (mss >= c->snd_mss) return; /* not smaller than what we use: nothing to do */
        c->snd_mss = (uint16_t)mss;
        if (c->state < SYNACK_ESTABLISHED) return;
        if (c->snd_max - c->snd_una > mss) {
            c->snd_nxt = c->snd_una;
            tcp_output(env, c);
            env->timer_changed(env, c);
        }
        return;
    }
    if (c->state == SYNACK_SYN_SENT) {
        tcp_abort(env, c, err);
        return;
    }
    c->soft_err = (int16_t)err;
}
