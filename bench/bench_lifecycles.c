/*
 * bench_lifecycles.c — short connections while TIME_WAITs pile up: the
 * connection-lifecycle rate over a long run with the default 2*MSL (60 s),
 * synack and the Linux kernel side by side.
 *
 * One lifecycle: the client connects, sends 64 bytes, the server reads them
 * and answers 64 bytes, the client reads them and closes first (so the
 * client keeps the TIME_WAIT), the server reads EOF and closes. Lifecycles
 * run in rounds of --batch at once (a load generator's concurrency): each
 * step is done for the whole round before the next. The client connects to
 * --ports listening ports in turn, so 4-tuples do not run out before the
 * TIME_WAIT table is full.
 *
 * Printed every --window seconds: lifecycles per second in that window and
 * the TIME_WAITs held at its end; at the end the mean rate, and the last
 * window's rate over the first's.
 *
 * synack: two stacks in this process over an in-memory link (mempair.h),
 * default tunables (msl_ms 30000: TIME_WAIT 60 s; max_tw 1,048,576) unless
 * --max-tw is given, except two set as the kernel's run has them: the
 * ephemeral port range 1024-65535 and no checksums (an in-process link, as
 * lo, which does not compute them). kernel: the same rounds on sockets over lo; run it in a
 * fresh network namespace with tcp_max_tw_buckets and ip_local_port_range
 * raised (bench/run_lifecycles.sh does).
 *
 * usage: bench_lifecycles [--seconds S] [--window S] [--batch K] [--ports P]
 *                         [--max-tw N] [--idle N] [--only synack|kernel]
 * --idle N opens N idle connections (synack only) before the run: the rate
 * with a crowd present.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mempair.h"

#define MAX_BATCH 4000
#define MAX_PORTS 256
#define BASE_PORT 5000
#define IDLE_PORT 4000

struct opts {
    unsigned seconds, window, batch, ports, max_tw, idle;
    const char *only;
};

/* The load average (/proc/loadavg's first three fields and a newline). */
static const char *loadavg(void)
{
    static char buf[64];
    FILE *f = fopen("/proc/loadavg", "r");
    double a = 0, b = 0, c = 0;
    if (f && fscanf(f, "%lf %lf %lf", &a, &b, &c) != 3) a = b = c = 0;
    if (f) fclose(f);
    snprintf(buf, sizeof buf, "%.2f %.2f %.2f\n", a, b, c);
    return buf;
}

/* Per-window report; returns false when the run is over. Each window gives
 * the wall-clock rate and the rate per CPU-second of this process (user +
 * system): the latter is what the loop costs, whatever else runs on the
 * machine. */
struct meter {
    uint64_t start, win_start, count, win_count;
    uint64_t cpu_start, win_cpu;
    double first_rate, last_rate, first_cpu_rate, last_cpu_rate;
    unsigned windows;
};

static void meter_begin(struct meter *m)
{
    memset(m, 0, sizeof *m);
    m->start = m->win_start = now_us();
    m->cpu_start = m->win_cpu = cpu_us();
}

static bool meter_tick(struct meter *m, const struct opts *o, const char *who, uint64_t done,
                       uint64_t time_waits)
{
    uint64_t t = now_us();
    m->count += done;
    m->win_count += done;
    if (t - m->win_start < (uint64_t)o->window * 1000000u) return true;
    uint64_t cpu = cpu_us();
    double rate = m->win_count / ((double)(t - m->win_start) / 1e6);
    double cpu_rate = cpu > m->win_cpu ? m->win_count / ((double)(cpu - m->win_cpu) / 1e6) : 0;
    if (!m->windows) m->first_rate = rate, m->first_cpu_rate = cpu_rate;
    m->last_rate = rate;
    m->last_cpu_rate = cpu_rate;
    m->windows++;
    printf("  %-6s t=%5.1f s  %9.0f lifecycles/s  %9.0f per CPU-s (CPU %.2f s)  TIME_WAIT %8llu\n", who,
           (double)(t - m->start) / 1e6, rate, cpu_rate, (double)(cpu - m->win_cpu) / 1e6,
           (unsigned long long)time_waits);
    fflush(stdout);
    m->win_start = t;
    m->win_cpu = cpu;
    m->win_count = 0;
    return t - m->start < (uint64_t)o->seconds * 1000000u;
}

static void meter_end(const struct meter *m, const char *who)
{
    double secs = (double)(m->win_start - m->start) / 1e6;
    double cpu = (double)(m->win_cpu - m->cpu_start) / 1e6;
    printf("  %-6s total %llu lifecycles in %.1f s (CPU %.1f s): %.0f lifecycles/s, %.0f per CPU-s; "
           "last window / first = %.3f (per CPU-s: %.3f)\n", who, (unsigned long long)m->count, secs, cpu,
           m->count / secs, cpu > 0 ? m->count / cpu : 0, m->last_rate / m->first_rate,
           m->first_cpu_rate > 0 ? m->last_cpu_rate / m->first_cpu_rate : 0);
    printf("  %-6s load average at the end: %s", who, loadavg());
    fflush(stdout);
}

/* ---- synack ---------------------------------------------------------------- */

static void die(const char *what, int err)
{
    fprintf(stderr, "bench_lifecycles: %s: %d\n", what, err);
    exit(1);
}

static void synack_idle(struct pair *p, unsigned n)
{
    int l = synack_socket(p->b);
    if (synack_bind(p->b, l, &(struct synack_endpoint){0, IDLE_PORT}) != 0 || synack_listen(p->b, l, 4096) != 0)
        die("idle listen", 0);
    for (unsigned done = 0; done < n;) {
        unsigned k = n - done < 1000 ? n - done : 1000;
        for (unsigned i = 0; i < k; i++) {
            int c = synack_socket(p->a);
            if (c < 0) die("idle socket", c);
            int err = synack_connect(p->a, c, &(struct synack_endpoint){PAIR_SERVER_ADDR, IDLE_PORT});
            if (err != -EINPROGRESS) die("idle connect", err);
        }
        pump(p);
        for (unsigned i = 0; i < k; i++)
            if (synack_accept(p->b, l, NULL) < 0) die("idle accept", 0);
        done += k;
    }
}

static void synack_run(const struct opts *o)
{
    struct synack_config cfg;
    synack_config_init(&cfg);
    if (o->max_tw) cfg.tunables.max_tw = o->max_tw;
    /* As the kernel's run: the port range raised the same, and no checksums
     * on an in-process link (Linux's lo does not compute them either). */
    cfg.tunables.ephemeral_lo = 1024;
    cfg.tunables.ephemeral_hi = 65535;
    cfg.checksum_offload = true;
    if (cfg.tunables.max_connections < o->idle + 2 * MAX_BATCH + 1000)
        cfg.tunables.max_connections = o->idle + 2 * MAX_BATCH + 1000;
    struct pair *p = pair_new(cfg);
    int lsd[MAX_PORTS];
    for (unsigned i = 0; i < o->ports; i++) {
        lsd[i] = synack_socket(p->b);
        if (synack_bind(p->b, lsd[i], &(struct synack_endpoint){0, (uint16_t)(BASE_PORT + i)}) != 0 ||
            synack_listen(p->b, lsd[i], 4096) != 0)
            die("listen", 0);
    }
    if (o->idle) synack_idle(p, o->idle);
    printf("synack: %u s, rounds of %u, %u server ports, msl %u ms, max_tw %u, ports %u-%u, checksum offload, "
           "%u idle connections held\n", o->seconds, o->batch, o->ports, cfg.tunables.msl_ms, cfg.tunables.max_tw,
           cfg.tunables.ephemeral_lo, cfg.tunables.ephemeral_hi, o->idle);
    static int cs[MAX_BATCH], ss[MAX_BATCH];
    uint8_t msg[64];
    memset(msg, 'x', sizeof msg);
    unsigned next_port = 0;
    unsigned k;
    struct meter m;
    meter_begin(&m);
    struct synack_counters ctr;
    do {
        k = o->batch;
        for (unsigned i = 0; i < k; i++) {
            cs[i] = synack_socket(p->a);
            if (cs[i] < 0) die("socket", cs[i]);
            uint16_t port = (uint16_t)(BASE_PORT + next_port++ % o->ports);
            int err = synack_connect(p->a, cs[i], &(struct synack_endpoint){PAIR_SERVER_ADDR, port});
            if (err != -EINPROGRESS) die("connect", err);
        }
        pump(p);
        unsigned got = 0;
        for (unsigned i = 0; i < o->ports && got < k; i++) {
            int s;
            while (got < k && (s = synack_accept(p->b, lsd[i], NULL)) >= 0) ss[got++] = s;
        }
        if (got != k) {
            struct synack_counters ca, cb;
            synack_stack_get_counters(p->a, &ca);
            synack_stack_get_counters(p->b, &cb);
            fprintf(stderr, "bench_lifecycles: %u of %u accepted (client: estab %llu attempt_fails %llu rsts %llu "
                    "tw %llu; server: listen_drops %llu overflows %llu estab %llu rsts %llu)\n", got, k,
                    (unsigned long long)ca.curr_estab, (unsigned long long)ca.attempt_fails,
                    (unsigned long long)ca.out_rsts, (unsigned long long)ca.curr_time_wait,
                    (unsigned long long)cb.listen_drops, (unsigned long long)cb.listen_overflows,
                    (unsigned long long)cb.curr_estab, (unsigned long long)cb.out_rsts);
            exit(1);
        }
        for (unsigned i = 0; i < k; i++)
            if (synack_send(p->a, cs[i], msg, sizeof msg) != sizeof msg) die("client send", 0);
        pump(p);
        for (unsigned i = 0; i < k; i++) {
            if (synack_recv(p->b, ss[i], msg, sizeof msg) != sizeof msg) die("server recv", 0);
            if (synack_send(p->b, ss[i], msg, sizeof msg) != sizeof msg) die("server send", 0);
        }
        pump(p);
        for (unsigned i = 0; i < k; i++) {
            if (synack_recv(p->a, cs[i], msg, sizeof msg) != sizeof msg) die("client recv", 0);
            synack_close(p->a, cs[i]);
        }
        pump(p);
        for (unsigned i = 0; i < k; i++) {
            if (synack_recv(p->b, ss[i], msg, sizeof msg) != 0) die("server EOF", 0);
            synack_close(p->b, ss[i]);
        }
        pump(p);
        synack_stack_get_counters(p->a, &ctr);
    } while (meter_tick(&m, o, "synack", k, ctr.curr_time_wait));
    meter_end(&m, "synack");
    synack_stack_get_counters(p->a, &ctr);
    printf("  synack TIME_WAIT overflows (max_tw reached: closed at once, as Linux): %llu\n",
           (unsigned long long)ctr.tw_overflows);
    pair_free(p);
}

/* ---- kernel ------------------------------------------------------------------ */

static long kernel_time_waits(void)
{
    FILE *f = fopen("/proc/net/sockstat", "r");
    char line[256];
    long tw = -1;
    while (f && fgets(line, sizeof line, f)) {
        const char *at = strstr(line, " tw ");
        if (!strncmp(line, "TCP:", 4) && at) tw = strtol(at + 4, NULL, 10);
    }
    if (f) fclose(f);
    return tw;
}

static void kernel_run(const struct opts *o)
{
    int lsd[MAX_PORTS];
    for (unsigned i = 0; i < o->ports; i++) {
        lsd[i] = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(lsd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(BASE_PORT + i)),
                                 .sin_addr.s_addr = htonl(0x7f000001)};
        if (bind(lsd[i], (struct sockaddr *)&sa, sizeof sa) != 0 || listen(lsd[i], 4096) != 0) {
            perror("bench_lifecycles: kernel listen");
            exit(1);
        }
    }
    printf("kernel: %u s, rounds of %u, %u server ports (same loop on sockets over lo)\n", o->seconds, o->batch,
           o->ports);
    static int cs[MAX_BATCH], ss[MAX_BATCH];
    uint8_t msg[64];
    memset(msg, 'x', sizeof msg);
    unsigned next_port = 0;
    unsigned k;
    struct meter m;
    meter_begin(&m);
    do {
        k = o->batch;
        for (unsigned i = 0; i < k; i++) {
            uint16_t port = (uint16_t)(BASE_PORT + next_port % o->ports);
            cs[i] = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
                                     .sin_addr.s_addr = htonl(0x7f000001)};
            if (cs[i] < 0 || connect(cs[i], (struct sockaddr *)&sa, sizeof sa) != 0) {
                perror("bench_lifecycles: kernel connect");
                exit(1);
            }
            ss[i] = accept(lsd[next_port % o->ports], NULL, NULL);
            if (ss[i] < 0) {
                perror("bench_lifecycles: kernel accept");
                exit(1);
            }
            next_port++;
        }
        for (unsigned i = 0; i < k; i++)
            if (write(cs[i], msg, sizeof msg) != sizeof msg) die("kernel client write", errno);
        for (unsigned i = 0; i < k; i++) {
            if (read(ss[i], msg, sizeof msg) != sizeof msg) die("kernel server read", errno);
            if (write(ss[i], msg, sizeof msg) != sizeof msg) die("kernel server write", errno);
        }
        for (unsigned i = 0; i < k; i++) {
            if (read(cs[i], msg, sizeof msg) != sizeof msg) die("kernel client read", errno);
            close(cs[i]);
        }
        for (unsigned i = 0; i < k; i++) {
            if (read(ss[i], msg, sizeof msg) != 0) die("kernel server EOF", errno);
            close(ss[i]);
        }
    } while (meter_tick(&m, o, "kernel", k, (uint64_t)kernel_time_waits()));
    meter_end(&m, "kernel");
    for (unsigned i = 0; i < o->ports; i++) close(lsd[i]);
}

int main(int argc, char **argv)
{
    struct opts o = {.seconds = 60, .window = 5, .batch = 1000, .ports = 64};
    for (int i = 1; i < argc; i += 2) {
        unsigned v = i + 1 < argc ? (unsigned)strtoul(argv[i + 1], NULL, 10) : 0;
        if (i + 1 >= argc) o.seconds = 0; /* an option without its value */
        else if (!strcmp(argv[i], "--seconds")) o.seconds = v;
        else if (!strcmp(argv[i], "--window")) o.window = v;
        else if (!strcmp(argv[i], "--batch")) o.batch = v;
        else if (!strcmp(argv[i], "--ports")) o.ports = v;
        else if (!strcmp(argv[i], "--max-tw")) o.max_tw = v;
        else if (!strcmp(argv[i], "--idle")) o.idle = v;
        else if (!strcmp(argv[i], "--only")) o.only = argv[i + 1];
        else o.seconds = 0;
        if (!o.seconds) {
            fprintf(stderr, "usage: bench_lifecycles [--seconds S] [--window S] [--batch K] [--ports P] "
                            "[--max-tw N] [--idle N] [--only synack|kernel]\n");
            return 2;
        }
    }
    if (!o.batch || o.batch > MAX_BATCH || !o.ports || o.ports > MAX_PORTS || !o.window || !o.seconds) {
        fprintf(stderr, "bench_lifecycles: --batch 1..%d, --ports 1..%d, --window and --seconds > 0\n", MAX_BATCH,
                MAX_PORTS);
        return 2;
    }
    printf("lifecycles: connect, 64 B each way, client closes first (keeps TIME_WAIT), server closes; "
           "rate per %u s window\n", o.window);
    if (!o.only || !strcmp(o.only, "synack")) synack_run(&o);
    if (!o.only || !strcmp(o.only, "kernel")) kernel_run(&o);
    return 0;
}
