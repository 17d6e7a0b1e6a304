#!/usr/bin/env bash
# bench/loss — goodput of synack as the sender beside Linux (CUBIC) as the
# sender, through the same `synack relay` path.
#
#   left namespace:  the receiver, a kernel socket (flow.py sink), 10.81.0.1
#   relay:           r0 (left) <-> r0 (right): RTT, loss, rate, queue
#   right namespace: the senders: Linux (flow.py send, CUBIC) at 10.81.0.2,
#                    and synack (synack bulk on TUN s0, 10.82.0.2, which the
#                    right namespace's kernel forwards to r0 untouched)
#
# Each cell: RTT x loss at a rate limit with a one-BDP drop-tail queue;
# RUNS runs of SECS seconds per sender, alternating Linux and synack in
# each run so both see the same machine load. Prints one line per run and a
# table (median and min..max per sender, and synack/Linux of the medians).
#
# usage: bench/loss/run.sh path/to/synack [RUNS] [SECS]
#   env: RTTS="10 50 200" LOSSES="0 0.1 1 3 burst" RATE=50 (Mbit/s)
#        (LOSSES may also name "ecn": no random loss, the queue marks ECT
#        packets CE past a quarter of itself, and both senders ask for ECN:
#        Linux with tcp_ecn=1, synack with --set ecn=1; RFC 3168)
#        SS_LOG=FILE (ss -tin of the Linux sender near each run's end)
#        BULK_LOG=FILE (keep the last synack bulk's output, with its counters)
#        SYNACK_SET="--set sndbuf=4194304" (Linux autotunes its send buffer to
#        tcp_wmem[2] = 4 MB; synack's is fixed, so it is set to the same)
set -u
SYNACK=$(readlink -f "${1:?usage: $0 path/to/synack [RUNS] [SECS]}")
RUNS=${2:-3}
SECS=${3:-8}
RTTS=${RTTS:-10 50 200}
LOSSES=${LOSSES:-0 0.1 1 3 burst}
RATE=${RATE:-50}
SYNACK_SET=${SYNACK_SET:---set sndbuf=4194304}
HERE=$(dirname "$(readlink -f "$0")")
FLOW="python3 $HERE/flow.py"
[ "$(id -u)" -eq 0 ] || { echo "bench/loss needs root (namespaces, TUN)" >&2; exit 1; }

L=synack-bl-L$$
R=synack-bl-R$$
TMP=$(mktemp -d /tmp/synack-bench-loss.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$L" 2>/dev/null
    ip netns del "$R" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$L" && ip netns add "$R" || exit 1
for ns in "$L" "$R"; do
    ip -n "$ns" link set lo up
    ip -n "$ns" tuntap add dev r0 mode tun
done
ip -n "$L" addr add 10.81.0.1/24 dev r0 && ip -n "$L" link set r0 up
ip -n "$L" route add 10.82.0.0/24 dev r0
ip -n "$R" addr add 10.81.0.2/24 dev r0 && ip -n "$R" link set r0 up
ip -n "$R" tuntap add dev s0 mode tun
ip -n "$R" addr add 10.82.0.1/24 dev s0 && ip -n "$R" link set s0 up
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

stop_relay() { kill -TERM "$RELAY" 2>/dev/null; wait "$RELAY" 2>/dev/null; }

# one_run WHO PORT : goodput in Mbit/s of one SECS-second transfer
one_run() {
    local who=$1 port=$2 out=$TMP/sink.out
    ip netns exec "$L" timeout $((SECS + 30)) $FLOW sink 10.81.0.1 "$port" "$SECS" >"$out" 2>&1 &
    local sink=$!
    for _ in $(seq 100); do grep -q ready "$out" 2>/dev/null && break; sleep 0.02; done
    if [ "$who" = linux ]; then
        ip netns exec "$R" timeout $((SECS + 20)) $FLOW send 10.81.0.1 "$port" >/dev/null 2>&1 &
    else
        # shellcheck disable=SC2086
        ip netns exec "$R" timeout --foreground $((SECS + 20)) "$SYNACK" bulk --tun s0 --addr 10.82.0.2/24 \
            --gateway 10.82.0.1 --stats $SYNACK_SET $cell_set 10.81.0.1:"$port" --bytes 100G >"$TMP/bulk.log" 2>&1 &
    fi
    local snd=$!
    if [ -n "${SS_LOG:-}" ] && [ "$who" = linux ]; then
        sleep $((SECS - 1)); ip netns exec "$R" ss -tin >>"$SS_LOG" 2>&1
        ip netns exec "$R" nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPSackRecovery TcpExtTCPLossProbes \
            TcpExtTCPLossProbeRecovery TcpExtTCPTimeouts TcpExtTCPDSACKUndo TcpExtTCPSACKReorder >>"$SS_LOG" 2>&1
    fi
    wait "$sink"
    kill -TERM "$snd" 2>/dev/null
    wait "$snd" 2>/dev/null
    [ "$who" = synack ] && [ -n "${BULK_LOG:-}" ] && cp "$TMP/bulk.log" "$BULK_LOG"
    awk '/^goodput/ { print $2; found = 1 } END { if (!found) print "0" }' "$out"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
span() { tr ' ' '\n' | grep . | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }

echo "# bench/loss: rate ${RATE} Mbit/s, one-BDP drop-tail queue, ${RUNS} runs x ${SECS} s per sender; $(date -u +%FT%TZ); $(uname -r); $(nproc) CPUs"
echo "# synack options: ${SYNACK_SET}"
TABLE=$TMP/table
port=6000
for rtt in $RTTS; do
    delay=$(awk -v r="$rtt" 'BEGIN { print r / 2 }')
    # one BDP of queue: RATE Mbit/s x RTT
    queue=$(awk -v r="$rtt" -v m="$RATE" 'BEGIN { q = int(m * 1e6 / 8 * r / 1000); if (q < 30000) q = 30000; print q }')
    for loss in $LOSSES; do
        cell_set=""
        ip netns exec "$R" sysctl -qw net.ipv4.tcp_ecn=2
        if [ "$loss" = burst ]; then lspec="burst=0.1/30"
        elif [ "$loss" = ecn ]; then
            lspec="ce=$((queue / 4))"
            cell_set="--set ecn=1"
            ip netns exec "$R" sysctl -qw net.ipv4.tcp_ecn=1
        else lspec="loss=$loss"; fi
        # the loss is on the data direction only (right to left): ACKs pass
        spec="delay=$delay,rate=$RATE,queue=$queue"
        lin="" syn=""
        for run in $(seq "$RUNS"); do
            timeout 3600 "$SYNACK" relay --a "$L:r0" --b "$R:r0" --both "$spec" --b-to-a "$lspec" \
                --seed "$run" --stats >"$TMP/relay.log" 2>&1 &
            RELAY=$!
            PIDS+=("$RELAY")
            for _ in $(seq 100); do ip -n "$L" link show r0 | grep -q LOWER_UP && break; sleep 0.05; done
            port=$((port + 1)); a=$(one_run linux $port)
            port=$((port + 1)); b=$(one_run synack $port)
            stop_relay
            lin="$lin $a" syn="$syn $b"
            echo "rtt=${rtt}ms loss=${loss} run=${run}: linux ${a} synack ${b} Mbit/s  ($(grep 'b->a' "$TMP/relay.log"))"
        done
        ml=$(echo "$lin" | median) ms=$(echo "$syn" | median)
        ratio=$(awk -v a="$ms" -v b="$ml" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        echo "| ${rtt} ms | ${loss}$([ "$loss" = burst ] || [ "$loss" = ecn ] || echo %) | ${ml} ($(echo "$lin" | span)) | ${ms} ($(echo "$syn" | span)) | ${ratio} |" >>"$TABLE"
    done
done
echo
echo "| RTT | loss (data direction) | Linux CUBIC Mbit/s, median (min..max) | synack Mbit/s, median (min..max) | synack / Linux |"
echo "|---|---|---|---|---|"
cat "$TABLE"
