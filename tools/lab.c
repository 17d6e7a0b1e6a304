/*
 * lab.c — `synack lab`: the default scenario and its ladder (see lab.h).
 *
 * Map: options and usage; the ladder printer (fed by the simulator's tap and
 * the stacks' state hook, in the order things happen); the two
 * applications (client, server) as small state machines driven by
 * world_run; lab_run and lab_main.
 */
#include "lab.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "synack/pcap.h"
#include "synack/sim.h"
#include "render.h"
#include "tunables.h"
#include "wire/wire.h"
#include "world.h"

#define CLIENT_ADDR 0x0a000001u /* 10.0.0.1 */
#define SERVER_ADDR 0x0a000002u /* 10.0.0.2 */
#define SERVER_PORT 80
#define DEFAULT_REQUEST "GET / HTTP/1.0\r\n\r\n"
#define DEFAULT_ANSWER "Hello, Client!"

void lab_options_default(struct lab_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->delay_ms = 10;
    o->bytes = sizeof DEFAULT_ANSWER - 1;
    o->msl_ms = 30000;
    o->limit_s = 3600;
}

/* Byte i of the server's answer: the tutorial's greeting, then a pattern
 * that differs at every position of a 2^24 period (so a shifted or repeated
 * block is caught). */
static uint8_t answer_byte(uint64_t i)
{
    static const char hello[] = DEFAULT_ANSWER;
    if (i < sizeof hello - 1) return (uint8_t)hello[i];
    uint64_t x = i * 0x9e3779b97f4a7c15ull;
    return (uint8_t)((x >> 56) ^ (i & 0xff));
}

/* ---- the ladder ----------------------------------------------------------- */

struct side_seq {
    bool have_isn;
    uint32_t isn;
    int wscale;          /* shift offered in this side's SYN, -1 when none */
    uint32_t high;       /* highest sequence number sent + 1 */
    bool sent_any;
};

struct lab {
    const struct lab_options *opt;
    FILE *out;
    struct lab_result *res;
    struct world w;
    int client_host, server_host;
    struct synack_pcap *pcap;
    int pcap_err;
    struct side_seq seq[2]; /* 0: client, 1: server */

    /* applications */
    int lsd, csd, ssd;
    int client_phase, server_phase;
    uint64_t req_sent, req_recv, ans_sent, ans_recv;
    uint8_t req_buf[64];
    bool client_conn_closed, server_conn_closed;
    bool client_seen, server_seen;
};

#define MID_WIDTH 62

static void print_time(struct lab *L, uint64_t t) { fprintf(L->out, "%10.3f  ", (double)t / 1000.0); }

/* --svg/--html: the picture recorder, set by lab_main for the run (render.h). */
static struct render_ladder *lab_render;

static void state_line(struct lab *L, int side, const char *from, const char *to, uint64_t now)
{
    if (lab_render) render_record_state(lab_render, side, now, from, to);
    if (!L->out) return;
    char text[64];
    snprintf(text, sizeof text, "%s -> %s", from, to);
    print_time(L, now);
    if (side == 0) fprintf(L->out, "%s\n", text);
    else fprintf(L->out, "%-24s %*s%s\n", "", MID_WIDTH - 20, "", text);
}

static void on_state(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                     enum synack_tcp_state to, uint64_t now)
{
    struct lab *L = ctx;
    int side = id->laddr == CLIENT_ADDR ? 0 : 1;
    struct lab_result *r = L->res;
    /* A passive connection is born from the listener: show LISTEN as its
     * first state, as the tutorial does. */
    const char *from_name = synack_state_name(from);
    if (side == 1 && from == SYNACK_CLOSED && to == SYNACK_SYN_RCVD) from_name = "LISTEN";
    if (side == 0) {
        if (r->nclient_states < LAB_MAX_STATES) r->client_states[r->nclient_states++] = to;
        if (to == SYNACK_CLOSED) L->client_conn_closed = true;
    } else {
        if (r->nserver_states < LAB_MAX_STATES) r->server_states[r->nserver_states++] = to;
        if (to == SYNACK_CLOSED) L->server_conn_closed = true;
    }
    state_line(L, side, from_name, synack_state_name(to), now);
}

/* Options worth a reader's eye: all of a SYN's, and SACK blocks (relative
 * to the receiver's ISN, i.e. to the sender of the data). Timestamps on
 * ordinary segments are left out to keep lines short. */
static void describe_options(const struct tcp_options *o, bool syn, uint32_t base, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = '\0';
    if (syn) {
        if (o->has_mss) n += (size_t)snprintf(buf + n, cap - n, " mss=%u", o->mss);
        if (n < cap && o->sack_permitted) n += (size_t)snprintf(buf + n, cap - n, " sackOK");
        if (n < cap && o->has_timestamp) n += (size_t)snprintf(buf + n, cap - n, " TS");
        if (n < cap && o->has_wscale) n += (size_t)snprintf(buf + n, cap - n, " ws=%u", o->wscale);
    }
    for (unsigned i = 0; i < o->sack_count && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, " sack=%" PRIu32 "-%" PRIu32, o->sack[i].left - base,
                              o->sack[i].right - base);
}

static void on_packet(void *ctx, int from_host, int to_host, const uint8_t *pkt, size_t len,
                      uint64_t now, enum synack_sim_fate fate, int dup)
{
    struct lab *L = ctx;
    (void)to_host;
    if (L->pcap && L->pcap_err == 0) L->pcap_err = synack_pcap_write(L->pcap, pkt, len, now);
    if (dup) return; /* the copy is the same segment: one ladder line is enough */
    struct ipv4_repr ip;
    struct tcp_repr tcp;
    if (ipv4_parse(&ip, pkt, len) != 0 || ip.protocol != IPV4_PROTO_TCP) return;
    if (tcp_parse_nocsum(&tcp, pkt + ip.header_len, ip.payload_len) != 0) return;
    int side = from_host == L->w.hosts[L->client_host].sim_id ? 0 : 1;
    if (lab_render) {
        bool lost = fate == SYNACK_SIM_LOST || fate == SYNACK_SIM_QUEUE_DROP;
        uint64_t arrive = L->opt->reorder > 0 ? RENDER_UNKNOWN : now + (uint64_t)L->opt->delay_ms * 1000u;
        render_record_ipv4(lab_render, side, now, arrive, pkt, len, lost, fate == SYNACK_SIM_CORRUPTED);
    }
    struct side_seq *me = &L->seq[side], *peer = &L->seq[1 - side];
    if ((tcp.flags & TCP_SYN) && !me->have_isn) {
        me->have_isn = true;
        me->isn = tcp.seq;
        me->wscale = tcp.opt.has_wscale ? (tcp.opt.wscale > 14 ? 14 : tcp.opt.wscale) : -1;
    }
    uint32_t end = tcp.seq + (uint32_t)tcp.payload_len + ((tcp.flags & TCP_SYN) ? 1 : 0) +
                   ((tcp.flags & TCP_FIN) ? 1 : 0);
    bool consumes = end != tcp.seq;
    bool retrans = consumes && me->sent_any && (int32_t)(tcp.seq - me->high) < 0;
    if (consumes && (!me->sent_any || (int32_t)(end - me->high) > 0)) {
        me->high = end;
        me->sent_any = true;
    }
    L->res->segments++;
    if (fate == SYNACK_SIM_LOST || fate == SYNACK_SIM_QUEUE_DROP) L->res->lost++;
    if (retrans) L->res->retransmissions++;
    if (!L->out) return;

    uint32_t seq = tcp.seq, ack = tcp.ack;
    if (!L->opt->absolute) {
        if (me->have_isn) seq -= me->isn;
        ack = (tcp.flags & TCP_ACK) ? (peer->have_isn ? ack - peer->isn : ack) : 0;
    }
    char opts[128], body[200];
    bool syn = tcp.flags & TCP_SYN;
    describe_options(&tcp.opt, syn, L->opt->absolute || !peer->have_isn ? 0 : peer->isn, opts, sizeof opts);
    /* The window as the receiver reads it: scaled once both SYNs offered
     * scaling (Wireshark's "calculated window size"); SYNs never are. */
    uint32_t win = tcp.window;
    if (!syn && me->wscale >= 0 && peer->wscale >= 0) win <<= me->wscale;
    snprintf(body, sizeof body, "%s seq=%" PRIu32 " ack=%" PRIu32 " len=%zu win=%" PRIu32 "%s",
             tcp_flags_str(tcp.flags), seq, ack, tcp.payload_len, win, opts);
    const char *note = fate == SYNACK_SIM_LOST         ? "  (lost)"
                       : fate == SYNACK_SIM_QUEUE_DROP ? "  (dropped: queue full)"
                       : fate == SYNACK_SIM_CORRUPTED  ? "  (corrupted)"
                                                       : "";
    bool gone = fate == SYNACK_SIM_LOST || fate == SYNACK_SIM_QUEUE_DROP;
    /* client ---- text ----> server, or server <---- text ---- client */
    size_t blen = strlen(body);
    int pad = MID_WIDTH - 8 - (int)blen;
    if (pad < 2) pad = 2;
    char dashes[MID_WIDTH + 1];
    memset(dashes, '-', sizeof dashes - 1);
    dashes[pad > MID_WIDTH ? MID_WIDTH : pad] = '\0';
    print_time(L, now);
    if (side == 0)
        fprintf(L->out, "       --- %s %s%s", body, dashes, gone ? "-X" : "->");
    else
        fprintf(L->out, "       %s%s %s ---", gone ? "X-" : "<-", dashes, body);
    fprintf(L->out, "%s%s\n", retrans ? "  (retransmission)" : "", note);
}

/* ---- the applications ------------------------------------------------------ */

static void fail(struct lab *L, const char *what, int err)
{
    if (L->res->failure[0] == '\0')
        snprintf(L->res->failure, sizeof L->res->failure, "%s: %s", what, synack_strerror(err));
}

/* Client: connect, send the request, read the whole answer, close first. */
static bool client_turn(struct lab *L)
{
    synack_stack *st = world_stack(&L->w, L->client_host);
    static const char request[] = DEFAULT_REQUEST;
    switch (L->client_phase) {
    case 0: {
        L->csd = synack_socket(st);
        struct synack_endpoint srv = {SERVER_ADDR, SERVER_PORT};
        int rc = synack_connect(st, L->csd, &srv);
        if (rc != -EINPROGRESS && rc != 0) {
            fail(L, "client connect", rc);
            L->res->client_error = rc;
            return true;
        }
        L->client_phase = 1;
        return false;
    }
    case 1: {
        struct synack_pollfd p = {L->csd, SYNACK_POLLOUT, 0};
        synack_poll(st, &p, 1);
        if (p.revents & (SYNACK_POLLERR | SYNACK_POLLHUP)) {
            int e = 0;
            size_t el = sizeof e;
            synack_getsockopt(st, L->csd, SYNACK_SOL_SOCKET, SYNACK_SO_ERROR, &e, &el);
            fail(L, "client connect", -e);
            L->res->client_error = -e;
            synack_close(st, L->csd);
            L->client_phase = 9;
            return true;
        }
        if (!(p.revents & SYNACK_POLLOUT)) return false;
        L->client_phase = 2;
    }
    /* fall through */
    case 2:
        while (L->req_sent < sizeof request - 1) {
            ssize_t n = synack_send(st, L->csd, request + L->req_sent, sizeof request - 1 - L->req_sent);
            if (n == -EAGAIN) return false;
            if (n < 0) {
                fail(L, "client send", (int)n);
                L->res->client_error = (int)n;
                return true;
            }
            L->req_sent += (uint64_t)n;
        }
        L->client_phase = 3;
    /* fall through */
    case 3: {
        uint8_t buf[4096];
        for (;;) {
            ssize_t n = synack_recv(st, L->csd, buf, sizeof buf);
            if (n == -EAGAIN) return false;
            if (n < 0) {
                fail(L, "client recv", (int)n);
                L->res->client_error = (int)n;
                synack_close(st, L->csd);
                L->client_phase = 9;
                return true;
            }
            if (n == 0) break; /* early EOF: the server closed first */
            for (ssize_t i = 0; i < n; i++) {
                if (L->ans_recv + (uint64_t)i >= L->opt->bytes || buf[i] != answer_byte(L->ans_recv + (uint64_t)i))
                    L->res->data_ok = false;
            }
            L->ans_recv += (uint64_t)n;
            if (L->ans_recv >= L->opt->bytes) break;
        }
        /* The whole answer is in: the client closes first. */
        synack_close(st, L->csd);
        L->client_phase = 9;
        return true;
    }
    default:
        return true;
    }
}

/* Server: listen, accept, read the request, answer, wait for EOF, close. */
static bool server_turn(struct lab *L)
{
    synack_stack *st = world_stack(&L->w, L->server_host);
    static const char request[] = DEFAULT_REQUEST;
    switch (L->server_phase) {
    case 0: {
        L->lsd = synack_socket(st);
        struct synack_endpoint any = {0, SERVER_PORT};
        int rc = synack_bind(st, L->lsd, &any);
        if (rc == 0) rc = synack_listen(st, L->lsd, 8);
        if (rc != 0) {
            fail(L, "server listen", rc);
            L->res->server_error = rc;
            return true;
        }
        state_line(L, 1, "CLOSED", "LISTEN", world_now(&L->w));
        L->server_phase = 1;
    }
    /* fall through */
    case 1: {
        struct synack_endpoint peer;
        int sd = synack_accept(st, L->lsd, &peer);
        if (sd == -EAGAIN) return false;
        if (sd < 0) {
            fail(L, "server accept", sd);
            L->res->server_error = sd;
            return true;
        }
        L->ssd = sd;
        L->server_phase = 2;
    }
    /* fall through */
    case 2:
        while (L->req_recv < sizeof request - 1) {
            ssize_t n = synack_recv(st, L->ssd, L->req_buf + L->req_recv, sizeof request - 1 - L->req_recv);
            if (n == -EAGAIN) return false;
            if (n <= 0) {
                fail(L, "server recv (request)", n == 0 ? -ENOTCONN : (int)n);
                L->res->server_error = n == 0 ? -ENOTCONN : (int)n;
                synack_close(st, L->ssd);
                L->server_phase = 9;
                return true;
            }
            L->req_recv += (uint64_t)n;
        }
        if (memcmp(L->req_buf, request, sizeof request - 1) != 0) L->res->data_ok = false;
        L->server_phase = 3;
    /* fall through */
    case 3: {
        uint8_t buf[4096];
        while (L->ans_sent < L->opt->bytes) {
            uint64_t left = L->opt->bytes - L->ans_sent;
            size_t chunk = left < sizeof buf ? (size_t)left : sizeof buf;
            for (size_t i = 0; i < chunk; i++) buf[i] = answer_byte(L->ans_sent + i);
            ssize_t n = synack_send(st, L->ssd, buf, chunk);
            if (n == -EAGAIN) return false;
            if (n < 0) {
                fail(L, "server send", (int)n);
                L->res->server_error = (int)n;
                synack_close(st, L->ssd);
                L->server_phase = 9;
                return true;
            }
            L->ans_sent += (uint64_t)n;
        }
        L->server_phase = 4;
    }
    /* fall through */
    case 4: {
        uint8_t buf[256];
        for (;;) {
            ssize_t n = synack_recv(st, L->ssd, buf, sizeof buf);
            if (n == -EAGAIN) return false;
            if (n > 0) continue; /* nothing more is expected; discard */
            if (n < 0) {
                fail(L, "server recv (EOF)", (int)n);
                L->res->server_error = (int)n;
            }
            break;
        }
        synack_close(st, L->ssd);
        synack_close(st, L->lsd);
        L->server_phase = 9;
        return true;
    }
    default:
        return true;
    }
}

static bool lab_turn(void *ctx, struct world *w)
{
    (void)w;
    struct lab *L = ctx;
    bool s = server_turn(L);
    bool c = client_turn(L);
    /* Done when both applications finished and both connections are gone
     * (the client's only after TIME_WAIT). */
    bool client_gone = L->client_conn_closed || L->res->nclient_states == 0;
    bool server_gone = L->server_conn_closed || L->res->nserver_states == 0;
    return c && s && client_gone && server_gone;
}

/* ---- run ------------------------------------------------------------------ */

int lab_run(const struct lab_options *o, FILE *out, struct lab_result *res)
{
    struct lab *L = calloc(1, sizeof *L);
    if (!L) return -ENOMEM;
    memset(res, 0, sizeof *res);
    res->data_ok = true;
    L->opt = o;
    L->out = out;
    L->res = res;
    L->lsd = L->csd = L->ssd = -1;
    L->seq[0].wscale = L->seq[1].wscale = -1;
    int rc = world_init(&L->w, o->seed);
    if (rc) {
        free(L);
        return rc;
    }
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.tunables.msl_ms = o->msl_ms;
    for (int i = 0; i < o->nset; i++) {
        rc = tunables_set(&cfg.tunables, o->set[i], stderr);
        if (rc) goto done;
    }
    cfg.on_state = on_state;
    cfg.state_ctx = L;
    L->client_host = world_add_host(&L->w, CLIENT_ADDR, &cfg);
    L->server_host = world_add_host(&L->w, SERVER_ADDR, &cfg);
    if (L->client_host < 0 || L->server_host < 0) {
        rc = L->client_host < 0 ? L->client_host : L->server_host;
        goto done;
    }
    struct synack_sim_link_params p = {0};
    p.delay_us = (uint64_t)o->delay_ms * 1000u;
    p.loss = o->loss;
    p.reorder = o->reorder;
    p.reorder_us = 2 * p.delay_us + 1000;
    p.duplicate = o->duplicate;
    p.corrupt = o->corrupt;
    rc = world_link(&L->w, L->client_host, L->server_host, &p, &p);
    if (rc < 0) goto done;
    if (o->pcap) {
        L->pcap = synack_pcap_open(o->pcap, &rc);
        if (!L->pcap) goto done;
    }
    synack_sim_set_tap(L->w.sim, on_packet, L);

    if (out) {
        fprintf(out, "synack lab: client 10.0.0.1 connects to server 10.0.0.2:%d, sends a %zu-byte request,\n"
                     "the server answers %" PRIu64 " bytes, the client closes first, then the server.\n"
                     "one-way delay %u ms, loss %g, reorder %g, duplicate %g, corrupt %g (each way), seed %" PRIu64 ",\n"
                     "2*MSL %u ms; %s sequence numbers\n\n",
                SERVER_PORT, sizeof DEFAULT_REQUEST - 1, o->bytes, o->delay_ms, o->loss, o->reorder,
                o->duplicate, o->corrupt, o->seed,
                2 * o->msl_ms, o->absolute ? "absolute" : "relative");
        fprintf(out, "%10s  %-24s %*s%s\n", "time (ms)", "client 10.0.0.1", MID_WIDTH - 20, "",
                "server 10.0.0.2:80");
    }
    int run = world_run(&L->w, o->limit_s * 1000000ull, lab_turn, L);
    res->end_time_us = world_now(&L->w);
    res->request_bytes = L->req_recv;
    res->response_bytes = o->bytes;
    res->response_received = L->ans_recv;
    res->data_complete = L->ans_recv == o->bytes && L->req_recv == sizeof DEFAULT_REQUEST - 1;
    if (run == -ETIMEDOUT && !res->failure[0])
        snprintf(res->failure, sizeof res->failure,
                 "did not complete within %" PRIu64 " s of virtual time (client phase %d, server phase %d, "
                 "%" PRIu64 "/%" PRIu64 " answer bytes received)",
                 o->limit_s, L->client_phase, L->server_phase, L->ans_recv, o->bytes);
    else if (run == -EDEADLK && !res->failure[0])
        snprintf(res->failure, sizeof res->failure,
                 "stalled: nothing left to happen (client phase %d, server phase %d, %" PRIu64 "/%" PRIu64
                 " answer bytes received)",
                 L->client_phase, L->server_phase, L->ans_recv, o->bytes);
    res->completed = run == 0 && res->data_ok && res->data_complete && res->client_error == 0 && res->server_error == 0 &&
                     !res->failure[0];
    rc = res->completed ? 0 : 1;
    if (L->pcap) {
        int cerr = synack_pcap_close(L->pcap);
        if (L->pcap_err == 0) L->pcap_err = cerr;
        L->pcap = NULL;
        if (L->pcap_err) {
            snprintf(res->failure, sizeof res->failure, "writing %s: %s", o->pcap, strerror(-L->pcap_err));
            res->completed = false;
            rc = 1;
        }
    }
done:
    if (L->pcap) synack_pcap_close(L->pcap);
    world_destroy(&L->w);
    free(L);
    return rc;
}

/* ---- command line ------------------------------------------------------------ */

static void lab_usage(FILE *f)
{
    fprintf(f,
            "usage: synack lab [options]\n"
            "Plays a TCP connection in the simulated network and prints its ladder.\n\n"
            "  --seed N         seed of the simulated network (default 1)\n"
            "  --loss P         probability 0..1 that a packet is lost, each way (default 0)\n"
            "  --reorder P      probability that a packet is held back (up to 2*delay + 1 ms)\n"
            "  --duplicate P    probability that a packet is delivered twice\n"
            "  --corrupt P      probability that one bit of a packet is flipped\n"
            "  --delay MS       one-way delay in milliseconds (default 10)\n"
            "  --bytes N        size of the server's answer in bytes (default 14: \"Hello, Client!\")\n"
            "  --msl MS         maximum segment lifetime; TIME_WAIT lasts 2*MSL (default 30000)\n"
            "  --time-limit S   give up after S seconds of virtual time (default 3600)\n"
            "  --pcap FILE      write every segment to FILE (pcap, raw IPv4)\n"
            "  --svg FILE       draw the ladder as SVG\n"
            "  --html FILE      write a self-contained page: explanation, ladder and graphs\n"
            "  --set NAME=VALUE set a stack tunable on both hosts (e.g. syn_retries=3)\n"
            "  --list-tunables  list the tunables, their defaults and meaning\n"
            "  --absolute       show raw sequence numbers instead of relative ones\n"
            "  --quiet          print only the summary\n");
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-' || v > max) return -1;
    *out = v;
    return 0;
}

int lab_main(int argc, char **argv)
{
    struct lab_options o;
    lab_options_default(&o);
    const char *pic_svg = NULL, *pic_html = NULL; /* --svg FILE, --html FILE */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            lab_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--absolute")) {
            o.absolute = true;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = true;
        } else if (!strcmp(a, "--seed")) {
            if (parse_u64(v, UINT64_MAX, &o.seed)) goto bad;
            i++;
        } else if (!strcmp(a, "--loss") || !strcmp(a, "--reorder") || !strcmp(a, "--duplicate") ||
                   !strcmp(a, "--corrupt")) {
            char *end;
            if (!v) goto bad;
            double p = strtod(v, &end);
            if (end == v || *end || !(p >= 0.0 && p <= 1.0)) goto bad;
            if (a[2] == 'l') o.loss = p;
            else if (a[2] == 'r') o.reorder = p;
            else if (a[2] == 'd') o.duplicate = p;
            else o.corrupt = p;
            i++;
        } else if (!strcmp(a, "--delay")) {
            if (parse_u64(v, 3600000, &n)) goto bad;
            o.delay_ms = (uint32_t)n;
            i++;
        } else if (!strcmp(a, "--bytes")) {
            if (parse_u64(v, 1ull << 40, &o.bytes)) goto bad;
            i++;
        } else if (!strcmp(a, "--msl")) {
            if (parse_u64(v, 3600000, &n) || n == 0) goto bad;
            o.msl_ms = (uint32_t)n;
            i++;
        } else if (!strcmp(a, "--time-limit")) {
            if (parse_u64(v, 1000000, &o.limit_s) || o.limit_s == 0) goto bad;
            i++;
        } else if (!strcmp(a, "--svg") || !strcmp(a, "--html")) {
            if (!v) goto bad;
            if (a[2] == 's') pic_svg = v;
            else pic_html = v;
            i++;
        } else if (!strcmp(a, "--set")) {
            if (!v || o.nset == 16) goto bad;
            struct synack_config defaults; /* check the name and value now */
            synack_config_init(&defaults);
            if (tunables_set(&defaults.tunables, v, stderr) != 0) return 2;
            o.set[o.nset++] = v;
            i++;
        } else if (!strcmp(a, "--list-tunables")) {
            struct synack_config defaults;
            synack_config_init(&defaults);
            tunables_list(&defaults.tunables, stdout);
            return 0;
        } else if (!strcmp(a, "--pcap")) {
            if (!v) goto bad;
            o.pcap = v;
            i++;
        } else {
            fprintf(stderr, "synack lab: unknown option '%s'\n", a);
            lab_usage(stderr);
            return 2;
        }
        continue;
    bad:
        fprintf(stderr, "synack lab: option %s needs a valid value%s%s%s\n", a, v ? " (got '" : "", v ? v : "",
                v ? "')" : "");
        lab_usage(stderr);
        return 2;
    }
    struct lab_result res;
    struct render_ladder *pic = NULL;
    if (pic_svg || pic_html) pic = render_new("synack lab", "client 10.0.0.1", "server 10.0.0.2:80");
    lab_render = pic;
    int rc = lab_run(&o, o.quiet ? NULL : stdout, &res);
    lab_render = NULL;
    int pic_err = pic && rc >= 0 ? render_lab_pictures(pic, &o, &res, pic_svg, pic_html) : 0;
    render_free(pic);
    if (pic_err) {
        fprintf(stderr, "synack lab: writing the pictures: %s\n", strerror(-pic_err));
        return 1;
    }
    if (rc < 0) {
        fprintf(stderr, "synack lab: %s\n", strerror(-rc));
        return 1;
    }
    printf("\n%" PRIu64 " segments (%" PRIu64 " lost in the network, %" PRIu64 " retransmissions), "
           "finished at %.3f s of virtual time\n",
           res.segments, res.lost, res.retransmissions, (double)res.end_time_us / 1e6);
    printf("request: %" PRIu64 "/%zu bytes to the server; answer: %" PRIu64 "/%" PRIu64 " bytes to the client; %s\n",
           res.request_bytes, sizeof DEFAULT_REQUEST - 1, res.response_received, res.response_bytes,
           !res.data_ok ? "DATA MISMATCH" : res.data_complete ? "byte-exact" : "incomplete");
    if (o.pcap && res.failure[0] == '\0') printf("capture written to %s\n", o.pcap);
    if (!res.completed) {
        printf("FAILED: %s\n", res.failure[0] ? res.failure : "the scenario did not complete");
        return 1;
    }
    printf("completed: both sides reached CLOSED\n");
    return 0;
}
