# p4_lib.sh — sourced by p4_iperf3.sh and p4_cpu.sh: their command line and
# the two links they compare, in network namespaces made here and deleted at
# exit (nothing leaves the machine):
#   veth: kernel $NS-a (10.98.0.1) <-> kernel $NS-b (10.98.0.2, iperf3 -s)
#   TUN:  kernel $NS-tun (10.99.0.1) <-> synack serve --iperf3 (10.99.0.2)

# IPERF3 (environment) names the iperf3 to run on the kernel's side, default
# the one on PATH; bench/get_iperf3.sh explains why the -P rows want 3.16+.
#
# p4_args NAME DEFAULT_SECONDS DEFAULT_RUNS "$@" : reads
# [path/to/synack] [SECONDS] [RUNS] [-- extra serve options] into SYNACK, T,
# RUNS and EXTRA; checks root and the tools, or exits with NAME's reason.
p4_args() {
    local name=$1
    T=${5:-$2}
    RUNS=${6:-$3}
    SYNACK=$(readlink -f "${4:-build/synack}")
    shift 3
    shift $(($# < 3 ? $# : 3))
    [ "${1:-}" = "--" ] && shift
    EXTRA=("$@")
    [ "$(id -u)" -eq 0 ] || { echo "$name: needs root (network namespaces, TUN)" >&2; exit 1; }
    [ -x "$SYNACK" ] || { echo "$name: no synack binary at $SYNACK" >&2; exit 1; }
    IPERF3=$(command -v "${IPERF3:-iperf3}") || { echo "$name: needs iperf3 (or IPERF3=path)" >&2; exit 1; }
    IPERF3_VERSION=$("$IPERF3" --version | head -1 | cut -d' ' -f1-2)
    local p
    for p in ip timeout python3; do command -v $p >/dev/null || { echo "$name: needs $p" >&2; exit 1; }; done
}

# p4_up NS_PREFIX [serve options...] : makes both links, starts both servers
# (synack with the options given, then EXTRA) and waits for them; sets NS,
# LOG (synack's output), SYNACK_PID and PIDS, and the exit trap that ends
# them and deletes the namespaces.
p4_up() {
    NS=$1-$$
    shift
    PIDS=()
    trap p4_down EXIT
    trap 'exit 130' INT TERM
    ip netns add "$NS-a" && ip netns add "$NS-b" && ip netns add "$NS-tun" || exit 1
    ip link add p4a netns "$NS-a" type veth peer name p4b netns "$NS-b"
    ip -n "$NS-a" addr add 10.98.0.1/24 dev p4a && ip -n "$NS-a" link set p4a up && ip -n "$NS-a" link set lo up
    ip -n "$NS-b" addr add 10.98.0.2/24 dev p4b && ip -n "$NS-b" link set p4b up && ip -n "$NS-b" link set lo up
    ip netns exec "$NS-b" "$IPERF3" -s -p 5201 >/dev/null 2>&1 &
    PIDS+=($!)
    ip -n "$NS-tun" link set lo up
    ip -n "$NS-tun" tuntap add dev p4t mode tun multi_queue  # one queue per --threads
    ip -n "$NS-tun" addr add 10.99.0.1/24 dev p4t
    ip -n "$NS-tun" link set p4t up
    LOG=$(mktemp /tmp/synack-p4.XXXXXX)
    ip netns exec "$NS-tun" "$SYNACK" serve --tun p4t --addr 10.99.0.2/24 --iperf3 5201 \
        --set rcvbuf=4194304 --set sndbuf=4194304 "$@" "${EXTRA[@]}" >"$LOG" 2>&1 &
    SYNACK_PID=$!
    PIDS+=("$SYNACK_PID")
    for _ in $(seq 50); do grep -q "listening on" "$LOG" && break; sleep 0.1; done
    for _ in $(seq 50); do ip netns exec "$NS-b" ss -Hltn 'sport = :5201' | grep -q . && break; sleep 0.1; done
}

p4_down() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    for n in tun a b; do ip netns del "$NS-$n" 2>/dev/null; done
    rm -f "$LOG"
}
