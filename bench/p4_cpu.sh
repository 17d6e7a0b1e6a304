#!/usr/bin/env bash
# p4_cpu.sh — where the CPU goes in P4's one-stream and -P 2 rows: iperf3 -c
# kernel -> synack over TUN (offloads on, one synack thread, or the options
# after --), and kernel -> kernel over veth for reference, alternated.
# Per run: Gbit/s at the receiver and, as cores (CPU-seconds per second of
# the test): the iperf3 client (user + system, iperf3's own report: this
# includes the kernel's TCP send work and softirqs run on its time), the
# synack serve process (user and system apart, from /proc/PID/stat: system
# is the kernel's TUN read/write work), and machine-wide from /proc/stat:
# softirq, busy (all but idle and iowait) and idle. What the machine's two
# cores can give is 2.0; "bytes per busy core" is Gbit/s over busy.
#
#   sudo [IPERF3=path] bench/p4_cpu.sh [path/to/synack] [SECONDS] [RUNS] [-- serve options]
set -u
. "$(dirname "$0")/p4_lib.sh"
p4_args p4_cpu 4 3 "$@"
p4_up synack-p4cpu
sleep 0.5

snap() { # "user system" ticks of synack, then the /proc/stat cpu line's fields
    local f
    f=$(cut -d')' -f2 "/proc/$SYNACK_PID/stat")
    # shellcheck disable=SC2086
    set -- $f
    echo "${12} ${13} $(head -1 /proc/stat | cut -d' ' -f3-)"
}
echo "P4 CPU: $IPERF3_VERSION -t $T, $RUNS runs each, $(date -u '+%Y-%m-%d %H:%M UTC'), load $(cut -d' ' -f1 /proc/loadavg) at start; cores = CPU-s per s"
echo "| link, options | Gbit/s | client | synack user | synack sys | softirq (machine) | busy (machine) | idle (machine) | Gbit/s per busy core |"
echo "|---|---|---|---|---|---|---|---|---|"
for _ in $(seq "$RUNS"); do
    for link in veth tun; do
        for opts in "" "-P 2"; do
            if [ $link = veth ]; then ns=$NS-a host=10.98.0.2; else ns=$NS-tun host=10.99.0.2; fi
            s0=$(snap)
            t0=$(date +%s.%N)
            # shellcheck disable=SC2086
            out=$(ip netns exec "$ns" timeout $((T + 20)) "$IPERF3" -c "$host" -p 5201 -t "$T" -J $opts 2>/dev/null)
            t1=$(date +%s.%N)
            s1=$(snap)
            printf '%s' "$out" | python3 -c 'import json, os, sys
hz = os.sysconf("SC_CLK_TCK")
a = [int(x) for x in sys.argv[1].split()]; b = [int(x) for x in sys.argv[2].split()]
wall = float(sys.argv[4]) - float(sys.argv[3])
d = [(y - x) / hz / wall for x, y in zip(a, b)]
# d: synack user, synack sys, then /proc/stat: user nice system idle iowait irq softirq steal ...
busy = sum(d[2:]) - d[5] - d[6]
try:
    e = json.load(sys.stdin)["end"]; r = e["sum_received"]
    g = r["bits_per_second"] / 1e9; cl = "%.2f" % (e["cpu_utilization_percent"]["host_total"] / 100.0)
except Exception: g, cl = 0.0, "fail"
print("| %s %s | %.2f | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (sys.argv[5], sys.argv[6] or "one stream", g, cl,
      d[0], d[1], d[8], busy, d[5], g / busy if busy else 0))' "$s0" "$s1" "$t0" "$t1" "$link" "$opts"
        done
    done
done
echo "load at end: $(cut -d' ' -f1 /proc/loadavg); synack rows count synack's CPU over the whole wall time of the run (iperf3's set-up included)"
