# lib.sh — shared by the interop tests (sourced, not run).
#
# Each test gets its own network namespace holding one TUN interface:
#
#     kernel (10.77.N.1/24, tun0)  <-- TUN -->  synack (10.77.N.2/24)
#
# Peers are the real programs of Debian packages, run inside the namespace.
# Every process runs under `timeout`, every PID the test starts is recorded
# and killed by PID on exit, and the namespace is deleted, whatever happens.
#
# Skips and failures: outside CI a test that cannot run (not root, no
# /dev/net/tun, a missing program) prints why and exits 77 (CTest: skipped).
# With CI=true the same condition is a failure (exit 1) with the reason.

set -u

SYNACK=${1:?usage: $0 path/to/synack}
SYNACK=$(readlink -f "$SYNACK")
IA_NAME=$(basename "$0" .sh)
IA_PIDS=()
IA_NS=""
IA_TMP=$(mktemp -d "/tmp/synack-${IA_NAME}.XXXXXX")
IA_FAILS=0
PY=$(command -v /usr/bin/python3 || command -v python3 || true)

ia_cannot() {
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $IA_NAME cannot run in CI: $*" >&2
        exit 1
    fi
    echo "SKIP: $IA_NAME: $*" >&2
    exit 77
}

ia_cleanup() {
    local pid
    for pid in "${IA_PIDS[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${IA_PIDS[@]}"; do
        # bounded: a process that ignores TERM gets KILL after 2 s
        for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    [ -n "$IA_NS" ] && ip netns del "$IA_NS" 2>/dev/null
    rm -rf "$IA_TMP"
}
trap ia_cleanup EXIT
trap 'exit 130' INT TERM

# ia_require PROG... : the programs this test needs, besides root and TUN.
ia_require() {
    [ "$(id -u)" -eq 0 ] || ia_cannot "needs root (network namespaces and a TUN interface)"
    [ -c /dev/net/tun ] || ia_cannot "no /dev/net/tun (the TUN driver is missing)"
    local p
    for p in ip timeout "$@"; do
        command -v "$p" >/dev/null 2>&1 || ia_cannot "needs '$p' (see the package list in docs/TUN.md)"
    done
    [ -n "$PY" ] || ia_cannot "needs python3"
}

# ia_netns N : namespace with two TUN interfaces (one process attaches to
# each, so a test can run `synack serve` and a synack client at once):
#   tun0: the kernel is 10.77.N.1, synack 10.77.N.2  (LINK=(--tun tun0 ...))
#   tun1: the kernel is 10.78.N.1, synack 10.78.N.2  (CLINK, KADDR2, SADDR2)
ia_netns() {
    local n=$1
    IA_NS="synack-${IA_NAME}-$$"
    ip netns add "$IA_NS" || ia_cannot "cannot create a network namespace"
    nsx ip link set lo up
    nsx ip tuntap add dev tun0 mode tun || ia_cannot "cannot create a TUN interface in a namespace"
    nsx ip addr add "10.77.$n.1/24" dev tun0
    nsx ip link set tun0 up
    KADDR=10.77.$n.1
    SADDR=10.77.$n.2
    LINK=(--tun tun0 --addr "$SADDR/24")
    nsx ip tuntap add dev tun1 mode tun
    nsx ip addr add "10.78.$n.1/24" dev tun1
    nsx ip link set tun1 up
    KADDR2=10.78.$n.1
    SADDR2=10.78.$n.2
    CLINK=(--tun tun1 --addr "$SADDR2/24")
}

nsx() { ip netns exec "$IA_NS" "$@"; }

# ia_bg SECONDS LOGFILE CMD... : CMD in the namespace, in the background,
# bounded by SECONDS; its PID is in $IA_LAST.
# (timeout --foreground: GNU timeout ignores a second signal otherwise, and
# the tests send synack two.)
ia_bg() {
    local t=$1 log=$2
    shift 2
    ip netns exec "$IA_NS" timeout ${IA_FG:-} "$t" "$@" >"$log" 2>&1 &
    IA_LAST=$!
    IA_PIDS+=("$IA_LAST")
}

# ia_reap PID : waits for PID (started by ia_bg), forgets it; $? is its status.
ia_reap() {
    local pid=$1 rc keep=()
    wait "$pid"
    rc=$?
    for p in "${IA_PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    IA_PIDS=("${keep[@]}")
    return $rc
}

# ia_wait_log FILE TEXT [SECONDS] [COUNT] : until FILE contains TEXT on
# more than COUNT lines (0: at least once). A log that already holds earlier
# matches (one line per test, say) passes the count seen before the event.
ia_wait_log() {
    local f=$1 text=$2 t=${3:-5} n=${4:-0}
    for _ in $(seq $((t * 20))); do
        [ "$(grep -c -- "$text" "$f" 2>/dev/null)" -gt "$n" ] && return 0
        sleep 0.05
    done
    echo "--- $f:" >&2
    cat "$f" >&2
    return 1
}

# ia_wait_port PORT : until the kernel listens on PORT in the namespace.
ia_wait_port() {
    for _ in $(seq 100); do
        nsx ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
        sleep 0.05
    done
    return 1
}

# ia_serve ARGS... : `synack serve` on the link, waits until it listens.
ia_serve() {
    IA_FG=--foreground ia_bg "${IA_SERVE_TIMEOUT:-120}" "$IA_TMP/serve.log" "$SYNACK" serve "${LINK[@]}" "$@"
    IA_SERVE=$IA_LAST
    ia_wait_log "$IA_TMP/serve.log" "listening on" 5 || { echo "synack serve did not start" >&2; exit 1; }
}

ok() { echo "ok   $*"; }
bad() {
    echo "FAIL $*" >&2
    IA_FAILS=$((IA_FAILS + 1))
}
# check DESCRIPTION CMD... : runs CMD, ok or FAIL.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
ia_done() {
    if [ "$IA_FAILS" -ne 0 ]; then
        echo "$IA_NAME: $IA_FAILS check(s) failed" >&2
        exit 1
    fi
    echo "$IA_NAME: all checks passed"
    exit 0
}

sha() { sha256sum "$1" | cut -d' ' -f1; }
# ia_iperf3 NAME SECS RUN ARGS... : iperf3 -c synack ($SADDR, port 5201) ARGS,
# run by RUN (nsx, or a script's own namespace runner) under a SECS timeout;
# its JSON report in $IA_TMP/NAME.json, its stderr in $IA_TMP/NAME.err
ia_iperf3() {
    local name=$1 secs=$2 run=$3
    shift 3
    "$run" timeout "$secs" iperf3 -c "$SADDR" -p 5201 -J "$@" >"$IA_TMP/$name.json" 2>"$IA_TMP/$name.err"
}
# field NAME EXPR : a Python expression on the iperf3 report j of NAME
field() {
    # a report that is not JSON, or an expression that fails, says why on stderr
    "$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$IA_TMP/$1.json" "$2" \
        2> >(sed "s/^/field $1: /" >&2)
}
now_ms() { date +%s%3N; }

# The pattern of `synack serve --source` and `synack bulk`: byte i is i mod 251.
IA_PATTERN_PY='
import sys, socket, hashlib
def chunk():
    return bytes(range(251)) * 261          # 65511 bytes, a whole number of periods
def pattern_sha(n):
    h, c, left = hashlib.sha256(), chunk(), n
    while left:
        k = min(left, len(c)); h.update(c[:k]); left -= k
    return h.hexdigest()
cmd = sys.argv[1]
if cmd == "sha":
    print(pattern_sha(int(sys.argv[2])))
elif cmd == "source":      # source HOST PORT N [rst_after]: serve N pattern bytes once
    host, port, n = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rst_after = int(sys.argv[5]) if len(sys.argv) > 5 else -1
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port)); ls.listen(1)
    print("ready", flush=True)
    s, _ = ls.accept()
    c, sent = chunk(), 0
    while sent < n:
        if rst_after >= 0 and sent >= rst_after:
            import struct
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close(); print("reset after", sent, flush=True); sys.exit(0)
        k = min(n - sent, len(c)); s.sendall(c[:k]); sent += k
    s.shutdown(socket.SHUT_WR)
    while s.recv(65536): pass
    s.close(); print("sent", sent, flush=True)
'
pattern() { "$PY" -c "$IA_PATTERN_PY" "$@"; }

# ia_tcp_counter NAME : the namespace's Tcp counter NAME (/proc/net/snmp).
ia_tcp_counter() {
    nsx awk -v f="$1" '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c[f] }' /proc/net/snmp
}

# ia_hello_pair NAME PORT TARGET SERVER_CMD... -- CLIENT_CMD... : the
# tutorial's programs once: the server (with --port PORT) in the background
# until it says "listening on port PORT", then the client (with TARGET).
# Checks: both exit 0, the client prints exactly "Message from server:
# Hello, Client!", and the kernel neither sent nor took a reset meanwhile
# (each side finished its FIN exchange before going away).
ia_hello_pair() {
    local name=$1 port=$2 target=$3 slog="$IA_TMP/$1.server.log"
    local out="$IA_TMP/$1.client.out" cerr="$IA_TMP/$1.client.err" spid rc src rst0 rst1
    local expect="Message from server: Hello, Client!" scmd=()
    shift 3
    while [ "$1" != -- ]; do scmd+=("$1"); shift; done
    shift
    rst0=$(( $(ia_tcp_counter OutRsts) + $(ia_tcp_counter EstabResets) ))
    ia_bg 30 "$slog" "${scmd[@]}" --port "$port"
    spid=$IA_LAST
    if ! ia_wait_log "$slog" "listening on port $port" 5; then
        bad "$name: the server did not start"
        return
    fi
    nsx timeout 20 "$@" "$target" >"$out" 2>"$cerr"
    rc=$?
    ia_reap "$spid"
    src=$?
    rst1=$(( $(ia_tcp_counter OutRsts) + $(ia_tcp_counter EstabResets) ))
    check "$name: client exit 0 (got $rc)" [ "$rc" = 0 ]
    check "$name: server exit 0 (got $src)" [ "$src" = 0 ]
    check "$name: the kernel sent or took no reset ($((rst1 - rst0)))" [ "$rst1" = "$rst0" ]
    if [ "$(cat "$out")" = "$expect" ]; then
        ok "$name: client printed '$expect'"
    else
        bad "$name: client printed '$(cat "$out")'"
        echo "--- client stderr:" >&2; cat "$cerr" >&2
        echo "--- server log:" >&2; cat "$slog" >&2
    fi
}
