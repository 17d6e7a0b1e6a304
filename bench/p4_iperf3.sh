#!/usr/bin/env bash
# p4_iperf3.sh — benchmark P4: synack over TUN against the Linux stack, measured by
# iperf3 on both sides of the comparison, in the same run:
#   kernel <-> kernel over a veth pair      (iperf3 -s  <-  iperf3 -c)
#   kernel <-> synack over a TUN interface  (synack serve --iperf3  <-  iperf3 -c)
# with the same client command line: -t T, then -R (the server sends), then
# -P 2 and -P 4, each direction. Each figure is the median of RUNS runs (the
# receiver's bits per second from iperf3's JSON), with the spread (min..max),
# beside the CPU time the two ends used (see one()), and at the end -P 2
# over one stream for both.
#
#   sudo [IPERF3=path] bench/p4_iperf3.sh [path/to/synack] [SECONDS] [RUNS] [-- extra serve options]
#
# The -P rows want iperf3 3.16 or later (one thread per stream): see
# bench/get_iperf3.sh, which fetches one; IPERF3 names it.
#
# Everything runs in network namespaces created and deleted here; nothing
# leaves the machine. The rows are interleaved (kernel, synack, kernel, ...)
# so that load from elsewhere on the machine hits both alike.
set -u
. "$(dirname "$0")/p4_lib.sh"
p4_args p4_iperf3 5 5 "$@"
p4_up synack-p4 --stats

# CPU seconds (user + system) process PID has used so far
proc_cpu() {
    python3 -c 'import os, sys
f = open("/proc/%s/stat" % sys.argv[1]).read().rsplit(")", 1)[1].split()
print((int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK"))' "$1" 2>/dev/null || echo 0
}
# one NS HOST ARGS... : "Gbit/s-at-the-receiver Gbit/s-per-CPU-second cores", or "fail fail fail".
# CPU: iperf3's own figures for its client and (kernel rows) its server
# (cpu_utilization_percent: user + system of each process, which includes
# the kernel's network work done in their system calls and softirqs run
# on their time); for synack rows the serve process's CPU time from /proc
# in place of the server's. "cores" is that CPU time over the test time.
one() {
    local ns=$1 host=$2
    shift 2
    local before=0
    [ "$ns" = "$NS-tun" ] && before=$(proc_cpu "$SYNACK_PID")
    local out
    out=$(ip netns exec "$ns" timeout $((T + 20)) "$IPERF3" -c "$host" -p 5201 -t "$T" -J "$@" 2>/dev/null)
    local server=-1
    [ "$ns" = "$NS-tun" ] && server=$(python3 -c 'import sys; print(float(sys.argv[1]) - float(sys.argv[2]))' "$(proc_cpu "$SYNACK_PID")" "$before")
    printf '%s' "$out" | python3 -c 'import json,sys
try:
    e = json.load(sys.stdin)["end"]; r = e["sum_received"]; u = e["cpu_utilization_percent"]
    srv = float(sys.argv[1]); secs = r["seconds"]
    cpu = u["host_total"] / 100.0 * secs + (srv if srv >= 0 else u["remote_total"] / 100.0 * secs)
    print("%.2f %.2f %.2f" % (r["bits_per_second"] / 1e9, r["bytes"] * 8 / cpu / 1e9, cpu / secs))
except Exception: print("fail fail fail")' "$server"
}
# stats V... : "median (min..max)"
stats() {
    printf '%s\n' "$@" | python3 -c 'import sys, statistics
v = [float(x) for x in sys.stdin.read().split() if x != "fail"]
print("%.2f (%.2f..%.2f)" % (statistics.median(v), min(v), max(v)) if v else "fail")'
}

echo "P4: $IPERF3_VERSION -t $T, median of $RUNS (min..max), Gbit/s at the receiver; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg) at start"
echo "wall: Gbit/s; cpu: Gbit/s per CPU-second of client + server; cores: their CPU time over the test time"
printf '| %-22s | %-20s | %-20s | %-6s | %-12s | %-12s | %-6s | %-5s | %-5s |\n' "iperf3 options" "kernel↔kernel, veth" "kernel↔synack, TUN" "ratio" \
    "veth cpu" "TUN cpu" "ratio" "veth cores" "TUN cores"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "---" "---" "---" "---" "---" "---" "---" "---" "---"
declare -A MED
for opts in "" "-R" "-P 2" "-R -P 2" "-P 4" "-R -P 4"; do
    kw=() sw=() kc=() sc=() kn=() sn=()
    for _ in $(seq "$RUNS"); do
        # shellcheck disable=SC2086
        set -- $(one "$NS-a" 10.98.0.2 $opts)
        kw+=("$1") kc+=("$2") kn+=("$3")
        # shellcheck disable=SC2086
        set -- $(one "$NS-tun" 10.99.0.2 $opts)
        sw+=("$1") sc+=("$2") sn+=("$3")
    done
    ks=$(stats "${kw[@]}") ss_=$(stats "${sw[@]}") kcs=$(stats "${kc[@]}") scs=$(stats "${sc[@]}")
    kns=$(stats "${kn[@]}") sns=$(stats "${sn[@]}")
    MED["k$opts"]=${ks%% *} MED["s$opts"]=${ss_%% *}
    ratio() { python3 -c 'import sys
a, b = sys.argv[1].split()[0], sys.argv[2].split()[0]
print("%.2f" % (float(b) / float(a)) if "fail" not in (a, b) else "-")' "$1" "$2"; }
    label=${opts:-"(none)"}
    case "$opts" in *-R*) label="$label (server sends)";; *) label="$label (client sends)";; esac
    printf '| %-22s | %-20s | %-20s | %-6s | %-12s | %-12s | %-6s | %-5s | %-5s |\n' "$label" "$ks" "$ss_" "$(ratio "$ks" "$ss_")" \
        "${kcs%% *}" "${scs%% *}" "$(ratio "$kcs" "$scs")" "${kns%% *}" "${sns%% *}"
done
echo
echo "-P 2 over one stream (wall, medians): kernel↔kernel $(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "${MED[k-P 2]}" "${MED[k]}" 2>/dev/null || echo -), kernel↔synack $(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "${MED[s-P 2]}" "${MED[s]}" 2>/dev/null || echo -)"
echo "load at end: $(cut -d' ' -f1 /proc/loadavg)"
kill -TERM "${PIDS[1]}" 2>/dev/null
wait "${PIDS[1]}" 2>/dev/null
grep "stats: link" "$LOG"
