/*
 * script_parse.c — the grammar of `synack script`: tokens to events.
 *
 * Owns: packetdrill's script grammar as synack supports it (docs/SCRIPTS.md):
 *   script   := option* [`init`] event* [`cleanup`]
 *   event    := time action
 *   time     := T | +T | * | T~T | +T~+T
 *   action   := packet | [...END] call | `shell` | %{ code }%
 *   packet   := (<|>) flags START:END(LEN) [ack N] [win N] [urg N] [<opts>|<...>]
 *               [ipfrag [id N] A:B(,A:B)*]   (inbound only; synack's own)
 *   call     := name ( expr, ... ) = result [ERRNO] [(note)]
 * and the decision that a script needs something synack lacks (SKIP), made
 * here when it shows in the syntax (UDP, ICMP, IPv6, Python blocks, TCP
 * options synack has no codec for, system calls it has no equivalent of).
 * Every token access is bounded by TK_EOF. Must not touch: running.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_ast.h"
#include "synack/wire.h"

struct parser {
    struct sc_script *s;
    struct sc_token *t;
    size_t n, i;
    int depth;               /* expressions being parsed, one inside the other */
};

/* Expressions nest through [ ], { }, calls and a=b; the parser (and the
 * runner after it) recurses once per level, so the nesting is bounded: a
 * hostile file of 50 KB of brackets gets an error, not a stack overflow.
 * Real scripts nest 3 or 4 deep. The same bound holds for a | b | c chains,
 * which the runner evaluates recursively. */
#define SC_MAX_NESTING 64

static struct sc_token *peek(struct parser *p) { return &p->t[p->i < p->n ? p->i : p->n - 1]; }
static struct sc_token *peek2(struct parser *p)
{
    size_t j = p->i + 1;
    return &p->t[j < p->n ? j : p->n - 1];
}
static struct sc_token *next(struct parser *p)
{
    struct sc_token *t = peek(p);
    if (t->kind != TK_EOF) p->i++;
    return t;
}
static bool is_punct(const struct sc_token *t, char c) { return t->kind == TK_PUNCT && t->c == c; }
static bool is_word(const struct sc_token *t, const char *w)
{
    return t->kind == TK_WORD && strcmp(t->text, w) == 0;
}

static const char *tok_desc(const struct sc_token *t, char *buf, size_t len)
{
    switch (t->kind) {
    case TK_EOF: return "end of file";
    case TK_INT: snprintf(buf, len, "number %lld", (long long)t->num); return buf;
    case TK_FLOAT: return "a time";
    case TK_WORD: snprintf(buf, len, "'%s'", t->text); return buf;
    case TK_STRING: return "a string";
    case TK_BACKQ: return "a `command`";
    case TK_CODE: return "a %{ }% block";
    case TK_OPTION: snprintf(buf, len, "option %s", t->text); return buf;
    case TK_ELLIPSIS: return "'...'";
    case TK_PUNCT: snprintf(buf, len, "'%c'", t->c); return buf;
    }
    return "?";
}

static int perr(struct parser *p, int line, const char *fmt, ...)
{
    struct sc_script *s = p->s;
    if (s->err[0]) return -1;
    int k = snprintf(s->err, sizeof s->err, "%s:%d: syntax error: ", s->path, line);
    if (k > 0 && (size_t)k < sizeof s->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err + k, sizeof s->err - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int unexpected(struct parser *p, const char *wanted)
{
    char buf[64];
    struct sc_token *t = peek(p);
    return perr(p, t->line, "expected %s, found %s", wanted, tok_desc(t, buf, sizeof buf));
}

/* Marks the script SKIP. Returns 1 so callers can stop parsing. */
static int skip(struct parser *p, int line, const char *reason)
{
    if (!p->s->skip) {
        p->s->skip = reason;
        p->s->skip_line = line;
    }
    return 1;
}

static int expect_punct(struct parser *p, char c)
{
    if (!is_punct(peek(p), c)) {
        char want[8];
        snprintf(want, sizeof want, "'%c'", c);
        return unexpected(p, want);
    }
    next(p);
    return 0;
}

static int expect_int(struct parser *p, const char *what, int64_t min, int64_t max, int64_t *out)
{
    struct sc_token *t = peek(p);
    if (t->kind != TK_INT) return unexpected(p, what);
    if (t->num < min || t->num > max)
        return perr(p, t->line, "%s %lld out of range %lld..%lld", what, (long long)t->num,
                    (long long)min, (long long)max);
    next(p);
    *out = t->num;
    return 0;
}

/* ---- time ------------------------------------------------------------------ */

static int parse_time_value(struct parser *p, int64_t *us)
{
    struct sc_token *t = peek(p);
    if (t->kind == TK_FLOAT) {
        *us = t->num;
    } else if (t->kind == TK_INT) {
        if (t->num > INT64_MAX / 1000000) return perr(p, t->line, "time too large");
        *us = t->num * 1000000;
    } else {
        return unexpected(p, "a time");
    }
    next(p);
    return 0;
}

static int parse_event_time(struct parser *p, struct sc_event *e)
{
    if (is_punct(peek(p), '*')) {
        next(p);
        e->tk = ST_ANY;
        return 0;
    }
    bool rel = false;
    if (is_punct(peek(p), '+')) {
        next(p);
        rel = true;
    }
    if (parse_time_value(p, &e->t)) return -1;
    e->tk = rel ? ST_REL : ST_ABS;
    if (is_punct(peek(p), '~')) {
        next(p);
        if (rel && expect_punct(p, '+')) return -1;
        if (parse_time_value(p, &e->t_end)) return -1;
        if (e->t_end < e->t) return perr(p, e->line, "time range is backwards");
        e->tk = rel ? ST_REL_RANGE : ST_ABS_RANGE;
    }
    return 0;
}

/* ---- packets --------------------------------------------------------------- */

static int parse_flags(struct parser *p, uint8_t *flags)
{
    struct sc_token *t = peek(p);
    *flags = 0;
    if (is_punct(t, '-')) {
        next(p);
        return 0;
    }
    if (t->kind == TK_WORD) {
        for (const char *c = t->text; *c; c++) {
            switch (*c) {
            case 'F': *flags |= TCP_FIN; break;
            case 'S': *flags |= TCP_SYN; break;
            case 'R': *flags |= TCP_RST; break;
            case 'P': *flags |= TCP_PSH; break;
            case 'U': *flags |= TCP_URG; break;
            case 'E': *flags |= TCP_ECE; break;
            case 'W': *flags |= TCP_CWR; break;
            default: return perr(p, t->line, "unknown TCP flag '%c' in '%s' (flags are F S R P U E W .)", *c, t->text);
            }
        }
        next(p);
        t = peek(p);
    }
    if (is_punct(t, '.')) {
        *flags |= TCP_ACK;
        next(p);
    } else if (*flags == 0) {
        return unexpected(p, "TCP flags (S, ., P, F, R and combinations)");
    }
    return 0;
}

static int parse_options(struct parser *p, struct sc_packet *k, int line)
{
    /* '<' already taken. */
    if (peek(p)->kind == TK_ELLIPSIS) {
        next(p);
        if (!k->outbound) return perr(p, line, "<...> (any options) only fits outbound packets");
        k->any_opts = true;
        return expect_punct(p, '>');
    }
    int bytes = 0;
    for (;;) {
        struct sc_token *t = peek(p);
        if (k->nopts >= SC_MAX_OPTS) return perr(p, t->line, "too many TCP options");
        struct sc_tcp_opt *o = &k->opts[k->nopts];
        int64_t v = 0, w = 0;
        if (t->kind != TK_WORD) return unexpected(p, "a TCP option (mss, sackOK, sack, TS, nop, wscale, eol)");
        next(p);
        if (!strcmp(t->text, "nop")) {
            o->kind = TCP_OPT_NOP;
            bytes += 1;
        } else if (!strcmp(t->text, "eol")) {
            o->kind = TCP_OPT_EOL;
            bytes += 1;
        } else if (!strcmp(t->text, "mss")) {
            if (expect_int(p, "mss value", 0, 65535, &v)) return -1;
            o->kind = TCP_OPT_MSS;
            o->a = (uint32_t)v;
            bytes += 4;
        } else if (!strcmp(t->text, "wscale")) {
            if (expect_int(p, "window scale", 0, 255, &v)) return -1;
            o->kind = TCP_OPT_WSCALE;
            o->a = (uint32_t)v;
            bytes += 3;
        } else if (!strcmp(t->text, "sackOK")) {
            o->kind = TCP_OPT_SACK_PERM;
            bytes += 2;
        } else if (!strcmp(t->text, "sack")) {
            o->kind = TCP_OPT_SACK;
            while (peek(p)->kind == TK_INT) {
                if (o->nsack >= SC_MAX_SACK) return perr(p, t->line, "more than %d SACK blocks", SC_MAX_SACK);
                if (expect_int(p, "SACK left edge", 0, UINT32_MAX, &v) || expect_punct(p, ':') ||
                    expect_int(p, "SACK right edge", 0, UINT32_MAX, &w))
                    return -1;
                o->sack[o->nsack][0] = (uint32_t)v;
                o->sack[o->nsack][1] = (uint32_t)w;
                o->nsack++;
            }
            if (o->nsack == 0) return unexpected(p, "SACK blocks a:b");
            bytes += 2 + 8 * o->nsack;
        } else if (!strcmp(t->text, "TS")) {
            if (!is_word(peek(p), "val")) return unexpected(p, "'val'");
            next(p);
            if (expect_int(p, "TS val", 0, UINT32_MAX, &v)) return -1;
            if (!is_word(peek(p), "ecr")) return unexpected(p, "'ecr'");
            next(p);
            if (expect_int(p, "TS ecr", 0, UINT32_MAX, &w)) return -1;
            o->kind = TCP_OPT_TIMESTAMP;
            o->a = (uint32_t)v;
            o->b = (uint32_t)w;
            bytes += 10;
        } else if (!strcmp(t->text, "FO") || !strcmp(t->text, "FOEXP")) {
            return skip(p, t->line, "TCP Fast Open options: synack has no TCP Fast Open");
        } else if (!strcmp(t->text, "md5")) {
            return skip(p, t->line, "TCP MD5 signature option: synack has no TCP-MD5");
        } else if (!strcmp(t->text, "mpcapable") || !strcmp(t->text, "dss") || !strcmp(t->text, "mp_join") ||
                   !strcmp(t->text, "add_address") || !strcmp(t->text, "mp_capable")) {
            return skip(p, t->line, "MPTCP options: synack has no MPTCP");
        } else {
            return perr(p, t->line, "unknown TCP option '%s'", t->text);
        }
        k->nopts++;
        if (bytes > 40) return perr(p, t->line, "TCP options longer than 40 bytes");
        if (is_punct(peek(p), ',')) {
            next(p);
            continue;
        }
        return expect_punct(p, '>');
    }
}

/* ---- ICMP (inbound) ---------------------------------------------------------- */

/* packetdrill's names for ICMPv4 types and the codes of "unreachable". */
static const struct { const char *name; uint8_t type; } icmp_types[] = {
    {"echo_reply", 0},          {"unreachable", 3},        {"source_quench", 4},
    {"redirect", 5},            {"echo_request", 8},       {"time_exceeded", 11},
    {"parameter_problem", 12},  {"timestamp_request", 13}, {"timestamp_reply", 14},
    {"information_request", 15}, {"information_reply", 16}, {"address_mask_request", 17},
    {"address_mask_reply", 18},
};
static const char *const unreachable_codes[] = {
    "net_unreachable", "host_unreachable", "protocol_unreachable", "port_unreachable",
    "frag_needed", "source_route_failed", "net_unknown", "host_unknown",
    "source_host_isolated", "net_prohibited", "host_prohibited", "net_unreachable_for_tos",
    "host_unreachable_for_tos", "packet_filtered", "precedence_violation", "precedence_cutoff",
};

/* After "< icmp": TYPE [CODE] [mtu N] [id N] [[start:end(len)]]. */
static int parse_icmp(struct parser *p, struct sc_event *e)
{
    struct sc_packet *k = &e->pkt;
    k->icmp = true;
    struct sc_token *t = peek(p);
    size_t i = 0;
    if (t->kind != TK_WORD) return perr(p, t->line, "expected an ICMP type after icmp");
    while (i < sizeof icmp_types / sizeof icmp_types[0] && strcmp(icmp_types[i].name, t->text)) i++;
    if (i == sizeof icmp_types / sizeof icmp_types[0]) return perr(p, t->line, "unknown ICMP type '%s'", t->text);
    k->icmp_type = icmp_types[i].type;
    next(p);
    t = peek(p);
    if (t->kind == TK_WORD && !is_word(t, "mtu") && !is_word(t, "id")) {
        size_t c = 0, n = sizeof unreachable_codes / sizeof unreachable_codes[0];
        if (k->icmp_type == 3)
            while (c < n && strcmp(unreachable_codes[c], t->text)) c++;
        if (k->icmp_type != 3 || c == n) return perr(p, t->line, "unknown ICMP code '%s'", t->text);
        k->icmp_code = (uint8_t)c;
        next(p);
    }
    int64_t v = 0;
    if (is_word(peek(p), "mtu")) {
        next(p);
        if (expect_int(p, "MTU", 0, 65535, &v)) return -1;
        k->icmp_mtu = (uint16_t)v;
    }
    if (is_word(peek(p), "id")) {
        next(p);
        if (expect_int(p, "echo id", 0, 65535, &v)) return -1;
    }
    if (!is_punct(peek(p), '[')) return 0;
    next(p);
    t = peek(p);
    if (is_word(t, "udp") || is_word(t, "UDP") || is_word(t, "raw") || is_word(t, "RAW"))
        return skip(p, t->line, "ICMP quoting a UDP or raw packet: synack has only TCP");
    int64_t a = 0, b = 0, len = 0;
    if (expect_int(p, "quoted start sequence number", 0, UINT32_MAX, &a) || expect_punct(p, ':') ||
        expect_int(p, "quoted end sequence number", 0, UINT32_MAX, &b) || expect_punct(p, '(') ||
        expect_int(p, "quoted payload length", 0, 65535, &len) || expect_punct(p, ')') ||
        expect_punct(p, ']'))
        return -1;
    if ((uint32_t)(a + len) != (uint32_t)b)
        return perr(p, e->line, "inconsistent quoted sequence numbers %lld:%lld and payload length %lld",
                    (long long)a, (long long)b, (long long)len);
    k->icmp_seq = (uint32_t)a;
    k->icmp_len = (uint32_t)len;
    return 0;
}

/* The IP ECN field, packetdrill's way: [noecn], [ect0], [ect1], [ce], and
 * for outbound packets [ect01] (either ECT codepoint); ( ) as well as [ ].
 * Returns 0 when parsed, 1 when it is another IP-level field (skipped). */
static int parse_ip_ecn(struct parser *p, struct sc_packet *k, int line)
{
    char close = is_punct(peek(p), '[') ? ']' : ')';
    next(p);
    struct sc_token *t = peek(p);
    static const struct { const char *name; uint8_t check, value; } ecn[] = {
        {"noecn", SC_ECN_EXACT, 0}, {"ect1", SC_ECN_EXACT, 1}, {"ect0", SC_ECN_EXACT, 2},
        {"ce", SC_ECN_EXACT, 3}, {"ect01", SC_ECN_ECT01, 0},
    };
    for (size_t i = 0; i < sizeof ecn / sizeof *ecn; i++) {
        if (!is_word(t, ecn[i].name)) continue;
        if (ecn[i].check == SC_ECN_ECT01 && !k->outbound)
            return perr(p, line, "[ect01] can only be used with outbound packets");
        next(p);
        if (!is_punct(peek(p), close))
            return skip(p, line, "IP-level packet fields besides ECN (TOS, TTL, flow label): not supported by synack script");
        next(p);
        k->ecn_check = ecn[i].check;
        k->ecn = ecn[i].value;
        return 0;
    }
    return skip(p, line, "IP-level packet fields besides ECN (TOS, TTL, flow label): not supported by synack script");
}

static int parse_packet(struct parser *p, struct sc_event *e)
{
    struct sc_packet *k = &e->pkt;
    k->outbound = peek(p)->c == '>';
    next(p);
    struct sc_token *t = peek(p);
    if (is_punct(t, '[') || is_punct(t, '(')) {
        int rc = parse_ip_ecn(p, k, t->line);
        if (rc) return rc;
        t = peek(p);
    }
    if (is_word(t, "udp") || is_word(t, "UDP")) return skip(p, t->line, "UDP packets: synack has no UDP");
    if (is_word(t, "icmp") || is_word(t, "ICMP")) {
        if (k->outbound) return skip(p, t->line, "outbound ICMP: synack script checks the TCP segments synack sends");
        next(p);
        return parse_icmp(p, e);
    }
    if (is_word(t, "ipv4") || is_word(t, "ipv6") || is_word(t, "gre") || is_word(t, "mpls"))
        return skip(p, t->line, "encapsulation headers: not supported by synack script");
    if (t->kind == TK_INT && is_punct(peek2(p), '>'))
        return skip(p, t->line, "explicit port numbers in packets: not supported by synack script");
    if (parse_flags(p, &k->flags)) return -1;
    int64_t a = 0, b = 0, len = 0;
    if (expect_int(p, "start sequence number", 0, UINT32_MAX, &a) || expect_punct(p, ':') ||
        expect_int(p, "end sequence number", 0, UINT32_MAX, &b) || expect_punct(p, '(') ||
        expect_int(p, "payload length", 0, 65535, &len) || expect_punct(p, ')'))
        return -1;
    if ((uint32_t)(a + len) != (uint32_t)b)
        return perr(p, e->line, "inconsistent sequence numbers %lld:%lld and payload length %lld",
                    (long long)a, (long long)b, (long long)len);
    k->seq = (uint32_t)a;
    k->len = (uint32_t)len;
    for (;;) {
        t = peek(p);
        int64_t v = 0;
        if (is_word(t, "ack")) {
            next(p);
            if (expect_int(p, "ack number", 0, UINT32_MAX, &v)) return -1;
            k->has_ack = true;
            k->ack = (uint32_t)v;
        } else if (is_word(t, "win")) {
            next(p);
            if (expect_int(p, "window", 0, 65535, &v)) return -1;
            k->has_win = true;
            k->win = (uint16_t)v;
        } else if (is_word(t, "urg")) {
            next(p);
            if (expect_int(p, "urgent pointer", 0, 65535, &v)) return -1;
            k->has_urg = true;
            k->urg = (uint16_t)v;
        } else {
            break;
        }
    }
    if (is_punct(peek(p), '<')) {
        next(p);
        int rc = parse_options(p, k, e->line);
        if (rc) return rc;
    }
    if (is_word(peek(p), "ipfrag")) { /* synack's own (packetdrill cannot inject IPv4 fragments) */
        next(p);
        if (k->outbound) return perr(p, e->line, "ipfrag: only inbound segments can be sent as fragments");
        if (is_word(peek(p), "id")) {
            next(p);
            int64_t id = 0;
            if (expect_int(p, "IPv4 identification", 0, 65535, &id)) return -1;
            k->has_frag_id = true;
            k->frag_id = (uint16_t)id;
        }
        do {
            int64_t fa = 0, fb = 0;
            if (k->nfrags == SC_MAX_FRAGS) return perr(p, e->line, "ipfrag: at most %d fragments", SC_MAX_FRAGS);
            if (expect_int(p, "fragment start", 0, 65528, &fa) || expect_punct(p, ':') ||
                expect_int(p, "fragment end", 1, 65535, &fb))
                return -1;
            if (fa % 8 != 0 || fb <= fa)
                return perr(p, e->line, "ipfrag %lld:%lld: a fragment starts at a multiple of 8 and ends after it",
                            (long long)fa, (long long)fb);
            k->frags[k->nfrags].start = (uint16_t)fa;
            k->frags[k->nfrags].end = (uint16_t)fb;
            k->nfrags++;
        } while (is_punct(peek(p), ',') && (next(p), true));
    }
    if (is_punct(peek(p), '{')) return skip(p, peek(p)->line, "packet fuzzing directives: not supported by synack script");
    return 0;
}

/* ---- system calls ---------------------------------------------------------- */

static int parse_expr(struct parser *p, struct sx **out);

static struct sx *new_sx(struct parser *p, enum sx_kind kind, int line)
{
    struct sx *x = sc_alloc(&p->s->arena, sizeof *x);
    if (x) {
        x->kind = kind;
        x->line = line;
    }
    return x;
}

/* expr (, expr)* up to the closing character; the opening one is taken. */
static int parse_expr_list(struct parser *p, char close, struct sx *into)
{
    struct sx *items[64];
    int n = 0;
    if (!is_punct(peek(p), close)) {
        for (;;) {
            if (n >= 64) return perr(p, peek(p)->line, "too many list items");
            if (parse_expr(p, &items[n])) return -1;
            n++;
            if (is_punct(peek(p), ',')) {
                next(p);
                continue;
            }
            break;
        }
    }
    if (expect_punct(p, close)) return -1;
    into->items = sc_alloc(&p->s->arena, (size_t)(n ? n : 1) * sizeof *into->items);
    if (!into->items) return perr(p, into->line, "out of memory");
    memcpy(into->items, items, (size_t)n * sizeof *items);
    into->n = n;
    return 0;
}

static int parse_primary(struct parser *p, struct sx **out)
{
    struct sc_token *t = peek(p);
    struct sx *x = NULL;
    switch (t->kind) {
    case TK_ELLIPSIS:
        next(p);
        x = new_sx(p, SX_ELLIPSIS, t->line);
        break;
    case TK_INT:
        next(p);
        if ((x = new_sx(p, SX_INT, t->line))) x->num = t->num;
        break;
    case TK_STRING:
        next(p);
        if ((x = new_sx(p, SX_STRING, t->line))) x->str = t->text;
        if (peek(p)->kind == TK_ELLIPSIS) next(p); /* "abc"... : a prefix; the runner ignores content */
        break;
    case TK_WORD:
        next(p);
        if (is_punct(peek(p), '(')) {
            next(p);
            if (!(x = new_sx(p, SX_CALL, t->line))) break;
            x->str = t->text;
            if (parse_expr_list(p, ')', x)) return -1;
        } else if (is_punct(peek(p), '=')) {
            next(p);
            if (!(x = new_sx(p, SX_ASSIGN, t->line))) break;
            x->str = t->text;
            if (parse_expr(p, &x->rhs)) return -1;
        } else if ((x = new_sx(p, SX_WORD, t->line))) {
            x->str = t->text;
        }
        break;
    case TK_PUNCT:
        if (t->c == '-' && peek2(p)->kind == TK_INT) {
            next(p);
            struct sc_token *v = next(p);
            if ((x = new_sx(p, SX_INT, t->line))) x->num = -v->num;
        } else if (t->c == '[' || t->c == '{') {
            next(p);
            if (!(x = new_sx(p, t->c == '[' ? SX_LIST : SX_BRACE, t->line))) break;
            if (parse_expr_list(p, t->c == '[' ? ']' : '}', x)) return -1;
        } else {
            return unexpected(p, "an argument");
        }
        break;
    default:
        return unexpected(p, "an argument");
    }
    if (!x) return perr(p, t->line, "out of memory");
    *out = x;
    return 0;
}

static int parse_expr(struct parser *p, struct sx **out)
{
    if (p->depth >= SC_MAX_NESTING)
        return perr(p, peek(p)->line, "expression nested more than %d levels deep", SC_MAX_NESTING);
    p->depth++;
    int rc = parse_primary(p, out);
    for (int terms = 1; rc == 0 && is_punct(peek(p), '|'); terms++) {
        int line = next(p)->line;
        if (terms >= SC_MAX_NESTING) {
            rc = perr(p, line, "more than %d terms joined with |", SC_MAX_NESTING);
            break;
        }
        struct sx *o = new_sx(p, SX_OR, line);
        if (!o) {
            rc = perr(p, line, "out of memory");
            break;
        }
        o->lhs = *out;
        rc = parse_primary(p, &o->rhs);
        *out = o;
    }
    p->depth--;
    return rc;
}

/* The calls synack script plays; anything else makes the script SKIP. */
static const char *const supported_calls[] = {
    "socket", "bind", "listen", "accept", "connect", "read", "write", "send", "recv",
    "sendto", "recvfrom", "shutdown", "close", "setsockopt", "getsockopt", "fcntl",
    "poll", "getsockname", "getpeername", "epoll_create", "epoll_ctl", "epoll_wait",
};

static int parse_syscall(struct parser *p, struct sc_event *e)
{
    struct sc_syscall *c = &e->sys;
    if (peek(p)->kind == TK_ELLIPSIS) {
        next(p);
        c->has_end = true;
        if (is_punct(peek(p), '+')) {
            next(p);
            c->end_rel = true;
        }
        if (parse_time_value(p, &c->end)) return -1;
    }
    struct sc_token *name = peek(p);
    if (name->kind != TK_WORD) return unexpected(p, "a system call name");
    next(p);
    c->name = name->text;
    bool known = false;
    for (size_t i = 0; i < sizeof supported_calls / sizeof *supported_calls; i++)
        if (!strcmp(c->name, supported_calls[i])) known = true;
    if (!known) {
        char *why = sc_alloc(&p->s->arena, 160);
        if (why) snprintf(why, 160, "system call %s(): synack has no equivalent", c->name);
        return skip(p, name->line, why ? why : "unsupported system call");
    }
    if (expect_punct(p, '(')) return -1;
    struct sx tmp = {.line = name->line};
    if (parse_expr_list(p, ')', &tmp)) return -1;
    if (tmp.n > SC_MAX_ARGS) return perr(p, name->line, "too many arguments");
    for (int i = 0; i < tmp.n; i++) c->args[i] = tmp.items[i];
    c->nargs = tmp.n;
    if (expect_punct(p, '=')) return -1;
    struct sc_token *r = peek(p);
    if (r->kind == TK_ELLIPSIS) {
        next(p);
        c->result_any = true;
    } else if (r->kind == TK_INT) {
        next(p);
        c->result = r->num;
    } else if (is_punct(r, '-') && peek2(p)->kind == TK_INT) {
        next(p);
        c->result = -next(p)->num;
    } else {
        return unexpected(p, "the expected result");
    }
    /* ERRNO (note): the note is free text up to the matching ')'. */
    if (peek(p)->kind == TK_WORD) c->errno_name = next(p)->text;
    if (is_punct(peek(p), '(')) {
        int depth = 0;
        do {
            struct sc_token *t = next(p);
            if (t->kind == TK_EOF) return perr(p, r->line, "unterminated (note)");
            if (is_punct(t, '(')) depth++;
            if (is_punct(t, ')')) depth--;
        } while (depth > 0);
    }
    return 0;
}

/* ---- script ---------------------------------------------------------------- */

static int parse_header_option(struct parser *p, struct sc_token *t)
{
    struct sc_script *s = p->s;
    const char *o = t->text;
    if (!strncmp(o, "--tolerance_usecs=", 18)) {
        char *end;
        long long v = strtoll(o + 18, &end, 10);
        if (*end || v < 0) return perr(p, t->line, "bad %s", o);
        s->has_tolerance = true;
        s->tolerance_usecs = v;
        return 0;
    }
    if (!strncmp(o, "--ip_version=", 13)) {
        if (strcmp(o + 13, "ipv4")) return skip(p, t->line, "IPv6 (--ip_version): synack is IPv4 only");
        return 0;
    }
    if (!strcmp(o, "--verbose")) return 0;
    if (s->nignored < (int)(sizeof s->ignored / sizeof *s->ignored)) s->ignored[s->nignored++] = o;
    return 0;
}

int sc_parse(struct sc_script *s, const char *text, size_t len)
{
    struct parser p = {.s = s};
    char lexerr[256] = "";
    if (sc_lex(&s->arena, text, len, &p.t, &p.n, lexerr, sizeof lexerr)) {
        snprintf(s->err, sizeof s->err, "%s: syntax error: %s", s->path, lexerr);
        return -1;
    }
    while (peek(&p)->kind == TK_OPTION) {
        struct sc_token *t = next(&p);
        int rc = parse_header_option(&p, t);
        if (rc < 0) return -1;
        if (rc > 0) return 0;
    }
    struct sc_event **tail = &s->events;
    while (peek(&p)->kind != TK_EOF) {
        struct sc_token *t = peek(&p);
        struct sc_event *e = sc_alloc(&s->arena, sizeof *e);
        if (!e) return perr(&p, t->line, "out of memory");
        e->line = t->line;
        if (t->kind == TK_BACKQ) {
            /* An init or cleanup command: no time, runs where it stands. */
            next(&p);
            e->kind = EV_SHELL;
            e->tk = ST_REL;
            e->text = t->text;
        } else {
            if (parse_event_time(&p, e)) return -1;
            t = peek(&p);
            int rc = 0;
            if (is_punct(t, '<') || is_punct(t, '>')) {
                e->kind = EV_PACKET;
                rc = parse_packet(&p, e);
            } else if (t->kind == TK_BACKQ) {
                next(&p);
                e->kind = EV_SHELL;
                e->text = t->text;
            } else if (t->kind == TK_CODE) {
                next(&p);
                e->kind = EV_CODE;
                e->text = t->text;
            } else if (t->kind == TK_WORD || t->kind == TK_ELLIPSIS) {
                e->kind = EV_SYSCALL;
                rc = parse_syscall(&p, e);
            } else {
                return unexpected(&p, "a packet (< or >), a system call or a `command`");
            }
            if (rc < 0) return -1;
            if (rc > 0) return 0;
            bool out_pkt = e->kind == EV_PACKET && e->pkt.outbound;
            if (!out_pkt && e->tk == ST_ANY)
                return perr(&p, e->line, "event time * can only be used with outbound packets");
            if (!out_pkt && (e->tk == ST_ABS_RANGE || e->tk == ST_REL_RANGE))
                return perr(&p, e->line, "event time range can only be used with outbound packets");
        }
        *tail = e;
        tail = &e->next;
    }
    /* A file with nothing to play tests nothing: that is an error, never a
     * PASS (an empty or truncated file, a wrong path to a generated one). */
    if (!s->events) return perr(&p, peek(&p)->line, "no events: the script tests nothing");
    return 0;
}
