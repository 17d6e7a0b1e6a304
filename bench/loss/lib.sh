# bench/loss/lib.sh — sourced by run.sh and tail.sh: the two namespaces, the
# relay's priority and the cleanup they share.
#
#   left namespace L:  10.81.0.1 on TUN r0 (a route to 10.82.0.0/24 via r0)
#   right namespace R: 10.81.0.2 on TUN r0; TUN s0 10.82.0.1 for synack at
#                      10.82.0.2, forwarded to r0 by R's kernel
#   `synack relay` joins L:r0 and R:r0 (started by the scripts).
#
# bl_setup NAME : creates synack-NAME-L$$ and -R$$ and $TMP; sets L, R, TMP,
# PIDS (killed by PID on exit), PRIO (chrt -f RELAY_PRIO, or empty), SPRIO
# (chrt -f SYNACK_PRIO for synack's ends, or empty) and NI (nice -n NICE). Everything is deleted on exit.
bl_cleanup() {
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    ip netns del "$L" 2>/dev/null
    ip netns del "$R" 2>/dev/null
    rm -rf "$TMP"
}

bl_setup() {
    [ "$(id -u)" -eq 0 ] || { echo "bench/loss needs root (namespaces, TUN)" >&2; exit 1; }
    L=synack-$1-L$$
    R=synack-$1-R$$
    TMP=$(mktemp -d "/tmp/synack-$1.XXXXXX")
    PIDS=()
    trap bl_cleanup EXIT
    trap 'exit 130' INT TERM
    ip netns add "$L" && ip netns add "$R" || exit 1
    local ns
    for ns in "$L" "$R"; do
        ip -n "$ns" link set lo up
        ip -n "$ns" tuntap add dev r0 mode tun
        # the TUN's own queue is not the bottleneck (the relay's model is):
        # room for a sender's bursts while the relay is busy
        ip -n "$ns" link set r0 txqueuelen 10000
        # buffers for 1 Gbit/s x 100 ms; no metrics cache: each run starts
        # afresh, not from the ssthresh the previous run's losses left
        ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 67108864" \
            net.ipv4.tcp_wmem="4096 16384 67108864" net.ipv4.tcp_no_metrics_save=1
    done
    ip -n "$L" addr add 10.81.0.1/24 dev r0 && ip -n "$L" link set r0 up
    ip -n "$L" route add 10.82.0.0/24 dev r0
    ip -n "$R" addr add 10.81.0.2/24 dev r0 && ip -n "$R" link set r0 up
    ip -n "$R" tuntap add dev s0 mode tun
    ip -n "$R" link set s0 txqueuelen 10000
    ip -n "$R" addr add 10.82.0.1/24 dev s0 && ip -n "$R" link set s0 up
    ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1
    PRIO=""
    if [ "${RELAY_PRIO:-20}" != 0 ] && command -v chrt >/dev/null; then PRIO="chrt -f ${RELAY_PRIO:-20}"; fi
    # synack's end at the relay's priority too: a Linux end does its TCP work
    # in softirq, inside the relay's writes to its TUN and in kernel timers,
    # which no process delays; synack does it in a process, which the relay
    # and anything else on the machine preempt (4,000 times a second at
    # 1 Gbit/s on 2 cores). SYNACK_PRIO=0 runs it as a normal process.
    SPRIO=""
    local sp=${SYNACK_PRIO:-${RELAY_PRIO:-20}}
    if [ "$sp" != 0 ] && command -v chrt >/dev/null; then SPRIO="chrt -f $sp"; fi
    NI="nice -n ${NICE:--5}"
}

# bl_forget PID : a process that was waited for leaves PIDS (its number may
# be another's by the time the script exits)
bl_forget() {
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# bl_wait_relay : until the relay has attached L's r0 (carrier on)
bl_wait_relay() {
    for _ in $(seq 100); do ip -n "$L" link show r0 | grep -q LOWER_UP && return 0; sleep 0.05; done
    return 1
}

# bl_wait_ready FILE : until the sink's "ready" line is in FILE (10 s at most:
# a loaded machine may take seconds to start python; a sender that connects
# before the listen is refused and its run is lost)
bl_wait_ready() {
    for _ in $(seq 500); do grep -q ready "$1" 2>/dev/null && return 0; sleep 0.02; done
    echo "bench/loss: no sink ready after 10 s ($1)" >&2
    return 1
}
