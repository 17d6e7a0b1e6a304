/*
 * lab.c — `synack lab`: the runner of the scenarios and their ladder (see
 * lab.h; the scenarios themselves and their applications are in
 * scenarios.c).
 *
 * Map: options and usage; the ladder printer (fed by the simulator's tap and
 * the stacks' state hook, in the order things happen), which tells the
 * connections of a run apart; TCP_INFO samples for the pictures; the
 * counters and TCP_INFO summary; lab_run and lab_main.
 */
#include "lab.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "synack/pcap.h"
#include "synack/sim.h"
#include "render.h"
#include "scenarios.h"
#include "counters.h"
#include "tunables.h"
#include "synack/wire.h"
#include "world.h"

#define CLIENT_ADDR SCEN_CLIENT_ADDR
#define SERVER_PORT SCEN_SERVER_PORT
#define DEFAULT_REQUEST SCEN_REQUEST
#define DEFAULT_ANSWER SCEN_ANSWER

void lab_options_default(struct lab_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->delay_ms = 10;
    o->bytes = sizeof DEFAULT_ANSWER - 1;
    o->msl_ms = 30000;
    o->limit_s = 3600;
}

/* ---- the ladder ----------------------------------------------------------- */

struct side_seq {
    bool have_isn;
    uint32_t isn;
    int wscale;          /* shift offered in this side's SYN, -1 when none */
    uint32_t high;       /* highest sequence number sent + 1 */
    bool sent_any;
};

/* One connection of the run, as the ladder follows it (a run may have
 * several, one after the other on the same ports, or side by side). */
#define LAB_MAX_CONNS 8
struct lab_conn {
    uint16_t cport;                 /* the client's port */
    struct side_seq seq[2];         /* 0: client, 1: server */
    int phase[2];                   /* per side: 0 not begun, 1 alive, 2 CLOSED */
    enum synack_tcp_state state[2];
};

struct lab {
    const struct lab_options *opt;
    const struct scenario *sc;
    FILE *out;
    struct lab_result *res;
    struct world w;
    int client_host, server_host;
    struct synack_pcap *pcap;
    int pcap_err;
    struct lab_conn conns[LAB_MAX_CONNS];
    int nconns;
    bool multi;                     /* label lines with their connection */
    struct scen_run run;            /* the applications (scenarios.c) */
    bool have_sample[2];
    struct render_sample last_sample[2];
};

#define MID_WIDTH 62

static void print_time(struct lab *L, uint64_t t) { fprintf(L->out, "%10.3f  ", (double)t / 1000.0); }

/* --svg/--html: the pictures, one ladder per connection of the run (its
 * 4-tuple: one pair of lines each, marks per connection), set by lab_main
 * for the run (render.h). */
struct lab_pictures {
    char title[96];
    struct render_ladder *rl[LAB_MAX_CONNS + 1]; /* + the flood's, last */
    int n;
    struct render_ladder *flood;    /* a SYN flood's forged SYNs and the answers to them */
    bool listen_pending;            /* the listener opened: shown on the next ladder */
    uint64_t listen_t;
};
static struct lab_pictures *lab_pics;

static struct render_ladder *conn_ladder(int conn) { return lab_pics && conn >= 0 && conn < lab_pics->n ? lab_pics->rl[conn] : NULL; }

static void state_line(struct lab *L, int side, const char *from, const char *to, uint64_t now, int conn)
{
    if (lab_pics && conn < 0) {
        lab_pics->listen_pending = true;
        lab_pics->listen_t = now;
    }
    struct render_ladder *rl = conn_ladder(conn);
    if (rl) render_record_state(rl, side, now, from, to);
    if (!L->out) return;
    char text[64];
    if (L->multi && conn >= 0) snprintf(text, sizeof text, "%s -> %s  [conn %d]", from, to, conn + 1);
    else snprintf(text, sizeof text, "%s -> %s", from, to);
    print_time(L, now);
    if (side == 0) fprintf(L->out, "%s\n", text);
    else fprintf(L->out, "%-24s %*s%s\n", "", MID_WIDTH - 20, "", text);
}

static void listen_line(void *ctx, uint64_t now)
{
    state_line(ctx, 1, "CLOSED", "LISTEN", now, -1);
}

static int conn_new(struct lab *L, uint16_t cport)
{
    if (L->nconns == LAB_MAX_CONNS) return L->nconns - 1; /* share the last one */
    struct lab_conn *c = &L->conns[L->nconns];
    memset(c, 0, sizeof *c);
    c->cport = cport;
    c->seq[0].wscale = c->seq[1].wscale = -1;
    if (lab_pics && lab_pics->n == L->nconns) {
        char title[160], left[64];
        snprintf(title, sizeof title, "%s: connection %d, 10.0.0.1:%u \xe2\x86\x92 10.0.0.2:%d", lab_pics->title,
                 L->nconns + 1, cport, SERVER_PORT);
        snprintf(left, sizeof left, "client 10.0.0.1:%u", cport);
        struct render_ladder *rl = render_new(title, left, "server 10.0.0.2:80");
        if (rl) {
            lab_pics->rl[lab_pics->n++] = rl;
            if (lab_pics->listen_pending) render_record_state(rl, 1, lab_pics->listen_t, "CLOSED", "LISTEN");
            lab_pics->listen_pending = false;
        }
    }
    return L->nconns++;
}

/* The connection a state change belongs to: the newest one on these ports
 * that is in state from at that side (or has not begun, for from CLOSED). */
static int conn_for_state(struct lab *L, int side, uint16_t cport, enum synack_tcp_state from)
{
    for (int i = L->nconns - 1; i >= 0; i--) {
        struct lab_conn *c = &L->conns[i];
        if (c->cport != cport) continue;
        if (from == SYNACK_CLOSED ? c->phase[side] == 0 : c->phase[side] == 1 && c->state[side] == from) return i;
    }
    return conn_new(L, cport);
}

/* The connection a segment belongs to: the newest one on these ports,
 * unless it is a SYN with another ISN than that connection's (a new one). */
static int conn_for_segment(struct lab *L, int side, const struct tcp_repr *t)
{
    uint16_t cport = side == 0 ? t->src_port : t->dst_port;
    bool syn_only = (t->flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
    for (int i = L->nconns - 1; i >= 0; i--) {
        struct lab_conn *c = &L->conns[i];
        if (c->cport != cport) continue;
        if (syn_only && c->seq[side].have_isn && c->seq[side].isn != t->seq) continue;
        return i;
    }
    return conn_new(L, cport);
}

static void on_state(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                     enum synack_tcp_state to, uint64_t now)
{
    struct lab *L = ctx;
    int side = id->laddr == CLIENT_ADDR ? 0 : 1;
    struct lab_result *r = L->res;
    if (side == 1 && id->raddr != CLIENT_ADDR) {
        /* a half-open connection for a forged SYN (a SYN flood): counted
         * for the run's end, not told (the flood's own ladder shows it) */
        scen_on_state(&L->run, side, from, to);
        return;
    }
    /* A passive connection is born from the listener: show LISTEN as its
     * first state, as the tutorial does. */
    const char *from_name = synack_state_name(from);
    if (side == 1 && from == SYNACK_CLOSED && to == SYNACK_SYN_RCVD) from_name = "LISTEN";
    if (side == 0) {
        if (r->nclient_states < LAB_MAX_STATES) r->client_states[r->nclient_states++] = to;
    } else {
        if (r->nserver_states < LAB_MAX_STATES) r->server_states[r->nserver_states++] = to;
    }
    scen_on_state(&L->run, side, from, to);
    int ci = conn_for_state(L, side, side == 0 ? id->lport : id->rport, from);
    L->conns[ci].phase[side] = to == SYNACK_CLOSED ? 2 : 1;
    L->conns[ci].state[side] = to;
    state_line(L, side, from_name, synack_state_name(to), now, ci);
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

static void text_arrow(struct lab *L, int side, const char *body, bool gone)
{
    size_t blen = strlen(body);
    int pad = MID_WIDTH - 8 - (int)blen;
    if (pad < 2) pad = 2;
    char dashes[MID_WIDTH + 1];
    memset(dashes, '-', sizeof dashes - 1);
    dashes[pad > MID_WIDTH ? MID_WIDTH : pad] = '\0';
    if (side == 0)
        fprintf(L->out, "       --- %s %s%s", body, dashes, gone ? "-X" : "->");
    else
        fprintf(L->out, "       %s%s %s ---", gone ? "X-" : "<-", dashes, body);
}

/* A segment of a SYN flood: a forged SYN from a spoofed address, or the
 * server's answer to one (it goes nowhere). All of them share one ladder
 * of their own, with raw sequence numbers (each SYN has its own ISN). */
static void flood_packet(struct lab *L, int side, const struct ipv4_repr *ip, const struct tcp_repr *tcp,
                         const uint8_t *pkt, size_t len, uint64_t now, enum synack_sim_fate fate)
{
    bool gone = fate != SYNACK_SIM_SENT && fate != SYNACK_SIM_CORRUPTED;
    uint32_t spoofed = side == 0 ? ip->src : ip->dst;
    L->res->segments++;
    if (L->res->nsegs < LAB_MAX_SEGS) {
        struct lab_seg *g = &L->res->segs[L->res->nsegs++];
        memset(g, 0, sizeof *g);
        g->t_us = now;
        g->side = side;
        g->conn = -1;
        g->cport = side == 0 ? tcp->src_port : tcp->dst_port;
        g->flags = tcp->flags;
        g->seq = g->raw_seq = tcp->seq;
        g->ack = tcp->ack;
        g->lost = gone;
        g->injected = true;
        g->mss = tcp->opt.has_mss ? tcp->opt.mss : 0;
        g->wscale = tcp->opt.has_wscale ? (int8_t)tcp->opt.wscale : -1;
        g->ts = tcp->opt.has_timestamp;
        g->sack_perm = tcp->opt.sack_permitted;
    }
    if (lab_pics) {
        if (!lab_pics->flood) {
            char title[160];
            snprintf(title, sizeof title, "%s: the flood, forged SYNs from spoofed addresses", lab_pics->title);
            lab_pics->flood = render_new(title, "spoofed 10.0.9.x (forged)", "server 10.0.0.2:80");
            if (lab_pics->flood) lab_pics->flood->absolute = true;
        }
        struct render_ladder *rl = lab_pics->flood;
        if (rl) {
            uint64_t arrive = now + (uint64_t)L->opt->delay_ms * 1000u;
            memset(&rl->an, 0, sizeof rl->an); /* each SYN is its own connection: no marks across them */
            if (render_record_ipv4(rl, side, now, arrive, pkt, len, gone, false) == 0 && rl->nev > 0)
                rl->ev[rl->nev - 1].u.seg.marks &= RENDER_M_LOST;
        }
    }
    if (!L->out) return;
    char body[200];
    snprintf(body, sizeof body, "%s seq=%" PRIu32 " ack=%" PRIu32 " len=0 win=%u%s", tcp_flags_str(tcp->flags),
             tcp->seq, tcp->ack, tcp->window, tcp->opt.has_mss ? " mss" : "");
    print_time(L, now);
    text_arrow(L, side, body, gone);
    fprintf(L->out, "  (%s %u.%u.%u.%u%s)\n", side == 0 ? "forged, from" : "to", spoofed >> 24, (spoofed >> 16) & 0xff,
            (spoofed >> 8) & 0xff, spoofed & 0xff, side == 0 ? "" : ": nobody there");
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
    uint64_t held = L->run.held_us;
    if ((side == 0 ? ip.src : ip.dst) != CLIENT_ADDR) {
        flood_packet(L, side, &ip, &tcp, pkt, len, now, fate);
        return;
    }
    int ci = conn_for_segment(L, side, &tcp);
    struct render_ladder *rl = conn_ladder(ci);
    if (rl) {
        bool lost = fate == SYNACK_SIM_LOST || fate == SYNACK_SIM_QUEUE_DROP;
        uint64_t arrive = L->opt->reorder > 0 ? RENDER_UNKNOWN : now + (uint64_t)L->opt->delay_ms * 1000u + held;
        render_record_ipv4(rl, side, now, arrive, pkt, len, lost, fate == SYNACK_SIM_CORRUPTED);
    }
    struct side_seq *me = &L->conns[ci].seq[side], *peer = &L->conns[ci].seq[1 - side];
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
    uint32_t win = tcp.window;
    bool syn = tcp.flags & TCP_SYN;
    /* The window as the receiver reads it: scaled once both SYNs offered
     * scaling (Wireshark's "calculated window size"); SYNs never are. */
    if (!syn && me->wscale >= 0 && peer->wscale >= 0) win <<= me->wscale;
    if (L->res->nsegs < LAB_MAX_SEGS) {
        struct lab_seg *g = &L->res->segs[L->res->nsegs++];
        g->t_us = now;
        g->side = side;
        g->conn = ci;
        g->cport = L->conns[ci].cport;
        g->flags = tcp.flags;
        g->seq = me->have_isn ? tcp.seq - me->isn : tcp.seq;
        g->ack = (tcp.flags & TCP_ACK) ? (peer->have_isn ? tcp.ack - peer->isn : tcp.ack) : 0;
        g->len = (uint32_t)tcp.payload_len;
        g->win = win;
        g->nsack = tcp.opt.sack_count;
        g->lost = fate == SYNACK_SIM_LOST || fate == SYNACK_SIM_QUEUE_DROP;
        g->retrans = retrans;
        g->injected = L->run.injecting;
        g->held_us = (uint32_t)held;
        g->raw_seq = tcp.seq;
        g->mss = tcp.opt.has_mss ? tcp.opt.mss : 0;
        g->wscale = tcp.opt.has_wscale ? (int8_t)tcp.opt.wscale : -1;
        g->ts = tcp.opt.has_timestamp;
        g->sack_perm = tcp.opt.sack_permitted;
        g->ecn = ip.tos & IP_ECN_MASK;
    }
    if (!L->out) return;

    uint32_t seq = tcp.seq, ack = tcp.ack;
    if (!L->opt->absolute) {
        if (me->have_isn) seq -= me->isn;
        ack = (tcp.flags & TCP_ACK) ? (peer->have_isn ? ack - peer->isn : ack) : 0;
    }
    char opts[128], body[200];
    describe_options(&tcp.opt, syn, L->opt->absolute || !peer->have_isn ? 0 : peer->isn, opts, sizeof opts);
    /* The IP ECN field when it is not Not-ECT, as packetdrill writes it
     * (the mark shows as the network delivers it: [ce] once a queue marked). */
    static const char *const ecn_names[] = {"", " [ect1]", " [ect0]", " [ce]"};
    snprintf(body, sizeof body, "%s seq=%" PRIu32 " ack=%" PRIu32 " len=%zu win=%" PRIu32 "%s%s",
             tcp_flags_str(tcp.flags), seq, ack, tcp.payload_len, win, opts, ecn_names[ip.tos & IP_ECN_MASK]);
    const char *note = fate == SYNACK_SIM_LOST         ? "  (lost)"
                       : fate == SYNACK_SIM_QUEUE_DROP ? "  (dropped: queue full)"
                       : fate == SYNACK_SIM_CORRUPTED  ? "  (corrupted)"
                                                       : "";
    bool gone = fate == SYNACK_SIM_LOST || fate == SYNACK_SIM_QUEUE_DROP;
    /* client ---- text ----> server, or server <---- text ---- client */
    print_time(L, now);
    text_arrow(L, side, body, gone);
    fprintf(L->out, "%s%s", retrans ? "  (retransmission)" : "", note);
    /* What only a scenario does: forged segments, targeted hold-backs,
     * several connections. */
    if (L->run.injecting) fputs("  (forged by an attacker)", L->out);
    if (held) fprintf(L->out, "  (held back %.3f ms)", (double)held / 1000.0);
    if (L->multi) fprintf(L->out, "  [conn %d]", ci + 1);
    fputc('\n', L->out);
}

/* ---- the applications' turn and the pictures' samples ------------------------ */

/* cwnd, ssthresh, SRTT and RTO of each side's connection, for the --html
 * graphs: recorded whenever one of them changed. */
static void record_samples(struct lab *L)
{
    for (int side = 0; side < 2; side++) {
        int sd = scen_socket(&L->run, side);
        if (sd < 0) continue;
        struct synack_tcp_info ti;
        if (synack_getinfo(world_stack(&L->w, side == 0 ? L->client_host : L->server_host), sd, &ti) != 0) continue;
        /* the connection the socket belongs to: by the client's port */
        struct synack_endpoint ep;
        synack_stack *st = world_stack(&L->w, side == 0 ? L->client_host : L->server_host);
        if ((side == 0 ? synack_getsockname(st, sd, &ep) : synack_getpeername(st, sd, &ep)) != 0) continue;
        int ci = -1;
        for (int i = L->nconns - 1; i >= 0 && ci < 0; i--)
            if (L->conns[i].cport == ep.port) ci = i;
        struct render_ladder *rl = conn_ladder(ci);
        if (!rl) continue;
        struct render_sample smp = {world_now(&L->w), side, ti.cwnd, ti.ssthresh, ti.rtt_us, ti.rto_us};
        struct render_sample *last = &L->last_sample[side];
        if (L->have_sample[side] && last->cwnd == smp.cwnd && last->ssthresh == smp.ssthresh &&
            last->srtt_us == smp.srtt_us && last->rto_us == smp.rto_us)
            continue;
        if (render_record_sample(rl, &smp) == 0) {
            *last = smp;
            L->have_sample[side] = true;
        }
    }
}

static bool lab_turn(void *ctx, struct world *w)
{
    (void)w;
    struct lab *L = ctx;
    /* Done when both applications finished and every connection is gone
     * (the active closer's only after TIME_WAIT). */
    bool done = scen_turn(&L->run);
    if (lab_pics) record_samples(L);
    return done;
}

/* ---- run ------------------------------------------------------------------ */

static void print_header(struct lab *L, const struct lab_options *o)
{
    FILE *out = L->out;
    if (!o->scenario) {
        fprintf(out, "synack lab: client 10.0.0.1 connects to server 10.0.0.2:%d, sends a %zu-byte request,\n"
                     "the server answers %" PRIu64 " bytes, the client closes first, then the server.\n"
                     "one-way delay %u ms, loss %g, reorder %g, duplicate %g, corrupt %g (each way), seed %" PRIu64 ",\n"
                     "2*MSL %u ms; %s sequence numbers\n\n",
                SERVER_PORT, sizeof DEFAULT_REQUEST - 1, o->bytes, o->delay_ms, o->loss, o->reorder,
                o->duplicate, o->corrupt, o->seed,
                2 * o->msl_ms, o->absolute ? "absolute" : "relative");
    } else {
        fprintf(out, "synack lab --scenario %s: %s\n\n", L->sc->name, L->sc->title);
        scenario_explain(L->sc, out, 100);
        fprintf(out, "\nclient 10.0.0.1, server 10.0.0.2:%d; request %zu bytes, answer %" PRIu64 " bytes.\n"
                     "one-way delay %u ms, loss %g, reorder %g, duplicate %g, corrupt %g (each way), seed %" PRIu64 ",\n"
                     "2*MSL %u ms; %s sequence numbers",
                SERVER_PORT, sizeof DEFAULT_REQUEST - 1, o->bytes, o->delay_ms, o->loss, o->reorder, o->duplicate,
                o->corrupt, o->seed, 2 * o->msl_ms, o->absolute ? "absolute" : "relative");
        for (int i = 0; i < o->nset; i++) fprintf(out, "%s%s", i ? " " : "\ntunables: ", o->set[i]);
        fputs("\n\n", out);
    }
    fprintf(out, "%10s  %-24s %*s%s\n", "time (ms)", "client 10.0.0.1", MID_WIDTH - 20, "", "server 10.0.0.2:80");
}

int lab_run(const struct lab_options *o, FILE *out, struct lab_result *res)
{
    const struct scenario *sc = o->scenario ? scenario_find(o->scenario) : scenario_default();
    memset(res, 0, sizeof *res);
    res->data_ok = true;
    if (!sc) {
        snprintf(res->failure, sizeof res->failure, "no scenario named '%s'", o->scenario);
        return -ENOENT;
    }
    struct lab *L = calloc(1, sizeof *L);
    if (!L) return -ENOMEM;
    L->opt = o;
    L->sc = sc;
    L->out = out;
    L->res = res;
    L->multi = sc->client.nconns > 1;
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
    if (o->tso) cfg.tso_max = 65535;
    L->client_host = world_add_host(&L->w, CLIENT_ADDR, &cfg);
    L->server_host = world_add_host(&L->w, SCEN_SERVER_ADDR, &cfg);
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
    p.bandwidth_bps = o->rate_bps;
    p.queue_limit = o->queue_bytes;
    p.ce_threshold = o->ce_bytes;
    rc = world_link(&L->w, L->client_host, L->server_host, &p, &p);
    if (rc < 0) goto done;
    rc = scen_setup(&L->run, sc, o, res, &L->w, L->client_host, L->server_host);
    if (rc < 0) goto done;
    L->run.listen_line = listen_line;
    L->run.line_ctx = L;
    if (o->pcap) {
        L->pcap = synack_pcap_open(o->pcap, &rc);
        if (!L->pcap) goto done;
    }
    synack_sim_set_tap(L->w.sim, on_packet, L);

    if (out) print_header(L, o);
    int run = world_run(&L->w, o->limit_s * 1000000ull, lab_turn, L);
    struct scen_run *R = &L->run;
    res->end_time_us = world_now(&L->w);
    res->nconns = R->nconns;
    res->response_bytes = o->bytes * (uint64_t)R->nconns;
    res->data_complete = res->response_received == res->response_bytes &&
                         res->request_bytes == (sizeof DEFAULT_REQUEST - 1) * (uint64_t)R->nconns;
    synack_stack_get_counters(world_stack(&L->w, L->client_host), &res->counters[0]);
    synack_stack_get_counters(world_stack(&L->w, L->server_host), &res->counters[1]);
    res->supers = L->w.hosts[L->client_host].supers + L->w.hosts[L->server_host].supers;
    int sphase = R->naccepted > 0 ? R->s[0].phase : R->server_phase;
    if (run == -ETIMEDOUT && !res->failure[0])
        snprintf(res->failure, sizeof res->failure,
                 "did not complete within %" PRIu64 " s of virtual time (client phase %d, server phase %d, "
                 "%" PRIu64 "/%" PRIu64 " answer bytes received)",
                 o->limit_s, R->c[0].phase, sphase, res->response_received, res->response_bytes);
    else if (run == -EDEADLK && !res->failure[0])
        snprintf(res->failure, sizeof res->failure,
                 "stalled: nothing left to happen (client phase %d, server phase %d, %" PRIu64 "/%" PRIu64
                 " answer bytes received)",
                 R->c[0].phase, sphase, res->response_received, res->response_bytes);
    /* An error the scenario expects that did not happen is a failure too. */
    if (!res->failure[0] && res->client_error != sc->expect.client_error)
        snprintf(res->failure, sizeof res->failure, "the client expected '%s' and saw '%s'",
                 synack_strerror(sc->expect.client_error), synack_strerror(res->client_error));
    if (!res->failure[0] && res->server_error != sc->expect.server_error)
        snprintf(res->failure, sizeof res->failure, "the server expected '%s' and saw '%s'",
                 synack_strerror(sc->expect.server_error), synack_strerror(res->server_error));
    res->completed = run == 0 && res->data_ok && (res->data_complete || sc->expect.no_data) &&
                     res->client_error == sc->expect.client_error && res->server_error == sc->expect.server_error &&
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

/* ---- the counters and TCP_INFO ---------------------------------------------- */

static void print_info(FILE *out, const struct lab_result *r)
{
    if (!r->have_client_info) {
        fputs("client TCP_INFO: none (the connection was never established)\n", out);
        return;
    }
    const struct synack_tcp_info *t = &r->client_info;
    char ss[24];
    if (t->ssthresh >= 0x7fffffffu) snprintf(ss, sizeof ss, "infinite");
    else snprintf(ss, sizeof ss, "%" PRIu32, t->ssthresh);
    fprintf(out,
            "client TCP_INFO, just before close():\n"
            "    state %s, srtt %.3f ms, rttvar %.3f ms, rto %.3f ms, backoff %" PRIu32 "\n"
            "    snd_mss %" PRIu32 ", adv_mss %" PRIu32 ", cwnd %" PRIu32 " bytes, ssthresh %s, snd_wnd %" PRIu32
            ", rcv_wnd %" PRIu32 "\n"
            "    unacked %" PRIu32 ", unsent %" PRIu32 ", readable %" PRIu32 ", total_retrans %" PRIu32
            ", bytes_acked %" PRIu64 ", bytes_received %" PRIu64 "\n"
            "    options:%s%s%s%s%s%s%s\n",
            synack_state_name(t->state), t->rtt_us / 1000.0, t->rttvar_us / 1000.0, t->rto_us / 1000.0, t->backoff,
            t->snd_mss, t->adv_mss, t->cwnd, ss, t->snd_wnd, t->rcv_wnd, t->unacked, t->unsent, t->readable,
            t->total_retrans, t->bytes_acked, t->bytes_received, t->wscale_ok ? " wscale" : "",
            t->timestamps_ok ? " timestamps" : "", t->sack_ok ? " sack" : "", t->ecn_ok ? " ecn" : "",
            t->ecn_seen ? " ecn-seen" : "", t->ecn_echoing ? " ecn-echoing" : "", t->in_recovery ? " in-recovery" : "");
    if (t->wscale_ok) fprintf(out, "    window scale: sends <<%u, receives <<%u\n", t->snd_wscale, t->rcv_wscale);
    static const char *const ca_states[] = {"open", "disorder", "cwr", "recovery", "loss"};
    static const char *const hystart[] = {"slow start", "conservative slow start", "done"};
    fprintf(out, "    congestion: %s, state %s, min_rtt %.3f ms", t->congestion,
            t->ca_state < 5 ? ca_states[t->ca_state] : "?", t->min_rtt_us / 1000.0);
    if (!strcmp(t->congestion, "cubic"))
        fprintf(out, ", W_max %" PRIu32 " bytes, K %.3f ms, HyStart++ %s", t->ca_wmax, t->ca_k_us / 1000.0,
                t->ca_hystart < 3 ? hystart[t->ca_hystart] : "?");
    if (t->pacing_rate) fprintf(out, ", pacing_rate %.3f Mbit/s", t->pacing_rate * 8 / 1e6);
    fputc('\n', out);
}

/* ---- command line ------------------------------------------------------------ */

static void lab_usage(FILE *f)
{
    fprintf(f,
            "usage: synack lab [--scenario NAME] [options]\n"
            "Plays a TCP connection in the simulated network and prints its ladder.\n\n"
            "  --list           list the scenarios\n"
            "  --scenario NAME  play one: what happens and why, the ladder, the counters\n"
            "                   (the options below override the scenario's own)\n"
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
            "  --quiet          print only the summary\n"
            "  --tso            the stacks send runs of segments as 64 KB super-segments (TSO),\n"
            "                   cut into segments by each host's link\n");
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
    /* The scenario first: its defaults go under the other options. */
    const struct scenario *sc = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scenario") != 0) continue;
        if (i + 1 >= argc) {
            fprintf(stderr, "synack lab: option --scenario needs a scenario name (synack lab --list shows them)\n");
            return 2;
        }
        sc = scenario_find(argv[i + 1]);
        if (!sc) {
            fprintf(stderr, "synack lab: unknown scenario '%s'; these exist:\n", argv[i + 1]);
            scenario_list(stderr);
            return 2;
        }
        o.scenario = sc->name;
    }
    if (sc) scenario_apply_defaults(sc, &o);
    bool list_tunables = false; /* listed once every option was checked */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            lab_usage(stdout);
            return 0;
        } else if (!strcmp(a, "--list")) {
            printf("synack lab --scenario NAME plays one of these:\n");
            scenario_list(stdout);
            return 0;
        } else if (!strcmp(a, "--scenario")) {
            i++; /* read above */
        } else if (!strcmp(a, "--absolute")) {
            o.absolute = true;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = true;
        } else if (!strcmp(a, "--tso")) {
            o.tso = true;
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
            list_tunables = true;
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
    if (list_tunables) {
        struct synack_config defaults; /* with the --set given (checked above) */
        synack_config_init(&defaults);
        for (int k = 0; k < o.nset; k++) tunables_set(&defaults.tunables, o.set[k], NULL);
        tunables_list(&defaults.tunables, stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    struct lab_result res;
    struct lab_pictures pics;
    memset(&pics, 0, sizeof pics);
    snprintf(pics.title, sizeof pics.title, "synack lab%s%s", sc ? " --scenario " : "", sc ? sc->name : "");
    lab_pics = pic_svg || pic_html ? &pics : NULL;
    int rc = lab_run(&o, o.quiet ? NULL : stdout, &res);
    lab_pics = NULL;
    int pic_err = 0;
    if (pics.flood) pics.rl[pics.n++] = pics.flood;
    if ((pic_svg || pic_html) && rc >= 0) {
        if (pics.n == 0 && (pics.rl[0] = render_new(pics.title, "client 10.0.0.1", "server 10.0.0.2:80")))
            pics.n = 1; /* no segment at all: an empty ladder says so */
        pic_err = pics.n ? render_lab_pictures(pics.rl, (size_t)pics.n, &o, &res, pic_svg, pic_html) : -ENOMEM;
    }
    for (int i = 0; i < pics.n; i++) render_free(pics.rl[i]);
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
    printf("request: %" PRIu64 "/%" PRIu64 " bytes to the server; answer: %" PRIu64 "/%" PRIu64
           " bytes to the client; %s\n",
           res.request_bytes, (uint64_t)(sizeof DEFAULT_REQUEST - 1) * (uint64_t)res.nconns, res.response_received,
           res.response_bytes, !res.data_ok ? "DATA MISMATCH" : res.data_complete ? "byte-exact" : "incomplete");
    if (o.pcap && res.failure[0] == '\0') printf("capture written to %s\n", o.pcap);
    if (sc) {
        if (res.client_error && res.client_error == res.expected_client_error)
            printf("the client's application saw: %s (as this scenario expects)\n", synack_strerror(res.client_error));
        if (res.server_error && res.server_error == res.expected_server_error)
            printf("the server's application saw: %s (as this scenario expects)\n", synack_strerror(res.server_error));
        printf("\ncounters (nonzero), as netstat -s shows them:\n");
        counters_print(stdout, "client 10.0.0.1", &res.counters[0]);
        counters_print(stdout, "server 10.0.0.2", &res.counters[1]);
        print_info(stdout, &res);
        putchar('\n');
    }
    if (!res.completed) {
        printf("FAILED: %s\n", res.failure[0] ? res.failure : "the scenario did not complete");
        return 1;
    }
    printf("completed: %s\n", sc ? "every connection reached CLOSED" : "both sides reached CLOSED");
    return 0;
}
