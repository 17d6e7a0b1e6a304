/*
 * bench_lossim.c — bench/loss's synack->synack column: one bulk transfer
 * between two synack stacks in the simulated network, on the virtual clock,
 * over a link described with `synack relay`'s own options (the same parser,
 * the same sim.h model, the same tail drop), so the simulated cell and the
 * relay's cells share one impairment model.
 *
 * Owns: its options, the two hosts' applications (a sender writing as fast
 * as the stack takes, a receiver reading everything) and the report. Must
 * not touch: stack internals (public API and counters only), any real
 * clock (every figure is virtual time).
 *
 * usage: bench_lossim [--secs S | --bytes N] [--seed N] [--both SPEC]
 *                     [--data SPEC] [--set NAME=VALUE]... [--rcv-set NAME=VALUE]...
 *   --both SPEC   impairments in both directions (relay syntax: delay=MS,
 *                 rate=MBIT, queue=BYTES, loss=PCT, burst=E/L, ce=BYTES, ...)
 *   --data SPEC   more impairments on the data direction only (after --both),
 *                 as `synack relay --b-to-a` in bench/loss: tail=N/K too
 *   --secs S      send for S seconds of virtual time from the accept (default 20):
 *                 prints "goodput MBIT BYTES" (bytes the receiver read)
 *   --bytes N     send N bytes and close: prints "took SECONDS BYTES" (from the
 *                 accept to the receiver's last byte, as flow.py sink does)
 *   --set         a tunable of the sender; --rcv-set: of the receiver
 *   --trace MS    print the sender's cwnd (segments), ssthresh, flight, SRTT,
 *                 pacing rate, congestion state and the bytes received every
 *                 MS of virtual time ("trace ..." lines)
 *   --tap FROM:TO print every packet sent from virtual ms FROM to TO ("tap ..."
 *                 lines: time, direction, fate, seq, ack, payload length)
 * Both print "retrans RETRANS SEGS" (the sender's RetransSegs and OutSegs)
 * and "tail_dropped N" and the sim's counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"
#include "synack/sim.h"
#include "synack/synack.h"
#include "tunables.h"
#include "world.h"

#define A_ADDR 0x0a000001u
#define B_ADDR 0x0a000002u
#define MAX_SET 16

struct flow {
    synack_stack *snd, *rcv;
    int ssd, lsd, rsd;
    uint64_t secs_us, bytes;   /* one of them */
    uint64_t sent, got, t_accept, t_done;
    uint64_t trace_us, trace_next; /* --trace: the sender's state every trace_us */
    int shut, done, failed;
};

/* One --trace line: virtual ms since the accept, then the sender's window,
 * flight, pacing rate and recovery state. */
static void trace(struct flow *f, uint64_t now)
{
    struct synack_tcp_info i;
    if (synack_getinfo(f->snd, f->ssd, &i) != 0) return;
    printf("trace %.1f ms (at %.1f) cwnd %u ssthresh %d flight %u srtt_us %u min_rtt_us %u pacing_mbit %.1f ca %u "
           "hystart %u retrans %u got %" PRIu64 "\n",
           (double)(now - f->t_accept) / 1e3, (double)now / 1e3, i.cwnd / (i.snd_mss ? i.snd_mss : 1),
           i.ssthresh == UINT32_MAX ? -1 : (int)(i.ssthresh / (i.snd_mss ? i.snd_mss : 1)),
           i.unacked / (i.snd_mss ? i.snd_mss : 1), i.rtt_us, i.min_rtt_us, (double)i.pacing_rate * 8 / 1e6,
           i.ca_state, i.ca_hystart, i.total_retrans, f->got);
}

/* --tap FROM:TO (virtual ms since the start): one line per packet sent
 * in that span: time, direction, fate, seq, ack, payload length. */
struct tap_span {
    uint64_t from_us, to_us;
};

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static void tap(void *ctx, int from_host, int to_host, const uint8_t *pkt, size_t len, uint64_t now,
                enum synack_sim_fate fate, int dup)
{
    const struct tap_span *t = ctx;
    (void)to_host;
    if (now < t->from_us || now > t->to_us || len < 40) return;
    size_t ihl = (size_t)(pkt[0] & 15u) * 4u, iplen = (size_t)pkt[2] << 8 | pkt[3];
    if (pkt[9] != 6 || len < ihl + 20 || iplen > len) return;
    const uint8_t *tcp = pkt + ihl;
    size_t thl = (size_t)(tcp[12] >> 4) * 4u;
    printf("tap %.3f %s fate %d%s seq %u ack %u len %zu\n", (double)now / 1e3, from_host == 0 ? "data" : "ack ",
           (int)fate, dup ? " dup" : "", rd32(tcp + 4), rd32(tcp + 8), iplen - ihl - thl);
}

static uint8_t zeros[65536];
static uint8_t sink[65536];

static bool turn(void *ctx, struct world *w)
{
    struct flow *f = ctx;
    uint64_t now = world_now(w);
    if (f->rsd < 0) {
        int sd = synack_accept(f->rcv, f->lsd, NULL);
        if (sd >= 0) {
            f->rsd = sd;
            f->t_accept = now;
        }
    }
    while (!f->shut && (!f->bytes || f->sent < f->bytes)) {
        size_t n = sizeof zeros;
        if (f->bytes && f->bytes - f->sent < n) n = (size_t)(f->bytes - f->sent);
        ssize_t r = synack_send(f->snd, f->ssd, zeros, n);
        if (r == -EAGAIN) break;
        if (r < 0) {
            f->failed = 1;
            return true;
        }
        f->sent += (uint64_t)r;
    }
    if (f->bytes && f->sent == f->bytes && !f->shut) {
        synack_shutdown(f->snd, f->ssd, SYNACK_SHUT_WR);
        f->shut = 1;
    }
    if (f->rsd >= 0 && f->trace_us && now >= f->trace_next) {
        trace(f, now);
        f->trace_next = (f->trace_next ? f->trace_next : f->t_accept) + f->trace_us;
        if (f->trace_next <= now) f->trace_next = now + f->trace_us;
    }
    if (f->rsd >= 0) {
        for (;;) {
            ssize_t r = synack_recv(f->rcv, f->rsd, sink, sizeof sink);
            if (r <= 0) {
                if (r != -EAGAIN && r != 0) f->failed = 1;
                break;
            }
            f->got += (uint64_t)r;
        }
        if (f->bytes && f->got >= f->bytes) {
            f->t_done = now;
            return true;
        }
        if (f->secs_us && now - f->t_accept >= f->secs_us) {
            f->t_done = now;
            return true;
        }
    }
    return f->failed != 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_lossim [--secs S | --bytes N] [--seed N] [--both SPEC] [--data SPEC]\n"
                    "                    [--set NAME=VALUE]... [--rcv-set NAME=VALUE]... [--trace MS] [--tap FROM:TO]\n");
    return 2;
}

int main(int argc, char **argv)
{
    const char *prog = "bench_lossim";
    struct synack_sim_link_params data = {0}, ack = {0};
    static struct relay_tail tail[2];
    const char *set[MAX_SET], *rset[MAX_SET];
    int nset = 0, nrset = 0;
    double secs = 20;
    uint64_t bytes = 0, seed = 1, trace_us = 0;
    static struct tap_span span;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage();
        i++;
        if (!strcmp(a, "--both")) {
            if (relay_parse_impair(&data, &tail[0], v, prog, a) || relay_parse_impair(&ack, &tail[1], v, prog, a))
                return 2;
        } else if (!strcmp(a, "--data")) {
            if (relay_parse_impair(&data, &tail[0], v, prog, a)) return 2;
        } else if (!strcmp(a, "--secs")) {
            secs = strtod(v, NULL);
        } else if (!strcmp(a, "--bytes")) {
            bytes = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--tap")) {
            char *end;
            span.from_us = (uint64_t)(strtod(v, &end) * 1e3);
            span.to_us = *end == ':' ? (uint64_t)(strtod(end + 1, NULL) * 1e3) : UINT64_MAX;
        } else if (!strcmp(a, "--trace")) {
            trace_us = (uint64_t)(strtod(v, NULL) * 1e3);
        } else if (!strcmp(a, "--seed")) {
            seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--set") && nset < MAX_SET) {
            set[nset++] = v;
        } else if (!strcmp(a, "--rcv-set") && nrset < MAX_SET) {
            rset[nrset++] = v;
        } else {
            return usage();
        }
    }
    if (!(secs > 0) && !bytes) return usage();

    struct synack_config scfg, rcfg;
    synack_config_init(&scfg);
    synack_config_init(&rcfg);
    for (int i = 0; i < nset; i++)
        if (tunables_set(&scfg.tunables, set[i], stderr)) return 2;
    for (int i = 0; i < nrset; i++)
        if (tunables_set(&rcfg.tunables, rset[i], stderr)) return 2;

    struct world w;
    if (world_init(&w, seed) != 0) return 1;
    int a = world_add_host(&w, A_ADDR, &scfg), b = world_add_host(&w, B_ADDR, &rcfg);
    if (a < 0 || b < 0 || world_link(&w, a, b, &data, &ack) < 0 || w.hosts[a].sim_id != 0) {
        fprintf(stderr, "%s: cannot set up the simulated network\n", prog);
        return 1;
    }
    if (tail[0].k || tail[1].k) synack_sim_set_filter(w.sim, relay_tail_filter, tail);
    if (span.to_us) synack_sim_set_tap(w.sim, tap, &span);

    struct flow f = {.snd = world_stack(&w, a), .rcv = world_stack(&w, b), .rsd = -1, .bytes = bytes,
                    .trace_us = trace_us};
    if (!bytes) f.secs_us = (uint64_t)(secs * 1e6);
    f.lsd = synack_socket(f.rcv);
    synack_bind(f.rcv, f.lsd, &(struct synack_endpoint){0, 5001});
    synack_listen(f.rcv, f.lsd, 4);
    f.ssd = synack_socket(f.snd);
    synack_connect(f.snd, f.ssd, &(struct synack_endpoint){B_ADDR, 5001});
    int rc = world_run(&w, 3600ull * 1000000, turn, &f);

    struct synack_counters c;
    struct synack_sim_stats st;
    synack_stack_get_counters(f.snd, &c);
    synack_sim_get_stats(w.sim, &st);
    if (rc != 0 || f.failed || f.rsd < 0) {
        fprintf(stderr, "%s: the transfer did not finish (%d, %" PRIu64 " bytes received)\n", prog, rc, f.got);
        world_destroy(&w);
        return 1;
    }
    double dt = (double)(f.t_done - f.t_accept) / 1e6;
    if (bytes) printf("took %.6f %" PRIu64 "\n", dt, f.got);
    else printf("goodput %.3f %" PRIu64 "\n", dt > 0 ? (double)f.got * 8 / dt / 1e6 : 0.0, f.got);
    printf("retrans %" PRIu64 " %" PRIu64 "\n", c.retrans_segs, c.out_segs);
    printf("tail_dropped %" PRIu64 "\n", tail[0].dropped);
    printf("sim: sent %" PRIu64 " lost %" PRIu64 " queue_drops %" PRIu64 " ce_marked %" PRIu64
           " timeouts %" PRIu64 " tlp %" PRIu64 " sack_recoveries %" PRIu64 "\n",
           st.sent, st.lost, st.queue_drops, st.ce_marked, c.timeouts, c.tlp_probes, c.sack_recoveries);
    world_destroy(&w);
    return 0;
}
