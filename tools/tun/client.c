/*
 * client.c — `synack connect`, `synack get` and `synack bulk`: one active
 * connection from synack over a TUN interface.
 *
 * Owns: the client connection (connect, wait for it, errors in words),
 * stdin/stdout plumbing of `connect`, the HTTP download of `get`, the
 * pattern transfer of `bulk`, progress bars and throughput lines, the
 * graceful end (close, then let the FIN exchange finish for at most 5 s).
 * Must not touch: the loop's internals (loop.c), HTTP parsing (http.c).
 *
 * Map: the shared client (options, connect, finish); connect_*; get_*;
 * bulk_*; the three main functions.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "http.h"
#include "loop.h"

#define GRACE_US 5000000u
#define BUF_CAP 65536

enum mode { MODE_CONNECT, MODE_GET, MODE_BULK };

struct client {
    struct loop L;
    const char *prog;
    enum mode mode;
    struct synack_endpoint remote;
    int sd;
    bool connected, closed, failed;
    uint64_t t_connect, t_established, t_done;
    uint64_t finish_deadline;
    bool draining;           /* a signal: our FIN is out, reading until the peer's */
    uint64_t drain_deadline;
    int status;
    /* connect */
    uint8_t in[BUF_CAP];
    size_t in_off, in_len;
    bool stdin_ready, stdin_file, stdin_eof, stdin_watched, shut_wr, peer_eof;
    uint64_t rx, tx;
    /* get */
    const char *url, *out_path;
    char host[64], path[2048];
    FILE *out;
    char head[HTTP_MAX_HEAD * 4];
    size_t head_len;
    bool have_head, request_sent;
    struct http_response resp;
    struct http_chunked chunked;
    uint64_t body;
    /* bulk */
    uint64_t bytes;
    bool reverse, verify;
    uint64_t mismatch_at;
    bool mismatch;
    struct loop_progress progress;
};

static uint8_t rxbuf[BUF_CAP], decoded[BUF_CAP];

static void fail(struct client *C, const char *what, int err)
{
    char r[16];
    synack_format_ipv4(C->remote.addr, r);
    if (err) fprintf(stderr, "%s: %s:%u: %s: %s\n", C->prog, r, C->remote.port, what, synack_strerror(err));
    else fprintf(stderr, "%s: %s:%u: %s\n", C->prog, r, C->remote.port, what);
    C->failed = true;
    C->status = 1;
}

/* Ends the connection: graceful (FIN after queued data) or abortive (RST),
 * then the loop runs until the FIN exchange is over or 5 s have passed. */
static void finish(struct client *C, bool graceful)
{
    if (C->closed) return;
    if (!graceful) {
        struct synack_linger lg = {1, 0};
        synack_setsockopt(C->L.stack, C->sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    }
    synack_close(C->L.stack, C->sd);
    C->closed = true;
    C->finish_deadline = loop_now() + GRACE_US;
    if (!C->t_done) C->t_done = loop_now();
    loop_wake_at(&C->L, loop_now());
}

/* One synack_recv for the three clients: > 0 bytes read; 0 when nothing is
 * there now (EAGAIN); -1 at the peer's EOF; -2 after an error, which has
 * been reported and the connection aborted (the caller returns). */
static ssize_t recv_step(struct client *C, uint8_t *buf, size_t cap)
{
    ssize_t n = synack_recv(C->L.stack, C->sd, buf, cap);
    if (n == -EAGAIN) return 0;
    if (n < 0) {
        fail(C, "receive", (int)n);
        finish(C, false);
        return -2;
    }
    return n == 0 ? -1 : n;
}

/* Returns true once connected; reports a failed handshake. */
static bool wait_connected(struct client *C)
{
    if (C->connected) return true;
    struct synack_pollfd p = {C->sd, SYNACK_POLLOUT, 0};
    synack_poll(C->L.stack, &p, 1);
    if (p.revents & (SYNACK_POLLERR | SYNACK_POLLHUP)) {
        int err = 0;
        size_t len = sizeof err;
        synack_getsockopt(C->L.stack, C->sd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &err, &len);
        fail(C, "cannot connect", err ? -err : -ECONNREFUSED);
        synack_close(C->L.stack, C->sd);
        C->closed = true;
        loop_stop(&C->L, 1);
        return false;
    }
    if (!(p.revents & SYNACK_POLLOUT)) return false;
    C->connected = true;
    C->t_established = loop_now();
    return true;
}

static void report(struct client *C, uint64_t bytes, const char *what)
{
    char line[128];
    uint64_t end = C->t_done ? C->t_done : loop_now();
    loop_format_rate(line, sizeof line, bytes, end - C->t_established);
    fprintf(stderr, "%s: %s %s\n", C->prog, what, line);
}

/* ---- connect: stdin -> connection -> stdout ----------------------------------- */

static void connect_step(struct client *C)
{
    synack_stack *st = C->L.stack;
    /* stdin -> connection */
    for (int rounds = 0; rounds < 64 && !C->shut_wr; rounds++) {
        if (C->in_off < C->in_len) {
            ssize_t n = synack_send(st, C->sd, C->in + C->in_off, C->in_len - C->in_off);
            if (n == -EAGAIN) break;
            if (n < 0) {
                fail(C, "send", (int)n);
                finish(C, false);
                return;
            }
            C->in_off += (size_t)n;
            C->tx += (uint64_t)n;
            continue;
        }
        C->in_off = C->in_len = 0;
        if (C->stdin_eof) {
            synack_shutdown(st, C->sd, SYNACK_SHUT_WR); /* half-close, like nc -N */
            C->shut_wr = true;
            break;
        }
        if (!C->stdin_ready && !C->stdin_file) {
            if (!C->stdin_watched) C->stdin_watched = loop_watch(&C->L, STDIN_FILENO, EPOLLIN) == 0;
            break;
        }
        ssize_t n = read(STDIN_FILENO, C->in, sizeof C->in);
        C->stdin_ready = false;
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) break;
        if (n <= 0) C->stdin_eof = true;
        else C->in_len = (size_t)n;
        if (C->stdin_file) loop_wake_at(&C->L, loop_now());
    }
    /* connection -> stdout */
    while (!C->peer_eof) {
        ssize_t n = recv_step(C, rxbuf, sizeof rxbuf);
        if (n == 0) break;
        if (n == -2) return;
        if (n == -1) {
            C->peer_eof = true;
            break;
        }
        C->rx += (uint64_t)n;
        for (ssize_t w = 0; w < n;) {
            ssize_t k = write(STDOUT_FILENO, rxbuf + w, (size_t)(n - w));
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) { /* stdout closed: nobody reads any more */
                fail(C, "writing to stdout failed", 0);
                finish(C, false);
                return;
            }
            w += k;
        }
    }
    if (C->peer_eof && C->shut_wr) finish(C, true);
}

/* ---- get: an HTTP/1.1 download ------------------------------------------------ */

static int parse_url(struct client *C, const char *url)
{
    if (strncmp(url, "http://", 7) != 0) {
        fprintf(stderr, "%s: '%s': only http:// URLs are supported\n", C->prog, url);
        return -1;
    }
    const char *h = url + 7;
    const char *slash = strchr(h, '/');
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    char hostport[80];
    if (hl == 0 || hl >= sizeof hostport) goto bad;
    memcpy(hostport, h, hl);
    hostport[hl] = '\0';
    if (hl >= sizeof C->host) goto bad;
    memcpy(C->host, h, hl); /* the Host field: as the URL gives it */
    C->host[hl] = '\0';
    snprintf(C->path, sizeof C->path, "%s", slash ? slash : "/");
    char *colon = strchr(hostport, ':');
    C->remote.port = 80;
    if (colon) {
        *colon = '\0';
        if (loop_parse_port(colon + 1, C->prog, "URL port", &C->remote.port) != 0) return -1;
    }
    if (synack_parse_ipv4(hostport, &C->remote.addr) != 0) {
        fprintf(stderr, "%s: '%s': the host must be an IPv4 address (synack has no DNS)\n", C->prog, url);
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "%s: '%s': expected http://A.B.C.D[:PORT]/PATH\n", C->prog, url);
    return -1;
}

static bool body_done(const struct client *C)
{
    if (C->resp.chunked) return C->chunked.done;
    if (C->resp.has_length) return C->body >= C->resp.content_length;
    return false; /* delimited by the close */
}

static bool write_body(struct client *C, const uint8_t *p, size_t n)
{
    if (n && fwrite(p, 1, n, C->out) != n) {
        fprintf(stderr, "%s: writing %s: %s\n", C->prog, C->out_path ? C->out_path : "stdout", strerror(errno));
        C->failed = true;
        C->status = 1;
        finish(C, false);
        return false;
    }
    C->body += n;
    return true;
}

/* Body bytes p[0..n): through the chunked decoder if needed. */
static bool take_body(struct client *C, const uint8_t *p, size_t n)
{
    if (!C->resp.chunked) {
        if (C->resp.has_length && n > C->resp.content_length - C->body)
            n = (size_t)(C->resp.content_length - C->body);
        return write_body(C, p, n);
    }
    while (n && !C->chunked.done) {
        size_t nout;
        long used = http_chunked_feed(&C->chunked, p, n, decoded, &nout);
        if (used < 0) {
            fail(C, "malformed chunked body", 0);
            finish(C, false);
            return false;
        }
        if (!write_body(C, decoded, nout)) return false;
        p += used;
        n -= (size_t)used;
    }
    return true;
}

static void get_step(struct client *C)
{
    synack_stack *st = C->L.stack;
    if (!C->request_sent) {
        char req[2400];
        int n = snprintf(req, sizeof req,
                         "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: synack/0.1\r\nAccept: */*\r\n"
                         "Connection: close\r\n\r\n",
                         C->path, C->host);
        ssize_t w = synack_send(st, C->sd, req, (size_t)n);
        if (w != n) { /* the send buffer is empty at this point: it cannot be short */
            fail(C, "sending the request", w < 0 ? (int)w : -EIO);
            finish(C, false);
            return;
        }
        C->request_sent = true;
    }
    for (;;) {
        ssize_t n = recv_step(C, rxbuf, sizeof rxbuf);
        if (n == 0) break;
        if (n == -2) return;
        if (n == -1) { /* the server closed */
            C->t_done = loop_now();
            if (!C->have_head) fail(C, "the server closed before sending a response", 0);
            else if (!body_done(C) && (C->resp.has_length || C->resp.chunked)) {
                char what[96];
                snprintf(what, sizeof what, "the server closed after %" PRIu64 " of %" PRIu64 " bytes", C->body,
                         C->resp.content_length);
                fail(C, what, 0);
            }
            finish(C, true);
            return;
        }
        size_t used = 0;
        if (!C->have_head) {
            size_t k = (size_t)n;
            if (k > sizeof C->head - C->head_len) k = sizeof C->head - C->head_len;
            memcpy(C->head + C->head_len, rxbuf, k);
            C->head_len += k;
            long h = http_parse_response(C->head, C->head_len, &C->resp);
            if (h < 0) {
                fail(C, "malformed HTTP response", 0);
                finish(C, false);
                return;
            }
            if (h == 0) continue;
            C->have_head = true;
            if (C->resp.status != 200) {
                char what[96];
                snprintf(what, sizeof what, "HTTP %d %s", C->resp.status, http_reason(C->resp.status));
                fail(C, what, 0);
                finish(C, true);
                return;
            }
            /* What followed the head in this read is body. */
            size_t body_in_head = C->head_len - (size_t)h;
            used = k - body_in_head;
            C->head_len = 0;
        }
        if (!take_body(C, rxbuf + used, (size_t)n - used)) return;
        loop_progress_show(&C->progress, C->body, C->resp.has_length ? C->resp.content_length : 0, false);
        if (body_done(C)) {
            C->t_done = loop_now();
            finish(C, true);
            return;
        }
    }
}

/* ---- bulk: N bytes of the pattern, one way ------------------------------------ */

static void bulk_step(struct client *C)
{
    synack_stack *st = C->L.stack;
    if (!C->reverse) {
        while (C->tx < C->bytes) {
            size_t n = sizeof C->in;
            if (C->bytes - C->tx < n) n = (size_t)(C->bytes - C->tx);
            loop_pattern_fill(C->in, n, C->tx);
            ssize_t w = synack_send(st, C->sd, C->in, n);
            if (w == -EAGAIN) break;
            if (w < 0) {
                fail(C, "send", (int)w);
                finish(C, false);
                return;
            }
            C->tx += (uint64_t)w;
        }
        if (C->tx == C->bytes && !C->shut_wr) {
            synack_shutdown(st, C->sd, SYNACK_SHUT_WR);
            C->shut_wr = true;
        }
        loop_progress_show(&C->progress, C->tx, C->bytes, false);
    }
    for (;;) {
        ssize_t n = recv_step(C, rxbuf, sizeof rxbuf);
        if (n == 0) break;
        if (n == -2) return;
        if (n == -1) {
            C->peer_eof = true;
            break;
        }
        if (C->verify && !C->mismatch) {
            uint8_t want[BUF_CAP];
            loop_pattern_fill(want, (size_t)n, C->rx);
            if (memcmp(want, rxbuf, (size_t)n) != 0) {
                for (ssize_t i = 0; i < n; i++)
                    if (want[i] != rxbuf[i]) {
                        C->mismatch_at = C->rx + (uint64_t)i;
                        break;
                    }
                C->mismatch = true;
            }
        }
        C->rx += (uint64_t)n;
    }
    if (C->reverse) loop_progress_show(&C->progress, C->rx, C->bytes, false);
    /* Sending: the sink closes after reading everything, so its FIN is the
     * proof that all N bytes arrived. Receiving: the source's FIN ends it. */
    if (C->peer_eof) {
        C->t_done = loop_now();
        if (!C->reverse && C->tx < C->bytes) {
            char what[96];
            snprintf(what, sizeof what, "the peer closed after %" PRIu64 " of %" PRIu64 " bytes", C->tx, C->bytes);
            fail(C, what, 0);
        }
        if (C->reverse && C->rx != C->bytes) {
            char what[96];
            snprintf(what, sizeof what, "received %" PRIu64 " bytes, expected %" PRIu64, C->rx, C->bytes);
            fail(C, what, 0);
        }
        if (C->mismatch) {
            char what[96];
            snprintf(what, sizeof what, "data differs from the pattern at byte %" PRIu64, C->mismatch_at);
            fail(C, what, 0);
        }
        finish(C, true);
    }
}

/* ---- the loop's callbacks ----------------------------------------------------- */

static void client_step(void *ctx, struct loop *L)
{
    struct client *C = ctx;
    if (C->closed) {
        if (L->active == 0 || loop_now() >= C->finish_deadline) loop_stop(L, C->status);
        else loop_wake_at(L, loop_now() + 100000 < C->finish_deadline ? loop_now() + 100000 : C->finish_deadline);
        return;
    }
    if (!wait_connected(C)) return;
    if (C->draining) {
        for (;;) {
            ssize_t n = synack_recv(L->stack, C->sd, rxbuf, sizeof rxbuf);
            if (n == -EAGAIN) break;
            if (n <= 0) {
                finish(C, n == 0);
                return;
            }
        }
        if (loop_now() >= C->drain_deadline) {
            finish(C, false);
            loop_stop(L, C->status);
        } else {
            loop_wake_at(L, C->drain_deadline);
        }
        return;
    }
    switch (C->mode) {
    case MODE_CONNECT: connect_step(C); break;
    case MODE_GET: get_step(C); break;
    case MODE_BULK: bulk_step(C); break;
    }
}

static void client_signal(void *ctx, struct loop *L, int count)
{
    struct client *C = ctx;
    C->status = 130;
    if (count >= 2 || !C->connected) {
        if (!C->closed) finish(C, false);
        loop_stop(L, 130);
        return;
    }
    if (C->closed || C->draining) return;
    fprintf(stderr, "%s: closing the connection (signal again to abort)\n", C->prog);
    /* FIN now (after what is queued), then read until the peer's FIN. */
    synack_shutdown(L->stack, C->sd, SYNACK_SHUT_WR);
    C->shut_wr = true;
    C->draining = true;
    C->drain_deadline = loop_now() + GRACE_US;
    loop_wake_at(L, loop_now());
}

static void client_fd(void *ctx, struct loop *L, int fd, uint32_t events)
{
    struct client *C = ctx;
    (void)events;
    if (fd == STDIN_FILENO) {
        C->stdin_ready = true;
        loop_unwatch(L, fd); /* level-triggered: watch again only when we want more */
        C->stdin_watched = false;
    }
}

static int client_run(struct client *C, const struct loop_options *o)
{
    if (loop_open(&C->L, o, C->prog) != 0) {
        loop_close(&C->L);
        return 1;
    }
    struct loop *L = &C->L;
    if (!loop_routable(L, C->remote.addr)) {
        char r[16];
        fprintf(stderr, "%s: %s is outside --addr's network and no --gateway was given\n", C->prog,
                synack_format_ipv4(C->remote.addr, r));
        loop_close(L);
        return 2;
    }
    if (C->mode == MODE_CONNECT) {
        int rc = loop_watch(L, STDIN_FILENO, EPOLLIN);
        if (rc == -EPERM) C->stdin_file = true; /* a regular file: always ready */
        else if (rc == 0) C->stdin_watched = true;
        else C->stdin_eof = true; /* no stdin */
    }
    C->sd = synack_socket(L->stack);
    int rc = C->sd < 0 ? C->sd : synack_connect(L->stack, C->sd, &C->remote);
    if (rc != 0 && rc != -EINPROGRESS) {
        fail(C, "connect", rc);
        loop_close(L);
        return 1;
    }
    C->t_connect = loop_now();
    loop_progress_init(&C->progress);
    struct loop_app app = {.ctx = C, .step = client_step, .on_signal = client_signal, .on_fd = client_fd};
    int status = loop_run(L, &app);
    if (C->status && !status) status = C->status;
    if (!C->failed && C->connected) {
        if (C->mode == MODE_GET) {
            loop_progress_show(&C->progress, C->body, C->resp.has_length ? C->resp.content_length : 0, true);
            report(C, C->body, "received");
        } else if (C->mode == MODE_BULK) {
            loop_progress_show(&C->progress, C->reverse ? C->rx : C->tx, C->bytes, true);
            report(C, C->reverse ? C->rx : C->tx, C->reverse ? "received" : "sent");
        }
    }
    loop_close(L);
    return status;
}

/* ---- main functions ------------------------------------------------------------ */

static void client_usage(FILE *f, enum mode m)
{
    if (m == MODE_CONNECT)
        fprintf(f, "usage: synack connect --tun IF --addr A/PREFIX [options] HOST:PORT\n\n"
                   "Like nc: stdin goes to the connection and the connection to stdout. When\n"
                   "stdin ends, synack half-closes (FIN) and keeps reading until the peer closes.\n\n");
    else if (m == MODE_GET)
        fprintf(f, "usage: synack get --tun IF --addr A/PREFIX [options] http://HOST[:PORT]/PATH [-o FILE]\n\n"
                   "Downloads over HTTP/1.1 (Content-Length, chunked or until close) to FILE or\n"
                   "stdout, with a progress bar on a terminal and the throughput at the end.\n"
                   "  -o FILE            write the body to FILE instead of stdout\n\n");
    else
        fprintf(f, "usage: synack bulk --tun IF --addr A/PREFIX [options] HOST:PORT --bytes N [--reverse]\n\n"
                   "Sends N bytes (byte i = i mod 251), half-closes and waits for the peer to\n"
                   "close; or with --reverse receives until the peer closes and checks that N\n"
                   "bytes came. Reports the throughput.\n"
                   "  --bytes N          N bytes (suffixes K, M, G: powers of 1000)\n"
                   "  --reverse          receive instead of send\n"
                   "  --verify           check received bytes against the pattern\n\n");
    fprintf(f, "Link options:\n%s\nSIGINT or SIGTERM closes gracefully (at most 5 s); a second one resets.\n",
            loop_options_help);
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (!*s || *s == '-') return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return -1;
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k') mul = 1000, end++;
    else if (*end == 'M') mul = 1000000, end++;
    else if (*end == 'G') mul = 1000000000, end++;
    if (*end) return -1;
    *out = (uint64_t)v * mul;
    return 0;
}

static int client_main(int argc, char **argv, enum mode m, const char *prog)
{
    static struct client C;
    memset(&C, 0, sizeof C);
    C.prog = prog;
    C.mode = m;
    struct loop_options o;
    loop_options_default(&o);
    const char *target = NULL;
    bool have_bytes = false;
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            client_usage(stdout, m);
            return 0;
        }
        int r = loop_parse_option(&o, argc, argv, &i, prog);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (m == MODE_GET && !strcmp(a, "-o") && i + 1 < argc) {
            C.out_path = argv[i + 1];
            i += 2;
        } else if (m == MODE_BULK && !strcmp(a, "--bytes") && i + 1 < argc) {
            if (parse_size(argv[i + 1], &C.bytes) != 0) {
                fprintf(stderr, "%s: --bytes '%s': expected a number of bytes (K, M, G allowed)\n", prog, argv[i + 1]);
                return 2;
            }
            have_bytes = true;
            i += 2;
        } else if (m == MODE_BULK && !strcmp(a, "--reverse")) {
            C.reverse = true;
            i++;
        } else if (m == MODE_BULK && !strcmp(a, "--verify")) {
            C.verify = true;
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", prog, a);
            return 2;
        } else if (!target) {
            target = a;
            i++;
        } else {
            fprintf(stderr, "%s: unexpected argument '%s'\n", prog, a);
            return 2;
        }
    }
    if (o.list_tunables) return loop_list_tunables(&o);
    if (!target) {
        fprintf(stderr, "%s: missing %s (see --help)\n", prog, m == MODE_GET ? "the URL" : "HOST:PORT");
        return 2;
    }
    if (m == MODE_GET) {
        if (parse_url(&C, target) != 0) return 2;
    } else if (loop_parse_hostport(target, prog, &C.remote) != 0) {
        return 2;
    }
    if (m == MODE_BULK && !have_bytes) {
        fprintf(stderr, "%s: --bytes N is required\n", prog);
        return 2;
    }
    if (loop_check_options(&o, prog) != 0) return 2;
    if (m == MODE_GET) {
        C.out = stdout;
        if (C.out_path && !(C.out = fopen(C.out_path, "wb"))) {
            fprintf(stderr, "%s: -o %s: %s\n", prog, C.out_path, strerror(errno));
            return 1;
        }
    }
    int status = client_run(&C, &o);
    if (C.out && C.out != stdout && fclose(C.out) != 0 && !status) {
        fprintf(stderr, "%s: -o %s: %s\n", prog, C.out_path, strerror(errno));
        status = 1;
    } else if (C.out == stdout) {
        fflush(stdout);
    }
    return status;
}

int connect_main(int argc, char **argv) { return client_main(argc, argv, MODE_CONNECT, "synack connect"); }
int get_main(int argc, char **argv) { return client_main(argc, argv, MODE_GET, "synack get"); }
int bulk_main(int argc, char **argv) { return client_main(argc, argv, MODE_BULK, "synack bulk"); }
