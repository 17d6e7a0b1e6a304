/*
 * iperf3.c — iperf3's server protocol on synack (see iperf3.h).
 *
 * Map: the JSON reader (only what the parameters need: a flat object of
 * numbers, booleans and strings; nested values are skipped, depth bounded);
 * the control connection's buffers; the phases of a test; the data streams;
 * the results object; the public entry points.
 *
 * Threads (serve --threads): every thread has its own server on its own
 * stack, all sharing one struct iperf3_shared. The server that reads a
 * cookie while no test runs takes the control connection and drives the
 * test; a connection with the test's cookie, on any thread, joins it as a
 * stream and is run by the thread it landed on. The test's state (run) and
 * each stream's bytes are atomics; whoever changes run wakes the others.
 *
 * Bounds: at most IPERF3_MAX_PENDING connections sending a cookie (each gets
 * COOKIE_WAIT_US to do it), at most IPERF3_MAX_STREAMS streams, JSON objects
 * of at most IPERF3_MAX_JSON bytes; anything beyond is refused and closed.
 */
#define _GNU_SOURCE
#include "iperf3.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define COOKIE_SIZE 37
#define IPERF3_MAX_PENDING 64
#define IPERF3_MAX_STREAMS 128
#define IPERF3_MAX_JSON 65536
#define IPERF3_MAX_BLOCK (16u << 20)
#define COOKIE_WAIT_US 10000000u  /* a connection must send its cookie within 10 s */
#define SETUP_WAIT_US 20000000u   /* parameters and streams within 20 s */
#define END_GRACE_US 10000000u    /* a timed test ends at most 10 s late */

/* One-byte states on the control connection. */
enum {
    ST_TEST_START = 1,
    ST_TEST_RUNNING = 2,
    ST_TEST_END = 4,
    ST_PARAM_EXCHANGE = 9,
    ST_CREATE_STREAMS = 10,
    ST_CLIENT_TERMINATE = 12,
    ST_EXCHANGE_RESULTS = 13,
    ST_DISPLAY_RESULTS = 14,
    ST_IPERF_DONE = 16,
    ST_ACCESS_DENIED = -1,
    ST_SERVER_ERROR = -2,
};
/* iperf3's error numbers the client prints a sentence for. */
enum { IE_NUMSTREAMS = 6, IE_BLOCKSIZE = 7, IE_UNIMP = 13, IE_RECVPARAMS = 114, IE_PROTOCOL = 131 };

/* ---- JSON (just enough) --------------------------------------------------------- */

struct jcur {
    const char *p, *end;
};

static void j_ws(struct jcur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')) c->p++;
}

/* A string: copies up to cap-1 bytes of it (escapes kept as written). */
static int j_string(struct jcur *c, char *out, size_t cap)
{
    size_t n = 0;
    if (c->p >= c->end || *c->p != '"') return -1;
    c->p++;
    while (c->p < c->end && *c->p != '"') {
        if (*c->p == '\\') {
            if (++c->p >= c->end) return -1;
        }
        if (out && n + 1 < cap) out[n++] = *c->p;
        c->p++;
    }
    if (c->p >= c->end) return -1;
    c->p++;
    if (out) out[n] = '\0';
    return 0;
}

static int j_skip(struct jcur *c, int depth);

static int j_skip_container(struct jcur *c, char close, int depth)
{
    c->p++;
    j_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        j_ws(c);
        if (close == '}') {
            if (j_string(c, NULL, 0) != 0) return -1;
            j_ws(c);
            if (c->p >= c->end || *c->p != ':') return -1;
            c->p++;
        }
        if (j_skip(c, depth + 1) != 0) return -1;
        j_ws(c);
        if (c->p >= c->end) return -1;
        if (*c->p == ',') {
            c->p++;
            continue;
        }
        if (*c->p != close) return -1;
        c->p++;
        return 0;
    }
}

/* Skips one value of any kind. */
static int j_skip(struct jcur *c, int depth)
{
    if (depth > 16) return -1;
    j_ws(c);
    if (c->p >= c->end) return -1;
    char ch = *c->p;
    if (ch == '"') return j_string(c, NULL, 0);
    if (ch == '{') return j_skip_container(c, '}', depth);
    if (ch == '[') return j_skip_container(c, ']', depth);
    const char *s = c->p;
    while (c->p < c->end && (strchr("+-.eE", *c->p) || (*c->p >= '0' && *c->p <= '9') ||
                             (*c->p >= 'a' && *c->p <= 'z')))
        c->p++;
    return c->p > s ? 0 : -1;
}

/* Reads a scalar (number, true, false, null) as text. */
static int j_scalar(struct jcur *c, char *out, size_t cap)
{
    j_ws(c);
    const char *s = c->p;
    if (c->p < c->end && (*c->p == '{' || *c->p == '[' || *c->p == '"')) {
        if (j_skip(c, 0) != 0) return -1;
        snprintf(out, cap, "?");
        return 0;
    }
    if (j_skip(c, 0) != 0) return -1;
    size_t n = (size_t)(c->p - s);
    if (n >= cap) n = cap - 1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

static bool j_number(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || *end || end == v || !isfinite(d) || d < lo || d > hi) return false;
    *out = d;
    return true;
}

int iperf3_parse_params(const char *json, size_t len, struct iperf3_params *p, const char **why)
{
    memset(p, 0, sizeof *p);
    p->parallel = 1;
    p->len = 128 * 1024;
    p->time_s = 10;
    struct jcur c = {json, json + len};
    *why = "not a JSON object";
    j_ws(&c);
    if (c.p >= c.end || *c.p != '{') return -1;
    c.p++;
    j_ws(&c);
    if (c.p < c.end && *c.p == '}') {
        c.p++;
    } else {
        for (;;) {
            char key[40], val[64];
            j_ws(&c);
            if (j_string(&c, key, sizeof key) != 0) return -1;
            j_ws(&c);
            if (c.p >= c.end || *c.p != ':') return -1;
            c.p++;
            if (j_scalar(&c, val, sizeof val) != 0) return -1;
            bool t = !strcmp(val, "true");
            double d;
            if (!strcmp(key, "tcp")) p->tcp = t;
            else if (!strcmp(key, "udp")) p->udp = t;
            else if (!strcmp(key, "sctp")) p->sctp = t;
            else if (!strcmp(key, "reverse")) p->reverse = t;
            else if (!strcmp(key, "bidirectional")) p->bidirectional = t;
            else if (!strcmp(key, "get_server_output")) p->server_output = t || !strcmp(val, "1");
            else if (!strcmp(key, "time") || !strcmp(key, "num") || !strcmp(key, "blockcount") ||
                     !strcmp(key, "parallel") || !strcmp(key, "len") || !strcmp(key, "omit")) {
                *why = "a number out of range";
                if (!j_number(val, 0, 1e18, &d)) return -1;
                if (!strcmp(key, "time")) p->time_s = d;
                else if (!strcmp(key, "num")) p->bytes = (uint64_t)d;
                else if (!strcmp(key, "blockcount")) p->blocks = (uint64_t)d;
                else if (!strcmp(key, "parallel")) p->parallel = d > 1e6 ? 1000000u : (unsigned)d;
                else if (!strcmp(key, "len")) p->len = d > 1e9 ? 1000000000u : (uint32_t)d;
                else p->omit_s = d > 1e6 ? 1000000u : (unsigned)d;
                *why = "not a JSON object";
            }
            j_ws(&c);
            if (c.p >= c.end) return -1;
            if (*c.p == ',') {
                c.p++;
                continue;
            }
            if (*c.p != '}') return -1;
            c.p++;
            break;
        }
    }
    j_ws(&c);
    if (c.p != c.end && !(c.end - c.p == 1 && *c.p == '\0')) return -1;
    if (p->bytes || p->blocks) p->time_s = 0; /* -n and -k end the test, not time */
    *why = NULL;
    return 0;
}

/* ---- state ------------------------------------------------------------------------ */

#define IPERF3_MAX_MEMBERS 64

struct pending {
    int sd;
    uint8_t cookie[COOKIE_SIZE];
    size_t got;
    uint64_t deadline;
};

/* What the data streams of test `gen` do (iperf3_shared.run). */
enum run {
    RUN_SETUP,    /* streams joining */
    RUN_RUNNING,  /* bytes counted */
    RUN_ENDED,    /* TEST_END came: counts frozen, senders closed */
    RUN_OVER,     /* the test is over: its streams close */
};

struct iperf3_shared {
    pthread_mutex_t mu;
    /* under mu */
    bool busy;               /* a server holds a control connection */
    bool accepting;          /* streams may join (CREATE_STREAMS sent) */
    uint8_t cookie[COOKIE_SIZE];
    unsigned want, joined;
    bool reverse;
    uint32_t len;            /* -l */
    int ids[IPERF3_MAX_STREAMS];
    /* set before run becomes RUN_RUNNING, read after */
    uint64_t send_limit;     /* reverse with -n/-k: bytes to send in all (0: until TEST_END) */
    /* lock-free */
    atomic_uint_fast64_t gen;              /* the current test's number */
    atomic_int run;                        /* enum run, of test gen */
    atomic_bool graceful;                  /* how the streams of an aborted test close */
    atomic_bool failed;                    /* a stream of test gen failed */
    atomic_uint_fast64_t sent;             /* reverse: bytes taken by all streams against send_limit */
    atomic_uint_fast64_t bytes[IPERF3_MAX_STREAMS];   /* by join order */
    atomic_int_fast64_t retrans[IPERF3_MAX_STREAMS];
    /* the members, to wake them (registered before the threads start) */
    unsigned members, nmembers;
    void (*wake[IPERF3_MAX_MEMBERS])(void *);
    void *wake_ctx[IPERF3_MAX_MEMBERS];
};

struct stream {
    int sd;
    unsigned idx;            /* join order: its slot in the shared arrays */
    uint64_t gen;            /* its test */
    bool sender;             /* synack sends on it (reverse) */
    bool eof, failed, shut, started;
    uint64_t bytes;          /* counted during the test */
    uint64_t pos;            /* bytes sent: where in the block the next byte is */
    uint32_t retrans0;
};

enum phase {
    PH_IDLE,
    PH_PARAMS,    /* PARAM_EXCHANGE sent, reading the parameter object */
    PH_STREAMS,   /* CREATE_STREAMS sent, waiting for the data connections */
    PH_RUNNING,   /* TEST_RUNNING sent, moving data until TEST_END */
    PH_RESULTS,   /* EXCHANGE_RESULTS sent, reading the client's results */
    PH_FINISH,    /* DISPLAY_RESULTS sent, waiting for IPERF_DONE */
    PH_CLOSING,   /* refused: flushing the error, then closing */
};

struct iperf3_server {
    synack_stack *stack;
    FILE *log;
    struct iperf3_shared *sh;
    bool own_sh;             /* made by iperf3_server_new: freed with the server */
    unsigned member;
    struct pending pend[IPERF3_MAX_PENDING];
    size_t npend;
    /* the streams on this server's stack */
    struct stream streams[IPERF3_MAX_STREAMS];
    unsigned nstreams;
    uint8_t *block;          /* what the sending streams send */
    uint32_t block_len;
    /* the test, when this server holds its control connection */
    enum phase phase;
    int ctrl;
    struct synack_endpoint peer;
    uint8_t *cin;            /* control input: 4-byte length + JSON, or state bytes */
    size_t cin_len;
    uint8_t *cout;           /* control output */
    size_t cout_off, cout_len;
    struct iperf3_params P;
    uint64_t deadline;       /* of the current phase (0: none) */
    uint64_t t_start, t_end;
    struct rusage ru_start;
    uint64_t bytes_at_end[IPERF3_MAX_STREAMS];
    uint64_t tests;
};

static void wake_others(struct iperf3_server *s)
{
    struct iperf3_shared *sh = s->sh;
    for (unsigned i = 0; i < sh->nmembers; i++)
        if (i != s->member && sh->wake[i]) sh->wake[i](sh->wake_ctx[i]);
}

/* ---- the control connection --------------------------------------------------------- */

static void ctrl_put(struct iperf3_server *s, const void *data, size_t n)
{
    if (s->cout_len + n > IPERF3_MAX_JSON + 64) return; /* cannot happen: bounded objects */
    memcpy(s->cout + s->cout_len, data, n);
    s->cout_len += n;
}

static void ctrl_state(struct iperf3_server *s, int state)
{
    uint8_t b = (uint8_t)(int8_t)state;
    ctrl_put(s, &b, 1);
}

static void ctrl_put_object(struct iperf3_server *s, const char *json, size_t n)
{
    uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    ctrl_put(s, len, 4);
    ctrl_put(s, json, n);
}

/* false: the control connection failed. */
static bool ctrl_flush(struct iperf3_server *s)
{
    while (s->cout_off < s->cout_len) {
        ssize_t n = synack_send(s->stack, s->ctrl, s->cout + s->cout_off, s->cout_len - s->cout_off);
        if (n == -EAGAIN) return true;
        if (n < 0) return false;
        s->cout_off += (size_t)n;
    }
    s->cout_off = s->cout_len = 0;
    return true;
}

/* Reads what is waiting into cin, at most up to `want` bytes in all.
 * Returns 1 at EOF, -1 on error, 0 otherwise. */
static int ctrl_read(struct iperf3_server *s, size_t want)
{
    while (s->cin_len < want) {
        ssize_t n = synack_recv(s->stack, s->ctrl, s->cin + s->cin_len, want - s->cin_len);
        if (n == -EAGAIN) return 0;
        if (n < 0) return -1;
        if (n == 0) return 1;
        s->cin_len += (size_t)n;
    }
    return 0;
}

/* A length-prefixed object: returns its length once complete (in cin + 4),
 * 0 while incomplete, -1 on EOF/error/oversize. */
static long ctrl_object(struct iperf3_server *s)
{
    int r = ctrl_read(s, 4);
    if (r != 0) return -1;
    if (s->cin_len < 4) return 0;
    uint32_t n = (uint32_t)s->cin[0] << 24 | (uint32_t)s->cin[1] << 16 | (uint32_t)s->cin[2] << 8 | s->cin[3];
    if (n == 0 || n > IPERF3_MAX_JSON) return -1;
    r = ctrl_read(s, 4 + (size_t)n);
    if (r != 0) return -1;
    return s->cin_len == 4 + (size_t)n ? (long)n : 0;
}

/* ---- the test ------------------------------------------------------------------------ */

static void close_sd(struct iperf3_server *s, int sd, bool graceful)
{
    if (sd < 0) return;
    if (!graceful) {
        struct synack_linger lg = {1, 0};
        synack_setsockopt(s->stack, sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    }
    synack_close(s->stack, sd);
}

/* Closes this server's streams of tests that are over. */
static void reap_streams(struct iperf3_server *s, bool all, bool graceful)
{
    uint64_t gen = atomic_load(&s->sh->gen);
    int run = atomic_load(&s->sh->run);
    for (unsigned i = 0; i < s->nstreams;) {
        struct stream *st = &s->streams[i];
        bool over = st->gen != gen || run == RUN_OVER;
        if (!all && !over) {
            i++;
            continue;
        }
        close_sd(s, st->sd, all ? graceful : atomic_load(&s->sh->graceful));
        s->streams[i] = s->streams[--s->nstreams];
    }
}

static void end_test(struct iperf3_server *s, bool graceful, const char *why)
{
    if (s->phase == PH_IDLE) return;
    if (s->log && why) {
        char a[16];
        fprintf(s->log, "synack serve: iperf3 test from %s: %s\n", synack_format_ipv4(s->peer.addr, a), why);
    }
    struct iperf3_shared *sh = s->sh;
    pthread_mutex_lock(&sh->mu);
    atomic_store(&sh->graceful, graceful);
    atomic_store(&sh->run, RUN_OVER);
    sh->busy = sh->accepting = false;
    pthread_mutex_unlock(&sh->mu);
    reap_streams(s, false, graceful);
    wake_others(s);
    ctrl_flush(s);
    close_sd(s, s->ctrl, graceful);
    s->ctrl = -1;
    s->phase = PH_IDLE;
    s->cin_len = s->cout_off = s->cout_len = 0;
    s->deadline = 0;
}

static void refuse(struct iperf3_server *s, int ierr, const char *why)
{
    ctrl_state(s, ST_SERVER_ERROR);
    uint8_t e[8] = {0};
    e[0] = (uint8_t)(ierr >> 24);
    e[1] = (uint8_t)(ierr >> 16);
    e[2] = (uint8_t)(ierr >> 8);
    e[3] = (uint8_t)ierr;
    ctrl_put(s, e, 8);
    if (s->log) {
        char a[16];
        fprintf(s->log, "synack serve: iperf3 test from %s refused: %s\n", synack_format_ipv4(s->peer.addr, a), why);
    }
    s->phase = PH_CLOSING;
}

static double elapsed_s(uint64_t from, uint64_t to)
{
    return to > from ? (double)(to - from) / 1e6 : 0;
}

static double tv_s(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

/* Our results object (the one the client prints as the server's side). */
static size_t results_json(struct iperf3_server *s, char *out, size_t cap)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double wall = elapsed_s(s->t_start, s->t_end);
    double user = tv_s(ru.ru_utime) - tv_s(s->ru_start.ru_utime);
    double sys = tv_s(ru.ru_stime) - tv_s(s->ru_start.ru_stime);
    double pu = wall > 0 ? 100 * user / wall : 0, ps = wall > 0 ? 100 * sys / wall : 0;
    bool sender = s->P.reverse;
    struct iperf3_shared *sh = s->sh;
    size_t n = 0;
    n += (size_t)snprintf(out + n, cap - n,
                          "{\"cpu_util_total\":%.6f,\"cpu_util_user\":%.6f,\"cpu_util_system\":%.6f,"
                          "\"sender_has_retransmits\":%d,\"congestion_used\":\"synack\",\"streams\":[",
                          pu + ps, pu, ps, sender ? 1 : -1);
    for (unsigned i = 0; i < sh->want && n < cap; i++) {
        long long retr = sender ? (long long)atomic_load(&sh->retrans[i]) : -1;
        n += (size_t)snprintf(out + n, cap - n,
                              "%s{\"id\":%d,\"bytes\":%" PRIu64 ",\"retransmits\":%lld,\"jitter\":0,\"errors\":0,"
                              "\"packets\":0,\"start_time\":0,\"end_time\":%.6f}",
                              i ? "," : "", sh->ids[i], s->bytes_at_end[i], retr, wall);
    }
    if (n < cap) n += (size_t)snprintf(out + n, cap - n, "]}");
    return n < cap ? n : 0;
}

static void start_test(struct iperf3_server *s, uint64_t now)
{
    struct iperf3_shared *sh = s->sh;
    ctrl_state(s, ST_TEST_START);
    ctrl_state(s, ST_TEST_RUNNING);
    s->phase = PH_RUNNING;
    s->t_start = now;
    getrusage(RUSAGE_SELF, &s->ru_start);
    s->deadline = s->P.time_s > 0 ? now + (uint64_t)((s->P.time_s + s->P.omit_s) * 1e6) + END_GRACE_US : 0;
    pthread_mutex_lock(&sh->mu);
    sh->accepting = false;
    sh->send_limit = 0;
    if (s->P.reverse && s->P.bytes) sh->send_limit = (s->P.bytes + s->P.len - 1) / s->P.len * s->P.len;
    if (s->P.reverse && s->P.blocks) sh->send_limit = s->P.blocks * s->P.len;
    atomic_store(&sh->sent, 0);
    atomic_store(&sh->run, RUN_RUNNING);
    pthread_mutex_unlock(&sh->mu);
    wake_others(s);
    if (s->log) {
        char a[16];
        fprintf(s->log, "synack serve: iperf3 test from %s: %u stream(s), %s, %s\n",
                synack_format_ipv4(s->peer.addr, a), sh->want,
                s->P.reverse ? "synack sends (-R)" : "synack receives",
                s->P.bytes ? "until -n bytes" : s->P.blocks ? "until -k blocks" : "timed");
    }
}

static void got_params(struct iperf3_server *s, uint64_t now, size_t n)
{
    const char *why;
    if (iperf3_parse_params((const char *)s->cin + 4, n, &s->P, &why) != 0) {
        refuse(s, IE_RECVPARAMS, why);
        return;
    }
    s->cin_len = 0;
    if (s->P.udp || s->P.sctp || !s->P.tcp) {
        refuse(s, IE_PROTOCOL, "only TCP tests are served");
        return;
    }
    if (s->P.bidirectional) {
        refuse(s, IE_UNIMP, "--bidir is not served");
        return;
    }
    if (s->P.parallel < 1 || s->P.parallel > IPERF3_MAX_STREAMS) {
        refuse(s, IE_NUMSTREAMS, "too many parallel streams");
        return;
    }
    if (s->P.len < 1 || s->P.len > IPERF3_MAX_BLOCK) {
        refuse(s, IE_BLOCKSIZE, "block size out of range");
        return;
    }
    struct iperf3_shared *sh = s->sh;
    pthread_mutex_lock(&sh->mu);
    sh->want = s->P.parallel;
    sh->joined = 0;
    sh->reverse = s->P.reverse;
    sh->len = s->P.len;
    sh->accepting = true;
    pthread_mutex_unlock(&sh->mu);
    ctrl_state(s, ST_CREATE_STREAMS);
    s->phase = PH_STREAMS;
    s->deadline = now + SETUP_WAIT_US;
}

/* This server's block for sending streams, len bytes: byte i = 131 i + 7. */
static bool ensure_block(struct iperf3_server *s, uint32_t len)
{
    if (s->block && s->block_len == len) return true;
    free(s->block);
    s->block = malloc(len);
    s->block_len = s->block ? len : 0;
    if (!s->block) return false;
    for (uint32_t i = 0; i < len; i++) s->block[i] = (uint8_t)(i * 131u + 7u);
    return true;
}

/* Bytes a sending stream may send now, against the test's -n/-k limit
 * (taken from the shared count: exact with several threads). */
static size_t take_quota(struct iperf3_shared *sh, size_t want)
{
    if (!sh->send_limit) return want;
    uint_fast64_t cur = atomic_load(&sh->sent);
    for (;;) {
        if (cur >= sh->send_limit) return 0;
        size_t w = want;
        if (w > sh->send_limit - cur) w = (size_t)(sh->send_limit - cur);
        if (atomic_compare_exchange_weak(&sh->sent, &cur, cur + w)) return w;
    }
}

/* Moves data on this server's streams. */
static void run_streams(struct iperf3_server *s)
{
    struct iperf3_shared *sh = s->sh;
    int run = atomic_load(&sh->run);
    uint64_t gen = atomic_load(&sh->gen);
    for (unsigned i = 0; i < s->nstreams; i++) {
        struct stream *st = &s->streams[i];
        if (st->failed || st->gen != gen) continue;
        if (run == RUN_RUNNING && !st->started) {
            st->started = true;
            struct synack_tcp_info ti;
            if (synack_getinfo(s->stack, st->sd, &ti) == 0) st->retrans0 = ti.total_retrans;
        }
        if (!st->sender) {
            /* The bytes are counted, not looked at: consumed in place
             * (zero-copy), never copied out of the receive buffer. */
            uint64_t before = st->bytes;
            for (int k = 0; k < 256 && !st->eof; k++) {
                const void *view;
                ssize_t n = synack_recv_peek(s->stack, st->sd, &view);
                if (n == -EAGAIN) break;
                if (n > 0 && synack_recv_consume(s->stack, st->sd, (size_t)n) != 0) n = -EINVAL;
                if (n < 0) st->failed = true;
                else if (n == 0) st->eof = true;
                else if (run == RUN_RUNNING) st->bytes += (uint64_t)n;
                if (n < 0) break;
            }
            if (st->bytes != before) atomic_store(&sh->bytes[st->idx], st->bytes);
        } else if (run == RUN_RUNNING) {
            for (int k = 0; k < 64; k++) {
                size_t want = take_quota(sh, sh->len - (size_t)(st->pos % sh->len));
                if (want == 0) break;
                ssize_t n = synack_send(s->stack, st->sd, s->block + st->pos % sh->len, want);
                if (sh->send_limit && (n < 0 || (size_t)n < want))
                    atomic_fetch_sub(&sh->sent, (uint_fast64_t)(want - (n > 0 ? (size_t)n : 0)));
                if (n == -EAGAIN) break;
                if (n < 0) {
                    st->failed = true;
                    break;
                }
                st->bytes += (uint64_t)n;
                st->pos += (uint64_t)n;
            }
            atomic_store(&sh->bytes[st->idx], st->bytes);
            struct synack_tcp_info ti;
            if (synack_getinfo(s->stack, st->sd, &ti) == 0)
                atomic_store(&sh->retrans[st->idx], (int_fast64_t)(ti.total_retrans - st->retrans0));
        } else if (run == RUN_ENDED && !st->shut) {
            /* As iperf3's server closes its streams at TEST_END: the client
             * reads whole blocks and would wait for the rest of one. */
            synack_shutdown(s->stack, st->sd, SYNACK_SHUT_WR);
            st->shut = true;
        }
        if (st->failed && !atomic_exchange(&sh->failed, true)) wake_others(s);
    }
}

static void step_ctrl(struct iperf3_server *s, uint64_t now)
{
    struct iperf3_shared *sh = s->sh;
    long n;
    int r;
    switch (s->phase) {
    case PH_PARAMS:
        n = ctrl_object(s);
        if (n < 0) end_test(s, false, "the parameters did not come");
        else if (n > 0) got_params(s, now, (size_t)n);
        break;
    case PH_STREAMS:
    case PH_RUNNING:
    case PH_FINISH:
        if (s->phase == PH_STREAMS) {
            pthread_mutex_lock(&sh->mu);
            bool all = sh->joined == sh->want;
            pthread_mutex_unlock(&sh->mu);
            if (all) {
                start_test(s, now);
                break;
            }
        }
        r = ctrl_read(s, 1);
        if (r != 0) {
            end_test(s, false, "the client closed the control connection");
            break;
        }
        if (s->cin_len == 0) break;
        s->cin_len = 0;
        if (s->cin[0] == ST_CLIENT_TERMINATE) {
            end_test(s, false, "the client terminated the test");
        } else if (s->cin[0] == ST_TEST_END && s->phase == PH_RUNNING) {
            s->t_end = now;
            atomic_store(&sh->run, RUN_ENDED);
            wake_others(s);
            run_streams(s); /* this server's senders close now */
            for (unsigned i = 0; i < sh->want; i++) s->bytes_at_end[i] = atomic_load(&sh->bytes[i]);
            ctrl_state(s, ST_EXCHANGE_RESULTS);
            s->phase = PH_RESULTS;
        } else if (s->cin[0] == ST_IPERF_DONE && s->phase == PH_FINISH) {
            s->tests++;
            if (s->log) {
                uint64_t total = 0;
                for (unsigned i = 0; i < sh->want; i++) total += s->bytes_at_end[i];
                char a[16];
                double t = elapsed_s(s->t_start, s->t_end);
                fprintf(s->log, "synack serve: iperf3 test from %s done: %" PRIu64 " bytes %s in %.2f s = %.1f Mbit/s\n",
                        synack_format_ipv4(s->peer.addr, a), total, s->P.reverse ? "sent" : "received", t,
                        t > 0 ? (double)total * 8 / t / 1e6 : 0);
            }
            end_test(s, true, NULL);
        } else {
            end_test(s, false, "unexpected state byte on the control connection");
        }
        break;
    case PH_RESULTS:
        n = ctrl_object(s);
        if (n < 0) {
            end_test(s, false, "the client's results did not come");
        } else if (n > 0) {
            s->cin_len = 0;
            static _Thread_local char json[IPERF3_MAX_JSON];
            size_t k = results_json(s, json, sizeof json);
            ctrl_put_object(s, json, k);
            ctrl_state(s, ST_DISPLAY_RESULTS);
            s->phase = PH_FINISH;
            s->deadline = now + SETUP_WAIT_US;
        }
        break;
    default:
        break;
    }
}

/* A connection finished its cookie: control, stream, or refused. */
static void classify(struct iperf3_server *s, struct pending *p, uint64_t now)
{
    struct iperf3_shared *sh = s->sh;
    pthread_mutex_lock(&sh->mu);
    if (!sh->busy) {
        sh->busy = true;
        sh->accepting = false;
        memcpy(sh->cookie, p->cookie, COOKIE_SIZE);
        atomic_fetch_add(&sh->gen, 1);
        atomic_store(&sh->run, RUN_SETUP);
        atomic_store(&sh->failed, false);
        pthread_mutex_unlock(&sh->mu);
        s->phase = PH_PARAMS;
        s->ctrl = p->sd;
        synack_getpeername(s->stack, p->sd, &s->peer);
        s->cin_len = s->cout_off = s->cout_len = 0;
        s->deadline = now + SETUP_WAIT_US;
        ctrl_state(s, ST_PARAM_EXCHANGE);
        return;
    }
    if (sh->accepting && !memcmp(p->cookie, sh->cookie, COOKIE_SIZE) && sh->joined < sh->want &&
        s->nstreams < IPERF3_MAX_STREAMS && (!sh->reverse || ensure_block(s, sh->len))) {
        unsigned idx = sh->joined++;
        sh->ids[idx] = idx == 0 ? 1 : (int)idx + 2;
        atomic_store(&sh->bytes[idx], 0);
        atomic_store(&sh->retrans[idx], 0);
        bool all = sh->joined == sh->want;
        struct stream *st = &s->streams[s->nstreams++];
        memset(st, 0, sizeof *st);
        st->sd = p->sd;
        st->idx = idx;
        st->gen = atomic_load(&sh->gen);
        st->sender = sh->reverse;
        pthread_mutex_unlock(&sh->mu);
        int one = 1;
        synack_setsockopt(s->stack, st->sd, SYNACK_SOL_TCP, SYNACK_TCP_NODELAY, &one, sizeof one);
        if (all) wake_others(s); /* the control connection's server starts the test */
        return;
    }
    pthread_mutex_unlock(&sh->mu);
    /* Busy with another client (or a stream too many): ACCESS_DENIED. */
    uint8_t b = (uint8_t)(int8_t)ST_ACCESS_DENIED;
    synack_send(s->stack, p->sd, &b, 1);
    synack_close(s->stack, p->sd);
}

static void step_pending(struct iperf3_server *s, uint64_t now)
{
    for (size_t i = 0; i < s->npend;) {
        struct pending *p = &s->pend[i];
        bool drop = false, done = false;
        while (p->got < COOKIE_SIZE) {
            ssize_t n = synack_recv(s->stack, p->sd, p->cookie + p->got, COOKIE_SIZE - p->got);
            if (n == -EAGAIN) break;
            if (n <= 0) {
                drop = true;
                break;
            }
            p->got += (size_t)n;
        }
        if (p->got == COOKIE_SIZE) done = true;
        else if (!drop && now >= p->deadline) drop = true;
        if (done) {
            struct pending copy = *p;
            s->pend[i] = s->pend[--s->npend];
            classify(s, &copy, now);
            continue;
        }
        if (drop) {
            close_sd(s, p->sd, false);
            s->pend[i] = s->pend[--s->npend];
            continue;
        }
        i++;
    }
}

/* ---- entry points ---------------------------------------------------------------- */

struct iperf3_shared *iperf3_shared_new(unsigned members)
{
    if (members < 1 || members > IPERF3_MAX_MEMBERS) return NULL;
    struct iperf3_shared *sh = calloc(1, sizeof *sh);
    if (!sh) return NULL;
    pthread_mutex_init(&sh->mu, NULL);
    sh->members = members;
    atomic_store(&sh->run, RUN_OVER);
    return sh;
}

void iperf3_shared_free(struct iperf3_shared *sh)
{
    if (!sh) return;
    pthread_mutex_destroy(&sh->mu);
    free(sh);
}

struct iperf3_server *iperf3_server_new_shared(synack_stack *stack, FILE *log, struct iperf3_shared *sh,
                                               void (*wake)(void *), void *wake_ctx)
{
    if (!sh || sh->nmembers == sh->members) return NULL;
    struct iperf3_server *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->cin = malloc(IPERF3_MAX_JSON + 8);
    s->cout = malloc(IPERF3_MAX_JSON + 64);
    if (!s->cin || !s->cout) {
        free(s->cin);
        free(s->cout);
        free(s);
        return NULL;
    }
    s->stack = stack;
    s->log = log;
    s->ctrl = -1;
    s->sh = sh;
    s->member = sh->nmembers++;
    sh->wake[s->member] = wake;
    sh->wake_ctx[s->member] = wake_ctx;
    return s;
}

struct iperf3_server *iperf3_server_new(synack_stack *stack, FILE *log)
{
    struct iperf3_shared *sh = iperf3_shared_new(1);
    struct iperf3_server *s = sh ? iperf3_server_new_shared(stack, log, sh, NULL, NULL) : NULL;
    if (!s) {
        iperf3_shared_free(sh);
        return NULL;
    }
    s->own_sh = true;
    return s;
}

void iperf3_server_adopt(struct iperf3_server *s, int sd, uint64_t now)
{
    if (s->npend == IPERF3_MAX_PENDING) { /* too many silent connections: shed this one */
        close_sd(s, sd, false);
        return;
    }
    struct pending *p = &s->pend[s->npend++];
    memset(p, 0, sizeof *p);
    p->sd = sd;
    p->deadline = now + COOKIE_WAIT_US;
}

uint64_t iperf3_server_step(struct iperf3_server *s, uint64_t now)
{
    step_pending(s, now);
    for (int round = 0; round < 4 && s->phase != PH_IDLE; round++) {
        enum phase before = s->phase;
        if (s->phase != PH_CLOSING) step_ctrl(s, now);
        if (s->phase == PH_IDLE) break;
        if (s->phase >= PH_RUNNING && s->phase != PH_CLOSING) run_streams(s);
        if (s->phase == PH_RUNNING && atomic_load(&s->sh->failed)) {
            end_test(s, false, "a data stream failed");
            break;
        }
        if (!ctrl_flush(s)) {
            end_test(s, false, "the control connection failed");
            break;
        }
        if (s->phase == PH_CLOSING && s->cout_len == 0) {
            end_test(s, true, NULL);
            break;
        }
        if (s->phase == before) break;
    }
    if (s->phase != PH_IDLE && s->deadline && now >= s->deadline) end_test(s, false, "timed out");
    if (s->phase == PH_IDLE) run_streams(s); /* streams of a test another thread drives */
    reap_streams(s, false, true);
    uint64_t wake = UINT64_MAX;
    if (s->phase != PH_IDLE && s->deadline) wake = s->deadline;
    for (size_t i = 0; i < s->npend; i++)
        if (s->pend[i].deadline < wake) wake = s->pend[i].deadline;
    return wake;
}

size_t iperf3_server_connections(const struct iperf3_server *s)
{
    return s->npend + s->nstreams + (s->ctrl >= 0);
}

uint64_t iperf3_server_tests(const struct iperf3_server *s)
{
    return s->tests;
}

void iperf3_server_free(struct iperf3_server *s, bool graceful)
{
    if (!s) return;
    end_test(s, graceful, NULL);
    reap_streams(s, true, graceful);
    for (size_t i = 0; i < s->npend; i++) close_sd(s, s->pend[i].sd, graceful);
    /* Other threads may still wake this server's loop: it outlives us. */
    if (s->own_sh) iperf3_shared_free(s->sh);
    free(s->cin);
    free(s->cout);
    free(s->block);
    free(s);
}
