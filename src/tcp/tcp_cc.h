/*
 * tcp_cc.h — congestion control behind one table of callbacks, in the
 * manner of Linux's struct tcp_congestion_ops.
 *
 * Owns: the interface between a connection's loss recovery (tcp_recovery.c)
 * and the algorithm that sizes its congestion window (cc_cubic.c: CUBIC,
 * RFC 9438, with HyStart++, RFC 9406; cc_newreno.c: RFC 5681/6582), the
 * registry of algorithms by name, and the slow-start and additive-increase
 * helpers the algorithms share. An algorithm keeps its own state in
 * tcp_xfer.cc_priv (c->x, taken before any callback but get_info runs)
 * and touches only cwnd, ssthresh and that state. Must not
 * touch: segments, timers, buffers — recovery decides WHEN the window
 * changes (a loss, an ACK, a timeout), the algorithm decides BY HOW MUCH.
 * Also owns pacing (tcp_pacing_*): the rate from the window and the RTT,
 * and each data segment's departure time; output asks before sending.
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_conn;
struct synack_tcp_info;

/* The connection's congestion state, as Linux's icsk_ca_state. */
enum tcp_ca_state {
    TCP_CA_OPEN,      /* no loss in sight */
    TCP_CA_DISORDER,  /* duplicate ACKs or SACKs, no loss declared yet */
    TCP_CA_CWR,       /* window reduced for ECN (CE echoed) */
    TCP_CA_RECOVERY,  /* fast recovery */
    TCP_CA_LOSS,      /* after a retransmission timeout */
};

#define TCP_CC_NAME_MAX 16  /* with the NUL, as Linux's TCP_CA_NAME_MAX */

struct tcp_cc_ops {
    const char *name;
    /* A connection starts using the algorithm (fresh, or switched to it). */
    void (*init)(struct tcp_conn *c);
    /* Loss or CE: the new slow-start threshold, bytes. Called once per
     * congestion event, before the window is cut. */
    uint32_t (*ssthresh)(struct tcp_conn *c, uint64_t now);
    /* New data was ACKed while the window may grow (not in recovery, and the
     * sender was limited by cwnd): grow cwnd for `acked` bytes. */
    void (*cong_avoid)(struct tcp_conn *c, uint32_t acked, uint64_t now);
    /* Every ACK of new data, with its RTT sample in microseconds (0: none);
     * before cong_avoid. May be NULL. */
    void (*pkts_acked)(struct tcp_conn *c, uint32_t acked, uint32_t rtt_us, uint64_t now);
    /* The congestion state changed. May be NULL. */
    void (*set_state)(struct tcp_conn *c, enum tcp_ca_state to);
    /* A reduction proved spurious (D-SACK, F-RTO, timestamps): the window to
     * go back to. */
    uint32_t (*undo_cwnd)(struct tcp_conn *c);
    /* Fills the algorithm's part of TCP_INFO (may be NULL). */
    void (*get_info)(const struct tcp_conn *c, struct synack_tcp_info *out);
};

extern const struct tcp_cc_ops tcp_cc_cubic;
extern const struct tcp_cc_ops tcp_cc_newreno;

/* The algorithm of that name ("cubic", "reno"; "newreno" is an alias), or
 * NULL. */
const struct tcp_cc_ops *tcp_cc_find(const char *name);
/* Every algorithm's name, space-separated (Linux's
 * tcp_available_congestion_control). */
const char *tcp_cc_available(void);
/* Name of a congestion state ("open", "disorder", "cwr", "recovery", "loss"). */
const char *tcp_ca_state_name(enum tcp_ca_state s);

/* ---- pacing, as Linux's internal pacing (tcp_update_pacing_rate,
 * tcp_pacing_check, tcp_update_skb_after_send) ---- */
struct tcp_env;
/* After an ACK (and when the RTT is first known): the rate becomes
 * max(cwnd, flight) / SRTT times pacing_ss_ratio percent while cwnd <
 * ssthresh / 2, pacing_ca_ratio percent after (kept when pacing is off,
 * for TCP_INFO). */
void tcp_pacing_update(const struct tcp_env *env, struct tcp_conn *c);
/* Before a data segment goes out: true when it must wait for its departure
 * time, in which case the connection's timer is due then (no busy loop). */
bool tcp_pacing_wait(struct tcp_env *env, struct tcp_conn *c);
/* A data packet of len bytes in segs segments (more than one: a TSO
 * super-segment) went out: the next departure moves len / rate later (the
 * first ten segments are free; lateness earns back at most half a packet's
 * time, as Linux's credit for OS jitter). */
void tcp_pacing_sent(const struct tcp_env *env, struct tcp_conn *c, uint32_t len, uint32_t segs);
/* Linux's tcp_tso_autosize: the segments of mss bytes one departure carries,
 * about 1 ms of data at the pacing rate (plus up to 64 KB more on paths
 * whose minimum RTT is under a millisecond or so), at least two, at most
 * max_bytes of payload; max_bytes worth before the rate is known. */
uint32_t tcp_tso_autosize(const struct tcp_conn *c, uint32_t mss, uint32_t max_bytes);

/* ---- helpers the algorithms share ---- */
/* Slow start (RFC 5681 3.1 with RFC 3465 byte counting, at most `limit`
 * bytes per ACK): grows cwnd up to ssthresh; returns the acked bytes left
 * over once cwnd reached ssthresh (for congestion avoidance). */
uint32_t tcp_cc_slow_start(struct tcp_conn *c, uint32_t acked, uint32_t limit);
/* Additive increase: one MSS for every `w` bytes acknowledged. */
void tcp_cc_cong_avoid_ai(struct tcp_conn *c, uint32_t w, uint32_t acked);
/* Whether c is in slow start (cwnd below ssthresh). */
bool tcp_cc_in_slow_start(const struct tcp_conn *c);

#endif
