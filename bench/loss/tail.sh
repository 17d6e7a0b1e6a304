#!/usr/bin/env bash
# bench/loss/tail.sh — what a tail loss costs a 1 MB transfer, Linux (CUBIC)
# and synack as senders, through the same `synack relay` (issue 12: "about
# one RTT, not an RTO"), beside synack->synack on the virtual clock.
#
#   bench/loss/tail.sh build/synack          # RUNS=5: 2 RTTs x 2 senders x
#                                            # 2 cases x 5 runs ~ 1-2 min
#
# The path: delay RTT/2 each way, no bottleneck and no random loss (as the
# virtual-clock test test_endtoend tail_loss_costs_a_probe_timeout_not_an_rto).
# The tail loss: the relay's tail=1000000/2000 on the data direction drops
# the first transmission of the data segments holding any of the last 2000
# bytes of each flow's first 1,000,000 (offsets from its ISN + 1): at MSS
# 1448 the last two segments (the 690th and the 691st, 880 bytes), once;
# their retransmissions pass. Each transfer is timed by the kernel receiver
# (flow.py sink) from its accept to the last byte; "cost" is the median with
# the tail loss minus the median without, also in RTTs. The senders' counters
# say how each recovered (Linux: TcpExtTCPLossProbes and TCPTimeouts of its
# namespace, before/after; synack: --stats).
#
# usage: bench/loss/tail.sh path/to/synack [RUNS]
#   env: RTTS="20 100" BYTES=1000000 TAIL=2000 RELAY_PRIO=20 SYNACK_PRIO=RELAY_PRIO NICE=-5
#        SYNACK_SET="--set sndbuf=67108864" (options of synack bulk and of the
#        simulated sender: the send buffer as run.sh gives it, Linux's tcp_wmem[2]
#        in the namespaces; add e.g. --set tail_loss_probe=0)
set -u
SYNACK=$(readlink -f "${1:?usage: $0 path/to/synack [RUNS]}")
RUNS=${2:-${RUNS:-5}}
RTTS=${RTTS:-20 100}
BYTES=${BYTES:-1000000}
TAIL=${TAIL:-2000}
RELAY_PRIO=${RELAY_PRIO:-20}
NICE=${NICE:--5}
SYNACK_SET=${SYNACK_SET:---set sndbuf=67108864}
HERE=$(dirname "$(readlink -f "$0")")
FLOW="python3 $HERE/flow.py"
LOSSIM=${LOSSIM:-$(dirname "$SYNACK")/bench/bench_lossim}

. "$HERE/lib.sh"
bl_setup bt

nstat_of() { ip netns exec "$R" nstat -az TcpExtTCPLossProbes TcpExtTCPTimeouts | awk '/TCPLossProbes/ { p = $2 } /TCPTimeouts/ { t = $2 } END { print p + 0, t + 0 }'; }

# one WHO TAILSPEC SEED PORT : "MS PROBES TIMEOUTS"
one() {
    local who=$1 tspec=$2 seed=$3 port=$4 out=$TMP/sink.out
    # shellcheck disable=SC2086
    timeout 600 $PRIO "$SYNACK" relay --a "$L:r0" --b "$R:r0" --both "delay=$delay" $tspec --seed "$seed" \
        --stats >"$TMP/relay.log" 2>&1 &
    local relay=$!
    PIDS+=("$relay")
    bl_wait_relay
    ip netns exec "$L" $NI timeout 60 $FLOW sink 10.81.0.1 "$port" 50 "$BYTES" >"$out" 2>&1 &
    local sink=$!
    bl_wait_ready "$out"
    local before after
    before=$(nstat_of)
    if [ "$who" = linux ]; then
        ip netns exec "$R" $NI timeout 60 $FLOW send 10.81.0.1 "$port" --bytes "$BYTES" >/dev/null 2>&1
    else
        # shellcheck disable=SC2086
        ip netns exec "$R" $NI timeout 60 $SPRIO "$SYNACK" bulk --tun s0 --addr 10.82.0.2/24 --gateway 10.82.0.1 \
            --stats $SYNACK_SET 10.81.0.1:"$port" --bytes "$BYTES" >"$TMP/bulk.log" 2>&1
    fi
    wait "$sink"
    # a run that moved nothing: say what synack said
    [ "$who" = synack ] && ! grep -q '^took' "$out" && { echo "# synack run moved no data:" >&2; cat "$TMP/bulk.log" >&2; }
    after=$(nstat_of)
    kill -TERM "$relay" 2>/dev/null
    wait "$relay" 2>/dev/null
    bl_forget "$relay"
    local ms dropped p t
    ms=$(awk '/^took/ && $3 == '"$BYTES"' { printf "%.1f", $2 * 1000 }' "$out")
    dropped=$(sed -n 's/.*b->a:.* tail_dropped \([0-9]*\).*/\1/p' "$TMP/relay.log")
    if [ "$who" = linux ]; then
        read -r p t <<<"$(echo "$before $after" | awk '{ print $3 - $1, $4 - $2 }')"
    else
        p=$(grep -o 'TCPLossProbes [0-9]*' "$TMP/bulk.log" | awk '{ print $2 }')
        t=$(grep -o 'TCPTimeouts [0-9]*' "$TMP/bulk.log" | awk '{ print $2 }')
    fi
    echo "${ms:-0} ${p:-0} ${t:-0} ${dropped:-0}"
}

# a run that moved no data reads 0 ms: left out of the medians (and counted)
median() { tr ' ' '\n' | grep . | grep -vx '0' | sort -g | awk '{ a[NR] = $1 } END { print (NR ? a[int((NR + 1) / 2)] : 0) }'; }
span() { tr ' ' '\n' | grep . | grep -vx '0' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s..%s", lo, hi }'; }

echo "# bench/loss/tail.sh: ${BYTES} bytes, tail=${BYTES}/${TAIL} on the data direction, ${RUNS} runs; $(date -u +%FT%TZ)"
echo "# $(uname -r); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg); relay ${PRIO:-normal priority}; synack ${SPRIO:-normal priority}; synack options: ${SYNACK_SET:-defaults}"
TABLE=$TMP/table
port=7000
for rtt in $RTTS; do
    delay=$(awk -v r="$rtt" 'BEGIN { print r / 2 }')
    declare -A T=() P=() O=()
    for run in $(seq "$RUNS"); do
        for who in linux synack; do
            for c in clean tail; do
                tspec=""
                [ $c = tail ] && tspec="--b-to-a tail=${BYTES}/${TAIL}"
                port=$((port + 1))
                read -r ms p t d <<<"$(one $who "$tspec" "$run" $port)"
                echo "rtt=${rtt}ms run=${run} ${who} ${c}: ${ms} ms (tail_dropped ${d}, loss probes ${p}, timeouts ${t})"
                T[$who$c]="${T[$who$c]:-} $ms"
                P[$who$c]="${P[$who$c]:-} $p"
                O[$who$c]="${O[$who$c]:-} $t"
            done
        done
    done
    for who in linux synack; do
        mc=$(echo "${T[${who}clean]}" | median) mt=$(echo "${T[${who}tail]}" | median)
        cost=$(awk -v a="$mt" -v b="$mc" -v r="$rtt" 'BEGIN { printf "%+.0f ms (%+.1f RTT)", a - b, (a - b) / r }')
        failed=$(echo "${T[${who}clean]} ${T[${who}tail]}" | tr ' ' '\n' | grep -cx '0')
        [ "$failed" -gt 0 ] && echo "# ${rtt} ms ${who}: ${failed} run(s) moved no data, left out" >&2
        echo "| ${rtt} ms | ${who} (relay) | ${mc} ($(echo "${T[${who}clean]}" | span)) | ${mt} ($(echo "${T[${who}tail]}" | span)) | ${cost} | $(echo "${P[${who}tail]}" | median) | $(echo "${O[${who}tail]}" | median) |" >>"$TABLE"
    done
    if [ -x "$LOSSIM" ]; then
        # shellcheck disable=SC2086
        c=$("$LOSSIM" --bytes "$BYTES" --both "delay=$delay" $SYNACK_SET | awk '/^took/ { printf "%.1f", $2 * 1000 }')
        # shellcheck disable=SC2086
        out=$("$LOSSIM" --bytes "$BYTES" --both "delay=$delay" --data "tail=${BYTES}/${TAIL}" $SYNACK_SET)
        t=$(echo "$out" | awk '/^took/ { printf "%.1f", $2 * 1000 }')
        p=$(echo "$out" | sed -n 's/.* tlp \([0-9]*\).*/\1/p') o=$(echo "$out" | sed -n 's/.* timeouts \([0-9]*\).*/\1/p')
        cost=$(awk -v a="$t" -v b="$c" -v r="$rtt" 'BEGIN { printf "%+.0f ms (%+.1f RTT)", a - b, (a - b) / r }')
        echo "| ${rtt} ms | synack->synack (sim) | ${c} | ${t} | ${cost} | ${p} | ${o} |" >>"$TABLE"
    fi
    unset T P O
done
echo
echo "1 MB from the receiver's accept to its last byte, ms, median (min..max) of ${RUNS}; the last two segments lost once"
echo
echo "| RTT | sender | no loss | tail loss | cost | loss probes | timeouts |"
echo "|---|---|---|---|---|---|---|"
cat "$TABLE"
echo
echo "# done $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
