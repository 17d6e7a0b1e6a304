#!/usr/bin/env bash
# p1_inmem.sh — benchmark P1: synack bulk in memory (two stacks, one thread,
# in-memory link, checksums computed) with the copying and the zero-copy API
# at MTU 1500 and 9000, with the stack's TSO, and at MTU 1500 with the link's offloads (TSO/GRO-
# style 64 KB super-segments, bench/memlink.h: checksums still computed and
# checked), beside Linux over lo measured by iperf3 (one stream) with lo's
# offloads on (as users run it) at lo's default MTU 65536 and at MTU 1500
# (like for like with synack's MTU 1500 rows: TSO/GRO make 64 KB packets of
# 1448-byte segments there too), and with offloads off, in the same run, in
# a fresh network namespace. Median of RUNS (min..max), Gbit/s; runs
# interleaved.
# With the stack's TSO (--tso 1): the sending stack builds one packet per
# run of full segments (up to 64 KB, one header and one checksum summed while
# the payload is copied) and the link passes it whole to the receiving stack,
# which checks every byte; "direct" rows (--link-direct 1) hand each packet
# to the receiver at once with no copy into the link's FIFO, as lo hands a
# sent packet to its receive path.
# synack runs without pacing (--pacing 0), as Linux over lo does not pace
# (no fq qdisc, no internal pacing unless asked).
#
# Two figures per row: by the wall clock, and by the CPU time used (the
# bytes over the user + system seconds of the processes doing the work:
# synack's one process; iperf3's client and server, from iperf3's own
# cpu_utilization_percent report). On a machine shared with other jobs the
# wall clock also counts time others held the cores; CPU time does not.
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
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
lo_gbps() { # prints "wall cpu" Gbit/s
    iperf3 -c 127.0.0.1 -p 5201 -t 2 -J 2>/dev/null |
        python3 -c 'import json,sys
try:
    e = json.load(sys.stdin)["end"]
    r = e["sum_received"]; u = e["cpu_utilization_percent"]
    cpu_s = (u["host_total"] + u["remote_total"]) / 100.0 * r["seconds"]
    print("%.2f %.2f" % (r["bits_per_second"] / 1e9, r["bytes"] * 8 / cpu_s / 1e9))
except Exception: print("fail fail")'
}
syn_gbps() { # MTU ZEROCOPY [LINK_OFFLOAD [TSO [DIRECT]]]; prints "wall cpu" Gbit/s
    "$BIN" --mtu "$1" --zerocopy "$2" --link-offload "${3:-0}" --tso "${4:-0}" --link-direct "${5:-0}" \
        --pacing 0 --synack-bulk-only "$BYTES" --cpu 1 |
        python3 -c 'import sys
try: w, c = sys.stdin.read().split(); print("%.2f %.2f" % (float(w) * 8 / 1000, float(c) * 8 / 1000))
except Exception: print("fail fail")'
}
# Each row keeps "wall cpu" pairs; W_* and C_* are filled at the end.
declare -A W C
ROWS="on on1500 off s1c s1z s1oc s1oz s9c s9z s1tc s1tz s1tdc s1tdz s9tdc s9tdz"
add() { # ROW "wall cpu"
    set -- "$1" $2
    W[$1]="${W[$1]:-} $2"
    C[$1]="${C[$1]:-} $3"
}
for _ in $(seq "$RUNS"); do
    ethtool -K lo tso on gso on gro on tx on rx on >/dev/null 2>&1
    add on "$(lo_gbps)"
    ip link set lo mtu 1500
    add on1500 "$(lo_gbps)"
    ip link set lo mtu 65536
    ethtool -K lo tso off gso off gro off tx off rx off >/dev/null 2>&1
    add off "$(lo_gbps)"
    add s1c "$(syn_gbps 1500 0)"
    add s1z "$(syn_gbps 1500 1)"
    add s1oc "$(syn_gbps 1500 0 1)"
    add s1oz "$(syn_gbps 1500 1 1)"
    add s9c "$(syn_gbps 9000 0)"
    add s9z "$(syn_gbps 9000 1)"
    add s1tc "$(syn_gbps 1500 0 0 1)"
    add s1tz "$(syn_gbps 1500 1 0 1)"
    add s1tdc "$(syn_gbps 1500 0 0 1 1)"
    add s1tdz "$(syn_gbps 1500 1 0 1 1)"
    add s9tdc "$(syn_gbps 9000 0 0 1 1)"
    add s9tdz "$(syn_gbps 9000 1 0 1 1)"
done
ethtool -K lo tso on gso on gro on tx on rx on >/dev/null 2>&1
export P1_DATA
P1_DATA=$(for r in $ROWS; do echo "$r W ${W[$r]}"; echo "$r C ${C[$r]}"; done)
python3 - "$RUNS" "$LOAD0" "$(cut -d' ' -f1 /proc/loadavg)" "$(nproc)" <<'PY'
import os, sys, statistics, time
runs, load0, load1, ncpu = sys.argv[1:5]
d = {}
for line in os.environ["P1_DATA"].splitlines():
    f = line.split()
    d[(f[0], f[1])] = [float(x) for x in f[2:] if x != "fail"]
def med(r, k):
    v = d.get((r, k), [])
    return statistics.median(v) if v else None
def cell(r, k):
    v = d.get((r, k), [])
    return "%.2f (%.2f..%.2f)" % (statistics.median(v), min(v), max(v)) if v else "fail"
names = {"on": "Linux over lo, iperf3, MTU 65536, offloads on", "off": "Linux over lo, iperf3, MTU 65536, offloads off",
         "on1500": "Linux over lo, iperf3, MTU 1500, offloads on",
         "s1c": "synack bulk, MTU 1500, copying API", "s1z": "synack bulk, MTU 1500, zero-copy API",
         "s1oc": "synack bulk, MTU 1500, link offloads, copying API",
         "s1oz": "synack bulk, MTU 1500, link offloads, zero-copy API",
         "s9c": "synack bulk, MTU 9000, copying API", "s9z": "synack bulk, MTU 9000, zero-copy API",
         "s1tc": "synack bulk, MTU 1500, stack TSO, copying API", "s1tz": "synack bulk, MTU 1500, stack TSO, zero-copy API",
         "s1tdc": "synack bulk, MTU 1500, stack TSO, direct link, copying API",
         "s1tdz": "synack bulk, MTU 1500, stack TSO, direct link, zero-copy API",
         "s9tdc": "synack bulk, MTU 9000, stack TSO, direct link, copying API",
         "s9tdz": "synack bulk, MTU 9000, stack TSO, direct link, zero-copy API"}
print("P1: median of %s (min..max), Gbit/s; %s, %s CPUs, load %s at start, %s at end" %
      (runs, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), ncpu, load0, load1))
print("| what | wall clock | by CPU time |")
print("|---|---|---|")
SYN = ["s1c", "s1z", "s1oc", "s1oz", "s9c", "s9z", "s1tc", "s1tz", "s1tdc", "s1tdz", "s9tdc", "s9tdz"]
for r in ["on", "on1500", "off"] + SYN:
    print("| %s | %s | %s |" % (names[r], cell(r, "W"), cell(r, "C")))
def ratio(a, b, k):
    x, y = med(a, k), med(b, k)
    return "%.2f" % (x / y) if x and y else "n/a"
print()
print("| ratio | wall clock | by CPU time |")
print("|---|---|---|")
for r in SYN:
    for lo in ["on", "on1500"]:
        print("| %s / %s | %s | %s |" % (names[r].replace("synack bulk, ", "synack "), names[lo].replace("Linux over lo, iperf3, ", "lo "),
                                         ratio(r, lo, "W"), ratio(r, lo, "C")))
for z, c in [("s1z", "s1c"), ("s1oz", "s1oc"), ("s9z", "s9c"), ("s1tz", "s1tc"), ("s1tdz", "s1tdc"), ("s9tdz", "s9tdc")]:
    print("| zero-copy / copying, %s | %s | %s |" % (names[z].replace("synack bulk, ", "").replace(", zero-copy API", ""), ratio(z, c, "W"), ratio(z, c, "C")))
PY
