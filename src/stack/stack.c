/*
 * stack.c — the stack object: creation, the two entry points (input, poll),
 * connection and listener tables, demultiplexing, ISNs and ephemeral ports.
 *
 * Owns: everything in struct synack_stack except the IPv4 codec path
 * (src/ip/ip.c) and the socket calls (src/api/socket.c). Must not touch:
 * segment processing inside a connection (src/tcp).
 *
 * Memory: a connection (struct tcp_conn) is taken from the stack's pool
 * (chunks of STACK_CONN_CHUNK, a free list; the pool keeps its high-water
 * mark) when it is created — a connect() or an accepted SYN — and given back
 * when it reaches CLOSED and nobody holds it. The connection table maps a
 * 4-tuple to a pool index (util/hindex.h). Its send and receive bytes live in chunks from the
 * stack's pool (src/tcp/bytebuf.h), taken when bytes are queued and given
 * back when the buffer empties, so idle and half-open connections hold
 * none. Nothing is malloc'd per segment in steady state.
 */
#include "stack/stack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/siphash.h"
#include "tcp/seq.h"

/* ---- configuration ------------------------------------------------------ */

void synack_config_init(struct synack_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mtu = 1500;
    struct synack_tunables *t = &cfg->tunables;
    t->syn_retries = 6;
    t->synack_retries = 5;
    t->syn_linear_timeouts = 4;
    t->retries2 = 15;
    t->orphan_retries = 8;
    t->msl_ms = 30000;
    t->fin_timeout_ms = 60000;
    t->rto_initial_ms = 1000;
    t->rto_min_ms = 200;
    t->rto_max_ms = 120000;
    t->delack_ms = 40;
    t->delack_max_ms = 200;
    t->min_pmtu = 552;
    t->rcvbuf = 65536;
    t->sndbuf = 65536;
    t->initial_cwnd = 10;
    t->max_backlog = 4096;
    t->max_syn_backlog = 256;
    t->max_connections = 1u << 20;
    t->max_tw = 1u << 20;
    t->ephemeral_lo = 32768;
    t->ephemeral_hi = 60999;
    t->ttl = 64;
    t->window_scaling = true;
    t->timestamps = true;
    t->sack = true;
    t->rcvbuf_max = 6291456;
    t->keepalive_time_s = 7200;
    t->keepalive_intvl_s = 75;
    t->keepalive_probes = 9;
    t->moderate_rcvbuf = true;
    t->mem_max_kb = 262144;
    t->tail_loss_probe = true;
    t->dsack = true;
    t->pacing = true;
    t->pacing_ss_ratio = 200;
    t->pacing_ca_ratio = 120;
    t->frto = 2;
    t->ipfrag_high_thresh = 4u << 20;
    t->ipfrag_low_thresh = 3u << 20;
    t->ipfrag_time = 30;
    t->ipfrag_src_thresh = 1u << 20;
    t->notsent_lowat = UINT32_MAX;
    t->ecn = 2;
    snprintf(t->congestion_control, sizeof t->congestion_control, "%s", tcp_cc_cubic.name);
}

static int check_tunables(const struct synack_tunables *t)
{
    if (t->syn_retries > 255 || t->synack_retries > 255 || t->syn_linear_timeouts > 255 || t->retries2 > 255 ||
        t->orphan_retries > 255)
        return -EINVAL;
    if (t->msl_ms == 0 || t->msl_ms > 3600000) return -EINVAL;
    if (t->rto_min_ms == 0 || t->rto_min_ms > t->rto_max_ms) return -EINVAL;
    if (t->rto_initial_ms < t->rto_min_ms || t->rto_initial_ms > t->rto_max_ms) return -EINVAL;
    if (t->rto_max_ms > 3600000 || t->delack_ms > 500) return -EINVAL;
    if (t->delack_max_ms > 500) return -EINVAL;
    if (t->min_pmtu && (t->min_pmtu < 68 || t->min_pmtu > 65535)) return -EINVAL; /* below delack_ms it counts as delack_ms */
    if (t->rcvbuf < 256 || t->sndbuf < 256 || t->rcvbuf > (1u << 30) || t->sndbuf > (1u << 30))
        return -EINVAL;
    if (t->initial_cwnd == 0 || t->initial_cwnd > 1000) return -EINVAL;
    if (t->max_backlog == 0 || t->max_syn_backlog == 0 || t->max_connections == 0) return -EINVAL;
    if (t->ephemeral_lo == 0 || t->ephemeral_lo > t->ephemeral_hi) return -EINVAL;
    if (t->ttl == 0 || t->rcvbuf_max < t->rcvbuf || t->rcvbuf_max > (1u << 30)) return -EINVAL;
    if (t->mem_max_kb < 64) return -EINVAL; /* at least 16 chunks */
    if (t->frto > 2 || t->ecn > 2) return -EINVAL;
    if (t->ipfrag_low_thresh > t->ipfrag_high_thresh || t->ipfrag_high_thresh > (1u << 30) ||
        t->ipfrag_time == 0 || t->ipfrag_time > 3600)
        return -EINVAL;
    if (t->keepalive_time_s == 0 || t->keepalive_intvl_s == 0 || t->keepalive_probes == 0 ||
        t->keepalive_time_s > 32767 || t->keepalive_intvl_s > 32767 || t->keepalive_probes > 127)
        return -EINVAL;
    if (t->pacing_ss_ratio == 0 || t->pacing_ss_ratio > 1000 || t->pacing_ca_ratio == 0 || t->pacing_ca_ratio > 1000)
        return -EINVAL;
    if (!memchr(t->congestion_control, 0, sizeof t->congestion_control) || !tcp_cc_find(t->congestion_control))
        return -EINVAL;
    return 0;
}

void synack_stack_get_tunables(const synack_stack *s, struct synack_tunables *out) { *out = s->tunables; }

int synack_stack_set_tunables(synack_stack *s, const struct synack_tunables *t)
{
    int err = check_tunables(t);
    if (err) return err;
    s->tunables = *t;
    s->pool.limit = (size_t)t->mem_max_kb * 1024u / CHUNK_BYTES;
    return 0;
}

void synack_stack_get_counters(const synack_stack *s, struct synack_counters *out)
{
    *out = s->ctr;
    out->mem_refused = s->pool.refused;
}

/* ---- tcp_env callbacks --------------------------------------------------- */

static synack_stack *stack_of(struct tcp_env *env)
{
    return (synack_stack *)((char *)env - offsetof(synack_stack, env));
}

static void env_emit(struct tcp_env *env, struct tcp_conn *c, const struct tcp_repr *seg)
{
    synack_stack *s = stack_of(env);
    ip_output_tcp_summed(&s->ip, c->id.laddr, c->id.raddr, c->ttl, env->tx_ecn, seg, env->payload_summed,
                         env->payload_sum, env->tx_gso_size);
}

static uint8_t *env_payload_at(struct tcp_env *env, size_t tcp_header_len)
{
    return ip_payload_at(&stack_of(env)->ip, tcp_header_len);
}

static void env_timer_changed(struct tcp_env *env, struct tcp_conn *c)
{
    synack_stack *s = stack_of(env);
    if (c == &s->tw_scratch) return; /* a record's deadline is read back by tw_input */
    /* A CLOSED connection is out of the wheel for good: it may be freed
     * once the current input or poll returns. */
    uint64_t t = c->state == SYNACK_CLOSED ? TIMER_NEVER : tcp_next_deadline(c);
    if (t != c->timer.deadline || !timer_pending(&c->timer)) timer_set(&s->wheel, &c->timer, t);
    if (t < s->next_deadline) s->next_deadline = t;
}

static struct tcp_conn *conn_of_timer(struct timer_node *n)
{
    return (struct tcp_conn *)((char *)n - offsetof(struct tcp_conn, timer));
}

static void conn_key(uint8_t key[12], uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    memcpy(key, &laddr, 4);
    memcpy(key + 4, &raddr, 4);
    memcpy(key + 8, &lport, 2);
    memcpy(key + 10, &rport, 2);
}

static uint32_t conn_hash(const synack_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport)
{
    uint8_t key[12];
    conn_key(key, laddr, lport, raddr, rport);
    if (s->hash_memo.valid && memcmp(key, s->hash_memo.key, sizeof key) == 0) return s->hash_memo.hash;
    return tw_tuple_hash(s->cfg.secret, laddr, lport, raddr, rport); /* the TIME_WAIT table's hash too */
}

static struct tcp_conn *conn_at(const synack_stack *s, uint32_t i)
{
    return &s->conn_chunks[i / STACK_CONN_CHUNK][i % STACK_CONN_CHUNK];
}

static bool conn_matches(void *ctx, uint32_t value, const void *key)
{
    const struct synack_conn_id *id = key, *c = &conn_at(ctx, value)->id;
    return c->laddr == id->laddr && c->lport == id->lport && c->raddr == id->raddr && c->rport == id->rport;
}

static void psum_note(synack_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                      unsigned kind, bool add);

static void conn_table_remove(synack_stack *s, struct tcp_conn *c)
{
    if (s->last_conn == c) s->last_conn = NULL;
    if (hindex_remove(&s->conns, conn_hash(s, c->id.laddr, c->id.lport, c->id.raddr, c->id.rport),
                      c->pool_idx)) {
        s->conn_count--;
        s->ports[c->id.lport].conns--;
        if (s->psum_n) psum_note(s, c->id.laddr, c->id.lport, c->id.raddr, c->id.rport, 0, false);
    }
}

/* Unlinks c from its listener's SYN or accept queue. */
static void listener_unlink(struct tcp_listener *l, struct tcp_conn *c)
{
    for (struct tcp_conn **pp = &l->syn_head; *pp; pp = &(*pp)->queue_next) {
        if (*pp == c) {
            *pp = c->queue_next;
            l->syn_count--;
            c->queue_next = NULL;
            c->listener = NULL;
            return;
        }
    }
    struct tcp_conn *prev = NULL;
    for (struct tcp_conn *p = l->accept_head; p; prev = p, p = p->queue_next) {
        if (p == c) {
            if (prev) prev->queue_next = c->queue_next;
            else l->accept_head = c->queue_next;
            if (l->accept_tail == c) l->accept_tail = prev;
            l->accept_count--;
            c->queue_next = NULL;
            c->listener = NULL;
            return;
        }
    }
}

static void tw_compact_queue(synack_stack *s, struct tcp_conn *c)
{
    if (c->compact_queued) return;
    c->compact_queued = true;
    c->compact_next = s->compact_head;
    s->compact_head = c;
}

static void env_state_changed(struct tcp_env *env, struct tcp_conn *c, enum synack_tcp_state from,
                              enum synack_tcp_state to)
{
    synack_stack *s = stack_of(env);
    if (s->cfg.on_state) s->cfg.on_state(s->cfg.state_ctx, &c->id, from, to, env->now);
    if (c == &s->tw_scratch) return; /* a record's stand-in: in no table */
    if (from == SYNACK_TIME_WAIT) { /* the TIME_WAIT list, oldest first */
        if (c->tw_prev) c->tw_prev->tw_next = c->tw_next;
        else s->tw_head = c->tw_next;
        if (c->tw_next) c->tw_next->tw_prev = c->tw_prev;
        else s->tw_tail = c->tw_prev;
        c->tw_next = c->tw_prev = NULL;
    }
    if (to == SYNACK_TIME_WAIT) {
        tw_compact_queue(s, c);
        c->tw_prev = s->tw_tail;
        c->tw_next = NULL;
        if (s->tw_tail) s->tw_tail->tw_next = c;
        else s->tw_head = c;
        s->tw_tail = c;
    }
    if (to != SYNACK_CLOSED) return;
    /* CLOSED: out of every table now; freed once nobody holds it. */
    conn_table_remove(s, c);
    timer_cancel(&s->wheel, &c->timer);
    if (c->listener) listener_unlink(c->listener, c);
    if (c->sd < 0) stack_conn_bury(s, c);
}

static void env_established(struct tcp_env *env, struct tcp_conn *c)
{
    (void)env;
    struct tcp_listener *l = c->listener;
    if (!l) return;
    listener_unlink(l, c);
    c->listener = l;
    c->queue_next = NULL;
    if (l->accept_tail) l->accept_tail->queue_next = c;
    else l->accept_head = c;
    l->accept_tail = c;
    l->accept_count++;
}

/* ---- creation -------------------------------------------------------------- */

/* The IP layer's upcalls (defined beside the input path, below). */
static void ip_up_tcp_input(void *ctx, const struct ipv4_repr *ip, const struct tcp_repr *seg,
                            const uint32_t *csum_partial);
static bool ip_up_tcp_icmp_error(void *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                 uint8_t type, uint8_t code, uint16_t next_hop_mtu, uint32_t seq);
static void ip_up_send(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size);

int synack_stack_create(synack_stack **out, const struct synack_config *cfg)
{
    *out = NULL;
    if (!cfg || !cfg->output || cfg->mtu < 68) return -EINVAL;
    int err = check_tunables(&cfg->tunables);
    if (err) return err;
    synack_stack *s = calloc(1, sizeof *s);
    if (!s) return -ENOMEM;
    s->cfg = *cfg;
    s->tunables = cfg->tunables;
    /* TSO only when the link takes packets larger than the MTU. */
    uint32_t tso_max = cfg->output_gso && cfg->tso_max > cfg->mtu ? cfg->tso_max : 0;
    if (tso_max > 65535) tso_max = 65535;
    s->out_buf = malloc((size_t)(tso_max > cfg->mtu ? tso_max : cfg->mtu) + TCP_HDR_MAX);
    s->ports = calloc(65536, sizeof *s->ports);
    if (!s->out_buf || !s->ports || hindex_init(&s->conns, s) != 0 ||
        slotmap_init(&s->free_socks, STACK_MAX_SOCKETS) != 0) {
        synack_stack_destroy(s);
        return -ENOMEM;
    }
    s->next_deadline = SYNACK_NEVER;
    s->psum_on = STACK_PSUM_ON;
    timer_wheel_init(&s->wheel, 0);
    if (tw_table_init(&s->tw, s->cfg.secret, s->cfg.addr) != 0) {
        synack_stack_destroy(s);
        return -ENOMEM;
    }
    s->env.tunables = &s->tunables;
    s->env.ctr = &s->ctr;
    chunk_pool_init(&s->pool);
    s->pool.limit = (size_t)s->tunables.mem_max_kb * 1024u / CHUNK_BYTES;
    s->env.pool = &s->pool;
    s->env.emit = env_emit;
    s->env.state_changed = env_state_changed;
    s->env.timer_changed = env_timer_changed;
    s->env.established = env_established;
    s->env.payload_at = env_payload_at;
    s->env.checksum_offload = s->cfg.checksum_offload;
    s->env.tso_max = tso_max;
    s->ip = (struct ip_layer){
        .cfg = &s->cfg, .tunables = &s->tunables, .ctr = &s->ctr, .out_buf = s->out_buf, .tso_max = tso_max,
        .ident = (uint32_t)siphash24(s->cfg.secret, "ident", 5),
        .up = {.ctx = s, .tcp_input = ip_up_tcp_input, .tcp_icmp_error = ip_up_tcp_icmp_error,
               .send = ip_up_send},
    };
    ip_init(&s->ip, s->cfg.secret);
    *out = s;
    return 0;
}

void stack_conn_free(synack_stack *s, struct tcp_conn *c)
{
    tcp_conn_fini(&s->env, c);
    /* Back to the pool: the next connection takes it (most recently freed
     * first, while its memory is still in the cache). */
    c->hash_next = s->spare;
    s->spare = c;
}

void synack_stack_destroy(synack_stack *s)
{
    if (!s) return;
    /* Connections not in the table first: CLOSED ones still held by
     * sockets (every other connection is in the table, freed below). */
    for (int i = 0; i < s->nsocks; i++)
        if (stack_sock(s, i)->kind == SOCK_CONN && stack_sock(s, i)->conn &&
            stack_sock(s, i)->conn->state == SYNACK_CLOSED)
            stack_conn_free(s, stack_sock(s, i)->conn);
    uint64_t pos = 0;
    uint32_t v;
    while (s->conns.slot && hindex_next(&s->conns, &pos, &v)) tcp_conn_fini(&s->env, conn_at(s, v));
    hindex_fini(&s->conns);
    while (s->graveyard) {
        struct tcp_conn *next = s->graveyard->hash_next;
        stack_conn_free(s, s->graveyard);
        s->graveyard = next;
    }
    for (unsigned b = 0; b < 64; b++) {
        struct tcp_listener *l = s->listen_buckets[b];
        while (l) {
            struct tcp_listener *next = l->hash_next;
            free(l);
            l = next;
        }
    }
    for (uint32_t i = 0; i < s->conn_nchunks; i++) free(s->conn_chunks[i]);
    free(s->conn_chunks);
    if (s->epolls_fini) s->epolls_fini(s);
    tw_table_fini(&s->tw);
    ip_fini(&s->ip);
    free(s->ports);
    for (unsigned i = 0; i < STACK_PSUM_MAX; i++) free(s->psum[i].bits);
    tcp_xfer_spares_free(&s->env);
    chunk_pool_fini(&s->pool);
    for (int i = 0; i < s->nsocks / STACK_SOCK_CHUNK; i++) free(s->sock_chunks[i]);
    free(s->sock_chunks);
    slotmap_fini(&s->free_socks);
    free(s->out_buf);
    free(s);
}

/* ---- connection table ---------------------------------------------------- */

/* A never used slot of the pool (a new chunk when the last is used up). */
static struct tcp_conn *conn_pool_grow(synack_stack *s)
{
    if (s->conn_fresh == 0) s->conn_fresh = 1; /* slot 0 is never handed out */
    if (s->conn_fresh == UINT32_MAX) return NULL;
    uint32_t chunk = s->conn_fresh / STACK_CONN_CHUNK;
    if (chunk == s->conn_nchunks) {
        if ((chunk & (chunk - 1)) == 0) { /* the chunk list doubles at powers of two */
            struct tcp_conn **nc = realloc(s->conn_chunks, (size_t)(chunk ? 2 * chunk : 1) * sizeof *nc);
            if (!nc) return NULL;
            s->conn_chunks = nc;
        }
        /* malloc, not calloc: a slot's memory is touched (counted in RSS)
         * only when a connection first takes it. */
        if (!(s->conn_chunks[chunk] = malloc(STACK_CONN_CHUNK * sizeof(struct tcp_conn)))) return NULL;
        s->conn_nchunks++;
    }
    struct tcp_conn *c = conn_at(s, s->conn_fresh);
    c->pool_idx = s->conn_fresh++;
    return c;
}

struct tcp_conn *stack_conn_new(synack_stack *s, const struct synack_conn_id *id,
                                const struct sock_opts *opt, int *err)
{
    /* Full: the oldest TIME_WAIT connection makes room (as lwIP's
     * tcp_alloc does; docs/HOSTILE.md H-62) — it has done its job longest. */
    if (s->conn_count >= s->tunables.max_connections && s->tw_head) tcp_set_state(&s->env, s->tw_head, SYNACK_CLOSED);
    if (s->conn_count >= s->tunables.max_connections) {
        *err = -ENOBUFS;
        return NULL;
    }
    struct tcp_conn *c = s->spare;
    if (c) {
        s->spare = c->hash_next;
    } else if (!(c = conn_pool_grow(s))) {
        *err = -ENOMEM;
        return NULL;
    }
    uint32_t idx = c->pool_idx;
    uint32_t rcv = opt && opt->rcvbuf ? opt->rcvbuf : s->tunables.rcvbuf;
    uint32_t snd = opt && opt->sndbuf ? opt->sndbuf : s->tunables.sndbuf;
    uint8_t ttl = opt && opt->ttl ? opt->ttl : s->tunables.ttl;
    tcp_conn_init(c, id, rcv, snd, s->cfg.mtu, ttl);
    c->pool_idx = idx;
    if (opt) {
        c->rcvbuf_locked = opt->rcvbuf != 0;
        c->nodelay = opt->nodelay;
        c->user_mss = opt->user_mss;
        c->keepalive = opt->keepalive;
        c->ka_idle_s = opt->ka_idle_s;
        c->ka_intvl_s = opt->ka_intvl_s;
        c->ka_count = opt->ka_count;
        c->cc = opt->cc;
    }
    *err = 0;
    return c;
}

bool stack_conn_insert(synack_stack *s, struct tcp_conn *c)
{
    if (hindex_insert(&s->conns, conn_hash(s, c->id.laddr, c->id.lport, c->id.raddr, c->id.rport),
                      c->pool_idx) != 0)
        return false;
    s->conn_count++;
    s->ports[c->id.lport].conns++;
    if (s->psum_n) psum_note(s, c->id.laddr, c->id.lport, c->id.raddr, c->id.rport, 0, true);
    return true;
}

/* The connection of a 4-tuple whose conn_hash is h, or NULL. */
static struct tcp_conn *conn_lookup_hashed(synack_stack *s, uint32_t h, uint32_t laddr, uint16_t lport,
                                           uint32_t raddr, uint16_t rport)
{
    struct synack_conn_id id = {.laddr = laddr, .raddr = raddr, .lport = lport, .rport = rport};
    uint32_t v = hindex_find(&s->conns, h, conn_matches, &id);
    return v == HINDEX_NONE ? NULL : conn_at(s, v);
}

/* The last connection a lookup found, when it has this 4-tuple: a bulk
 * flow's segments skip the keyed hash and the probe. */
static struct tcp_conn *last_conn_is(const synack_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                                     uint16_t rport)
{
    struct tcp_conn *last = s->last_conn;
    if (last && last->id.rport == rport && last->id.raddr == raddr && last->id.lport == lport &&
        last->id.laddr == laddr)
        return last;
    return NULL;
}

struct tcp_conn *stack_conn_lookup(synack_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr,
                                   uint16_t rport)
{
    struct tcp_conn *c = last_conn_is(s, laddr, lport, raddr, rport);
    if (c) return c;
    c = conn_lookup_hashed(s, conn_hash(s, laddr, lport, raddr, rport), laddr, lport, raddr, rport);
    if (c) s->last_conn = c;
    return c;
}

void stack_mark_dirty(synack_stack *s, struct tcp_conn *c)
{
    /* An intrusive FIFO: O(1), no allocation, each connection at most once. */
    if (!c->dirty) {
        c->dirty = true;
        c->dirty_next = NULL;
        if (s->dirty_tail) s->dirty_tail->dirty_next = c;
        else s->dirty_head = c;
        s->dirty_tail = c;
    }
    s->next_deadline = s->now;
}

void stack_conn_bury(synack_stack *s, struct tcp_conn *c)
{
    if (c->buried) return; /* a flag, not a walk of the list: many may die in one call */
    c->buried = true;
    c->hash_next = s->graveyard;
    s->graveyard = c;
}

/* ---- compact TIME_WAIT --------------------------------------------------------
 * An orphaned connection that enters TIME_WAIT becomes a 48-byte record in
 * s->tw (after the current input or poll, so its last ACK has gone out) and
 * the connection and its buffers are freed. A segment for a record runs
 * through the ordinary tcp_input on s->tw_scratch, a stand-in rebuilt from
 * the record (no timer, no table), so every TIME_WAIT rule — re-ACK of a
 * retransmitted FIN and its 2*MSL restart, RFC 1337, PAWS, challenge-ACK
 * rate limits — is the one connections use; what it changed goes back into
 * the record. */

static uint32_t ms_ceil(uint64_t us) { return (uint32_t)((us + 999) / 1000); }

static void tw_compact(synack_stack *s, struct tcp_conn *c)
{
    uint32_t i = tw_insert(&s->tw, c->id.laddr, c->id.lport, c->id.raddr, c->id.rport, c->deadline[TCP_T_WAIT]);
    if (i == TW_NIL) return; /* no memory: it stays a connection */
    s->ports[c->id.lport].conns++;
    if (s->psum_n) psum_note(s, c->id.laddr, c->id.lport, c->id.raddr, c->id.rport, 1, true);
    struct tw_rec *r = tw_at(&s->tw, i);
    r->snd_nxt = c->snd_max;
    r->rcv_nxt = c->rcv_nxt;
    r->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    r->ts_recent = c->ts_recent;
    r->max_snd_wnd = c->max_snd_wnd;
    r->last_oow_ms = c->last_challenge ? ms_ceil(c->last_challenge) : 0;
    r->flags = (uint8_t)(r->flags | (c->ts_ok ? TW_F_TS : 0) | (c->ws_ok ? TW_F_WS : 0));
    r->rcv_wscale = c->rcv_wscale;
    r->ttl = c->ttl;
    /* The connection goes without a state change: its TIME_WAIT goes on. */
    if (c->tw_prev) c->tw_prev->tw_next = c->tw_next;
    else s->tw_head = c->tw_next;
    if (c->tw_next) c->tw_next->tw_prev = c->tw_prev;
    else s->tw_tail = c->tw_prev;
    conn_table_remove(s, c);
    timer_cancel(&s->wheel, &c->timer);
    stack_conn_free(s, c);
}

static void tw_rehydrate(synack_stack *s, const struct tw_rec *r, struct tcp_conn *c)
{
    memset(c, 0, sizeof *c);
    c->id = (struct synack_conn_id){.laddr = s->tw.laddr, .raddr = r->raddr, .lport = r->lport, .rport = r->rport};
    c->sd = -1;
    c->state = SYNACK_TIME_WAIT;
    timer_node_init(&c->timer);
    for (int k = 0; k < TCP_T_COUNT; k++) c->deadline[k] = TIMER_NEVER;
    c->deadline[TCP_T_WAIT] = tw_expiry(r);
    c->snd_una = c->snd_nxt = c->snd_max = c->snd_buf_seq = r->snd_nxt;
    c->fin_queued = true;
    c->fin_seq = r->snd_nxt - 1;
    c->snd_wnd = c->max_snd_wnd = r->max_snd_wnd;
    c->snd_wl1 = r->rcv_nxt;
    c->snd_wl2 = r->snd_nxt;
    c->rcv_nxt = c->rcv_wup = r->rcv_nxt;
    c->rcv_adv = r->rcv_nxt + r->rcv_wnd;
    c->peer_fin = true;
    c->ts_ok = c->offer_ts = (r->flags & TW_F_TS) != 0;
    c->ws_ok = c->offer_ws = (r->flags & TW_F_WS) != 0;
    c->rcv_wscale = r->rcv_wscale;
    c->ts_recent = r->ts_recent;
    c->ts_offset = stack_ts_offset(s, &c->id);
    c->ttl = r->ttl;
    c->snd_mss = TCP_DEFAULT_MSS;
    uint32_t mss = s->cfg.mtu > 40 + TCP_MIN_MSS ? (uint32_t)s->cfg.mtu - 40 : TCP_MIN_MSS;
    c->adv_mss = (uint16_t)(mss > 65535 ? 65535 : mss);
    c->rto = s->tunables.rto_initial_ms * 1000u;
    if (r->last_oow_ms) { /* the latest such time, in microseconds, not later than it was */
        uint64_t now_ms = s->now / 1000;
        uint64_t ago = (uint32_t)((uint32_t)now_ms - r->last_oow_ms);
        c->last_challenge = ago <= now_ms ? (now_ms - ago) * 1000u : 1;
        if (!c->last_challenge) c->last_challenge = 1;
    }
}

/* The record's TIME_WAIT ends (expiry or reuse): counted and reported. */
static void tw_ended(synack_stack *s, const struct tw_rec *r)
{
    s->ctr.curr_time_wait--;
    s->ports[r->lport].conns--;
    if (s->psum_n) psum_note(s, s->tw.laddr, r->lport, r->raddr, r->rport, 1, false);
    if (s->cfg.on_state) {
        struct synack_conn_id id = {.laddr = s->tw.laddr, .raddr = r->raddr, .lport = r->lport, .rport = r->rport};
        s->cfg.on_state(s->cfg.state_ctx, &id, SYNACK_TIME_WAIT, SYNACK_CLOSED, s->now);
    }
}

static void tw_input(synack_stack *s, uint32_t i, const struct tcp_repr *seg)
{
    struct tcp_conn *c = &s->tw_scratch;
    tw_rehydrate(s, tw_at(&s->tw, i), c);
    s->env.now = s->now;
    tcp_input(&s->env, c, seg);
    if (c->x) tcp_conn_fini(&s->env, c); /* a D-SACK note took a transfer block; its ACK is out */
    struct tw_rec *r = tw_at(&s->tw, i);
    if (c->state != SYNACK_TIME_WAIT) { /* (not reached by today's rules) */
        s->ports[r->lport].conns--;
        if (s->psum_n) psum_note(s, s->tw.laddr, r->lport, r->raddr, r->rport, 1, false);
        tw_remove(&s->tw, i);
        return; /* tcp_set_state counted and reported it */
    }
    r->ts_recent = c->ts_recent;
    r->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
    r->last_oow_ms = c->last_challenge ? ms_ceil(c->last_challenge) : 0;
    if (c->deadline[TCP_T_WAIT] != tw_expiry(r)) tw_requeue(&s->tw, i, c->deadline[TCP_T_WAIT]);
}

/* Ends every record whose 2*MSL is over, oldest first. */
static void tw_expire(synack_stack *s)
{
    for (;;) {
        uint32_t i = tw_oldest(&s->tw);
        if (i == TW_NIL || tw_expiry(tw_at(&s->tw, i)) > s->now) return;
        struct tw_rec r;
        tw_pop_oldest(&s->tw, &r);
        tw_ended(s, &r);
    }
}

static uint64_t tw_next_expiry(synack_stack *s)
{
    uint32_t i = tw_oldest(&s->tw);
    return i == TW_NIL ? TIMER_NEVER : tw_expiry(tw_at(&s->tw, i));
}

/* RFC 6191 / Linux tcp_timewait_state_process: a SYN (no ACK, no RST) may
 * reopen a TIME_WAIT pair when it is not an old duplicate by PAWS and is
 * newer: a sequence number above RCV.NXT, or with timestamps a TSval above
 * TS.Recent. */
static bool tw_syn_reopens(bool ts_ok, uint32_t ts_recent, uint32_t rcv_nxt, const struct tcp_repr *seg)
{
    if ((seg->flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) return false;
    bool ts = ts_ok && seg->opt.has_timestamp;
    if (ts && seq_lt(seg->opt.ts_val, ts_recent)) return false;
    return seq_gt(seg->seq, rcv_nxt) || (ts && seq_gt(seg->opt.ts_val, ts_recent));
}

/* The new connection's ISN lies above all the old one sent, as Linux's
 * tw_snd_nxt + 65535 + 2, so the peer cannot take old segments for new. */
static uint32_t tw_reopen_isn(uint32_t snd_nxt)
{
    uint32_t isn = snd_nxt + 65535 + 2;
    return isn ? isn : 1;
}

/* Flush output of connections touched by socket calls, then free the dead.
 * Runs at the end of every input and poll, so the dirty list never holds a
 * freed connection. */
static void flush_and_reap(synack_stack *s)
{
    while (s->dirty_head) {
        struct tcp_conn *c = s->dirty_head;
        s->dirty_head = c->dirty_next;
        c->dirty = false;
        c->dirty_next = NULL;
        if (c->state != SYNACK_CLOSED) {
            tcp_output(&s->env, c);
            env_timer_changed(&s->env, c);
            /* close() of a socket in TIME_WAIT: now it can become a record. */
            if (c->state == SYNACK_TIME_WAIT && c->sd < 0) tw_compact_queue(s, c);
        }
    }
    s->dirty_tail = NULL;
    while (s->compact_head) {
        struct tcp_conn *c = s->compact_head;
        s->compact_head = c->compact_next;
        c->compact_queued = false;
        c->compact_next = NULL;
        if (c->state == SYNACK_TIME_WAIT && c->sd < 0 && !c->listener) tw_compact(s, c);
    }
    while (s->graveyard) {
        struct tcp_conn *next = s->graveyard->hash_next;
        stack_conn_free(s, s->graveyard);
        s->graveyard = next;
    }
}

/* ---- listeners ------------------------------------------------------------- */

struct tcp_listener *stack_listener_add(synack_stack *s, uint32_t addr, uint16_t port, int sd,
                                        unsigned backlog)
{
    struct tcp_listener *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->addr = addr;
    l->port = port;
    l->sd = sd;
    l->backlog = backlog;
    unsigned b = port & 63;
    l->hash_next = s->listen_buckets[b];
    s->listen_buckets[b] = l;
    return l;
}

static struct tcp_listener *listener_lookup(synack_stack *s, uint32_t addr, uint16_t port)
{
    for (struct tcp_listener *l = s->listen_buckets[port & 63]; l; l = l->hash_next)
        if (l->port == port && (l->addr == 0 || l->addr == addr)) return l;
    return NULL;
}

void stack_listener_remove(synack_stack *s, struct tcp_listener *l)
{
    /* Children not yet accepted go with it: RST them (as Linux does). */
    while (l->syn_head) {
        struct tcp_conn *c = l->syn_head;
        tcp_app_abort(&s->env, c);          /* CLOSED: unlinks and buries */
        if (l->syn_head == c) listener_unlink(l, c);
    }
    while (l->accept_head) {
        struct tcp_conn *c = l->accept_head;
        tcp_app_abort(&s->env, c);
        if (l->accept_head == c) listener_unlink(l, c);
    }
    for (struct tcp_listener **pp = &s->listen_buckets[l->port & 63]; *pp; pp = &(*pp)->hash_next) {
        if (*pp == l) {
            *pp = l->hash_next;
            break;
        }
    }
    free(l);
}

struct tcp_conn *stack_listener_take(synack_stack *s, struct tcp_listener *l)
{
    (void)s;
    struct tcp_conn *c = l->accept_head;
    if (!c) return NULL;
    l->accept_head = c->queue_next;
    if (!l->accept_head) l->accept_tail = NULL;
    l->accept_count--;
    c->queue_next = NULL;
    c->listener = NULL;
    return c;
}

bool stack_port_bound(synack_stack *s, uint32_t addr, uint16_t port, int except_sd, bool reuse)
{
    /* Nobody on the port: no walk (the common case, and every ephemeral
     * candidate). */
    if (!s->ports[port].binds && !s->ports[port].conns) return false;
    for (int i = 0; i < s->nsocks; i++) {
        const struct sock *k = stack_sock(s, i);
        if (i == except_sd || k->kind == SOCK_FREE || !k->bound || k->local.port != port) continue;
        if (k->local.addr != 0 && addr != 0 && k->local.addr != addr) continue;
        if (reuse && k->opt.reuseaddr && k->kind != SOCK_LISTENER) continue;
        return true;
    }
    if (reuse) return false;
    /* Without SO_REUSEADDR, orphaned connections (FIN_WAIT, TIME_WAIT, ...)
     * still own their port, as on Linux. */
    return s->ports[port].conns != 0;
}

/* ---- ISNs and ports ---------------------------------------------------------- */

uint32_t stack_ts_offset(synack_stack *s, const struct synack_conn_id *id)
{
    /* A keyed, per-address-pair offset hides our uptime and keeps TSvals
     * monotonic across connections between the same hosts (as Linux). */
    uint8_t key[9];
    memcpy(key, &id->laddr, 4);
    memcpy(key + 4, &id->raddr, 4);
    key[8] = 't';
    return (uint32_t)siphash24(s->cfg.secret, key, sizeof key);
}

uint32_t stack_isn(synack_stack *s, const struct synack_conn_id *id)
{
    if (s->cfg.isn_hook)
        return s->cfg.isn_hook(s->cfg.isn_ctx, id->laddr, id->lport, id->raddr, id->rport, s->now);
    /* RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, key),
     * M a 4-microsecond timer. */
    uint8_t key[12];
    memcpy(key, &id->laddr, 4);
    memcpy(key + 4, &id->raddr, 4);
    memcpy(key + 8, &id->lport, 2);
    memcpy(key + 10, &id->rport, 2);
    return (uint32_t)(s->now / 4) + (uint32_t)siphash24(s->cfg.secret, key, sizeof key);
}

/* RFC 6056 algorithm 4 (double-hash, as Linux's __inet_hash_connect): a
 * keyed offset per destination plus the counter of the destination's
 * bucket of port_table; algorithm 5 on top: that counter advances by a
 * keyed random step of 1..500 per search, so successive ports toward one
 * destination are not predictable from each other (H-PORT; CVE-2024-10603),
 * and other destinations' connects tell nothing about this one's. */
struct port_plan {
    uint32_t offset;               /* F(laddr, raddr, rport) */
    uint32_t *counter;             /* the destination's bucket of port_table */
};

static struct port_plan port_plan(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport)
{
    uint8_t key[11];
    memcpy(key, &laddr, 4);
    memcpy(key + 4, &raddr, 4);
    memcpy(key + 8, &rport, 2);
    key[10] = 'p';
    uint64_t h = siphash24(s->cfg.secret, key, sizeof key);
    return (struct port_plan){(uint32_t)h, &s->port_table[(h >> 32) % STACK_PORT_BUCKETS]};
}

/* The counter's next random step (a keyed function of its value). */
static uint32_t port_step(const synack_stack *s, const uint32_t *counter)
{
    uint8_t nonce[7];
    uint16_t bucket = (uint16_t)(counter - s->port_table);
    memcpy(nonce, counter, 4);
    memcpy(nonce + 4, &bucket, 2);
    nonce[6] = 'r';
    return 1 + (uint32_t)(siphash24(s->cfg.secret, nonce, sizeof nonce) % 500u);
}

static uint16_t plan_port(const synack_stack *s, const struct port_plan *pl, uint32_t counter, uint32_t i)
{
    uint32_t num = (uint32_t)s->tunables.ephemeral_hi - s->tunables.ephemeral_lo + 1;
    return (uint16_t)(s->tunables.ephemeral_lo + (pl->offset + counter + i) % num);
}

/* Calls ok(port) on the candidates in order; 0 if none is. *tried: how
 * many were looked at. */
static uint16_t search_ports(synack_stack *s, const struct port_plan *pl,
                             bool (*ok)(synack_stack *, uint16_t, void *), void *ctx, uint32_t *tried)
{
    uint32_t num = (uint32_t)s->tunables.ephemeral_hi - s->tunables.ephemeral_lo + 1;
    *pl->counter += port_step(s, pl->counter);
    for (uint32_t i = 0; i < num; i++) {
        uint16_t port = plan_port(s, pl, *pl->counter, i);
        if (!ok(s, port, ctx)) continue;
        *pl->counter += i;
        *tried = i + 1;
        return port;
    }
    *tried = num;
    return 0;
}

static bool port_unused(synack_stack *s, uint16_t port, void *ctx)
{
    (void)ctx;
    return !s->ports[port].binds && !s->ports[port].conns;
}

uint16_t stack_ephemeral_port(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport)
{
    struct port_plan pl = port_plan(s, laddr, raddr, rport);
    uint32_t tried;
    return search_ports(s, &pl, port_unused, NULL, &tried);
}

/* No TIME_WAIT holds the 4-tuple, or one that tw_reuse may take over
 * (then it ends here and *isn is set). */
static bool tw_pair_free(synack_stack *s, uint32_t h, const struct synack_conn_id *id, uint32_t *isn)
{
    uint32_t i = tw_lookup(&s->tw, h, id->laddr, id->lport, id->raddr, id->rport);
    if (i == TW_NIL) return true;
    /* tcp_tw_reuse: safe when timestamps were in use (PAWS rejects the old
     * connection's duplicates) and the TIME_WAIT is at least 1 s old. */
    struct tw_rec *r = tw_at(&s->tw, i);
    uint64_t began = tw_expiry(r) - 2ull * s->tunables.msl_ms * 1000u;
    if (!s->tunables.tw_reuse || !(r->flags & TW_F_TS) || s->now < began + 1000000u) return false;
    *isn = tw_reopen_isn(r->snd_nxt);
    tw_remove(&s->tw, i);
    tw_ended(s, r);
    return true;
}

bool stack_pair_free(synack_stack *s, const struct synack_conn_id *id, uint32_t *isn)
{
    *isn = 0;
    if (stack_conn_lookup(s, id->laddr, id->lport, id->raddr, id->rport)) return false;
    return tw_pair_free(s, conn_hash(s, id->laddr, id->lport, id->raddr, id->rport), id, isn);
}

struct pair_search {
    struct synack_conn_id id;
    uint32_t isn;
};

static bool pair_usable(synack_stack *s, uint16_t port, void *ctx)
{
    struct pair_search *p = ctx;
    if (s->ports[port].binds) return false; /* bound by bind() or listening: not shared */
    p->id.lport = port;
    /* A connection filed under the same 32 hash bits counts as one on this
     * 4-tuple without reading it (a crowd of idle connections stays out of
     * the cache): a false match skips a free port, once in 4 billion. */
    uint32_t h = conn_hash(s, p->id.laddr, port, p->id.raddr, p->id.rport);
    /* Both indexes' lines at once: with many connections or TIME_WAITs
     * each is a miss to memory, and these overlap. */
    if (s->tw.live) hindex_prefetch(&s->tw.index, h);
    if (hindex_has_hash(&s->conns, h)) {
        s->psum_conn_busy++;
        return false;
    }
    p->isn = 0;
    return tw_pair_free(s, h, &p->id, &p->isn);
}

/* Files a look-ahead entry (the oldest goes when all are taken). */
static void port_ahead_file(synack_stack *s, const struct port_ahead *e)
{
    if (s->port_ahead_head - s->port_ahead_tail == STACK_PORT_AHEAD) s->port_ahead_tail++;
    struct port_ahead *slot = &s->port_ahead[s->port_ahead_head++ % STACK_PORT_AHEAD];
    *slot = *e;
    slot->seq = s->port_seq;
}

/* Looks at the entries filed STACK_PORT_LOOK connects ago or more (two at
 * most): a candidate in use (its lines are in the cache by now) makes the
 * next candidate of that search prefetched and filed. */
static void port_ahead_look(synack_stack *s)
{
    for (int n = 0; n < 2 && s->port_ahead_tail != s->port_ahead_head; n++) {
        struct port_ahead e = s->port_ahead[s->port_ahead_tail % STACK_PORT_AHEAD];
        if (s->port_seq - e.seq < STACK_PORT_LOOK) return;
        s->port_ahead_tail++;
        if (*e.counter != e.counter_at) continue; /* the destination's counter moved: stale */
        struct port_plan pl = {.offset = e.offset, .counter = e.counter};
        uint16_t port = plan_port(s, &pl, e.next, e.i);
        if (!s->ports[port].binds && !hindex_has_hash(&s->conns, e.hash)) continue; /* free: that search ends here */
        if (++e.i >= 8) continue;
        port = plan_port(s, &pl, e.next, e.i);
        e.hash = conn_hash(s, e.laddr, port, e.raddr, e.rport);
        __builtin_prefetch(&s->ports[port]);
        hindex_prefetch(&s->conns, e.hash);
        if (s->tw.live) hindex_prefetch(&s->tw.index, e.hash);
        port_ahead_file(s, &e);
    }
}

/* ---- per-destination summaries of the ports in use (port_sum) ---------------- */

static unsigned psum_slot(const synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport)
{
    uint32_t seed;
    memcpy(&seed, s->cfg.secret, sizeof seed);
    uint64_t x = ((uint64_t)laddr << 32 | raddr) ^ ((uint64_t)rport << 16) ^ seed;
    x *= 0x9e3779b97f4a7c15ull;
    return (unsigned)(x >> 56);
}

static uint32_t psum_words(const struct port_sum *ps)
{
    return 2u * ((uint32_t)(ps->hi - ps->lo) / 64u + 1u);
}

/* The word holding the bit of port lo + off, of one kind (0: a connection,
 * 1: a TIME_WAIT record; the two words of 64 ports lie side by side). */
static uint64_t *psum_word(const struct port_sum *ps, uint32_t off, unsigned kind)
{
    return &ps->bits[2 * (off / 64) + kind];
}

static uint64_t psum_bit(uint32_t off) { return 1ull << (off % 64); }

static bool psum_has(const struct port_sum *ps, uint32_t off, unsigned kind)
{
    return (*psum_word(ps, off, kind) & psum_bit(off)) != 0;
}

/* Every port of the range was looked up: the summary can be trusted. */
static bool psum_complete(const struct port_sum *ps) { return ps->scan > (uint32_t)(ps->hi - ps->lo); }

static struct port_sum *psum_find(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport)
{
    for (unsigned i = s->psum_head[psum_slot(s, laddr, raddr, rport)]; i; i = s->psum[i - 1].next) {
        struct port_sum *ps = &s->psum[i - 1];
        if (ps->raddr == raddr && ps->rport == rport && ps->laddr == laddr) return ps;
    }
    return NULL;
}

static void psum_drop(synack_stack *s, struct port_sum *ps)
{
    uint8_t *link = &s->psum_head[psum_slot(s, ps->laddr, ps->raddr, ps->rport)];
    uint8_t me = (uint8_t)(ps - s->psum + 1);
    while (*link != me) link = &s->psum[*link - 1].next;
    *link = ps->next;
    s->psum_bytes -= psum_words(ps) * sizeof *ps->bits;
    free(ps->bits);
    ps->bits = NULL;
    s->psum_n--;
    s->psum_dropped++;
}

/* A connection (kind 0) or a TIME_WAIT record (kind 1) on the 4-tuple was
 * filed (add) or removed: its destination's summary follows. */
static void psum_note(synack_stack *s, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                      unsigned kind, bool add)
{
    struct port_sum *ps = psum_find(s, laddr, raddr, rport);
    if (!ps || lport < ps->lo || lport > ps->hi) return;
    uint32_t off = (uint32_t)(lport - ps->lo);
    if (off >= ps->scan) return; /* not looked up yet: the build will see it */
    if (psum_has(ps, off, kind) == add) { /* not as expected: dropped, never trusted wrong */
        psum_drop(s, ps);
        return;
    }
    *psum_word(ps, off, kind) ^= psum_bit(off);
    if (add) ps->used++;
    else if (--ps->used < STACK_PSUM_OFF && psum_complete(ps)) psum_drop(s, ps);
}

/* Begins the destination's summary (built by psum_scan). */
static void psum_begin(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport, struct psum_hit *hit)
{
    hit->hits = hit->tries = 0;
    if (s->psum_n >= STACK_PSUM_MAX) return;
    struct port_sum *ps = s->psum;
    while (ps->bits) ps++;
    *ps = (struct port_sum){.laddr = laddr, .raddr = raddr, .rport = rport, .tag = hit->tag,
                            .lo = s->tunables.ephemeral_lo, .hi = s->tunables.ephemeral_hi};
    ps->bits = calloc(psum_words(ps), sizeof *ps->bits);
    if (!ps->bits) return;
    uint8_t *head = &s->psum_head[psum_slot(s, laddr, raddr, rport)];
    ps->next = *head;
    *head = (uint8_t)(ps - s->psum + 1);
    s->psum_n++;
    s->psum_bytes += psum_words(ps) * sizeof *ps->bits;
    s->psum_built++;
}

/* The build goes on: the next ports of the range are looked up (a port
 * nobody uses at all is skipped; at most STACK_PSUM_SCAN looked up and
 * 1,024 passed per call; their index lines
 * prefetched together). Once all are, a summary with fewer than
 * STACK_PSUM_OFF ports in use is dropped, and the next try waits for
 * twice as many connects. */
static void psum_scan(synack_stack *s, struct port_sum *ps)
{
    uint32_t last = (uint32_t)(ps->hi - ps->lo), n = 0;
    uint32_t offs[STACK_PSUM_SCAN], hs[STACK_PSUM_SCAN];
    for (uint32_t k = 0; k < 1024 && ps->scan <= last && n < STACK_PSUM_SCAN; k++) {
        uint32_t off = ps->scan++;
        uint16_t port = (uint16_t)(ps->lo + off);
        if (!s->ports[port].conns) continue;
        offs[n] = off;
        hs[n] = conn_hash(s, ps->laddr, port, ps->raddr, ps->rport);
        hindex_prefetch(&s->conns, hs[n]); /* the batch's lines all come at once */
        if (s->tw.live) hindex_prefetch(&s->tw.index, hs[n]);
        n++;
    }
    for (uint32_t j = 0; j < n; j++) {
        uint32_t off = offs[j], h = hs[j];
        uint16_t port = (uint16_t)(ps->lo + off);
        if (conn_lookup_hashed(s, h, ps->laddr, port, ps->raddr, ps->rport)) {
            *psum_word(ps, off, 0) |= psum_bit(off);
            ps->used++;
        }
        if (s->tw.live && tw_lookup(&s->tw, h, ps->laddr, port, ps->raddr, ps->rport) != TW_NIL) {
            *psum_word(ps, off, 1) |= psum_bit(off);
            ps->used++;
        }
    }
    if (ps->scan <= last || ps->used >= STACK_PSUM_OFF) return;
    struct psum_hit *set = s->psum_hits[ps->tag % STACK_PSUM_HITS];
    for (int w = 0; w < 2; w++)
        if (set[w].tag == ps->tag && set[w].fails < 8) set[w].fails++;
    psum_drop(s, ps);
}

/* Counts the candidates a connect toward a destination without a summary
 * tried, and those it found held by a connection; begins one after psum_on
 * of them (more after summaries made too small), once at least one in
 * STACK_PSUM_BUSY of the recent candidates (the counts are halved past
 * 1,024 tries) was held. A summary costs a lookup of every port of the
 * range to build and saves one per held candidate: with 100,000
 * connections over 64 destinations (2.4% of each range held) it would
 * never pay back, and building it doubled the connect time. A destination
 * whose ports are held by TIME_WAIT records only gets none either (a
 * summary would still look each of those up, for tw_reuse). */
static void psum_count(synack_stack *s, uint32_t tag, uint32_t laddr, uint32_t raddr, uint16_t rport,
                       uint32_t in_use, uint32_t tried)
{
    struct psum_hit *set = s->psum_hits[tag % STACK_PSUM_HITS], *h;
    if (set[0].tag == tag) h = &set[0];
    else if (set[1].tag == tag) h = &set[1];
    else {
        h = set[0].hits <= set[1].hits ? &set[0] : &set[1];
        *h = (struct psum_hit){.tag = tag};
    }
    h->hits += in_use;
    h->tries += tried;
    if (h->tries > 1024) {
        h->tries /= 2;
        h->hits /= 2;
    }
    if (h->hits >= (s->psum_on << h->fails) && (uint64_t)h->hits * STACK_PSUM_BUSY >= h->tries)
        psum_begin(s, laddr, raddr, rport, h);
}

uint64_t stack_psum_check(synack_stack *s)
{
    uint64_t wrong = 0;
    for (unsigned i = 0; i < STACK_PSUM_MAX; i++) {
        struct port_sum *ps = &s->psum[i];
        if (!ps->bits) continue;
        if (psum_find(s, ps->laddr, ps->raddr, ps->rport) != ps) wrong++;
        uint32_t used = 0;
        for (uint32_t port = ps->lo; port <= ps->hi && port - ps->lo < ps->scan; port++) {
            uint32_t off = port - ps->lo, h = conn_hash(s, ps->laddr, (uint16_t)port, ps->raddr, ps->rport);
            bool conn = conn_lookup_hashed(s, h, ps->laddr, (uint16_t)port, ps->raddr, ps->rport) != NULL;
            bool tw = tw_lookup(&s->tw, h, ps->laddr, (uint16_t)port, ps->raddr, ps->rport) != TW_NIL;
            wrong += conn != psum_has(ps, off, 0);
            wrong += tw != psum_has(ps, off, 1);
            used += conn + tw;
        }
        wrong += used != ps->used;
    }
    return wrong;
}

/* A candidate by the summary: a connection on the 4-tuple or a bind()
 * rejects it; a TIME_WAIT record is looked up (tw_reuse may take it over);
 * else it is free. search_ports' test while the destination has one. */
struct psum_search {
    const struct port_sum *ps;
    struct pair_search *pair;
};

static bool psum_usable(synack_stack *s, uint16_t port, void *ctx)
{
    struct psum_search *q = ctx;
    uint32_t off = (uint32_t)(port - q->ps->lo);
    if (psum_has(q->ps, off, 0) || s->ports[port].binds) return false;
    if (!psum_has(q->ps, off, 1)) {
        q->pair->isn = 0;
        return true;
    }
    return pair_usable(s, port, q->pair);
}

/* A candidate of a coming connect: its port's counts and its index lines
 * (the TIME_WAIT index's too when tw) are fetched now, so that connect
 * does not wait for memory. Returns its hash. */
static uint32_t prefetch_candidate(synack_stack *s, uint32_t laddr, uint16_t port, uint32_t raddr, uint16_t rport,
                                   bool tw)
{
    uint32_t h = conn_hash(s, laddr, port, raddr, rport);
    __builtin_prefetch(&s->ports[port]);
    hindex_prefetch(&s->conns, h);
    if (tw) hindex_prefetch(&s->tw.index, h);
    return h;
}

/* stack_connect_port with the destination's complete summary (its range
 * the tunables' one): the same candidates in the same order (RFC 6056
 * algorithms 4 and 5), each tested by its bits; then the next connect's
 * first free candidate is found the same way and its lines prefetched, its
 * hash kept for that connect. */
static uint16_t psum_connect_port(synack_stack *s, struct port_sum *ps, const struct port_plan *pl,
                                  struct pair_search *p, uint32_t *isn)
{
    s->psum_connects++;
    uint32_t tried;
    uint16_t port = search_ports(s, pl, psum_usable, &(struct psum_search){ps, p}, &tried);
    *isn = port ? p->isn : 0;
    uint32_t laddr = p->id.laddr, raddr = p->id.raddr;
    uint16_t rport = p->id.rport;
    if (!ps->bits) return port; /* a TIME_WAIT taken over dropped it */
    if (port && port == ps->ahead_port) { /* the insertion's hash, computed at the last connect */
        conn_key(s->hash_memo.key, laddr, port, raddr, rport);
        s->hash_memo.hash = ps->ahead_hash;
        s->hash_memo.valid = true;
    }
    ps->ahead_port = 0;
    uint32_t next = *pl->counter + port_step(s, pl->counter);
    for (uint32_t i = 0; i < 8; i++) {
        uint16_t c = plan_port(s, pl, next, i);
        uint32_t off = (uint32_t)(c - ps->lo);
        if (psum_has(ps, off, 0)) continue;
        ps->ahead_hash = prefetch_candidate(s, laddr, c, raddr, rport, psum_has(ps, off, 1));
        ps->ahead_port = c;
        break;
    }
    s->port_seq++;
    port_ahead_look(s);
    return port;
}

uint16_t stack_connect_port(synack_stack *s, uint32_t laddr, uint32_t raddr, uint16_t rport, uint32_t *isn)
{
    struct pair_search p = {.id = {.laddr = laddr, .raddr = raddr, .rport = rport}};
    struct port_plan pl = port_plan(s, laddr, raddr, rport);
    struct port_sum *ps = s->psum_n ? psum_find(s, laddr, raddr, rport) : NULL;
    if (ps && psum_complete(ps) && ps->lo == s->tunables.ephemeral_lo && ps->hi == s->tunables.ephemeral_hi)
        return psum_connect_port(s, ps, &pl, &p, isn);
    if (ps && !psum_complete(ps)) psum_scan(s, ps);
    uint32_t tried, busy = s->psum_conn_busy;
    uint16_t port = search_ports(s, &pl, pair_usable, &p, &tried);
    *isn = port ? p.isn : 0;
    busy = s->psum_conn_busy - busy;
    if (!ps && s->psum_on && port) psum_count(s, pl.offset, laddr, raddr, rport, busy > 7 ? 7 : busy, tried > 8 ? 8 : tried);
    /* The next connect toward this destination will first try the port
     * after the next step (unless another destination of its bucket moves
     * the counter meanwhile): its index lines are fetched now, so that with
     * a million connections that connect does not wait for memory. While
     * ports are often in use (a quarter of the range, with a million
     * connections over 64 destinations), that candidate is filed in
     * port_ahead, to be looked at a few connects later, when its lines have
     * come: only then is it known whether the search will need the next. */
    uint32_t extra = (tried > 8 ? 8 : tried) - 1;
    s->port_extra = s->port_extra + extra * 16u - s->port_extra / 16u; /* mean x 256 */
    uint32_t next = *pl.counter + port_step(s, pl.counter);
    uint16_t cand = plan_port(s, &pl, next, 0);
    uint32_t h = prefetch_candidate(s, laddr, cand, raddr, rport, s->tw.live);
    s->port_seq++;
    port_ahead_look(s);
    if (s->port_extra >= 8) /* candidates are in use often enough to look ahead */
        port_ahead_file(s, &(struct port_ahead){.counter = pl.counter, .counter_at = *pl.counter, .next = next,
                                               .offset = pl.offset, .laddr = laddr, .raddr = raddr,
                                               .hash = h, .rport = rport, .i = 0});
    return port;
}

/* ---- input ---------------------------------------------------------------- */

static void send_rst_for(synack_stack *s, const struct ipv4_repr *ip, const struct tcp_repr *seg)
{
    struct tcp_repr rst;
    if (!tcp_rst_for(seg, &rst)) return;
    ip_output_tcp(&s->ip, ip->dst, ip->src, s->tunables.ttl, &rst);
    s->ctr.out_rsts++;
    s->ctr.out_segs++;
}

/* ---- SYN cookies (RFC 4987 3.6) -------------------------------------------------
 * When a listener's SYN queue is full, the SYN|ACK carries all the state we
 * need in its ISN, and nothing is kept: 24 bits of a keyed hash of the
 * 4-tuple, the client's ISN and a 64-second counter; 5 bits of that
 * counter; 3 bits indexing the MSS. The ACK that completes the handshake
 * (ack = cookie + 1) rebuilds the connection. Window scaling, SACK and
 * timestamps cannot be remembered: such connections go without them, as
 * Linux's do when timestamps are off. Cookies are accepted only within two
 * minutes of an overflow, so they never open a side door on a quiet host. */
static const uint16_t cookie_mss[8] = {216, 536, 1200, 1300, 1380, 1440, 1452, 1460};

static uint32_t cookie_hash(synack_stack *s, const struct synack_conn_id *id, uint32_t client_isn, uint32_t count)
{
    uint8_t key[21];
    memcpy(key, &id->laddr, 4);
    memcpy(key + 4, &id->raddr, 4);
    memcpy(key + 8, &id->lport, 2);
    memcpy(key + 10, &id->rport, 2);
    memcpy(key + 12, &client_isn, 4);
    memcpy(key + 16, &count, 4);
    key[20] = 'c';
    return (uint32_t)siphash24(s->cfg.secret, key, sizeof key) & 0xffffff00u;
}

static uint32_t cookie_count(const synack_stack *s) { return (uint32_t)(s->now >> 26); } /* ~67 s */

static void send_cookie_synack(synack_stack *s, const struct synack_conn_id *id, const struct tcp_repr *syn)
{
    uint16_t peer = syn->opt.has_mss && syn->opt.mss ? syn->opt.mss : 536;
    uint32_t idx = 0;
    for (uint32_t i = 0; i < 8; i++)
        if (cookie_mss[i] <= peer) idx = i;
    uint32_t count = cookie_count(s);
    struct tcp_repr sa;
    memset(&sa, 0, sizeof sa);
    sa.src_port = id->lport;
    sa.dst_port = id->rport;
    sa.seq = cookie_hash(s, id, syn->seq, count) | ((count & 0x1f) << 3) | idx;
    sa.ack = syn->seq + 1;
    sa.flags = TCP_SYN | TCP_ACK;
    sa.window = (uint16_t)(s->tunables.rcvbuf > 65535 ? 65535 : s->tunables.rcvbuf);
    sa.opt.has_mss = true;
    sa.opt.mss = (uint16_t)(s->cfg.mtu - 40);
    ip_output_tcp(&s->ip, id->laddr, id->raddr, s->tunables.ttl, &sa);
    s->ctr.syncookies_sent++;
    s->ctr.out_segs++;
}

/* Returns the MSS the cookie in ack - 1 encodes, or 0 when it is not ours. */
static uint16_t cookie_check(synack_stack *s, const struct synack_conn_id *id, const struct tcp_repr *ack)
{
    uint32_t cookie = ack->ack - 1, client_isn = ack->seq - 1;
    uint32_t now = cookie_count(s);
    for (uint32_t back = 0; back < 2; back++) {
        uint32_t count = now - back;
        if (((cookie >> 3) & 0x1f) != (count & 0x1f)) continue;
        if ((cookie & 0xffffff00u) == cookie_hash(s, id, client_isn, count)) return cookie_mss[cookie & 7];
    }
    return 0;
}

static bool new_child(synack_stack *s, struct tcp_listener *l, struct tcp_conn *c)
{
    if (!stack_conn_insert(s, c)) {
        stack_conn_free(s, c);
        return false;
    }
    c->ts_offset = stack_ts_offset(s, &c->id);
    c->listener = l;
    c->queue_next = l->syn_head;
    l->syn_head = c;
    l->syn_count++;
    return true;
}

/* A segment for a listener (RFC 9293 3.10.7.2). */
static void listen_input(synack_stack *s, struct tcp_listener *l, const struct ipv4_repr *ip,
                         const struct tcp_repr *seg, uint32_t tw_isn)
{
    struct synack_conn_id id = {.laddr = ip->dst, .raddr = ip->src, .lport = seg->dst_port,
                                .rport = seg->src_port};
    const struct sock_opts *opt = l->sd >= 0 ? &stack_sock(s, l->sd)->opt : NULL;
    int err;
    if (seg->flags & TCP_RST) return;                 /* first: ignore RST */
    if (seg->flags & TCP_ACK) {                       /* second: ACK gets RST ... */
        uint16_t mss = 0;
        if (!(seg->flags & (TCP_SYN | TCP_FIN)) && l->last_overflow &&
            s->now - l->last_overflow < 120000000u && l->accept_count < l->backlog)
            mss = cookie_check(s, &id, seg);
        if (!mss) {
            send_rst_for(s, ip, seg);
            return;
        }
        /* ... unless it completes a SYN cookie handshake. */
        struct tcp_conn *c = stack_conn_new(s, &id, opt, &err);
        if (!c || !new_child(s, l, c)) {
            s->ctr.listen_drops++;
            return;
        }
        s->ctr.syncookies_recv++;
        tcp_open_from_cookie(&s->env, c, seg->ack - 1, seg, mss);
        tcp_input(&s->env, c, seg);                   /* its data, if any */
        return;
    }
    if (!(seg->flags & TCP_SYN)) return;              /* anything else: drop */
    if (seg->flags & TCP_FIN) return;                 /* SYN+FIN: drop, as Linux does */
    /* Queue bounds: a full accept queue drops the SYN (the peer retransmits),
     * as Linux does; a full SYN queue answers with a cookie. Both counted. */
    if (l->accept_count >= l->backlog) {
        s->ctr.listen_overflows++;
        s->ctr.listen_drops++;
        return;
    }
    if (l->syn_count >= s->tunables.max_syn_backlog) {
        l->last_overflow = s->now ? s->now : 1;
        s->ctr.listen_drops++;
        send_cookie_synack(s, &id, seg);
        return;
    }
    struct tcp_conn *c = stack_conn_new(s, &id, opt, &err);
    if (!c || !new_child(s, l, c)) {
        s->ctr.listen_drops++;
        return;
    }
    tcp_open_passive(&s->env, c, tw_isn ? tw_isn : stack_isn(s, &id), seg);
    tcp_output(&s->env, c);
    env_timer_changed(&s->env, c);
}

/* csum_partial: see struct ip_upcalls. A segment whose checksum fails is
 * counted and dropped before anything else looks at it. */
static void stack_tcp_input(synack_stack *s, const struct ipv4_repr *ip, const struct tcp_repr *seg,
                            const uint32_t *csum_partial)
{
    bool ports_ok = seg->src_port != 0 && seg->dst_port != 0;
    s->env.rx_ecn = ip->tos & IP_ECN_MASK; /* ECN's receiver and the passive open read it */
    /* One hash for both tables (the connections', the TIME_WAITs'), and
     * none for the flow seen last. */
    struct tcp_conn *c = ports_ok ? last_conn_is(s, ip->dst, seg->dst_port, ip->src, seg->src_port) : NULL;
    bool hashed = false;
    uint32_t h = 0;
    if (ports_ok && !c) {
        h = conn_hash(s, ip->dst, seg->dst_port, ip->src, seg->src_port);
        hashed = true;
        c = conn_lookup_hashed(s, h, ip->dst, seg->dst_port, ip->src, seg->src_port);
        if (c) s->last_conn = c;
    }
    enum tcp_rx_place placed = TCP_RX_UNPLACED;
    if (csum_partial) {
        /* The common case (in-order data) checks the sum while it copies the
         * payload into the receive buffer; any other segment here. */
        if (c) placed = tcp_rx_place(&s->env, c, seg, *csum_partial);
        if (placed == TCP_RX_UNPLACED &&
            wire_csum_finish(wire_csum_add(*csum_partial, seg->payload, seg->payload_len)) != 0)
            placed = TCP_RX_CORRUPT;
        if (placed == TCP_RX_CORRUPT) {
            s->ctr.in_csum_errors++;
            s->ctr.in_tcp_errors++;
            return;
        }
    }
    s->ctr.in_segs++;
    if (!ports_ok) {   /* H-28: no RST for port 0 */
        s->ctr.in_tcp_errors++;
        return;
    }
    uint32_t tw_isn = 0;
    if (c && c->state == SYNACK_TIME_WAIT && tw_syn_reopens(c->ts_ok, c->ts_recent, c->rcv_nxt, seg) &&
        listener_lookup(s, ip->dst, seg->dst_port)) {
        /* A new SYN may reuse a TIME_WAIT 4-tuple when it is newer than the
         * old connection (RFC 6191, RFC 9293 3.6.1; as BSD and Linux do). */
        tw_isn = tw_reopen_isn(c->snd_max);
        tcp_set_state(&s->env, c, SYNACK_CLOSED);
        c = NULL;
    }
    if (c) {
        s->env.rx_placed = placed == TCP_RX_PLACED;
        tcp_input(&s->env, c, seg);
        s->env.rx_placed = false;
        return;
    }
    if (!tw_isn) {
        if (!hashed) h = conn_hash(s, ip->dst, seg->dst_port, ip->src, seg->src_port);
        uint32_t i = tw_lookup(&s->tw, h, ip->dst, seg->dst_port, ip->src, seg->src_port);
        if (i != TW_NIL) {
            struct tw_rec *r = tw_at(&s->tw, i);
            if (!tw_syn_reopens(r->flags & TW_F_TS, r->ts_recent, r->rcv_nxt, seg) ||
                !listener_lookup(s, ip->dst, seg->dst_port)) {
                tw_input(s, i, seg);
                return;
            }
            tw_isn = tw_reopen_isn(r->snd_nxt);
            tw_remove(&s->tw, i);
            tw_ended(s, r);
        }
    }
    struct tcp_listener *l = listener_lookup(s, ip->dst, seg->dst_port);
    if (l) {
        listen_input(s, l, ip, seg, tw_isn);
        return;
    }
    /* CLOSED (RFC 9293 3.10.7.1): RST for anything but a RST. */
    send_rst_for(s, ip, seg);
}

/* ---- upcalls of the IP layer (src/ip/ip.h) ------------------------------- */

static void ip_up_tcp_input(void *ctx, const struct ipv4_repr *ip, const struct tcp_repr *seg,
                            const uint32_t *csum_partial)
{
    stack_tcp_input(ctx, ip, seg, csum_partial);
}

static bool ip_up_tcp_icmp_error(void *ctx, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                 uint8_t type, uint8_t code, uint16_t next_hop_mtu, uint32_t seq)
{
    synack_stack *s = ctx;
    struct tcp_conn *c = stack_conn_lookup(s, src, sport, dst, dport);
    if (!c) return false;
    tcp_icmp_error(&s->env, c, type, code, next_hop_mtu, seq);
    return true;
}

/* Sends a packet, or inside a socket call defers it to the next poll (output
 * never happens inside a socket call). */
static void ip_up_send(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size)
{
    synack_stack *s = ctx;
    if (gso_size && !s->in_app_call) { /* data: never sent inside a socket call */
        s->cfg.output_gso(s->cfg.output_ctx, pkt, len, gso_size);
        return;
    }
    if (s->in_app_call) {
        if (s->ndeferred < STACK_DEFERRED_MAX && len <= STACK_DEFERRED_BYTES) {
            memcpy(s->deferred[s->ndeferred], pkt, len);
            s->deferred_len[s->ndeferred++] = (uint8_t)len;
        }
        s->next_deadline = s->now;
        return;
    }
    s->cfg.output(s->cfg.output_ctx, pkt, len);
}

static void flush_deferred(synack_stack *s)
{
    for (unsigned i = 0; i < s->ndeferred; i++)
        s->cfg.output(s->cfg.output_ctx, s->deferred[i], s->deferred_len[i]);
    s->ndeferred = 0;
}

/* The pool's trim is a deadline only while it would free something, so an
 * idle stack with nothing to give back is not woken every period. */
static uint64_t pool_trim_deadline(const synack_stack *s)
{
    return chunk_pool_excess(&s->pool) ? s->pool_trim_at : SYNACK_NEVER;
}

void synack_stack_input(synack_stack *s, const uint8_t *pkt, size_t len, uint64_t now)
{
    if (now > s->now) s->now = now;
    s->env.now = s->now;
    flush_deferred(s);
    ip_input(&s->ip, pkt, len, s->now);
    flush_and_reap(s);
    uint64_t reasm_next = ip_next_deadline(&s->ip); /* a new reassembly's timeout */
    if (reasm_next < s->next_deadline) s->next_deadline = reasm_next;
    uint64_t trim_next = pool_trim_deadline(s); /* acked or read bytes freed chunks */
    if (trim_next < s->next_deadline) s->next_deadline = trim_next;
}

/* synack_stack_input_batch prefetches the table lines of the next
 * PREFETCH_GROUP packets while it processes the current group. The
 * prefetches of a group are issued back to back: a line miss to memory,
 * and the page walk before it (which the CPU does not overlap with much
 * else), overlap each other instead of each stalling alone. */
#define PREFETCH_GROUP 8

struct prefetched {
    uint8_t key[12];
    uint32_t hash;
    bool valid, syn;
};

/* Reads just enough of an IPv4/TCP packet to know its 4-tuple (bounds
 * checked; anything else is left to ip_input) and hashes it. */
static void packet_tuple_hash(const synack_stack *s, const struct synack_packet *p, struct prefetched *out)
{
    out->valid = false;
    const uint8_t *b = p->data;
    if (!b || p->len < 20 || (b[0] >> 4) != 4 || b[9] != 6) return;
    size_t ihl = (size_t)(b[0] & 15) * 4u;
    if (ihl < 20 || p->len < ihl + 4) return;
    if ((wire_get16(b + 6) & 0x3fff) != 0) return; /* a fragment: its ports may not be here */
    uint32_t src = wire_get32(b + 12), dst = wire_get32(b + 16);
    uint16_t sport = wire_get16(b + ihl), dport = wire_get16(b + ihl + 2);
    conn_key(out->key, dst, dport, src, sport);
    out->hash = tw_tuple_hash(s->cfg.secret, dst, dport, src, sport);
    out->valid = true;
    /* A SYN alone (a new connection) is looked up in the TIME_WAIT table
     * too; segments of connections are not. */
    out->syn = p->len >= ihl + 14 && (b[ihl + 13] & 0x12) == 0x02;
}

/* Hashes packets [from, from + PREFETCH_GROUP) (those that exist) into
 * group[], then prefetches their lines. */
static void prefetch_group(synack_stack *s, const struct synack_packet *pkts, size_t n, size_t from,
                           struct prefetched *group)
{
    size_t k = n - from < PREFETCH_GROUP ? n - from : PREFETCH_GROUP;
    for (size_t j = 0; j < k; j++) packet_tuple_hash(s, &pkts[from + j], &group[j]);
    for (size_t j = 0; j < k; j++) {
        if (!group[j].valid) continue;
        hindex_prefetch(&s->conns, group[j].hash);
        if (group[j].syn && s->tw.live) hindex_prefetch(&s->tw.index, group[j].hash);
    }
}

void synack_stack_input_batch(synack_stack *s, const struct synack_packet *pkts, size_t n, uint64_t now)
{
    struct prefetched ahead[2][PREFETCH_GROUP];
    if (n) prefetch_group(s, pkts, n, 0, ahead[0]);
    for (size_t g = 0; g * PREFETCH_GROUP < n; g++) {
        size_t from = g * PREFETCH_GROUP;
        if (from + PREFETCH_GROUP < n) prefetch_group(s, pkts, n, from + PREFETCH_GROUP, ahead[(g + 1) & 1]);
        for (size_t i = from; i < n && i < from + PREFETCH_GROUP; i++) {
            const struct prefetched *cur = &ahead[g & 1][i - from];
            memcpy(s->hash_memo.key, cur->key, sizeof cur->key);
            s->hash_memo.hash = cur->hash;
            s->hash_memo.valid = cur->valid;
            synack_stack_input(s, pkts[i].data, pkts[i].len, now);
        }
    }
    s->hash_memo.valid = false;
}

uint64_t synack_stack_poll(synack_stack *s, uint64_t now)
{
    if (now > s->now) s->now = now;
    s->env.now = s->now;
    flush_deferred(s);
    struct timer_node *n;
    while ((n = timer_expire(&s->wheel, s->now)) != NULL) {
        struct tcp_conn *c = conn_of_timer(n);
        tcp_on_timer(&s->env, c);
    }
    tw_expire(s);
    ip_expire(&s->ip, s->now);
    flush_and_reap(s);
    if (s->now >= s->pool_trim_at) {
        chunk_pool_trim(&s->pool);
        s->pool_trim_at = s->now + STACK_POOL_TRIM_US;
    }
    s->next_deadline = timer_next_deadline(&s->wheel);
    uint64_t trim_next = pool_trim_deadline(s);
    if (trim_next < s->next_deadline) s->next_deadline = trim_next;
    uint64_t tw_next = tw_next_expiry(s);
    if (tw_next < s->next_deadline) s->next_deadline = tw_next;
    uint64_t reasm_next = ip_next_deadline(&s->ip);
    if (reasm_next < s->next_deadline) s->next_deadline = reasm_next;
    return s->next_deadline;
}

uint64_t synack_stack_next_deadline(const synack_stack *s) { return s->next_deadline; }

const char *synack_state_name(enum synack_tcp_state state)
{
    static const char *const names[] = {
        "CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED", "FIN_WAIT_1",
        "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
    };
    if ((unsigned)state >= sizeof names / sizeof names[0]) return "?";
    return names[state];
}
