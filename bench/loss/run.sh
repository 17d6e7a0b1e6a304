#!/usr/bin/env bash
# bench/loss — goodput through a lossy path (issue 12): Linux CUBIC and synack
# as senders and as receivers over the same `synack relay`, and synack to
# synack in the simulated network with the same link model.
#
# The full matrix (the default; root, a Release build, a quiet machine):
#
#   bench/loss/run.sh build/synack              # RUNS=3, SECS=20
#
#   RTT 20 and 100 ms x bottleneck 100 and 1000 Mbit/s x loss 0, 0.1, 1, 3 %
#   = 16 cells; per cell RUNS runs of three relay transfers of SECS seconds
#   (kernel->kernel, synack->kernel, kernel->synack, ~SECS + 3 s each with
#   the relay's start and synack's close) and one simulated transfer (SECS of
#   virtual time: 1-15 s of CPU). At the defaults: 16 x 3 x 3 x 23 s ~ 55 min
#   on the relay plus ~5 min of simulation, about one hour. The script
#   prints its own estimate first. A smoke run: RUNS=1 SECS=3 RTTS=20
#   RATES=100 LOSSES="0 1" bench/loss/run.sh build/synack (~1 min).
#
# Topology:
#   left namespace L:  10.81.0.1 on TUN r0: the kernel receiver (flow.py sink)
#                      of kernel->kernel and synack->kernel, and the Linux
#                      sender (flow.py send) of kernel->synack
#   relay:             L:r0 <-> R:r0, `synack relay`: per direction delay =
#                      RTT/2, rate, a one-BDP drop-tail queue; the loss on the
#                      data direction only (ACKs pass)
#   right namespace R: 10.81.0.2 on r0: the Linux sender (CUBIC) of
#                      kernel->kernel; synack on TUN s0 (10.82.0.2, R's kernel
#                      forwards it to r0 untouched): the sender of
#                      synack->kernel (`synack bulk`) and the receiver of
#                      kernel->synack (`synack serve --discard`)
#   simulated:         bench_lossim (next to the synack binary, in bench/):
#                      two synack stacks, the same link options on the
#                      virtual clock, the same seed
#
# Per run, goodput is the bytes the receiver got (kernel receiver: counted by
# the sink from its accept) or the bytes the receiver acknowledged (kernel->
# synack: TCP_INFO bytes_acked at the Linux sender) over SECS, in Mbit/s; the
# retransmission ratio is the sender's retransmitted / sent segments (Linux:
# TCP_INFO total_retrans / segs_out, as nstat's TcpRetransSegs / TcpOutSegs
# for the one socket; synack: RetransSegs / OutSegs of `--stats`).
#
# usage: bench/loss/run.sh path/to/synack [RUNS] [SECS]
#   env: RTTS="20 100" RATES="100 1000" (Mbit/s) LOSSES="0 0.1 1 3"
#        LOSSES may also name "burst" (Gilbert-Elliott burst=0.1/30) and "ecn"
#        (no random loss; the queue marks ECT packets CE past a quarter of
#        itself; both senders ask for ECN: Linux tcp_ecn=1, synack ecn=1)
#        COLUMNS="kk sk ks sim" (which columns to run)
#        RELAY_PRIO=20 (the relay runs SCHED_FIFO at this priority through
#        chrt, so builds beside it do not delay its packets; 0: normal)
#        SYNACK_PRIO=RELAY_PRIO (synack's end runs SCHED_FIFO at this priority:
#        a Linux end's TCP runs in softirq, in the relay's writes and kernel
#        timers, undelayed by processes; synack's runs in a process, which
#        the relay preempts. 0: a normal process at NICE)
#        NICE=-5 (the ends, kernel and synack alike, run at this nice value)
#        SYNACK_SET="--set sndbuf=67108864" (synack as sender: Linux's send
#        buffer autotunes up to tcp_wmem[2], set to 64 MB in the namespaces;
#        synack's is fixed, so it is set to the same)
#        SYNACK_RCV_SET="--set rcvbuf_max=67108864" (synack as receiver: the
#        same ceiling as the kernel receiver's tcp_rmem[2]; also the simulated
#        column's receiver, as --rcv-set: with the 6 MB default it capped
#        100 ms at 480 Mbit/s)
#        SS_LOG=FILE (ss -tin and nstat of the Linux sender near each run's end)
#        KEEP=DIR (keep every run's logs: relay counters, synack --stats)
set -u
SYNACK=$(readlink -f "${1:?usage: $0 path/to/synack [RUNS] [SECS]}")
RUNS=${2:-${RUNS:-3}}
SECS=${3:-${SECS:-20}}
RTTS=${RTTS:-20 100}
RATES=${RATES:-100 1000}
LOSSES=${LOSSES:-0 0.1 1 3}
COLUMNS=${COLUMNS:-kk sk ks sim}
RELAY_PRIO=${RELAY_PRIO:-20}
NICE=${NICE:--5}
SYNACK_SET=${SYNACK_SET:---set sndbuf=67108864}
SYNACK_RCV_SET=${SYNACK_RCV_SET:---set rcvbuf_max=67108864}
HERE=$(dirname "$(readlink -f "$0")")
FLOW="python3 $HERE/flow.py"
LOSSIM=${LOSSIM:-$(dirname "$SYNACK")/bench/bench_lossim}
has() { case " $COLUMNS " in *" $1 "*) return 0 ;; esac; return 1; }
if has sim && [ ! -x "$LOSSIM" ]; then
    echo "bench/loss: $LOSSIM not built (cmake --build build --target bench_lossim); the sim column is skipped" >&2
    COLUMNS=${COLUMNS//sim/}
fi

. "$HERE/lib.sh"
bl_setup bl
RELAY=""

# start_relay SEED DATA_DIR(a-to-b|b-to-a) : the relay for one transfer
start_relay() {
    # shellcheck disable=SC2086
    timeout 3600 $PRIO "$SYNACK" relay --a "$L:r0" --b "$R:r0" --both "$spec" --"$2" "$lspec" \
        --seed "$1" --stats >"$TMP/relay.log" 2>&1 &
    RELAY=$!
    PIDS+=("$RELAY")
    bl_wait_relay
}
stop_relay() {
    kill -TERM "$RELAY" 2>/dev/null
    wait "$RELAY" 2>/dev/null
    bl_forget "$RELAY"
    RELAY=""
}
# counters of synack --stats: "RETRANS OUT"
synack_retrans() {
    awk '{ for (i = 1; i < NF; i++) { v = $(i + 1); sub(/,/, "", v)
             if ($i == "RetransSegs") r = v; if ($i == "OutSegs") o = v } }
         END { printf "%d %d\n", r, o }' "$1"
}
keep() { [ -n "${KEEP:-}" ] && mkdir -p "$KEEP" && cp "$1" "$KEEP/$2"; return 0; }

# Each run_* prints "GOODPUT RETRANS SEGS" for one transfer.
run_kk() {
    local port=$1 out=$TMP/sink.out snd=$TMP/send.out
    ip netns exec "$L" $NI timeout $((SECS + 30)) $FLOW sink 10.81.0.1 "$port" "$SECS" >"$out" 2>&1 &
    local sink=$!
    bl_wait_ready "$out"
    ip netns exec "$R" $NI timeout $((SECS + 20)) $FLOW send 10.81.0.1 "$port" >"$snd" 2>&1 &
    local s=$!
    if [ -n "${SS_LOG:-}" ]; then
        sleep $((SECS > 1 ? SECS - 1 : 1)); ip netns exec "$R" ss -tin >>"$SS_LOG" 2>&1
        ip netns exec "$R" nstat -az TcpRetransSegs TcpOutSegs TcpExtTCPSackRecovery TcpExtTCPLossProbes \
            TcpExtTCPLossProbeRecovery TcpExtTCPTimeouts TcpExtTCPDSACKUndo TcpExtTCPSACKReorder >>"$SS_LOG" 2>&1
    fi
    wait "$sink"
    wait "$s" 2>/dev/null
    echo "$(awk '/^goodput/ { print $2; f = 1 } END { if (!f) print 0 }' "$out") $(awk '/^retrans/ { print $2, $3 }' "$snd")"
}
run_sk() {
    local port=$1 out=$TMP/sink.out
    ip netns exec "$L" $NI timeout $((SECS + 30)) $FLOW sink 10.81.0.1 "$port" "$SECS" >"$out" 2>&1 &
    local sink=$!
    bl_wait_ready "$out"
    # shellcheck disable=SC2086
    ip netns exec "$R" $NI timeout --foreground $((SECS + 20)) $SPRIO "$SYNACK" bulk --tun s0 --addr 10.82.0.2/24 \
        --gateway 10.82.0.1 --stats $SYNACK_SET $cell_set 10.81.0.1:"$port" --bytes 1000G >"$TMP/bulk.log" 2>&1 &
    local s=$!
    wait "$sink"
    kill -TERM "$s" 2>/dev/null
    wait "$s" 2>/dev/null
    keep "$TMP/bulk.log" "sk-$tag.log"
    echo "$(awk '/^goodput/ { print $2; f = 1 } END { if (!f) print 0 }' "$out") $(synack_retrans "$TMP/bulk.log")"
}
run_ks() {
    local port=$1 snd=$TMP/send.out
    # shellcheck disable=SC2086
    ip netns exec "$R" $NI timeout $((SECS + 40)) $SPRIO "$SYNACK" serve --tun s0 --addr 10.82.0.2/24 \
        --gateway 10.82.0.1 --stats $SYNACK_RCV_SET --discard "$port" >"$TMP/serve.log" 2>&1 &
    local srv=$!
    PIDS+=("$srv")
    sleep 0.5 # serve's listener is in synack, not in the kernel: no ss to ask
    ip netns exec "$L" $NI timeout $((SECS + 20)) $FLOW send 10.82.0.2 "$port" --secs "$SECS" >"$snd" 2>&1
    kill -TERM "$srv" 2>/dev/null
    wait "$srv" 2>/dev/null
    bl_forget "$srv"
    keep "$TMP/serve.log" "ks-$tag.log"
    echo "$(awk '/^goodput/ { print $2; f = 1 } END { if (!f) print 0 }' "$snd") $(awk '/^retrans/ { print $2, $3 }' "$snd")"
}
run_sim() {
    # shellcheck disable=SC2086
    $NI "$LOSSIM" --secs "$SECS" --seed "$1" --both "$spec" --data "$lspec" $SYNACK_SET $cell_set \
        ${SYNACK_RCV_SET//--set/--rcv-set} 2>&1 |
        awk '/^goodput/ { g = $2 } /^retrans/ { r = $2 " " $3 } END { print (g ? g : 0), (r ? r : "0 0") }'
}

# three significant figures (whole numbers from 1000 up)
median() { tr ' ' '\n' | grep . | sort -g | awk 'function f(x) { return x >= 1000 ? sprintf("%d", x + 0.5) : sprintf("%.3g", x) }
    { a[NR] = $1 } END { print (NR ? f(a[int((NR + 1) / 2)]) : "-") }'; }
span() { tr ' ' '\n' | grep . | sort -g | awk 'function f(x) { return x >= 1000 ? sprintf("%d", x + 0.5) : sprintf("%.3g", x) }
    NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s..%s", f(lo), f(hi); else printf "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b <= 0) print "-"; else printf "%.2f", a / b }'; }

ncells=$(( $(echo $RTTS | wc -w) * $(echo $RATES | wc -w) * $(echo $LOSSES | wc -w) ))
nrelay=0; for c in kk sk ks; do has $c && nrelay=$((nrelay + 1)); done
est=$(( ncells * RUNS * nrelay * (SECS + 3) ))
echo "# bench/loss: RTT ${RTTS} ms x rate ${RATES} Mbit/s x loss ${LOSSES}; one-BDP drop-tail queue; ${RUNS} runs x ${SECS} s"
echo "# columns: ${COLUMNS}; ${ncells} cells; relay part ~$((est / 60)) min (+ the simulated column's CPU)"
echo "# $(date -u +%FT%TZ); $(uname -r); $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg); relay ${PRIO:-normal priority}, synack ${SPRIO:-normal priority}, ends nice ${NICE}"
echo "# synack $("$SYNACK" --version 2>/dev/null | head -1); options ${SYNACK_SET} / receiver ${SYNACK_RCV_SET}"
TABLE=$TMP/table
port=6000
for rtt in $RTTS; do
    delay=$(awk -v r="$rtt" 'BEGIN { print r / 2 }')
    for rate in $RATES; do
        # one BDP of queue: rate x RTT (at least 20 packets)
        queue=$(awk -v r="$rtt" -v m="$rate" 'BEGIN { q = int(m * 1e6 / 8 * r / 1000); if (q < 30000) q = 30000; print q }')
        spec="delay=$delay,rate=$rate,queue=$queue"
        for loss in $LOSSES; do
            cell_set=""
            ecn=2
            if [ "$loss" = burst ]; then lspec="burst=0.1/30"
            elif [ "$loss" = ecn ]; then
                lspec="ce=$((queue / 4))"
                cell_set="--set ecn=1"
                ecn=1
            else lspec="loss=$loss"; fi
            for ns in "$L" "$R"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_ecn=$ecn; done
            declare -A G=() X=()
            for run in $(seq "$RUNS"); do
                tag="${rtt}ms-${rate}M-${loss}-$run"
                line="rtt=${rtt}ms rate=${rate} loss=${loss} run=${run}:"
                for col in kk sk ks sim; do
                    has $col || continue
                    port=$((port + 1))
                    if [ $col = sim ]; then
                        r=$(run_sim "$run")
                    else
                        if [ $col = ks ]; then start_relay "$run" a-to-b; else start_relay "$run" b-to-a; fi
                        r=$(run_$col $port)
                        stop_relay
                        keep "$TMP/relay.log" "relay-$col-$tag.log"
                    fi
                    read -r g rt sg <<<"$r"
                    x=$(awk -v r="${rt:-0}" -v s="${sg:-0}" 'BEGIN { if (s > 0) printf "%.3f", 100 * r / s; else print "-" }')
                    G[$col]="${G[$col]:-} $g"
                    [ "$x" != - ] && X[$col]="${X[$col]:-} $x"
                    line="$line $col ${g} Mbit/s (retrans ${x}%)"
                done
                echo "$line"
            done
            m() { echo "${G[$1]:-}" | median; }
            cellv() { has "$1" && echo "$(m "$1") ($(echo "${G[$1]:-}" | span))" || echo "-"; }
            xr() { has "$1" && echo "${X[$1]:-}" | median || echo "-"; }
            lname=$loss; case $loss in burst | ecn) ;; *) lname="$loss%" ;; esac
            echo "| ${rtt} ms | ${rate} | ${lname} | $(cellv kk) | $(cellv sk) | $(cellv ks) | $(cellv sim) |" \
                 "$(ratio "$(m sk)" "$(m kk)") | $(ratio "$(m ks)" "$(m kk)") | $(ratio "$(m sim)" "$(m kk)") |" \
                 "$(xr kk) | $(xr sk) | $(xr ks) | $(xr sim) |" >>"$TABLE"
            unset G X
        done
    done
done
echo
echo "Goodput in Mbit/s, median (min..max) of ${RUNS} runs of ${SECS} s; retransmitted / sent segments of the sender, median, %"
echo
echo "| RTT | Mbit/s | loss | kernel->kernel | synack->kernel | kernel->synack | synack->synack (sim) | sk/kk | ks/kk | sim/kk | retrans kk | retrans sk | retrans ks (Linux) | retrans sim |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
cat "$TABLE"
echo
echo "# done $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
