/*
 * hello_tun.h — what the main()s of hello_server.c and hello_client.c share
 * to run the tutorial on a real network: a synack_host on a Linux TUN
 * interface (docs/TUN.md, "The tutorial programs over TUN").
 *
 *   --tun IF          the TUN interface (it must exist, unless --create)
 *   --create          create IF if it does not exist (it vanishes at exit)
 *   --addr A/PREFIX   synack's address on the link; the kernel side of the
 *                     interface has another address of the same network
 *
 * The steps, in hello_tun_start: synack_tun_open (its errors say what is
 * missing: CAP_NET_ADMIN, the interface, ...), a config with the
 * interface's MTU and a random secret, synack_link_tun, synack_host_create.
 * hello_tun_stop waits, for a few seconds at most, until the connections
 * the program closed have finished their FIN exchange (the kernel does this
 * for a process that exits; a synack stack ends with its process), then
 * destroys the host.
 */
#ifndef HELLO_TUN_H
#define HELLO_TUN_H

#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack/host.h"
#include "synack/tun.h"

struct hello_tun {
    const char *tun;
    bool create;
    uint32_t addr;
    unsigned prefix;
    bool have_addr;
};

static const char hello_tun_help[] =
    "  --tun IF          the TUN interface (it must exist, unless --create)\n"
    "  --create          create IF when it does not exist (it vanishes at exit)\n"
    "  --addr A/PREFIX   synack's IPv4 address on the link, e.g. 10.7.0.2/24; the\n"
    "                    kernel's side of IF has another address of that network\n";

/* Connections between SYN and the end of the FIN exchange (TIME_WAIT and
 * CLOSED count as ended). Counted by the host's loop thread. */
static atomic_uint hello_active;

static bool hello_is_active(enum synack_tcp_state s)
{
    return s != SYNACK_CLOSED && s != SYNACK_LISTEN && s != SYNACK_TIME_WAIT;
}

static void hello_on_state(void *ctx, const struct synack_conn_id *id, enum synack_tcp_state from,
                           enum synack_tcp_state to, uint64_t now)
{
    (void)ctx, (void)id, (void)now;
    if (hello_is_active(to) && !hello_is_active(from)) atomic_fetch_add(&hello_active, 1);
    if (!hello_is_active(to) && hello_is_active(from)) atomic_fetch_sub(&hello_active, 1);
}

/* If argv[*i] is a link option, consumes it (and its value) and returns 1;
 * returns 0 when it is not one; prints why and returns -1 when its value is
 * wrong. */
static int hello_tun_option(struct hello_tun *o, int argc, char **argv, int *i, const char *prog)
{
    const char *a = argv[*i];
    if (!strcmp(a, "--create")) {
        o->create = true;
        (*i)++;
        return 1;
    }
    if (strcmp(a, "--tun") && strcmp(a, "--addr")) return 0;
    if (*i + 1 >= argc) {
        fprintf(stderr, "%s: %s needs a value\n", prog, a);
        return -1;
    }
    const char *v = argv[*i + 1];
    *i += 2;
    if (!strcmp(a, "--tun")) {
        if (!*v || strlen(v) >= SYNACK_TUN_NAME_MAX) {
            fprintf(stderr, "%s: --tun '%s': an interface name has 1 to 15 characters\n", prog, v);
            return -1;
        }
        o->tun = v;
        return 1;
    }
    char host[32];
    const char *slash = strchr(v, '/');
    size_t hl = slash ? (size_t)(slash - v) : strlen(v);
    unsigned long prefix = 32;
    char *end = NULL;
    if (hl >= sizeof host) goto bad_addr;
    memcpy(host, v, hl);
    host[hl] = '\0';
    if (synack_parse_ipv4(host, &o->addr) != 0) goto bad_addr;
    if (slash) {
        errno = 0;
        prefix = strtoul(slash + 1, &end, 10);
        if (!slash[1] || *end || errno || slash[1] == '-' || prefix > 32) goto bad_addr;
    }
    if (o->addr == 0 || (o->addr >> 24) == 127 || (o->addr >> 28) >= 14) goto bad_addr;
    o->prefix = (unsigned)prefix;
    o->have_addr = true;
    return 1;
bad_addr:
    fprintf(stderr, "%s: --addr '%s': expected a unicast IPv4 address with a prefix length, e.g. 10.7.0.2/24\n",
            prog, v);
    return -1;
}

/* The required options are there; prints and returns -1 if not. */
static int hello_tun_check(const struct hello_tun *o, const char *prog)
{
    if (!o->tun) {
        fprintf(stderr, "%s: --tun IF is required (the TUN interface synack lives on; see --help)\n", prog);
        return -1;
    }
    if (!o->have_addr) {
        fprintf(stderr, "%s: --addr A/PREFIX is required (synack's address on the link; see --help)\n", prog);
        return -1;
    }
    return 0;
}

/* The kernel's IPv4 addresses, for two checks. It delivers packets for its
 * own addresses locally, where they never reach the TUN: a synack address
 * that the kernel has is a mistake (returns -1). And with no address of
 * synack's network on the interface (a fresh --create), the kernel has no
 * route to synack: worth a warning (a route may have been set otherwise).
 * ifname NULL: only the first check. */
static int hello_tun_check_addrs(const struct hello_tun *o, const char *ifname, const char *prog)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0) return 0; /* cannot tell: go on */
    uint32_t mask = o->prefix ? ~0u << (32 - o->prefix) : 0;
    bool network_on_if = false;
    int rc = 0;
    char a[16];
    for (struct ifaddrs *ifa = list; ifa; ifa = ifa->ifa_next) {
        if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != AF_INET) continue;
        const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)ifa->ifa_addr;
        uint32_t k = ntohl(sin->sin_addr.s_addr);
        if (ifname && !strcmp(ifa->ifa_name, ifname) && (k & mask) == (o->addr & mask))
            network_on_if = true;
        if (k != o->addr) continue;
        fprintf(stderr, "%s: --addr %s: that is the kernel's own address (on %s); packets for it never "
                        "reach the TUN. Give synack another address of that network\n",
                prog, synack_format_ipv4(o->addr, a), ifa->ifa_name);
        rc = -1;
        break;
    }
    freeifaddrs(list);
    if (rc == 0 && ifname && !network_on_if && o->prefix < 32)
        fprintf(stderr, "%s: warning: the kernel has no address of %s/%u on %s, so it may not route "
                        "to synack (ip addr add A/%u dev %s, with A another address of that network)\n",
                prog, synack_format_ipv4(o->addr & mask, a), o->prefix, ifname, o->prefix, ifname);
    return rc;
}

static void hello_fill_secret(uint8_t *secret, size_t n)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(secret, 1, n, f) : 0;
    if (f) fclose(f);
    if (got != n) { /* no urandom: the clock and the pid still vary per run */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
        for (size_t i = 0; i < n; i++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            secret[i] = (uint8_t)(x >> 56);
        }
    }
}

/* Opens the interface and starts a synack host on it. Prints why and
 * returns a negative errno on failure. */
static int hello_tun_start(const struct hello_tun *o, synack_host **out, const char *prog)
{
    if (hello_tun_check_addrs(o, NULL, prog) != 0) return -EADDRINUSE;
    struct synack_tun tun;
    char why[256];
    int err = synack_tun_open(&tun, o->tun, o->create ? SYNACK_TUN_CREATE : SYNACK_TUN_ATTACH, why,
                              sizeof why);
    if (err) {
        fprintf(stderr, "%s: %s\n", prog, why);
        return err;
    }
    if (!tun.up)
        fprintf(stderr, "%s: warning: --tun %s is down and cannot be brought up from here "
                        "(ip link set dev %s up)\n", prog, tun.name, tun.name);
    hello_tun_check_addrs(o, tun.name, prog); /* now the interface exists: the warning */
    if (tun.mtu < 68 || tun.mtu > 65535) {
        fprintf(stderr, "%s: --tun %s: MTU %u is outside 68..65535\n", prog, tun.name, tun.mtu);
        synack_tun_close(&tun);
        return -EINVAL;
    }

    struct synack_config cfg;
    synack_config_init(&cfg);
    cfg.addr = o->addr;
    cfg.mtu = (uint16_t)tun.mtu;
    hello_fill_secret(cfg.secret, sizeof cfg.secret);
    cfg.on_state = hello_on_state;

    struct synack_link link;
    err = synack_link_tun(&link, &tun);
    if (err) {
        fprintf(stderr, "%s: --tun %s: %s\n", prog, tun.name, synack_strerror(err));
        synack_tun_close(&tun);
        return err;
    }
    err = synack_host_create(out, &cfg, &link);
    if (err) {
        fprintf(stderr, "%s: cannot start the synack host: %s\n", prog, synack_strerror(err));
        link.ops->close(link.ctx);
        return err;
    }
    char a[16];
    fprintf(stderr, "%s: synack is %s/%u on %s (mtu %u)\n", prog, synack_format_ipv4(o->addr, a),
            o->prefix, tun.name, tun.mtu);
    return 0;
}

/* Lets closed connections finish (at most max_ms), then frees the host. */
static void hello_tun_stop(synack_host *h, unsigned max_ms)
{
    for (unsigned waited = 0; waited < max_ms && atomic_load(&hello_active) > 0; waited += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    synack_host_destroy(h);
}

#endif
