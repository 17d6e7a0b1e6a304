/*
 * relay.c — `synack relay` (see relay.h).
 *
 * Map: the impairment spec parser; opening a TUN inside a named network
 * namespace (setns there and back); the sim's two hosts, whose deliver()
 * writes to the other TUN; the loop (clock, ppoll, reads); the counters.
 *
 * Time: the sim's clock is CLOCK_MONOTONIC in microseconds since the relay
 * started. Each turn advances the sim to now (writing out every packet due),
 * reads what both TUNs hold and sends it into the link, then sleeps in
 * ppoll() until the next arrival or a readable TUN.
 */
#define _GNU_SOURCE
#include "relay.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "synack/tun.h"

#define RELAY_BATCH 32
#define RELAY_SLOT 65536u

static int parse_number(const char *v, double max, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= 0) || d > max) return -1;
    *out = d;
    return 0;
}

/* "A/B[/C]" of numbers; returns how many were given (1..3) or -1. */
static int parse_slashes(const char *v, double max, double out[3])
{
    char buf[64];
    if (snprintf(buf, sizeof buf, "%s", v) >= (int)sizeof buf) return -1;
    int n = 0;
    for (char *save = NULL, *t = strtok_r(buf, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == 3 || parse_number(t, max, &out[n]) != 0) return -1;
        n++;
    }
    return n ? n : -1;
}

int relay_parse_impair(struct synack_sim_link_params *p, struct relay_tail *tail, const char *spec,
                       const char *prog, const char *what)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", spec) >= (int)sizeof buf) goto bad;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) goto bad;
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        double d, x[3];
        if (!strcmp(k, "delay")) {
            if (parse_number(v, 60000, &d)) goto bad;
            p->delay_us = (uint64_t)(d * 1000.0 + 0.5);
        } else if (!strcmp(k, "jitter")) { /* every packet: 0..jitter extra (it reorders) */
            if (parse_number(v, 60000, &d)) goto bad;
            p->reorder = d > 0 ? 1.0 : 0.0;
            p->reorder_us = (uint64_t)(d * 1000.0 + 0.5);
        } else if (!strcmp(k, "reorder")) { /* PCT of packets held back by up to MS */
            if (parse_slashes(v, 60000, x) != 2 || x[0] > 100) goto bad;
            p->reorder = x[0] / 100.0;
            p->reorder_us = (uint64_t)(x[1] * 1000.0 + 0.5);
        } else if (!strcmp(k, "loss") || !strcmp(k, "dup") || !strcmp(k, "corrupt")) {
            if (parse_number(v, 100, &d)) goto bad;
            *(k[0] == 'l' ? &p->loss : k[0] == 'd' ? &p->duplicate : &p->corrupt) = d / 100.0;
        } else if (!strcmp(k, "burst")) { /* Gilbert-Elliott, percent */
            int n = parse_slashes(v, 100, x);
            if (n < 2 || x[0] <= 0) goto bad;
            p->ge_enter = x[0] / 100.0;
            p->ge_leave = x[1] / 100.0;
            p->ge_loss = n == 3 ? x[2] / 100.0 : 1.0;
        } else if (!strcmp(k, "rate")) { /* Mbit/s */
            if (parse_number(v, 1e6, &d)) goto bad;
            p->bandwidth_bps = (uint64_t)(d * 1e6 + 0.5);
        } else if (!strcmp(k, "queue") || !strcmp(k, "ce")) { /* bytes, K or M suffix */
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            uint64_t mul = *end == 'K' || *end == 'k' ? 1024 : *end == 'M' || *end == 'm' ? 1048576 : 1;
            if (mul != 1) end++;
            if (errno || end == v || *end || *v == '-' || n > (1ull << 32) / mul) goto bad;
            *(k[0] == 'q' ? &p->queue_limit : &p->ce_threshold) = (size_t)(n * mul);
        } else if (!strcmp(k, "tail") && tail) { /* N/K bytes */
            if (parse_slashes(v, 4e9, x) != 2 || x[1] < 1 || x[1] > x[0]) goto bad;
            tail->n = (uint64_t)x[0];
            tail->k = (uint64_t)x[1];
        } else {
            goto bad;
        }
    }
    return 0;
bad:
    fprintf(stderr,
            "%s: %s '%s': expected a comma-separated list of delay=MS, jitter=MS, loss=PCT,\n"
            "  burst=ENTER/LEAVE[/LOSS] (percent), reorder=PCT/MS, dup=PCT, corrupt=PCT,\n"
            "  rate=MBIT, queue=BYTES[K|M], ce=BYTES[K|M] (ECT packets waiting behind more are\n"
            "  marked CE instead), tail=N/K (bytes, 1 <= K <= N)\n",
            prog, what, spec);
    return -1;
}

/* ---- the targeted tail drop ------------------------------------------------------ */

static uint32_t rd32(const uint8_t *b) { return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]; }

enum synack_sim_verdict relay_tail_filter(void *ctx, int from_host, int to_host, const uint8_t *pkt,
                                          size_t len, uint64_t now, uint64_t *extra_delay_us)
{
    (void)to_host, (void)now, (void)extra_delay_us;
    if (from_host < 0 || from_host > 1) return SYNACK_SIM_PASS;
    struct relay_tail *t = &((struct relay_tail *)ctx)[from_host];
    size_t ihl = (size_t)(pkt[0] & 15u) * 4u;
    /* IPv4, TCP, not a fragment (offset 0, MF clear), a whole TCP header */
    if (t->k == 0 || (pkt[0] >> 4) != 4 || ihl < 20 || pkt[9] != 6 || (rd32(pkt + 4) & 0x3fffu) != 0 ||
        len < ihl + 20)
        return SYNACK_SIM_PASS;
    const uint8_t *tcp = pkt + ihl;
    size_t thl = (size_t)(tcp[12] >> 4) * 4u;
    size_t iplen = (size_t)pkt[2] << 8 | pkt[3];
    if (iplen > len || iplen < ihl + thl || thl < 20) return SYNACK_SIM_PASS;
    uint32_t src = rd32(pkt + 12), dst = rd32(pkt + 16), ports = rd32(tcp), seq = rd32(tcp + 4);
    uint32_t h = (src * 0x9e3779b1u) ^ (dst * 0x85ebca77u) ^ (ports * 0xc2b2ae3du);
    struct relay_tail_flow *f = &t->flow[(h >> 16) % RELAY_TAIL_FLOWS];
    if (tcp[13] & 0x02u) { /* SYN or SYN|ACK: a new flow in this direction */
        *f = (struct relay_tail_flow){src, dst, ports, seq, 0, 1};
        return SYNACK_SIM_PASS;
    }
    size_t payload = iplen - ihl - thl;
    if (!payload || !f->used || f->src != src || f->dst != dst || f->ports != ports) return SYNACK_SIM_PASS;
    uint64_t start = (uint32_t)(seq - f->isn - 1u), end = start + payload;
    if (start >= 0x80000000u) return SYNACK_SIM_PASS; /* before the ISN: not ours to judge */
    if (end <= t->n - t->k || start >= t->n || start < f->hi) return SYNACK_SIM_PASS;
    f->hi = end;
    t->dropped++;
    return SYNACK_SIM_DROP;
}

/* ---- one side: a TUN inside a network namespace --------------------------- */

struct relay_side {
    const char *arg;       /* [NETNS:]IF as given */
    struct synack_tun tun;
    int host;              /* its host id in the sim */
    /* per direction leaving this side, from the sim's tap */
    uint64_t in, lost, queue_drops, corrupted, duplicated, written, write_drops;
    uint64_t ce;           /* passed on with the ECN field CE (marked by ce=) */
};

/* Opens side->arg's TUN (attach, or create), inside NETNS when one is named. */
static int side_open(struct relay_side *s, const char *prog)
{
    char ns[128], why[256] = "";
    const char *colon = strchr(s->arg, ':');
    const char *ifname = colon ? colon + 1 : s->arg;
    int home = -1, rc;
    if (colon) {
        size_t n = (size_t)(colon - s->arg);
        if (n == 0 || n >= sizeof ns) {
            fprintf(stderr, "%s: '%s': expected [NETNS:]IF\n", prog, s->arg);
            return -1;
        }
        memcpy(ns, s->arg, n);
        ns[n] = '\0';
        char path[192];
        snprintf(path, sizeof path, "/var/run/netns/%s", ns);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || home < 0 || setns(fd, CLONE_NEWNET) != 0) {
            fprintf(stderr, "%s: cannot enter network namespace '%s': %s (ip netns add %s; root needed)\n",
                    prog, ns, strerror(errno), ns);
            if (fd >= 0) close(fd);
            if (home >= 0) close(home);
            return -1;
        }
        close(fd);
        /* The TUN code reads /sys/class/net, which shows the namespace that
         * mounted it: mount one for this namespace, in a mount namespace of
         * the relay's own (as `ip netns exec` does). */
        static int own_mounts;
        if (!own_mounts && (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0)) {
            fprintf(stderr, "%s: cannot make a mount namespace for /sys: %s\n", prog, strerror(errno));
            close(home);
            return -1;
        }
        own_mounts = 1;
        if (mount("sysfs", "/sys", "sysfs", 0, NULL) != 0) {
            fprintf(stderr, "%s: cannot mount /sys for namespace '%s': %s\n", prog, ns, strerror(errno));
            close(home);
            return -1;
        }
    }
    rc = synack_tun_open(&s->tun, ifname, SYNACK_TUN_CREATE, why, sizeof why);
    if (home >= 0) {
        if (setns(home, CLONE_NEWNET) != 0) {
            fprintf(stderr, "%s: cannot return to the first network namespace: %s\n", prog, strerror(errno));
            rc = rc ? rc : -errno;
        }
        close(home);
    }
    if (rc < 0) {
        fprintf(stderr, "%s: %s: %s\n", prog, s->arg, why[0] ? why : strerror(-rc));
        return -1;
    }
    return 0;
}

/* ---- the sim's two hosts ----------------------------------------------------- */

static void host_deliver(void *ctx, const uint8_t *pkt, size_t len, uint64_t now)
{
    (void)now;
    struct relay_side *to = ctx;
    const uint8_t *one[1] = {pkt};
    int n = synack_tun_write_batch(&to->tun, one, &len, 1);
    if (n == 1) to->written++;
    else to->write_drops++;
}

static uint64_t host_poll(void *ctx, uint64_t now)
{
    (void)ctx, (void)now;
    return SYNACK_SIM_NEVER;
}

static void relay_tap(void *ctx, int from_host, int to_host, const uint8_t *pkt, size_t len,
                      uint64_t now, enum synack_sim_fate fate, int dup)
{
    (void)to_host, (void)now;
    struct relay_side *s = &((struct relay_side *)ctx)[from_host];
    if (dup) {
        s->duplicated++;
        return;
    }
    s->in++;
    if (fate == SYNACK_SIM_LOST) s->lost++;
    else if (fate == SYNACK_SIM_QUEUE_DROP) s->queue_drops++;
    else if (fate == SYNACK_SIM_CORRUPTED) s->corrupted++;
    /* Hosts never send CE themselves: a CE packet here is the queue's mark. */
    if ((fate == SYNACK_SIM_SENT || fate == SYNACK_SIM_CORRUPTED) && len >= 20 && (pkt[1] & 3u) == 3u) s->ce++;
}

/* ---- the loop ------------------------------------------------------------------ */

static volatile sig_atomic_t relay_stop;
static void on_signal(int sig) { (void)sig; relay_stop = 1; }

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: synack relay --a [NETNS:]IF --b [NETNS:]IF [options]\n\n"
            "Bridges two TUN interfaces (each may live in a network namespace of its own)\n"
            "and impairs what passes with the simulated network's link model, per direction.\n"
            "Route each side's traffic for the other side into its TUN (ip route ... dev IF).\n\n"
            "  --a [NETNS:]IF     side A: attach to TUN IF (created when missing) inside NETNS\n"
            "  --b [NETNS:]IF     side B, the same\n"
            "  --both SPEC        impairments in both directions\n"
            "  --a-to-b SPEC      impairments from A to B (after --both)\n"
            "  --b-to-a SPEC      impairments from B to A (after --both)\n"
            "  --seed N           seed of the random draws (default 1): same seed, same fates\n"
            "  --quantum US       sleep at least US microseconds when the next packet is due\n"
            "                     sooner (default 100): packets leave up to US late, never\n"
            "                     early, and at 1 Gbit/s the relay wakes once per ~8 packets\n"
            "  --stats            print the counters per direction on stderr at exit\n\n"
            "SPEC is a comma-separated list of:\n"
            "  delay=MS           one-way delay (decimals allowed)\n"
            "  jitter=MS          each packet gets 0..MS more delay, uniformly (this reorders)\n"
            "  loss=PCT           random loss\n"
            "  burst=E/L[/B]      Gilbert-Elliott bursty loss: enter the bad state with E%%,\n"
            "                     leave it with L%% per packet, lose B%% there (default 100)\n"
            "  reorder=PCT/MS     PCT%% of packets held back by up to MS\n"
            "  dup=PCT            duplicate    corrupt=PCT  flip one bit\n"
            "  rate=MBIT          bottleneck rate in Mbit/s\n"
            "  queue=BYTES[K|M]   its drop-tail queue (default unbounded)\n"
            "  ce=BYTES[K|M]      ECN: an ECT packet waiting behind more than this is marked\n"
            "                     CE instead (RFC 3168); Not-ECT packets are only dropped\n"
            "  tail=N/K           a tail loss in every TCP flow: the first transmission of each\n"
            "                     data segment holding any of the bytes N-K..N-1 of the flow\n"
            "                     (offsets from its SYN's sequence number + 1) is dropped once;\n"
            "                     retransmissions pass (e.g. tail=1000000/2000: the last two\n"
            "                     segments of a 1 MB transfer at MSS 1448)\n"
            "e.g. synack relay --a left:r0 --b right:r0 --both delay=25,loss=1,rate=100,queue=312K\n");
}

/* lost counts the tail drops too (as the sim's lost counts its filter's);
 * written and write_drops are what the receiving TUN took and refused. */
static void print_stats(const struct relay_side *s, const struct relay_side *to, const struct relay_tail *t,
                        const char *dir)
{
    fprintf(stderr,
            "relay %s: in %" PRIu64 " lost %" PRIu64 " queue_drops %" PRIu64 " corrupted %" PRIu64
            " duplicated %" PRIu64 " ce_marked %" PRIu64 " tail_dropped %" PRIu64 " written %" PRIu64
            " write_drops %" PRIu64 "\n",
            dir, s->in, s->lost, s->queue_drops, s->corrupted, s->duplicated, s->ce, t->dropped, to->written,
            to->write_drops);
}

int relay_main(int argc, char **argv)
{
    const char *prog = "synack relay";
    struct relay_side side[2];
    memset(side, 0, sizeof side);
    side[0].tun.fd = side[1].tun.fd = -1;
    struct synack_sim_link_params dir[2];
    memset(dir, 0, sizeof dir);
    static struct relay_tail tail[2]; /* static: 2 x 64 flows, off the stack */
    memset(tail, 0, sizeof tail);
    uint64_t seed = 1, quantum = 100;
    int stats = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--stats")) {
            stats = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s: unknown option or missing value: '%s'\n\n", prog, a);
            usage(stderr);
            return 2;
        }
        i++;
        if (!strcmp(a, "--a")) side[0].arg = v;
        else if (!strcmp(a, "--b")) side[1].arg = v;
        else if (!strcmp(a, "--both")) {
            if (relay_parse_impair(&dir[0], &tail[0], v, prog, a) ||
                relay_parse_impair(&dir[1], &tail[1], v, prog, a))
                return 2;
        } else if (!strcmp(a, "--a-to-b")) {
            if (relay_parse_impair(&dir[0], &tail[0], v, prog, a)) return 2;
        } else if (!strcmp(a, "--b-to-a")) {
            if (relay_parse_impair(&dir[1], &tail[1], v, prog, a)) return 2;
        } else if (!strcmp(a, "--quantum")) {
            double q;
            if (parse_number(v, 10000, &q)) {
                fprintf(stderr, "%s: --quantum '%s': expected microseconds, 0..10000\n", prog, v);
                return 2;
            }
            quantum = (uint64_t)q;
        } else if (!strcmp(a, "--seed")) {
            char *end;
            errno = 0;
            seed = strtoull(v, &end, 10);
            if (errno || *end || !*v || *v == '-') {
                fprintf(stderr, "%s: --seed '%s': expected a number\n", prog, v);
                return 2;
            }
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n\n", prog, a);
            usage(stderr);
            return 2;
        }
    }
    if (!side[0].arg || !side[1].arg) {
        fprintf(stderr, "%s: both --a and --b are needed\n\n", prog);
        usage(stderr);
        return 2;
    }
    if (side_open(&side[0], prog) != 0) return 1;
    if (side_open(&side[1], prog) != 0) {
        synack_tun_close(&side[0].tun);
        return 1;
    }

    int status = 1;
    struct synack_sim *sim = synack_sim_create(seed);
    uint8_t *bufs = malloc((size_t)RELAY_BATCH * RELAY_SLOT);
    if (!sim || !bufs) {
        fprintf(stderr, "%s: out of memory\n", prog);
        goto out;
    }
    static const struct synack_sim_host_ops ops = {host_deliver, host_poll};
    /* The sim's addresses are only names here: packets go over the one link
     * (synack_sim_send_on), whatever their destination. Host 0 delivers to
     * side A, host 1 to side B. */
    side[0].host = synack_sim_add_host(sim, 1, &ops, &side[0]);
    side[1].host = synack_sim_add_host(sim, 2, &ops, &side[1]);
    int link = synack_sim_link(sim, side[0].host, side[1].host, &dir[0], &dir[1]);
    if (side[0].host != 0 || side[1].host != 1 || link < 0) {
        fprintf(stderr, "%s: cannot set up the link\n", prog);
        goto out;
    }
    synack_sim_set_tap(sim, relay_tap, side);
    if (tail[0].k || tail[1].k) synack_sim_set_filter(sim, relay_tail_filter, tail);
    synack_sim_poll_hosts(sim); /* their deadlines: never */

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    uint8_t *slot[RELAY_BATCH];
    size_t lens[RELAY_BATCH];
    for (int i = 0; i < RELAY_BATCH; i++) slot[i] = bufs + (size_t)i * RELAY_SLOT;
    const uint64_t start = mono_us();
    while (!relay_stop) {
        uint64_t now = mono_us() - start;
        synack_sim_advance(sim, now);
        int busy = 0;
        for (int s = 0; s < 2; s++) {
            int n = synack_tun_read_batch(&side[s].tun, slot, RELAY_SLOT, lens, RELAY_BATCH);
            if (n < 0) {
                fprintf(stderr, "%s: reading %s: %s\n", prog, side[s].arg, strerror(-n));
                goto out;
            }
            /* side s's packets enter the link at host s (toward the other side),
             * stamped with the clock read after they were read: never earlier
             * than they arrived, so no packet gets less than the delay asked */
            if (n > 0) synack_sim_advance(sim, mono_us() - start);
            for (int k = 0; k < n; k++)
                if (lens[k] >= 20) synack_sim_send_on(sim, link, side[s].host == 0 ? 0 : 1, slot[k], lens[k]);
            busy |= n == RELAY_BATCH;
        }
        synack_sim_advance(sim, mono_us() - start); /* zero-delay packets go out at once */
        if (busy) continue;
        uint64_t next = synack_sim_next_event(sim);
        struct timespec ts, *tsp = NULL;
        if (next != SYNACK_SIM_NEVER) {
            uint64_t t = mono_us() - start;
            uint64_t wait = next > t ? next - t : 0;
            /* A packet due sooner than a quantum waits for the quantum, and
             * whatever else is due by then goes out in the same turn: one
             * wake-up per quantum, not one per packet (83,000 per second at
             * 1 Gbit/s), at the cost of up to a quantum of extra delay. */
            if (wait > 0 && wait < quantum) wait = quantum;
            ts.tv_sec = (time_t)(wait / 1000000u);
            ts.tv_nsec = (long)(wait % 1000000u) * 1000;
            tsp = &ts;
        }
        struct pollfd pfd[2] = {{side[0].tun.fd, POLLIN, 0}, {side[1].tun.fd, POLLIN, 0}};
        if (ppoll(pfd, 2, tsp, NULL) < 0 && errno != EINTR) {
            fprintf(stderr, "%s: ppoll: %s\n", prog, strerror(errno));
            goto out;
        }
    }
    status = 0;
out:
    if (stats) {
        print_stats(&side[0], &side[1], &tail[0], "a->b");
        print_stats(&side[1], &side[0], &tail[1], "b->a");
    }
    synack_sim_destroy(sim);
    free(bufs);
    synack_tun_close(&side[0].tun);
    synack_tun_close(&side[1].tun);
    return status;
}
