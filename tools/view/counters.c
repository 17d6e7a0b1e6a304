/*
 * counters.c — counters by their `netstat -s` names (see counters.h).
 */
#include "counters.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>

struct ctr_name {
    const char *group, *name;
    size_t off;
};
#define CTR(g, n, f) {g, n, offsetof(struct synack_counters, f)}
static const struct ctr_name ctr_names[] = {
    CTR("Ip", "InReceives", in_packets),       CTR("Ip", "InHdrErrors", in_ip_errors),
    CTR("Ip", "InAddrErrors", in_not_ours),    CTR("Ip", "FragsDropped", in_fragments),
    CTR("Ip", "InUnknownProtos", in_other_proto),
    CTR("Ip", "ReasmReqds", reasm_reqds),      CTR("Ip", "ReasmOKs", reasm_oks),
    CTR("Ip", "ReasmFails", reasm_fails),      CTR("Ip", "ReasmTimeout", reasm_timeouts),
    CTR("IpExt", "ReasmOverlaps", reasm_overlaps),
    CTR("IpExt", "SynackReasmDups", reasm_dups), CTR("IpExt", "SynackReasmBad", reasm_bad),
    CTR("IpExt", "SynackReasmOversize", reasm_oversize), CTR("IpExt", "SynackReasmTooMany", reasm_too_many),
    CTR("IpExt", "SynackReasmEvicted", reasm_evicted), CTR("IpExt", "SynackReasmSrcEvicted", reasm_src_evicted),
    CTR("Icmp", "InMsgs", icmp_in),            CTR("Icmp", "InErrors", icmp_in_errors),
    CTR("Icmp", "OutEchoReps", icmp_out_echo_replies), CTR("Icmp", "OutTimeExcds", icmp_out_time_excds),
    CTR("Tcp", "ActiveOpens", active_opens),   CTR("Tcp", "PassiveOpens", passive_opens),
    CTR("Tcp", "AttemptFails", attempt_fails), CTR("Tcp", "EstabResets", estab_resets),
    CTR("Tcp", "CurrEstab", curr_estab),       CTR("Tcp", "InSegs", in_segs),
    CTR("Tcp", "OutSegs", out_segs),           CTR("Tcp", "RetransSegs", retrans_segs),
    CTR("Tcp", "InErrs", in_tcp_errors),       CTR("Tcp", "InCsumErrors", in_csum_errors),
    CTR("Tcp", "OutRsts", out_rsts),
    CTR("TcpExt", "ListenOverflows", listen_overflows), CTR("TcpExt", "ListenDrops", listen_drops),
    CTR("TcpExt", "TCPChallengeACK", challenge_acks),   CTR("TcpExt", "TCPOFODrop", ooo_dropped),
    CTR("TcpExt", "TCPAbortOnData", abort_on_data),     CTR("TcpExt", "TCPAbortOnClose", abort_on_close),
    CTR("TcpExt", "TCPTimeWaitOverflow", tw_overflows), CTR("TcpExt", "CurrTimeWait", curr_time_wait),
    CTR("TcpExt", "SyncookiesSent", syncookies_sent),   CTR("TcpExt", "SyncookiesRecv", syncookies_recv),
    CTR("TcpExt", "TCPRcvQDrop", rcv_q_drops),
    CTR("TcpExt", "SynackMemRefused", mem_refused),
    /* Loss recovery: why a transfer went as it did (beside Linux's nstat). */
    CTR("TcpExt", "TCPSackRecovery", sack_recoveries), CTR("TcpExt", "TCPRenoRecovery", reno_recoveries),
    CTR("TcpExt", "TCPTimeouts", timeouts),            CTR("TcpExt", "TCPLossProbes", tlp_probes),
    CTR("TcpExt", "TCPLossProbeRecovery", tlp_recoveries), CTR("TcpExt", "TCPDSACKUndo", dsack_undos),
    CTR("TcpExt", "TCPSpuriousRTOs", spurious_rtos),   CTR("TcpExt", "TCPDSACKRecv", dsacks_received),
    CTR("TcpExt", "TCPDSACKOldSent", dsacks_sent),     CTR("TcpExt", "TCPSACKDiscard", sack_blocks_ignored),
    CTR("TcpExt", "SynackSackRetrans", sack_retrans),
    /* ECN (RFC 3168): CE-marked data received on ECN connections; window
     * reductions for an echoed mark (ECE), once per window. */
    CTR("TcpExt", "SynackECNCERecv", ecn_ce_received), CTR("TcpExt", "SynackECNReductions", ecn_cwr),
};

/* A compact `netstat -s`: the nonzero counters of one host, by group. */
void counters_print(FILE *out, const char *who, const struct synack_counters *k)
{
    fprintf(out, "  %s\n", who);
    const char *group = NULL;
    int col = 0;
    for (size_t i = 0; i < sizeof ctr_names / sizeof ctr_names[0]; i++) {
        uint64_t v;
        memcpy(&v, (const char *)k + ctr_names[i].off, sizeof v);
        if (v == 0) continue;
        char item[64];
        int n = snprintf(item, sizeof item, "%s %" PRIu64, ctr_names[i].name, v);
        if (!group || strcmp(group, ctr_names[i].group) != 0) {
            group = ctr_names[i].group;
            col = fprintf(out, "%s    %-8s", col ? "\n" : "", group);
            col += fprintf(out, "%s", item);
        } else if (col + 2 + n > 100) {
            fprintf(out, ",\n    %-8s%s", "", item);
            col = 12 + n;
        } else {
            col += fprintf(out, ", %s", item);
        }
    }
    fputs(col ? "\n" : "    (all zero)\n", out);
}

