#!/usr/bin/env bash
# tun_bench.sh — throughput of `synack bulk` against the Linux stack over a
# TUN interface, both directions, with kernel-to-kernel over a veth pair as
# the reference measured in the same run.
#
#   sudo bench/tun_bench.sh [path/to/synack] [BYTES] [RUNS]
#
# Each figure is the best of RUNS (3) transfers of BYTES (100 MB), timed
# from the start of the sending or receiving program to its exit (so
# connection set-up and teardown are included, the same way for every row).
# Everything runs in network namespaces created and deleted here.
set -u
SYNACK=$(readlink -f "${1:-build/synack}")
N=${2:-100000000}
RUNS=${3:-3}
[ "$(id -u)" -eq 0 ] || { echo "tun_bench: needs root (network namespaces, TUN)" >&2; exit 1; }
[ -x "$SYNACK" ] || { echo "tun_bench: no synack binary at $SYNACK" >&2; exit 1; }
PY=$(command -v /usr/bin/python3 || command -v python3)
for p in socat ip timeout; do command -v $p >/dev/null || { echo "tun_bench: needs $p" >&2; exit 1; }; done

T=synack-bench-$$
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$T-tun" 2>/dev/null
    ip netns del "$T-a" 2>/dev/null
    ip netns del "$T-b" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SRC_PY='
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, port)); ls.listen(1)
c = bytes(range(251)) * 261
while True:
    s, _ = ls.accept(); sent = 0
    while sent < n:
        k = min(n - sent, len(c)); s.sendall(c[:k]); sent += k
    s.close()
'
SEND_PY='
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
c = bytes(range(251)) * 261; n = int(sys.argv[3]); sent = 0
while sent < n:
    k = min(n - sent, len(c)); s.sendall(c[:k]); sent += k
s.shutdown(socket.SHUT_WR)
while s.recv(65536): pass
'
ms() { date +%s%N | cut -c1-13; }
# best NS CMD... : the best wall time in ms over RUNS runs
best() {
    local b=999999999 t0 t1 d
    for _ in $(seq "$RUNS"); do
        t0=$(ms)
        ip netns exec "$@" >/dev/null 2>&1 || { echo "run failed: $*" >&2; echo 0; return; }
        t1=$(ms)
        d=$((t1 - t0))
        [ $d -lt $b ] && b=$d
    done
    echo $b
}
mbits() { awk -v n="$N" -v ms="$1" 'BEGIN { if (ms <= 0) print "n/a"; else printf "%.0f", n * 8 / (ms / 1000) / 1e6 }'; }

# --- synack over TUN
ip netns add "$T-tun"
ip netns exec "$T-tun" ip link set lo up
ip netns exec "$T-tun" ip tuntap add dev tun0 mode tun
ip netns exec "$T-tun" ip addr add 10.99.0.1/24 dev tun0
ip netns exec "$T-tun" ip link set tun0 up
ip netns exec "$T-tun" timeout 600 socat -u TCP-LISTEN:5001,reuseaddr,fork OPEN:/dev/null &
PIDS+=($!)
ip netns exec "$T-tun" timeout 600 "$PY" -c "$SRC_PY" 10.99.0.1 5002 "$N" &
PIDS+=($!)
sleep 0.5
LINK="--tun tun0 --addr 10.99.0.2/24"
s_send=$(best "$T-tun" timeout 120 "$SYNACK" bulk $LINK 10.99.0.1:5001 --bytes "$N")
s_recv=$(best "$T-tun" timeout 120 "$SYNACK" bulk $LINK 10.99.0.1:5002 --bytes "$N" --reverse)

# --- kernel to kernel over veth
ip netns add "$T-a"
ip netns add "$T-b"
VA=sbva$$ VB=sbvb$$
# created inside a namespace, so nothing ever appears in the host's
ip netns exec "$T-a" ip link add "$VA" type veth peer name "$VB" netns "$T-b"
ip netns exec "$T-a" ip addr add 10.98.0.1/24 dev "$VA"
ip netns exec "$T-b" ip addr add 10.98.0.2/24 dev "$VB"
ip netns exec "$T-a" ip link set "$VA" up
ip netns exec "$T-b" ip link set "$VB" up
ip netns exec "$T-a" timeout 600 socat -u TCP-LISTEN:5001,reuseaddr,fork OPEN:/dev/null &
PIDS+=($!)
ip netns exec "$T-a" timeout 600 "$PY" -c "$SRC_PY" 10.98.0.1 5002 "$N" &
PIDS+=($!)
sleep 0.5
k_send=$(best "$T-b" timeout 120 "$PY" -c "$SEND_PY" 10.98.0.1 5001 "$N")
k_recv=$(best "$T-b" timeout 120 socat -u TCP:10.98.0.1:5002 OPEN:/dev/null)

# synack's throughput over the kernel's: kernel time / synack time
ratio() { awk -v k="$1" -v s="$2" 'BEGIN { if (k <= 0 || s <= 0) print "n/a"; else printf "%.2f", k / s }'; }
echo "tun_bench: $N bytes, best of $RUNS, $(nproc) CPUs, $(uname -r)"
printf "%-44s %8s %10s\n" "transfer" "ms" "Mbit/s"
printf "%-44s %8s %10s\n" "synack -> kernel over TUN (synack bulk)" "$s_send" "$(mbits "$s_send")"
printf "%-44s %8s %10s\n" "kernel -> synack over TUN (bulk --reverse)" "$s_recv" "$(mbits "$s_recv")"
printf "%-44s %8s %10s\n" "kernel -> kernel over veth (python -> socat)" "$k_send" "$(mbits "$k_send")"
printf "%-44s %8s %10s\n" "kernel -> kernel over veth (socat <- python)" "$k_recv" "$(mbits "$k_recv")"
echo "ratio, synack sending / kernel reference:   $(ratio "$k_send" "$s_send")"
echo "ratio, synack receiving / kernel reference: $(ratio "$k_recv" "$s_recv")"
