/*
 * tcp.h — one TCP connection: the RFC 9293 state machine, its sequence
 * variables, buffers, timers, RTO estimation and congestion control.
 *
 * Owns: struct tcp_conn and everything that happens to a single connection
 * once the stack has found it: segment arrival (tcp_input), what to send now
 * (tcp_output), timer expiry (tcp_on_timer) and the application's requests
 * (tcp_app_*). Must not touch: tables, listeners, sockets, allocation of
 * connections, clocks or I/O. It reaches the outside only through struct
 * tcp_env, which the stack implements: emit a segment, note a state change,
 * re-file the connection's timer and hand over a connection that completed
 * its handshake. A connection that reaches CLOSED stays valid until the
 * current input or poll returns; the stack frees it afterwards (deferred, so
 * no code here ever touches freed memory).
 *
 * Map: tcp_input.c (segment arrival, as RFC 9293 3.10.7's numbered steps),
 * tcp_output.c (segment building, Nagle, windows), tcp_timer.c (RTO, delayed
 * ACK, persist, TIME_WAIT, FIN_WAIT_2), tcp_conn.c (lifecycle, app calls).
 */
#ifndef SYNACK_TCP_TCP_H
#define SYNACK_TCP_TCP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/timer_wheel.h"
#include "synack/synack.h"
#include "tcp/assembler.h"
#include "tcp/tcp_cc.h"
#include "synack/wire.h"
#include "tcp/bytebuf.h"

#define TCP_DEFAULT_MSS 536   /* RFC 9293 3.7.1: when the peer sends none */
#define TCP_MIN_MSS 48        /* Linux TCP_MIN_SND_MSS: floor on the peer's MSS */
#define TCP_MAX_WINDOW 65535u /* without window scaling */
#define TCP_TIMEOUT_MIN_US 8000u /* Linux's TCP_TIMEOUT_MIN: two jiffies at the usual HZ=250 */

struct tcp_conn;
/* The stack's listener (stack.h). A connection only remembers which one
 * owns it while it waits to be accepted; tcp never looks inside. */
struct tcp_listener;
struct sack_board;

/* What the stack provides to a connection. */
struct tcp_env {
    const struct synack_tunables *tunables; /* the stack's sysctl-like settings */
    struct synack_counters *ctr;
    struct chunk_pool *pool;        /* where send and receive bytes are kept */
    struct tcp_xfer *xfer_spare;    /* given-back transfer blocks (tcp_xfer_need reuses them) */
    unsigned xfer_spare_count;
    /* Sends one segment from this connection (adds the IPv4 header). */
    void (*emit)(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg);
    /* Every state change, after it happened. */
    void (*state_changed)(struct tcp_env *env, struct tcp_conn *c,
                          enum synack_tcp_state from, enum synack_tcp_state to);
    /* The connection's earliest deadline changed (see tcp_next_deadline). */
    void (*timer_changed)(struct tcp_env *env, struct tcp_conn *c);
    /* A passive connection completed its handshake (SYN_RCVD -> ESTABLISHED
     * or CLOSE_WAIT): move it to its listener's accept queue. */
    void (*established)(struct tcp_env *env, struct tcp_conn *c);
    uint64_t now;           /* the time of the current input or poll */
    /* Where the next emitted segment's payload lands: the stack builds each
     * packet in one buffer, IPv4 header (20 bytes) first, then the TCP
     * header, then the payload. Reading send-buffer bytes straight to
     * payload_at(header length) saves a copy; emit finds them in place. */
    uint8_t *(*payload_at)(struct tcp_env *env, size_t tcp_header_len);
    /* The link checks integrity (synack_config.checksum_offload): payload
     * is copied plainly, not summed on the way. */
    bool checksum_offload;
    /* Set by the caller of emit for the segment being emitted: its payload,
     * already in place at payload_at(), sums to payload_sum. */
    bool payload_summed;
    uint32_t payload_sum;
    /* Set by the stack around tcp_input when tcp_rx_place already copied the
     * segment's payload (checksum verified) into the receive buffer. */
    bool rx_placed;
    /* The ECN field (IP_ECN_*) of the packet being input, set by the stack
     * around tcp_input and tcp_open_passive; and the one to give the packet
     * being emitted, set by the caller of emit (ECT(0) on new data of an
     * ECN connection, else Not-ECT). */
    uint8_t rx_ecn, tx_ecn;
    /* TCP segmentation offload (synack_config.tso_max): the largest packet
     * (IP total length) the link takes as a super-segment, 0 when it takes
     * none; and, set by the caller of emit, the segment size of the packet
     * being emitted when it is a super-segment (0: one segment). */
    uint32_t tso_max;
    uint16_t tx_gso_size;
};

enum tcp_timer_kind {
    TCP_T_RTX,      /* retransmission (SYN, SYN|ACK, data, FIN) or persist */
    TCP_T_DELACK,   /* delayed ACK */
    TCP_T_WAIT,     /* TIME_WAIT 2*MSL, or orphaned FIN_WAIT_2 fin_timeout */
    TCP_T_KEEP,     /* keepalive: idle time, then probe interval */
    TCP_T_LINGER,   /* close() with SO_LINGER {1, t}: abort if not done by then */
    TCP_T_LOSS,     /* tail-loss probe, or RACK's reordering window (tcp_recovery.c) */
    TCP_T_COUNT
};

/* What a connection keeps only once it carries data: taken (tcp_xfer_need)
 * when the application first queues bytes or a FIN, or the first payload
 * arrives, and given back when the connection is freed. The send and
 * receive buffers keep their chunk chains here, so no byte is stored
 * before it exists. A connection that
 * completed its handshake and went idle has none (bench_idle measures
 * that). Everything here starts as zero, except what tcp_xfer_need fills
 * in as the connection's earlier life would have (the congestion-control
 * algorithm's init, the autotuning start), so a connection behaves the
 * same whenever the block was taken. Reads that may come before it exists
 * use tcp_xr (zeros); writes happen only on paths that took it. */
#define TCP_SEND_MARKS 16

struct tcp_xfer {
    union {
        struct sack_board *sb;         /* SACK scoreboard (tcp_sack.h), only while needed */
        struct tcp_xfer *next_spare;   /* on the env's spare list */
    };
    struct assembler *ooo;             /* ranges parked past RCV.NXT; taken at the first one */
    struct bytebuf_chain snd_chain, rcv_chain; /* where sndbuf's and rcvbuf's chunks are */
    uint64_t last_data_rcv;            /* when in-order data last arrived */
    uint64_t rcv_rtt_time;             /* receive RTT: measuring since then; 0 = not measuring */
    uint64_t rcvq_time;                /* when the last autotuning adjustment was made */
    uint64_t bytes_acked, bytes_received; /* over the whole connection (TCP_INFO) */
    uint64_t cc_priv[8];               /* the congestion-control algorithm's own state */
    /* Pacing (tcp_cc.c), as Linux's internal pacing: */
    uint64_t pacing_rate;              /* bytes per second; 0: not pacing */
    uint64_t pace_next;                /* earliest departure of the next data segment */
    uint64_t pace_timer;               /* when output is due again; 0: no timer */
    uint32_t data_segs_out;            /* data segments sent (the first ten go unpaced) */
    bool paced;                        /* the pacing tunable was on at the last data segment */
    uint32_t sack_latest;              /* start of the latest out-of-order segment */
    uint32_t ca_acked;                 /* congestion avoidance byte counting */
    uint32_t min_rtt;                  /* smallest RTT sample, microseconds (0: none) */
    uint32_t prior_cwnd, prior_ssthresh; /* before the last reduction (undo) */
    /* Proportional Rate Reduction (RFC 6937) of the current reduction, in
     * recovery or in CWR: bytes delivered and sent since it began. */
    uint32_t prr_delivered, prr_out;
    uint32_t cwr_high;                 /* ECN's CWR state ends once SND.UNA passes this
                                        * (SND.MAX when it began; Linux's high_seq) */
    uint32_t tlp_high;                 /* SND.MAX when the tail-loss probe went out */
    uint32_t undo_retrans;             /* bytes retransmitted since (or in flight when it
                                        * began), not yet D-SACKed */
    uint32_t dsack_start, dsack_end;   /* receiver: duplicate to report (RFC 2883) */
    uint32_t rcv_rtt_us;               /* receiver's RTT estimate: the least time one
                                        * window took to arrive; 0 = none yet */
    uint32_t rcv_rtt_seq;              /* measuring until RCV.NXT passes this */
    uint32_t rcvq_seq;                 /* bytes read count at the last adjustment */
    uint32_t rcvq_space;               /* most the application read in one RTT */
    /* RACK (RFC 8985), sender: when each stretch of new data was first sent
     * (ordered, non-overlapping; adjacent stretches merge when full): its
     * first byte at `first`, its last at `time` (microseconds, low 32 bits);
     * the stretches cover [sent_start, sent[sent_count - 1].end). And the
     * most recently sent data delivered so far with its RTT. */
    struct tcp_send_mark { uint32_t end, time, first; } sent[TCP_SEND_MARKS];
    uint32_t sent_start;               /* where sent[0] begins */
    uint64_t rack_xmit;                /* send time of the most recently sent delivered data */
    uint64_t tlp_time, rxt_time;       /* when the probe / the latest retransmission went */
    uint64_t rack_xmit_early;          /* the same, read at the earliest its stretch (of first
                                        * transmissions or of retransmissions) may have gone:
                                        * what a lost retransmission is timed against */
    uint32_t rack_rtt, rack_end;       /* its RTT and end */
    uint32_t rxt_high;                 /* F-RTO: resent since the timeout up to here */
    /* Whether the window limits the sender, per window as Linux's
     * tcp_cwnd_validate tracks it: the largest flight sent since
     * cwnd_usage_seq was SND.NXT (once SND.UNA passes it, a new window). */
    uint32_t max_flight, cwnd_usage_seq;
    uint32_t rxt_max;                  /* end of the highest data ever resent (rxt_any):
                                        * send-time RTT samples only above it (Karn) */
    uint8_t sent_count;
    bool rxt_any;                      /* some data was resent (rxt_max is set) */
    bool reord_seen;                   /* the peer delivered data out of order (not lost) */
    bool undo_no_rxt;                  /* nothing resent since the reduction, none in flight
                                        * (Linux's undo_retrans of -1): no D-SACK undo */
    uint16_t reordering;               /* the most reordering seen, segments (Linux's
                                        * tp->reordering; 0: none past DupThresh) */
    uint32_t reord_count;              /* ACKs that showed reordering (tcpi_reord_seen) */
};

#define TCP_XFER_SPARES 1024           /* given-back blocks kept for reuse, per stack */

/* Laid out for size (an idle connection is this and nothing more: no
 * buffer storage, no out-of-order list, no SACK scoreboard): 8-byte fields,
 * then 4-byte, then 2- and 1-byte ones and one-bit flags, each group in the
 * order of the RFC 9293 description. */
struct tcp_conn {
    /* ---- identity; tables and timer node are the stack's ---- */
    struct tcp_conn *hash_next;        /* the stack's free and graveyard lists */
    struct tcp_conn *queue_next;       /* listener's SYN or accept queue */
    struct tcp_conn *tw_next, *tw_prev; /* the stack's TIME_WAIT list */
    struct tcp_conn *compact_next;     /* the stack's list of TIME_WAITs to make records of */
    struct tcp_conn *dirty_next;       /* the stack's list of output to flush */
    struct tcp_listener *listener;     /* passive open: owning listener until accepted (opaque here) */
    struct timer_node timer;           /* filed at tcp_next_deadline() */
    const struct tcp_cc_ops *cc;       /* the congestion-control algorithm */
    struct tcp_xfer *x;                /* transfer state: NULL until data or FIN moves */

    /* ---- times (microseconds) ---- */
    uint64_t rtt_start;                /* when the timed segment was sent; 0 = none */
    uint64_t last_rcv;                 /* when the latest segment arrived (keepalive idle) */
    uint64_t last_challenge;           /* when we last sent a challenge ACK (RFC 5961 7) */
    uint64_t deadline[TCP_T_COUNT];    /* absolute, TIMER_NEVER when off */

    /* ---- buffers ---- */
    struct bytebuf sndbuf;             /* bytes from snd_buf_seq: unacked then unsent */
    struct bytebuf rcvbuf;             /* readable bytes, then out-of-order parking */

    struct synack_conn_id id;
    enum synack_tcp_state state;
    int sd;                            /* socket descriptor, -1 when orphaned */

    /* ---- send sequence space (RFC 9293 3.3.1) ---- */
    uint32_t iss;                      /* ISS */
    uint32_t snd_una;                  /* SND.UNA: oldest unacknowledged */
    uint32_t snd_nxt;                  /* SND.NXT: next to send (rewound on RTO) */
    uint32_t snd_max;                  /* highest SND.NXT so far; acceptable ACKs <= this */
    uint32_t snd_wnd;                  /* SND.WND, bytes (already scaled) */
    uint32_t snd_wl1, snd_wl2;         /* SND.WL1/WL2: segment of the last window update */
    uint32_t max_snd_wnd;              /* largest window the peer offered (RFC 5961 5.2) */
    uint32_t snd_buf_seq;              /* sequence number of sndbuf's first byte */
    uint32_t fin_seq;                  /* our FIN's number, valid when fin_queued */
    uint32_t snd_sml;                  /* end of the last sub-MSS segment sent (Minshall) */
    uint32_t pushed_seq;               /* end of the last segment sent with PSH (Linux's forced push) */

    /* ---- receive sequence space ---- */
    uint32_t irs;                      /* IRS */
    uint32_t rcv_nxt;                  /* RCV.NXT */
    uint32_t rcv_adv;                  /* right edge we last advertised (RCV.NXT + RCV.WND) */
    uint32_t rcv_ssthresh;             /* cap on the window we offer: Linux's initial
                                        * window, grown as data arrives (tcp_grow_window) */
    uint32_t peer_fin_seq;             /* peer's FIN number, valid when fin_pending */

    /* ---- negotiated (RFC 9293 3.7.1, RFC 7323, RFC 2018) ---- */
    uint32_t ts_recent;                /* TS.Recent: the peer's TSval to echo */
    uint32_t ts_offset;                /* our TSval = milliseconds + this (per connection) */
    uint32_t rcv_wup;                  /* Last.ACK.sent: RCV.NXT in our latest ACK */

    /* ---- RTO (RFC 6298), microseconds ---- */
    uint32_t srtt, rttvar, rto;
    uint32_t rtt_seq;                  /* timed segment: sample when ACK passes it */
    uint32_t ato;                      /* delayed-ACK timeout, microseconds (Linux's
                                        * icsk_ack.ato); 0 until the first data */

    /* ---- congestion control (tcp_cc.h) and loss recovery (tcp_recovery.c) ---- */
    uint32_t cwnd, ssthresh;
    uint32_t recover;                  /* SND.MAX when recovery began (RFC 6582, 6675) */

    /* ---- keepalive, autotuning, statistics ---- */
    uint32_t total_retrans;            /* segments retransmitted, ever */

    uint16_t snd_mss;                  /* payload bytes per full segment (peer's MSS,
                                        * clamped, less our per-segment options) */
    uint16_t adv_mss;                  /* MSS we advertise */
    uint16_t user_mss;                 /* TCP_MAXSEG, 0 = none */
    uint16_t rcv_mss;                  /* the peer's segment size as seen (Linux's
                                        * icsk_ack.rcv_mss): what "a full segment" is */
    uint16_t last_seg_size;            /* previous segment's size, to confirm rcv_mss */
    uint16_t ka_idle_s, ka_intvl_s;    /* TCP_KEEPIDLE / TCP_KEEPINTVL (0: stack default; at most 32767) */
    int16_t err;                       /* pending error for the app (positive errno), 0 none */
    int16_t soft_err;                  /* last ICMP soft error, reported if we time out */

    uint8_t snd_wscale;                /* Snd.Wind.Shift: applied to windows we receive */
    uint8_t rcv_wscale;                /* Rcv.Wind.Shift: applied to windows we send */
    uint8_t backoff;                   /* consecutive RTO expiries */
    uint8_t probes_out;                /* zero-window probes the peer has not answered */
    uint8_t syn_retries_left;
    uint8_t dupacks;
    uint8_t ca_state;                  /* enum tcp_ca_state */
    uint8_t quick_acks;                /* ACKs still to send at once (Linux quickack mode) */
    uint8_t ka_sent;                   /* keepalive probes unanswered */
    uint8_t ka_count;                  /* TCP_KEEPCNT (0: stack default) */
    uint8_t ttl;

    bool compact_queued : 1;           /* on the stack's list of TIME_WAITs to make records of */
    bool dirty : 1;                    /* on the stack's list of output to flush */
    bool passive : 1;                  /* came from a listener */
    bool persist : 1;                  /* TCP_T_RTX is running as the persist timer */
    bool offer_ws : 1, offer_ts : 1, offer_sack : 1; /* what our SYN or SYN|ACK offers */
    bool ws_ok : 1, ts_ok : 1, sack_ok : 1; /* both sides offered */
    bool in_recovery : 1;
    bool cwnd_limited : 1;             /* this window's sending was held by cwnd (Linux's is_cwnd_limited) */
    bool tlp_out : 1, tlp_retrans : 1; /* a probe is outstanding; it was a retransmission */
    bool undo_armed : 1;               /* a reduction may still prove spurious (D-SACK) */
    bool frto : 1;                     /* F-RTO (RFC 5682): this timeout may prove spurious */
    bool dsack_pending : 1;
    bool syn_rtx_early : 1;            /* SYN_SENT: the first retransmission came at
                                        * TCP_TIMEOUT_MIN_US (a bad SYN|ACK), not an RTO */

    /* ---- flags ---- */
    bool fin_queued : 1;               /* app: no more data; FIN goes after sndbuf */
    bool fin_pending : 1;              /* peer's FIN seen out of order, waiting for data */
    bool rcv_shut : 1;                 /* app: SHUT_RD */
    bool peer_fin : 1;                 /* peer's FIN received in order: EOF after rcvbuf */
    bool ack_now : 1;                  /* send an ACK at the next output */
    bool nodelay : 1;                  /* TCP_NODELAY */
    bool keepalive : 1;                /* SO_KEEPALIVE */
    bool pingpong : 1;                 /* interactive: we answer data quickly, so delay ACKs */
    bool ack_sched : 1;                /* data (or FIN) arrived that no ACK has covered yet */
    bool ack_pushed : 1, ack_pushed2 : 1; /* a pushed/small segment (one, two) awaits our
                                        * ACK: a read that drains the buffer ACKs at once */
    bool rcvbuf_locked : 1;            /* SO_RCVBUF was set: no receive autotuning */
    bool buried : 1;                   /* the stack's: on its graveyard list (freed after processing) */
    /* ECN (RFC 3168; tcp_ecn.c): negotiated; ECT or CE seen from the peer;
     * sender: CWR due on the next new data; receiver: ECE owed until CWR. */
    bool ecn_ok : 1, ecn_seen : 1, ecn_queue_cwr : 1, ecn_demand_cwr : 1;
    uint32_t pool_idx;                 /* the stack's: its slot in the stack's pool of connections
                                        * (in the tail padding: the struct does not grow) */
};

/* Ranges parked past RCV.NXT (none until the first out-of-order segment). */
static inline unsigned tcp_ooo_count(const struct tcp_conn *c) { return c->x && c->x->ooo ? c->x->ooo->count : 0; }

/* ---- transfer state on demand (tcp_conn.c) ---- */
/* c's transfer block, taken now if it has none (from the env's spares, else
 * malloc); NULL when memory ran out. */
struct tcp_xfer *tcp_xfer_need(struct tcp_env *env, struct tcp_conn *c);
/* For reading: c's block, or one of zeros when it has none yet. */
extern const struct tcp_xfer tcp_xfer_none;
static inline const struct tcp_xfer *tcp_xr(const struct tcp_conn *c) { return c->x ? c->x : &tcp_xfer_none; }
static inline struct sack_board *tcp_sb(const struct tcp_conn *c) { return c->x ? c->x->sb : NULL; }
/* Frees the env's spare blocks (stack teardown). */
void tcp_xfer_spares_free(struct tcp_env *env);

/* ---- lifecycle (tcp_conn.c) ---- */
/* Sets up a fresh connection whose buffers may grow to the given sizes;
 * no storage is taken until bytes arrive or are sent. */
void tcp_conn_init(struct tcp_conn *c, const struct synack_conn_id *id,
                  uint32_t rcvbuf, uint32_t sndbuf, uint16_t mtu, uint8_t ttl);
/* Gives the connection's storage back to the pool. */
void tcp_conn_fini(struct tcp_env *env, struct tcp_conn *c);
/* Every state change goes through here (counters, trace hook, timers). */
void tcp_set_state(struct tcp_env *env, struct tcp_conn *c, enum synack_tcp_state to);

/* Active open: sends SYN (at the next output). */
void tcp_open_active(struct tcp_env *env, struct tcp_conn *c, uint32_t iss);
/* Passive open: c was created for an arriving SYN; answers SYN|ACK. */
void tcp_open_passive(struct tcp_env *env, struct tcp_conn *c, uint32_t iss,
                      const struct tcp_repr *syn);

/* SYN cookie: the ACK seg completed a handshake whose SYN|ACK (ISS iss)
 * we did not keep; c becomes ESTABLISHED without negotiated options. */
void tcp_open_from_cookie(struct tcp_env *env, struct tcp_conn *c, uint32_t iss,
                          const struct tcp_repr *ack, uint16_t mss);

/* ---- application requests (change buffers and state only) ---- */
uint32_t tcp_app_send(struct tcp_env *env, struct tcp_conn *c, const void *buf, uint32_t len);
uint32_t tcp_app_recv(struct tcp_env *env, struct tcp_conn *c, void *buf, uint32_t len);
/* The zero-copy halves. Free send space at the end of the queue, up to want
 * bytes in up to *cnt pieces (one per storage chunk, in order; *cnt becomes
 * the pieces filled): returns their total (0 when none), then n of them are
 * queued by the commit. Received bytes in place from the head, up to *cnt
 * pieces: returns their total (0 when none), then n of them are consumed
 * (window update as tcp_app_recv). */
uint32_t tcp_app_send_reservev(struct tcp_env *env, struct tcp_conn *c, struct iovec *iov, unsigned *cnt,
                               uint32_t want);
void tcp_app_send_commit(struct tcp_conn *c, uint32_t n); /* n = 0: cancel */
uint32_t tcp_app_recv_peekv(struct tcp_conn *c, struct iovec *iov, unsigned *cnt);
void tcp_app_recv_consume(struct tcp_env *env, struct tcp_conn *c, uint32_t n);
/* SHUT_WR / close: queue our FIN after the data. */
void tcp_app_close_write(struct tcp_env *env, struct tcp_conn *c);
/* Abort: RST to the peer (when synchronized) and straight to CLOSED. */
void tcp_app_abort(struct tcp_env *env, struct tcp_conn *c);
/* The one way a connection ends abnormally (reset, refused, timed out):
 * err (positive errno, 0 none) is left for the application, the
 * EstabResets / AttemptFails counters are kept, and c goes to CLOSED. */
void tcp_abort(struct tcp_env *env, struct tcp_conn *c, int err);
/* The application let go of the connection (close()). */
void tcp_app_orphan(struct tcp_env *env, struct tcp_conn *c);
/* Readable bytes; whether the peer's FIN has been reached (EOF). */
static inline uint32_t tcp_readable(const struct tcp_conn *c) { return c->rcvbuf.len; }
static inline bool tcp_eof(const struct tcp_conn *c) { return c->peer_fin && c->rcvbuf.len == 0; }
static inline uint32_t tcp_send_space(const struct tcp_conn *c) { return bytebuf_space(&c->sndbuf); }

/* ---- events (tcp_input.c, tcp_output.c, tcp_timer.c) ---- */
/* A segment for this connection arrived (already demultiplexed). */
void tcp_input(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg);
/* The receive fast path, for a segment whose checksum still has to be
 * checked (tcp_parse_defer_csum gave partial): when it is the next in-order
 * data of an established connection with nothing parked out of order and
 * room in the receive buffer, its payload is copied to where it belongs in
 * the same pass as its checksum is summed (the one pass over those bytes),
 * but not yet counted as received. PLACED: intact and in place (call
 * tcp_input with env->rx_placed set); CORRUPT: the checksum fails (drop the
 * segment, nothing changed); UNPLACED: not for the fast path (check the sum
 * over the payload, then tcp_input as usual). */
enum tcp_rx_place { TCP_RX_UNPLACED, TCP_RX_PLACED, TCP_RX_CORRUPT };
enum tcp_rx_place tcp_rx_place(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg,
                               uint32_t partial);
/* Sends whatever is allowed now: SYN, data, FIN, ACK, window update. */
void tcp_output(struct tcp_env *env, struct tcp_conn *c);
/* Runs expired timers of c (env->now). */
void tcp_on_timer(struct tcp_env *env, struct tcp_conn *c);
uint64_t tcp_next_deadline(const struct tcp_conn *c);
void tcp_timer_set(struct tcp_env *env, struct tcp_conn *c, enum tcp_timer_kind k, uint64_t at);

/* Fills a RST|ACK / RST answering seg for which no connection exists
 * (RFC 9293 3.10.7.1). Returns false when no RST may be sent (seg is RST). */
bool tcp_rst_for(const struct tcp_repr *seg, struct tcp_repr *rst);
/* Sends a RST from c and counts it: answering seg (as tcp_rst_for) when seg
 * is not NULL, else c's own abort RST <SEQ=SND.NXT><ACK=RCV.NXT><RST,ACK>. */
void tcp_send_rst(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg);

/* Sends a bare ACK now (used for challenge ACKs and out-of-window answers). */
void tcp_send_ack(struct tcp_env *env, struct tcp_conn *c);
/* Sends a probe (ACK with SEQ = SND.UNA - 1): persist and keepalive. */
void tcp_send_probe(struct tcp_env *env, struct tcp_conn *c);
/* (Re)starts the keepalive timer from the last segment received. */
void tcp_keepalive_arm(struct tcp_env *env, struct tcp_conn *c);
/* TCP_QUICKACK: on leaves pingpong mode (and ACKs what a drained buffer
 * still owes); off enters it (ACKs wait for the delayed-ACK timer). */
void tcp_app_quickack(struct tcp_env *env, struct tcp_conn *c, bool on);
/* An ICMP error quoting one of our segments (RFC 1122 4.2.3.9, RFC 5927).
 * quoted_seq is the sequence number in the quoted TCP header. */
void tcp_icmp_error(struct tcp_env *env, struct tcp_conn *c, uint8_t type, uint8_t code,
                    uint16_t mtu, uint32_t quoted_seq);

/* ---- helpers shared by the tcp_*.c files ---- */
/* Delayed ACKs, as Linux (tcp_input.c): quickack mode, pingpong, ato. */
void tcp_enter_quickack_mode(struct tcp_env *env, struct tcp_conn *c);
/* The application read n bytes: is an ACK owed now (Linux's tcp_cleanup_rbuf)? */
void tcp_ack_on_read(struct tcp_conn *c, uint32_t n);
/* Settles options from the peer's SYN or SYN|ACK (RFC 7323 1.3, 2018 2):
 * window scaling, timestamps and SACK only when both sides offered them;
 * sets the send MSS and the initial congestion window. */
void tcp_negotiate(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *syn);
/* Our TSval now (RFC 7323 5.4: a 1 ms clock, offset per connection). */
static inline uint32_t tcp_ts_now(const struct tcp_env *env, const struct tcp_conn *c)
{
    return (uint32_t)(env->now / 1000u) + c->ts_offset;
}
/* The peer's MSS option, clamped (RFC 9293 3.7.1; docs/HOSTILE.md H-37). */
uint16_t tcp_effective_mss(const struct tcp_conn *c, const struct tcp_options *opt);
/* The window scale Linux offers for a receive-buffer maximum of space bytes
 * (tcp_select_initial_window): the smallest shift that brings it under 64 KB. */
uint8_t tcp_wscale_for_space(uint32_t space);
/* The first window offered, as Linux's tcp_select_initial_window: the free
 * buffer, at most 64 KB, rounded down to whole segments of mss bytes (64240
 * for 1460; 65160 for 1448, a SYN|ACK with timestamps). */
uint32_t tcp_initial_window(const struct tcp_conn *c, uint32_t mss);
/* RFC 1122 4.2.3.4's override: data held back by sender SWS avoidance goes
 * out (as much as the peer's window allows, up to a segment) when the
 * persist timer expires, as Linux's tcp_write_wakeup. True when it sent. */
bool tcp_send_held(struct tcp_env *env, struct tcp_conn *c);
/* The largest segment we send now: the MSS, bounded by half the peer's
 * largest window when that is small (Linux's tcp_bound_to_half_wnd). */
uint32_t tcp_send_mss(const struct tcp_conn *c);
/* How many times the RTO is doubled now: the backoff, except that a SYN's
 * first syn_linear_timeouts retransmissions keep the initial RTO (Linux
 * 6.x's tcp_syn_linear_timeouts). */
unsigned tcp_rto_shift(const struct tcp_env *env, const struct tcp_conn *c);
/* The retransmission timer starts again from now: the RTO doubled by
 * tcp_rto_shift, at most rto_max_ms. */
void tcp_rto_restart(struct tcp_env *env, struct tcp_conn *c);
/* Whether cwnd may grow on this ACK: the congestion window, not the
 * application or the peer, held this window's sending (Linux's
 * tcp_is_cwnd_limited; in slow start also while cwnd < 2 x the window's
 * largest flight). */
bool tcp_cwnd_is_limited(const struct tcp_conn *c);
/* Free receive space we could advertise now, at most rcv_ssthresh, clamped
 * to 16 bits. */
uint32_t tcp_rcv_window_avail(const struct tcp_conn *c);
/* Whether the window we advertise is unscaled (no window scaling, or our
 * shift is 0): then it follows Linux's rules for whole segments
 * (tcp_select_window_unscaled). */
bool tcp_rcv_window_unscaled(const struct tcp_conn *c);
/* The window to offer without scaling, as Linux's __tcp_select_window in
 * bytes: 0 while less than half the buffer is free and that is under a
 * segment (or 1/16 of the buffer); else the free space up to rcv_ssthresh,
 * kept at the LAST window offered while that is within a segment below it,
 * otherwise rounded down to whole segments of the peer's size (rcv_mss).
 * The caller keeps the edge from moving left. */
uint32_t tcp_select_window_unscaled(const struct tcp_conn *c, uint32_t last);
/* Receive autotuning (tcp_conn.c): the receiver's RTT from in-order data
 * arriving, and the buffer grown from what the application read. */
void tcp_rcv_rtt_measure(struct tcp_env *env, struct tcp_conn *c);
void tcp_rcv_space_adjust(struct tcp_env *env, struct tcp_conn *c);
/* Sends one data segment [seq, seq+len) from the send buffer (FIN added when
 * it ends at fin_seq); used by output and by retransmissions. */
void tcp_send_data(struct tcp_env *env, struct tcp_conn *c, uint32_t seq, uint32_t len);
/* Loss recovery (tcp_recovery.c). An acceptable ACK arrived, after SND.UNA
 * moved from prior_una: rtt_us is its RTT sample (0: none), dupack whether
 * it is a duplicate ACK (RFC 5681 2). */
void tcp_recovery_on_ack(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *s,
                         uint32_t prior_una, uint32_t rtt_us, bool dupack);
/* The retransmission timer expired with data outstanding (after backoff++). */
void tcp_recovery_on_rto(struct tcp_env *env, struct tcp_conn *c);
/* TCP_T_LOSS expired: send the tail-loss probe or declare reordered holes lost. */
void tcp_recovery_on_timer(struct tcp_env *env, struct tcp_conn *c);
/* Before new data goes out: resends holes the recovery deems lost (RFC 6675
 * NextSeg rule 1) while the window allows. */
void tcp_recovery_output(struct tcp_env *env, struct tcp_conn *c);
/* After output: arms the tail-loss probe when it applies (RFC 8985 7.2). */
void tcp_recovery_arm_probe(struct tcp_env *env, struct tcp_conn *c);
/* How many more bytes the congestion window lets go past SND.NXT now
 * (cwnd - pipe during SACK recovery, RFC 6675; limited transmit). */
uint32_t tcp_cwnd_room(const struct tcp_conn *c);
/* SND.NXT in the middle of SACKed data (go-back-N after a timeout): where
 * the next unSACKed byte is. */
uint32_t tcp_skip_sacked(const struct tcp_conn *c, uint32_t seq);
/* A segment [seq, end) went out (note_sent): RACK remembers when. */
void tcp_recovery_on_send(struct tcp_env *env, struct tcp_conn *c, uint32_t seq, uint32_t end);
/* The RTT of the data at seq, microseconds, from when it was first sent;
 * 0 when that is not known or the data may have been resent (Karn). */
uint32_t tcp_recovery_sent_rtt(const struct tcp_env *env, const struct tcp_conn *c, uint32_t seq);
/* Frees the recovery's memory (connection teardown). */
void tcp_recovery_fini(struct tcp_conn *c);
/* Every change of the congestion state goes through here. */
void tcp_set_ca_state(struct tcp_conn *c, enum tcp_ca_state to);
/* Switches c to another algorithm (TCP_CONGESTION). */
void tcp_set_congestion_control(struct tcp_conn *c, const struct tcp_cc_ops *cc);
/* Applies an RTT sample (RFC 6298 2.2/2.3), microseconds. */
void tcp_rtt_sample(struct tcp_env *env, struct tcp_conn *c, uint32_t rtt);

#endif
