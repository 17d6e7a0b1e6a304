/*
 * loop.h — the real-time event loop: one synack stack on one TUN interface.
 *
 * Owns: the clock (CLOCK_MONOTONIC in microseconds), the epoll set (TUN,
 * timerfd, signalfd, the application's own descriptors), the batch of
 * packets the stack emits in one turn, the pcap capture, privilege dropping,
 * the options every TUN subcommand shares (--tun, --addr, --gateway, --pcap,
 * --stats, --user, --create, --impair, --set, --list-tunables). Must not touch: what the application does with
 * its sockets (serve.c, client.c), the core.
 *
 * One turn of the loop:
 *   1. now = monotonic clock; read every packet waiting on the TUN (up to a
 *      batch) and give each to synack_stack_input(now);
 *   2. synack_stack_poll(now): due timers fire, segments go out;
 *   3. the application's step(): non-blocking socket calls;
 *   4. synack_stack_poll(now) again, to send what step() queued; it returns
 *      the stack's next deadline;
 *   5. write the packets produced during the turn to the TUN in one batch;
 *   6. sleep in epoll_wait until a packet, a signal, an application
 *      descriptor, or the timerfd armed at min(stack deadline, application
 *      wake-up) — unless the read batch was full, then go round at once.
 *
 * Signals: SIGINT and SIGTERM arrive through a signalfd and are counted; the
 * application's on_signal() hears each (1: close gracefully, 2: abort).
 * SIGPIPE is ignored (a closed stdout shows as EPIPE).
 */
#ifndef SYNACK_TOOLS_LOOP_H
#define SYNACK_TOOLS_LOOP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "synack/synack.h"
#include "synack/tun.h"

struct synack_pcap;

/* The options every TUN subcommand takes. */
struct loop_options {
    const char *tun;         /* --tun IF */
    bool create;             /* --create: create IF when it does not exist */
    bool no_offload;         /* --no-offload: plain packets, no virtio-net header */
    uint32_t addr;           /* --addr A/PREFIX */
    unsigned prefix;
    bool have_addr;
    uint32_t gateway;        /* --gateway G (0: none) */
    const char *pcap;        /* --pcap FILE */
    bool stats;              /* --stats: counters on stderr at exit */
    const char *user;        /* --user NAME: drop root once the TUN is open */
    /* --impair: faults applied inside the loop, for kernels without netem
     * (loss and duplication in percent, delay and reordering in ms). */
    double loss_pct, dup_pct;
    uint32_t delay_ms, reorder_ms;
    uint64_t seed;
    /* --set NAME=VALUE (tunables.h): the stack's tunables, defaults first */
    struct synack_tunables tunables;
    bool list_tunables;      /* --list-tunables: list them (after every option is checked) and exit */
};

/* The text describing the options above, for each subcommand's --help. */
extern const char loop_options_help[];

void loop_options_default(struct loop_options *o);
/* If argv[*i] is one of the shared options, consumes it (and its value),
 * advancing *i, and returns 1; returns 0 when it is not one of them; prints
 * a message naming the option and returns -1 when its value is wrong.
 * --list-tunables only sets o->list_tunables: the subcommand checks the rest
 * of the command line first (an unknown option is an error even after it). */
int loop_parse_option(struct loop_options *o, int argc, char **argv, int *i, const char *prog);
/* Prints the tunables (with every --set applied) on stdout; the exit status. */
int loop_list_tunables(const struct loop_options *o);
/* Checks that the required options are there and that the tunables fit
 * together; prints and returns -1 if not. */
int loop_check_options(const struct loop_options *o, const char *prog);

/* Parses "PORT" (1..65535) or prints "prog: WHAT 'text': ..." and returns -1. */
int loop_parse_port(const char *text, const char *prog, const char *what, uint16_t *out);
/* Parses "HOST:PORT" with an IPv4 literal host. */
int loop_parse_hostport(const char *text, const char *prog, struct synack_endpoint *out);

struct loop;

/* serve --threads N: N loops, one per queue of a multi-queue TUN, each with
 * its own stack on its own thread; no lock on the data path.
 *
 * The kernel picks a queue for every packet it hands to the TUN: the queue
 * that last wrote a packet of that flow (its flow table, a few seconds of
 * memory), else one by a hash of the 4-tuple. A new flow's SYN is given to
 * the threads in turn, whatever queue it came in on: the thread answers on
 * its own queue, so the kernel sends the rest of the flow there. The owner
 * of every flow is kept in a small table (a hash of the 4-tuple and a tag;
 * lock-free), and a packet that still arrives on another queue (a flow
 * idle long enough for the kernel to forget it, a repeated SYN) is passed
 * to its owner's mailbox (the one lock, off the data path). Signals go to
 * thread 0 and are handed to every loop. */
struct loop_group;
#define LOOP_MAX_THREADS 16

struct loop_app {
    void *ctx;
    /* Socket work for this turn (never blocks). */
    void (*step)(void *ctx, struct loop *L);
    /* SIGINT/SIGTERM: count is 1 for the first, 2 for the second, ... */
    void (*on_signal)(void *ctx, struct loop *L, int count);
    /* A descriptor watched with loop_watch() is ready (EPOLLIN/OUT/HUP/ERR). */
    void (*on_fd)(void *ctx, struct loop *L, int fd, uint32_t events);
};

#define LOOP_BATCH 64
/* A turn reads at most LOOP_BATCH packets and stops early once it holds
 * LOOP_TURN_BYTES: with offloads a packet can be 64 KB, and 64 of them (4 MB)
 * would hold every ACK of the turn back for milliseconds and push the data
 * out of the cache between the kernel's copy and the stack's. */
#define LOOP_TURN_BYTES (256u * 1024)

struct loop {
    struct loop_options opt;
    struct synack_tun tun;
    synack_stack *stack;
    int epfd, tfd, sfd;
    struct synack_pcap *pcap;
    uint64_t wake_at;       /* application wake-up (SYNACK_NEVER: none) */
    uint64_t timer_at;      /* what the timerfd is armed for (SYNACK_NEVER: not armed) */
    bool stopping;
    int exit_status;
    int signals;
    unsigned active;        /* connections between SYN and CLOSED, TIME_WAIT excluded */
    /* packets of this turn, waiting for the batch write */
    uint8_t *out_buf;       /* LOOP_BATCH * mtu bytes */
    uint8_t *cut_buf;       /* mtu bytes: a super-segment cut for --impair */
    size_t out_len[LOOP_BATCH];
    size_t out_n;
    uint8_t *in_buf;        /* LOOP_BATCH * in_slot bytes */
    size_t in_slot;         /* mtu, or a virtio-net header + 64 KB with offloads */
    /* TUN offloads (tun.offload): super-packets in and out, checksums by the link */
    uint64_t gso_writes, gso_segments, gro_reads, csum_dropped;
    uint64_t not_ipv4;      /* packets of another protocol (the kernel's IPv6 router solicitations): dropped at the link */
    uint64_t tso_writes;    /* of gso_writes, super-segments the stack built (TSO) */
    /* --impair: packets held back (delay, reordering) */
    struct loop_held *held;
    size_t nheld, held_cap;
    uint64_t rng;
    uint64_t imp_dropped, imp_duplicated, imp_delayed;
    void (*state_hook)(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                       enum synack_tcp_state to, uint64_t now);
    void *state_ctx;
    /* --threads: the group, this loop's queue, its wake-up descriptor and
     * its mailbox (packets of its flows that arrived on another queue) */
    struct loop_group *group;
    unsigned queue;
    int evfd;
    pthread_mutex_t mbox_mu;
    struct loop_parcel *mbox;
    size_t mbox_n;
    uint64_t passed_on;     /* packets handed to another loop */
};

/* Opens the TUN, drops privileges (--user), creates the stack. Prints why
 * and returns a negative errno on failure. */
int loop_open(struct loop *L, const struct loop_options *o, const char *prog);
/* --threads n (2..LOOP_MAX_THREADS): opens n loops on n queues of the TUN
 * (multi-queue; created so with --create), privileges dropped after the
 * last. --pcap and --impair are refused (prints why). On failure the loops
 * opened so far are closed. The caller runs *loops[i] on thread i
 * (loop_run), then loop_close()s them all and loop_group_free()s. */
int loop_group_open(struct loop_group **g, struct loop *const *loops, unsigned n, const struct loop_options *o,
                    const char *prog);
void loop_group_free(struct loop_group *g);
/* Wakes L's thread at once (any thread may call it). */
void loop_poke(struct loop *L);
/* Runs turns until loop_stop(); returns the status given to it. */
int loop_run(struct loop *L, const struct loop_app *app);
void loop_stop(struct loop *L, int status);
/* Runs the application's step again no later than t (monotonic us). */
void loop_wake_at(struct loop *L, uint64_t t);
/* Watches fd in the epoll set. Returns 0, or -EPERM for descriptors epoll
 * cannot watch (regular files: always ready — the caller polls them). */
int loop_watch(struct loop *L, int fd, uint32_t events);
void loop_unwatch(struct loop *L, int fd);
uint64_t loop_now(void);
/* Prints the counters (when --stats) and frees everything. */
void loop_close(struct loop *L);

/* The deterministic stream of `serve --source` and `bulk`: byte i of the
 * stream is i mod 251 (a prime period: a lost, repeated or shifted block
 * shows). Fills buf with bytes offset .. offset+n-1. */
void loop_pattern_fill(uint8_t *buf, size_t n, uint64_t offset);

/* A progress bar on stderr when it is a terminal: done of total bytes
 * (total 0: unknown), at most every 100 ms unless final. */
struct loop_progress {
    bool tty;
    uint64_t start_us, last_us;
};
void loop_progress_init(struct loop_progress *p);
void loop_progress_show(struct loop_progress *p, uint64_t done, uint64_t total, bool final);
/* "12.3 MB in 1.02 s = 96.4 Mbit/s (12.0 MB/s)" */
void loop_format_rate(char *out, size_t cap, uint64_t bytes, uint64_t us);

/* True when dst can be reached: inside the prefix, or through --gateway. */
bool loop_routable(const struct loop *L, uint32_t dst);

/* The subcommands built on the loop (serve.c, client.c). */
int serve_main(int argc, char **argv);
int connect_main(int argc, char **argv);
int get_main(int argc, char **argv);
int bulk_main(int argc, char **argv);

#endif
