/*
 * serve.c — `synack serve`: services hosted on synack over a TUN interface.
 *
 * Owns: the listeners and the served connections (echo RFC 862, discard
 * RFC 863, chargen RFC 864, source, a static HTTP/1.1 file server), their
 * buffers and their graceful shutdown. Must not touch: the event loop's
 * internals (loop.c), HTTP parsing (http.c), the core.
 *
 * Map: options; one step function per service (each moves what it can
 * without blocking and says when the connection is finished); the HTTP
 * responder; accept, step, signals; serve_main.
 *
 * --threads N: N copies of everything above, one per thread, each on its
 * own stack and its own queue of a multi-queue TUN (loop.h, loop_group);
 * a connection lives on the thread the kernel's queue choice (steered at
 * its SYN) gives it. Only iperf3's tests span threads (iperf3.h).
 *
 * Every connection keeps one output buffer. A service only reads when that
 * buffer has room, so a slow peer pushes back through TCP's window instead
 * of growing memory.
 *
 * HTTP against hostile clients (docs/SECURITY.md): a request head must
 * arrive whole within --header-timeout (408 otherwise) and be at most
 * HTTP_MAX_HEAD bytes (431); a keep-alive connection idle for
 * --idle-timeout is closed; a response that ends the connection is followed
 * by a lingering close (our FIN, then what the client still sends is read
 * and dropped for at most LINGER_US) so the client reads the answer instead
 * of a RST; a path is served only if its real path (symbolic links
 * resolved) lies inside the served directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"
#include "iperf3.h"
#include "loop.h"

#define PROG "synack serve"
#define MAX_SERVICES 16
#define OUT_CAP 32768
#define GRACE_US 5000000u /* how long a graceful shutdown may wait for FINs */
#define LINGER_US 2000000u /* lingering close: how long to drop a client's late bytes */
#define HEADER_TIMEOUT_S 10u /* default --header-timeout */
#define IDLE_TIMEOUT_S 60u   /* default --idle-timeout */

enum svc { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_SOURCE, SVC_HTTP, SVC_IPERF3 };
static const char *const svc_name[] = {"echo", "discard", "chargen", "source", "http", "iperf3"};
#define NSVC_KINDS 6

struct service {
    enum svc kind;
    uint16_t port;
    uint64_t bytes;      /* source */
    const char *dir;     /* http */
    char *root;          /* http: dir's real path (symbolic links resolved) */
    int sd;
};

struct conn {
    int sd;
    struct service *svc;
    struct synack_endpoint peer;
    uint8_t out[OUT_CAP];
    size_t off, len;         /* pending output out[off..len) */
    uint64_t pos;            /* chargen line number / source bytes produced */
    uint64_t rx, tx;
    bool peer_eof, shut_wr;
    /* http */
    char req[HTTP_MAX_HEAD];
    size_t req_len;
    uint64_t skip_body;      /* request body bytes still to skip */
    int file;                /* file being sent, or -1 */
    uint64_t file_left;
    bool resp_active, close_after;
    unsigned requests;
    uint64_t head_deadline;  /* http: the head being received must be whole by then (0: none) */
    uint64_t idle_deadline;  /* http: closed if nothing happens until then */
    bool lingering;          /* http: our FIN sent, dropping input until EOF or linger_deadline */
    uint64_t linger_deadline;
    int err;                 /* why it failed (negative errno) */
};

struct serve {
    struct loop L;
    struct service svc[MAX_SERVICES];
    int nsvc;
    struct conn **conns;
    size_t nconns, cap;
    struct iperf3_server *iperf3; /* the --iperf3 service's tests */
    bool draining;
    uint64_t drain_deadline;
    uint64_t accepted;
    bool verbose;
    uint64_t header_timeout_us, idle_timeout_us;
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack serve --tun IF --addr A/PREFIX [service...] [options]\n\n"
            "Hosts TCP services on synack's address. Services (each may repeat):\n"
            "  --echo PORT         echo (RFC 862): sends back what it receives\n"
            "  --discard PORT      discard (RFC 863): reads and drops\n"
            "  --chargen PORT      chargen (RFC 864): sends 72-character lines until the peer closes\n"
            "  --source PORT:BYTES sends BYTES bytes (byte i = i mod 251), closes its side,\n"
            "                      reads until the peer closes\n"
            "  --http PORT:DIR     HTTP/1.1 static files from DIR (GET, HEAD, keep-alive)\n"
            "  --iperf3 PORT       iperf3's server (TCP tests, -R, -P, -t, -n, -k, -l): the stock\n"
            "                      `iperf3 -c` client measures synack; one test at a time\n"
            "  --header-timeout S  HTTP: a request head must arrive within S seconds (default %u; 408)\n"
            "  --idle-timeout S    HTTP: close a connection idle for S seconds (default %u)\n"
            "  --threads N         N threads (1..%u), each with its own stack, on N queues of a\n"
            "                      multi-queue TUN (ip tuntap add dev IF mode tun multi_queue,\n"
            "                      or --create): flows are spread over them (default 1)\n"
            "  -v, --verbose       one line per connection on stderr\n\n"
            "Link options:\n%s\n"
            "SIGINT or SIGTERM closes every connection gracefully (at most 5 s); a second one exits at once.\n",
            HEADER_TIMEOUT_S, IDLE_TIMEOUT_S, LOOP_MAX_THREADS, loop_options_help);
}

/* ---- the services ----------------------------------------------------------- */

static uint8_t scratch[65536];

/* Sends out[off..len); returns false on a fatal error. */
static bool flush(struct serve *S, struct conn *c)
{
    while (c->off < c->len) {
        ssize_t n = synack_send(S->L.stack, c->sd, c->out + c->off, c->len - c->off);
        if (n == -EAGAIN) return true;
        if (n < 0) {
            c->err = (int)n;
            return false;
        }
        c->off += (size_t)n;
        c->tx += (uint64_t)n;
    }
    c->off = c->len = 0;
    return true;
}

/* Reads and drops everything waiting; false on error. */
static bool drain(struct serve *S, struct conn *c)
{
    while (!c->peer_eof) {
        ssize_t n = synack_recv(S->L.stack, c->sd, scratch, sizeof scratch);
        if (n == -EAGAIN) return true;
        if (n < 0) {
            c->err = (int)n;
            return false;
        }
        if (n == 0) c->peer_eof = true;
        c->rx += (uint64_t)n;
    }
    return true;
}

/* Each returns 1 when the connection is finished (close it gracefully), 0
 * to go on, -1 on an error (it is reset or gone). */
static int step_echo(struct serve *S, struct conn *c)
{
    for (;;) {
        if (!flush(S, c)) return -1;
        if (c->len || c->peer_eof) break;
        ssize_t n = synack_recv(S->L.stack, c->sd, c->out, sizeof c->out);
        if (n == -EAGAIN) break;
        if (n < 0) return -1;
        if (n == 0) c->peer_eof = true;
        c->len = (size_t)n;
        c->off = 0;
        c->rx += (uint64_t)n;
    }
    return c->peer_eof && c->len == 0;
}

static int step_discard(struct serve *S, struct conn *c)
{
    if (!drain(S, c)) return -1;
    return c->peer_eof;
}

/* RFC 864: line k holds the 72 printable characters starting at k mod 95. */
static void chargen_fill(struct conn *c)
{
    size_t n = 0;
    while (n + 74 <= sizeof c->out) {
        unsigned start = (unsigned)(c->pos++ % 95);
        for (unsigned j = 0; j < 72; j++) c->out[n++] = (uint8_t)(' ' + (start + j) % 95);
        c->out[n++] = '\r';
        c->out[n++] = '\n';
    }
    c->off = 0;
    c->len = n;
}

static int step_chargen(struct serve *S, struct conn *c)
{
    if (!drain(S, c)) return -1;
    if (c->peer_eof) return 1;
    for (int i = 0; i < 8; i++) {
        if (c->len == 0) chargen_fill(c);
        if (!flush(S, c)) return -1;
        if (c->len) break;
    }
    return 0;
}

static int step_source(struct serve *S, struct conn *c)
{
    uint64_t total = c->svc->bytes;
    for (;;) {
        if (!flush(S, c)) return -1;
        if (c->len || c->pos >= total) break;
        size_t n = sizeof c->out;
        if (total - c->pos < n) n = (size_t)(total - c->pos);
        loop_pattern_fill(c->out, n, c->pos);
        c->pos += n;
        c->off = 0;
        c->len = n;
    }
    if (!c->shut_wr && c->pos >= total && c->len == 0) {
        synack_shutdown(S->L.stack, c->sd, SYNACK_SHUT_WR);
        c->shut_wr = true;
    }
    if (!drain(S, c)) return -1;
    return c->shut_wr && c->peer_eof;
}

/* ---- HTTP ------------------------------------------------------------------- */

static void http_head(struct conn *c, int status, const char *type, uint64_t length, bool keep)
{
    char date[40];
    http_date(date);
    int n = snprintf((char *)c->out + c->len, sizeof c->out - c->len,
                     "HTTP/1.1 %d %s\r\nServer: synack\r\nDate: %s\r\nContent-Type: %s\r\n"
                     "Content-Length: %" PRIu64 "\r\n%s%s\r\n",
                     status, http_reason(status), date, type, length,
                     status == 405 ? "Allow: GET, HEAD\r\n" : "",
                     keep ? "Connection: keep-alive\r\n" : "Connection: close\r\n");
    if (n > 0) c->len += (size_t)n;
}

static void http_error(struct conn *c, int status, bool head_only, bool keep)
{
    char body[160];
    int n = snprintf(body, sizeof body, "<html><body><h1>%d %s</h1></body></html>\n", status, http_reason(status));
    http_head(c, status, "text/html; charset=utf-8", (uint64_t)n, keep);
    if (!head_only) {
        memcpy(c->out + c->len, body, (size_t)n);
        c->len += (size_t)n;
    }
    c->close_after = !keep;
    c->resp_active = true;
}

/* Opens path only if its real path (every symbolic link resolved) is root
 * or lies under it: a link inside the served directory must not lead out
 * of it. -1 with errno EACCES when it would (403), else open's errno. */
static int open_inside(const char *root, const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real)) return -1;
    size_t n = strlen(root);
    if (strncmp(real, root, n) != 0 || (real[n] != '\0' && real[n] != '/' && strcmp(root, "/") != 0)) {
        errno = EACCES;
        return -1;
    }
    return open(real, O_RDONLY | O_CLOEXEC);
}

/* Starts the answer to one complete request head. */
static void http_answer(struct conn *c, const struct http_request *rq, bool bad)
{
    c->requests++;
    if (bad) {
        http_error(c, 400, false, false);
        return;
    }
    bool head = !strcmp(rq->method, "HEAD");
    bool keep = rq->keep_alive;
    if (rq->chunked) {
        http_error(c, 400, head, false);
        return;
    }
    if (strcmp(rq->method, "GET") && !head) {
        http_error(c, 405, false, keep && !rq->has_length);
        if (rq->has_length) c->close_after = true;
        return;
    }
    if (rq->has_length) c->skip_body = rq->content_length;
    char path[4096];
    if (http_target_to_path(c->svc->dir, rq->target, path, sizeof path - 16) != 0) {
        http_error(c, 400, head, false);
        return;
    }
    int fd = open_inside(c->svc->root, path);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        strcat(path, path[strlen(path) - 1] == '/' ? "index.html" : "/index.html");
        fd = open_inside(c->svc->root, path);
    }
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        int status = (fd < 0 && errno == EACCES) ? 403 : 404;
        if (fd >= 0) close(fd);
        http_error(c, status, head, keep);
        return;
    }
    http_head(c, 200, http_media_type(path), (uint64_t)st.st_size, keep);
    c->resp_active = true;
    c->close_after = !keep;
    if (head || st.st_size == 0) {
        close(fd);
    } else {
        c->file = fd;
        c->file_left = (uint64_t)st.st_size;
    }
}

/* The last response is out and the connection ends: our FIN now, then
 * read and drop whatever the client still sends (the rest of an oversized
 * head, a body) until its FIN or LINGER_US, so it reads our answer rather
 * than a RST provoked by unread data. 1 when done. */
static int http_linger(struct serve *S, struct conn *c)
{
    uint64_t now = loop_now();
    if (!c->lingering) {
        c->lingering = true;
        c->linger_deadline = now + LINGER_US;
        synack_shutdown(S->L.stack, c->sd, SYNACK_SHUT_WR);
        c->shut_wr = true;
    }
    if (!drain(S, c)) return -1;
    if (c->peer_eof) return 1;
    if (now >= c->linger_deadline) return -1; /* still sending: reset */
    return 0;
}

static int step_http(struct serve *S, struct conn *c)
{
    if (c->lingering) return http_linger(S, c);
    uint64_t now = loop_now();
    if (!c->idle_deadline) c->idle_deadline = now + S->idle_timeout_us;
    if (c->head_deadline && now >= c->head_deadline && !c->resp_active && c->file < 0 && c->len == 0) {
        /* A head that does not complete in time (a slow or stalled
         * client holding a connection): 408, then close. */
        c->req_len = 0;
        c->head_deadline = 0;
        http_error(c, 408, false, false);
    } else if (now >= c->idle_deadline && !c->req_len && !c->resp_active && c->file < 0 && c->len == 0) {
        return 1; /* idle keep-alive connection: close it (FIN) */
    }
    uint64_t rx_before = c->rx, tx_before = c->tx;
    int rc = 0;
    for (int rounds = 0; rounds < 64; rounds++) {
        bool progress = false;
        if (c->len && !flush(S, c)) return -1;
        if (c->len) break; /* the send buffer is full: wait for ACKs */
        if (c->file >= 0) {
            size_t want = sizeof c->out;
            if (c->file_left < want) want = (size_t)c->file_left;
            ssize_t n = read(c->file, c->out, want);
            if (n <= 0) return -1; /* the file shrank: the length we promised cannot be kept */
            c->off = 0;
            c->len = (size_t)n;
            c->file_left -= (uint64_t)n;
            if (!c->file_left) {
                close(c->file);
                c->file = -1;
            }
            continue;
        }
        if (c->resp_active) { /* the whole response is queued */
            c->resp_active = false;
            if (c->close_after) return http_linger(S, c);
            progress = true;
        }
        /* Read more of the request stream (pipelined requests wait here). */
        if (!c->peer_eof && c->req_len < sizeof c->req) {
            ssize_t n = synack_recv(S->L.stack, c->sd, c->req + c->req_len, sizeof c->req - c->req_len);
            if (n > 0) {
                c->req_len += (size_t)n;
                c->rx += (uint64_t)n;
                progress = true;
            } else if (n == 0) {
                c->peer_eof = true;
                progress = true;
            } else if (n != -EAGAIN) {
                return -1;
            }
        }
        if (c->skip_body && c->req_len) {
            size_t k = c->req_len < c->skip_body ? c->req_len : (size_t)c->skip_body;
            memmove(c->req, c->req + k, c->req_len - k);
            c->req_len -= k;
            c->skip_body -= k;
            progress = true;
        }
        if (!c->skip_body && c->req_len) {
            struct http_request rq;
            long h = http_parse_request(c->req, c->req_len, &rq);
            if (h == HTTP_HEAD_TOO_LARGE) { /* a head longer than we accept */
                c->req_len = 0;
                c->requests++;
                http_error(c, 431, false, false);
                continue;
            }
            if (h != 0) {
                if (h > 0) {
                    memmove(c->req, c->req + h, c->req_len - (size_t)h);
                    c->req_len -= (size_t)h;
                }
                http_answer(c, &rq, h < 0);
                if (h < 0) c->req_len = 0;
                continue;
            }
        }
        if (c->peer_eof && !c->resp_active && c->file < 0 && c->len == 0) return 1;
        if (!progress) break;
    }
    /* Timers: a head in progress must complete by head_deadline (set when
     * its first byte arrives); any traffic restarts the idle timer. */
    if (c->req_len && !c->skip_body && !c->head_deadline) c->head_deadline = now + S->header_timeout_us;
    if (!c->req_len) c->head_deadline = 0;
    if (c->rx != rx_before || c->tx != tx_before || c->file >= 0) c->idle_deadline = now + S->idle_timeout_us;
    return rc;
}

/* ---- connections ------------------------------------------------------------- */

static void conn_free(struct serve *S, size_t i, bool graceful)
{
    struct conn *c = S->conns[i];
    if (!graceful) {
        struct synack_linger lg = {1, 0};
        synack_setsockopt(S->L.stack, c->sd, SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &lg, sizeof lg);
    }
    synack_close(S->L.stack, c->sd);
    if (c->file >= 0) close(c->file);
    if (S->verbose) {
        char a[16];
        fprintf(stderr, "%s: %s %s:%u closed: %" PRIu64 " bytes in, %" PRIu64 " bytes out%s%s\n", PROG,
                svc_name[c->svc->kind], synack_format_ipv4(c->peer.addr, a), c->peer.port, c->rx, c->tx,
                c->err ? ", error: " : (graceful ? "" : ", reset"), c->err ? synack_strerror(c->err) : "");
    }
    free(c);
    S->conns[i] = S->conns[--S->nconns];
}

static void accept_all(struct serve *S)
{
    for (int k = 0; k < S->nsvc; k++) {
        struct service *v = &S->svc[k];
        if (v->sd < 0) continue;
        for (;;) {
            struct synack_endpoint peer;
            int sd = synack_accept(S->L.stack, v->sd, &peer);
            if (sd < 0) break;
            if (v->kind == SVC_IPERF3) {
                iperf3_server_adopt(S->iperf3, sd, loop_now());
                S->accepted++;
                continue;
            }
            if (S->nconns == S->cap) {
                size_t cap = S->cap ? S->cap * 2 : 64;
                struct conn **p = realloc(S->conns, cap * sizeof *p);
                if (!p) {
                    synack_close(S->L.stack, sd);
                    continue;
                }
                S->conns = p;
                S->cap = cap;
            }
            struct conn *c = calloc(1, sizeof *c);
            if (!c) {
                synack_close(S->L.stack, sd);
                continue;
            }
            c->sd = sd;
            c->svc = v;
            c->peer = peer;
            c->file = -1;
            S->conns[S->nconns++] = c;
            S->accepted++;
            if (S->verbose) {
                char a[16];
                fprintf(stderr, "%s: %s connection from %s:%u\n", PROG, svc_name[v->kind],
                        synack_format_ipv4(peer.addr, a), peer.port);
            }
        }
    }
}

static void serve_step(void *ctx, struct loop *L)
{
    struct serve *S = ctx;
    if (!S->draining) accept_all(S);
    if (S->iperf3) {
        uint64_t wake = iperf3_server_step(S->iperf3, loop_now());
        if (wake != UINT64_MAX) loop_wake_at(L, wake);
    }
    for (size_t i = 0; i < S->nconns;) {
        struct conn *c = S->conns[i];
        int r;
        if (S->draining) {
            /* Our side is closed (FIN after what was queued); read and drop
             * until the peer's FIN, then close. */
            if (!c->shut_wr) {
                synack_shutdown(S->L.stack, c->sd, SYNACK_SHUT_WR);
                c->shut_wr = true;
            }
            r = drain(S, c) ? c->peer_eof : -1;
            if (r != 0) conn_free(S, i, r > 0);
            else i++;
            continue;
        }
        switch (c->svc->kind) {
        case SVC_ECHO: r = step_echo(S, c); break;
        case SVC_DISCARD: r = step_discard(S, c); break;
        case SVC_CHARGEN: r = step_chargen(S, c); break;
        case SVC_SOURCE: r = step_source(S, c); break;
        default: r = step_http(S, c); break;
        }
        if (r != 0) {
            conn_free(S, i, r > 0);
            continue;
        }
        if (c->svc->kind == SVC_HTTP) { /* wake up for its timers */
            uint64_t at = c->lingering ? c->linger_deadline : c->idle_deadline;
            if (c->head_deadline && c->head_deadline < at) at = c->head_deadline;
            loop_wake_at(L, at);
        }
        i++;
    }
    if (S->draining) {
        /* Done when every connection finished its FIN exchange (TIME_WAIT
         * is fine: it needs no peer), or when the grace period ends. */
        if (L->active == 0 || S->nconns == 0 || loop_now() >= S->drain_deadline) {
            while (S->nconns) conn_free(S, S->nconns - 1, false); /* out of time: RST */
            if (L->active == 0 || loop_now() >= S->drain_deadline) loop_stop(L, 0);
        }
        else loop_wake_at(L, loop_now() + 100000 < S->drain_deadline ? loop_now() + 100000 : S->drain_deadline);
    }
}

static void trace_state(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                        enum synack_tcp_state to, uint64_t now)
{
    (void)ctx;
    (void)now;
    char a[16];
    fprintf(stderr, "%s: %s:%u <-> :%u %s -> %s\n", PROG, synack_format_ipv4(id->raddr, a), id->rport, id->lport,
            synack_state_name(from), synack_state_name(to));
}

static void serve_signal(void *ctx, struct loop *L, int count)
{
    struct serve *S = ctx;
    if (count >= 2) {
        fprintf(stderr, "%s: second signal: resetting %zu connection(s) and exiting\n", PROG, S->nconns);
        while (S->nconns) conn_free(S, S->nconns - 1, false);
        iperf3_server_free(S->iperf3, false);
        S->iperf3 = NULL;
        loop_stop(L, 130);
        return;
    }
    fprintf(stderr, "%s: closing %zu connection(s) gracefully (signal again to abort)\n", PROG, S->nconns);
    S->draining = true;
    S->drain_deadline = loop_now() + GRACE_US;
    iperf3_server_free(S->iperf3, true);
    S->iperf3 = NULL;
    for (int k = 0; k < S->nsvc; k++) {
        if (S->svc[k].sd >= 0) synack_close(L->stack, S->svc[k].sd);
        S->svc[k].sd = -1;
    }
    /* serve_step now half-closes every connection (FIN after what is
     * queued: the rest of a file or a source is not sent) and waits for the
     * peers' FINs. */
    loop_wake_at(L, loop_now());
}

static int add_service(struct serve *S, enum svc kind, const char *arg)
{
    if (S->nsvc == MAX_SERVICES) {
        fprintf(stderr, "%s: at most %d services\n", PROG, MAX_SERVICES);
        return -1;
    }
    struct service *v = &S->svc[S->nsvc];
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->sd = -1;
    char opt[16];
    snprintf(opt, sizeof opt, "--%s", svc_name[kind]);
    if (kind == SVC_SOURCE || kind == SVC_HTTP) {
        const char *colon = strchr(arg, ':');
        if (!colon || colon == arg || !colon[1]) {
            fprintf(stderr, "%s: %s '%s': expected PORT:%s\n", PROG, opt, arg,
                    kind == SVC_SOURCE ? "BYTES" : "DIR");
            return -1;
        }
        char port[8];
        size_t pl = (size_t)(colon - arg);
        if (pl >= sizeof port) pl = sizeof port - 1;
        memcpy(port, arg, pl);
        port[pl] = '\0';
        if (loop_parse_port(port, PROG, opt, &v->port) != 0) return -1;
        if (kind == SVC_SOURCE) {
            char *end;
            errno = 0;
            unsigned long long b = strtoull(colon + 1, &end, 10);
            if (errno || *end || colon[1] == '-') {
                fprintf(stderr, "%s: %s '%s': BYTES must be a number\n", PROG, opt, arg);
                return -1;
            }
            v->bytes = b;
        } else {
            struct stat st;
            v->dir = colon + 1;
            if (stat(v->dir, &st) != 0 || !S_ISDIR(st.st_mode) || !(v->root = realpath(v->dir, NULL))) {
                fprintf(stderr, "%s: %s '%s': '%s' is not a directory\n", PROG, opt, arg, v->dir);
                return -1;
            }
        }
    } else if (loop_parse_port(arg, PROG, opt, &v->port) != 0) {
        return -1;
    }
    for (int k = 0; k < S->nsvc; k++)
        if (S->svc[k].port == v->port) {
            fprintf(stderr, "%s: %s %s: port %u is already used by --%s\n", PROG, opt, arg, v->port,
                    svc_name[S->svc[k].kind]);
            return -1;
        }
    S->nsvc++;
    return 0;
}

static void poke_loop(void *L) { loop_poke(L); }

/* The services' listeners on S's stack (opened), and its iperf3 server
 * (sharing sh with the other threads' when sh is not NULL). */
static int serve_start(struct serve *S, const struct loop_options *o, struct iperf3_shared *sh)
{
    struct loop *L = &S->L;
    for (int k = 0; k < S->nsvc; k++)
        if (S->svc[k].kind == SVC_IPERF3 && !S->iperf3) {
            S->iperf3 = sh ? iperf3_server_new_shared(L->stack, stderr, sh, poke_loop, L)
                           : iperf3_server_new(L->stack, stderr);
            if (!S->iperf3) {
                fprintf(stderr, "%s: out of memory\n", PROG);
                return -1;
            }
        }
    char addr[16];
    synack_format_ipv4(o->addr, addr);
    for (int k = 0; k < S->nsvc; k++) {
        struct service *v = &S->svc[k];
        int one = 1;
        struct synack_endpoint ep = {o->addr, v->port};
        int rc = v->sd = synack_socket(L->stack);
        if (rc >= 0) rc = synack_setsockopt(L->stack, v->sd, SYNACK_SOL_SOCKET, SYNACK_SO_REUSEADDR, &one, sizeof one);
        if (rc >= 0) rc = synack_bind(L->stack, v->sd, &ep);
        if (rc >= 0) rc = synack_listen(L->stack, v->sd, 1024);
        if (rc < 0) {
            fprintf(stderr, "%s: --%s %u: cannot listen: %s\n", PROG, svc_name[v->kind], v->port, synack_strerror(rc));
            return -1;
        }
        if (L->queue == 0) fprintf(stderr, "%s: %s on %s:%u\n", PROG, svc_name[v->kind], addr, v->port);
    }
    if (S->verbose) L->state_hook = trace_state;
    return 0;
}

/* Closes what serve_start and the connections hold (the loop stays). */
static void serve_finish(struct serve *S)
{
    while (S->nconns) conn_free(S, S->nconns - 1, false);
    iperf3_server_free(S->iperf3, false);
    S->iperf3 = NULL;
    free(S->conns);
    S->conns = NULL;
}

static void *serve_thread(void *arg)
{
    struct serve *S = arg;
    struct loop_app app = {.ctx = S, .step = serve_step, .on_signal = serve_signal};
    loop_run(&S->L, &app);
    return NULL;
}

/* --threads n: n copies of the parsed S, one per queue and thread. */
static int serve_threads(const struct serve *S0, const struct loop_options *o, unsigned n)
{
    struct serve *Sv[LOOP_MAX_THREADS] = {0};
    struct loop *loops[LOOP_MAX_THREADS];
    for (unsigned i = 0; i < n; i++) {
        Sv[i] = malloc(sizeof *Sv[i]);
        if (!Sv[i]) {
            fprintf(stderr, "%s: out of memory\n", PROG);
            for (unsigned k = 0; k < i; k++) free(Sv[k]);
            return 1;
        }
        memcpy(Sv[i], S0, sizeof *S0);
        loops[i] = &Sv[i]->L;
    }
    struct loop_group *g = NULL;
    struct iperf3_shared *sh = NULL;
    int status = 1;
    unsigned started = 0;
    pthread_t tid[LOOP_MAX_THREADS];
    if (loop_group_open(&g, loops, n, o, PROG) != 0) goto out_free;
    for (int k = 0; k < S0->nsvc; k++)
        if (S0->svc[k].kind == SVC_IPERF3 && !(sh = iperf3_shared_new(n))) {
            fprintf(stderr, "%s: out of memory\n", PROG);
            goto out;
        }
    for (unsigned i = 0; i < n; i++)
        if (serve_start(Sv[i], o, sh) != 0) goto out;
    char addr[16];
    fprintf(stderr, "%s: listening on %s (%s, mtu %u, %u threads on %u queues)\n", PROG,
            synack_format_ipv4(o->addr, addr), loops[0]->tun.name, loops[0]->tun.mtu, n, n);
    for (started = 1; started < n; started++)
        if (pthread_create(&tid[started], NULL, serve_thread, Sv[started]) != 0) {
            fprintf(stderr, "%s: cannot start thread %u\n", PROG, started);
            for (unsigned k = 0; k < started; k++) loop_stop(loops[k], 1), loop_poke(loops[k]);
            break;
        }
    if (started == n) {
        struct loop_app app = {.ctx = Sv[0], .step = serve_step, .on_signal = serve_signal};
        status = loop_run(loops[0], &app);
    }
    for (unsigned i = 1; i < started; i++) pthread_join(tid[i], NULL);
out:;
    uint64_t accepted = 0;
    for (unsigned i = 0; i < n; i++) {
        serve_finish(Sv[i]);
        accepted += Sv[i]->accepted;
    }
    iperf3_shared_free(sh);
    if (o->stats) fprintf(stderr, "stats: connections_accepted=%" PRIu64 "\n", accepted);
    for (unsigned i = 0; i < n; i++) loop_close(loops[i]);
    loop_group_free(g);
out_free:
    for (unsigned i = 0; i < n; i++) free(Sv[i]);
    return status;
}

int serve_main(int argc, char **argv)
{
    static struct serve S; /* large: keep it off the stack */
    memset(&S, 0, sizeof S);
    S.header_timeout_us = HEADER_TIMEOUT_S * 1000000ull;
    S.idle_timeout_us = IDLE_TIMEOUT_S * 1000000ull;
    unsigned threads = 1;
    struct loop_options o;
    loop_options_default(&o);
    for (int i = 1; i < argc;) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        int r = loop_parse_option(&o, argc, argv, &i, PROG);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            S.verbose = true;
            i++;
            continue;
        }
        if (!strcmp(a, "--threads")) {
            char *end;
            unsigned long t = i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;
            if (i + 1 >= argc || *end || end == argv[i + 1] || argv[i + 1][0] == '-' || t < 1 ||
                t > LOOP_MAX_THREADS) {
                fprintf(stderr, "%s: --threads needs a number from 1 to %u\n", PROG, LOOP_MAX_THREADS);
                return 2;
            }
            threads = (unsigned)t;
            i += 2;
            continue;
        }
        if (!strcmp(a, "--header-timeout") || !strcmp(a, "--idle-timeout")) {
            char *end;
            double sec = i + 1 < argc ? strtod(argv[i + 1], &end) : -1;
            if (i + 1 >= argc || *end || end == argv[i + 1] || !(sec > 0 && sec <= 86400)) {
                fprintf(stderr, "%s: %s needs a number of seconds (0 < S <= 86400)\n", PROG, a);
                return 2;
            }
            *(a[2] == 'h' ? &S.header_timeout_us : &S.idle_timeout_us) = (uint64_t)(sec * 1e6);
            i += 2;
            continue;
        }
        static const char *const names[] = {"--echo", "--discard", "--chargen", "--source", "--http", "--iperf3"};
        int kind = -1;
        for (int k = 0; k < NSVC_KINDS; k++)
            if (!strcmp(a, names[k])) kind = k;
        if (kind < 0) {
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", PROG, a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "%s: %s needs a value\n", PROG, a);
            return 2;
        }
        if (add_service(&S, (enum svc)kind, argv[i + 1]) != 0) return 2;
        i += 2;
    }
    if (o.list_tunables) return loop_list_tunables(&o);
    if (loop_check_options(&o, PROG) != 0) return 2;
    if (S.nsvc == 0) {
        fprintf(stderr, "%s: no service: give at least one of --echo, --discard, --chargen, --source, --http, --iperf3\n",
                PROG);
        return 2;
    }
    if (threads > 1) return serve_threads(&S, &o, threads);
    if (loop_open(&S.L, &o, PROG) != 0) {
        loop_close(&S.L);
        return 1;
    }
    struct loop *L = &S.L;
    if (serve_start(&S, &o, NULL) != 0) {
        serve_finish(&S);
        loop_close(L);
        return 1;
    }
    char addr[16];
    fprintf(stderr, "%s: listening on %s (%s, mtu %u)\n", PROG, synack_format_ipv4(o.addr, addr), L->tun.name,
            L->tun.mtu);
    struct loop_app app = {.ctx = &S, .step = serve_step, .on_signal = serve_signal};
    int status = loop_run(L, &app);
    serve_finish(&S);
    if (o.stats) fprintf(stderr, "stats: connections_accepted=%" PRIu64 "\n", S.accepted);
    loop_close(L);
    return status;
}
