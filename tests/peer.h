/*
 * peer.h — a packet-script harness for C tests: synack under test on one
 * side, a scripted peer on the other, virtual time in between.
 *
 * Owns: one stack at 192.168.0.1 (STACK_ADDR) with a deterministic ISN
 * (cfg.isn_hook returns peer.stack_iss), a capture queue of everything the
 * stack outputs, builders for packets from the peer 192.0.2.1 (PEER_ADDR),
 * assertions on the next outgoing segment with a readable diff, drop
 * assertions (no reply, one counter up, state and heap unchanged), and
 * fixtures that bring a connection into each RFC 9293 state through the
 * socket API plus scripted peer segments. Must not touch: synack internals
 * (only synack.h and the wire codecs are used).
 *
 * Every injected packet is an exactly-sized heap copy, so ASan reports any
 * read one byte past its end.
 *
 * A script reads like a packetdrill one:
 *     fx_state(&t, SYNACK_ESTABLISHED);
 *     peer_send(&t, TCP_ACK | TCP_PSH, t.pseq, t.pack, 65535, NONE, TEXT("abcd"));
 *     expect_segment(&t, TCP_ACK, t.pack, t.pseq + 4);
 *     expect_none(&t);
 *
 * Naming: t.pseq is the peer's next sequence number (the stack's RCV.NXT),
 * t.pack the peer's acknowledgment (the stack's SND.NXT, FIN included).
 * Everything is header-only (static inline) because the tests' CMake builds
 * each tests/test_*.c as its own program.
 */
#ifndef SYNACK_TESTS_PEER_H
#define SYNACK_TESTS_PEER_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "synack/synack.h"
#include "synack/wire.h"

#if defined(__SANITIZE_ADDRESS__)
#define PEER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PEER_ASAN 1
#endif
#endif
#ifdef PEER_ASAN
/* From <sanitizer/allocator_interface.h>, which not every toolchain ships. */
size_t __sanitizer_get_current_allocated_bytes(void);
#else
#include <malloc.h>
#endif

#define PEER_FN static inline

#define STACK_ADDR synack_ipv4(192, 168, 0, 1)
#define PEER_ADDR synack_ipv4(192, 0, 2, 1)
#define SERVER_PORT 80      /* the stack's listener */
#define PEER_PORT 40000     /* the peer's port when it connects */
#define PEER_SERVER_PORT 8080 /* the peer's port when the stack connects */
#define STACK_ISS 1000000u
#define PEER_ISS 5000000u
#define ANY (-1LL)          /* expect_segment: field not checked */

/* A byte string: options, payloads. */
struct bytes {
    const uint8_t *p;
    size_t n;
};
#define BYTES(...) ((struct bytes){(const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})})
#define NONE ((struct bytes){NULL, 0})
#define TEXT(s) ((struct bytes){(const uint8_t *)(s), sizeof(s) - 1})

/* A packet under construction: exactly len heap bytes. */
struct pkt {
    uint8_t *b;
    size_t len;
};

struct peer_out {
    struct peer_out *next;
    size_t len;
    uint8_t b[];
};

/* What the peer asks for in its SYN / SYN|ACK. */
struct peer_options {
    bool ts, sack, ws;      /* offer timestamps, SACK-permitted, window scale */
    uint8_t wscale;
    uint16_t mss;           /* 0: no MSS option */
    uint32_t rcvbuf;        /* the stack's receive buffer (0: default) */
    uint32_t sndbuf;
    uint32_t initial_cwnd;  /* 0: default */
    unsigned max_connections, max_syn_backlog; /* 0: default */
};

/* The last segment expect_segment() popped, parsed. */
struct peer_seg {
    struct ipv4_repr ip;
    struct tcp_repr tcp;    /* payload points into data[] */
    uint8_t data[2048];
    size_t data_len;
};

struct peer {
    synack_stack *st;
    uint64_t now;
    struct peer_options po;
    struct peer_out *head, *tail;
    size_t nout, total_out;
    uint32_t stack_iss;     /* what isn_hook returns */
    uint32_t peer_iss;
    int lsd, sd;            /* listener; the connection's socket (-1) */
    uint16_t lport, rport;  /* the tracked connection: stack's port, peer's port */
    uint32_t pseq, pack;    /* peer's SND.NXT; peer's ACK (stack's SND.NXT) */
    bool fin_sent;          /* the stack's FIN went out (pack counts it) */
    enum synack_tcp_state state; /* of the tracked connection (state hook) */
    int transitions;        /* state changes of the tracked connection */
    int all_transitions;    /* of every connection */
    bool ts_on;             /* timestamps negotiated: peer adds TS to its segments */
    uint32_t ts_val, ts_recent; /* peer's TS clock; the stack's latest TSval */
    uint16_t ident;
    uint16_t stack_wnd;     /* window field of the stack's latest ACK */
    struct peer_seg last;
    char ctx[160];          /* printed with every failure: state, case */
};

PEER_FN void peer_failf(struct peer *t, const char *file, int line, const char *fmt, ...)
{
    harness_failures++;
    fprintf(stderr, "FAIL %s (%s:%d) [%s]: ", harness_current, file, line, t ? t->ctx : "");
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
}
#define PFAIL(t, ...) peer_failf((t), __FILE__, __LINE__, __VA_ARGS__)
/* CHECK with the peer's context in the message. */
#define PCHECK(t, cond)                                                          \
    do {                                                                         \
        harness_checks++;                                                        \
        if (!(cond)) PFAIL((t), "%s", #cond);                                    \
    } while (0)
#define PCHECK_EQ(t, a, b)                                                       \
    do {                                                                         \
        long long pa_ = (long long)(a), pb_ = (long long)(b);                    \
        harness_checks++;                                                        \
        if (pa_ != pb_) PFAIL((t), "%s == %s: got %lld, expected %lld", #a, #b, pa_, pb_); \
    } while (0)

PEER_FN void peer_ctx(struct peer *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->ctx, sizeof t->ctx, fmt, ap);
    va_end(ap);
}

/* Bytes of heap in use (for "memory back to its level"). */
PEER_FN size_t peer_heap(void)
{
#ifdef PEER_ASAN
    return __sanitizer_get_current_allocated_bytes();
#else
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks;
#endif
}

/* ---- the stack's callbacks ------------------------------------------------ */

PEER_FN void peer_output_cb(void *ctx, const uint8_t *pkt, size_t len)
{
    struct peer *t = ctx;
    struct peer_out *o = malloc(sizeof *o + len);
    if (!o) abort();
    o->next = NULL;
    o->len = len;
    memcpy(o->b, pkt, len);
    if (t->tail) t->tail->next = o;
    else t->head = o;
    t->tail = o;
    t->nout++;
    t->total_out++;
}

PEER_FN uint32_t peer_isn_cb(void *ctx, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                             uint64_t now)
{
    (void)laddr, (void)lport, (void)raddr, (void)rport, (void)now;
    return ((struct peer *)ctx)->stack_iss;
}

PEER_FN void peer_state_cb(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                           enum synack_tcp_state to, uint64_t now)
{
    struct peer *t = ctx;
    (void)from, (void)now;
    t->all_transitions++;
    if (id->raddr != PEER_ADDR || id->rport != t->rport) return;
    if (t->lport == 0 && from == SYNACK_CLOSED) t->lport = id->lport; /* active open */
    if (id->lport != t->lport) return;
    t->state = to;
    t->transitions++;
}

/* ---- set-up and tear-down --------------------------------------------------- */

/* A fresh stack with a listener on SERVER_PORT; isn_hook deterministic unless
 * real_isn. */
PEER_FN bool peer_begin_ex(struct peer *t, const struct peer_options *po, bool real_isn)
{
    memset(t, 0, sizeof *t);
    if (po) t->po = *po;
    t->stack_iss = STACK_ISS;
    t->peer_iss = PEER_ISS;
    t->sd = -1;
    t->lsd = -1;
    t->state = SYNACK_CLOSED;
    t->now = 1000000; /* 1 s: avoid time 0 */
    t->ts_val = 100;
    t->ident = 1;
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = STACK_ADDR;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(0x5a ^ (i * 37));
    cfg.output = peer_output_cb;
    cfg.output_ctx = t;
    if (!real_isn) {
        cfg.isn_hook = peer_isn_cb;
        cfg.isn_ctx = t;
    }
    cfg.on_state = peer_state_cb;
    cfg.state_ctx = t;
    if (t->po.rcvbuf) cfg.tunables.rcvbuf = t->po.rcvbuf;
    if (t->po.sndbuf) cfg.tunables.sndbuf = t->po.sndbuf;
    if (t->po.initial_cwnd) cfg.tunables.initial_cwnd = t->po.initial_cwnd;
    if (t->po.max_connections) cfg.tunables.max_connections = t->po.max_connections;
    if (t->po.max_syn_backlog) cfg.tunables.max_syn_backlog = t->po.max_syn_backlog;
    if (synack_stack_create(&t->st, &cfg) != 0) {
        PFAIL(t, "synack_stack_create failed");
        return false;
    }
    synack_stack_poll(t->st, t->now);
    t->lsd = synack_socket(t->st);
    struct synack_endpoint ep = {.addr = 0, .port = SERVER_PORT};
    if (t->lsd < 0 || synack_bind(t->st, t->lsd, &ep) != 0 || synack_listen(t->st, t->lsd, 64) != 0) {
        PFAIL(t, "listener set-up failed");
        return false;
    }
    return true;
}
PEER_FN bool peer_begin(struct peer *t, const struct peer_options *po) { return peer_begin_ex(t, po, false); }

PEER_FN void peer_drain(struct peer *t)
{
    while (t->head) {
        struct peer_out *o = t->head;
        t->head = o->next;
        free(o);
    }
    t->tail = NULL;
    t->nout = 0;
}

PEER_FN void peer_end(struct peer *t)
{
    synack_stack_destroy(t->st);
    t->st = NULL;
    peer_drain(t);
}

/* ---- time ------------------------------------------------------------------- */

PEER_FN uint64_t peer_poll(struct peer *t) { return synack_stack_poll(t->st, t->now); }
PEER_FN uint64_t peer_advance(struct peer *t, uint64_t us)
{
    t->now += us;
    return synack_stack_poll(t->st, t->now);
}
/* Advance to an absolute time, polling at every deadline on the way. Returns
 * how many polls ran (bounded: a stack that keeps asking for "now" stops it). */
PEER_FN unsigned peer_run_until(struct peer *t, uint64_t until)
{
    unsigned polls = 0;
    uint64_t next = peer_poll(t);
    while (next <= until && polls < 100000) {
        if (next > t->now) t->now = next;
        next = peer_poll(t);
        polls++;
    }
    if (t->now < until) {
        t->now = until;
        peer_poll(t);
    }
    return polls;
}

/* ---- building packets --------------------------------------------------------- */

PEER_FN struct pkt pkt_dup(const uint8_t *b, size_t len)
{
    struct pkt p = {malloc(len ? len : 1), len};
    if (!p.b) abort();
    if (len) memcpy(p.b, b, len);
    return p;
}
PEER_FN void pkt_free(struct pkt *p)
{
    free(p->b);
    p->b = NULL;
    p->len = 0;
}
/* Keep only the first len bytes, in a new exactly-sized buffer. */
PEER_FN void pkt_truncate(struct pkt *p, size_t len)
{
    if (len > p->len) len = p->len;
    struct pkt n = pkt_dup(p->b, len);
    pkt_free(p);
    *p = n;
}
/* Append n bytes (link padding and the like). */
PEER_FN void pkt_append(struct pkt *p, const uint8_t *b, size_t n)
{
    struct pkt q = {malloc(p->len + n + 1), p->len + n};
    if (!q.b) abort();
    memcpy(q.b, p->b, p->len);
    if (n) memcpy(q.b + p->len, b, n);
    pkt_free(p);
    *p = q;
}

/* Recompute the IPv4 header checksum over the first hlen bytes (20 when 0). */
PEER_FN void pkt_fix_ip_csum_len(struct pkt *p, size_t hlen)
{
    if (p->len < IPV4_HDR_MIN) return;
    if (hlen == 0 || hlen > p->len) hlen = IPV4_HDR_MIN;
    wire_put16(p->b + 10, 0);
    wire_put16(p->b + 10, wire_csum_finish(wire_csum_add(0, p->b, hlen)));
}
PEER_FN void pkt_fix_ip_csum(struct pkt *p)
{
    size_t ihl = (size_t)(p->b[0] & 0x0f) * 4;
    pkt_fix_ip_csum_len(p, ihl >= IPV4_HDR_MIN && ihl <= p->len ? ihl : IPV4_HDR_MIN);
}
/* Recompute the TCP checksum of the segment at offset off (the IP header
 * length as built, normally 20), over [off, off + tcp_len). */
PEER_FN void pkt_fix_tcp_csum_at(struct pkt *p, size_t off, size_t tcp_len)
{
    if (p->len < off + 18 || off + tcp_len > p->len) return;
    uint32_t src = wire_get32(p->b + 12), dst = wire_get32(p->b + 16);
    wire_put16(p->b + off + 16, 0);
    uint32_t sum = wire_csum_pseudo(src, dst, p->b[9], (uint16_t)tcp_len);
    wire_put16(p->b + off + 16, wire_csum_finish(wire_csum_add(sum, p->b + off, tcp_len)));
}
PEER_FN void pkt_fix_tcp_csum(struct pkt *p) { pkt_fix_tcp_csum_at(p, IPV4_HDR_MIN, p->len - IPV4_HDR_MIN); }
/* Set the total length field to the buffer length, then both checksums. */
PEER_FN void pkt_fix_all(struct pkt *p)
{
    wire_put16(p->b + 2, (uint16_t)p->len);
    pkt_fix_ip_csum(p);
    pkt_fix_tcp_csum(p);
}

/* Every field of a TCP/IPv4 packet from the peer's side. */
struct seg_spec {
    uint32_t src, dst;
    uint16_t sport, dport;
    uint8_t flags;
    uint32_t seq, ack;
    uint16_t win, urg;
    struct bytes opts;      /* raw option bytes, padded with EOL to 4 */
    struct bytes data;
};

PEER_FN struct pkt pkt_build(struct peer *t, const struct seg_spec *s)
{
    size_t optlen = (s->opts.n + 3) & ~(size_t)3;
    if (optlen > 40) optlen = 40;
    size_t tlen = TCP_HDR_MIN + optlen + s->data.n;
    size_t total = IPV4_HDR_MIN + tlen;
    struct pkt p = {calloc(1, total), total};
    if (!p.b) abort();
    struct ipv4_repr ip = {.src = s->src, .dst = s->dst, .protocol = IPV4_PROTO_TCP, .ttl = 64,
                           .flags = IPV4_FLAG_DF, .ident = t->ident++, .header_len = IPV4_HDR_MIN,
                           .payload_len = (uint16_t)tlen};
    if (ipv4_emit(&ip, p.b, total) != IPV4_HDR_MIN) abort();
    struct tcp_repr r;
    memset(&r, 0, sizeof r);
    r.src_port = s->sport;
    r.dst_port = s->dport;
    r.seq = s->seq;
    r.ack = s->ack;
    r.flags = s->flags;
    r.window = s->win;
    r.urgent = s->urg;
    r.payload = s->data.p;
    r.payload_len = s->data.n;
    uint8_t *tcp = p.b + IPV4_HDR_MIN;
    if (tcp_emit(&r, tcp, tlen, s->src, s->dst) != (int)(TCP_HDR_MIN + s->data.n)) abort();
    if (optlen) {
        memmove(tcp + TCP_HDR_MIN + optlen, tcp + TCP_HDR_MIN, s->data.n);
        memset(tcp + TCP_HDR_MIN, 0, optlen);
        memcpy(tcp + TCP_HDR_MIN, s->opts.p, s->opts.n < 40 ? s->opts.n : 40);
        tcp[12] = (uint8_t)(((TCP_HDR_MIN + optlen) / 4) << 4);
        pkt_fix_tcp_csum(&p);
    }
    return p;
}

/* Option helpers for the peer's timestamps. */
PEER_FN size_t peer_ts_opt(struct peer *t, uint8_t *o)
{
    o[0] = TCP_OPT_NOP;
    o[1] = TCP_OPT_NOP;
    o[2] = TCP_OPT_TIMESTAMP;
    o[3] = 10;
    wire_put32(o + 4, t->ts_val);
    wire_put32(o + 8, t->ts_recent);
    return 12;
}

/* A segment on the tracked connection. With timestamps negotiated and no
 * options given, the peer adds its TS option, as a real peer would. */
PEER_FN struct pkt peer_build(struct peer *t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
                              struct bytes opts, struct bytes data)
{
    uint8_t tsbuf[12];
    if (t->ts_on && opts.n == 0 && opts.p == NULL) {
        t->ts_val++;
        opts.p = tsbuf;
        opts.n = peer_ts_opt(t, tsbuf);
    }
    struct seg_spec s = {.src = PEER_ADDR, .dst = STACK_ADDR, .sport = t->rport, .dport = t->lport,
                         .flags = flags, .seq = seq, .ack = ack, .win = win, .urg = 0,
                         .opts = opts, .data = data};
    return pkt_build(t, &s);
}

PEER_FN void peer_inject(struct peer *t, const struct pkt *p)
{
    synack_stack_input(t->st, p->b, p->len, t->now);
}
/* Raw bytes, as an exactly-sized heap copy. */
PEER_FN void peer_raw(struct peer *t, const uint8_t *b, size_t len)
{
    struct pkt p = pkt_dup(b, len);
    peer_inject(t, &p);
    pkt_free(&p);
}
PEER_FN void peer_send(struct peer *t, uint8_t flags, uint32_t seq, uint32_t ack, uint16_t win,
                       struct bytes opts, struct bytes data)
{
    struct pkt p = peer_build(t, flags, seq, ack, win, opts, data);
    peer_inject(t, &p);
    pkt_free(&p);
}

/* ---- reading what the stack sent ------------------------------------------------ */

PEER_FN void peer_format(char *buf, size_t cap, const uint8_t *b, size_t len)
{
    struct ipv4_repr ip;
    int e = ipv4_parse(&ip, b, len);
    if (e) {
        snprintf(buf, cap, "<bad IPv4, %zu bytes: %s>", len, wire_strerror(e));
        return;
    }
    char s[16], d[16];
    synack_format_ipv4(ip.src, s);
    synack_format_ipv4(ip.dst, d);
    const uint8_t *pl = b + ip.header_len;
    if (ip.protocol == IPV4_PROTO_ICMP) {
        snprintf(buf, cap, "ICMP %s > %s type %u code %u len %u", s, d, ip.payload_len ? pl[0] : 0,
                 ip.payload_len > 1 ? pl[1] : 0, ip.payload_len);
        return;
    }
    struct tcp_repr r;
    e = tcp_parse(&r, pl, ip.payload_len, ip.src, ip.dst);
    if (e) {
        snprintf(buf, cap, "<proto %u %s > %s: %s>", ip.protocol, s, d, wire_strerror(e));
        return;
    }
    int n = snprintf(buf, cap, "%s:%u > %s:%u [%s] seq=%u ack=%u win=%u len=%zu", s, r.src_port, d,
                     r.dst_port, tcp_flags_str(r.flags), r.seq, r.ack, r.window, r.payload_len);
    if (n > 0 && (size_t)n < cap && r.opt.has_mss) n += snprintf(buf + n, cap - (size_t)n, " mss=%u", r.opt.mss);
    if (n > 0 && (size_t)n < cap && r.opt.has_wscale)
        n += snprintf(buf + n, cap - (size_t)n, " ws=%u", r.opt.wscale);
    if (n > 0 && (size_t)n < cap && r.opt.has_timestamp)
        n += snprintf(buf + n, cap - (size_t)n, " ts=%u/%u", r.opt.ts_val, r.opt.ts_ecr);
    if (n > 0 && (size_t)n < cap && r.opt.sack_count)
        snprintf(buf + n, cap - (size_t)n, " sack=%u", r.opt.sack_count);
}

/* Pops the next output packet into t->last (parsed as TCP when it is TCP).
 * Returns 1 for TCP, 2 for another protocol, 0 when none is queued, -1 when
 * the stack sent malformed bytes. */
PEER_FN int peer_pop(struct peer *t)
{
    struct peer_out *o = t->head;
    if (!o) return 0;
    t->head = o->next;
    if (!t->head) t->tail = NULL;
    t->nout--;
    int rc = -1;
    memset(&t->last.tcp, 0, sizeof t->last.tcp);
    size_t n = o->len < sizeof t->last.data ? o->len : sizeof t->last.data;
    memcpy(t->last.data, o->b, n);
    t->last.data_len = n;
    if (ipv4_parse(&t->last.ip, t->last.data, n) == 0) {
        if (t->last.ip.protocol != IPV4_PROTO_TCP) rc = 2;
        else if (tcp_parse(&t->last.tcp, t->last.data + t->last.ip.header_len, t->last.ip.payload_len,
                           t->last.ip.src, t->last.ip.dst) == 0)
            rc = 1;
    }
    if (rc == 1 && t->last.tcp.opt.has_timestamp) t->ts_recent = t->last.tcp.opt.ts_val;
    if (rc == 1 && (t->last.tcp.flags & TCP_ACK)) t->stack_wnd = t->last.tcp.window;
    free(o);
    return rc;
}

/* Pops the next segment and checks it: flags exactly, seq and ack unless
 * ANY. On mismatch prints what was expected and what came, field by field. */
PEER_FN bool peer_expect_segment_(struct peer *t, long long flags, long long seq, long long ack,
                                  const char *file, int line)
{
    harness_checks++;
    char got[256];
    if (!t->head) {
        peer_failf(t, file, line, "expected [%s] seq=%lld ack=%lld, nothing was sent",
                   flags == ANY ? "any" : tcp_flags_str((uint8_t)flags), seq, ack);
        return false;
    }
    peer_format(got, sizeof got, t->head->b, t->head->len);
    int rc = peer_pop(t);
    if (rc != 1) {
        peer_failf(t, file, line, "expected a TCP segment, got %s", got);
        return false;
    }
    const struct tcp_repr *r = &t->last.tcp;
    bool ok = true;
    char diff[256] = "";
    size_t dn = 0;
    if (flags != ANY && r->flags != (uint8_t)flags) {
        ok = false;
        dn += (size_t)snprintf(diff + dn, sizeof diff - dn, " flags: want [%s] got [%s];",
                               tcp_flags_str((uint8_t)flags), tcp_flags_str(r->flags));
    }
    if (seq != ANY && r->seq != (uint32_t)seq) {
        ok = false;
        dn += (size_t)snprintf(diff + dn, sizeof diff - dn, " seq: want %u got %u (%+d);", (uint32_t)seq,
                               r->seq, (int)(r->seq - (uint32_t)seq));
    }
    if (ack != ANY && r->ack != (uint32_t)ack && dn < sizeof diff) {
        ok = false;
        snprintf(diff + dn, sizeof diff - dn, " ack: want %u got %u (%+d);", (uint32_t)ack, r->ack,
                 (int)(r->ack - (uint32_t)ack));
    }
    if (t->last.ip.dst != PEER_ADDR || t->last.ip.src != STACK_ADDR) {
        ok = false;
        snprintf(diff, sizeof diff, " addressed elsewhere;");
    }
    if (!ok) peer_failf(t, file, line, "segment mismatch:%s\n    got: %s", diff, got);
    return ok;
}
#define expect_segment(t, flags, seq, ack) peer_expect_segment_((t), (flags), (seq), (ack), __FILE__, __LINE__)

/* Asserts nothing was sent; prints (and discards) whatever was. */
PEER_FN bool peer_expect_none_(struct peer *t, const char *file, int line)
{
    harness_checks++;
    if (!t->head) return true;
    size_t n = t->nout;
    char got[256];
    peer_format(got, sizeof got, t->head->b, t->head->len);
    peer_failf(t, file, line, "expected nothing sent, got %zu packet(s), first: %s", n, got);
    peer_drain(t);
    return false;
}
#define expect_none(t) peer_expect_none_((t), __FILE__, __LINE__)

/* ---- drop assertions ---------------------------------------------------------------- */

struct peer_snap {
    struct synack_counters c;
    enum synack_tcp_state state;
    int transitions, all_transitions;
    size_t heap;
};

PEER_FN void peer_snapshot(struct peer *t, struct peer_snap *s)
{
    synack_stack_get_counters(t->st, &s->c);
    s->state = t->state;
    s->transitions = t->transitions;
    s->all_transitions = t->all_transitions;
    s->heap = peer_heap();
}

PEER_FN uint64_t ctr_at(const struct synack_counters *c, size_t off)
{
    uint64_t v;
    memcpy(&v, (const char *)c + off, sizeof v);
    return v;
}

/* "Drop": no reply, the named counter went up, the connection's state did not
 * change, and the heap is back to its level. */
PEER_FN bool peer_expect_dropped_(struct peer *t, const struct peer_snap *before, size_t off, const char *name,
                                  const char *file, int line)
{
    bool ok = peer_expect_none_(t, file, line);
    struct peer_snap now;
    peer_snapshot(t, &now);
    harness_checks += 3;
    if (name && ctr_at(&now.c, off) <= ctr_at(&before->c, off)) {
        peer_failf(t, file, line, "counter %s did not go up (%llu)", name,
                   (unsigned long long)ctr_at(&now.c, off));
        ok = false;
    }
    if (now.state != before->state || now.all_transitions != before->all_transitions) {
        peer_failf(t, file, line, "state changed: %s -> %s (%d transitions)", synack_state_name(before->state),
                   synack_state_name(now.state), now.all_transitions - before->all_transitions);
        ok = false;
    }
    if (now.heap != before->heap) {
        peer_failf(t, file, line, "heap changed by %lld bytes", (long long)now.heap - (long long)before->heap);
        ok = false;
    }
    return ok;
}
#define expect_dropped(t, snap, field)                                                     \
    peer_expect_dropped_((t), (snap), offsetof(struct synack_counters, field), #field, __FILE__, __LINE__)
/* Dropped with no particular counter required (only "no reply, no change"). */
#define expect_ignored(t, snap) peer_expect_dropped_((t), (snap), 0, NULL, __FILE__, __LINE__)

#define expect_state(t, st)                                                                \
    do {                                                                                   \
        harness_checks++;                                                                  \
        if ((t)->state != (st))                                                            \
            PFAIL((t), "state: want %s got %s", synack_state_name(st), synack_state_name((t)->state)); \
    } while (0)

/* ---- fixtures: bring the tracked connection into a state --------------------------- */

PEER_FN struct bytes peer_syn_opts(struct peer *t, uint8_t *buf)
{
    size_t n = 0;
    if (t->po.mss) {
        buf[n++] = TCP_OPT_MSS;
        buf[n++] = 4;
        wire_put16(buf + n, t->po.mss);
        n += 2;
    }
    if (t->po.sack) {
        buf[n++] = TCP_OPT_NOP;
        buf[n++] = TCP_OPT_NOP;
        buf[n++] = TCP_OPT_SACK_PERM;
        buf[n++] = 2;
    }
    if (t->po.ts) {
        t->ts_recent = 0;
        n += peer_ts_opt(t, buf + n);
    }
    if (t->po.ws) {
        buf[n++] = TCP_OPT_NOP;
        buf[n++] = TCP_OPT_WSCALE;
        buf[n++] = 3;
        buf[n++] = t->po.wscale;
    }
    struct bytes b = {n ? buf : NULL, n};
    return b;
}

PEER_FN bool fx_listen(struct peer *t)
{
    t->rport = PEER_PORT;
    t->lport = SERVER_PORT;
    t->state = SYNACK_LISTEN;
    t->pseq = t->peer_iss;
    t->pack = 0;
    return true;
}

/* The stack connects to the peer: SYN out. */
PEER_FN bool fx_syn_sent(struct peer *t)
{
    t->rport = PEER_SERVER_PORT;
    t->lport = 0;
    t->sd = synack_socket(t->st);
    struct synack_endpoint ep = {.addr = PEER_ADDR, .port = PEER_SERVER_PORT};
    int rc = synack_connect(t->st, t->sd, &ep);
    if (rc != -EINPROGRESS) {
        PFAIL(t, "connect returned %d", rc);
        return false;
    }
    peer_poll(t);
    if (!expect_segment(t, TCP_SYN, t->stack_iss, 0)) return false;
    t->lport = t->last.tcp.src_port;
    t->pack = t->stack_iss + 1;
    t->pseq = t->peer_iss;
    return t->state == SYNACK_SYN_SENT;
}

/* Active open completed by the peer's SYN|ACK. */
PEER_FN bool fx_established_active(struct peer *t)
{
    if (!fx_syn_sent(t)) return false;
    uint8_t ob[40];
    struct bytes o = peer_syn_opts(t, ob);
    peer_send(t, TCP_SYN | TCP_ACK, t->peer_iss, t->pack, 65535, o, NONE);
    t->pseq = t->peer_iss + 1;
    t->ts_on = t->po.ts && t->last.tcp.opt.has_timestamp;
    if (!expect_segment(t, TCP_ACK, t->pack, t->pseq)) return false;
    return t->state == SYNACK_ESTABLISHED;
}

/* The peer connects to the listener: SYN in, SYN|ACK out. */
PEER_FN bool fx_syn_rcvd(struct peer *t)
{
    fx_listen(t);
    uint8_t ob[40];
    struct bytes o = peer_syn_opts(t, ob);
    peer_send(t, TCP_SYN, t->peer_iss, 0, 65535, o, NONE);
    t->pseq = t->peer_iss + 1;
    if (!expect_segment(t, TCP_SYN | TCP_ACK, t->stack_iss, t->pseq)) return false;
    t->ts_on = t->po.ts && t->last.tcp.opt.has_timestamp;
    t->pack = t->stack_iss + 1;
    return t->state == SYNACK_SYN_RCVD;
}

PEER_FN bool fx_established(struct peer *t)
{
    if (!fx_syn_rcvd(t)) return false;
    peer_send(t, TCP_ACK, t->pseq, t->pack, 65535, NONE, NONE);
    if (!expect_none(t)) return false;
    struct synack_endpoint ep;
    t->sd = synack_accept(t->st, t->lsd, &ep);
    if (t->sd < 0) {
        PFAIL(t, "accept returned %d", t->sd);
        return false;
    }
    return t->state == SYNACK_ESTABLISHED;
}

/* The stack shuts down its side: FIN out. */
PEER_FN bool peer_stack_fin(struct peer *t)
{
    synack_shutdown(t->st, t->sd, SYNACK_SHUT_WR);
    peer_poll(t);
    if (!expect_segment(t, TCP_FIN | TCP_ACK, t->pack, t->pseq)) return false;
    t->pack++;
    t->fin_sent = true;
    return true;
}

PEER_FN bool fx_fin_wait_1(struct peer *t)
{
    return fx_established(t) && peer_stack_fin(t) && t->state == SYNACK_FIN_WAIT_1;
}

PEER_FN bool fx_fin_wait_2(struct peer *t)
{
    if (!fx_fin_wait_1(t)) return false;
    peer_send(t, TCP_ACK, t->pseq, t->pack, 65535, NONE, NONE);
    return expect_none(t) && t->state == SYNACK_FIN_WAIT_2;
}

PEER_FN bool fx_close_wait(struct peer *t)
{
    if (!fx_established(t)) return false;
    peer_send(t, TCP_FIN | TCP_ACK, t->pseq, t->pack, 65535, NONE, NONE);
    t->pseq++;
    return expect_segment(t, TCP_ACK, t->pack, t->pseq) && t->state == SYNACK_CLOSE_WAIT;
}

/* Simultaneous close: the peer's FIN crosses ours (it does not ACK ours). */
PEER_FN bool fx_closing(struct peer *t)
{
    if (!fx_fin_wait_1(t)) return false;
    peer_send(t, TCP_FIN | TCP_ACK, t->pseq, t->pack - 1, 65535, NONE, NONE);
    t->pseq++;
    return expect_segment(t, TCP_ACK, t->pack, t->pseq) && t->state == SYNACK_CLOSING;
}

PEER_FN bool fx_last_ack(struct peer *t)
{
    return fx_close_wait(t) && peer_stack_fin(t) && t->state == SYNACK_LAST_ACK;
}

PEER_FN bool fx_time_wait(struct peer *t)
{
    if (!fx_fin_wait_2(t)) return false;
    peer_send(t, TCP_FIN | TCP_ACK, t->pseq, t->pack, 65535, NONE, NONE);
    t->pseq++;
    return expect_segment(t, TCP_ACK, t->pack, t->pseq) && t->state == SYNACK_TIME_WAIT;
}

PEER_FN bool fx_state(struct peer *t, enum synack_tcp_state s)
{
    bool ok;
    switch (s) {
    case SYNACK_LISTEN: ok = fx_listen(t); break;
    case SYNACK_SYN_SENT: ok = fx_syn_sent(t); break;
    case SYNACK_SYN_RCVD: ok = fx_syn_rcvd(t); break;
    case SYNACK_ESTABLISHED: ok = fx_established(t); break;
    case SYNACK_FIN_WAIT_1: ok = fx_fin_wait_1(t); break;
    case SYNACK_FIN_WAIT_2: ok = fx_fin_wait_2(t); break;
    case SYNACK_CLOSE_WAIT: ok = fx_close_wait(t); break;
    case SYNACK_CLOSING: ok = fx_closing(t); break;
    case SYNACK_LAST_ACK: ok = fx_last_ack(t); break;
    case SYNACK_TIME_WAIT: ok = fx_time_wait(t); break;
    default: ok = false; break;
    }
    if (!ok) PFAIL(t, "fixture for %s failed (state is %s)", synack_state_name(s), synack_state_name(t->state));
    peer_drain(t);
    return ok;
}

/* The ten states of the hostile-inputs table, in its order. */
static const enum synack_tcp_state peer_all_states[] = {
    SYNACK_LISTEN,      SYNACK_SYN_SENT,  SYNACK_SYN_RCVD, SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1,
    SYNACK_FIN_WAIT_2,  SYNACK_CLOSE_WAIT, SYNACK_CLOSING, SYNACK_LAST_ACK,    SYNACK_TIME_WAIT,
};
#define PEER_NSTATES (sizeof peer_all_states / sizeof peer_all_states[0])

/* The synchronized states (RFC 9293: ESTABLISHED and after). */
static const enum synack_tcp_state peer_sync_states[] = {
    SYNACK_ESTABLISHED, SYNACK_FIN_WAIT_1, SYNACK_FIN_WAIT_2, SYNACK_CLOSE_WAIT,
    SYNACK_CLOSING,     SYNACK_LAST_ACK,   SYNACK_TIME_WAIT,
};
#define PEER_NSYNC (sizeof peer_sync_states / sizeof peer_sync_states[0])

/* The valid packet of each state (the "template" mutations are applied to):
 * LISTEN a SYN; SYN-SENT the SYN|ACK; SYN-RCVD the final ACK; data where the
 * peer may still send it; otherwise a pure ACK that acknowledges nothing new
 * (so it changes no state by itself). */
PEER_FN struct pkt peer_template(struct peer *t)
{
    uint32_t ack = t->fin_sent ? t->pack - 1 : t->pack;
    switch (t->state) {
    case SYNACK_LISTEN:
        return peer_build(t, TCP_SYN, t->peer_iss, 0, 65535, NONE, NONE);
    case SYNACK_SYN_SENT:
        return peer_build(t, TCP_SYN | TCP_ACK, t->peer_iss, t->pack, 65535, NONE, NONE);
    case SYNACK_SYN_RCVD:
        return peer_build(t, TCP_ACK, t->pseq, t->pack, 65535, NONE, NONE);
    case SYNACK_ESTABLISHED:
    case SYNACK_FIN_WAIT_1:
    case SYNACK_FIN_WAIT_2:
        return peer_build(t, TCP_ACK | TCP_PSH, t->pseq, ack, 65535, NONE, TEXT("data"));
    default:
        return peer_build(t, TCP_ACK, t->pseq, ack, 65535, NONE, NONE);
    }
}

/* After anything: a brand-new peer port completes a clean handshake and a
 * data exchange both ways with the listener. Returns true when it worked. */
PEER_FN bool peer_clean_exchange(struct peer *t, uint16_t port)
{
    peer_drain(t);
    uint32_t p = 777000;
    struct pkt syn;
    {
        struct seg_spec s = {PEER_ADDR, STACK_ADDR, port, SERVER_PORT, TCP_SYN, p, 0, 65535, 0, NONE, NONE};
        syn = pkt_build(t, &s);
    }
    peer_inject(t, &syn);
    pkt_free(&syn);
    bool ok = false;
    uint32_t iss = 0;
    while (t->head) {
        if (peer_pop(t) == 1 && t->last.tcp.dst_port == port && t->last.tcp.flags == (TCP_SYN | TCP_ACK) &&
            t->last.tcp.ack == p + 1) {
            ok = true;
            iss = t->last.tcp.seq;
        }
    }
    if (!ok) return false;
    struct seg_spec a = {PEER_ADDR, STACK_ADDR, port, SERVER_PORT, TCP_ACK | TCP_PSH, p + 1, iss + 1, 65535, 0,
                         NONE, TEXT("ping")};
    struct pkt ack = pkt_build(t, &a);
    peer_inject(t, &ack);
    pkt_free(&ack);
    peer_drain(t);
    struct synack_endpoint ep;
    int sd = -1;
    /* The listener may hold earlier completed connections: find ours. */
    for (int i = 0; i < 100; i++) {
        int s = synack_accept(t->st, t->lsd, &ep);
        if (s < 0) break;
        if (ep.port == port) sd = s;
        else synack_close(t->st, s);
    }
    if (sd < 0) return false;
    char buf[16];
    ok = synack_recv(t->st, sd, buf, sizeof buf) == 4 && memcmp(buf, "ping", 4) == 0;
    ok = ok && synack_send(t->st, sd, "pong", 4) == 4;
    peer_poll(t);
    bool got = false;
    while (t->head) {
        if (peer_pop(t) == 1 && t->last.tcp.dst_port == port && t->last.tcp.payload_len == 4 &&
            memcmp(t->last.tcp.payload, "pong", 4) == 0)
            got = true;
    }
    struct synack_linger lg = {1, 0};
    synack_setsockopt(t->st, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    synack_close(t->st, sd);
    peer_poll(t);
    peer_drain(t);
    return ok && got;
}

#endif
