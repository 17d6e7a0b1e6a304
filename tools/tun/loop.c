/*
 * loop.c — the real-time event loop (see loop.h for the turn).
 *
 * Map: shared options (parse, check, help); the clock; the stack's output
 * callback (batch + pcap + --impair); the held-packet queue of --impair;
 * privilege dropping; loop_open / loop_run / loop_close.
 */
#define _GNU_SOURCE
#include "loop.h"
#include "counters.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "synack/pcap.h"
#include "synack/wire.h"
#include "tunables.h"

const char loop_options_help[] =
    "  --tun IF           the TUN interface to attach to (it must exist, unless --create)\n"
    "  --create           create IF when it does not exist (it vanishes at exit)\n"
    "  --no-offload       plain packets: no virtio-net header, no TSO/GRO super-packets\n"
    "                     and checksums computed by synack (the default uses the TUN's\n"
    "                     offloads when the kernel grants them)\n"
    "  --addr A/PREFIX    synack's IPv4 address on the link, e.g. 10.7.0.2/24\n"
    "  --gateway G        where packets outside A/PREFIX go (a TUN hands every packet\n"
    "                     to the kernel; without G, only A/PREFIX is reachable)\n"
    "  --pcap FILE        write every packet, both ways, to FILE (LINKTYPE_RAW)\n"
    "  --stats            print the stack's counters on stderr at exit (and on SIGUSR1 at any time)\n"
    "  --user NAME        drop root privileges to NAME once the TUN is open\n"
    "  --impair SPEC      faults inside synack's link, both ways, for kernels without\n"
    "                     netem: loss=PCT,dup=PCT,delay=MS,reorder=MS,seed=N\n"
    "  --set NAME=VALUE   set a stack tunable (repeatable), e.g. --set syn_retries=3;\n"
    "                     Linux's names work too (net.ipv4.tcp_syn_retries)\n"
    "  --list-tunables    list the tunables, their values and meaning, and exit\n";

void loop_options_default(struct loop_options *o)
{
    memset(o, 0, sizeof *o);
    o->seed = 1;
    struct synack_config cfg;
    synack_config_init(&cfg);
    o->tunables = cfg.tunables;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max || *s == '-') return -1;
    *out = v;
    return 0;
}

int loop_parse_port(const char *text, const char *prog, const char *what, uint16_t *out)
{
    uint64_t v;
    if (parse_u64(text, 65535, &v) != 0 || v == 0) {
        fprintf(stderr, "%s: %s '%s': a port is a number from 1 to 65535\n", prog, what, text);
        return -1;
    }
    *out = (uint16_t)v;
    return 0;
}

int loop_parse_hostport(const char *text, const char *prog, struct synack_endpoint *out)
{
    const char *colon = strrchr(text, ':');
    char host[64];
    if (!colon || (size_t)(colon - text) >= sizeof host) {
        fprintf(stderr, "%s: '%s': expected HOST:PORT with an IPv4 address, e.g. 10.7.0.1:80\n", prog, text);
        return -1;
    }
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    if (synack_parse_ipv4(host, &out->addr) != 0) {
        fprintf(stderr, "%s: '%s': '%s' is not an IPv4 address (synack has no DNS)\n", prog, text, host);
        return -1;
    }
    return loop_parse_port(colon + 1, prog, "port in", &out->port);
}

static int parse_impair(struct loop_options *o, const char *spec, const char *prog)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        char *eq = strchr(tok, '=');
        if (!eq) goto bad;
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        char *end;
        if (!strcmp(k, "loss") || !strcmp(k, "dup")) {
            double d = strtod(v, &end);
            if (*end || d < 0 || d > 100) goto bad;
            if (!strcmp(k, "loss")) o->loss_pct = d;
            else o->dup_pct = d;
        } else {
            uint64_t n;
            if (parse_u64(v, !strcmp(k, "seed") ? UINT64_MAX : 60000, &n) != 0) goto bad;
            if (!strcmp(k, "delay")) o->delay_ms = (uint32_t)n;
            else if (!strcmp(k, "reorder")) o->reorder_ms = (uint32_t)n;
            else if (!strcmp(k, "seed")) o->seed = n;
            else goto bad;
        }
    }
    return 0;
bad:
    fprintf(stderr, "%s: --impair '%s': expected loss=PCT,dup=PCT,delay=MS,reorder=MS,seed=N\n", prog, spec);
    return -1;
}

int loop_parse_option(struct loop_options *o, int argc, char **argv, int *i, const char *prog)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    bool takes = !strcmp(a, "--tun") || !strcmp(a, "--addr") || !strcmp(a, "--gateway") ||
                 !strcmp(a, "--pcap") || !strcmp(a, "--user") || !strcmp(a, "--impair") ||
                 !strcmp(a, "--set");
    if (!takes) {
        if (!strcmp(a, "--stats")) o->stats = true;
        else if (!strcmp(a, "--create")) o->create = true;
        else if (!strcmp(a, "--no-offload")) o->no_offload = true;
        else if (!strcmp(a, "--list-tunables")) o->list_tunables = true;
        else return 0;
        (*i)++;
        return 1;
    }
    if (!v) {
        fprintf(stderr, "%s: %s needs a value\n", prog, a);
        return -1;
    }
    *i += 2;
    if (!strcmp(a, "--tun")) {
        if (!*v || strlen(v) >= SYNACK_TUN_NAME_MAX) {
            fprintf(stderr, "%s: --tun '%s': an interface name has 1 to 15 characters\n", prog, v);
            return -1;
        }
        o->tun = v;
    } else if (!strcmp(a, "--addr")) {
        char host[32];
        const char *slash = strchr(v, '/');
        uint64_t prefix = 32;
        size_t hl = slash ? (size_t)(slash - v) : strlen(v);
        if (hl >= sizeof host) goto bad_addr;
        memcpy(host, v, hl);
        host[hl] = '\0';
        if (synack_parse_ipv4(host, &o->addr) != 0) goto bad_addr;
        if (slash && parse_u64(slash + 1, 32, &prefix) != 0) goto bad_addr;
        if (o->addr == 0 || (o->addr >> 24) == 127 || (o->addr >> 28) >= 14) goto bad_addr;
        o->prefix = (unsigned)prefix;
        o->have_addr = true;
    } else if (!strcmp(a, "--gateway")) {
        if (synack_parse_ipv4(v, &o->gateway) != 0 || o->gateway == 0) {
            fprintf(stderr, "%s: --gateway '%s': not an IPv4 address\n", prog, v);
            return -1;
        }
    } else if (!strcmp(a, "--pcap")) {
        o->pcap = v;
    } else if (!strcmp(a, "--user")) {
        o->user = v;
    } else if (!strcmp(a, "--impair")) {
        if (parse_impair(o, v, prog) != 0) return -1;
    } else if (!strcmp(a, "--set")) {
        if (tunables_set(&o->tunables, v, NULL) != 0) {
            struct synack_tunables scratch = o->tunables;
            fprintf(stderr, "%s: --set %s: ", prog, v); /* tunables_set says why */
            tunables_set(&scratch, v, stderr);
            return -1;
        }
    }
    return 1;
bad_addr:
    fprintf(stderr, "%s: --addr '%s': expected a unicast IPv4 address with a prefix length, e.g. 10.7.0.2/24\n",
            prog, v);
    return -1;
}

static uint32_t prefix_mask(unsigned prefix) { return prefix ? ~0u << (32 - prefix) : 0; }

static void discard_output(void *ctx, const uint8_t *pkt, size_t len)
{
    (void)ctx, (void)pkt, (void)len;
}

int loop_list_tunables(const struct loop_options *o)
{
    tunables_list(&o->tunables, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

int loop_check_options(const struct loop_options *o, const char *prog)
{
    /* Each --set was checked alone; the stack checks how they fit together
     * (rto_min <= rto_initial <= rto_max, ephemeral_lo <= ephemeral_hi...). */
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.tunables = o->tunables;
    cfg.output = discard_output;
    synack_stack *probe;
    int rc = synack_stack_create(&probe, &cfg);
    if (rc == -EINVAL) {
        fprintf(stderr, "%s: --set: the tunables do not fit together (rto_min_ms <= rto_initial_ms <= "
                        "rto_max_ms, ephemeral_lo <= ephemeral_hi, nonzero limits; see --list-tunables)\n",
                prog);
        return -1;
    }
    if (rc == 0) synack_stack_destroy(probe); /* else loop_open will say what failed */
    if (!o->tun) {
        fprintf(stderr, "%s: --tun IF is required (the TUN interface synack lives on)\n", prog);
        return -1;
    }
    if (!o->have_addr) {
        fprintf(stderr, "%s: --addr A/PREFIX is required (synack's address on the link)\n", prog);
        return -1;
    }
    if (o->gateway) {
        uint32_t m = prefix_mask(o->prefix);
        if ((o->gateway & m) != (o->addr & m) || o->gateway == o->addr) {
            char g[16], a[16];
            fprintf(stderr, "%s: --gateway %s: must be another address inside %s/%u\n", prog,
                    synack_format_ipv4(o->gateway, g), synack_format_ipv4(o->addr, a), o->prefix);
            return -1;
        }
    }
    return 0;
}

bool loop_routable(const struct loop *L, uint32_t dst)
{
    uint32_t m = prefix_mask(L->opt.prefix);
    return (dst & m) == (L->opt.addr & m) || L->opt.gateway != 0;
}

uint64_t loop_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static uint64_t wall_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The pattern is built once into a table one period longer than the
 * largest copy, so any stretch of the stream is one memcpy from the table
 * at (offset mod 251): at 1 Gbit/s a byte-by-byte fill took half of `bulk`'s
 * CPU, and the sender fell behind whenever another process held its core. */
enum { PATTERN_PERIOD = 251, PATTERN_CHUNK = 16384 };
static uint8_t pattern_table[PATTERN_PERIOD + PATTERN_CHUNK];
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

static void pattern_build(void)
{
    for (size_t i = 0; i < sizeof pattern_table; i++) pattern_table[i] = (uint8_t)(i % PATTERN_PERIOD);
}

void loop_pattern_fill(uint8_t *buf, size_t n, uint64_t offset)
{
    pthread_once(&pattern_once, pattern_build);
    size_t at = (size_t)(offset % PATTERN_PERIOD);
    while (n) {
        size_t k = n < PATTERN_CHUNK ? n : PATTERN_CHUNK;
        memcpy(buf, pattern_table + at, k);
        buf += k;
        n -= k;
        at = (at + k) % PATTERN_PERIOD;
    }
}

void loop_format_rate(char *out, size_t cap, uint64_t bytes, uint64_t us)
{
    double s = us ? (double)us / 1e6 : 1e-6;
    double mb = (double)bytes / 1e6;
    snprintf(out, cap, "%.1f MB in %.2f s = %.1f Mbit/s (%.1f MB/s)", mb, s, mb * 8 / s, mb / s);
}

void loop_progress_init(struct loop_progress *p)
{
    p->tty = isatty(STDERR_FILENO);
    p->start_us = loop_now();
    p->last_us = 0;
}

void loop_progress_show(struct loop_progress *p, uint64_t done, uint64_t total, bool final)
{
    if (!p->tty) return;
    uint64_t now = loop_now();
    if (!final && now - p->last_us < 100000) return;
    p->last_us = now;
    double s = (double)(now - p->start_us) / 1e6;
    double rate = s > 0 ? (double)done / s : 0;
    char bar[41];
    int fill = total ? (int)((double)done * 40 / (double)total) : 0;
    if (fill > 40) fill = 40;
    for (int i = 0; i < 40; i++) bar[i] = i < fill ? '#' : (total ? '.' : ' ');
    bar[40] = '\0';
    if (total)
        fprintf(stderr, "\r[%s] %5.1f%% %8.1f MB %7.1f Mbit/s", bar, (double)done * 100 / (double)total,
                (double)done / 1e6, rate * 8 / 1e6);
    else
        fprintf(stderr, "\r%8.1f MB %7.1f Mbit/s", (double)done / 1e6, rate * 8 / 1e6);
    if (final) fputc('\n', stderr);
    fflush(stderr);
}

/* ---- --impair: a small fault injector on both directions ------------------ */

struct loop_held {
    uint64_t at;
    bool to_stack;      /* true: kernel -> synack; false: synack -> kernel */
    size_t len;
    uint8_t *data;
};

static bool impairing(const struct loop *L)
{
    const struct loop_options *o = &L->opt;
    return o->loss_pct > 0 || o->dup_pct > 0 || o->delay_ms > 0 || o->reorder_ms > 0;
}

static uint64_t rng_next(struct loop *L) /* splitmix64 */
{
    uint64_t z = (L->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_pct(struct loop *L) { return (double)(rng_next(L) >> 11) * (100.0 / 9007199254740992.0); }

static void hold(struct loop *L, bool to_stack, const uint8_t *pkt, size_t len, uint64_t at)
{
    if (L->nheld == L->held_cap) {
        size_t cap = L->held_cap ? L->held_cap * 2 : 256;
        struct loop_held *h = realloc(L->held, cap * sizeof *h);
        if (!h) return; /* out of memory: the packet is lost */
        L->held = h;
        L->held_cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (!copy) return;
    memcpy(copy, pkt, len);
    L->held[L->nheld++] = (struct loop_held){at, to_stack, len, copy};
}

static void emit_to_tun(struct loop *L, const uint8_t *pkt, size_t len);

/* Decides the fate of one packet: dropped, delivered now (returns true), or
 * held back until later (delay, reordering) and maybe duplicated. */
static bool impair(struct loop *L, bool to_stack, const uint8_t *pkt, size_t len, uint64_t now)
{
    const struct loop_options *o = &L->opt;
    double lose = rng_pct(L), dup = rng_pct(L);
    uint64_t extra = o->reorder_ms ? rng_next(L) % ((uint64_t)o->reorder_ms * 1000u + 1) : 0;
    if (lose < o->loss_pct) {
        L->imp_dropped++;
        return false;
    }
    int copies = dup < o->dup_pct ? 2 : 1;
    if (copies == 2) L->imp_duplicated++;
    /* Reordering: about one packet in four is held back by up to reorder ms. */
    if (o->reorder_ms && (rng_next(L) & 3) != 0) extra = 0;
    uint64_t at = now + (uint64_t)o->delay_ms * 1000u + extra;
    if (at == now && copies == 1) return true;
    for (int c = 0; c < copies; c++) hold(L, to_stack, pkt, len, at);
    L->imp_delayed++;
    return false;
}

/* Releases held packets that are due, in the order they were held. */
static void release_held(struct loop *L, uint64_t now)
{
    size_t keep = 0;
    for (size_t i = 0; i < L->nheld; i++) {
        struct loop_held h = L->held[i];
        if (h.at <= now) {
            if (h.to_stack) {
                if (L->pcap) synack_pcap_write(L->pcap, h.data, h.len, wall_us());
                synack_stack_input(L->stack, h.data, h.len, now);
            } else {
                emit_to_tun(L, h.data, h.len);
            }
            free(h.data);
        } else {
            L->held[keep++] = h;
        }
    }
    L->nheld = keep;
}

/* ---- output: the stack's packets, batched --------------------------------- */

/* ---- TUN offloads: the virtio-net header, super-packets, checksums ---------
 *
 * With tun.offload the TUN behaves as a NIC with checksum offload, TSO and
 * GRO: the stack neither computes nor checks TCP checksums
 * (checksum_offload), and the loop
 *   - on input, trusts packets the kernel marks NEEDS_CSUM (built in this
 *     machine's memory, the sum never computed: Linux's CHECKSUM_PARTIAL) or
 *     DATA_VALID, and checks every other TCP checksum itself (dropping and
 *     counting bad ones); GRO/GSO super-packets go to the stack whole;
 *   - on output, takes the stack's own super-segments (TSO: the stack
 *     builds one packet per run of full segments, synack_config.tso_max and
 *     output_gso) and writes each with gso_type TCPV4 and gso_size = the
 *     stack's segment size, straight from the stack's buffer (no copy), for
 *     the kernel to cut or pass on whole (GSO); and still merges runs of
 *     consecutive full-sized segments of one flow that the stack sent one
 *     by one (same headers but the sequence number; only the last may carry
 *     PSH or FIN) into one such super-packet of up to 64 KB, written with
 *     one writev() straight from the batch (no copy); every TCP packet goes
 *     out NEEDS_CSUM with the pseudo-header's sum in its checksum field.
 *     With --impair, a super-segment is cut into segments first
 *     (wire_tcp_segment), so the faults act per segment as before. Without
 *     offloads (refused, or --no-offload) the stack sends no super-segments
 *     and computes its checksums itself. */

static uint16_t pseudo_partial(const uint8_t *ip, size_t tcp_len)
{
    uint32_t s = wire_csum_pseudo(wire_get32(ip + 12), wire_get32(ip + 16), IPV4_PROTO_TCP, (uint16_t)tcp_len);
    while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
    return (uint16_t)s;
}

/* Strips the virtio-net header of an arriving packet and checks what the
 * kernel did not. false: drop it. */
static bool link_input(struct loop *L, uint8_t **pkt, size_t *len)
{
    struct synack_vnet_hdr h;
    if (*len < sizeof h) return false;
    memcpy(&h, *pkt, sizeof h);
    *pkt += sizeof h;
    *len -= sizeof h;
    if (h.gso_type != SYNACK_VNET_GSO_NONE) L->gro_reads++;
    if (!L->tun.offload || (h.flags & (SYNACK_VNET_F_NEEDS_CSUM | SYNACK_VNET_F_DATA_VALID))) return true;
    struct wire_tcp_view v;
    if (!wire_tcp_view(*pkt, *len, &v)) return true; /* not TCP: the stack checks the rest */
    size_t tcp_len = v.thl + v.plen;
    uint32_t s = wire_csum_pseudo(wire_get32(*pkt + 12), wire_get32(*pkt + 16), IPV4_PROTO_TCP, (uint16_t)tcp_len);
    if (wire_csum_finish(wire_csum_add(s, *pkt + v.ihl, tcp_len)) == 0) return true;
    L->csum_dropped++;
    return false;
}

/* Can packet q (view w) follow the packet of view v in a super-packet whose
 * first packet is f (view fv), bringing it to `total` payload bytes? */
static bool can_merge(const uint8_t *f, const struct wire_tcp_view *fv, const struct wire_tcp_view *v, const uint8_t *q,
                      const struct wire_tcp_view *w, size_t total)
{
    if (v->flags != TCP_ACK || (w->flags & ~(TCP_ACK | TCP_PSH | TCP_FIN)) || !(w->flags & TCP_ACK)) return false;
    if (v->plen != fv->plen || w->plen == 0 || w->plen > fv->plen) return false;
    if (w->ihl != fv->ihl || w->thl != fv->thl || w->seq != v->seq + (uint32_t)v->plen) return false;
    if (fv->ihl + fv->thl + total + w->plen > 65535) return false;
    /* IP: version/IHL, TOS, TTL, protocol, addresses, options. */
    if (f[0] != q[0] || f[1] != q[1] || f[8] != q[8] || memcmp(f + 12, q + 12, fv->ihl - 12)) return false;
    const uint8_t *ft = f + fv->ihl, *qt = q + w->ihl;
    /* TCP: ports, ACK, offset, window, urgent, options (not seq, flags, checksum). */
    return !memcmp(ft, qt, 4) && !memcmp(ft + 8, qt + 8, 5) && !memcmp(ft + 14, qt + 14, 2) &&
           !memcmp(ft + 18, qt + 18, fv->thl - 18);
}

static void tun_writev(struct loop *L, const struct iovec *iov, int n)
{
    ssize_t w;
    do w = writev(L->tun.fd, iov, n);
    while (w < 0 && errno == EINTR);
    /* EAGAIN / ENOBUFS: the kernel's queue is full; TCP repairs the loss. */
}

/* Writes one TCP packet to the TUN: head (its IPv4 and TCP headers, a
 * writable copy) before the payload pieces iov[2..n) of `total` bytes, as
 * one packet of segs segments of gso_size bytes (segs > 1: a GSO TCPV4
 * super-packet). iov[0] and iov[1] are filled here. */
static void write_tcp(struct loop *L, struct iovec *iov, int n, uint8_t *head, const struct wire_tcp_view *fv,
                      size_t total, size_t segs, uint16_t gso_size)
{
    struct synack_vnet_hdr h;
    memset(&h, 0, sizeof h);
    size_t hl = fv->ihl + fv->thl;
    wire_put16(head + 2, (uint16_t)(hl + total));
    wire_put16(head + 10, 0);
    wire_put16(head + 10, wire_csum_finish(wire_csum_add(0, head, fv->ihl)));
    wire_put16(head + fv->ihl + 16, pseudo_partial(head, fv->thl + total));
    h.flags = SYNACK_VNET_F_NEEDS_CSUM;
    h.csum_start = (uint16_t)fv->ihl;
    h.csum_offset = 16;
    if (segs > 1) {
        h.gso_type = SYNACK_VNET_GSO_TCPV4;
        h.gso_size = gso_size;
        h.hdr_len = (uint16_t)hl;
        L->gso_writes++;
        L->gso_segments += segs;
    }
    iov[0] = (struct iovec){&h, sizeof h};
    iov[1] = (struct iovec){head, hl};
    tun_writev(L, iov, n);
}

/* Writes packets [i, j) of the batch as one (super-)packet. */
static void write_group(struct loop *L, size_t i, size_t j, const struct wire_tcp_view *fv)
{
    struct iovec iov[2 + LOOP_BATCH];
    uint8_t head[120];
    const uint8_t *f = L->out_buf + i * L->tun.mtu;
    if (!fv) { /* not TCP, or no offload: as it is */
        struct synack_vnet_hdr h;
        memset(&h, 0, sizeof h);
        iov[0] = (struct iovec){&h, sizeof h};
        iov[1] = (struct iovec){(void *)f, L->out_len[i]};
        tun_writev(L, iov, 2);
        return;
    }
    size_t hl = fv->ihl + fv->thl, total = 0;
    memcpy(head, f, hl);
    int n = 2; /* iov[0..1]: the virtio-net header and the headers */
    for (size_t k = i; k < j; k++) {
        const uint8_t *p = L->out_buf + k * L->tun.mtu;
        size_t plen = L->out_len[k] - hl;
        iov[n++] = (struct iovec){(void *)(p + hl), plen};
        total += plen;
    }
    const uint8_t *last = L->out_buf + (j - 1) * L->tun.mtu;
    head[fv->ihl + 13] = (uint8_t)(f[fv->ihl + 13] | (last[fv->ihl + 13] & (TCP_PSH | TCP_FIN)));
    write_tcp(L, iov, n, head, fv, total, j - i, (uint16_t)fv->plen);
}

static void flush_out(struct loop *L)
{
    if (!L->out_n) return;
    if (!L->tun.vnet) {
        const uint8_t *pkts[LOOP_BATCH];
        for (size_t i = 0; i < L->out_n; i++) pkts[i] = L->out_buf + i * L->tun.mtu;
        synack_tun_write_batch(&L->tun, pkts, L->out_len, L->out_n);
        L->out_n = 0;
        return;
    }
    for (size_t i = 0; i < L->out_n;) {
        const uint8_t *f = L->out_buf + i * L->tun.mtu;
        struct wire_tcp_view fv, v, w;
        if (!L->tun.offload || !wire_tcp_view(f, L->out_len[i], &fv)) {
            write_group(L, i, i + 1, NULL);
            i++;
            continue;
        }
        size_t j = i + 1, total = fv.plen;
        v = fv;
        while (j < L->out_n) {
            const uint8_t *q = L->out_buf + j * L->tun.mtu;
            if (!wire_tcp_view(q, L->out_len[j], &w) ||
                !can_merge(f, &fv, &v, q, &w, total))
                break;
            total += w.plen;
            v = w;
            j++;
        }
        write_group(L, i, j, &fv);
        i = j;
    }
    L->out_n = 0;
}

static void emit_to_tun(struct loop *L, const uint8_t *pkt, size_t len)
{
    if (len > L->tun.mtu) return; /* cannot happen: the stack knows the MTU */
    if (L->out_n == LOOP_BATCH) flush_out(L);
    memcpy(L->out_buf + L->out_n * L->tun.mtu, pkt, len);
    L->out_len[L->out_n++] = len;
}

static void on_output(void *ctx, const uint8_t *pkt, size_t len)
{
    struct loop *L = ctx;
    if (L->pcap) synack_pcap_write(L->pcap, pkt, len, wall_us());
    if (impairing(L) && !impair(L, false, pkt, len, loop_now())) return;
    emit_to_tun(L, pkt, len);
}

/* The stack's super-segment (TSO, only with the TUN's offloads): after
 * what the batch holds (order), written whole as a GSO TCPV4 packet of
 * gso_size segments straight from the stack's buffer. With --impair it is
 * cut into segments first, which go the way of any other packet. */
static void on_output_gso(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso_size)
{
    struct loop *L = ctx;
    struct wire_tcp_view fv;
    if (!wire_tcp_view(pkt, len, &fv) || fv.tot != len || fv.ihl + fv.thl > 120) return; /* never: the stack built it */
    if (impairing(L)) {
        wire_tcp_segment(pkt, len, gso_size, false, L->cut_buf, L->tun.mtu, on_output, L);
        return;
    }
    if (L->pcap) synack_pcap_write(L->pcap, pkt, len, wall_us());
    flush_out(L);
    struct iovec iov[3];
    uint8_t head[120];
    size_t hl = fv.ihl + fv.thl;
    memcpy(head, pkt, hl);
    iov[2] = (struct iovec){(void *)(pkt + hl), fv.plen};
    L->tso_writes++;
    write_tcp(L, iov, 3, head, &fv, fv.plen, (fv.plen + gso_size - 1) / gso_size, gso_size);
}

static void print_link_stats(const struct loop *L)
{
    fprintf(stderr,
            "stats: link %s: super-packets in=%llu out=%llu (of %llu segments; built by the stack's TSO=%llu), "
            "bad checksums dropped=%llu, not IPv4 dropped=%llu\n",
            L->tun.offload ? "offloads on" : L->tun.vnet ? "virtio-net header, offloads refused" : "plain",
            (unsigned long long)L->gro_reads, (unsigned long long)L->gso_writes, (unsigned long long)L->gso_segments,
            (unsigned long long)L->tso_writes, (unsigned long long)L->csum_dropped, (unsigned long long)L->not_ipv4);
}

static bool is_active(enum synack_tcp_state s)
{
    return s != SYNACK_CLOSED && s != SYNACK_LISTEN && s != SYNACK_TIME_WAIT;
}

static void on_state(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                     enum synack_tcp_state to, uint64_t now)
{
    struct loop *L = ctx;
    if (is_active(to) && !is_active(from)) L->active++;
    if (!is_active(to) && is_active(from) && L->active) L->active--;
    if (L->state_hook) L->state_hook(L->state_ctx, id, from, to, now);
}

/* ---- open, run, close ------------------------------------------------------ */

static int drop_privileges(const char *user, const char *prog)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "%s: --user '%s': no such user\n", prog, user);
        return -EINVAL;
    }
    if (setgroups(1, &pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        int e = errno;
        fprintf(stderr, "%s: --user %s: cannot switch to that user: %s\n", prog, user, strerror(e));
        return -e;
    }
    if (setuid(0) == 0 && pw->pw_uid != 0) {
        fprintf(stderr, "%s: --user %s: privileges could be regained; refusing to go on\n", prog, user);
        return -EPERM;
    }
    return 0;
}

static void fill_secret(uint8_t *secret, size_t n)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(secret, 1, n, f) : 0;
    if (f) fclose(f);
    if (got != n) { /* no urandom: the clock and the pid still vary per run */
        uint64_t x = loop_now() ^ ((uint64_t)getpid() << 32) ^ wall_us();
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            secret[i] = (uint8_t)(x >> 56);
        }
    }
}

/* ---- --threads: the group of loops on one multi-queue TUN ------------------ */

#define STEER_SLOTS 65536u  /* flow owners: a hash of the 4-tuple picks the slot */
#define MBOX_MAX 1024u      /* packets waiting in one loop's mailbox at most */

struct loop_parcel {
    size_t len;
    uint8_t *data;
};

struct loop_group {
    unsigned n;
    struct loop *loops[LOOP_MAX_THREADS];
    /* slot: tag (the hash's high 24 bits) << 8 | owner's queue + 1; 0: free */
    _Atomic uint32_t owner[STEER_SLOTS];
    atomic_uint next;       /* the thread the next new flow goes to */
    atomic_int signals;     /* SIGINT/SIGTERM received (by thread 0) */
};

void loop_poke(struct loop *L)
{
    uint64_t one = 1;
    if (L->evfd >= 0 && write(L->evfd, &one, sizeof one) < 0) { /* already pending: fine */
    }
}

/* The loop that owns this packet's flow: the owner recorded for it, or for a
 * new flow's SYN the next thread in turn; a packet of no known flow stays
 * where it arrived (its stack answers it as any stack would). */
static unsigned steer(struct loop *L, const uint8_t *pkt, size_t len)
{
    struct loop_group *g = L->group;
    struct wire_tcp_view v;
    if (!wire_tcp_view(pkt, len, &v)) return L->queue;
    const uint8_t *t = pkt + v.ihl;
    uint64_t key = (uint64_t)wire_get32(pkt + 12) << 32 ^ (uint64_t)wire_get32(pkt + 16) ^
                   (uint64_t)wire_get32(t) << 16;
    key *= 0x9e3779b97f4a7c15ull;
    key ^= key >> 29;
    key *= 0xbf58476d1ce4e5b9ull;
    uint32_t h = (uint32_t)(key >> 32);
    _Atomic uint32_t *slot = &g->owner[h % STEER_SLOTS];
    uint32_t tag = h >> 8 << 8;
    uint32_t cur = atomic_load_explicit(slot, memory_order_relaxed);
    for (;;) {
        if (cur && (cur & ~0xFFu) == tag) return (cur & 0xFFu) - 1;
        if ((v.flags & (TCP_SYN | TCP_ACK | TCP_RST)) != TCP_SYN) return L->queue;
        unsigned q = atomic_fetch_add_explicit(&g->next, 1, memory_order_relaxed) % g->n;
        if (atomic_compare_exchange_weak_explicit(slot, &cur, tag | (q + 1), memory_order_relaxed,
                                                  memory_order_relaxed))
            return q;
    }
}

/* Hands a packet to loop q's mailbox (copied; dropped when it is full, as a
 * full queue drops: TCP repairs it). */
static void pass_on(struct loop *L, unsigned q, const uint8_t *pkt, size_t len)
{
    struct loop *to = L->group->loops[q];
    uint8_t *copy = malloc(len);
    if (!copy) return;
    memcpy(copy, pkt, len);
    pthread_mutex_lock(&to->mbox_mu);
    if (to->mbox_n < MBOX_MAX) {
        to->mbox[to->mbox_n++] = (struct loop_parcel){len, copy};
        copy = NULL;
    }
    pthread_mutex_unlock(&to->mbox_mu);
    free(copy);
    L->passed_on++;
    loop_poke(to);
}

/* Gives the stack what other loops passed on. */
static void take_mail(struct loop *L, uint64_t now)
{
    struct loop_parcel got[64];
    size_t n;
    do {
        pthread_mutex_lock(&L->mbox_mu);
        n = L->mbox_n < 64 ? L->mbox_n : 64; /* the oldest first */
        memcpy(got, L->mbox, n * sizeof *got);
        L->mbox_n -= n;
        memmove(L->mbox, L->mbox + n, L->mbox_n * sizeof *got);
        pthread_mutex_unlock(&L->mbox_mu);
        for (size_t i = 0; i < n; i++) {
            synack_stack_input(L->stack, got[i].data, got[i].len, now);
            free(got[i].data);
        }
    } while (n == 64);
}

static int loop_open_queue(struct loop *L, const struct loop_options *o, const char *prog, struct loop_group *g,
                           unsigned queue);

int loop_open(struct loop *L, const struct loop_options *o, const char *prog)
{
    return loop_open_queue(L, o, prog, NULL, 0);
}

int loop_group_open(struct loop_group **gp, struct loop *const *loops, unsigned n, const struct loop_options *o,
                    const char *prog)
{
    *gp = NULL;
    if (n < 2 || n > LOOP_MAX_THREADS) {
        fprintf(stderr, "%s: --threads %u: from 1 to %u\n", prog, n, LOOP_MAX_THREADS);
        return -EINVAL;
    }
    if (o->pcap || o->loss_pct > 0 || o->dup_pct > 0 || o->delay_ms || o->reorder_ms) {
        fprintf(stderr, "%s: --threads %u: --pcap and --impair work with one thread only\n", prog, n);
        return -EINVAL;
    }
    struct loop_group *g = calloc(1, sizeof *g);
    if (!g) return -ENOMEM;
    g->n = n;
    for (unsigned i = 0; i < n; i++) {
        g->loops[i] = loops[i];
        int rc = loop_open_queue(loops[i], o, prog, g, i);
        if (rc) {
            for (unsigned k = 0; k <= i; k++) loop_close(loops[k]);
            free(g);
            return rc;
        }
    }
    *gp = g;
    return 0;
}

void loop_group_free(struct loop_group *g) { free(g); }

static int loop_open_queue(struct loop *L, const struct loop_options *o, const char *prog, struct loop_group *g,
                           unsigned queue)
{
    memset(L, 0, sizeof *L);
    L->opt = *o;
    L->epfd = L->tfd = L->sfd = L->evfd = -1;
    L->wake_at = SYNACK_NEVER;
    L->timer_at = SYNACK_NEVER;
    L->rng = o->seed;
    L->group = g;
    L->queue = queue;
    if (g) {
        pthread_mutex_init(&L->mbox_mu, NULL);
        L->mbox = malloc(MBOX_MAX * sizeof *L->mbox);
    }
    char why[256];
    int mode = (o->create ? SYNACK_TUN_CREATE : SYNACK_TUN_ATTACH) | (o->no_offload ? 0 : SYNACK_TUN_OFFLOAD) |
               (g ? SYNACK_TUN_MULTI_QUEUE : 0);
    int rc = synack_tun_open(&L->tun, o->tun, (enum synack_tun_mode)mode, why,
                             sizeof why);
    if (rc) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return rc;
    }
    if (!L->tun.up)
        fprintf(stderr, "%s: warning: --tun %s is down and cannot be brought up from here "
                        "(ip link set dev %s up)\n", prog, L->tun.name, L->tun.name);
    if (L->tun.mtu < 68 || L->tun.mtu > 65535) {
        fprintf(stderr, "%s: --tun %s: MTU %u is outside 68..65535\n", prog, L->tun.name, L->tun.mtu);
        return -EINVAL;
    }
    if (o->pcap) {
        int err = 0;
        L->pcap = synack_pcap_open(o->pcap, &err);
        if (!L->pcap) {
            fprintf(stderr, "%s: --pcap %s: %s\n", prog, o->pcap, strerror(-err));
            return err;
        }
    }
    /* Every queue first: attaching one needs the privileges. */
    if (o->user && (!g || queue == g->n - 1) && (rc = drop_privileges(o->user, prog)) != 0) return rc;

    L->in_slot = L->tun.vnet ? sizeof(struct synack_vnet_hdr) + 65536 : L->tun.mtu;
    L->out_buf = malloc((size_t)LOOP_BATCH * L->tun.mtu);
    L->in_buf = malloc((size_t)LOOP_BATCH * L->in_slot);
    L->cut_buf = malloc(L->tun.mtu);
    if (!L->out_buf || !L->in_buf || !L->cut_buf) return -ENOMEM;

    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = o->addr;
    cfg.mtu = (uint16_t)L->tun.mtu;
    cfg.tunables = o->tunables; /* --set (checked by loop_check_options) */
    fill_secret(cfg.secret, sizeof cfg.secret);
    /* The link checks and fills TCP checksums (see flush_out, link_csum_ok). */
    cfg.checksum_offload = L->tun.offload;
    cfg.output = on_output;
    cfg.output_ctx = L;
    /* TSO4 granted with the checksum offload: the stack sends super-segments
     * (on_output_gso); refused, it segments and sums everything itself. */
    if (L->tun.offload) {
        cfg.tso_max = 65535;
        cfg.output_gso = on_output_gso;
    }
    cfg.on_state = on_state;
    cfg.state_ctx = L;
    rc = synack_stack_create(&L->stack, &cfg);
    if (rc) {
        fprintf(stderr, "%s: cannot create the stack: %s\n", prog, synack_strerror(rc));
        return rc;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR1); /* print the counters now */
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* The threads inherit the blocked set; thread 0 reads the signals. */
    L->sfd = queue == 0 ? signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC) : -2;
    L->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    L->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (g) {
        L->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    }
    if (L->sfd == -1 || L->tfd < 0 || L->epfd < 0 || (g && (L->evfd < 0 || !L->mbox))) {
        rc = -errno;
        fprintf(stderr, "%s: event loop: %s\n", prog, strerror(errno));
        return rc;
    }
    if (L->sfd == -2) L->sfd = -1;
    if (loop_watch(L, L->tun.fd, EPOLLIN) || (L->sfd >= 0 && loop_watch(L, L->sfd, EPOLLIN)) ||
        loop_watch(L, L->tfd, EPOLLIN) || (L->evfd >= 0 && loop_watch(L, L->evfd, EPOLLIN))) {
        fprintf(stderr, "%s: event loop: %s\n", prog, strerror(errno));
        return -EIO;
    }
    return 0;
}

int loop_watch(struct loop *L, int fd, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(L->epfd, EPOLL_CTL_ADD, fd, &ev) == 0) return 0;
    if (errno == EEXIST && epoll_ctl(L->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) return 0;
    return -errno;
}

void loop_unwatch(struct loop *L, int fd) { epoll_ctl(L->epfd, EPOLL_CTL_DEL, fd, NULL); }

void loop_wake_at(struct loop *L, uint64_t t)
{
    if (t < L->wake_at) L->wake_at = t;
}

void loop_stop(struct loop *L, int status)
{
    if (L->stopping) return; /* the first reason to stop is the one reported */
    L->stopping = true;
    L->exit_status = status;
}

/* A paced sender sleeps for tens of microseconds many thousand times a
 * second, mostly until the deadline it slept for last time: the timerfd is
 * set only when the deadline changes (a timer that fired is read, and then
 * counts as not armed). */
static void arm_timer(struct loop *L, uint64_t at)
{
    if (at == L->timer_at) return;
    L->timer_at = at;
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    if (at != SYNACK_NEVER) {
        if (at == 0) at = 1; /* 0 would disarm */
        its.it_value.tv_sec = (time_t)(at / 1000000u);
        its.it_value.tv_nsec = (long)(at % 1000000u) * 1000;
    }
    timerfd_settime(L->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

int loop_run(struct loop *L, const struct loop_app *app)
{
    uint8_t *bufs[LOOP_BATCH];
    size_t lens[LOOP_BATCH];
    for (size_t i = 0; i < LOOP_BATCH; i++) bufs[i] = L->in_buf + i * L->in_slot;
    bool imp = impairing(L);
    for (;;) {
        uint64_t now = loop_now();
        int n = 0;
        size_t turn_bytes = 0;
        while (n < LOOP_BATCH && turn_bytes < LOOP_TURN_BYTES) {
            /* one at a time with offloads (a read may bring 64 KB), else all at once */
            size_t want = L->tun.vnet ? 1 : LOOP_BATCH;
            int got = synack_tun_read_batch(&L->tun, bufs + n, L->in_slot, lens + n, want);
            if (got <= 0) break;
            for (int i = n; i < n + got; i++) turn_bytes += lens[i];
            n += got;
            if ((size_t)got < want) break; /* the queue is empty */
        }
        bool turn_full = n == LOOP_BATCH || turn_bytes >= LOOP_TURN_BYTES;
        for (int i = 0; i < n; i++) {
            uint8_t *pkt = bufs[i];
            size_t len = lens[i];
            if (L->tun.vnet && !link_input(L, &pkt, &len)) continue;
            if (imp && !impair(L, true, pkt, len, now)) continue;
            if (L->group) {
                unsigned q = steer(L, pkt, len);
                if (q != L->queue) {
                    pass_on(L, q, pkt, len);
                    continue;
                }
            }
            if (L->pcap) synack_pcap_write(L->pcap, pkt, len, wall_us());
            if (len == 0 || pkt[0] >> 4 != 4) {
                /* Another network protocol (IFF_NO_PI: the version nibble
                 * tells): the kernel sends IPv6 router solicitations on any
                 * TUN that comes up. An IPv4-only host drops them at the link,
                 * as a NIC driver does an unknown ethertype; they are not
                 * malformed IPv4 (Ip InHdrErrors). */
                L->not_ipv4++;
                continue;
            }
            synack_stack_input(L->stack, pkt, len, now);
        }
        if (L->group) {
            take_mail(L, now);
            int sig = atomic_load(&L->group->signals);
            while (L->signals < sig) {
                L->signals++;
                if (app->on_signal) app->on_signal(app->ctx, L, L->signals);
                else loop_stop(L, 130);
            }
        }
        if (imp) release_held(L, now);
        synack_stack_poll(L->stack, now);
        if (L->wake_at <= now) L->wake_at = SYNACK_NEVER;
        if (app->step) app->step(app->ctx, L);
        uint64_t deadline = synack_stack_poll(L->stack, now);
        flush_out(L);
        if (L->stopping) break;
        if (turn_full) continue; /* more are probably waiting */

        uint64_t at = deadline;
        if (L->wake_at < at) at = L->wake_at;
        for (size_t i = 0; i < L->nheld; i++) /* packets held this turn count too */
            if (L->held[i].at < at) at = L->held[i].at;
        if (at <= now) continue;
        arm_timer(L, at);
        struct epoll_event evs[16];
        int ne = epoll_wait(L->epfd, evs, 16, -1);
        if (ne < 0 && errno != EINTR) {
            fprintf(stderr, "synack: epoll_wait: %s\n", strerror(errno));
            return 1;
        }
        for (int i = 0; i < ne; i++) {
            int fd = evs[i].data.fd;
            if (fd == L->tun.fd) continue;
            if (fd == L->evfd) {
                uint64_t v;
                if (read(L->evfd, &v, sizeof v) < 0) { /* nothing pending */
                }
            } else if (fd == L->tfd) {
                uint64_t exp;
                if (read(L->tfd, &exp, sizeof exp) < 0) { /* nothing: not expired */
                }
                L->timer_at = SYNACK_NEVER;
            } else if (fd == L->sfd) {
                struct signalfd_siginfo si;
                while (read(L->sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                    if (si.ssi_signo == SIGUSR1) {
                        struct synack_counters c;
                        synack_stack_get_counters(L->stack, &c);
                        fputs("stats: counters now (nonzero), as netstat -s:\n", stderr);
                        counters_print(stderr, "synack", &c);
        print_link_stats(L);
                        continue;
                    }
                    if (L->group) { /* every loop hears it, this one at the next turn */
                        atomic_fetch_add(&L->group->signals, 1);
                        for (unsigned q = 0; q < L->group->n; q++) loop_poke(L->group->loops[q]);
                        continue;
                    }
                    L->signals++;
                    if (app->on_signal) app->on_signal(app->ctx, L, L->signals);
                    else loop_stop(L, 130);
                }
            } else if (app->on_fd) {
                app->on_fd(app->ctx, L, fd, evs[i].events);
            }
        }
    }
    return L->exit_status;
}

void loop_close(struct loop *L)
{
    if (L->stack && L->opt.stats) {
        struct synack_counters c;
        synack_stack_get_counters(L->stack, &c);
        fputs("stats: counters at exit (nonzero), as netstat -s:\n", stderr);
        counters_print(stderr, "synack", &c);
        print_link_stats(L);
        if (L->group)
            fprintf(stderr, "stats: thread %u of %u: packets passed to another thread=%llu\n", L->queue,
                    L->group->n, (unsigned long long)L->passed_on);
        if (impairing(L))
            fprintf(stderr, "stats: impair dropped=%llu duplicated=%llu held=%llu\n",
                    (unsigned long long)L->imp_dropped, (unsigned long long)L->imp_duplicated,
                    (unsigned long long)L->imp_delayed);
    }
    for (size_t i = 0; i < L->nheld; i++) free(L->held[i].data);
    free(L->held);
    if (L->group) {
        for (size_t i = 0; i < L->mbox_n; i++) free(L->mbox[i].data);
        free(L->mbox);
        L->mbox = NULL;
        pthread_mutex_destroy(&L->mbox_mu);
    }
    if (L->evfd >= 0) close(L->evfd);
    if (L->stack) synack_stack_destroy(L->stack);
    if (L->pcap) synack_pcap_close(L->pcap);
    if (L->epfd >= 0) close(L->epfd);
    if (L->tfd >= 0) close(L->tfd);
    if (L->sfd >= 0) close(L->sfd);
    synack_tun_close(&L->tun);
    free(L->out_buf);
    free(L->in_buf);
    free(L->cut_buf);
    memset(L, 0, sizeof *L);
    L->epfd = L->tfd = L->sfd = L->evfd = -1;
}
