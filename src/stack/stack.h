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

#include "util/timer_wheel.h"
#include "ip/ip.h"
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

/* Per-socket options that connections inherit. */
struct sock_opts {
    bool reuseaddr, nodelay, keepalive;
    uint32_t ka_idle_s, ka_intvl_s;
    uint8_t ka_count;
    uint32_t rcvbuf, sndbuf;
    uint16_t user_mss;
    uint8_t ttl;
    struct synack_linger linger;
    const struct tcp_cc_ops *cc;   /* TCP_CONGESTION; NULL: the tunable's */
};

struct sock {
    enum sock_kind kind;
    bool bound, shut_rd, shut_wr;
    struct synack_endpoint local;
    struct sock_opts opt;
    struct tcp_listener *listener;
    struct tcp_conn *conn;
    int err;                       /* positive errno reported once (SO_ERROR) */
    int next_free;
};

#define STACK_DEFERRED_MAX 64
#define STACK_DEFERRED_BYTES 64    /* headers only: RSTs */

struct synack_stack {
    struct synack_config cfg;
    struct synack_tunables tunables;
    struct synack_counters ctr;
    struct tcp_env env;
    uint64_t now;                  /* latest time seen from the embedder */
    uint64_t next_deadline;

    /* connection table */
    struct tcp_conn **conn_buckets;
    uint32_t conn_nbuckets;        /* power of two */
    uint32_t conn_count;

    /* listeners */
    struct tcp_listener *listen_buckets[64];

    /* sockets */
    struct sock *socks;
    int nsocks, free_sock;

    struct timer_wheel wheel;

    /* connections whose output must be flushed at the next poll */
    struct tcp_conn *dirty_head, *dirty_tail; /* via tcp_conn.dirty_next */
    /* CLOSED connections with nobody holding them: freed after processing */
    struct tcp_conn *graveyard;

    /* packets built inside socket calls, sent at the next poll */
    uint8_t deferred[STACK_DEFERRED_MAX][STACK_DEFERRED_BYTES];
    uint8_t deferred_len[STACK_DEFERRED_MAX];
    unsigned ndeferred;
    bool in_app_call;

    struct ip_layer ip;            /* IPv4 in and out (src/ip/ip.h) */
    uint32_t port_counter;         /* RFC 6056 algorithms 3 and 5 */
    struct tcp_conn *tw_head, *tw_tail; /* TIME_WAIT connections, oldest first */
    uint8_t *out_buf;              /* MTU (+ slack) bytes: the packet being emitted */
    struct synack_epoll *epolls;   /* epoll instances (api/epoll.c), told of closed sockets */
};

/* ---- used by the socket layer ---- */
struct tcp_conn *stack_conn_new(synack_stack *s, const struct synack_conn_id *id,
                                const struct sock_opts *opt, int *err);
void stack_conn_insert(synack_stack *s, struct tcp_conn *c);
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
/* Picks a free ephemeral port for the 4-tuple (RFC 6056 alg. 3); 0 if none. */
uint16_t stack_ephemeral_port(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport);
/* Is local port in use by a socket or listener (other than sd)? */
bool stack_port_bound(synack_stack *s, uint32_t addr, uint16_t port, int except_sd, bool reuse);

struct tcp_listener *stack_listener_add(synack_stack *s, uint32_t addr, uint16_t port, int sd,
                                        unsigned backlog);
void stack_listener_remove(synack_stack *s, struct tcp_listener *l);
/* Takes the first completed connection off l's accept queue, or NULL. */
struct tcp_conn *stack_listener_take(synack_stack *s, struct tcp_listener *l);


#endif
