/*
 * bench_idle.c — what idle connections cost: memory per endpoint, the time
 * of one more connect, and the connection-lifecycle rate while N idle
 * connections are held. synack and the Linux kernel, side by side.
 *
 * synack: two stacks in this process joined by an in-memory link (2N
 * endpoints). The client connects N times to the server (spread over
 * several listening ports), the server accepts, and nothing more is said.
 * Printed for each N: RSS growth per endpoint (from /proc/self/statm), the
 * mean microseconds per connect (handshake and accept included) while the
 * N are opened, the connect time at N (rounds of 1,000 more connects, each
 * round then aborted so that N stays N; wall clock and CPU time of this
 * process), and the lifecycle rate (rounds of 1,000: connect, 64 bytes each
 * way, the client closes first, then the server; over 16 server ports)
 * measured while the N idle connections exist, per second and per
 * CPU-second (user + system time of this process: the figure that other
 * jobs on the machine disturb least).
 *
 * synack's B/endpoint counts from after the setup: the two stacks and their
 * 65 listeners (their size is printed apart, and the figure with it); the
 * in-memory link's packet slots are in no figure. Each N runs in a fresh process.
 *
 * kernel: the same loop on sockets over lo (run it inside a fresh network
 * namespace: bench/run_idle.sh), the connections held by helper processes
 * when one process may not hold 2N descriptors. Its memory is the kernel's
 * Slab growth (/proc/meminfo) plus the helpers' RSS growth, per endpoint;
 * other processes on the machine add noise to the former.
 *
 * --repeat R runs the synack side R times, the Ns interleaved (1k, 1M, 1k,
 * 1M, ...: each N sees the same machine load), and ends with the median of
 * each figure per N and its ratio to the first N's. --input single hands
 * the stacks one packet per synack_stack_input call instead of all waiting
 * packets per synack_stack_input_batch call (the default).
 *
 * --paired S puts the Ns (two to four) in one process and goes round them
 * in S slices of milliseconds (see paired_run): the comparison least
 * disturbed by other jobs on the machine. There an N may be given as N:R,
 * its client stack then having R ephemeral ports instead of 64,512: with
 * N = 10000 and R = 645, each destination's range is as full (24%) as with
 * a million connections and all the ports, so that the extra candidate
 * ports a connect tries are told apart from the size of the tables. Below
 * each N's connect time it prints that time split by the wall clock: the
 * connect() calls (the port choice, the connection's creation) and the
 * handshake with the accepts (both stacks' input and output).
 *
 * usage: bench_idle [--n N[:R][,N[:R]...]] [--kernel-max N] [--lifecycles N] [--connect-rounds R]
 *                   [--repeat R] [--paired S] [--input batch|single]
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mempair.h"

static long rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &rss) != 2) rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE);
}

static long slab_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[256];
    long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Slab: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

/* ---- synack: two stacks on a direct link ----------------------------------- */

#define BATCH 1000         /* connects between pumps (each makes 1 packet a turn) */
#define SERVER_PORTS 64    /* listening ports: the ephemeral range is per 4-tuple */
#define LIFE_PORT 9000      /* lifecycles go to LIFE_PORT .. LIFE_PORT + LIFE_PORTS - 1 */
#define LIFE_PORTS 16
static unsigned more_rounds = 10; /* the connect time at N: rounds of BATCH more connects */

struct bench {
    struct pair *p;
    int lsd[SERVER_PORTS], life_lsd[LIFE_PORTS];
};

/* The ephemeral ports of the client stack: EPHEMERAL_PORTS from 1024, or
 * fewer for an N given as N:R (--paired's diagnostic: R ports, so that N
 * connections over the 64 server ports use as large a share of each
 * destination's range as a larger N does with all of them). */
#define EPHEMERAL_PORTS 64512u

static struct bench *bench_new(unsigned n, unsigned ports)
{
    struct bench *bn = calloc(1, sizeof *bn);
    if (!bn) abort();
    struct synack_config cfg;
    synack_config_init(&cfg);
    /* Room for the idle crowd plus the lifecycle loop's TIME_WAITs. */
    if (cfg.tunables.max_connections < n + 200000) cfg.tunables.max_connections = n + 200000;
    /* As the kernel's run (bench/run_idle.sh): the port range raised, so a
     * million connections over 64 server ports fill a quarter of it. */
    cfg.tunables.ephemeral_lo = 1024;
    cfg.tunables.ephemeral_hi = (uint16_t)(1024 + ports - 1);
    bn->p = pair_new(cfg);
    for (int i = 0; i < SERVER_PORTS; i++) {
        bn->lsd[i] = synack_socket(bn->p->b);
        if (synack_bind(bn->p->b, bn->lsd[i], &(struct synack_endpoint){0, (uint16_t)(5000 + i)}) != 0 ||
            synack_listen(bn->p->b, bn->lsd[i], 4096) != 0)
            abort();
    }
    for (int i = 0; i < LIFE_PORTS; i++) {
        bn->life_lsd[i] = synack_socket(bn->p->b);
        if (synack_bind(bn->p->b, bn->life_lsd[i], &(struct synack_endpoint){0, (uint16_t)(LIFE_PORT + i)}) != 0 ||
            synack_listen(bn->p->b, bn->life_lsd[i], 4096) != 0)
            abort();
    }
    return bn;
}

/* Opens count more idle connections; returns how many were established. */
static unsigned synack_open(struct bench *bn, unsigned done, unsigned count)
{
    struct pair *p = bn->p;
    unsigned ok = 0;
    while (ok < count) {
        unsigned batch = count - ok < BATCH ? count - ok : BATCH;
        for (unsigned i = 0; i < batch; i++) {
            int c = synack_socket(p->a);
            unsigned port = (done + ok + i) % SERVER_PORTS;
            if (c < 0 || synack_connect(p->a, c, &(struct synack_endpoint){0x0a000002u, (uint16_t)(5000 + port)}) != -EINPROGRESS) {
                fprintf(stderr, "bench_idle: synack connect %u failed: %d\n", done + ok + i, c);
                return ok;
            }
        }
        pump(p);
        unsigned got = 0;
        for (int i = 0; i < SERVER_PORTS; i++)
            while (synack_accept(p->b, bn->lsd[i], NULL) >= 0) got++;
        if (got != batch) {
            fprintf(stderr, "bench_idle: %u of %u accepted\n", got, batch);
            return ok + got;
        }
        ok += batch;
    }
    return ok;
}

/* A measured stretch: wall-clock and CPU microseconds. */
struct span {
    uint64_t wall, cpu;
};
static struct span span_start(void) { return (struct span){now_us(), cpu_us()}; }
static struct span span_end(struct span s0) { return (struct span){now_us() - s0.wall, cpu_us() - s0.cpu}; }

/* Lifecycles in rounds of BATCH (as bench_lifecycles): connect to one of the
 * LIFE_PORTS listeners, 64 bytes each way, the client closes first (it keeps
 * the TIME_WAIT), then the server. */
static struct span synack_lifecycles(struct bench *bn, unsigned count)
{
    struct pair *p = bn->p;
    static int cs[BATCH], ss[BATCH];
    uint8_t msg[64];
    memset(msg, 'x', sizeof msg);
    unsigned next = 0;
    struct span t0 = span_start();
    for (unsigned done = 0; done < count;) {
        unsigned k = count - done < BATCH ? count - done : BATCH;
        for (unsigned i = 0; i < k; i++) {
            cs[i] = synack_socket(p->a);
            uint16_t port = (uint16_t)(LIFE_PORT + next++ % LIFE_PORTS);
            if (synack_connect(p->a, cs[i], &(struct synack_endpoint){0x0a000002u, port}) != -EINPROGRESS) abort();
        }
        pump(p);
        unsigned got = 0;
        for (unsigned i = 0; i < LIFE_PORTS && got < k; i++) {
            int sd;
            while (got < k && (sd = synack_accept(p->b, bn->life_lsd[i], NULL)) >= 0) ss[got++] = sd;
        }
        if (got != k) abort();
        for (unsigned i = 0; i < k; i++)
            if (synack_send(p->a, cs[i], msg, sizeof msg) != sizeof msg) abort();
        pump(p);
        for (unsigned i = 0; i < k; i++)
            if (synack_recv(p->b, ss[i], msg, sizeof msg) != sizeof msg ||
                synack_send(p->b, ss[i], msg, sizeof msg) != sizeof msg)
                abort();
        pump(p);
        for (unsigned i = 0; i < k; i++) {
            if (synack_recv(p->a, cs[i], msg, sizeof msg) != sizeof msg) abort();
            synack_close(p->a, cs[i]);
        }
        pump(p);
        for (unsigned i = 0; i < k; i++) {
            if (synack_recv(p->b, ss[i], msg, sizeof msg) != 0) abort();
            synack_close(p->b, ss[i]);
        }
        pump(p);
        done += k;
    }
    return span_end(t0);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The counted rounds' wall time split in two (--paired prints it): the
 * connect() calls, and the handshake (both stacks' input and output) with
 * the accepts. */
static uint64_t split_connect_ns, split_handshake_ns;

/* The connect time with N held: rounds of BATCH more connects (handshake and
 * accept), each round then aborted (RST, no TIME_WAIT) so that N stays N;
 * the first round warms up and is not counted. */
static struct span synack_connect_time(struct bench *bn, unsigned n)
{
    struct pair *p = bn->p;
    static int cs[BATCH], ss[BATCH];
    struct span total = {0, 0};
    struct synack_linger abort_close = {1, 0};
    for (unsigned round = 0; round <= more_rounds; round++) {
        struct span t0 = span_start();
        uint64_t n0 = now_ns();
        for (unsigned i = 0; i < BATCH; i++) {
            cs[i] = synack_socket(p->a);
            uint16_t port = (uint16_t)(5000 + (n + i) % SERVER_PORTS);
            if (cs[i] < 0 || synack_connect(p->a, cs[i], &(struct synack_endpoint){0x0a000002u, port}) != -EINPROGRESS)
                abort();
        }
        uint64_t n1 = now_ns();
        pump(p);
        unsigned got = 0;
        for (int i = 0; i < SERVER_PORTS; i++) {
            int sd;
            while (got < BATCH && (sd = synack_accept(p->b, bn->lsd[i], NULL)) >= 0) ss[got++] = sd;
        }
        if (got != BATCH) abort();
        uint64_t n2 = now_ns();
        struct span t = span_end(t0);
        if (round) {
            total.wall += t.wall, total.cpu += t.cpu;
            split_connect_ns += n1 - n0, split_handshake_ns += n2 - n1;
        }
        for (unsigned i = 0; i < BATCH; i++) {
            synack_setsockopt(p->a, cs[i], SYNACK_SOL_SOCKET, SYNACK_SO_LINGER, &abort_close, sizeof abort_close);
            synack_close(p->a, cs[i]);
        }
        pump(p);
        for (unsigned i = 0; i < BATCH; i++) synack_close(p->b, ss[i]);
        pump(p);
    }
    return total;
}

/* One synack run's figures (sent from the child to the parent for medians). */
struct synack_result {
    double connect_us, connect_cpu_us, life_rate, life_cpu_rate, bytes_per_endpoint;
};

static struct synack_result synack_run(unsigned n, unsigned lifecycles)
{
    long rss0 = rss_bytes();
    struct bench *bn = bench_new(n, EPHEMERAL_PORTS);
    /* The link's packet slots are touched by the first batch: touched here,
     * outside every figure (they are the bench's wire, not the stack). */
    long rss_stacks = rss_bytes();
    memset(bn->p->to_a.data, 0, (size_t)PAIR_SLOTS * PAIR_SLOT_BYTES);
    memset(bn->p->to_b.data, 0, (size_t)PAIR_SLOTS * PAIR_SLOT_BYTES);
    long rss_setup = rss_bytes(), link = rss_setup - rss_stacks;
    uint64_t t0 = now_us();
    unsigned got = synack_open(bn, 0, n);
    uint64_t t1 = now_us();
    long rss1 = rss_bytes();
    if (got != n) printf("  synack: only %u of %u connections\n", got, n);
    struct span more_t = synack_connect_time(bn, n);
    unsigned more = more_rounds * BATCH;
    struct span life = synack_lifecycles(bn, lifecycles);
    printf("  synack  N=%-8u %7.0f B/endpoint  %6.2f us/connect (opening the N)  %6.2f us/connect at N "
           "(CPU %.2f)  %8.0f lifecycles/s (%.0f per CPU-s)  (%.0f B/endpoint with the stacks' and listeners' "
           "%.1f MB)\n",
           n, (double)(rss1 - rss_setup) / (2.0 * got), (double)(t1 - t0) / got, (double)more_t.wall / more,
           (double)more_t.cpu / more, lifecycles / (life.wall / 1e6), lifecycles / (life.cpu / 1e6),
           (double)(rss1 - rss0 - link) / (2.0 * got), (double)(rss_stacks - rss0) / 1e6);
    fflush(stdout);
    pair_free(bn->p);
    free(bn);
    return (struct synack_result){(double)more_t.wall / more, (double)more_t.cpu / more,
                                  lifecycles / (life.wall / 1e6), lifecycles / (life.cpu / 1e6),
                                  (double)(rss1 - rss_setup) / (2.0 * got)};
}

/* --paired S: the Ns (two to four) in this one process, measured in S
 * slices that go round them (each slice: a warm-up round, two rounds of
 * connects, 1,000 warm-up lifecycles, then its share of the lifecycles; the
 * Ns one after another, the first N of the round moving on each slice). A
 * slice lasts milliseconds, so every N sees the same machine load; the
 * figures are the medians over the slices. --lifecycles 0: connects only.
 * An N given as N:R has only R ephemeral ports (see bench_new), and no
 * lifecycles (their TIME_WAITs would use up its range). */
#define MAX_SLICES 400
#define MAX_PAIRED 4
static int cmp_double(const void *a, const void *b);
static double median(double *v, unsigned n);

static void paired_run(unsigned count, const unsigned ns[], const unsigned ports[], unsigned slices,
                       unsigned lifecycles)
{
    struct bench *bn[MAX_PAIRED];
    for (unsigned k = 0; k < count; k++) {
        bn[k] = bench_new(ns[k], ports[k]);
        if (synack_open(bn[k], 0, ns[k]) != ns[k]) {
            fprintf(stderr, "bench_idle: could not open N=%u\n", ns[k]);
            exit(1);
        }
    }
    static double v[MAX_PAIRED][6][MAX_SLICES];
    unsigned per = lifecycles / slices < BATCH ? BATCH : lifecycles / slices;
    more_rounds = 2;
    double load0 = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &load0) != 1) load0 = 0;
    if (f) fclose(f);
    for (unsigned sl = 0; sl < slices; sl++) {
        for (unsigned j = 0; j < count; j++) {
            unsigned k = (sl + j) % count;
            split_connect_ns = split_handshake_ns = 0;
            struct span c = synack_connect_time(bn[k], ns[k]);
            v[k][4][sl] = (double)split_connect_ns / (more_rounds * BATCH);
            v[k][5][sl] = (double)split_handshake_ns / (more_rounds * BATCH);
            v[k][0][sl] = (double)c.wall / (more_rounds * BATCH);
            v[k][1][sl] = (double)c.cpu / (more_rounds * BATCH);
            if (lifecycles && ports[k] == EPHEMERAL_PORTS) {
                synack_lifecycles(bn[k], BATCH);
                struct span l = synack_lifecycles(bn[k], per);
                v[k][2][sl] = per / (l.wall / 1e6);
                v[k][3][sl] = per / (l.cpu / 1e6);
            }
        }
    }
    double load1 = 0;
    f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &load1) != 1) load1 = 0;
    if (f) fclose(f);
    printf("synack, %u Ns in one process, %u slices going round them (%u lifecycles and %u connects per N per slice), "
           "load average %.2f -> %.2f; medians over the slices, ratio to N=%u:\n",
           count, slices, lifecycles ? per : 0, more_rounds * BATCH, load0, load1, ns[0]);
    double base[6] = {0};
    for (unsigned k = 0; k < count; k++) {
        double m[6];
        for (int i = 0; i < 6; i++) m[i] = median(v[k][i], slices);
        if (k == 0) memcpy(base, m, sizeof m);
        char range[48] = "";
        if (ports[k] != EPHEMERAL_PORTS)
            snprintf(range, sizeof range, " (%u ports: %.1f%% of each range used)", ports[k],
                     100.0 * ns[k] / SERVER_PORTS / ports[k]);
        printf("  synack  N=%-8u connect at N %6.2f us (x%.2f), CPU %6.2f us (x%.2f)", ns[k], m[0], m[0] / base[0],
               m[1], m[1] / base[1]);
        if (lifecycles && ports[k] == EPHEMERAL_PORTS && base[3] > 0)
            printf(";  lifecycles %8.0f/s (x%.2f), %8.0f per CPU-s (x%.2f)", m[2], m[2] / base[2], m[3],
                   m[3] / base[3]);
        printf("%s\n", range);
        printf("           of which connect() calls %4.0f ns (x%.2f), handshake and accept %4.0f ns (x%.2f) (wall)\n",
               m[4], m[4] / base[4], m[5], m[5] / base[5]);
    }
    fflush(stdout);
    for (unsigned k = 0; k < count; k++) {
        pair_free(bn[k]->p);
        free(bn[k]);
    }
}

/* ---- kernel: the same loop on sockets over lo -------------------------------- */

static int *kfds;
static unsigned nkfds;

static int kernel_listener(uint16_t port)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
    if (bind(l, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(l, 4096) != 0) {
        perror("bench_idle: kernel listen");
        exit(1);
    }
    fcntl(l, F_SETFL, O_NONBLOCK);
    return l;
}

static int kernel_connect(uint16_t port)
{
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c < 0) return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(0x7f000001)};
    if (connect(c, (struct sockaddr *)&sa, sizeof sa) != 0 && errno != EINPROGRESS) {
        close(c);
        return -1;
    }
    return c;
}

static unsigned kernel_open(int *lsd, unsigned done, unsigned count)
{
    unsigned ok = 0;
    while (ok < count) {
        unsigned batch = count - ok < BATCH ? count - ok : BATCH;
        for (unsigned i = 0; i < batch; i++) {
            int c = kernel_connect((uint16_t)(5000 + (done + ok + i) % SERVER_PORTS));
            if (c < 0) {
                fprintf(stderr, "bench_idle: kernel connect %u: %s\n", done + ok + i, strerror(errno));
                return ok;
            }
            kfds[nkfds++] = c;
        }
        unsigned got = 0;
        uint64_t start = now_us();
        while (got < batch && now_us() - start < 5000000) {
            for (int i = 0; i < SERVER_PORTS; i++) {
                int s;
                while ((s = accept(lsd[i], NULL, NULL)) >= 0) {
                    kfds[nkfds++] = s;
                    got++;
                }
            }
        }
        if (got != batch) return ok + got;
        ok += batch;
    }
    return ok;
}

static struct span kernel_lifecycles(const int *life, unsigned count)
{
    static int cs[BATCH], ss[BATCH];
    uint8_t msg[64];
    memset(msg, 'x', sizeof msg);
    unsigned next = 0;
    struct span t0 = span_start();
    for (unsigned done = 0; done < count;) {
        unsigned k = count - done < BATCH ? count - done : BATCH;
        for (unsigned i = 0; i < k; i++, next++) {
            cs[i] = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(LIFE_PORT + next % LIFE_PORTS)),
                                     .sin_addr.s_addr = htonl(0x7f000001)};
            if (cs[i] < 0 || connect(cs[i], (struct sockaddr *)&sa, sizeof sa) != 0 ||
                (ss[i] = accept(life[next % LIFE_PORTS], NULL, NULL)) < 0) {
                perror("bench_idle: kernel lifecycle connect");
                exit(1);
            }
        }
        for (unsigned i = 0; i < k; i++)
            if (write(cs[i], msg, sizeof msg) != sizeof msg) abort();
        for (unsigned i = 0; i < k; i++)
            if (read(ss[i], msg, sizeof msg) != sizeof msg || write(ss[i], msg, sizeof msg) != sizeof msg) abort();
        for (unsigned i = 0; i < k; i++) {
            if (read(cs[i], msg, sizeof msg) != sizeof msg) abort();
            close(cs[i]);
        }
        for (unsigned i = 0; i < k; i++) {
            if (read(ss[i], msg, sizeof msg) != 0) abort();
            close(ss[i]);
        }
        done += k;
    }
    return span_end(t0);
}

/* What one helper process reports (kernel_run). */
struct kernel_part {
    unsigned got;
    uint64_t us_all, us_last;      /* connect time: all its connects, its last `last` */
    long rss_growth;
};

/* This process may hold only RLIMIT_NOFILE's hard limit of descriptors
 * (raising it needs CAP_SYS_RESOURCE), and the kernel needs one per
 * endpoint: the connections are opened by helper processes, one after
 * another, each holding both ends of up to `per` of them until the end of
 * the run. Memory is the kernel's Slab growth plus the helpers' RSS growth. */
static void kernel_run(unsigned n, unsigned lifecycles)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
    long room = (long)rl.rlim_cur - SERVER_PORTS - 64;
    unsigned per = room > 2 * BATCH ? (unsigned)(room / 2 / BATCH * BATCH) : 0;
    if (per == 0) {
        printf("  kernel  N=%-8u not run: RLIMIT_NOFILE is %lu\n", n, (unsigned long)rl.rlim_cur);
        return;
    }
    int lsd[SERVER_PORTS], release[2];
    if (pipe(release) != 0) abort();
    long slab0 = slab_bytes();
    for (int i = 0; i < SERVER_PORTS; i++) lsd[i] = kernel_listener((uint16_t)(5000 + i));
    int life[LIFE_PORTS];
    for (int i = 0; i < LIFE_PORTS; i++) {
        life[i] = kernel_listener((uint16_t)(LIFE_PORT + i));
        fcntl(life[i], F_SETFL, 0);
    }
    unsigned got = 0, helpers = 0;
    uint64_t us_all = 0, us_last = 0;
    long rss = 0;
    unsigned last = n < 1000 ? n : 1000;
    while (got < n) {
        unsigned cnt = n - got < per ? n - got : per;
        int res[2];
        if (pipe(res) != 0) abort();
        pid_t pid = fork();
        if (pid < 0) abort();
        if (pid == 0) {
            close(release[1]);
            close(res[0]);
            kfds = malloc(sizeof *kfds * (2 * (size_t)cnt + 16));
            nkfds = 0;
            struct kernel_part part = {0};
            long r0 = rss_bytes();
            unsigned tail = got + cnt == n ? last : 0; /* the run's last connects are timed apart */
            uint64_t t0 = now_us();
            part.got = kernel_open(lsd, got, cnt - tail);
            uint64_t t1 = now_us();
            if (part.got == cnt - tail) part.got += kernel_open(lsd, got + cnt - tail, tail);
            uint64_t t2 = now_us();
            part.us_all = t2 - t0;
            part.us_last = t2 - t1;
            part.rss_growth = rss_bytes() - r0;
            if (write(res[1], &part, sizeof part) != sizeof part) _exit(1);
            char c;
            while (read(release[0], &c, 1) > 0) { } /* hold the sockets until the parent closes it */
            _exit(0);
        }
        close(res[1]);
        helpers++;
        struct kernel_part part;
        ssize_t r = read(res[0], &part, sizeof part);
        close(res[0]);
        if (r != sizeof part) break;
        got += part.got;
        us_all += part.us_all;
        us_last = part.us_last;
        rss += part.rss_growth;
        if (part.got != cnt) break;
    }
    long slab1 = slab_bytes();
    if (got != n) printf("  kernel: only %u of %u connections\n", got, n);
    struct span lt = got ? kernel_lifecycles(life, lifecycles) : (struct span){0, 0};
    if (got)
        printf("  kernel  N=%-8u %7.0f B/endpoint  %6.2f us/connect (opening the N)  %6.2f us/connect (last 1000) "
               " %8.0f lifecycles/s (%.0f per CPU-s of this process, kernel work in softirq not all counted)  "
               "(slab %.0f + RSS %.0f B/endpoint; %u helper processes)\n",
               n, (double)(rss + slab1 - slab0) / (2.0 * got), (double)us_all / got, (double)us_last / last,
               lifecycles / (lt.wall / 1e6), lt.cpu ? lifecycles / (lt.cpu / 1e6) : 0,
               (double)(slab1 - slab0) / (2.0 * got), (double)rss / (2.0 * got), helpers);
    fflush(stdout);
    close(release[1]);
    close(release[0]);
    while (wait(NULL) > 0) { }
    for (int i = 0; i < SERVER_PORTS; i++) close(lsd[i]);
    for (int i = 0; i < LIFE_PORTS; i++) close(life[i]);
    sleep(1); /* let the kernel finish closing before the next N */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double load1(void)
{
    double a = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f && fscanf(f, "%lf", &a) != 1) a = 0;
    if (f) fclose(f);
    return a;
}

#define MAX_NS 8
#define MAX_REPEAT 32

int main(int argc, char **argv)
{
    unsigned ns[MAX_NS] = {1000, 100000, 1000000}, count = 3, kernel_max = 100000, lifecycles = 100000, repeat = 1;
    unsigned ports[MAX_NS] = {EPHEMERAL_PORTS, EPHEMERAL_PORTS, EPHEMERAL_PORTS};
    bool narrowed = false;
    unsigned paired = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--n")) {
            count = 0;
            for (char *s = argv[i + 1]; *s && count < MAX_NS; s++) {
                ports[count] = EPHEMERAL_PORTS;
                ns[count] = (unsigned)strtoul(s, &s, 10);
                if (*s == ':') {
                    ports[count] = (unsigned)strtoul(s + 1, &s, 10);
                    if (ports[count] < 1 || ports[count] > EPHEMERAL_PORTS) {
                        fprintf(stderr, "bench_idle: N:R needs 1 <= R <= %u\n", EPHEMERAL_PORTS);
                        return 2;
                    }
                    narrowed = narrowed || ports[count] != EPHEMERAL_PORTS;
                }
                count++;
                if (!*s) break;
            }
        }
        else if (!strcmp(argv[i], "--kernel-max")) kernel_max = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--lifecycles")) lifecycles = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--connect-rounds")) more_rounds = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--repeat")) repeat = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--paired")) paired = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (!strcmp(argv[i], "--input") && !strcmp(argv[i + 1], "single")) pair_one_by_one = 1;
        else if (!strcmp(argv[i], "--input") && !strcmp(argv[i + 1], "batch")) pair_one_by_one = 0;
        else {
            fprintf(stderr, "usage: bench_idle [--n N[:R][,N[:R]...]] [--kernel-max N] [--lifecycles N] "
                            "[--connect-rounds R] [--repeat R] [--paired S] [--input batch|single]\n");
            return 2;
        }
    }
    if (repeat < 1 || repeat > MAX_REPEAT) {
        fprintf(stderr, "bench_idle: --repeat from 1 to %d\n", MAX_REPEAT);
        return 2;
    }
    printf("idle connections: 2N endpoints (client and server) in one process; lifecycle = connect, "
           "64 B each way, close both, with the N idle connections held (%u lifecycles); packets in by %s\n",
           lifecycles, pair_one_by_one ? "synack_stack_input (one each)" : "synack_stack_input_batch");
    if (paired) {
        if (count < 2 || count > MAX_PAIRED || paired > MAX_SLICES) {
            fprintf(stderr, "bench_idle: --paired S needs two to %d Ns and S <= %d\n", MAX_PAIRED, MAX_SLICES);
            return 2;
        }
        paired_run(count, ns, ports, paired, lifecycles);
        return 0;
    }
    if (narrowed) {
        fprintf(stderr, "bench_idle: N:R only with --paired\n");
        return 2;
    }
    static struct synack_result res[MAX_NS][MAX_REPEAT];
    double load_sum = 0;
    /* Each N and each side in a fresh process: memory freed by an earlier
     * run stays in this process's heap and would hide the next one's. */
    for (unsigned rep = 0; rep < repeat; rep++) {
        for (unsigned i = 0; i < count; i++) {
            for (int side = 0; side < 2; side++) {
                if (side == 1 && (rep > 0 || ns[i] > kernel_max)) {
                    if (rep == 0)
                        printf("  kernel  N=%-8u not run (--kernel-max %u: 2N kernel sockets need about 2N x 4 KB of "
                               "kernel memory)\n", ns[i], kernel_max);
                    continue;
                }
                if (side == 0) load_sum += load1();
                fflush(stdout);
                int fd[2];
                if (pipe(fd) != 0) abort();
                pid_t pid = fork();
                if (pid < 0) abort();
                if (pid == 0) {
                    close(fd[0]);
                    if (side == 0) {
                        struct synack_result r = synack_run(ns[i], lifecycles);
                        if (write(fd[1], &r, sizeof r) != sizeof r) _exit(1);
                    } else {
                        kernel_run(ns[i], lifecycles);
                    }
                    fflush(stdout);
                    _exit(0);
                }
                close(fd[1]);
                if (side == 0 && read(fd[0], &res[i][rep], sizeof res[i][rep]) != sizeof res[i][rep]) {
                    fprintf(stderr, "bench_idle: no result for N=%u\n", ns[i]);
                    return 1;
                }
                close(fd[0]);
                int st;
                if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                    fprintf(stderr, "bench_idle: the run for N=%u failed\n", ns[i]);
                    return 1;
                }
            }
        }
    }
    if (repeat > 1) {
        printf("synack medians of %u interleaved runs (load average %.2f at their starts, mean); ratio to N=%u:\n",
               repeat, load_sum / (repeat * count), ns[0]);
        double base[4] = {0};
        for (unsigned i = 0; i < count; i++) {
            double v[4][MAX_REPEAT];
            for (unsigned r = 0; r < repeat; r++) {
                v[0][r] = res[i][r].connect_us;
                v[1][r] = res[i][r].connect_cpu_us;
                v[2][r] = res[i][r].life_rate;
                v[3][r] = res[i][r].life_cpu_rate;
            }
            double m[4];
            for (int k = 0; k < 4; k++) m[k] = median(v[k], repeat);
            if (i == 0) memcpy(base, m, sizeof m);
            printf("  synack  N=%-8u connect at N %6.2f us (x%.2f), CPU %6.2f us (x%.2f);  lifecycles %8.0f/s (x%.2f), "
                   "%8.0f per CPU-s (x%.2f)\n",
                   ns[i], m[0], m[0] / base[0], m[1], m[1] / base[1], m[2], m[2] / base[2], m[3], m[3] / base[3]);
        }
    }
    return 0;
}
