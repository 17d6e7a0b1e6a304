/*
 * trace.c — `synack trace` (see trace.h).
 *
 * Map: sequence helpers; connection lookup and creation (find_conn); state
 * inference (sender_states, receiver_states); one packet
 * (trace_packet); reading a capture (trace_read); printing (trace_print);
 * the command line (trace_main).
 *
 * The analysis marks (Wireshark's tcp_analyze_sequence_number) come from
 * tools/view/analysis.c, which the lab's pictures share.
 */
#include "trace.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"
#include "pcapread.h"
#include "synack/wire.h"


static bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

static int mark_bit(uint32_t mark)
{
    for (int i = 0; i < 32; i++)
        if (mark == (1u << i)) return i;
    return 0;
}

uint32_t trace_marks(const struct trace_conn *c, uint32_t mark) { return c->mark_count[mark_bit(mark)]; }

/* ---- connections ---------------------------------------------------------------- */

static void addr_str(uint32_t a, uint16_t port, char *buf, size_t cap)
{
    snprintf(buf, cap, "%u.%u.%u.%u:%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff, port);
}

/* The bucket of a 4-tuple, the same for both directions. */
static size_t tuple_bucket(uint32_t a1, uint16_t p1, uint32_t a2, uint16_t p2)
{
    uint64_t x = ((uint64_t)a1 << 16 | p1), y = ((uint64_t)a2 << 16 | p2);
    uint64_t lo = x < y ? x : y, hi = x < y ? y : x;
    uint64_t h = (lo * 0x9e3779b97f4a7c15ull) ^ (hi + 0x632be59bd9b4e019ull + (lo << 6) + (lo >> 2));
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    return (size_t)(h & (TRACE_HASH_BUCKETS - 1));
}

static struct trace_conn *new_conn(struct trace *t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                   const struct tcp_repr *tcp, uint64_t now_ns)
{
    if (t->nconns >= TRACE_MAX_CONNS) {
        t->over_cap = true;
        return NULL;
    }
    if (!t->hash && !(t->hash = calloc(TRACE_HASH_BUCKETS, sizeof *t->hash))) return NULL;
    if (t->nconns == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 16;
        struct trace_conn **n = realloc(t->conns, ncap * sizeof *n);
        if (!n) return NULL;
        t->conns = n;
        t->cap = ncap;
    }
    struct trace_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    /* The client is who sent the first SYN; mid-stream, the higher port. */
    bool sender_is_client;
    if (tcp->flags & TCP_SYN) sender_is_client = !(tcp->flags & TCP_ACK);
    else sender_is_client = sport >= dport;
    c->addr[0] = sender_is_client ? src : dst;
    c->port[0] = sender_is_client ? sport : dport;
    c->addr[1] = sender_is_client ? dst : src;
    c->port[1] = sender_is_client ? dport : sport;
    c->f[0].wscale = c->f[1].wscale = -1;
    c->t0_ns = now_ns;
    c->id = (int)t->nconns + 1;
    char a[32], b[32], left[64], right[64], title[160];
    addr_str(c->addr[0], c->port[0], a, sizeof a);
    addr_str(c->addr[1], c->port[1], b, sizeof b);
    snprintf(left, sizeof left, "client %s", a);
    snprintf(right, sizeof right, "server %s", b);
    snprintf(title, sizeof title, "connection %d: %s -> %s", c->id, a, b);
    c->rl = render_new(title, left, right);
    if (!c->rl) {
        free(c);
        return NULL;
    }
    c->rl->absolute = t->absolute;
    snprintf(c->rl->samples_note, sizeof c->rl->samples_note,
             "not recorded: a capture shows segments, not the sender's congestion window or RTO");
    t->conns[t->nconns++] = c;
    size_t bucket = tuple_bucket(src, sport, dst, dport);
    c->hash_next = t->hash[bucket]; /* newest first: find_conn sees the latest use of a 4-tuple */
    t->hash[bucket] = c;
    return c;
}

/* The open connection for this 4-tuple (either direction), the side that
 * sent, or NULL. A SYN (without ACK) on a closed connection, or with a new
 * ISN, is a new connection. */
static struct trace_conn *find_conn(struct trace *t, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport,
                                    const struct tcp_repr *tcp, int *side, bool *reused)
{
    *reused = false;
    if (!t->hash) return NULL;
    for (struct trace_conn *c = t->hash[tuple_bucket(src, sport, dst, dport)]; c; c = c->hash_next) {
        int s;
        if (c->addr[0] == src && c->port[0] == sport && c->addr[1] == dst && c->port[1] == dport) s = 0;
        else if (c->addr[1] == src && c->port[1] == sport && c->addr[0] == dst && c->port[0] == dport) s = 1;
        else continue;
        bool bare_syn = (tcp->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
        if (bare_syn && (c->closed || c->reset || (c->f[s].have_isn && c->f[s].isn != tcp->seq))) {
            *reused = true;
            return NULL;
        }
        *side = s;
        return c;
    }
    return NULL;
}

/* ---- analysis --------------------------------------------------------------------- */

/* ---- state inference ----------------------------------------------------------------- */

static void set_state(struct trace_conn *c, int side, enum synack_tcp_state to, uint64_t t_us)
{
    if (c->state[side] == to) return;
    render_record_state(c->rl, side, t_us, synack_state_name(c->state[side]), synack_state_name(to));
    c->state[side] = to;
}

/* What sending this segment says about the sender: before its line. */
static void sender_states(struct trace_conn *c, int s, const struct tcp_repr *tcp, uint64_t t_us)
{
    uint8_t fl = tcp->flags;
    struct trace_flow *f = &c->f[s];
    if (fl & TCP_RST) {
        c->listen_pending[s] = false;
        if (c->state[s] != SYNACK_CLOSED) set_state(c, s, SYNACK_CLOSED, t_us);
        return;
    }
    if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        if (c->state[s] == SYNACK_CLOSED) set_state(c, s, SYNACK_SYN_SENT, t_us);
    } else if (fl & TCP_SYN) { /* SYN|ACK: it was listening (or opened simultaneously) */
        if (c->listen_pending[s]) {
            c->listen_pending[s] = false;
            render_insert_state(c->rl, c->listen_at[s], s, c->listen_t[s], "LISTEN", "SYN_RCVD");
            c->state[s] = SYNACK_SYN_RCVD;
        } else if (c->state[s] == SYNACK_CLOSED || c->state[s] == SYNACK_LISTEN) {
            c->state[s] = SYNACK_LISTEN;
            set_state(c, s, SYNACK_SYN_RCVD, t_us);
        }
    }
    if ((fl & TCP_FIN) && !f->fin_sent) {
        f->fin_sent = true;
        f->fin_seq = tcp->seq + (uint32_t)tcp->payload_len + ((fl & TCP_SYN) ? 1u : 0u);
        switch (c->state[s]) {
        case SYNACK_ESTABLISHED:
        case SYNACK_SYN_RCVD: set_state(c, s, SYNACK_FIN_WAIT_1, t_us); break;
        case SYNACK_CLOSE_WAIT: set_state(c, s, SYNACK_LAST_ACK, t_us); break;
        default: break;
        }
    }
}

/* What receiving it does to the receiver: after its line. RFC 9293's order:
 * RST, SYN, ACK, FIN. */
static void receiver_states(struct trace_conn *c, int s, const struct tcp_repr *tcp, uint64_t t_us)
{
    int r = 1 - s;
    uint8_t fl = tcp->flags;
    struct trace_flow *rf = &c->f[r];
    if (fl & TCP_RST) {
        c->reset = true;
        c->listen_pending[r] = false;
        if (c->state[r] != SYNACK_CLOSED && c->state[r] != SYNACK_LISTEN) set_state(c, r, SYNACK_CLOSED, t_us);
        return;
    }
    if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
        if (c->state[r] == SYNACK_CLOSED && !c->listen_pending[r] && !c->an.f[r].have_next) {
            c->listen_pending[r] = true;
            c->listen_at[r] = c->rl->nev;
            c->listen_t[r] = t_us;
        } else if (c->state[r] == SYNACK_SYN_SENT || c->state[r] == SYNACK_LISTEN) {
            set_state(c, r, SYNACK_SYN_RCVD, t_us);
        }
        return;
    }
    if ((fl & TCP_SYN) && (fl & TCP_ACK)) {
        bool acks_syn = rf->have_isn && seq_gt(tcp->ack, rf->isn);
        if ((c->state[r] == SYNACK_SYN_SENT || c->state[r] == SYNACK_SYN_RCVD) && acks_syn)
            set_state(c, r, SYNACK_ESTABLISHED, t_us);
    } else if (fl & TCP_ACK) {
        if (c->state[r] == SYNACK_SYN_RCVD && rf->have_isn && seq_gt(tcp->ack, rf->isn))
            set_state(c, r, SYNACK_ESTABLISHED, t_us);
    }
    if ((fl & TCP_ACK) && rf->fin_sent && !rf->fin_acked && seq_geq(tcp->ack, rf->fin_seq + 1)) {
        rf->fin_acked = true;
        switch (c->state[r]) {
        case SYNACK_FIN_WAIT_1: set_state(c, r, SYNACK_FIN_WAIT_2, t_us); break;
        case SYNACK_CLOSING: set_state(c, r, SYNACK_TIME_WAIT, t_us); break;
        case SYNACK_LAST_ACK: set_state(c, r, SYNACK_CLOSED, t_us); break;
        default: break;
        }
    }
    struct trace_flow *sf = &c->f[s];
    if ((fl & TCP_FIN) && !sf->fin_delivered) {
        sf->fin_delivered = true;
        switch (c->state[r]) {
        case SYNACK_ESTABLISHED:
        case SYNACK_SYN_RCVD: set_state(c, r, SYNACK_CLOSE_WAIT, t_us); break;
        case SYNACK_FIN_WAIT_1: set_state(c, r, SYNACK_CLOSING, t_us); break;
        case SYNACK_FIN_WAIT_2: set_state(c, r, SYNACK_TIME_WAIT, t_us); break;
        default: break;
        }
    }
    if (c->f[0].fin_acked && c->f[1].fin_acked) c->closed = true;
}

/* ---- one packet ---------------------------------------------------------------------- */


static int trace_packet(struct trace *t, const struct ipv4_repr *ip, const struct tcp_repr *tcp, uint64_t now_ns)
{
    int s = 0;
    bool reused;
    struct trace_conn *c = find_conn(t, ip->src, tcp->src_port, ip->dst, tcp->dst_port, tcp, &s, &reused);
    if (!c) {
        c = new_conn(t, ip->src, tcp->src_port, ip->dst, tcp->dst_port, tcp, now_ns);
        if (!c) return -ENOMEM;
        s = c->addr[0] == ip->src && c->port[0] == tcp->src_port ? 0 : 1;
        if (!(tcp->flags & (TCP_SYN | TCP_RST))) {
            /* Joined mid-stream: both ends are taken as established. */
            render_record_state(c->rl, 0, 0, "?", "ESTABLISHED");
            render_record_state(c->rl, 1, 0, "?", "ESTABLISHED");
            c->state[0] = c->state[1] = SYNACK_ESTABLISHED;
        }
    }
    if (now_ns < c->last_ns) now_ns = c->last_ns; /* captures can step back a little */
    c->last_ns = now_ns;
    uint64_t t_us = (now_ns - c->t0_ns) / 1000u;
    struct trace_flow *fwd = &c->f[s];
    if (tcp->flags & TCP_SYN) {
        if (!fwd->have_isn) {
            fwd->have_isn = true;
            fwd->isn = tcp->seq;
            fwd->wscale = tcp->opt.has_wscale ? (tcp->opt.wscale > 14 ? 14 : tcp->opt.wscale) : -1;
            c->rl->have_isn[s] = true;
            c->rl->isn[s] = tcp->seq;
            if (!(tcp->flags & TCP_ACK)) c->syn_t_us = t_us;
            c->syn_seen = true;
        }
    } else if (!c->rl->have_isn[s]) {
        /* No SYN seen: number from the first byte seen, as Wireshark does. */
        c->rl->have_isn[s] = true;
        c->rl->isn[s] = tcp->seq - 1;
    }
    /* Round trip of the handshake: the client's first ACK after its SYN. */
    if (s == 0 && c->initial_rtt_us == 0 && c->syn_t_us != 0 && !(tcp->flags & TCP_SYN) &&
        c->state[0] == SYNACK_ESTABLISHED)
        c->initial_rtt_us = t_us - c->syn_t_us;
    uint32_t win = tcp->window;
    if (!(tcp->flags & TCP_SYN) && c->f[0].wscale >= 0 && c->f[1].wscale >= 0) win <<= fwd->wscale;

    uint32_t dup_num = 0;
    c->an.ooo_us = c->initial_rtt_us;
    uint32_t marks = analysis_segment(&c->an, s, tcp, win, t_us, &dup_num);
    if (reused) marks |= RENDER_M_PORTS_REUSED;

    sender_states(c, s, tcp, t_us);
    struct render_seg seg;
    memset(&seg, 0, sizeof seg);
    seg.t_us = t_us;
    seg.arrive_us = RENDER_UNKNOWN;
    seg.side = s;
    seg.flags = tcp->flags;
    seg.seq = tcp->seq;
    seg.ack = tcp->ack;
    seg.len = (uint32_t)tcp->payload_len;
    seg.win_raw = tcp->window;
    seg.win = win;
    seg.marks = marks;
    seg.dup_num = dup_num;
    render_seg_options(&seg, &tcp->opt);
    if (t->lines_kept < TRACE_MAX_LINES) {
        if (render_record_segment(c->rl, &seg) < 0) return -ENOMEM;
        t->lines_kept++;
    } else {
        c->lines_dropped++; /* analysed and counted, not drawn */
        t->lines_dropped++;
    }
    receiver_states(c, s, tcp, t_us);
    c->segments++;
    /* a fast or spurious retransmission is counted as that kind only */
    uint32_t counted = marks;
    if (marks & (RENDER_M_FAST_RETRANS | RENDER_M_SPURIOUS)) counted &= ~(uint32_t)RENDER_M_RETRANS;
    for (int i = 0; i < 32; i++)
        if (counted & (1u << i)) c->mark_count[i]++;
    return 0;
}

/* ---- reading a capture ------------------------------------------------------------------- */

/* Parses the IPv4 and TCP headers of a captured packet. A packet cut by the
 * capture's snap length still has its headers: it is parsed from a
 * zero-filled copy of its full length (scratch, 64 KiB), as long as the
 * whole TCP header was captured. Returns 0 or a wire error. */
static int parse_packet(const uint8_t *p, size_t len, uint8_t *scratch, struct ipv4_repr *ip, struct tcp_repr *tcp)
{
    int rc = ipv4_parse(ip, p, len);
    if (rc == WIRE_E_IP_TOTLEN_PAST_END && len >= IPV4_HDR_MIN) {
        size_t ihl = (size_t)(p[0] & 0x0f) * 4, tot = wire_get16(p + 2);
        if (ihl < IPV4_HDR_MIN || len < ihl + TCP_HDR_MIN || len < ihl + (size_t)(p[ihl + 12] >> 4) * 4) return rc;
        memset(scratch, 0, tot);
        memcpy(scratch, p, len);
        p = scratch;
        len = tot;
        rc = ipv4_parse(ip, p, len);
    }
    if (rc) return rc;
    if (ip->protocol != IPV4_PROTO_TCP || ipv4_is_fragment(ip)) return WIRE_E_INVALID;
    return tcp_parse_nocsum(tcp, p + ip->header_len, ip->payload_len);
}

/* Reads every record of an open capture. */
static int read_records(struct trace *t, struct pcapread *r, char *err, size_t errcap)
{
    struct pcapread_packet p;
    uint8_t *scratch = malloc(65536);
    if (!scratch) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int rc;
    while ((rc = pcapread_next(r, &p)) == 1) {
        t->packets++;
        struct ipv4_repr ip;
        struct tcp_repr tcp;
        if (!p.ip || parse_packet(p.ip, p.ip_len, scratch, &ip, &tcp) != 0) {
            t->skipped++;
            continue;
        }
        t->tcp_segments++;
        if (trace_packet(t, &ip, &tcp, p.t_ns) != 0) {
            char where[64];
            if (p.offset != UINT64_MAX) snprintf(where, sizeof where, "at offset %" PRIu64, p.offset);
            else snprintf(where, sizeof where, "number %" PRIu64, t->packets);
            if (t->over_cap)
                snprintf(err, errcap, "more than %d connections (the record %s starts one more): "
                         "synack trace reads at most %d from one capture", TRACE_MAX_CONNS, where, TRACE_MAX_CONNS);
            else
                snprintf(err, errcap, "out of memory at the record %s", where);
            free(scratch);
            return -1;
        }
    }
    free(scratch);
    if (rc < 0) {
        snprintf(err, errcap, "%s", pcapread_error(r));
        return -1;
    }
    return 0;
}

int trace_read(struct trace *t, const uint8_t *data, size_t len, bool absolute, char *err, size_t errcap)
{
    memset(t, 0, sizeof *t);
    t->absolute = absolute;
    struct pcapread r;
    if (pcapread_init(&r, data, len) != 0) {
        snprintf(err, errcap, "%s", pcapread_error(&r));
        return -1;
    }
    return read_records(t, &r, err, errcap);
}

int trace_read_stream(struct trace *t, FILE *f, enum pcapread_reader reader, size_t window, bool absolute,
                      char *err, size_t errcap)
{
    memset(t, 0, sizeof *t);
    t->absolute = absolute;
    struct pcapread r;
    int rc = pcapread_open_stream(&r, f, reader, window);
    t->reader = pcapread_reader_name(&r);
    if (rc == -EILSEQ)
        snprintf(err, errcap, "not a pcap or pcapng file (its first bytes are no capture's magic number)");
    else if (rc == -EINVAL)
        snprintf(err, errcap, "%s", pcapread_error(&r));
    else if (rc)
        snprintf(err, errcap, "%s", strerror(-rc));
    if (rc == 0) rc = read_records(t, &r, err, errcap);
    pcapread_close(&r);
    return rc ? -1 : 0;
}

int trace_read_file(struct trace *t, const char *path, enum pcapread_reader reader, bool absolute, char *err,
                    size_t errcap)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s", strerror(errno));
        return -1;
    }
    return trace_read_stream(t, f, reader, 0, absolute, err, errcap);
}

void trace_free(struct trace *t)
{
    for (size_t i = 0; i < t->nconns; i++) {
        render_free(t->conns[i]->rl);
        free(t->conns[i]);
    }
    free(t->conns);
    free(t->hash);
    memset(t, 0, sizeof *t);
}

/* ---- printing ------------------------------------------------------------------------------ */

static void print_marks(const struct trace_conn *c, FILE *out)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {RENDER_M_RETRANS, "retransmissions"},
        {RENDER_M_FAST_RETRANS, "fast retransmissions"},
        {RENDER_M_SPURIOUS, "spurious retransmissions"},
        {RENDER_M_OUT_OF_ORDER, "out-of-order"},
        {RENDER_M_DUP_ACK, "duplicate ACKs"},
        {RENDER_M_ZERO_WINDOW, "zero windows"},
        {RENDER_M_ZERO_WINDOW_PROBE, "zero window probes"},
        {RENDER_M_ZERO_WINDOW_PROBE_ACK, "zero window probe ACKs"},
        {RENDER_M_WINDOW_UPDATE, "window updates"},
        {RENDER_M_WINDOW_FULL, "window full"},
        {RENDER_M_KEEPALIVE, "keep-alives"},
        {RENDER_M_KEEPALIVE_ACK, "keep-alive ACKs"},
        {RENDER_M_RESET, "resets"},
        {RENDER_M_PREV_NOT_CAPTURED, "previous segment not captured"},
        {RENDER_M_ACKED_UNSEEN, "ACKed unseen segment"},
        {RENDER_M_PORTS_REUSED, "port numbers reused"},
    };
    bool any = false;
    fprintf(out, "marks:");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        uint32_t n = trace_marks(c, names[i].bit);
        if (!n) continue;
        fprintf(out, "%s %" PRIu32 " %s", any ? "," : "", n, names[i].name);
        any = true;
    }
    fprintf(out, "%s\n", any ? "" : " none");
}

void trace_print(const struct trace *t, FILE *out)
{
    fprintf(out, "%" PRIu64 " packets, %" PRIu64 " TCP segments in %zu connection%s", t->packets, t->tcp_segments,
            t->nconns, t->nconns == 1 ? "" : "s");
    if (t->skipped) fprintf(out, " (%" PRIu64 " packets not IPv4/TCP, skipped)", t->skipped);
    fprintf(out, "; %s sequence numbers\n", t->absolute ? "absolute" : "relative");
    for (size_t i = 0; i < t->nconns; i++) {
        const struct trace_conn *c = t->conns[i];
        fprintf(out, "\n%s, %" PRIu32 " segments in %.3f ms\n", c->rl->title, c->segments,
                (double)(c->last_ns - c->t0_ns) / 1e6);
        render_text(c->rl, out);
        if (c->lines_dropped)
            fprintf(out, "(%" PRIu32 " later segments analysed but not drawn: synack trace draws at most %d per capture)\n",
                    c->lines_dropped, TRACE_MAX_LINES);
        fprintf(out, "states at the end of the capture: client %s, server %s\n", synack_state_name(c->state[0]),
                synack_state_name(c->state[1]));
        print_marks(c, out);
    }
}

/* ---- command line ---------------------------------------------------------------------------- */

static void trace_usage(FILE *f)
{
    fprintf(f, "usage: synack trace FILE [options]\n"
               "Reads a pcap or pcapng capture and prints each TCP connection's ladder, the states\n"
               "each end must be in (as seen at the capture point) and Wireshark's analysis marks.\n\n"
               "  --svg FILE       draw the ladder of one connection (see --conn) as SVG\n"
               "  --html FILE      write a self-contained page with every connection's ladder and graphs\n"
               "  --conn N         the connection --svg draws (default 1)\n"
               "  --absolute       show raw sequence numbers instead of relative ones\n"
               "  --quiet          print only the summary lines\n");
}

int trace_main(int argc, char **argv)
{
    const char *path = NULL, *svg = NULL, *html = NULL;
    bool absolute = false, quiet = false;
    long conn = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            trace_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--absolute")) {
            absolute = true;
        } else if (!strcmp(a, "--quiet")) {
            quiet = true;
        } else if (!strcmp(a, "--svg") || !strcmp(a, "--html") || !strcmp(a, "--conn")) {
            if (!v || !*v) {
                fprintf(stderr, "synack trace: option %s needs a value\n", a);
                return 2;
            }
            if (a[2] == 's') svg = v;
            else if (a[2] == 'h') html = v;
            else {
                char *end;
                conn = strtol(v, &end, 10);
                if (*end || conn < 1) {
                    fprintf(stderr, "synack trace: --conn needs a connection number (got '%s')\n", v);
                    return 2;
                }
            }
            i++;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "synack trace: unknown option '%s'\n", a);
            trace_usage(stderr);
            return 2;
        } else if (!path) {
            path = a;
        } else {
            fprintf(stderr, "synack trace: one capture at a time ('%s' and '%s')\n", path, a);
            return 2;
        }
    }
    if (!path) {
        trace_usage(stderr);
        return 2;
    }
    struct trace t;
    char err[256];
    if (trace_read_file(&t, path, PCAPREAD_AUTO, absolute, err, sizeof err) != 0) {
        fprintf(stderr, "synack trace: %s: %s\n", path, err);
        trace_free(&t);
        return 1;
    }
    if (t.lines_dropped)
        fprintf(stderr, "synack trace: %s: %" PRIu64 " segments after the first %d analysed but not drawn\n", path,
                t.lines_dropped, TRACE_MAX_LINES);
    if (quiet) {
        for (size_t i = 0; i < t.nconns; i++)
            printf("%s: client %s, server %s\n", t.conns[i]->rl->title, synack_state_name(t.conns[i]->state[0]),
                   synack_state_name(t.conns[i]->state[1]));
    } else {
        trace_print(&t, stdout);
    }
    int status = 0, rc;
    if (svg) {
        if ((size_t)conn > t.nconns) {
            fprintf(stderr, "synack trace: --svg: there is no connection %ld (%zu in the capture)\n", conn, t.nconns);
            status = 1;
        } else if ((rc = render_write_svg(t.conns[conn - 1]->rl, svg)) != 0) {
            fprintf(stderr, "synack trace: %s: %s\n", svg, strerror(-rc));
            status = 1;
        }
    }
    if (html) {
        struct render_ladder **rls = calloc(t.nconns ? t.nconns : 1, sizeof *rls);
        for (size_t i = 0; rls && i < t.nconns; i++) rls[i] = t.conns[i]->rl;
        char title[300];
        snprintf(title, sizeof title, "synack trace %s", path);
        const char *intro =
            "Each TCP connection found in the capture, drawn as a ladder: the client's time line on the left, "
            "the server's on the right, one arrow per segment. Times are milliseconds from the connection's "
            "first packet, as stamped at the capture point; arrows are drawn with a fixed slant because the "
            "capture does not say when the other end received them.\n\n"
            "The states are inferred from the segments: a side's own SYN, FIN or RST changes its state when it "
            "is sent, what it receives changes it after. They are what each end must be in as seen at the "
            "capture point. The marks are those of Wireshark's TCP analysis: retransmissions, duplicate ACKs, "
            "out-of-order segments, zero windows, window updates, keep-alives and resets.";
        rc = rls ? render_write_html(rls, t.nconns, title, intro, html) : -ENOMEM;
        free(rls);
        if (rc) {
            fprintf(stderr, "synack trace: %s: %s\n", html, strerror(-rc));
            status = 1;
        }
    }
    trace_free(&t);
    return status;
}
