/*
 * stack.h — the stack object's internals, shared by src/stack and src/api.
 *
 * Owns: struct synack_stack — the host's address and tunables, the
 * connection table (hashed by 4-tuple), listeners (hashed by port) with
 * their SYN and accept queues, the socket table, the timer wheel, the
 * "dirty" list of connections with output to flush, the graveyard of
 * connections to free once the current input or poll returns, and the
 * small queue of packets produced inside socket calls (sent at the next
 * poll, so that output never happens inside a socket call).
 *
 * Map: stack.c (create, input dispatch, poll, tables, the ip layer's
 * upcalls), isn in stack.c, socket calls in src/api/socket.c. IPv4 and ICMP
 * are src/ip (ip.h), below the stack.
 */
#ifndef SYNACK_STACK_STACK_H
#define SYNACK_STACK_STACK_H

#include "util/hindex.h"
#include "util/slotmap.h"
#include "util/timer_wheel.h"
#include "ip/ip.h"
#include "stack/tw_table.h"
#include "synack/synack.h"
#include "tcp/tcp.h"

struct tcp_listener {
    struct tcp_listener *hash_next;
    uint32_t addr;                 /* 0 = any of ours */
    uint16_t port;
    int sd;
    unsigned backlog;              /* accept queue bound */
    unsigned syn_count, accept_count;
    struct tcp_conn *syn_head;     /* half-open children (SYN_RCVD) */
    struct tcp_conn *accept_head, *accept_tail; /* completed, not yet accepted */
    uint64_t last_overflow;        /* when the SYN queue last overflowed (cookies) */
};

enum sock_kind { SOCK_FREE = 0, SOCK_NEW, SOCK_LISTENER, SOCK_CONN };

/* Per-socket options that connections inherit (laid out for size). */
struct sock_opts {
    const struct tcp_cc_ops *cc;   /* TCP_CONGESTION; NULL: the tunable's */
    struct synack_linger linger;
    uint32_t rcvbuf, sndbuf;
    uint32_t notsent_lowat;        /* TCP_NOTSENT_LOWAT; 0: the tunable's */
    uint16_t ka_idle_s, ka_intvl_s; /* at most 32767 (Linux's bound) */
    uint16_t user_mss;
    uint8_t ttl;
    uint8_t ka_count;
    bool reuseaddr, nodelay, keepalive;
};

/* One descriptor's slot (laid out for size: a million of them may exist). */
struct sock {
    struct tcp_listener *listener;
    struct tcp_conn *conn;
    struct sock_opts opt;
    struct synack_endpoint local;
    uint32_t reserved;             /* zero-copy: bytes of the open send reservation */
    uint32_t peeked;               /* zero-copy: bytes of the open receive view */
    int16_t err;                   /* positive errno reported once (SO_ERROR) */
    uint8_t kind;                  /* enum sock_kind */
    bool bound, shut_rd, shut_wr;
    bool explicit_bind;            /* bound by bind() (or listen): counted in ports[].binds */
};

#define STACK_MAX_SOCKETS (1 << 21) /* descriptors per stack (EMFILE beyond) */
#define STACK_SOCK_CHUNK 4096      /* socket slots per chunk of the socket table */
/* The chunk pool's period: the poll trims it this often (chunk_pool_trim). */
#define STACK_POOL_TRIM_US 1000000u
#define STACK_CONN_CHUNK 1024    /* connections per chunk of the pool */
#define STACK_PORT_BUCKETS 65536u /* RFC 6056 algorithm 4's table (port_table) */
#define STACK_PORT_AHEAD 16u      /* port_ahead entries (a power of two) */
#define STACK_PORT_LOOK 8u        /* connects between a candidate's prefetch and its look */
/* Per-destination summaries of the local ports in use (port_sum). */
#define STACK_PSUM_MAX 128u       /* summaries at most (about 7 KB each with the default range) */
#define STACK_PSUM_ON 16u         /* candidates found held by connections toward a destination before it gets one */
#define STACK_PSUM_OFF 64u        /* a summary is dropped when fewer of its ports are in use */
#define STACK_PSUM_SCAN 16u       /* lookups per connect while a summary is built */
#define STACK_PSUM_BUSY 8u        /* a summary only while 1 in this many candidates is held (recently) */
#define STACK_PSUM_HITS 512u      /* sets (two ways) of the connect counts toward destinations */
#define STACK_DEFERRED_MAX 64
#define STACK_DEFERRED_BYTES 64    /* headers only: RSTs */

struct synack_stack {
    struct synack_config cfg;
    struct synack_tunables tunables;
    struct synack_counters ctr;
    struct tcp_env env;
    uint64_t now;                  /* latest time seen from the embedder */
    uint64_t work;                 /* table chain steps and moves so far (debug:
                                    * stack_work adds the wheel's and TIME_WAIT's) */
    uint64_t next_deadline;

    struct hindex conns;
    struct tcp_conn *last_conn;     /* the last one stack_conn_lookup found (a bulk
                                     * flow's segments skip the hash); cleared
                                     * when it leaves the table */
    uint32_t conn_count;
    /* The 4-tuple hash of the packet being processed, computed when
     * synack_stack_input_batch prefetched its table lines (a memo: valid for
     * that key whatever the tables hold). */
    struct {
        uint8_t key[12];
        uint32_t hash;
        bool valid;
    } hash_memo;

    /* listeners */
    struct tcp_listener *listen_buckets[64];

    /* sockets: a descriptor is a slot (stack_sock); a new one is the lowest free */
    struct sock **sock_chunks;     /* STACK_SOCK_CHUNK slots each (stack_sock) */
    int nsocks;                    /* slots in the chunks */
    struct slotmap free_socks;     /* the free slots below nsocks */

    struct timer_wheel wheel;
    struct chunk_pool pool;        /* send and receive storage of every connection */
    uint64_t pool_trim_at;         /* when the poll next trims the pool's free chunks */

    /* connections whose output must be flushed at the next poll */
    struct tcp_conn *dirty_head, *dirty_tail; /* via tcp_conn.dirty_next */
    /* CLOSED connections with nobody holding them: freed after processing */
    struct tcp_conn *graveyard;
    /* the pool every connection comes from: chunks of STACK_CONN_CHUNK,
     * slot i at conn_chunks[i / STACK_CONN_CHUNK]; slot 0 is never used
     * (the index's values are nonzero); free slots on a list via hash_next */
    struct tcp_conn **conn_chunks;
    uint32_t conn_nchunks, conn_fresh; /* slots below conn_fresh were handed out once */
    struct tcp_conn *spare;

    /* packets built inside socket calls, sent at the next poll */
    uint8_t deferred[STACK_DEFERRED_MAX][STACK_DEFERRED_BYTES];
    uint8_t deferred_len[STACK_DEFERRED_MAX];
    unsigned ndeferred;
    bool in_app_call;

    struct ip_layer ip;            /* IPv4 in and out (src/ip/ip.h) */
    /* RFC 6056 algorithm 4: a counter per bucket of destinations (their
     * keyed hash picks the bucket), advanced by keyed random steps
     * (algorithm 5), so a destination's next first candidate port is known
     * after each connect to it, and its index lines can be prefetched.
     * 65,536 buckets, as Linux's INET_TABLE_PERTURB_SIZE: destinations
     * seldom share one, so connects elsewhere seldom move a destination's
     * counter (and its prefetched candidates stay right). */
    uint32_t port_table[STACK_PORT_BUCKETS];
    /* Candidates found in use per connect() beyond the first, smoothed
     * (1/256ths): whether the next connects' later candidates are worth
     * looking ahead at (port_ahead). */
    uint32_t port_extra;
    /* The next connect's candidate ports, looked at ahead of it: each
     * connect() prefetches its destination's next first candidate and files
     * it here; a few connects later (its line has come) a look tells whether
     * that candidate is in use, and if so the one after it is prefetched
     * and filed in turn. So only the candidates a search will read are
     * fetched, each well before it. Hints only: a destination's counter
     * that moved meanwhile makes its entries stale, and they are dropped. */
    struct port_ahead {
        uint32_t *counter, counter_at; /* the destination's bucket and its value when filed */
        uint32_t next;                 /* the counter the next search will start from */
        uint32_t offset, laddr, raddr, hash;
        uint16_t rport, i;             /* candidate i of that search, its conn_hash */
        uint32_t seq;                  /* the connect that filed it */
    } port_ahead[STACK_PORT_AHEAD];
    uint32_t port_ahead_head, port_ahead_tail, port_seq;
    /* A summary of the local ports in use toward one destination (local
     * address, remote address and port) with many connections: two bits
     * per port of the ephemeral range (as it was when the summary was
     * made), one for a connection on that 4-tuple, one for a TIME_WAIT
     * record; a word of each per 64 ports, side by side. Kept exact at
     * every insertion and removal of either (a bit found otherwise than
     * expected drops the summary: it is never trusted wrong). connect()
     * rejects or accepts a candidate by a bit test, without a keyed hash or
     * an index line. Begun once connects toward a destination found
     * STACK_PSUM_ON candidates held by connections and at least one in
     * STACK_PSUM_BUSY of its recent candidates was held (with 1,000
     * connections over 64 destinations, one in 1,800 is; with 100,000, one
     * in 40, too few for a summary to pay back its build; with 1,000,000,
     * one in 4), it is built by looking up each port of the range, a few
     * (STACK_PSUM_SCAN) at each connect toward it, so no connect pays for
     * the crowd; meanwhile insertions and removals keep the part already
     * looked up exact, and connect() does without it. Dropped when fewer
     * than STACK_PSUM_OFF ports are in use. */
    struct port_sum {
        uint32_t laddr, raddr;
        uint16_t rport, lo, hi;    /* the destination; the range covered */
        uint8_t next;              /* index + 1 of the next in psum_head's chain, or 0 */
        uint32_t used;             /* bits set */
        uint32_t scan;             /* ports lo .. lo + scan - 1 looked up so far (the build) */
        uint32_t tag;              /* its connect count's tag (psum_hits) */
        uint64_t *bits;            /* 2 x ((hi - lo) / 64 + 1) words; NULL: the entry is free */
        uint16_t ahead_port;       /* the next connect's first free candidate, prefetched */
        uint32_t ahead_hash;       /* its conn_hash */
    } psum[STACK_PSUM_MAX];
    uint8_t psum_head[256];        /* index + 1 of a chain of summaries, by psum_slot */
    uint32_t psum_n;               /* summaries in use */
    uint64_t psum_bytes;           /* their bitmaps' bytes */
    uint32_t psum_on;              /* STACK_PSUM_ON (tests may change it; 0: never) */
    uint32_t psum_conn_busy;       /* candidates found held by a connection (psum_count) */
    uint64_t psum_built, psum_dropped, psum_connects; /* (debug) summaries begun, dropped; connects by one */
    /* Connects toward destinations without a summary, counted (two ways
     * per set, the keyed port offset the tag); fails: summaries made too
     * small, each doubling the connects needed before the next try. */
    struct psum_hit {
        uint32_t tag;
        uint32_t hits, fails;
        uint32_t tries;            /* candidates tried (hits among them), halved past 1,024 */
    } psum_hits[STACK_PSUM_HITS][2];
    /* Per local port: connections and TIME_WAIT records using it, and
     * sockets bound to it by bind() or listening. Ephemeral ports are per
     * 4-tuple: a port picked by connect() serves many remote endpoints; a
     * port someone bound explicitly is not shared. The two counts of a
     * port lie side by side: connect() reads one and writes the other. */
    struct port_use {
        uint32_t conns, binds;
    } *ports;
    struct tcp_conn *tw_head, *tw_tail; /* TIME_WAIT connections, oldest first */
    /* Orphaned TIME_WAITs are records in tw (the connection is freed); a
     * TIME_WAIT still held by a socket stays a connection until close(). */
    struct tw_table tw;
    struct tcp_conn *compact_head;     /* TIME_WAITs to turn into records after processing */
    struct tcp_conn tw_scratch;        /* a record's segment runs through tcp_input here */
    uint8_t *out_buf;              /* MTU (+ slack) bytes: the packet being emitted */
    struct synack_epoll *epolls;   /* epoll instances (api/epoll.c), told of closed sockets */
    /* Set by api/epoll.c: frees the instances still open when the stack is
     * destroyed (the stack cannot call up into the api layer itself). */
    void (*epolls_fini)(synack_stack *s);
};

/* Work done so far (debug, for tests): slots probed and moved in the
 * connection index, chain steps and moves in the TIME_WAIT table, timer
 * nodes moved and fired. A poll
 * with nothing due adds nothing, whatever the number of connections. */
static inline uint64_t stack_work(const synack_stack *s)
{
    return s->work + s->conns.work + s->tw.index.work + s->wheel.work;
}

/* The slot of descriptor sd (0 <= sd < nsocks). */
static inline struct sock *stack_sock(const synack_stack *s, int sd)
{
    return &s->sock_chunks[sd / STACK_SOCK_CHUNK][sd % STACK_SOCK_CHUNK];
}

/* ---- used by the socket layer ---- */
struct tcp_conn *stack_conn_new(synack_stack *s, const struct synack_conn_id *id,
                                const struct sock_opts *opt, int *err);
/* Files c in the connection table; false (nothing filed) when out of memory. */
bool stack_conn_insert(synack_stack *s, struct tcp_conn *c);
struct tcp_conn *stack_conn_lookup(synack_stack *s, uint32_t laddr, uint16_t lport,
                                   uint32_t raddr, uint16_t rport);
/* The connection needs tcp_output at the next poll. */
void stack_mark_dirty(synack_stack *s, struct tcp_conn *c);
/* Frees c now (it must be CLOSED and out of every table). */
void stack_conn_free(synack_stack *s, struct tcp_conn *c);
/* A socket let go of its CLOSED connection: free it after processing. */
void stack_conn_bury(synack_stack *s, struct tcp_conn *c);
uint32_t stack_isn(synack_stack *s, const struct synack_conn_id *id);
uint32_t stack_ts_offset(synack_stack *s, const struct synack_conn_id *id);
/* A local port for bind() with port 0: one nobody uses at all; 0 if none. */
uint16_t stack_ephemeral_port(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport);
/* A local port for connect() toward raddr:rport (RFC 6056 alg. 4 and 5, per
 * 4-tuple as Linux's __inet_hash_connect): unused toward that endpoint and
 * not bound by bind(); 0 if none. With tw_reuse an outgoing TIME_WAIT pair
 * may be taken over: then *isn is set (old SND.NXT + 65537), else 0. */
uint16_t stack_connect_port(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport, uint32_t *isn);
/* connect() from a bound port: may the 4-tuple be used (no connection, no
 * TIME_WAIT, or one tw_reuse may take over: *isn set)? */
bool stack_pair_free(synack_stack *s, const struct synack_conn_id *id, uint32_t *isn);
/* (debug, for tests) Checks every port summary against the connection
 * index and the TIME_WAIT table, port by port: the number of wrong bits. */
uint64_t stack_psum_check(synack_stack *s);
/* bind() took or close() let go of a port. */
static inline void stack_port_bind(synack_stack *s, uint16_t port, int delta)
{
    s->ports[port].binds += (uint32_t)delta;
}
/* Is local port in use by a socket or listener (other than sd)? */
bool stack_port_bound(synack_stack *s, uint32_t addr, uint16_t port, int except_sd, bool reuse);

struct tcp_listener *stack_listener_add(synack_stack *s, uint32_t addr, uint16_t port, int sd,
                                        unsigned backlog);
void stack_listener_remove(synack_stack *s, struct tcp_listener *l);
/* Takes the first completed connection off l's accept queue, or NULL. */
struct tcp_conn *stack_listener_take(synack_stack *s, struct tcp_listener *l);


#endif
