/*
 * script_run.c — plays a parsed packetdrill script against a fresh synack
 * stack on a virtual clock.
 *
 * Owns: the virtual clock (script time 0 is SC_T0 on the stack's clock), the
 * two hosts' addresses (synack is 192.168.0.1, the script's peer 192.0.2.1,
 * as in packetdrill), injection of inbound segments, matching of outbound
 * segments in order with the time tolerance, the mapping of script
 * descriptors (3, 4, ...) to synack's, blocking calls (pending while later
 * lines run, retried after every event), sysctl shell lines, and the
 * verdict with what was expected and what synack did.
 *
 * Sequence numbers follow packetdrill: the peer's (inbound seq, outbound
 * ack and SACK blocks) are used as written; synack's (outbound seq, inbound
 * ack and SACK blocks) are relative to the script's ISN, which is the seq of
 * the script's outbound SYN or SYN|ACK line, mapped onto the ISN synack
 * actually used (fixed by cfg.isn_hook, so runs are reproducible).
 *
 * Map: output queue and clock; formatting of segments; inbound building;
 * outbound matching; system calls (symbols, arguments, each call, blocking);
 * shell lines (sysctl); sc_run.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script.h"
#include "script_ast.h"
#include "script_code.h"
#include "tunables.h"
#include "synack/synack.h"
#include "synack/epoll.h"
#include "synack/wire.h"

#define SC_T0 1000000000ull          /* script time 0 on the stack's clock (1000 s) */
#define SC_LOCAL_IP 0xc0a80001u      /* 192.168.0.1: synack */
#define SC_REMOTE_IP 0xc0000201u     /* 192.0.2.1: the script's peer */
#define SC_PORT 8080                 /* packetdrill's bind and connect port */
#define SC_REMOTE_PORT 48000         /* the peer's port towards a listener */
#define SC_ISN_BASE 0x4b1d0000u      /* synack's first ISN; the next ones step */
#define SC_ANY_WAIT 3600000000ull    /* how long '*' waits for a segment (1 h) */
#define SC_MAX_FDS 64
#define SC_MAX_PAYLOAD (65535 - 20 - 60)

struct out_pkt {
    uint8_t *bytes;
    size_t len;
    uint64_t t;
};

struct fdmap {
    bool used;
    int sd;
    bool nonblock;
    synack_epoll *ep;         /* an epoll_create descriptor (sd is -1) */
};

struct pending {
    bool active;
    struct sc_event *e;
    uint64_t start;
    int64_t done;             /* write: bytes queued so far */
    uint64_t deadline;        /* poll timeout, SYNACK_NEVER when none */
};

struct runner {
    struct sc_script *s;
    const struct script_options *o;
    FILE *out;
    synack_stack *st;
    uint64_t now;
    int64_t tol;
    uint64_t last;            /* clock time of the previous event, for +t */
    struct out_pkt *q;
    size_t qhead, qn, qcap;
    bool oom;
    struct fdmap fds[SC_MAX_FDS];
    uint16_t lport, rport;
    bool isn_known;
    uint32_t live_isn, script_isn;
    /* The peer's sequence numbers, as packetdrill numbers them: relative to
     * its first SYN (or SYN|ACK) except in SYNs, which are absolute. */
    bool remote_isn_known;
    uint32_t remote_isn;
    unsigned isn_count;
    bool ts_known;            /* synack's TSval clock, mapped like the ISN */
    uint32_t ts_off;          /* live TSval - script TSval */
    struct pending pend;
    int result;
    bool done;
    int last_line;
    const struct sc_event *last_out; /* the last outbound line (--unchecked-tail) */
    bool tail;                       /* past it: unexpected segments go unchecked */
    uint8_t *iobuf;           /* scratch for read/write payloads */
    struct sc_code_vars vars; /* variables of the %{ }% blocks */
    char *collect;            /* while a shell file runs: its notes, reported once */
    size_t collect_len;
};

/* ---- verdict ---------------------------------------------------------------- */

static void quote_line(struct runner *r, int line, char *buf, size_t len)
{
    const char *p = r->s->text, *end = p + r->s->text_len;
    for (int l = 1; l < line && p < end; p++)
        if (*p == '\n') l++;
    while (p < end && (*p == ' ' || *p == '\t')) p++;
    size_t n = 0;
    while (p + n < end && p[n] != '\n' && p[n] != '\r') n++;
    if (n >= len) n = len - 1;
    memcpy(buf, p, n);
    buf[n] = '\0';
}

static void fmt_time(uint64_t t, char *buf, size_t len)
{
    int64_t d = (int64_t)(t - SC_T0);
    const char *sign = "";
    if (t < SC_T0) {
        d = (int64_t)(SC_T0 - t);
        sign = "-";
    }
    snprintf(buf, len, "%s%" PRId64 ".%06" PRId64, sign, d / 1000000, d % 1000000);
}

/* FAIL at a line: the message's first line names file:line, the quoted line
 * follows, then the details (already indented by the caller). */
static void fail(struct runner *r, int line, const char *fmt, ...)
{
    if (r->done) return;
    char src[200];
    quote_line(r, line, src, sizeof src);
    fprintf(r->out, "FAIL %s:%d: ", r->s->path, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->out, fmt, ap);
    va_end(ap);
    fprintf(r->out, "\n  script line %d: %s\n", line, src);
    r->result = SCRIPT_FAIL;
    r->done = true;
}

static void skip_run(struct runner *r, int line, const char *fmt, ...)
{
    if (r->done) return;
    fprintf(r->out, "SKIP %s:%d: ", r->s->path, line);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->out, fmt, ap);
    va_end(ap);
    fprintf(r->out, "\n");
    r->result = SCRIPT_SKIP;
    r->done = true;
}

static void note(struct runner *r, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (r->collect) {
        size_t n = strlen(r->collect);
        if (n + 3 < r->collect_len) {
            if (n) strcat(r->collect, "; ");
            n = strlen(r->collect);
            vsnprintf(r->collect + n, r->collect_len - n, fmt, ap);
        }
        va_end(ap);
        return;
    }
    fprintf(r->out, "  note %s:%d: ", r->s->path, line);
    vfprintf(r->out, fmt, ap);
    va_end(ap);
    fprintf(r->out, "\n");
}

/* ---- stack, output queue, clock ------------------------------------------------ */

static void on_output(void *ctx, const uint8_t *pkt, size_t len)
{
    struct runner *r = ctx;
    if (r->qn == r->qcap) {
        size_t cap = r->qcap ? r->qcap * 2 : 16;
        struct out_pkt *q = realloc(r->q, cap * sizeof *q);
        if (!q) {
            r->oom = true;
            return;
        }
        r->q = q;
        r->qcap = cap;
    }
    uint8_t *b = malloc(len ? len : 1);
    if (!b) {
        r->oom = true;
        return;
    }
    memcpy(b, pkt, len);
    r->q[r->qn++] = (struct out_pkt){b, len, r->now};
}

static bool queue_empty(const struct runner *r) { return r->qhead == r->qn; }

static uint32_t isn_hook(void *ctx, uint32_t laddr, uint16_t lport, uint32_t raddr, uint16_t rport,
                         uint64_t now)
{
    (void)laddr, (void)lport, (void)raddr, (void)rport, (void)now;
    struct runner *r = ctx;
    return SC_ISN_BASE + 0x01000000u * r->isn_count++;
}

static void retry_pending(struct runner *r);

static uint64_t next_wake(struct runner *r)
{
    uint64_t d = synack_stack_next_deadline(r->st);
    if (r->pend.active && r->pend.deadline < d) d = r->pend.deadline;
    return d;
}

/* Runs the stack's timers due up to time t (inclusive), retrying a pending
 * call after each step; stops early when until_output and a segment came. */
static void run_until(struct runner *r, uint64_t t, bool until_output)
{
    for (int guard = 0; guard < 1000000 && !r->done; guard++) {
        if (until_output && !queue_empty(r)) return;
        uint64_t d = next_wake(r);
        if (d == SYNACK_NEVER || d > t) break;
        if (d > r->now) r->now = d;
        synack_stack_poll(r->st, r->now);
        retry_pending(r);
    }
    if (until_output && !queue_empty(r)) return;
    if (t > r->now && t != SYNACK_NEVER) r->now = t;
    synack_stack_poll(r->st, r->now);
    retry_pending(r);
}

/* After an event: send what it caused, complete what it unblocked. */
static void settle(struct runner *r)
{
    for (int i = 0; i < 8 && !r->done; i++) {
        synack_stack_poll(r->st, r->now);
        retry_pending(r);
        if (synack_stack_next_deadline(r->st) > r->now) break;
    }
}

/* ---- sequence mapping ---------------------------------------------------------- */

static uint32_t to_live(const struct runner *r, uint32_t script_seq)
{
    return r->isn_known ? script_seq - r->script_isn + r->live_isn : script_seq;
}
static uint32_t to_script(const struct runner *r, uint32_t live_seq)
{
    return r->isn_known ? live_seq - r->live_isn + r->script_isn : live_seq;
}
/* What to add to a script's number for the peer's side of a segment (SYN:
 * whether that segment carries SYN). */
static uint32_t remote_offset(const struct runner *r, bool syn)
{
    return r->remote_isn_known && !syn ? r->remote_isn : 0;
}

/* ---- formatting ------------------------------------------------------------------ */

static void fmt_flags(uint8_t f, char *b)
{
    size_t n = 0;
    if (f & TCP_FIN) b[n++] = 'F';
    if (f & TCP_SYN) b[n++] = 'S';
    if (f & TCP_RST) b[n++] = 'R';
    if (f & TCP_PSH) b[n++] = 'P';
    if (f & TCP_URG) b[n++] = 'U';
    if (f & TCP_ECE) b[n++] = 'E';
    if (f & TCP_CWR) b[n++] = 'W';
    if (f & TCP_ACK) b[n++] = '.';
    if (n == 0) b[n++] = '-';
    b[n] = '\0';
}

struct strbuf {
    char *b;
    size_t cap, n;
};
static void sb_add(struct strbuf *s, const char *fmt, ...)
{
    if (s->n >= s->cap) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(s->b + s->n, s->cap - s->n, fmt, ap);
    va_end(ap);
    if (k > 0) s->n += (size_t)k < s->cap - s->n ? (size_t)k : s->cap - s->n - 1;
}

/* Raw option bytes as packetdrill writes them; outbound SACK blocks carry
 * the peer's numbers (as written). Bounded by len. */
static void fmt_raw_options(const uint8_t *o, size_t len, struct strbuf *s)
{
    if (len == 0) return;
    sb_add(s, " <");
    size_t i = 0;
    bool first = true;
    while (i < len) {
        if (!first) sb_add(s, ",");
        first = false;
        uint8_t kind = o[i];
        if (kind == TCP_OPT_EOL) {
            sb_add(s, "eol");
            i++;
            continue;
        }
        if (kind == TCP_OPT_NOP) {
            sb_add(s, "nop");
            i++;
            continue;
        }
        if (i + 1 >= len || o[i + 1] < 2 || i + o[i + 1] > len) {
            sb_add(s, "malformed option %u", kind);
            break;
        }
        uint8_t l = o[i + 1];
        const uint8_t *v = o + i + 2;
        if (kind == TCP_OPT_MSS && l == 4) sb_add(s, "mss %u", wire_get16(v));
        else if (kind == TCP_OPT_WSCALE && l == 3) sb_add(s, "wscale %u", v[0]);
        else if (kind == TCP_OPT_SACK_PERM && l == 2) sb_add(s, "sackOK");
        else if (kind == TCP_OPT_TIMESTAMP && l == 10)
            sb_add(s, "TS val %" PRIu32 " ecr %" PRIu32, wire_get32(v), wire_get32(v + 4));
        else if (kind == TCP_OPT_SACK && (l - 2) % 8 == 0) {
            sb_add(s, "sack");
            for (int k = 0; k + 8 <= l - 2; k += 8)
                sb_add(s, " %" PRIu32 ":%" PRIu32, wire_get32(v + k), wire_get32(v + k + 4));
        } else sb_add(s, "option %u len %u", kind, l);
        i += l;
    }
    sb_add(s, ">");
}

/* An actual segment in script terms: F. 1:1(0) ack 1001 win 65535 <...>. */
static void fmt_actual(struct runner *r, const struct tcp_repr *t, const uint8_t *opts, size_t optlen,
                       char *buf, size_t len)
{
    struct strbuf s = {buf, len, 0};
    char f[12];
    fmt_flags(t->flags, f);
    uint32_t seq = to_script(r, t->seq);
    if ((t->flags & TCP_RST) && t->seq == 0) seq = 0;
    sb_add(&s, "%s %" PRIu32 ":%" PRIu32 "(%zu)", f, seq, seq + (uint32_t)t->payload_len, t->payload_len);
    if (t->flags & TCP_ACK) sb_add(&s, " ack %" PRIu32, t->ack - remote_offset(r, t->flags & TCP_SYN));
    sb_add(&s, " win %u", t->window);
    if (t->urgent) sb_add(&s, " urg %u", t->urgent);
    fmt_raw_options(opts, optlen, &s);
}

/* Builds the option bytes of a script packet; local (synack) numbers in SACK
 * blocks are mapped for inbound packets. Returns the length (padded to 4
 * with EOL), or -1 when longer than 40. */
static int build_options(struct runner *r, const struct sc_packet *k, uint8_t *o)
{
    int n = 0;
    for (int i = 0; i < k->nopts; i++) {
        const struct sc_tcp_opt *x = &k->opts[i];
        int need = x->kind == TCP_OPT_MSS ? 4 : x->kind == TCP_OPT_WSCALE ? 3 : x->kind == TCP_OPT_SACK_PERM ? 2
                 : x->kind == TCP_OPT_TIMESTAMP ? 10 : x->kind == TCP_OPT_SACK ? 2 + 8 * x->nsack : 1;
        if (n + need > 40) return -1;
        switch (x->kind) {
        case TCP_OPT_EOL:
        case TCP_OPT_NOP: o[n] = x->kind; break;
        case TCP_OPT_MSS: o[n] = 2, o[n + 1] = 4, wire_put16(o + n + 2, (uint16_t)x->a); break;
        case TCP_OPT_WSCALE: o[n] = 3, o[n + 1] = 3, o[n + 2] = (uint8_t)x->a; break;
        case TCP_OPT_SACK_PERM: o[n] = 4, o[n + 1] = 2; break;
        case TCP_OPT_TIMESTAMP:
            o[n] = 8, o[n + 1] = 10;
            wire_put32(o + n + 2, x->a);
            /* An inbound echo of synack's TSval is mapped onto its clock. */
            wire_put32(o + n + 6, !k->outbound && r->ts_known && x->b ? x->b + r->ts_off : x->b);
            break;
        case TCP_OPT_SACK:
            o[n] = 5, o[n + 1] = (uint8_t)need;
            for (int b = 0; b < x->nsack; b++) {
                uint32_t left = x->sack[b][0], right = x->sack[b][1];
                if (!k->outbound) left = to_live(r, left), right = to_live(r, right);
                else left += remote_offset(r, k->flags & TCP_SYN), right += remote_offset(r, k->flags & TCP_SYN);
                wire_put32(o + n + 2 + 8 * b, left);
                wire_put32(o + n + 6 + 8 * b, right);
            }
            break;
        default: break;
        }
        n += need;
    }
    while (n % 4) {
        if (n >= 40) return -1;
        o[n++] = TCP_OPT_EOL;
    }
    return n;
}

static void fmt_window(struct runner *r, const struct sc_event *e, uint64_t lo, uint64_t hi, char *buf,
                       size_t len)
{
    char a[32], b[32];
    fmt_time(lo, a, sizeof a);
    fmt_time(hi, b, sizeof b);
    if (e->tk == ST_ANY) snprintf(buf, len, "at any time");
    else snprintf(buf, len, "between %s and %s (tolerance %" PRId64 " us)", a, b, r->tol);
}

/* ---- inbound ---------------------------------------------------------------------- */

/* An ICMP error from a router on the path, quoting the IPv4 header and the
 * first 8 bytes of a TCP segment synack sent (its ports, and the quoted
 * sequence number on synack's side of the script's numbering). */
static void inject_icmp(struct runner *r, struct sc_event *e)
{
    const struct sc_packet *k = &e->pkt;
    uint8_t pkt[20 + 8 + 20 + 8] = {0};
    struct ipv4_repr ip = {.src = SC_REMOTE_IP, .dst = SC_LOCAL_IP, .protocol = IPV4_PROTO_ICMP,
                           .ttl = 64, .header_len = 20, .payload_len = 8 + 20 + 8};
    ipv4_emit(&ip, pkt, 20);
    uint8_t *icmp = pkt + 20;
    icmp[0] = k->icmp_type;
    icmp[1] = k->icmp_code;
    if (k->icmp_type == ICMP_DEST_UNREACH && k->icmp_code == ICMP_UNREACH_FRAG_NEEDED)
        wire_put16(icmp + 6, k->icmp_mtu);
    struct ipv4_repr quoted = {.src = SC_LOCAL_IP, .dst = SC_REMOTE_IP, .protocol = IPV4_PROTO_TCP,
                               .ttl = 64, .flags = IPV4_FLAG_DF, .header_len = 20,
                               .payload_len = (uint16_t)(20 + k->icmp_len)};
    ipv4_emit(&quoted, icmp + 8, 20);
    uint8_t *t = icmp + 28;
    wire_put16(t, r->lport);
    wire_put16(t + 2, r->rport);
    wire_put32(t + 4, to_live(r, k->icmp_seq));
    wire_put16(icmp + 2, wire_csum_finish(wire_csum_add(0, icmp, 8 + 20 + 8)));
    synack_stack_input(r->st, pkt, sizeof pkt, r->now);
}

static void inject(struct runner *r, struct sc_event *e)
{
    const struct sc_packet *k = &e->pkt;
    if (k->icmp) {
        inject_icmp(r, e);
        return;
    }
    if (k->len > SC_MAX_PAYLOAD) {
        fail(r, e->line, "payload of %" PRIu32 " bytes does not fit one IPv4 packet", k->len);
        return;
    }
    uint8_t opts[40];
    int optlen = build_options(r, k, opts);
    if (optlen < 0) {
        fail(r, e->line, "TCP options longer than 40 bytes");
        return;
    }
    size_t tcplen = 20 + (size_t)optlen + k->len;
    uint8_t *pkt = calloc(1, 20 + tcplen);
    if (!pkt) {
        fail(r, e->line, "out of memory");
        return;
    }
    struct ipv4_repr ip = {.src = SC_REMOTE_IP, .dst = SC_LOCAL_IP, .protocol = IPV4_PROTO_TCP,
                           .ttl = 64, .flags = IPV4_FLAG_DF, .header_len = 20,
                           .tos = k->ecn_check == SC_ECN_EXACT ? k->ecn : IP_ECN_NOT_ECT,
                           .payload_len = (uint16_t)tcplen};
    ipv4_emit(&ip, pkt, 20);
    uint8_t *t = pkt + 20;
    wire_put16(t, r->rport);
    wire_put16(t + 2, r->lport);
    if ((k->flags & TCP_SYN) && !r->remote_isn_known) {
        r->remote_isn_known = true;
        r->remote_isn = k->seq;
    }
    wire_put32(t + 4, k->seq + remote_offset(r, k->flags & TCP_SYN));
    wire_put32(t + 8, k->has_ack ? to_live(r, k->ack) : 0);
    t[12] = (uint8_t)(((20 + optlen) / 4) << 4);
    t[13] = k->flags;
    wire_put16(t + 14, k->has_win ? k->win : 65535);
    wire_put16(t + 18, k->has_urg ? k->urg : 0);
    memcpy(t + 20, opts, (size_t)optlen);
    uint32_t sum = wire_csum_pseudo(SC_REMOTE_IP, SC_LOCAL_IP, IPV4_PROTO_TCP, (uint16_t)tcplen);
    sum = wire_csum_add(sum, t, tcplen);
    wire_put16(t + 16, wire_csum_finish(sum));
    if (k->nfrags == 0) {
        synack_stack_input(r->st, pkt, 20 + tcplen, r->now);
        free(pkt);
        return;
    }
    /* ipfrag: each range of the IP payload as a fragment of its own (MF
     * unless it reaches the end, DF clear), one identification for all */
    uint8_t *f = malloc(20 + tcplen);
    if (!f) {
        free(pkt);
        fail(r, e->line, "out of memory");
        return;
    }
    for (int i = 0; i < k->nfrags; i++) {
        size_t a = k->frags[i].start, b = k->frags[i].end < tcplen ? k->frags[i].end : tcplen;
        if (a >= b) {
            fail(r, e->line, "ipfrag %zu:%u: past the segment's %zu bytes", a, k->frags[i].end, tcplen);
            break;
        }
        struct ipv4_repr fip = ip;
        fip.flags = b < tcplen ? IPV4_FLAG_MF : 0;
        fip.frag_offset = (uint16_t)(a / 8);
        fip.ident = k->has_frag_id ? k->frag_id : (uint16_t)e->line;
        fip.payload_len = (uint16_t)(b - a);
        ipv4_emit(&fip, f, 20);
        memcpy(f + 20, t + a, b - a);
        synack_stack_input(r->st, f, 20 + (b - a), r->now);
    }
    free(f);
    free(pkt);
}

/* ---- outbound --------------------------------------------------------------------- */

/* Linux's scripts are written for a TUN device with GSO/TSO: one expected
 * packet with more payload than the MSS stands for the run of MSS-sized
 * segments sent back to back. When the first segment of such a run starts
 * where the expected packet starts, the segments that follow it at the same
 * instant, in sequence, are taken into *t (length summed, flags united: PSH
 * and FIN ride on the last one, as after GSO). Returns how many were added. */
static int merge_gso_run(struct runner *r, const struct sc_packet *k, struct tcp_repr *t, uint64_t at)
{
    int merged = 0;
    if (!t->payload_len || t->payload_len >= k->len || (t->flags & (TCP_SYN | TCP_RST | TCP_FIN))) return 0;
    while (t->payload_len < k->len && !queue_empty(r)) {
        struct out_pkt *n = &r->q[r->qhead];
        struct ipv4_repr ip;
        struct tcp_repr nt;
        if (n->t != at || ipv4_parse(&ip, n->bytes, n->len) || ip.protocol != IPV4_PROTO_TCP ||
            tcp_parse(&nt, n->bytes + ip.header_len, ip.payload_len, ip.src, ip.dst))
            break;
        if (nt.seq != t->seq + (uint32_t)t->payload_len || !nt.payload_len || nt.ack != t->ack ||
            (nt.flags & ~(TCP_PSH | TCP_FIN)) != (t->flags & ~TCP_PSH) || t->payload_len + nt.payload_len > k->len)
            break;
        t->payload_len += nt.payload_len;
        t->flags |= nt.flags;
        free(n->bytes);
        r->qhead++;
        merged++;
    }
    return merged;
}

static void expect_outbound(struct runner *r, struct sc_event *e)
{
    const struct sc_packet *k = &e->pkt;
    uint64_t tol = (uint64_t)r->tol, lo, hi;
    uint64_t base = (e->tk == ST_REL || e->tk == ST_REL_RANGE) ? r->last : SC_T0;
    switch (e->tk) {
    case ST_ANY:
        lo = r->now;
        hi = r->now + SC_ANY_WAIT;
        break;
    case ST_ABS_RANGE:
    case ST_REL_RANGE:
        lo = base + (uint64_t)e->t;
        hi = base + (uint64_t)e->t_end + tol;
        lo = lo > tol ? lo - tol : 0;
        break;
    default:
        lo = base + (uint64_t)e->t;
        hi = lo + tol;
        lo = lo > tol ? lo - tol : 0;
        break;
    }
    char want[200], when[120], tbuf[32];
    quote_line(r, e->line, want, sizeof want);
    fmt_window(r, e, lo, hi, when, sizeof when);
    run_until(r, hi, true);
    if (r->done) return;
    if (queue_empty(r)) {
        fmt_time(r->now, tbuf, sizeof tbuf);
        fail(r, e->line, "expected an outbound segment %s; synack sent none (checked until %s)", when, tbuf);
        return;
    }
    struct out_pkt p = r->q[r->qhead++];
    char got[400] = "", at[32];
    fmt_time(p.t, at, sizeof at);
    struct ipv4_repr ip;
    struct tcp_repr t;
    int err = ipv4_parse(&ip, p.bytes, p.len);
    if (err == 0 && ip.protocol != IPV4_PROTO_TCP) err = WIRE_E_INVALID;
    if (err == 0) err = tcp_parse(&t, p.bytes + ip.header_len, ip.payload_len, ip.src, ip.dst);
    if (err) {
        fail(r, e->line, "synack sent a packet that does not parse as IPv4/TCP (%s) at %s",
             wire_strerror(err), at);
        free(p.bytes);
        return;
    }
    const uint8_t *opts = p.bytes + ip.header_len + 20;
    size_t optlen = (size_t)t.header_len - 20;

    /* Learn synack's port (active open) and ISN from its SYN. */
    if ((t.flags & TCP_SYN) && !(t.flags & TCP_ACK)) {
        r->lport = t.src_port;
        r->rport = t.dst_port;
    }
    if ((k->flags & TCP_SYN) && (t.flags & TCP_SYN)) {
        r->isn_known = true;
        r->live_isn = t.seq;
        r->script_isn = k->seq;
    }
    static const char *const ecn_names[] = {"", "[ect1] ", "[ect0] ", "[ce] "};
    size_t el = (size_t)snprintf(got, sizeof got, "%s", ecn_names[ip.tos & IP_ECN_MASK]);
    fmt_actual(r, &t, opts, optlen, got + el, sizeof got - el);
    int merged = merge_gso_run(r, k, &t, p.t);
    /* PSH in a merged run is not compared: Linux places it by its own skb
     * boundaries (the end of a write, forced pushes), which synack has not. */
    if (merged) t.flags = (uint8_t)((t.flags & ~TCP_PSH) | (k->flags & TCP_PSH));
    if (merged) {
        size_t gl = strlen(got);
        snprintf(got + gl, sizeof got - gl, " and %d more segment%s back to back (%u bytes in all)", merged,
                 merged == 1 ? "" : "s", (unsigned)t.payload_len);
    }

    char diff[300] = "";
    struct strbuf d = {diff, sizeof diff, 0};
    if (ip.src != SC_LOCAL_IP || ip.dst != SC_REMOTE_IP) sb_add(&d, " addresses");
    if (t.src_port != r->lport || t.dst_port != r->rport)
        sb_add(&d, " ports (%u > %u, expected %u > %u)", t.src_port, t.dst_port, r->lport, r->rport);
    if (t.flags != k->flags) sb_add(&d, " flags");
    uint8_t ecn = ip.tos & IP_ECN_MASK;
    if ((k->ecn_check == SC_ECN_EXACT && ecn != k->ecn) ||
        (k->ecn_check == SC_ECN_ECT01 && ecn != IP_ECN_ECT0 && ecn != IP_ECN_ECT1))
        sb_add(&d, " IP ECN field");
    bool rst0 = (k->flags & TCP_RST) && k->seq == 0 && t.seq == 0;
    if (t.seq != to_live(r, k->seq) && !rst0) sb_add(&d, " seq");
    if (t.payload_len != k->len) sb_add(&d, " length");
    if (k->has_ack && t.ack != k->ack + remote_offset(r, t.flags & TCP_SYN)) sb_add(&d, " ack");
    if (k->has_win && t.window != k->win) sb_add(&d, " window");
    if (k->has_urg && t.urgent != k->urg) sb_add(&d, " urgent pointer");
    if (!k->any_opts) {
        uint8_t want_opts[40];
        int n = build_options(r, k, want_opts);
        /* Like packetdrill, synack's TSval is not compared (its clock is its
         * own); the first one maps the script's TSvals onto synack's clock. */
        for (int i = 0; n > 0 && i + 10 <= n && (size_t)i + 10 <= optlen;) {
            if (want_opts[i] == TCP_OPT_TIMESTAMP && opts[i] == TCP_OPT_TIMESTAMP && opts[i + 1] == 10) {
                uint32_t script_val = wire_get32(want_opts + i + 2), live_val = wire_get32(opts + i + 2);
                if (!r->ts_known) {
                    r->ts_known = true;
                    r->ts_off = live_val - script_val;
                }
                memcpy(want_opts + i + 2, opts + i + 2, 4);
            }
            i += want_opts[i] <= TCP_OPT_NOP ? 1 : (want_opts[i + 1] ? want_opts[i + 1] : 1);
        }
        if (n < 0 || (size_t)n != optlen || memcmp(want_opts, opts, optlen) != 0) sb_add(&d, " options");
    } else if (!r->ts_known) {
        for (size_t i = 0; i + 10 <= optlen;) {
            if (opts[i] == TCP_OPT_TIMESTAMP && opts[i + 1] == 10) {
                r->ts_known = true; /* <...>: the script's clock is synack's */
                r->ts_off = 0;
                break;
            }
            i += opts[i] <= TCP_OPT_NOP ? 1 : (opts[i + 1] ? opts[i + 1] : 1);
        }
    }
    if (d.n) {
        fail(r, e->line, "outbound segment differs in%s\n  expected: %s, %s\n  synack sent: %s at %s", diff,
             want, when, got, at);
    } else if (p.t < lo || p.t > hi) {
        fail(r, e->line, "outbound segment sent at the wrong time\n  expected %s\n  synack sent: %s at %s", when,
             got, at);
    } else {
        r->last = p.t;
        if (r->o->verbose) fprintf(r->out, "  %s %s:%d > %s\n", at, r->s->path, e->line, got);
    }
    free(p.bytes);
}

/* Segments synack sent that no line expected, noticed before line `line`. */
static void check_unexpected(struct runner *r, int line, uint64_t event_time)
{
    if (queue_empty(r)) return;
    struct out_pkt *p = &r->q[r->qhead];
    if (event_time != SYNACK_NEVER && p->t + (uint64_t)r->tol >= event_time) return;
    struct ipv4_repr ip;
    struct tcp_repr t;
    char got[400] = "unparsable packet", at[32];
    if (ipv4_parse(&ip, p->bytes, p->len) == 0 && ip.protocol == IPV4_PROTO_TCP &&
        tcp_parse(&t, p->bytes + ip.header_len, ip.payload_len, ip.src, ip.dst) == 0)
        fmt_actual(r, &t, p->bytes + ip.header_len + 20, (size_t)t.header_len - 20, got, sizeof got);
    fmt_time(p->t, at, sizeof at);
    if (event_time == SYNACK_NEVER)
        fail(r, line, "synack sent a segment no line expects (after the last line)\n  synack sent: %s at %s", got, at);
    else
        fail(r, line, "synack sent a segment the script does not expect before this line\n  synack sent: %s at %s",
             got, at);
}

/* ---- symbols and arguments --------------------------------------------------------- */

struct sym {
    const char *name;
    int64_t v;
};

/* Linux's values, as packetdrill scripts mean them. Errno names are this
 * host's values, which synack returns. */
static const struct sym syms[] = {
    {"AF_INET", 2}, {"PF_INET", 2}, {"SOCK_STREAM", 1}, {"SOCK_NONBLOCK", 04000},
    {"IPPROTO_TCP", 6}, {"IPPROTO_IP", 0}, {"SOL_SOCKET", 1}, {"SOL_TCP", 6}, {"SOL_IP", 0},
    {"SO_REUSEADDR", 2}, {"SO_ERROR", 4}, {"SO_SNDBUF", 7}, {"SO_RCVBUF", 8}, {"SO_LINGER", 13},
    {"IP_TTL", 2}, {"TCP_NODELAY", 1}, {"TCP_MAXSEG", 2}, {"TCP_NOTSENT_LOWAT", 25},
    {"O_RDONLY", 0}, {"O_WRONLY", 1}, {"O_RDWR", 2}, {"O_NONBLOCK", 04000},
    {"F_GETFL", 3}, {"F_SETFL", 4},
    {"POLLIN", SYNACK_POLLIN}, {"POLLOUT", SYNACK_POLLOUT}, {"POLLERR", SYNACK_POLLERR},
    {"POLLHUP", SYNACK_POLLHUP}, {"POLLNVAL", SYNACK_POLLNVAL},
    {"EPOLLIN", SYNACK_EPOLLIN}, {"EPOLLOUT", SYNACK_EPOLLOUT}, {"EPOLLERR", SYNACK_EPOLLERR},
    {"EPOLLHUP", SYNACK_EPOLLHUP}, {"EPOLLRDHUP", SYNACK_EPOLLRDHUP}, {"EPOLLET", SYNACK_EPOLLET},
    {"EPOLLONESHOT", SYNACK_EPOLLONESHOT}, {"EPOLL_CTL_ADD", SYNACK_EPOLL_CTL_ADD},
    {"EPOLL_CTL_DEL", SYNACK_EPOLL_CTL_DEL}, {"EPOLL_CTL_MOD", SYNACK_EPOLL_CTL_MOD},
    {"SHUT_RD", SYNACK_SHUT_RD}, {"SHUT_WR", SYNACK_SHUT_WR}, {"SHUT_RDWR", SYNACK_SHUT_RDWR},
    {"MSG_DONTWAIT", 0x40}, {"INADDR_ANY", 0},
    {"EAGAIN", EAGAIN}, {"EWOULDBLOCK", EWOULDBLOCK}, {"EINPROGRESS", EINPROGRESS},
    {"EALREADY", EALREADY}, {"ECONNREFUSED", ECONNREFUSED}, {"ECONNRESET", ECONNRESET},
    {"ETIMEDOUT", ETIMEDOUT}, {"EPIPE", EPIPE}, {"ENOTCONN", ENOTCONN}, {"EISCONN", EISCONN},
    {"EADDRINUSE", EADDRINUSE}, {"EADDRNOTAVAIL", EADDRNOTAVAIL}, {"EBADF", EBADF},
    {"EINVAL", EINVAL}, {"ENOMEM", ENOMEM}, {"ENOBUFS", ENOBUFS}, {"EMFILE", EMFILE},
    {"ENOPROTOOPT", ENOPROTOOPT}, {"EFAULT", EFAULT}, {"EOPNOTSUPP", EOPNOTSUPP},
    {"ENOTSOCK", ENOTSOCK}, {"EHOSTUNREACH", EHOSTUNREACH}, {"ENETUNREACH", ENETUNREACH},
    {"EEXIST", EEXIST}, {"ENOENT", ENOENT}, {"EPERM", EPERM},
};

static const char *errno_name(int e)
{
    if (e == EAGAIN) return "EAGAIN";
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++)
        if (syms[i].name[0] == 'E' && strncmp(syms[i].name, "EPOLL", 5) && syms[i].v == e) return syms[i].name;
    return "E?";
}

static bool sym_lookup(const char *name, int64_t *v)
{
    for (size_t i = 0; i < sizeof syms / sizeof *syms; i++) {
        if (!strcmp(syms[i].name, name)) {
            *v = syms[i].v;
            return true;
        }
    }
    return false;
}

/* Evaluates an integer argument. Returns 0, or -1 after marking the script
 * SKIP (unknown symbol) or FAIL (not an integer). */
static int eval_int(struct runner *r, int line, const struct sx *x, int64_t *v)
{
    int64_t a, b;
    switch (x->kind) {
    case SX_INT: *v = x->num; return 0;
    case SX_WORD:
        if (sym_lookup(x->str, v)) return 0;
        skip_run(r, line, "uses %s, which synack does not have", x->str);
        return -1;
    case SX_OR:
        if (eval_int(r, line, x->lhs, &a) || eval_int(r, line, x->rhs, &b)) return -1;
        *v = a | b;
        return 0;
    case SX_LIST:
        if (x->n == 1) return eval_int(r, line, x->items[0], v);
        break;
    case SX_CALL:
        if ((!strcmp(x->str, "htons") || !strcmp(x->str, "htonl")) && x->n == 1)
            return eval_int(r, line, x->items[0], v);
        if (!strcmp(x->str, "inet_addr") && x->n == 1 && x->items[0]->kind == SX_STRING) {
            uint32_t addr;
            if (synack_parse_ipv4(x->items[0]->str, &addr) == 0) {
                *v = addr;
                return 0;
            }
        }
        break;
    default: break;
    }
    fail(r, line, "argument is not an integer expression");
    return -1;
}

static const struct sx *field(const struct sx *brace, const char *name)
{
    if (!brace || brace->kind != SX_BRACE) return NULL;
    for (int i = 0; i < brace->n; i++)
        if (brace->items[i]->kind == SX_ASSIGN && !strcmp(brace->items[i]->str, name))
            return brace->items[i]->rhs;
    return NULL;
}

/* A sockaddr argument: ... gives the default; {sa_family=AF_INET,
 * sin_port=htons(P), sin_addr=inet_addr("A")} gives P and A. */
static int eval_sockaddr(struct runner *r, int line, const struct sx *x, struct synack_endpoint *ep)
{
    if (!x || x->kind == SX_ELLIPSIS) return 0;
    const struct sx *port = field(x, "sin_port"), *addr = field(x, "sin_addr"), *fam = field(x, "sa_family");
    if (fam && fam->kind == SX_WORD && strcmp(fam->str, "AF_INET")) {
        skip_run(r, line, "address family %s: synack is IPv4 only", fam->str);
        return -1;
    }
    int64_t v;
    if (port) {
        if (eval_int(r, line, port, &v)) return -1;
        ep->port = (uint16_t)v;
    }
    if (addr) {
        if (eval_int(r, line, addr, &v)) return -1;
        ep->addr = (uint32_t)v;
    }
    if (!port && !addr) {
        fail(r, line, "unsupported sockaddr syntax (use ... or {sa_family=AF_INET, sin_port=htons(P), sin_addr=inet_addr(\"A\")})");
        return -1;
    }
    return 0;
}

static struct fdmap *fd_of(struct runner *r, int line, const struct sx *x, int *sd)
{
    int64_t v;
    *sd = -1;
    if (!x) {
        fail(r, line, "missing file descriptor argument");
        return NULL;
    }
    if (eval_int(r, line, x, &v)) return NULL;
    if (v >= 0 && v < SC_MAX_FDS && r->fds[v].used) {
        *sd = r->fds[v].sd;
        return &r->fds[v];
    }
    return NULL; /* unknown descriptor: synack answers EBADF */
}

static bool map_fd(struct runner *r, int line, int64_t script_fd, int sd)
{
    if (script_fd < 0 || script_fd >= SC_MAX_FDS) {
        fail(r, line, "script descriptor %" PRId64 " out of range 0..%d", script_fd, SC_MAX_FDS - 1);
        return false;
    }
    /* A script that reuses a number it did not close: the old epoll
     * instance is gone from the script's view, so free it now. */
    if (r->fds[script_fd].used && r->fds[script_fd].ep) synack_epoll_destroy(r->fds[script_fd].ep);
    r->fds[script_fd] = (struct fdmap){true, sd, false, NULL};
    return true;
}

/* ---- system calls ------------------------------------------------------------------- */

enum call_status { CALL_DONE, CALL_BLOCK, CALL_STOP };

struct call_out {
    int64_t ret;    /* as the script sees it: -1 on error */
    int err;        /* errno when ret == -1 */
    char detail[200];
};

static void set_rc(struct call_out *c, int64_t rc)
{
    if (rc < 0) {
        c->ret = -1;
        c->err = (int)-rc;
    } else {
        c->ret = rc;
        c->err = 0;
    }
}

static const struct sx *arg(const struct sc_syscall *c, int i) { return i < c->nargs ? c->args[i] : NULL; }

static bool is_blocking(const struct fdmap *m) { return !m || !m->nonblock; }

static int64_t count_arg(struct runner *r, int line, const struct sx *x)
{
    int64_t v = 0;
    if (!x) {
        fail(r, line, "missing length argument");
        return -1;
    }
    if (eval_int(r, line, x, &v)) return -1;
    if (v < 0 || v > (1 << 24)) {
        fail(r, line, "length %" PRId64 " out of range", v);
        return -1;
    }
    return v;
}

static uint8_t *iobuf(struct runner *r) 
{
    if (!r->iobuf) r->iobuf = calloc(1, (1 << 24) + 1);
    return r->iobuf;
}

static int call_socket(struct runner *r, struct sc_event *e, struct call_out *c)
{
    const struct sc_syscall *s = &e->sys;
    int64_t v;
    const struct sx *dom = arg(s, 0), *type = arg(s, 1);
    if (dom && dom->kind == SX_WORD && strcmp(dom->str, "AF_INET") && strcmp(dom->str, "PF_INET")) {
        skip_run(r, e->line, "socket domain %s: synack is IPv4 only", dom->str);
        return CALL_STOP;
    }
    bool nonblock = false;
    if (type && type->kind != SX_ELLIPSIS) {
        if (eval_int(r, e->line, type, &v)) return CALL_STOP;
        if ((v & 0xf) != 1) {
            skip_run(r, e->line, "socket type other than SOCK_STREAM: synack is TCP only");
            return CALL_STOP;
        }
        nonblock = (v & 04000) != 0;
    }
    int sd = synack_socket(r->st);
    set_rc(c, sd);
    if (sd >= 0) {
        if (s->result_any || s->result < 0) {
            c->ret = sd;
            return CALL_DONE;
        }
        if (!map_fd(r, e->line, s->result, sd)) return CALL_STOP;
        r->fds[s->result].nonblock = nonblock;
        c->ret = s->result;
    }
    return CALL_DONE;
}

static int call_bind(struct runner *r, struct sc_event *e, struct call_out *c)
{
    int sd;
    fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done) return CALL_STOP;
    struct synack_endpoint ep = {0, SC_PORT};
    if (eval_sockaddr(r, e->line, arg(&e->sys, 1), &ep)) return CALL_STOP;
    set_rc(c, synack_bind(r->st, sd, &ep));
    if (c->ret == 0) {
        r->lport = ep.port;
        r->rport = SC_REMOTE_PORT;
    }
    return CALL_DONE;
}

static int call_listen(struct runner *r, struct sc_event *e, struct call_out *c)
{
    int sd;
    int64_t backlog = 1;
    fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done || (arg(&e->sys, 1) && eval_int(r, e->line, arg(&e->sys, 1), &backlog))) return CALL_STOP;
    set_rc(c, synack_listen(r->st, sd, (int)backlog));
    if (c->ret == 0) {
        struct synack_endpoint ep;
        if (synack_getsockname(r->st, sd, &ep) == 0) r->lport = ep.port;
        r->rport = SC_REMOTE_PORT;
    }
    return CALL_DONE;
}

static int call_accept(struct runner *r, struct sc_event *e, struct call_out *c)
{
    int sd;
    struct fdmap *m = fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done) return CALL_STOP;
    int rc = synack_accept(r->st, sd, NULL);
    if (rc == -EAGAIN && is_blocking(m)) return CALL_BLOCK;
    set_rc(c, rc);
    if (rc >= 0) {
        if (e->sys.result_any || e->sys.result < 0) return CALL_DONE;
        if (!map_fd(r, e->line, e->sys.result, rc)) return CALL_STOP;
        c->ret = e->sys.result;
    }
    return CALL_DONE;
}

/* A blocking connect, or poll: how the connection attempt ended, if it did. */
static int connect_outcome(struct runner *r, int sd, struct call_out *c)
{
    enum synack_tcp_state st;
    if (synack_getstate(r->st, sd, &st) != 0) {
        set_rc(c, -EBADF);
        return CALL_DONE;
    }
    if (st == SYNACK_SYN_SENT || st == SYNACK_SYN_RCVD) return CALL_BLOCK;
    int err = 0;
    size_t len = sizeof err;
    synack_getsockopt(r->st, sd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &err, &len);
    if (err) set_rc(c, -err);
    else if (st == SYNACK_CLOSED) set_rc(c, -ECONNREFUSED);
    else set_rc(c, 0);
    return CALL_DONE;
}

static int call_connect(struct runner *r, struct sc_event *e, struct call_out *c, bool first)
{
    int sd;
    struct fdmap *m = fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done) return CALL_STOP;
    if (!first) return connect_outcome(r, sd, c);
    struct synack_endpoint ep = {SC_REMOTE_IP, SC_PORT};
    if (eval_sockaddr(r, e->line, arg(&e->sys, 1), &ep)) return CALL_STOP;
    int rc = synack_connect(r->st, sd, &ep);
    if (rc == -EINPROGRESS) {
        struct synack_endpoint me;
        if (synack_getsockname(r->st, sd, &me) == 0) r->lport = me.port;
        r->rport = ep.port;
        if (is_blocking(m)) return CALL_BLOCK;
    }
    set_rc(c, rc);
    return CALL_DONE;
}

/* The arguments read/recv/recvfrom and write/send/sendto share: the fd, the
 * count, MSG_DONTWAIT in the flags (when the call is not the plain one),
 * and the I/O buffer. Returns false when the call cannot go on. */
struct io_args {
    int sd;
    int64_t n;
    bool block;
    uint8_t *buf;
};

static bool io_prologue(struct runner *r, struct sc_event *e, const char *plain, const char *flags_skip,
                        struct io_args *io)
{
    const struct sc_syscall *s = &e->sys;
    struct fdmap *m = fd_of(r, e->line, arg(s, 0), &io->sd);
    if (r->done) return false;
    io->n = count_arg(r, e->line, arg(s, 2));
    if (io->n < 0) return false;
    io->block = is_blocking(m);
    if (strcmp(s->name, plain) && arg(s, 3)) {
        int64_t flags;
        if (eval_int(r, e->line, arg(s, 3), &flags)) return false;
        if (flags & ~(int64_t)0x40) {
            skip_run(r, e->line, flags_skip);
            return false;
        }
        if (flags & 0x40) io->block = false;
    }
    io->buf = iobuf(r);
    if (!io->buf) {
        fail(r, e->line, "out of memory");
        return false;
    }
    return true;
}

static int call_read(struct runner *r, struct sc_event *e, struct call_out *c)
{
    struct io_args io;
    if (!io_prologue(r, e, "read", "recv flags other than MSG_DONTWAIT: synack has no MSG_PEEK/MSG_OOB/...", &io))
        return CALL_STOP;
    int sd = io.sd;
    int64_t n = io.n;
    bool block = io.block;
    uint8_t *buf = io.buf;
    ssize_t rc = synack_recv(r->st, sd, buf, (size_t)n);
    if (rc == -EAGAIN && block) return CALL_BLOCK;
    set_rc(c, rc);
    return CALL_DONE;
}

static int call_write(struct runner *r, struct sc_event *e, struct call_out *c)
{
    const struct sc_syscall *s = &e->sys;
    struct io_args io;
    if (!io_prologue(r, e, "write", "send flags other than MSG_DONTWAIT: synack has no MSG_MORE/MSG_OOB/...", &io))
        return CALL_STOP;
    int sd = io.sd;
    int64_t n = io.n;
    bool block = io.block;
    uint8_t *buf = io.buf;
    const struct sx *data = arg(s, 1);
    memset(buf, 'x', (size_t)n);
    if (data && data->kind == SX_STRING) {
        size_t l = strlen(data->str);
        memcpy(buf, data->str, l < (size_t)n ? l : (size_t)n);
    }
    int64_t done = r->pend.active && r->pend.e == e ? r->pend.done : 0;
    ssize_t rc = done < n ? synack_send(r->st, sd, buf + done, (size_t)(n - done)) : 0;
    if (rc > 0) done += rc;
    if (block && (rc == -EAGAIN || (rc >= 0 && done < n))) {
        r->pend.done = done;
        return CALL_BLOCK;
    }
    set_rc(c, done > 0 ? done : rc);
    return CALL_DONE;
}

static int call_shutdown(struct runner *r, struct sc_event *e, struct call_out *c)
{
    int sd;
    int64_t how = 0;
    fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done || !arg(&e->sys, 1) || eval_int(r, e->line, arg(&e->sys, 1), &how)) {
        if (!r->done) fail(r, e->line, "shutdown needs (fd, how)");
        return CALL_STOP;
    }
    set_rc(c, synack_shutdown(r->st, sd, (int)how));
    return CALL_DONE;
}

static int call_close(struct runner *r, struct sc_event *e, struct call_out *c)
{
    int sd;
    struct fdmap *m = fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done) return CALL_STOP;
    if (m && m->ep) {
        synack_epoll_destroy(m->ep);
        m->ep = NULL;
        set_rc(c, 0);
    } else {
        set_rc(c, synack_close(r->st, sd));
    }
    if (m && c->ret == 0) m->used = false;
    return CALL_DONE;
}

/* (level, name) words to synack's option numbers; false when synack lacks it. */
static bool sockopt_of(const struct sx *level, const struct sx *name, int *lv, int *nm)
{
    if (!level || !name || level->kind != SX_WORD || name->kind != SX_WORD) return false;
    const char *l = level->str, *n = name->str;
    if (!strcmp(l, "SOL_SOCKET")) {
        *lv = SYNACK_SOL_SOCKET;
        if (!strcmp(n, "SO_REUSEADDR")) *nm = SYNACK_SO_REUSEADDR;
        else if (!strcmp(n, "SO_RCVBUF")) *nm = SYNACK_SO_RCVBUF;
        else if (!strcmp(n, "SO_SNDBUF")) *nm = SYNACK_SO_SNDBUF;
        else if (!strcmp(n, "SO_ERROR")) *nm = SYNACK_SO_ERROR;
        else if (!strcmp(n, "SO_LINGER")) *nm = SYNACK_SO_LINGER;
#ifdef SYNACK_SO_KEEPALIVE
        else if (!strcmp(n, "SO_KEEPALIVE")) *nm = SYNACK_SO_KEEPALIVE;
#endif
        else return false;
        return true;
    }
    if (!strcmp(l, "SOL_TCP") || !strcmp(l, "IPPROTO_TCP")) {
        *lv = SYNACK_SOL_TCP;
        if (!strcmp(n, "TCP_NODELAY")) *nm = SYNACK_TCP_NODELAY;
        else if (!strcmp(n, "TCP_MAXSEG")) *nm = SYNACK_TCP_MAXSEG;
        else if (!strcmp(n, "TCP_CONGESTION")) *nm = SYNACK_TCP_CONGESTION;
        else if (!strcmp(n, "TCP_NOTSENT_LOWAT")) *nm = SYNACK_TCP_NOTSENT_LOWAT;
        /* Options the socket layer may grow; used when synack.h has them. */
#ifdef SYNACK_TCP_QUICKACK
        else if (!strcmp(n, "TCP_QUICKACK")) *nm = SYNACK_TCP_QUICKACK;
#endif
#ifdef SYNACK_TCP_KEEPIDLE
        else if (!strcmp(n, "TCP_KEEPIDLE")) *nm = SYNACK_TCP_KEEPIDLE;
#endif
#ifdef SYNACK_TCP_KEEPINTVL
        else if (!strcmp(n, "TCP_KEEPINTVL")) *nm = SYNACK_TCP_KEEPINTVL;
#endif
#ifdef SYNACK_TCP_KEEPCNT
        else if (!strcmp(n, "TCP_KEEPCNT")) *nm = SYNACK_TCP_KEEPCNT;
#endif
        else return false;
        return true;
    }
    if (!strcmp(l, "SOL_IP") || !strcmp(l, "IPPROTO_IP")) {
        *lv = SYNACK_SOL_IP;
        if (!strcmp(n, "IP_TTL")) *nm = SYNACK_IP_TTL;
        else return false;
        return true;
    }
    return false;
}

static int call_sockopt(struct runner *r, struct sc_event *e, struct call_out *c, bool set)
{
    const struct sc_syscall *s = &e->sys;
    int sd, lv, nm;
    fd_of(r, e->line, arg(s, 0), &sd);
    if (r->done) return CALL_STOP;
    if (!sockopt_of(arg(s, 1), arg(s, 2), &lv, &nm)) {
        const struct sx *n = arg(s, 2);
        skip_run(r, e->line, "%s %s: synack has no such socket option", set ? "setsockopt" : "getsockopt",
                 n && n->kind == SX_WORD ? n->str : "(unknown)");
        return CALL_STOP;
    }
    const struct sx *val = arg(s, 3);
    if (lv == SYNACK_SOL_SOCKET && nm == SYNACK_SO_LINGER) {
        struct synack_linger lg = {0, 0};
        if (set) {
            const struct sx *on = field(val, "onoff"), *sec = field(val, "linger");
            int64_t a = 0, b = 0;
            if (!on || !sec) {
                fail(r, e->line, "SO_LINGER needs {onoff=N, linger=N}");
                return CALL_STOP;
            }
            if (eval_int(r, e->line, on, &a) || eval_int(r, e->line, sec, &b)) return CALL_STOP;
            lg.onoff = (int)a;
            lg.linger_s = (int)b;
            set_rc(c, synack_setsockopt(r->st, sd, lv, nm, &lg, sizeof lg));
            return CALL_DONE;
        }
        size_t len = sizeof lg;
        set_rc(c, synack_getsockopt(r->st, sd, lv, nm, &lg, &len));
        const struct sx *on = field(val, "onoff"), *sec = field(val, "linger");
        int64_t a, b;
        if (c->ret == 0 && on && sec && !eval_int(r, e->line, on, &a) && !eval_int(r, e->line, sec, &b) &&
            (a != lg.onoff || b != lg.linger_s))
            snprintf(c->detail, sizeof c->detail, "value {onoff=%d, linger=%d}, expected {onoff=%" PRId64
                     ", linger=%" PRId64 "}", lg.onoff, lg.linger_s, a, b);
        return r->done ? CALL_STOP : CALL_DONE;
    }
    if (lv == SYNACK_SOL_TCP && nm == SYNACK_TCP_CONGESTION) {
        /* A string, as on Linux: setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, "reno", 4). */
        char name[16] = "";
        size_t len = sizeof name;
        if (set) {
            if (!val || val->kind != SX_STRING) {
                fail(r, e->line, "TCP_CONGESTION needs a string value");
                return CALL_STOP;
            }
            set_rc(c, synack_setsockopt(r->st, sd, lv, nm, val->str, strlen(val->str)));
            return CALL_DONE;
        }
        set_rc(c, synack_getsockopt(r->st, sd, lv, nm, name, &len));
        if (c->ret == 0 && val && val->kind == SX_STRING && strcmp(val->str, name))
            snprintf(c->detail, sizeof c->detail, "value \"%s\", expected \"%s\"", name, val->str);
        return r->done ? CALL_STOP : CALL_DONE;
    }
    if (set) {
        int64_t v;
        if (!val || eval_int(r, e->line, val, &v)) {
            if (!r->done) fail(r, e->line, "setsockopt needs an integer value");
            return CALL_STOP;
        }
        int iv = (int)v;
        set_rc(c, synack_setsockopt(r->st, sd, lv, nm, &iv, sizeof iv));
        return CALL_DONE;
    }
    int iv = 0;
    size_t len = sizeof iv;
    set_rc(c, synack_getsockopt(r->st, sd, lv, nm, &iv, &len));
    if (c->ret == 0 && val && val->kind != SX_ELLIPSIS) {
        int64_t want;
        if (eval_int(r, e->line, val, &want)) return CALL_STOP;
        /* TCP_NOTSENT_LOWAT is an unsigned 32-bit value ([0xffffffff]). */
        bool u32 = lv == SYNACK_SOL_TCP && nm == SYNACK_TCP_NOTSENT_LOWAT;
        if (u32 ? (uint32_t)want != (uint32_t)iv : want != iv) {
            if (nm == SYNACK_SO_ERROR && lv == SYNACK_SOL_SOCKET)
                snprintf(c->detail, sizeof c->detail, "SO_ERROR value %d (%s), expected %" PRId64 " (%s)", iv,
                         iv ? errno_name(iv) : "0", want, want ? errno_name((int)want) : "0");
            else
                snprintf(c->detail, sizeof c->detail, "option value %d, expected %" PRId64, iv, want);
        }
    }
    return CALL_DONE;
}

static int call_fcntl(struct runner *r, struct sc_event *e, struct call_out *c)
{
    const struct sc_syscall *s = &e->sys;
    int sd;
    struct fdmap *m = fd_of(r, e->line, arg(s, 0), &sd);
    if (r->done) return CALL_STOP;
    int64_t cmd, flags = 0;
    if (!arg(s, 1) || eval_int(r, e->line, arg(s, 1), &cmd)) {
        if (!r->done) fail(r, e->line, "fcntl needs a command");
        return CALL_STOP;
    }
    if (!m) {
        set_rc(c, -EBADF);
        return CALL_DONE;
    }
    if (cmd == 3) { /* F_GETFL */
        c->ret = 2 | (m->nonblock ? 04000 : 0);
        return CALL_DONE;
    }
    if (cmd != 4 || !arg(s, 2)) {
        skip_run(r, e->line, "fcntl commands other than F_GETFL/F_SETFL are not supported");
        return CALL_STOP;
    }
    if (eval_int(r, e->line, arg(s, 2), &flags)) return CALL_STOP;
    m->nonblock = (flags & 04000) != 0;
    c->ret = 0;
    return CALL_DONE;
}

static int call_poll(struct runner *r, struct sc_event *e, struct call_out *c, bool first)
{
    const struct sc_syscall *s = &e->sys;
    const struct sx *list = arg(s, 0);
    int64_t nfds = 0, timeout = 0;
    if (!list || list->kind != SX_LIST || !arg(s, 1) || !arg(s, 2) || eval_int(r, e->line, arg(s, 1), &nfds) ||
        eval_int(r, e->line, arg(s, 2), &timeout)) {
        if (!r->done) fail(r, e->line, "poll needs ([{fd=N, events=E, revents=R}, ...], n, timeout)");
        return CALL_STOP;
    }
    struct synack_pollfd pf[16];
    int64_t want[16];
    int n = list->n < 16 ? list->n : 16;
    for (int i = 0; i < n; i++) {
        const struct sx *fdx = field(list->items[i], "fd"), *ev = field(list->items[i], "events"),
                        *rev = field(list->items[i], "revents");
        int64_t events = 0;
        want[i] = 0;
        if (!fdx || !ev) {
            fail(r, e->line, "poll entries need fd= and events=");
            return CALL_STOP;
        }
        fd_of(r, e->line, fdx, &pf[i].sd);
        if (r->done || eval_int(r, e->line, ev, &events) || (rev && eval_int(r, e->line, rev, &want[i])))
            return CALL_STOP;
        pf[i].events = (short)events;
        pf[i].revents = 0;
    }
    int ready = synack_poll(r->st, pf, (size_t)n);
    if (ready == 0 && timeout != 0) {
        if (first) r->pend.deadline = timeout < 0 ? SYNACK_NEVER : r->now + (uint64_t)timeout * 1000u;
        if (r->now < r->pend.deadline) return CALL_BLOCK;
    }
    c->ret = ready;
    struct strbuf d = {c->detail, sizeof c->detail, 0};
    for (int i = 0; i < n; i++)
        if (pf[i].revents != want[i])
            sb_add(&d, "%sentry %d: revents 0x%x, expected 0x%" PRIx64, d.n ? "; " : "", i,
                   (unsigned)(unsigned short)pf[i].revents, want[i]);
    return CALL_DONE;
}

/* epoll_create(size) = N: an epoll instance (synack/epoll.h) as script fd N. */
static int call_epoll_create(struct runner *r, struct sc_event *e, struct call_out *c)
{
    int64_t size = 1;
    if (arg(&e->sys, 0) && eval_int(r, e->line, arg(&e->sys, 0), &size)) return CALL_STOP;
    if (size <= 0) {
        set_rc(c, -EINVAL);
        return CALL_DONE;
    }
    if (e->sys.result_any || e->sys.result < 0) {
        fail(r, e->line, "epoll_create needs the descriptor it returns (= N)");
        return CALL_STOP;
    }
    synack_epoll *ep;
    int rc = synack_epoll_create(r->st, &ep);
    if (rc < 0) {
        set_rc(c, rc);
        return CALL_DONE;
    }
    if (!map_fd(r, e->line, e->sys.result, -1)) {
        synack_epoll_destroy(ep);
        return CALL_STOP;
    }
    r->fds[e->sys.result].ep = ep;
    c->ret = e->sys.result;
    return CALL_DONE;
}

/* The epoll instance of script descriptor x, or NULL (EBADF/EINVAL set). */
static synack_epoll *epoll_arg(struct runner *r, int line, const struct sx *x, struct call_out *c)
{
    int sd;
    struct fdmap *m = fd_of(r, line, x, &sd);
    if (!r->done && (!m || !m->ep)) set_rc(c, m ? -EINVAL : -EBADF);
    return m && !r->done ? m->ep : NULL;
}

/* epoll_ctl(epfd, op, fd, {events=E, fd=N}): the event's data is N. */
static int call_epoll_ctl(struct runner *r, struct sc_event *e, struct call_out *c)
{
    const struct sc_syscall *s = &e->sys;
    synack_epoll *ep = epoll_arg(r, e->line, arg(s, 0), c);
    if (r->done) return CALL_STOP;
    if (!ep) return CALL_DONE;
    int64_t op, events = 0, data = 0;
    int sd;
    if (!arg(s, 1) || eval_int(r, e->line, arg(s, 1), &op)) {
        if (!r->done) fail(r, e->line, "epoll_ctl needs (epfd, op, fd, {events=E, fd=N})");
        return CALL_STOP;
    }
    fd_of(r, e->line, arg(s, 2), &sd);
    if (r->done) return CALL_STOP;
    const struct sx *ev = arg(s, 3), *evx = field(ev, "events"), *dx = field(ev, "fd");
    if (!dx) dx = field(ev, "ptr");
    if (op != SYNACK_EPOLL_CTL_DEL && (!evx || eval_int(r, e->line, evx, &events) ||
                                       (dx && eval_int(r, e->line, dx, &data)))) {
        if (!r->done) fail(r, e->line, "epoll_ctl needs an event {events=E, fd=N}");
        return CALL_STOP;
    }
    struct synack_epoll_event sev = {(uint32_t)events, (uint64_t)data};
    set_rc(c, synack_epoll_ctl(ep, (int)op, sd, &sev));
    return CALL_DONE;
}

/* epoll_wait(epfd, {events=E, fd=N}, max, timeout) = count: the first event
 * is compared with the struct ({events=0, ptr=0} when none is expected). */
static int call_epoll_wait(struct runner *r, struct sc_event *e, struct call_out *c, bool first)
{
    const struct sc_syscall *s = &e->sys;
    synack_epoll *ep = epoll_arg(r, e->line, arg(s, 0), c);
    if (r->done) return CALL_STOP;
    if (!ep) return CALL_DONE;
    int64_t max = 0, timeout = 0, want_ev = 0, want_data = 0;
    const struct sx *ev = arg(s, 1), *evx = field(ev, "events"), *dx = field(ev, "fd");
    if (!dx) dx = field(ev, "ptr");
    if (!arg(s, 2) || !arg(s, 3) || eval_int(r, e->line, arg(s, 2), &max) ||
        eval_int(r, e->line, arg(s, 3), &timeout) || (evx && eval_int(r, e->line, evx, &want_ev)) ||
        (dx && eval_int(r, e->line, dx, &want_data))) {
        if (!r->done) fail(r, e->line, "epoll_wait needs (epfd, {events=E, fd=N}, max, timeout)");
        return CALL_STOP;
    }
    struct synack_epoll_event got[16];
    int n = synack_epoll_wait(ep, got, max < 16 ? (int)max : 16);
    if (n == 0 && timeout != 0) {
        if (first) r->pend.deadline = timeout < 0 ? SYNACK_NEVER : r->now + (uint64_t)timeout * 1000u;
        if (r->now < r->pend.deadline) return CALL_BLOCK;
    }
    set_rc(c, n);
    if (n > 0 && evx && (got[0].events != (uint64_t)want_ev || (dx && got[0].data != (uint64_t)want_data)))
        snprintf(c->detail, sizeof c->detail, "event {events=0x%x, fd=%" PRIu64 "}, expected {events=0x%" PRIx64
                 ", fd=%" PRId64 "}", got[0].events, got[0].data, want_ev, want_data);
    return CALL_DONE;
}

static int call_getname(struct runner *r, struct sc_event *e, struct call_out *c, bool peer)
{
    int sd;
    fd_of(r, e->line, arg(&e->sys, 0), &sd);
    if (r->done) return CALL_STOP;
    struct synack_endpoint ep = {0, 0};
    set_rc(c, peer ? synack_getpeername(r->st, sd, &ep) : synack_getsockname(r->st, sd, &ep));
    const struct sx *want = arg(&e->sys, 1);
    if (c->ret == 0 && want && want->kind != SX_ELLIPSIS) {
        struct synack_endpoint w = {0, 0};
        if (eval_sockaddr(r, e->line, want, &w)) return CALL_STOP;
        if (w.addr != ep.addr || w.port != ep.port) {
            char a[16], b[16];
            snprintf(c->detail, sizeof c->detail, "address %s:%u, expected %s:%u", synack_format_ipv4(ep.addr, a),
                     ep.port, synack_format_ipv4(w.addr, b), w.port);
        }
    }
    return CALL_DONE;
}

static int attempt(struct runner *r, struct sc_event *e, struct call_out *c, bool first)
{
    const char *n = e->sys.name;
    memset(c, 0, sizeof *c);
    if (!strcmp(n, "socket")) return call_socket(r, e, c);
    if (!strcmp(n, "bind")) return call_bind(r, e, c);
    if (!strcmp(n, "listen")) return call_listen(r, e, c);
    if (!strcmp(n, "accept")) return call_accept(r, e, c);
    if (!strcmp(n, "connect")) return call_connect(r, e, c, first);
    if (!strcmp(n, "read") || !strcmp(n, "recv") || !strcmp(n, "recvfrom")) return call_read(r, e, c);
    if (!strcmp(n, "write") || !strcmp(n, "send") || !strcmp(n, "sendto")) return call_write(r, e, c);
    if (!strcmp(n, "shutdown")) return call_shutdown(r, e, c);
    if (!strcmp(n, "close")) return call_close(r, e, c);
    if (!strcmp(n, "setsockopt")) return call_sockopt(r, e, c, true);
    if (!strcmp(n, "getsockopt")) return call_sockopt(r, e, c, false);
    if (!strcmp(n, "fcntl")) return call_fcntl(r, e, c);
    if (!strcmp(n, "poll")) return call_poll(r, e, c, first);
    if (!strcmp(n, "epoll_create")) return call_epoll_create(r, e, c);
    if (!strcmp(n, "epoll_ctl")) return call_epoll_ctl(r, e, c);
    if (!strcmp(n, "epoll_wait")) return call_epoll_wait(r, e, c, first);
    if (!strcmp(n, "getsockname")) return call_getname(r, e, c, false);
    if (!strcmp(n, "getpeername")) return call_getname(r, e, c, true);
    skip_run(r, e->line, "system call %s(): synack has no equivalent", n);
    return CALL_STOP;
}

/* Compares a finished call with the script's expectation. */
/* When a call with an end time (T...END) must return. As in packetdrill,
 * END is absolute for an absolute T and, for +T, relative to the same
 * previous event as T; synack's own ...+END is relative to the call's start. */
static uint64_t call_end(const struct sc_event *e, uint64_t start)
{
    const struct sc_syscall *s = &e->sys;
    if (s->end_rel) return start + (uint64_t)s->end;
    if (e->tk == ST_REL) return start - (uint64_t)e->t + (uint64_t)s->end;
    return SC_T0 + (uint64_t)s->end;
}

static void finish_call(struct runner *r, struct sc_event *e, const struct call_out *c, uint64_t start)
{
    const struct sc_syscall *s = &e->sys;
    char got[160], at[32];
    fmt_time(r->now, at, sizeof at);
    if (c->ret == -1)
        snprintf(got, sizeof got, "-1 %s (%s)", errno_name(c->err), synack_strerror(-c->err));
    else
        snprintf(got, sizeof got, "%" PRId64, c->ret);
    bool ok = s->result_any || c->ret == s->result;
    if (ok && c->ret == -1 && s->errno_name) {
        const char *want = !strcmp(s->errno_name, "EWOULDBLOCK") ? "EAGAIN" : s->errno_name;
        ok = !strcmp(want, errno_name(c->err));
    }
    if (!ok) {
        char want[64];
        if (s->errno_name) snprintf(want, sizeof want, "%" PRId64 " %s", s->result, s->errno_name);
        else snprintf(want, sizeof want, "%" PRId64, s->result);
        fail(r, e->line, "%s() returned %s at %s, expected %s", s->name, got, at, want);
        return;
    }
    if (c->detail[0]) {
        fail(r, e->line, "%s() returned %s at %s but %s", s->name, got, at, c->detail);
        return;
    }
    if (s->has_end) {
        uint64_t end = call_end(e, start);
        uint64_t tol = (uint64_t)r->tol;
        if (r->now + tol < end || r->now > end + tol) {
            char w[32];
            fmt_time(end, w, sizeof w);
            fail(r, e->line, "%s() returned %s at %s, expected it to return at %s (tolerance %" PRId64 " us)",
                 s->name, got, at, w, r->tol);
            return;
        }
    }
    if (r->o->verbose) fprintf(r->out, "  %s %s:%d %s() = %s\n", at, r->s->path, e->line, s->name, got);
}

static void retry_pending(struct runner *r)
{
    if (!r->pend.active || r->done) return;
    struct call_out c;
    int st = attempt(r, r->pend.e, &c, false);
    if (st == CALL_BLOCK) return;
    r->pend.active = false;
    if (st == CALL_DONE) finish_call(r, r->pend.e, &c, r->pend.start);
}

static void do_syscall(struct runner *r, struct sc_event *e)
{
    if (r->pend.active) {
        char at[32];
        fmt_time(r->now, at, sizeof at);
        fail(r, r->pend.e->line, "%s() is still blocked at %s, when line %d starts another call",
             r->pend.e->sys.name, at, e->line);
        return;
    }
    struct call_out c;
    r->pend = (struct pending){.e = e, .start = r->now, .deadline = SYNACK_NEVER};
    int st = attempt(r, e, &c, true);
    if (st == CALL_BLOCK) {
        r->pend.active = true;
        if (r->o->verbose) fprintf(r->out, "  %s:%d %s() blocks\n", r->s->path, e->line, e->sys.name);
        return;
    }
    if (st == CALL_DONE) finish_call(r, e, &c, r->now);
}

/* ---- shell lines: sysctls ------------------------------------------------------------ */

static void apply_sysctl(struct runner *r, int line, const char *name, const char *value)
{
    struct synack_tunables t;
    synack_stack_get_tunables(r->st, &t);
    const char *n = name;
    if (!strncmp(n, "net.ipv4.", 9) || !strncmp(n, "net/ipv4/", 9)) n += 9; /* sysctl takes either */
    char *end;
    unsigned long v = strtoul(value, &end, 10);
    bool num = end != value;
    bool applied = true;
    if (!strcmp(n, "tcp_congestion_control")) {
        char assignment[64];
        snprintf(assignment, sizeof assignment, "congestion_control=%s", value);
        if (tunables_set(&t, assignment, NULL) != 0) {
            note(r, line, "sysctl %s=%s ignored: synack has no such algorithm", name, value);
            return;
        }
    } else if (!num) applied = false;
    else if (!strcmp(n, "tcp_syn_retries")) t.syn_retries = (unsigned)v;
    else if (!strcmp(n, "tcp_synack_retries")) t.synack_retries = (unsigned)v;
    else if (!strcmp(n, "tcp_syn_linear_timeouts")) t.syn_linear_timeouts = (unsigned)v;
    else if (!strcmp(n, "tcp_retries2")) t.retries2 = (unsigned)v;
    else if (!strcmp(n, "tcp_fin_timeout")) t.fin_timeout_ms = (uint32_t)(v * 1000u);
    else if (!strcmp(n, "tcp_max_syn_backlog")) t.max_syn_backlog = (unsigned)v;
    else if (!strcmp(name, "net.core.somaxconn")) t.max_backlog = (unsigned)v;
    else if (!strcmp(n, "ip_default_ttl")) t.ttl = (uint8_t)v;
    else if (!strcmp(n, "tcp_window_scaling")) t.window_scaling = v != 0;
    else if (!strcmp(n, "tcp_timestamps")) t.timestamps = v != 0;
    else if (!strcmp(n, "tcp_sack")) t.sack = v != 0;
    else if (!strcmp(n, "tcp_early_retrans")) t.tail_loss_probe = v >= 3;
    else if (!strcmp(n, "tcp_dsack")) t.dsack = v != 0;
    else if (!strcmp(n, "tcp_ecn") && num && v <= 2) t.ecn = (uint8_t)v;
    else if (!strcmp(n, "tcp_pacing_ss_ratio")) t.pacing_ss_ratio = (uint32_t)v;
    else if (!strcmp(n, "tcp_pacing_ca_ratio")) t.pacing_ca_ratio = (uint32_t)v;
    else if (!strcmp(n, "tcp_frto")) t.frto = (uint8_t)(v > 2 ? 2 : v);
    else if (!strcmp(n, "tcp_keepalive_time")) t.keepalive_time_s = (uint32_t)v;
    else if (!strcmp(n, "tcp_keepalive_intvl")) t.keepalive_intvl_s = (uint32_t)v;
    else if (!strcmp(n, "tcp_keepalive_probes")) t.keepalive_probes = (unsigned)v;
    else if (!strcmp(n, "ipfrag_high_thresh")) t.ipfrag_high_thresh = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    else if (!strcmp(n, "ipfrag_low_thresh")) t.ipfrag_low_thresh = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    else if (!strcmp(n, "ipfrag_time")) t.ipfrag_time = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    else if (!strcmp(n, "tcp_notsent_lowat")) t.notsent_lowat = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
    else if (!strcmp(n, "tcp_rmem") || !strcmp(n, "tcp_wmem")) {
        /* "min default max": synack has a default size, and for receiving a
         * maximum, which sets the window scale offered. Linux counts buffer
         * memory with overhead: half of it is window (the default
         * tcp_adv_win_scale), so synack's usable sizes are half the values. */
        unsigned long def = strtoul(end, &end, 10);
        unsigned long max = strtoul(end, &end, 10);
        if (!def) applied = false;
        else if (n[4] == 'r') {
            t.rcvbuf = (uint32_t)(def / 2 < 256 ? 256 : def / 2);
            if (max) t.rcvbuf_max = (uint32_t)max;
            if (t.rcvbuf_max < t.rcvbuf) t.rcvbuf_max = t.rcvbuf;
        } else {
            t.sndbuf = (uint32_t)(def / 2 < 256 ? 256 : def / 2);
        }
    } else if (!strcmp(n, "tcp_moderate_rcvbuf")) {
        t.moderate_rcvbuf = v != 0;
    } else if (!strcmp(n, "ip_local_port_range")) {
        unsigned long hi = strtoul(end, &end, 10);
        t.ephemeral_lo = (uint16_t)v;
        t.ephemeral_hi = (uint16_t)hi;
    } else {
        applied = false;
    }
    if (applied) {
        if (synack_stack_set_tunables(r->st, &t) != 0)
            note(r, line, "sysctl %s=%s is out of synack's range: ignored", name, value);
        else if (r->o->verbose)
            fprintf(r->out, "  %s:%d sysctl %s=%s set\n", r->s->path, line, name, value);
        return;
    }
    static const char *const absent[] = {"tcp_fastopen", "tcp_fack",
                                         "tcp_mtu_probing", "tcp_tw_reuse", "tcp_autocorking"};
    for (size_t i = 0; i < sizeof absent / sizeof *absent; i++) {
        if (!strcmp(n, absent[i])) {
            if (num && v == 0) {
                if (r->o->verbose)
                    fprintf(r->out, "  %s:%d sysctl %s=0 matches synack (it has no such feature)\n", r->s->path,
                            line, name);
            } else {
                note(r, line, "sysctl %s=%s ignored: synack has no such feature yet", name, value);
            }
            return;
        }
    }
    note(r, line, "sysctl %s=%s ignored: synack has no such tunable", name, value);
}

/* $((expr)) in a shell line, as bash expands it (integers only). */
static void expand_arith(const char *s, size_t len, char *out, size_t out_len)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < out_len;) {
        if (i + 3 < len && !strncmp(s + i, "$((", 3)) {
            const char *close = NULL;
            for (size_t j = i + 3; j + 1 < len; j++)
                if (s[j] == ')' && s[j + 1] == ')') {
                    close = s + j;
                    break;
                }
            if (close) {
                char code[160], msg[120];
                snprintf(code, sizeof code, "v = %.*s", (int)(close - (s + i + 3)), s + i + 3);
                struct sc_code_vars v = {0};
                if (sc_code_run(&v, code, NULL, NULL, msg, sizeof msg) == SC_CODE_OK && v.n == 1)
                    k += (size_t)snprintf(out + k, out_len - k, "%" PRId64, v.v[0].value);
                if (k >= out_len) k = out_len - 1;
                i = (size_t)(close - s) + 2;
                continue;
            }
        }
        out[k++] = s[i++];
    }
    out[k] = '\0';
}

/* Splits a command line into words, honouring '...' and "..." quotes. */
static int shell_words(const char *s, size_t len, char words[][128], int max)
{
    int n = 0;
    size_t i = 0;
    while (i < len && n < max) {
        while (i < len && (s[i] == ' ' || s[i] == '\t')) i++;
        if (i >= len) break;
        size_t k = 0;
        while (i < len && s[i] != ' ' && s[i] != '\t') {
            if (s[i] == '\'' || s[i] == '"') {
                char q = s[i++];
                while (i < len && s[i] != q) {
                    if (k < 127) words[n][k++] = s[i];
                    i++;
                }
                if (i < len) i++;
            } else {
                if (k < 127) words[n][k++] = s[i];
                i++;
            }
        }
        words[n++][k] = '\0';
    }
    return n;
}

static void run_shell_text(struct runner *r, int line, const char *s, size_t len);

/* A shell file the script runs (Linux's scripts begin with
 * `../common/defaults.sh`): read relative to the script, its sysctl lines
 * applied, everything else reported once as ignored. */
static bool run_shell_file(struct runner *r, int line, const char *name)
{
    char path[512];
    const char *slash = strrchr(r->s->path, '/');
    if (name[0] == '/' || !slash) snprintf(path, sizeof path, "%s", name);
    else snprintf(path, sizeof path, "%.*s/%s", (int)(slash - r->s->path), r->s->path, name);
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char notes[2048] = "";
    bool outer = r->collect == NULL;
    if (outer) {
        r->collect = notes;
        r->collect_len = sizeof notes;
    }
    run_shell_text(r, line, text, n);
    if (outer) {
        r->collect = NULL;
        if (notes[0]) note(r, line, "%s: %s", name, notes);
    }
    return true;
}

/* A command with no synack meaning, reported by its first words. */
static void ignore_command(struct runner *r, int line, char w[][128], int n)
{
    if (r->collect) note(r, line, "'%s%s%s' ignored", w[0], n > 1 ? " " : "", n > 1 ? w[1] : "");
}

static void run_command(struct runner *r, int line, const char *raw, size_t raw_len)
{
    char cmd[1024];
    expand_arith(raw, raw_len, cmd, sizeof cmd);
    size_t len = strlen(cmd);
    char w[16][128];
    int n = shell_words(cmd, len, w, 16);
    /* A comment ends the command ("sysctl -q x=1  # why"); redirections
     * are dropped: "> /dev/null 2>&1". */
    for (int i = 1; i < n; i++)
        if (w[i][0] == '#') n = i;
    for (int i = 0; i < n; i++) {
        bool to_proc = !strcmp(w[i], ">") && i + 1 < n && !strncmp(w[i + 1], "/proc/sys/", 10);
        if (strchr(w[i], '>') && !to_proc) {
            n = i;
            break;
        }
    }
    if (n == 0 || w[0][0] == '#') return;
    size_t wl = strlen(w[0]);
    if (wl > 3 && !strcmp(w[0] + wl - 3, ".sh")) {
        if (run_shell_file(r, line, w[0])) return;
        note(r, line, "shell file %s could not be read: ignored", w[0]);
        return;
    }
    if (!strcmp(w[0], "tc") && n >= 2 && !strcmp(w[1], "qdisc") && (!strcmp(w[n - 1], "fq") || !strcmp(w[n - 1], "pfifo_fast"))) {
        /* Linux paces a CUBIC or Reno sender only under the fq qdisc, at the
         * rate TCP computes; synack's pacing does the same in the stack. */
        struct synack_tunables t;
        synack_stack_get_tunables(r->st, &t);
        t.pacing = !strcmp(w[n - 1], "fq");
        synack_stack_set_tunables(r->st, &t);
        if (r->o->verbose) fprintf(r->out, "  %s:%d %s: pacing %s\n", r->s->path, line, cmd, t.pacing ? "on" : "off");
        return;
    }
    if (!strcmp(w[0], "tc") || !strcmp(w[0], "ip") || !strcmp(w[0], "ethtool")) {
        if (r->collect) ignore_command(r, line, w, n);
        else note(r, line, "shell command '%s' ignored (it has no meaning for synack)", cmd);
        return;
    }
    if (!strcmp(w[0], "sysctl")) {
        for (int i = 1; i < n; i++) {
            if (w[i][0] == '-') continue;
            char *eq = strchr(w[i], '=');
            if (!eq) {
                note(r, line, "sysctl %s without a value: ignored", w[i]);
                continue;
            }
            *eq = '\0';
            apply_sysctl(r, line, w[i], eq + 1);
        }
        return;
    }
    /* echo VALUE > /proc/sys/net/ipv4/NAME */
    if (!strcmp(w[0], "echo") && n >= 4 && !strcmp(w[n - 2], ">") && !strncmp(w[n - 1], "/proc/sys/", 10)) {
        char name[128];
        snprintf(name, sizeof name, "%s", w[n - 1] + 10);
        for (char *p = name; *p; p++)
            if (*p == '/') *p = '.';
        char value[256] = "";
        for (int i = 1; i < n - 2; i++) {
            strncat(value, w[i], sizeof value - strlen(value) - 2);
            if (i < n - 3) strcat(value, " ");
        }
        apply_sysctl(r, line, name, value);
        return;
    }
    /* ../common/set_sysctls.py /proc/sys/net/ipv4/NAME="VALUE" ...: Linux's
     * scripts set sysctls through this helper; each argument is one setting. */
    wl = strlen(w[0]);
    if (wl >= 14 && !strcmp(w[0] + wl - 14, "set_sysctls.py")) {
        for (int i = 1; i < n; i++) {
            char *eq = strchr(w[i], '=');
            if (strncmp(w[i], "/proc/sys/", 10) || !eq) {
                if (strcmp(w[i], "\\")) note(r, line, "set_sysctls.py argument '%s' ignored", w[i]);
                continue;
            }
            *eq = '\0';
            char name[128];
            snprintf(name, sizeof name, "%s", w[i] + 10);
            for (char *p = name; *p; p++)
                if (*p == '/') *p = '.';
            apply_sysctl(r, line, name, eq + 1);
        }
        return;
    }
    note(r, line, "shell command '%.*s' ignored (only sysctl settings are understood)", (int)len, cmd);
}

static void run_shell_text(struct runner *r, int line, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t j = i;
        while (j < len && s[j] != ';' && s[j] != '\n' && !(s[j] == '&' && j + 1 < len && s[j + 1] == '&')) j++;
        run_command(r, line, s + i, j - i);
        i = j + (j < len && s[j] == '&' ? 2 : 1);
    }
}

static void run_shell(struct runner *r, struct sc_event *e) { run_shell_text(r, e->line, e->text, strlen(e->text)); }

/* ---- %{ }% blocks ---------------------------------------------------------------------- */

/* The block reads TCP_INFO of the socket under test: as packetdrill, the
 * connection the script talks to; here the highest-numbered descriptor with
 * a connection (the accepted or connected one). */
static void run_code(struct runner *r, struct sc_event *e)
{
    struct synack_tcp_info info;
    bool have = false;
    for (int i = SC_MAX_FDS - 1; i >= 0 && !have; i--)
        if (r->fds[i].used && synack_getinfo(r->st, r->fds[i].sd, &info) == 0) have = true;
    char msg[300];
    switch (sc_code_run(&r->vars, e->text, have ? &info : NULL, r->o->verbose ? r->out : NULL, msg, sizeof msg)) {
    case SC_CODE_OK: break;
    case SC_CODE_FAILED: fail(r, e->line, "assertion failed: %s", msg); break;
    case SC_CODE_UNSUPPORTED: skip_run(r, e->line, "%%{ }%% block: %s", msg); break;
    }
}

/* ---- the script ---------------------------------------------------------------------- */

static void run_event(struct runner *r, struct sc_event *e)
{
    r->last_line = e->line;
    if (e->kind == EV_PACKET && e->pkt.outbound) {
        expect_outbound(r, e);
        if (e == r->last_out) r->tail = true;
        return;
    }
    uint64_t at = e->tk == ST_ABS ? SC_T0 + (uint64_t)e->t : r->last + (uint64_t)e->t;
    if (e->kind == EV_SHELL && e->tk == ST_REL && e->t == 0) at = r->now; /* init/cleanup command */
    if (at < r->now) at = r->now;
    run_until(r, at, false);
    if (r->done) return;
    if (!r->tail) check_unexpected(r, e->line, at);
    if (r->done) return;
    r->last = at;
    switch (e->kind) {
    case EV_PACKET:
        if (r->o->verbose) {
            char src[200], tb[32];
            quote_line(r, e->line, src, sizeof src);
            fmt_time(r->now, tb, sizeof tb);
            fprintf(r->out, "  %s %s:%d %s\n", tb, r->s->path, e->line, src);
        }
        inject(r, e);
        break;
    case EV_SYSCALL: do_syscall(r, e); break;
    case EV_SHELL: run_shell(r, e); break;
    case EV_CODE: run_code(r, e); break;
    }
    if (!r->done) settle(r);
}

int sc_run(struct sc_script *s, const struct script_options *o, FILE *out)
{
    struct runner r;
    memset(&r, 0, sizeof r);
    r.s = s;
    r.o = o;
    r.out = out;
    r.tol = s->has_tolerance ? s->tolerance_usecs : o->tolerance_usecs;
    r.now = SC_T0;
    r.last = SC_T0;
    r.lport = SC_PORT;
    r.rport = SC_REMOTE_PORT;
    r.result = SCRIPT_PASS;
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = SC_LOCAL_IP;
    cfg.output = on_output;
    cfg.output_ctx = &r;
    cfg.isn_hook = isn_hook;
    cfg.isn_ctx = &r;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(0x5c + i); /* fixed: reproducible ports */
    /* Linux paces a CUBIC sender only under fq (a script says so with
     * `tc qdisc ... fq`); without it, segments leave in bursts. */
    cfg.tunables.pacing = false;
    if (synack_stack_create(&r.st, &cfg) != 0) {
        fprintf(out, "FAIL %s: cannot create a synack stack\n", s->path);
        return SCRIPT_FAIL;
    }
    synack_stack_poll(r.st, r.now);
    for (int i = 0; i < s->nignored; i++) note(&r, 1, "option %s ignored", s->ignored[i]);
    if (o->unchecked_tail)
        for (struct sc_event *e = s->events; e; e = e->next)
            if (e->kind == EV_PACKET && e->pkt.outbound) r.last_out = e;
    for (struct sc_event *e = s->events; e && !r.done; e = e->next) {
        run_event(&r, e);
        if (r.oom) fail(&r, e->line, "out of memory");
    }
    if (!r.done && r.pend.active) {
        /* Give a blocking call with an end time the chance to return. */
        const struct sc_syscall *c = &r.pend.e->sys;
        if (c->has_end) {
            uint64_t end = call_end(r.pend.e, r.pend.start) + (uint64_t)r.tol;
            run_until(&r, end, false);
        }
        if (!r.done && r.pend.active) {
            char at[32];
            fmt_time(r.now, at, sizeof at);
            fail(&r, r.pend.e->line, "%s() never returned (still blocked at the end of the script, %s)",
                 c->name, at);
        }
    }
    if (!r.done && !r.tail) check_unexpected(&r, r.last_line, SYNACK_NEVER);
    if (!r.done) fprintf(out, "PASS %s\n", s->path);
    for (size_t i = r.qhead; i < r.qn; i++) free(r.q[i].bytes);
    free(r.q);
    free(r.iobuf);
    /* Close what the script left open first: synack_stack_destroy reads a
     * socket's connection after freeing the table's (a stack bug). */
    for (int fd = 0; fd < SC_MAX_FDS; fd++)
        if (r.fds[fd].used && r.fds[fd].ep) synack_epoll_destroy(r.fds[fd].ep);
    for (int sd = 0; sd < 1024; sd++) synack_close(r.st, sd);
    synack_stack_destroy(r.st);
    return r.result;
}
