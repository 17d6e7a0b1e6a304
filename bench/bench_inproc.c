/*
 * bench_inproc.c — synack against the Linux kernel, side by side, in one
 * process on one core: bulk throughput and connection rate.
 *
 * synack: two stacks joined by a direct in-memory link (a packet is copied
 * once into a FIFO and handed to the other stack), driven by the real
 * monotonic clock, one thread. Kernel: two TCP sockets over the loopback
 * interface, non-blocking, driven by poll(2) from one thread. Both move the
 * same bytes with the same application buffer size, so the ratio shows what
 * the system calls and the kernel's generality cost.
 *
 * Run it inside a fresh network namespace (bench/run.sh does: unshare -n),
 * so the kernel sockets touch nothing outside.
 *
 * usage: bench_inproc [--bytes N] [--conns N] [--repeat N] [--mtu N] [--offload 0|1]
 *                     [--link-offload 0|1] [--tso 0|1|2] [--link-direct 0|1] [--zerocopy 0|1] [--generate 0|1] [--stats 0|1] [--pacing 0|1] [--synack-bulk-only BYTES [--cpu 1]]
 * (--synack-bulk-only prints one synack bulk figure in MB/s; with --cpu 1
 * also the same bytes over the CPU time the process used)
 * (--mtu 65535 matches the kernel's loopback, whose MTU is 65536)
 * (--offload 1: the stacks neither fill nor check TCP checksums, as Linux's
 * lo with checksum offload; --link-offload 1: the link merges runs of
 * full-sized segments into 64 KB super-segments and delivers them whole, as
 * TSO + GRO do; checksums are still computed by the sender and checked by
 * the receiver over every byte (bench/memlink.h); --tso 1: the sending
 * stack itself builds one packet per run of full segments (TSO, up to 64 KB,
 * one header and one checksum summed while the payload is copied) and the
 * link passes it whole to the receiver; --tso 2: the link cuts those
 * packets into segments in software first; --link-direct 1: the link
 * hands each packet to the receiving stack at once, inside the sender's
 * output, with no copy into its FIFO, as Linux's lo hands a sent packet to
 * its receive path)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "memlink.h"
#include "synack/synack.h"

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static double now_s(void) { return (double)now_us() / 1e6; }

/* CPU time this process used (user + system), seconds: on a shared machine
 * the wall clock also counts the time other jobs held the core. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
static double last_bulk_cpu_s; /* CPU seconds of the last synack_bulk */

/* ---- synack: two stacks on a direct link ----------------------------------- */

struct pair {
    synack_stack *a, *b;
    struct memlink link; /* dir 0: to a, dir 1: to b */
};

static void out_to_b(void *ctx, const uint8_t *pkt, size_t len) { memlink_push(&((struct pair *)ctx)->link, 1, pkt, len); }
static void out_to_a(void *ctx, const uint8_t *pkt, size_t len) { memlink_push(&((struct pair *)ctx)->link, 0, pkt, len); }
static void gso_to_b(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso)
{
    memlink_push_gso(&((struct pair *)ctx)->link, 1, pkt, len, gso);
}
static void gso_to_a(void *ctx, const uint8_t *pkt, size_t len, uint16_t gso)
{
    memlink_push_gso(&((struct pair *)ctx)->link, 0, pkt, len, gso);
}

static void pump(struct pair *p)
{
    uint64_t t = now_us();
    memlink_poll(&p->link, 0, t);
    memlink_poll(&p->link, 1, t);
    while (p->link.dir[0].count || p->link.dir[1].count) {
        memlink_deliver(&p->link, 1, p->b, t);
        memlink_deliver(&p->link, 0, p->a, t);
        memlink_poll(&p->link, 0, t);
        memlink_poll(&p->link, 1, t);
    }
}

static uint16_t bench_mtu = 1500;
static bool bench_pacing = true; /* --pacing 0: as Linux over lo (no fq, no internal pacing) */
static bool bench_offload; /* --offload: TCP checksums left to the (trusted) link, as on lo */
static bool bench_stats; /* --stats 1: the link's counters and the sender's state after a bulk run */
static bool bench_link_offload; /* --link-offload: TSO/GRO-style super-segments on the link (memlink.h) */
static bool bench_direct; /* --link-direct 1: packets handed to the receiver at once, no FIFO copy (as lo) */
static uint32_t bench_tso_max = MEMLINK_SUPER_MAX; /* --tso-max: the largest packet the link takes */
static int bench_tso; /* --tso 1: the stacks send 64 KB super-segments, passed whole; 2: cut by the link */
static bool bench_zerocopy; /* --zerocopy: synack_send_reservev/commit and synack_recv_peekv/consume */
static bool bench_generate = true; /* --generate 0: the sending application writes none of its bytes */
/* Pieces per zero-copy call: 64 KB over 4 KB chunks (+1 for a chunk begun),
 * so one call moves what one copying call (64 KB) does. */
#define ZC_PIECES 17

static struct pair *pair_new(void)
{
    struct pair *p = calloc(1, sizeof *p);
    if (!p || !memlink_init(&p->link, bench_mtu, bench_link_offload, (enum memlink_tso)bench_tso)) abort();
    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.mtu = bench_mtu;
    cfg.checksum_offload = bench_offload;
    cfg.tunables.rcvbuf = 256 * 1024;
    cfg.tunables.sndbuf = 256 * 1024;
    cfg.tunables.msl_ms = 1; /* connection-rate runs recycle ports quickly */
    cfg.tunables.pacing = bench_pacing;
    for (int i = 0; i < 16; i++) cfg.secret[i] = (uint8_t)(i * 7 + 1);
    cfg.addr = 0x0a000001u;
    cfg.output = out_to_b;
    cfg.output_ctx = p;
    if (bench_tso) {
        cfg.tso_max = bench_tso_max;
        cfg.output_gso = gso_to_b;
    }
    if (synack_stack_create(&p->a, &cfg) != 0) abort();
    cfg.addr = 0x0a000002u;
    cfg.output = out_to_a;
    cfg.output_gso = bench_tso ? gso_to_a : NULL;
    if (synack_stack_create(&p->b, &cfg) != 0) abort();
    p->link.direct = bench_direct;
    memlink_attach(&p->link, p->a, p->b);
    return p;
}

static void pair_free(struct pair *p)
{
    synack_stack_destroy(p->a);
    synack_stack_destroy(p->b);
    memlink_fini(&p->link);
    free(p);
}

static double synack_bulk(uint64_t bytes)
{
    struct pair *p = pair_new();
    int l = synack_socket(p->b);
    synack_bind(p->b, l, &(struct synack_endpoint){0, 5001});
    synack_listen(p->b, l, 8);
    int c = synack_socket(p->a);
    synack_connect(p->a, c, &(struct synack_endpoint){0x0a000002u, 5001});
    pump(p);
    int s = synack_accept(p->b, l, NULL);
    if (s < 0) abort();
    static uint8_t buf[65536], rbuf[65536];
    memset(buf, 'x', sizeof buf);
    size_t off = 0, have = 0; /* the copying loop's generated, unsent bytes in buf */
    uint64_t sent = 0, rcvd = 0;
    double t0 = now_s(), c0 = cpu_s();
    while (rcvd < bytes) {
        while (sent < bytes) {
            size_t n = bytes - sent < sizeof buf ? (size_t)(bytes - sent) : sizeof buf;
            ssize_t w;
            /* Both loops do the same application work: each byte sent is
             * generated once (written by the application, a fill byte that
             * changes per call), in place with the zero-copy calls, into the
             * application's buffer before synack_send with the copying ones;
             * --generate 0: neither writes its bytes (the copying loop resends
             * one buffer as iperf3 does, the zero-copy loop sends what the
             * reserved space holds). The receiving application reads no byte
             * in either: it consumes them where they lie, or has them copied
             * into its buffer by synack_recv. */
            int fill = (int)(uint8_t)(sent >> 16);
            if (bench_zerocopy) {
                struct iovec iov[ZC_PIECES];
                int cnt = ZC_PIECES;
                w = synack_send_reservev(p->a, c, iov, &cnt, n);
                if (w > 0) {
                    if (bench_generate)
                        for (int i = 0; i < cnt; i++) memset(iov[i].iov_base, fill, iov[i].iov_len);
                    synack_send_commit(p->a, c, (size_t)w);
                }
            } else { /* bytes generated once, sent from where the last call stopped */
                if (!have) {
                    if (bench_generate) memset(buf, fill, n);
                    off = 0;
                    have = n;
                }
                w = synack_send(p->a, c, buf + off, have);
                if (w > 0) {
                    off += (size_t)w;
                    have -= (size_t)w;
                }
            }
            if (w <= 0) break;
            sent += (uint64_t)w;
        }
        pump(p);
        for (;;) {
            ssize_t r;
            if (bench_zerocopy) { /* the bytes are used where they lie */
                struct iovec iov[ZC_PIECES];
                int cnt = ZC_PIECES;
                r = synack_recv_peekv(p->b, s, iov, &cnt);
                if (r > 0) synack_recv_consume(p->b, s, (size_t)r);
            } else {
                r = synack_recv(p->b, s, rbuf, sizeof rbuf);
            }
            if (r <= 0) break;
            rcvd += (uint64_t)r;
        }
        pump(p);
    }
    double dt = now_s() - t0;
    last_bulk_cpu_s = cpu_s() - c0;
    if (bench_stats) { /* what the link and the sender saw, on stderr */
        struct synack_tcp_info ti;
        synack_getinfo(p->a, c, &ti);
        fprintf(stderr,
                "stats: link packets=%llu merged into super-segments=%llu dropped=%llu; stack super-segments=%llu "
                "of %llu segments; sender srtt=%u us "
                "min_rtt=%u us cwnd=%u mss=%u pacing_rate=%llu B/s retransmitted=%u\n",
                (unsigned long long)p->link.packets, (unsigned long long)p->link.merged,
                (unsigned long long)p->link.dropped, (unsigned long long)p->link.supers,
                (unsigned long long)p->link.super_segs, ti.rtt_us, ti.min_rtt_us, ti.cwnd, ti.snd_mss,
                (unsigned long long)ti.pacing_rate, ti.total_retrans);
    }
    pair_free(p);
    return (double)bytes / dt;
}

static double synack_conn_rate(int conns)
{
    struct pair *p = pair_new();
    int l = synack_socket(p->b);
    synack_bind(p->b, l, &(struct synack_endpoint){0, 5002});
    synack_listen(p->b, l, 128);
    uint8_t byte = 'x';
    double t0 = now_s();
    for (int i = 0; i < conns; i++) {
        int c = synack_socket(p->a);
        synack_connect(p->a, c, &(struct synack_endpoint){0x0a000002u, 5002});
        pump(p);
        int s = synack_accept(p->b, l, NULL);
        if (s < 0) abort();
        synack_send(p->a, c, &byte, 1);
        pump(p);
        if (synack_recv(p->b, s, &byte, 1) != 1) abort();
        synack_close(p->a, c);
        pump(p);
        synack_close(p->b, s);
        pump(p);
    }
    double dt = now_s() - t0;
    pair_free(p);
    return conns / dt;
}

/* ---- kernel: loopback sockets, non-blocking, one thread ---------------------- */

static int k_listener(int port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 128)) {
        perror("kernel bind/listen (run inside `unshare -n` with lo up)");
        exit(1);
    }
    return l;
}

static int k_connect(int port)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (connect(c, (struct sockaddr *)&a, sizeof a)) {
        perror("kernel connect");
        exit(1);
    }
    return c;
}

static double kernel_bulk(uint64_t bytes)
{
    int l = k_listener(6001);
    int c = k_connect(6001);
    int s = accept(l, NULL, NULL);
    int sz = 256 * 1024;
    setsockopt(c, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(s, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    fcntl(c, F_SETFL, O_NONBLOCK);
    fcntl(s, F_SETFL, O_NONBLOCK);
    static uint8_t buf[65536], rbuf[65536];
    memset(buf, 'x', sizeof buf);
    size_t off = 0, have = 0; /* generated, unsent bytes in buf (as synack_bulk's copying loop) */
    uint64_t sent = 0, rcvd = 0;
    double t0 = now_s();
    while (rcvd < bytes) {
        struct pollfd pf[2] = {{c, sent < bytes ? POLLOUT : 0, 0}, {s, POLLIN, 0}};
        poll(pf, 2, 1000);
        while (sent < bytes) {
            if (!have) {
                size_t n = bytes - sent < sizeof buf ? (size_t)(bytes - sent) : sizeof buf;
                if (bench_generate) memset(buf, (int)(uint8_t)(sent >> 16), n);
                off = 0;
                have = n;
            }
            ssize_t w = write(c, buf + off, have);
            if (w <= 0) break;
            off += (size_t)w;
            have -= (size_t)w;
            sent += (uint64_t)w;
        }
        for (;;) {
            ssize_t r = read(s, rbuf, sizeof rbuf);
            if (r <= 0) break;
            rcvd += (uint64_t)r;
        }
    }
    double dt = now_s() - t0;
    close(c);
    close(s);
    close(l);
    return (double)bytes / dt;
}

static double kernel_conn_rate(int conns)
{
    int l = k_listener(6002);
    uint8_t byte = 'x';
    double t0 = now_s();
    for (int i = 0; i < conns; i++) {
        int c = k_connect(6002);
        int s = accept(l, NULL, NULL);
        if (write(c, &byte, 1) != 1 || read(s, &byte, 1) != 1) abort();
        close(c);
        close(s);
    }
    double dt = now_s() - t0;
    close(l);
    return conns / dt;
}

static double best(double (*fn)(uint64_t), uint64_t arg, int repeat)
{
    double b = 0;
    for (int i = 0; i < repeat; i++) {
        double v = fn(arg);
        if (v > b) b = v;
    }
    return b;
}

static double best_rate(double (*fn)(int), int arg, int repeat)
{
    double b = 0;
    for (int i = 0; i < repeat; i++) {
        double v = fn(arg);
        if (v > b) b = v;
    }
    return b;
}

int main(int argc, char **argv)
{
    uint64_t bytes = 1ull << 30;
    int conns = 10000, repeat = 3;
    bool bulk_only = false, print_cpu = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--bytes")) bytes = strtoull(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--conns")) conns = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--repeat")) repeat = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--mtu")) bench_mtu = (uint16_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--offload")) bench_offload = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--stats")) bench_stats = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--link-offload")) bench_link_offload = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--link-direct")) bench_direct = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--tso")) bench_tso = atoi(argv[i + 1]) == 2 ? 2 : atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--zerocopy")) bench_zerocopy = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--tso-max")) bench_tso_max = (uint32_t)atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--generate")) bench_generate = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--cpu")) print_cpu = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--pacing")) bench_pacing = atoi(argv[i + 1]) != 0;
        else if (!strcmp(argv[i], "--synack-bulk-only")) { /* one synack bulk figure, MB/s, for scripts */
            bytes = strtoull(argv[i + 1], NULL, 10);
            bulk_only = true;
        }
    }
    if (bench_mtu < 576) bench_mtu = 576;
    if (bulk_only) {
        double rate = synack_bulk(bytes);
        if (print_cpu) /* and the rate by the CPU time used */
            printf("%.0f %.0f\n", rate / 1e6, (double)bytes / last_bulk_cpu_s / 1e6);
        else
            printf("%.0f\n", rate / 1e6);
        return 0;
    }
    double sb = best(synack_bulk, bytes, repeat), kb = best(kernel_bulk, bytes, repeat);
    printf("bulk %llu bytes, one thread, best of %d:\n", (unsigned long long)bytes, repeat);
    printf("  synack <-> synack (in-memory link, MTU %u%s) %8.0f MB/s\n", bench_mtu,
           bench_offload ? ", checksum offload" : "", sb / 1e6);
    printf("  kernel <-> kernel (loopback, poll)   %8.0f MB/s\n", kb / 1e6);
    printf("  ratio synack/kernel                   %8.2f\n", sb / kb);
    double sc = best_rate(synack_conn_rate, conns, repeat), kc = best_rate(kernel_conn_rate, conns, repeat);
    printf("connections (connect, 1 byte, close both), %d per run, best of %d:\n", conns, repeat);
    printf("  synack                                %8.0f conn/s\n", sc);
    printf("  kernel                                %8.0f conn/s\n", kc);
    printf("  ratio synack/kernel                   %8.2f\n", sc / kc);
    return 0;
}
