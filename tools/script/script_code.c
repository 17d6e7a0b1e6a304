/*
 * script_code.c — the evaluator for `%{ ... }%` blocks (see script_code.h).
 *
 * Map: tcpi_* fields; tokens; expressions (values are integers or strings);
 * statements; sc_code_run.
 */
#include <ctype.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "script_code.h"

/* ---- tcpi_* fields ------------------------------------------------------------------ */

/* Linux's numbering of TCP states in tcpi_state (include/net/tcp_states.h). */
static int64_t linux_state(enum synack_tcp_state s)
{
    switch (s) {
    case SYNACK_ESTABLISHED: return 1;
    case SYNACK_SYN_SENT: return 2;
    case SYNACK_SYN_RCVD: return 3;
    case SYNACK_FIN_WAIT_1: return 4;
    case SYNACK_FIN_WAIT_2: return 5;
    case SYNACK_TIME_WAIT: return 6;
    case SYNACK_CLOSED: return 7;
    case SYNACK_CLOSE_WAIT: return 8;
    case SYNACK_LAST_ACK: return 9;
    case SYNACK_LISTEN: return 10;
    case SYNACK_CLOSING: return 11;
    }
    return 7;
}

bool sc_code_tcpi(const struct synack_tcp_info *t, const char *name, int64_t *v)
{
    uint32_t mss = t->snd_mss ? t->snd_mss : 1;
    if (!strcmp(name, "tcpi_state")) *v = linux_state(t->state);
    /* Linux's numbering: 0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss. */
    else if (!strcmp(name, "tcpi_ca_state")) *v = t->ca_state;
    else if (!strcmp(name, "tcpi_retransmits") || !strcmp(name, "tcpi_backoff")) *v = t->backoff;
    else if (!strcmp(name, "tcpi_options"))
        *v = (t->timestamps_ok ? 1 : 0) | (t->sack_ok ? 2 : 0) | (t->wscale_ok ? 4 : 0) | (t->ecn_ok ? 8 : 0) |
             (t->ecn_seen ? 16 : 0);
    else if (!strcmp(name, "tcpi_snd_wscale")) *v = t->snd_wscale;
    else if (!strcmp(name, "tcpi_rcv_wscale")) *v = t->rcv_wscale;
    else if (!strcmp(name, "tcpi_rto")) *v = t->rto_us;
    else if (!strcmp(name, "tcpi_snd_mss")) *v = t->snd_mss;
    /* Linux's advmss, like its mss, leaves room for the timestamp option. */
    else if (!strcmp(name, "tcpi_advmss")) *v = t->adv_mss - (t->timestamps_ok && t->adv_mss > 12 ? 12 : 0);
    else if (!strcmp(name, "tcpi_unacked")) *v = (t->unacked + mss - 1) / mss; /* segments */
    else if (!strcmp(name, "tcpi_rtt")) *v = t->rtt_us;
    else if (!strcmp(name, "tcpi_rttvar")) *v = t->rttvar_us;
    /* Linux reports an unset ssthresh as TCP_INFINITE_SSTHRESH. */
    else if (!strcmp(name, "tcpi_snd_ssthresh"))
        *v = t->ssthresh >= 0x7fffffffu ? 0x7fffffff : t->ssthresh / mss;
    else if (!strcmp(name, "tcpi_snd_cwnd")) *v = t->cwnd / mss;
    else if (!strcmp(name, "tcpi_total_retrans")) *v = t->total_retrans;
    /* The scoreboard's counts, in segments as Linux's. */
    else if (!strcmp(name, "tcpi_sacked")) *v = (t->sacked + mss - 1) / mss;
    else if (!strcmp(name, "tcpi_lost")) *v = (t->lost + mss - 1) / mss;
    else if (!strcmp(name, "tcpi_retrans")) *v = (t->retrans + mss - 1) / mss;
    else if (!strcmp(name, "tcpi_reordering")) *v = t->reordering;
    else if (!strcmp(name, "tcpi_reord_seen")) *v = t->reord_seen;
    else if (!strcmp(name, "tcpi_bytes_acked")) *v = (int64_t)t->bytes_acked;
    else if (!strcmp(name, "tcpi_bytes_received")) *v = (int64_t)t->bytes_received;
    else if (!strcmp(name, "tcpi_snd_wnd")) *v = t->snd_wnd;
    else if (!strcmp(name, "tcpi_rcv_wnd")) *v = t->rcv_wnd;
    else if (!strcmp(name, "tcpi_notsent_bytes")) *v = t->unsent;
    else if (!strcmp(name, "tcpi_pacing_rate")) *v = (int64_t)t->pacing_rate;
    else return false;
    return true;
}

/* ---- tokens ------------------------------------------------------------------------- */

enum tk { T_END, T_NL, T_INT, T_NAME, T_STR, T_OP };

struct ev {
    const char *p;                /* next character */
    enum tk k;                    /* current token */
    int64_t num;
    char text[128];               /* name, string or operator */
    struct sc_code_vars *vars;
    const struct synack_tcp_info *info;
    FILE *out;
    char *msg;
    size_t msg_len;
    jmp_buf fail;                 /* unsupported input */
};

static _Noreturn void unsupported(struct ev *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, e->msg_len, fmt, ap);
    va_end(ap);
    longjmp(e->fail, 1);
}

static void next(struct ev *e)
{
    while (*e->p == ' ' || *e->p == '\t' || *e->p == '\r' || *e->p == '\\') {
        if (*e->p == '\\' && e->p[1] == '\n') e->p++; /* line continuation */
        e->p++;
    }
    if (*e->p == '#')
        while (*e->p && *e->p != '\n') e->p++;
    const char *s = e->p;
    if (!*s) {
        e->k = T_END;
        return;
    }
    if (*s == '\n' || *s == ';') {
        e->k = T_NL;
        e->p++;
        return;
    }
    if (isdigit((unsigned char)*s)) {
        char *end;
        e->num = (int64_t)strtoll(s, &end, 0);
        e->p = end;
        e->k = T_INT;
        return;
    }
    if (isalpha((unsigned char)*s) || *s == '_') {
        size_t n = 0;
        while (isalnum((unsigned char)s[n]) || s[n] == '_') n++;
        if (n >= sizeof e->text) unsupported(e, "a name longer than %zu characters", sizeof e->text - 1);
        memcpy(e->text, s, n);
        e->text[n] = '\0';
        e->p = s + n;
        e->k = T_NAME;
        return;
    }
    if (*s == '\'' || *s == '"') {
        char q = *s;
        size_t n = 0;
        s++;
        while (*s && *s != q && *s != '\n') {
            if (n + 1 < sizeof e->text) e->text[n++] = *s;
            s++;
        }
        if (*s != q) unsupported(e, "an unterminated string");
        e->text[n] = '\0';
        e->p = s + 1;
        e->k = T_STR;
        return;
    }
    static const char *const ops[] = {"//", "==", "!=", "<=", ">=", "+=", "-=", "+", "-", "*", "/",
                                      "%",  "<",  ">",  "(",  ")",  ",",  "="};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        size_t n = strlen(ops[i]);
        if (!strncmp(s, ops[i], n)) {
            memcpy(e->text, ops[i], n + 1);
            e->p = s + n;
            e->k = T_OP;
            return;
        }
    }
    unsupported(e, "the character '%c'", *s);
}

static bool is_op(const struct ev *e, const char *op) { return e->k == T_OP && !strcmp(e->text, op); }
static bool is_word(const struct ev *e, const char *w) { return e->k == T_NAME && !strcmp(e->text, w); }

static void expect_op(struct ev *e, const char *op)
{
    if (!is_op(e, op)) unsupported(e, "'%s' expected", op);
    next(e);
}

/* ---- expressions -------------------------------------------------------------------- */

struct val {
    bool is_str;
    int64_t i;
    char s[160];
};

static int64_t *var_slot(struct sc_code_vars *v, const char *name, bool create)
{
    for (unsigned i = 0; i < v->n; i++)
        if (!strcmp(v->v[i].name, name)) return &v->v[i].value;
    if (!create || v->n == SC_CODE_MAX_VARS || strlen(name) >= sizeof v->v[0].name) return NULL;
    snprintf(v->v[v->n].name, sizeof v->v[0].name, "%s", name);
    v->v[v->n].value = 0;
    return &v->v[v->n++].value;
}

static int64_t lookup(struct ev *e, const char *name)
{
    static const struct {
        const char *name;
        int64_t v;
    } consts[] = {{"TCP_CA_Open", 0},     {"TCP_CA_Disorder", 1}, {"TCP_CA_CWR", 2},
                  {"TCP_CA_Recovery", 3}, {"TCP_CA_Loss", 4},     {"True", 1},
                  {"False", 0}};
    int64_t *slot = var_slot(e->vars, name, false);
    if (slot) return *slot;
    if (!strncmp(name, "tcpi_", 5)) {
        int64_t v;
        if (!e->info) unsupported(e, "%s: no connected socket to read TCP_INFO from", name);
        if (!sc_code_tcpi(e->info, name, &v)) unsupported(e, "%s: synack does not report this TCP_INFO field", name);
        return v;
    }
    for (size_t i = 0; i < sizeof consts / sizeof *consts; i++)
        if (!strcmp(consts[i].name, name)) return consts[i].v;
    unsupported(e, "the name %s", name);
}

static struct val expr(struct ev *e);

static int64_t as_int(struct ev *e, const struct val *v)
{
    if (v->is_str) unsupported(e, "a string where a number is needed");
    return v->i;
}

/* Python's '...' % value for %d, %u, %i, %s and %x. */
static void format_str(struct val *out, const char *fmt, int64_t arg)
{
    size_t n = 0;
    bool used = false;
    for (const char *f = fmt; *f && n + 1 < sizeof out->s; f++) {
        if (*f == '%' && !used && f[1] && strchr("duisx", f[1])) {
            n += (size_t)snprintf(out->s + n, sizeof out->s - n, f[1] == 'x' ? "%" PRIx64 : "%" PRId64, arg);
            if (n >= sizeof out->s) n = sizeof out->s - 1;
            used = true;
            f++;
        } else {
            out->s[n++] = *f;
        }
    }
    out->s[n] = '\0';
}

static struct val primary(struct ev *e)
{
    struct val v = {0};
    if (e->k == T_INT) {
        v.i = e->num;
        next(e);
    } else if (e->k == T_STR) {
        v.is_str = true;
        snprintf(v.s, sizeof v.s, "%s", e->text);
        next(e);
    } else if (is_op(e, "(")) {
        next(e);
        v = expr(e);
        expect_op(e, ")");
    } else if (e->k == T_NAME && !is_word(e, "and") && !is_word(e, "or") && !is_word(e, "not")) {
        char name[128];
        snprintf(name, sizeof name, "%s", e->text);
        next(e);
        if (is_op(e, "(")) unsupported(e, "the call %s()", name);
        v.i = lookup(e, name);
    } else {
        unsupported(e, "an expression expected");
    }
    return v;
}

static struct val unary(struct ev *e)
{
    if (is_op(e, "-")) {
        next(e);
        struct val v = unary(e);
        v.i = -as_int(e, &v);
        return v;
    }
    return primary(e);
}

static struct val term(struct ev *e)
{
    struct val a = unary(e);
    for (;;) {
        const char *op = is_op(e, "*") ? "*" : is_op(e, "/") ? "/" : is_op(e, "//") ? "//" : is_op(e, "%") ? "%" : NULL;
        if (!op) return a;
        next(e);
        struct val b = unary(e);
        if (a.is_str && op[0] == '%') {
            struct val r = {.is_str = true};
            format_str(&r, a.s, as_int(e, &b));
            a = r;
            continue;
        }
        int64_t x = as_int(e, &a), y = as_int(e, &b);
        if (op[0] != '*' && y == 0) unsupported(e, "division by zero");
        if (op[0] == '*') a.i = x * y;
        else if (op[0] == '%') a.i = ((x % y) + y) % y; /* Python's sign rule */
        else a.i = (x / y) - (((x % y) != 0) && ((x < 0) != (y < 0))); /* floor */
    }
}

static struct val arith(struct ev *e)
{
    struct val a = term(e);
    while (is_op(e, "+") || is_op(e, "-")) {
        bool plus = is_op(e, "+");
        next(e);
        struct val b = term(e);
        a.i = plus ? as_int(e, &a) + as_int(e, &b) : as_int(e, &a) - as_int(e, &b);
    }
    return a;
}

static int cmp_op(const struct ev *e)
{
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    if (e->k != T_OP) return -1;
    for (int i = 0; i < 6; i++)
        if (!strcmp(e->text, ops[i])) return i;
    return -1;
}

/* a < b <= c means a < b and b <= c, as in Python. */
static struct val comparison(struct ev *e)
{
    struct val a = arith(e);
    int op = cmp_op(e);
    if (op < 0) return a;
    bool all = true;
    while (op >= 0) {
        next(e);
        struct val b = arith(e);
        int64_t x = as_int(e, &a), y = as_int(e, &b);
        bool r = op == 0 ? x == y : op == 1 ? x != y : op == 2 ? x < y : op == 3 ? x <= y : op == 4 ? x > y : x >= y;
        all = all && r;
        a = b;
        op = cmp_op(e);
    }
    struct val v = {.i = all};
    return v;
}

static struct val not_expr(struct ev *e)
{
    if (is_word(e, "not")) {
        next(e);
        struct val v = not_expr(e);
        v.i = !as_int(e, &v);
        return v;
    }
    return comparison(e);
}

static struct val and_expr(struct ev *e)
{
    struct val a = not_expr(e);
    while (is_word(e, "and")) {
        next(e);
        struct val b = not_expr(e);
        a.i = as_int(e, &a) && as_int(e, &b);
    }
    return a;
}

static struct val expr(struct ev *e)
{
    struct val a = and_expr(e);
    while (is_word(e, "or")) {
        next(e);
        struct val b = and_expr(e);
        a.i = as_int(e, &a) || as_int(e, &b);
    }
    return a;
}

/* ---- statements --------------------------------------------------------------------- */

static void end_of_statement(struct ev *e)
{
    if (e->k != T_NL && e->k != T_END) unsupported(e, "unexpected '%s' after a statement", e->text);
}

/* Returns false when an assertion failed (e->msg filled). */
static bool statement(struct ev *e)
{
    if (is_word(e, "assert")) {
        const char *cond_start = e->p;
        while (*cond_start == ' ' || *cond_start == '\t') cond_start++;
        next(e);
        struct val c = expr(e);
        struct val m = {.is_str = true};
        bool has_msg = false;
        if (is_op(e, ",")) {
            next(e);
            m = expr(e);
            has_msg = true;
        }
        end_of_statement(e);
        if (as_int(e, &c)) return true;
        int len = 0;
        while (cond_start[len] && cond_start[len] != ',' && cond_start[len] != ';' && cond_start[len] != '\n') len++;
        while (len > 0 && cond_start[len - 1] == ' ') len--;
        if (!has_msg) snprintf(e->msg, e->msg_len, "%.*s", len, cond_start);
        else if (m.is_str) snprintf(e->msg, e->msg_len, "%.*s: %s", len, cond_start, m.s);
        else snprintf(e->msg, e->msg_len, "%.*s: %" PRId64, len, cond_start, m.i);
        return false;
    }
    if (is_word(e, "print")) {
        next(e);
        expect_op(e, "(");
        struct val v = expr(e);
        expect_op(e, ")");
        end_of_statement(e);
        if (e->out) {
            if (v.is_str) fprintf(e->out, "  print: %s\n", v.s);
            else fprintf(e->out, "  print: %" PRId64 "\n", v.i);
        }
        return true;
    }
    if (e->k == T_NAME) {
        char name[128];
        snprintf(name, sizeof name, "%s", e->text);
        next(e);
        if (is_op(e, "=") || is_op(e, "+=") || is_op(e, "-=")) {
            char op = e->text[0];
            next(e);
            struct val v = expr(e);
            end_of_statement(e);
            int64_t x = as_int(e, &v);
            if (!strncmp(name, "tcpi_", 5)) unsupported(e, "assignment to %s", name);
            int64_t *slot = var_slot(e->vars, name, op == '=');
            if (!slot && op == '=') unsupported(e, "more than %d variables", SC_CODE_MAX_VARS);
            if (!slot) unsupported(e, "%s used before it is set", name);
            *slot = op == '=' ? x : op == '+' ? *slot + x : *slot - x;
            return true;
        }
        unsupported(e, "the statement starting with %s", name);
    }
    unsupported(e, "a statement expected");
}

enum sc_code_result sc_code_run(struct sc_code_vars *vars, const char *text, const struct synack_tcp_info *info,
                                FILE *out, char *msg, size_t msg_len)
{
    struct ev e = {.p = text, .vars = vars, .info = info, .out = out, .msg = msg, .msg_len = msg_len};
    if (msg_len) msg[0] = '\0';
    if (setjmp(e.fail)) return SC_CODE_UNSUPPORTED;
    for (;;) {
        next(&e);
        while (e.k == T_NL) next(&e);
        if (e.k == T_END) return SC_CODE_OK;
        if (!statement(&e)) return SC_CODE_FAILED;
    }
}
