/*
 * tunables.c — tunables by name (see tunables.h).
 */
#include "tunables.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_UNSIGNED, K_U32, K_U16, K_U8, K_BOOL, K_CC };

struct entry {
    const char *name;
    enum kind kind;
    size_t offset;
    unsigned long long max;
    const char *meaning;
};

#define F(field) offsetof(struct synack_tunables, field)
static const struct entry table[] = {
    {"syn_retries", K_UNSIGNED, F(syn_retries), 255, "SYN retransmissions before connect() fails"},
    {"synack_retries", K_UNSIGNED, F(synack_retries), 255, "SYN|ACK retransmissions before a half-open connection is dropped"},
    {"syn_linear_timeouts", K_UNSIGNED, F(syn_linear_timeouts), 255, "SYN retransmissions before the timeout doubles (Linux 6.x: 4; 0: classic backoff)"},
    {"retries2", K_UNSIGNED, F(retries2), 255, "data/FIN retransmissions before ETIMEDOUT"},
    {"orphan_retries", K_UNSIGNED, F(orphan_retries), 255, "retransmissions and zero-window probes for a closed socket"},
    {"msl_ms", K_U32, F(msl_ms), 3600000, "maximum segment lifetime; TIME_WAIT lasts 2*MSL"},
    {"fin_timeout_ms", K_U32, F(fin_timeout_ms), 3600000, "lifetime of an orphaned FIN_WAIT_2"},
    {"rto_initial_ms", K_U32, F(rto_initial_ms), 3600000, "initial retransmission timeout"},
    {"rto_min_ms", K_U32, F(rto_min_ms), 3600000, "minimum retransmission timeout"},
    {"rto_max_ms", K_U32, F(rto_max_ms), 3600000, "maximum retransmission timeout"},
    {"delack_ms", K_U32, F(delack_ms), 500, "delayed-ACK timeout to start from (Linux's TCP_ATO_MIN, 40)"},
    {"delack_max_ms", K_U32, F(delack_max_ms), 500, "longest delayed-ACK timeout (Linux's TCP_DELACK_MAX, 200)"},
    {"quickack", K_BOOL, F(quickack), 1, "never delay an ACK (Linux's route metric quickack)"},
    {"min_pmtu", K_U32, F(min_pmtu), 65535, "smallest path MTU an ICMP fragmentation-needed may set (route/min_pmtu, 552)"},
    {"rcvbuf", K_U32, F(rcvbuf), 1u << 30, "default receive buffer, bytes"},
    {"sndbuf", K_U32, F(sndbuf), 1u << 30, "default send buffer, bytes"},
    {"initial_cwnd", K_U32, F(initial_cwnd), 1000, "initial congestion window, segments"},
    {"max_backlog", K_UNSIGNED, F(max_backlog), 1u << 20, "upper bound on listen()'s backlog (somaxconn)"},
    {"max_syn_backlog", K_UNSIGNED, F(max_syn_backlog), 1u << 20, "half-open connections per listener"},
    {"max_connections", K_UNSIGNED, F(max_connections), 1u << 24, "connections of all states (each under 1 KB idle; 1M by default: about 1 GB)"},
    {"max_tw", K_UNSIGNED, F(max_tw), 1u << 24, "TIME_WAIT connections kept (tcp_max_tw_buckets; 1M by default)"},
    {"ephemeral_lo", K_U16, F(ephemeral_lo), 65535, "lowest ephemeral port"},
    {"ephemeral_hi", K_U16, F(ephemeral_hi), 65535, "highest ephemeral port"},
    {"ttl", K_U8, F(ttl), 255, "default IP TTL"},
    {"window_scaling", K_BOOL, F(window_scaling), 1, "offer window scaling (RFC 7323)"},
    {"timestamps", K_BOOL, F(timestamps), 1, "offer timestamps (RFC 7323)"},
    {"sack", K_BOOL, F(sack), 1, "offer SACK-permitted (RFC 2018)"},
    {"tw_reuse", K_BOOL, F(tw_reuse), 1, "connect() may reuse a TIME_WAIT pair when timestamps make it safe"},
    {"rcvbuf_max", K_U32, F(rcvbuf_max), 1u << 30, "receive-buffer maximum (tcp_rmem[2]): autotuning's ceiling; sets the window scale offered"},
    {"keepalive_time_s", K_U32, F(keepalive_time_s), 32767, "idle seconds before the first keepalive probe"},
    {"keepalive_intvl_s", K_U32, F(keepalive_intvl_s), 32767, "seconds between keepalive probes"},
    {"keepalive_probes", K_UNSIGNED, F(keepalive_probes), 127, "unanswered keepalive probes before ETIMEDOUT"},
    {"moderate_rcvbuf", K_BOOL, F(moderate_rcvbuf), 1, "receive-buffer autotuning: grow toward rcvbuf_max as the application reads (tcp_moderate_rcvbuf)"},
    {"mem_max_kb", K_U32, F(mem_max_kb), 1u << 30, "all connections' buffered data together, KB (at least 64): beyond it data is refused (SynackMemRefused)"},
    {"tail_loss_probe", K_BOOL, F(tail_loss_probe), 1, "tail-loss probes (RFC 8985; tcp_early_retrans)"},
    {"frto", K_U8, F(frto), 2, "F-RTO for spurious timeouts (RFC 5682; tcp_frto: 0 off, 1 or 2 on)"},
    {"ecn", K_U8, F(ecn), 2, "ECN (RFC 3168; tcp_ecn): 0 off, 1 request and accept, 2 accept when the peer asks (default)"},
    {"dsack", K_BOOL, F(dsack), 1, "report duplicate segments in D-SACK blocks (RFC 2883; tcp_dsack)"},
    {"notsent_lowat", K_U32, F(notsent_lowat), UINT32_MAX, "unsent bytes a socket may hold and still read as writable (tcp_notsent_lowat; 4294967295: no limit)"},
    {"pacing", K_BOOL, F(pacing), 1, "pace data segments at a ratio of cwnd / SRTT, released by the timer wheel (0: send in bursts)"},
    {"pacing_ss_ratio", K_U32, F(pacing_ss_ratio), 1000, "pacing rate in slow start (cwnd < ssthresh / 2), percent of cwnd / SRTT (tcp_pacing_ss_ratio)"},
    {"pacing_ca_ratio", K_U32, F(pacing_ca_ratio), 1000, "pacing rate after that, percent of cwnd / SRTT (tcp_pacing_ca_ratio)"},
    {"congestion_control", K_CC, F(congestion_control), 0, "congestion control of new connections: cubic or reno"},
    {"ipfrag_high_thresh", K_U32, F(ipfrag_high_thresh), 1u << 30, "bytes all incomplete IPv4 datagrams may hold; past it the oldest go (0: no reassembly)"},
    {"ipfrag_low_thresh", K_U32, F(ipfrag_low_thresh), 1u << 30, "what the oldest incomplete datagrams are dropped down to once ipfrag_high_thresh is passed"},
    {"ipfrag_time", K_U32, F(ipfrag_time), 3600, "seconds an incomplete IPv4 datagram is kept (then ICMP time exceeded if its first fragment came)"},
    {"ipfrag_src_thresh", K_U32, F(ipfrag_src_thresh), 1u << 30, "bytes one source's incomplete datagrams may hold (synack's own bound)"},
};
#undef F

static const struct entry *find(const char *name, size_t len)
{
    /* Accept Linux's spellings: net.ipv4.tcp_syn_retries, tcp_syn_retries. */
    if (len > 9 && !strncmp(name, "net.ipv4.", 9)) {
        name += 9;
        len -= 9;
    }
    if (len == 18 && !strncmp(name, "tcp_max_tw_buckets", 18)) return find("max_tw", 6);
    if (len > 4 && !strncmp(name, "tcp_", 4)) {
        name += 4;
        len -= 4;
    }
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strlen(table[i].name) == len && !strncmp(table[i].name, name, len)) return &table[i];
    return NULL;
}

int tunables_set(struct synack_tunables *t, const char *assignment, FILE *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq) {
        if (err) fprintf(err, "tunable '%s': expected name=value\n", assignment);
        return -EINVAL;
    }
    const struct entry *e = find(assignment, (size_t)(eq - assignment));
    if (!e) {
        if (err) fprintf(err, "unknown tunable '%.*s' (see --list-tunables)\n", (int)(eq - assignment), assignment);
        return -ENOENT;
    }
    const char *v = eq + 1;
    if (e->kind == K_CC) {
        char *p = (char *)t + e->offset;
        const char *names = "cubic reno newreno";
        size_t n = strlen(v);
        bool known = n > 0 && n < sizeof t->congestion_control;
        if (known) {
            known = false;
            for (const char *w = names; *w;) {
                size_t wl = strcspn(w, " ");
                if (wl == n && !strncmp(w, v, n)) known = true;
                w += wl;
                while (*w == ' ') w++;
            }
        }
        if (!known) {
            if (err) fprintf(err, "tunable %s: '%s' is not one of: cubic, reno\n", e->name, v);
            return -EINVAL;
        }
        memset(p, 0, sizeof t->congestion_control);
        memcpy(p, strcmp(v, "newreno") ? v : "reno", strcmp(v, "newreno") ? n : 4);
        return 0;
    }
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-' || n > e->max) {
        if (err) fprintf(err, "tunable %s: '%s' is not a number from 0 to %llu\n", e->name, v, e->max);
        return -EINVAL;
    }
    char *p = (char *)t + e->offset;
    switch (e->kind) {
    case K_UNSIGNED: *(unsigned *)p = (unsigned)n; break;
    case K_U32: *(uint32_t *)p = (uint32_t)n; break;
    case K_U16: *(uint16_t *)p = (uint16_t)n; break;
    case K_U8: *(uint8_t *)p = (uint8_t)n; break;
    case K_BOOL: *(bool *)p = n != 0; break;
    case K_CC: break;
    }
    return 0;
}

void tunables_list(const struct synack_tunables *t, FILE *out)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        const struct entry *e = &table[i];
        const char *p = (const char *)t + e->offset;
        unsigned long long v = 0;
        switch (e->kind) {
        case K_UNSIGNED: v = *(const unsigned *)p; break;
        case K_U32: v = *(const uint32_t *)p; break;
        case K_U16: v = *(const uint16_t *)p; break;
        case K_U8: v = *(const uint8_t *)p; break;
        case K_BOOL: v = *(const bool *)p; break;
        case K_CC:
            fprintf(out, "  %-18s %-10s %s\n", e->name, p, e->meaning);
            continue;
        }
        fprintf(out, "  %-18s %-10llu %s\n", e->name, v, e->meaning);
    }
}
