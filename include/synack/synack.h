/*
 * synack/synack.h — the public API of libsynack: the stack object (a
 * sans-I/O TCP/IPv4 host) and its BSD-socket-like calls.
 *
 * The stack never reads a clock, sleeps, spawns threads or does I/O. The
 * embedder (an event loop, the simulator, a test) owns time and the link:
 *   - packets in:  synack_stack_input(stack, bytes, len, now)
 *   - time in:     synack_stack_poll(stack, now) runs due timers and sends
 *                  whatever is ready; it returns the next time it must be
 *                  called (SYNACK_NEVER when nothing is pending).
 *   - packets out: the output callback of struct synack_config.
 *   - readiness:   synack_poll() on sockets, like poll(2) with timeout 0.
 * Socket calls (connect, send, close, ...) only change buffers and state;
 * the segments they cause go out at the next synack_stack_poll(). Call it
 * after socket calls, as every event loop does.
 *
 * Conventions: every call returns 0 (or a count) on success and a negative
 * errno value on failure (-ECONNREFUSED, -EAGAIN, ...); synack_strerror()
 * names them. Addresses and ports are in host byte order. Time is in
 * microseconds on the embedder's monotonic clock (any epoch).
 *
 * Lifecycle: a socket descriptor is valid from synack_socket() until
 * synack_close(). After close, the connection may live on (FIN_WAIT_2,
 * TIME_WAIT, ...) inside the stack; it is freed when it reaches CLOSED.
 * Callbacks are never called from inside a socket call; the output and
 * state callbacks run inside synack_stack_input / synack_stack_poll and
 * must not call back into the stack.
 */
#ifndef SYNACK_SYNACK_H
#define SYNACK_SYNACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "synack/export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_NEVER UINT64_MAX

typedef struct synack_stack synack_stack;

/* ---- TCP states (RFC 9293 3.3.2), ordered as Linux orders its checks ---- */
enum synack_tcp_state {
    SYNACK_CLOSED = 0,
    SYNACK_LISTEN,
    SYNACK_SYN_SENT,
    SYNACK_SYN_RCVD,
    SYNACK_ESTABLISHED,
    SYNACK_FIN_WAIT_1,
    SYNACK_FIN_WAIT_2,
    SYNACK_CLOSE_WAIT,
    SYNACK_CLOSING,
    SYNACK_LAST_ACK,
    SYNACK_TIME_WAIT,
};
SYNACK_API const char *synack_state_name(enum synack_tcp_state state);

/* ---- Stack-wide tunables, in the spirit of Linux's net.ipv4 sysctls ---- */
struct synack_tunables {
    unsigned syn_retries;       /* SYN retransmissions before ETIMEDOUT (6) */
    unsigned synack_retries;    /* SYN|ACK retransmissions (5) */
    unsigned syn_linear_timeouts; /* SYN retransmissions before the timeout starts
                                 * doubling (4: retries at 1, 2, 3, 4, 5, 7, 11 s,
                                 * as Linux 6.x's tcp_syn_linear_timeouts; 0 gives
                                 * the classic 1, 3, 7, 15 s) */
    unsigned retries2;          /* data/FIN retransmissions before ETIMEDOUT (15) */
    unsigned orphan_retries;    /* the same, and zero-window probes, for a closed
                                 * socket's connection (8, Linux's effective default) */
    uint32_t msl_ms;            /* TIME_WAIT lasts 2*MSL (30000: 60 s as Linux) */
    uint32_t fin_timeout_ms;    /* orphaned FIN_WAIT_2 lifetime (60000) */
    uint32_t rto_initial_ms;    /* RFC 6298 initial RTO (1000) */
    uint32_t rto_min_ms;        /* lower bound on the RTO (200, as Linux) */
    uint32_t rto_max_ms;        /* upper bound on the RTO (120000) */
    uint32_t delack_ms;         /* delayed-ACK timeout to start from (40, Linux's
                                 * TCP_ATO_MIN); it adapts to the peer's pace up to
                                 * delack_max_ms, as Linux's ato */
    uint32_t delack_max_ms;     /* longest delayed-ACK timeout (200, Linux's
                                 * TCP_DELACK_MAX; a BPF/route setting there) */
    bool quickack;              /* ACK every segment at once, never delay (false;
                                 * Linux's per-route `quickack 1` metric) */
    uint32_t min_pmtu;          /* smallest path MTU an ICMP "fragmentation needed"
                                 * may set (552, Linux's net.ipv4.route.min_pmtu) */
    uint32_t rcvbuf;            /* default receive buffer, bytes (65536) */
    uint32_t sndbuf;            /* default send buffer, bytes (65536) */
    uint32_t initial_cwnd;      /* initial window, segments (10, RFC 6928) */
    unsigned max_backlog;       /* upper bound on listen()'s backlog (4096) */
    unsigned max_syn_backlog;   /* half-open connections per listener (256) */
    unsigned max_connections;   /* connections of all states (1048576). Each costs
                                 * its struct and socket (under 1 KB: about 1 GB
                                 * at the default, see docs/DESIGN.md) plus 4 KB
                                 * chunks only for bytes it holds */
    unsigned max_tw;            /* TIME_WAIT connections kept (1048576); beyond it a
                                 * closing connection skips TIME_WAIT, as Linux's
                                 * tcp_max_tw_buckets */
    uint16_t ephemeral_lo, ephemeral_hi; /* local port range (32768..60999) */
    uint8_t ttl;                /* default IP TTL (64) */
    bool window_scaling;        /* offer RFC 7323 window scaling (true) */
    bool timestamps;            /* offer RFC 7323 timestamps (true) */
    bool sack;                  /* offer RFC 2018 SACK-permitted (true) */
    bool tw_reuse;              /* connect() may take over an outgoing TIME_WAIT pair
                                 * when timestamps make it safe and it is 1 s old
                                 * (Linux tcp_tw_reuse = 1) (false) */
    uint32_t rcvbuf_max;        /* receive-buffer maximum, bytes (6291456: Linux's
                                 * tcp_rmem[2]): autotuning's ceiling; the window
                                 * scale offered is the
                                 * smallest shift that brings it under 64 KB, as
                                 * Linux's tcp_select_initial_window: 7 for 6 MB,
                                 * 8 for 15 MB */
    uint32_t keepalive_time_s;  /* idle time before the first probe (7200) */
    uint32_t keepalive_intvl_s; /* between probes (75) */
    unsigned keepalive_probes;  /* unanswered probes before ETIMEDOUT (9) */
    bool moderate_rcvbuf;       /* receive-buffer autotuning (true, Linux's
                                 * tcp_moderate_rcvbuf): a connection's receive
                                 * buffer grows from rcvbuf toward rcvbuf_max as
                                 * the application reads more per round trip;
                                 * SO_RCVBUF turns it off for that socket */
    uint32_t mem_max_kb;        /* all connections' send and receive data together,
                                 * KB (262144 = 256 MB, as a share of Linux's
                                 * tcp_mem): beyond it a send takes fewer bytes and
                                 * arriving data is dropped for the peer to
                                 * retransmit (counted in mem_refused) */
    bool tail_loss_probe;       /* RFC 8985 tail-loss probes (true; Linux's
                                 * tcp_early_retrans: 0 off, 3 on) */
    uint8_t frto;               /* F-RTO (RFC 5682) for spurious retransmission
                                 * timeouts, as Linux's tcp_frto: 0 off, 1 or 2 on
                                 * (2, the default: SACK-enhanced when SACK is in
                                 * use, which synack does whenever it can) */
    bool dsack;                 /* report duplicate segments (data, a repeated FIN
                                 * or SYN) in a D-SACK block, RFC 2883 (true, as
                                 * Linux's tcp_dsack) */
    bool pacing;                /* space a connection's data segments over the round
                                 * trip at pacing_ss_ratio or pacing_ca_ratio percent
                                 * of cwnd / SRTT, released by the timer wheel (true;
                                 * Linux paces so internally only when asked, e.g.
                                 * by SO_MAX_PACING_RATE or BBR; fq paces the rest) */
    uint32_t pacing_ss_ratio;   /* percent of cwnd / SRTT while cwnd < ssthresh / 2
                                 * (200, Linux's tcp_pacing_ss_ratio) */
    uint32_t pacing_ca_ratio;   /* percent after that (120, tcp_pacing_ca_ratio) */
    char congestion_control[16]; /* algorithm of new connections: "cubic" (default)
                                 * or "reno", as Linux's tcp_congestion_control */
    /* IPv4 reassembly (docs/DESIGN.md "Reassembly"), as Linux's net.ipv4.ipfrag_* */
    uint32_t ipfrag_high_thresh; /* bytes all incomplete datagrams may hold (4194304,
                                 * Linux's default); past it the oldest are dropped
                                 * down to ipfrag_low_thresh. 0: no reassembly */
    uint32_t ipfrag_low_thresh; /* (3145728) */
    uint32_t ipfrag_time;       /* seconds an incomplete datagram is kept (30) */
    uint32_t ipfrag_src_thresh; /* bytes one source's incomplete datagrams may
                                 * hold (1048576; synack's own: Linux has none);
                                 * past it that source's oldest are dropped */
    uint32_t notsent_lowat;     /* unsent bytes a socket may hold before it stops
                                 * reading as writable (UINT32_MAX: no limit), as
                                 * Linux's tcp_notsent_lowat; TCP_NOTSENT_LOWAT
                                 * overrides it per socket */
    uint8_t ecn;                /* Explicit Congestion Notification (RFC 3168), as
                                 * Linux's tcp_ecn: 0 off; 1 request it on outgoing
                                 * connections and accept it on incoming ones; 2
                                 * (the default) accept it when the peer asks, never
                                 * request it */
};

/* Where outgoing IPv4 packets go. The bytes are valid only during the call. */
typedef void (*synack_output_fn)(void *ctx, const uint8_t *pkt, size_t len);

/* Where outgoing super-segments go when the link does TCP segmentation
 * offload (struct synack_config, tso_max): pkt is one IPv4/TCP packet whose
 * payload is more than one segment, gso_size the payload of each (the
 * connection's send MSS; the last may be shorter), as a NIC's TSO or a
 * virtio-net GSO packet (gso_type TCPV4) carries it. The headers are those
 * of the first segment: the link cuts the payload into gso_size pieces and
 * gives piece i the sequence number seq + i * gso_size, the IP total length
 * of its own size and the IP ID + i; CWR stays only on the first piece,
 * PSH and FIN only on the last (Linux's tcp_gso_segment). The TCP checksum
 * (unless checksum_offload) covers the whole super-segment, pseudo-header
 * with its TCP length included: right as it is for a receiver that accepts
 * super-segments whole (synack_stack_input does, as a GRO path hands TCP
 * one merged packet); a link that cuts the packet computes each piece's
 * (wire_tcp_segment in synack/wire.h does all of this in software). The
 * bytes are valid only during the call. */
typedef void (*synack_output_gso_fn)(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size);

/* Optional ISN override for tests (deterministic traces). The default is
 * RFC 6528: a keyed hash of the 4-tuple plus a 4-microsecond clock. */
typedef uint32_t (*synack_isn_fn)(void *ctx, uint32_t laddr, uint16_t lport,
                                  uint32_t raddr, uint16_t rport, uint64_t now);

/* A connection, as trace hooks see it. */
struct synack_conn_id {
    uint32_t laddr, raddr;
    uint16_t lport, rport;
};
/* Called at every state change of every connection (the ladder's source). */
typedef void (*synack_state_fn)(void *ctx, const struct synack_conn_id *id,
                                enum synack_tcp_state from, enum synack_tcp_state to,
                                uint64_t now);

struct synack_config {
    uint32_t addr;              /* this host's IPv4 address */
    uint16_t mtu;               /* link MTU (1500) */
    struct synack_tunables tunables;
    uint8_t secret[16];         /* key for ISNs and ephemeral ports: fill with
                                 * random bytes (synack_config_init zeroes it) */
    synack_output_fn output;
    void *output_ctx;
    synack_isn_fn isn_hook;     /* NULL: RFC 6528 generator */
    void *isn_ctx;
    synack_state_fn on_state;   /* NULL: none */
    void *state_ctx;
    /* TCP checksum offload: the link guarantees integrity both ways (an
     * in-process or shared-memory link, as the kernel's loopback does), so
     * synack neither fills in nor checks TCP checksums. Never set it for a
     * link that can corrupt packets (a real network, the simulator) unless
     * the link itself checks and fills them, as a NIC with checksum offload
     * or a TUN with a virtio-net header (tools/tun/loop.c) does. */
    bool checksum_offload;
    /* TCP segmentation offload (TSO/GSO), off by default (0). When tso_max is
     * above mtu and output_gso is set, the link takes TCP/IPv4 packets of up
     * to tso_max bytes of IP total length (at most 65535) and segments them
     * itself, or hands them whole to a receiver that takes super-segments.
     * A connection then sends runs of full-sized new segments as one packet
     * through output_gso (same output_ctx), sized as Linux's
     * tcp_tso_autosize: about 1 ms of data at the pacing rate, at least two
     * segments, at most tso_max; with pacing, one such packet leaves per
     * departure. Everything else (one-segment packets, retransmissions,
     * ACKs, SYNs, RSTs) still goes through output, at most mtu bytes.
     * Counters and the protocol's per-segment bookkeeping count the
     * segments the link will make (out_segs counts each, as Linux counts
     * GSO segments). */
    uint32_t tso_max;
    synack_output_gso_fn output_gso;
};

/* Fills cfg with the defaults above (address 0, no output). */
SYNACK_API void synack_config_init(struct synack_config *cfg);

SYNACK_API int synack_stack_create(synack_stack **out, const struct synack_config *cfg);
SYNACK_API void synack_stack_destroy(synack_stack *stack);

/* A packet arrived (raw IPv4, no link header). Never fails: bad packets are
 * dropped and counted. */
SYNACK_API void synack_stack_input(synack_stack *stack, const uint8_t *pkt, size_t len, uint64_t now);
/* One packet of a batch (synack_stack_input_batch). */
struct synack_packet {
    const uint8_t *data;
    size_t len;
};
/* Packets that arrived together, in order: the same as synack_stack_input
 * for each in turn (same effects, same output), but faster when the stack
 * holds many connections: while one packet is processed, the table lines
 * that later packets' 4-tuples hash to are fetched from memory (as a NIC
 * driver prefetches ahead in its receive ring). */
SYNACK_API void synack_stack_input_batch(synack_stack *stack, const struct synack_packet *pkts, size_t n,
                                         uint64_t now);
/* Time is now: run due timers, send what is ready. Returns the next time the
 * stack must be polled (SYNACK_NEVER if none). now must not go backwards. */
SYNACK_API uint64_t synack_stack_poll(synack_stack *stack, uint64_t now);
/* The deadline synack_stack_poll last returned, updated by input and socket
 * calls that create work (they make it "now"). */
SYNACK_API uint64_t synack_stack_next_deadline(const synack_stack *stack);

SYNACK_API void synack_stack_get_tunables(const synack_stack *stack, struct synack_tunables *out);
/* Validates and applies; -EINVAL names no field, so check ranges first with
 * the comments above. Affects new connections (and timers set from now on). */
SYNACK_API int synack_stack_set_tunables(synack_stack *stack, const struct synack_tunables *t);

/* Stack-wide counters (a first set; more come with the counters issue). */
struct synack_counters {
    uint64_t in_packets, in_ip_errors, in_not_ours, in_fragments, in_other_proto;
    uint64_t in_segs, in_tcp_errors, in_csum_errors, out_segs, retrans_segs, out_rsts;
    uint64_t active_opens, passive_opens, attempt_fails, estab_resets, curr_estab;
    uint64_t listen_drops, listen_overflows, challenge_acks, ooo_dropped;
    uint64_t abort_on_data, abort_on_close, tw_overflows, curr_time_wait;
    uint64_t syncookies_sent, syncookies_recv;
    uint64_t rcv_q_drops;       /* in-order data dropped: no buffer memory (TCPRcvQDrop) */
    uint64_t mem_refused;       /* 4 KB buffer chunks refused by the mem_max_kb budget */
    uint64_t icmp_in, icmp_in_errors, icmp_out_echo_replies;
    /* Loss recovery (as Linux's TCPSackRecovery, TCPDSACKUndo,
     * TCPLossProbes, TCPLossProbeRecovery, TCPSACKDiscard, TCPDSACKRecv). */
    uint64_t sack_recoveries, sack_retrans, dsack_undos, tlp_probes, tlp_recoveries;
    uint64_t sack_blocks_ignored, dsacks_received, dsacks_sent;
    uint64_t spurious_rtos;     /* timeouts F-RTO proved spurious and undid (TCPSpuriousRTOs) */
    uint64_t sack_work;         /* scoreboard and send-time entries visited for ACKs and
                                 * retransmissions (bounded per ACK whatever the peer sends) */
    /* Reassembly (Linux's ReasmReqds, ReasmOKs, ReasmFails, ReasmTimeout,
     * ReasmOverlaps; the rest synack's own). in_fragments counts the
     * fragments dropped on arrival, whatever the reason. */
    uint64_t reasm_reqds, reasm_oks, reasm_fails, reasm_timeouts, reasm_overlaps;
    uint64_t reasm_dups;        /* a fragment inside bytes already held: dropped alone */
    uint64_t reasm_bad;         /* DF+MF, empty, past the datagram's end, two ends */
    uint64_t reasm_oversize;    /* datagrams past 65535 bytes (ping of death) */
    uint64_t reasm_too_many;    /* datagrams in more than 64 separate pieces */
    uint64_t reasm_evicted;     /* dropped by ipfrag_high_thresh (oldest first) */
    uint64_t reasm_src_evicted; /* dropped by ipfrag_src_thresh */
    uint64_t icmp_out_time_excds; /* ICMP time exceeded (reassembly timeout) sent */
    /* Loss recovery, continued (Linux's TCPTimeouts, TCPRenoRecovery). */
    uint64_t timeouts;          /* retransmission timeouts of data or FIN */
    uint64_t reno_recoveries;   /* fast recoveries without SACK (NewReno) */
    /* ECN (RFC 3168) */
    uint64_t ecn_ce_received;   /* data segments that arrived CE-marked on an ECN connection */
    uint64_t ecn_cwr;           /* window reductions for an echoed mark (ECE), once per window */
};
SYNACK_API void synack_stack_get_counters(const synack_stack *stack, struct synack_counters *out);

/* ---- Sockets ------------------------------------------------------------ */

struct synack_endpoint {
    uint32_t addr;  /* host byte order; 0 = any */
    uint16_t port;  /* host byte order; 0 = any (bind picks an ephemeral port) */
};

static inline uint32_t synack_ipv4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    return ((uint32_t)a << 24) | ((uint32_t)b << 16) | ((uint32_t)c << 8) | d;
}
/* Parses "a.b.c.d" into *addr. Returns 0 or -EINVAL. */
SYNACK_API int synack_parse_ipv4(const char *text, uint32_t *addr);
/* Formats addr as "a.b.c.d" into buf (at least 16 bytes); returns buf. */
SYNACK_API char *synack_format_ipv4(uint32_t addr, char *buf);

#define SYNACK_SHUT_RD 0
#define SYNACK_SHUT_WR 1
#define SYNACK_SHUT_RDWR 2

/* A stream socket. Returns a descriptor >= 0 or -EMFILE / -ENOMEM. */
SYNACK_API int synack_socket(synack_stack *stack);
SYNACK_API int synack_bind(synack_stack *stack, int sd, const struct synack_endpoint *local);
SYNACK_API int synack_listen(synack_stack *stack, int sd, int backlog);
/* Returns a new descriptor, or -EAGAIN when no connection is ready. */
SYNACK_API int synack_accept(synack_stack *stack, int sd, struct synack_endpoint *peer);
/* Starts the handshake: returns -EINPROGRESS; completion shows as POLLOUT
 * (or POLLERR, with the reason from SO_ERROR / the next call). */
SYNACK_API int synack_connect(synack_stack *stack, int sd, const struct synack_endpoint *remote);
/* Queues up to len bytes; returns the count queued or -EAGAIN when the send
 * buffer is full, -EPIPE after shutdown(WR), -ENOTCONN, -ECONNRESET, ... */
SYNACK_API ssize_t synack_send(synack_stack *stack, int sd, const void *buf, size_t len);
/* Returns bytes read, 0 at the peer's FIN, -EAGAIN when nothing is there. */
SYNACK_API ssize_t synack_recv(synack_stack *stack, int sd, void *buf, size_t len);

/* Zero-copy: the application writes into the send buffer and reads the
 * receive buffer in place. synack_send and synack_recv are the same with a
 * copy in between.
 *
 * synack_send_reserve sets *buf to free space at the end of the send queue
 * and returns how many contiguous bytes may be written there (at most want,
 * > 0), or what synack_send would return instead (-EAGAIN when full,
 * -EPIPE, ...). synack_send_commit(n) queues the first n of them (n = 0
 * cancels). synack_recv_peek sets *buf to the received bytes at the head of
 * the queue and returns how many are contiguous there (> 0), or what
 * synack_recv would (0 at the peer's FIN, -EAGAIN). synack_recv_consume(n)
 * drops the first n of them.
 *
 * A view is valid until its commit/consume or any other call into the stack
 * (input, poll, any socket call): write or read it before that. Committing
 * more than was reserved, consuming more than was peeked, or either with no
 * view open (another call closed it) is -EINVAL and changes nothing. */
SYNACK_API ssize_t synack_send_reserve(synack_stack *stack, int sd, void **buf, size_t want);
SYNACK_API int synack_send_commit(synack_stack *stack, int sd, size_t n);
SYNACK_API ssize_t synack_recv_peek(synack_stack *stack, int sd, const void **buf);
SYNACK_API int synack_recv_consume(synack_stack *stack, int sd, size_t n);
/* The same views in several pieces at once, as readv/writev take them: the
 * buffers are chains of 4 KB chunks, so one contiguous view is at most a
 * chunk, while these return up to *iovcnt pieces (in, > 0: room in iov;
 * out: pieces filled), one per chunk, in order. synack_send_reservev returns
 * their total (at most want) and synack_send_commit(n) queues the first n
 * bytes of them; synack_recv_peekv returns the readable bytes they hold
 * (the application must not write there) and synack_recv_consume(n) drops
 * the first n. Return values, validity and misuse are as above; a NULL iov
 * or iovcnt, or *iovcnt <= 0, is -EINVAL. A 64 KB transfer is then one
 * reserve (or peek) and one commit (or consume). */
SYNACK_API ssize_t synack_send_reservev(synack_stack *stack, int sd, struct iovec *iov, int *iovcnt,
                                        size_t want);
SYNACK_API ssize_t synack_recv_peekv(synack_stack *stack, int sd, struct iovec *iov, int *iovcnt);
SYNACK_API int synack_shutdown(synack_stack *stack, int sd, int how);
/* Graceful close (FIN after queued data); RST when unread data remains or
 * SO_LINGER is {1, 0}. The descriptor is invalid afterwards. */
SYNACK_API int synack_close(synack_stack *stack, int sd);
SYNACK_API int synack_getsockname(synack_stack *stack, int sd, struct synack_endpoint *out);
SYNACK_API int synack_getpeername(synack_stack *stack, int sd, struct synack_endpoint *out);
/* The state of the socket's connection (LISTEN for listeners). */
SYNACK_API int synack_getstate(synack_stack *stack, int sd, enum synack_tcp_state *out);

/* Socket options. Levels and names are synack's own numbers. */
#define SYNACK_SOL_SOCKET 1
#define SYNACK_SOL_IP 2
#define SYNACK_SOL_TCP 3

#define SYNACK_SO_REUSEADDR 1 /* int */
#define SYNACK_SO_RCVBUF 2    /* int, bytes of buffer; before connect/listen. As on
                               * Linux, getsockopt reports twice the value set (Linux
                               * reserves as much again for bookkeeping) */
#define SYNACK_SO_SNDBUF 3    /* int, bytes; at any time (a connected socket's buffer
                               * keeps what it holds); read back doubled */
#define SYNACK_SO_ERROR 4     /* int, read-only: pending error as positive errno, cleared */
#define SYNACK_SO_LINGER 5    /* struct synack_linger */
#define SYNACK_IP_TTL 1       /* int, 1..255 */
#define SYNACK_TCP_NODELAY 1  /* int */
#define SYNACK_TCP_MAXSEG 2   /* int: clamp on the MSS we advertise and use */
#define SYNACK_SO_KEEPALIVE 6 /* int */
#define SYNACK_TCP_QUICKACK 3 /* int: 1 = ACK at once (leaves pingpong), 0 = delay */
#define SYNACK_TCP_KEEPIDLE 4 /* int, seconds of silence before the first probe */
#define SYNACK_TCP_KEEPINTVL 5 /* int, seconds between probes */
#define SYNACK_TCP_KEEPCNT 6  /* int, unanswered probes before ETIMEDOUT */
#define SYNACK_TCP_INFO 7     /* struct synack_tcp_info, read-only (see synack_getinfo) */
#define SYNACK_TCP_CONGESTION 8 /* char[16]: the congestion-control algorithm by name
                                 * ("cubic", "reno"); -ENOENT for an unknown name */
#define SYNACK_TCP_NOTSENT_LOWAT 9 /* unsigned int: a socket reads as writable (POLLOUT,
                                    * EPOLLOUT) only while its unsent bytes are under
                                    * half of it, and a send queues no more once they
                                    * reach it; 0: the notsent_lowat tunable, as Linux */

struct synack_linger {
    int onoff;
    int linger_s;
};

SYNACK_API int synack_setsockopt(synack_stack *stack, int sd, int level, int name,
                      const void *val, size_t len);
SYNACK_API int synack_getsockopt(synack_stack *stack, int sd, int level, int name,
                      void *val, size_t *len);

/* A connection's vital signs, in the spirit of Linux's TCP_INFO. */
struct synack_tcp_info {
    enum synack_tcp_state state;
    uint32_t rtt_us, rttvar_us, rto_us; /* smoothed RTT, its variation, current RTO */
    uint32_t snd_mss, adv_mss;          /* payload per segment we send; MSS we advertised */
    uint32_t cwnd, ssthresh;            /* bytes (ssthresh UINT32_MAX until the first loss) */
    uint32_t snd_wnd, rcv_wnd;          /* peer's window; the window we advertise */
    uint32_t unacked, unsent;           /* bytes in flight; bytes queued but not yet sent */
    uint32_t readable;                  /* bytes waiting for recv() */
    uint32_t backoff;                   /* consecutive RTO expiries now */
    uint32_t total_retrans;             /* segments retransmitted, ever */
    uint64_t bytes_acked, bytes_received;
    uint8_t snd_wscale, rcv_wscale;
    bool wscale_ok, timestamps_ok, sack_ok;
    bool in_recovery;
    /* Congestion control (SYNACK_TCP_CONGESTION): the algorithm's name, the
     * congestion state (Linux's: 0 open, 1 disorder, 2 cwr, 3 recovery,
     * 4 loss) and the smallest RTT seen. */
    char congestion[16];
    uint8_t ca_state;
    uint32_t min_rtt_us;
    /* CUBIC's state (zero for other algorithms): W_max (bytes), K (the time
     * from an epoch's start back to W_max) and HyStart++'s phase (0 slow
     * start, 1 conservative slow start, 2 done). */
    uint32_t ca_wmax, ca_k_us;
    uint8_t ca_hystart;
    /* The pacing rate, bytes per second (Linux's tcpi_pacing_rate), computed
     * whether the pacing tunable is on or not; 0 before the first ACK of
     * data. */
    uint64_t pacing_rate;
    /* ECN (RFC 3168): negotiated on this connection (Linux's TCPI_OPT_ECN);
     * an ECT or CE packet has arrived on it (TCPI_OPT_ECN_SEEN); the peer is
     * owed ECE until its CWR (a CE mark was received). */
    bool ecn_ok, ecn_seen, ecn_echoing;
    /* The sender's scoreboard, bytes (Linux counts segments: tcpi_sacked,
     * tcpi_lost, tcpi_retrans): SACKed above SND.UNA; deemed lost and not
     * SACKed since (resent or not); resent and neither acknowledged nor
     * SACKed since. Without SACK, duplicate ACKs count as SACKed segments,
     * as Linux's. */
    uint32_t sacked, lost, retrans;
    /* Reordering (Linux's tcpi_reordering, tcpi_reord_seen): the most the
     * peer has shown, in segments (3 until it shows more), and how many
     * ACKs showed it. */
    uint32_t reordering, reord_seen;
};
/* Fills *out for a connected socket; -ENOTCONN for others. */
SYNACK_API int synack_getinfo(synack_stack *stack, int sd, struct synack_tcp_info *out);

/* ---- Readiness ---------------------------------------------------------- */
#define SYNACK_POLLIN 0x001
#define SYNACK_POLLOUT 0x004
#define SYNACK_POLLERR 0x008
#define SYNACK_POLLHUP 0x010
#define SYNACK_POLLNVAL 0x020
/* synack's own: everything queued has been sent and acknowledged, and after
 * shutdown(SHUT_WR) our FIN too (what a lingering close waits for). */
#define SYNACK_POLLDRAINED 0x100

struct synack_pollfd {
    int sd;
    short events;
    short revents;
};
/* Fills revents for each entry (never blocks); returns how many are ready.
 * POLLERR, POLLHUP and POLLNVAL are reported whatever events asks. */
SYNACK_API int synack_poll(synack_stack *stack, struct synack_pollfd *fds, size_t n);

SYNACK_API const char *synack_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
