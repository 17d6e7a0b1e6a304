#!/usr/bin/env bash
# p1_inmem.sh — benchmark P1: synack bulk in memory (two stacks, one thread,
# in-memory link, checksums computed) with the copying and the zero-copy API
# at MTU 1500 and 9000, beside Linux over lo measured by iperf3 (one stream)
# with lo's offloads on (as users run it) and off, in the same run, in a
# fresh network namespace. Median of RUNS (min..max), Gbit/s; runs interleaved.
#
#   sudo bench/p1_inmem.sh [build-dir] [RUNS] [BYTES]
set -u
BUILD=${1:-build}
RUNS=${2:-5}
BYTES=${3:-1073741824}
BIN=$(readlink -f "$BUILD/bench/bench_inproc")
[ -x "$BIN" ] || { echo "p1_inmem: build first (missing $BIN)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "p1_inmem: needs root (a network namespace)" >&2; exit 1; }
for p in iperf3 ethtool python3 unshare; do command -v $p >/dev/null || { echo "p1_inmem: needs $p" >&2; exit 1; }; done
if [ "${P1_INNER:-}" != 1 ]; then
    exec unshare -n env P1_INNER=1 bash "$0" "$@"
fi
ip link set lo up
iperf3 -s -p 5201 >/dev/null 2>&1 &
SRV=$!
trap 'kill $SRV 2>/dev/null; wait $SRV 2>/dev/null' EXIT
sleep 0.3
lo_gbps() {
    iperf3 -c 127.0.0.1 -p 5201 -t 2 -J 2>/dev/null |
        python3 -c 'import json,sys
try: print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("fail")'
}
syn_gbps() { # MTU ZEROCOPY
    local mbs
    mbs=$("$BIN" --mtu "$1" --zerocopy "$2" --synack-bulk-only "$BYTES")
    python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) * 8 / 1000))' "$mbs"
}
stats() {
    printf '%s\n' "$@" | python3 -c 'import sys, statistics
v = [float(x) for x in sys.stdin.read().split() if x != "fail"]
print("%.2f (%.2f..%.2f)" % (statistics.median(v), min(v), max(v)) if v else "fail")'
}
declare -a on off s1c s1z s9c s9z
for _ in $(seq "$RUNS"); do
    ethtool -K lo tso on gso on gro on tx on rx on >/dev/null 2>&1
    on+=("$(lo_gbps)")
    ethtool -K lo tso off gso off gro off tx off rx off >/dev/null 2>&1
    off+=("$(lo_gbps)")
    s1c+=("$(syn_gbps 1500 0)")
    s1z+=("$(syn_gbps 1500 1)")
    s9c+=("$(syn_gbps 9000 0)")
    s9z+=("$(syn_gbps 9000 1)")
done
echo "P1: median of $RUNS (min..max), Gbit/s; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
echo "| what | Gbit/s |"
echo "|---|---|"
echo "| Linux over lo, iperf3, offloads on | $(stats "${on[@]}") |"
echo "| Linux over lo, iperf3, offloads off | $(stats "${off[@]}") |"
echo "| synack bulk, MTU 1500, copying API | $(stats "${s1c[@]}") |"
echo "| synack bulk, MTU 1500, zero-copy API | $(stats "${s1z[@]}") |"
echo "| synack bulk, MTU 9000, copying API | $(stats "${s9c[@]}") |"
echo "| synack bulk, MTU 9000, zero-copy API | $(stats "${s9z[@]}") |"
