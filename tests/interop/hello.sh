#!/usr/bin/env bash
# The tutorial's programs over TUN: examples/hello_server.c and hello_client.c
# (synack's blocking API on a TUN interface) against kernel_hello_server.c and
# kernel_hello_client.c (the same programs on the kernel's sockets), in all
# four pairings. Each client must print exactly
# "Message from server: Hello, Client!" and both programs must exit 0.
#   1. synack server (tun0)  <- kernel client
#   2. kernel server         <- synack client (tun1)
#   3. synack server (tun0)  <- synack client (tun1), the kernel forwarding
#      between its two TUN interfaces
#   4. kernel server         <- kernel client (the reference)
# Then the programs' errors (bad address, no interface, the kernel's own
# address, a refused connection, no CAP_NET_ADMIN), and `synack serve
# --set` / `--list-tunables`.
# The examples are built next to the synack binary given as $1.
. "$(dirname "$0")/lib.sh"
ia_require
BIN=$(dirname "$SYNACK")
for p in hello_server hello_client kernel_hello_server kernel_hello_client; do
    [ -x "$BIN/$p" ] || ia_cannot "needs the example $BIN/$p (build the project's examples)"
done
ia_netns 5
# Pairing 3 crosses from tun1 to tun0 through the kernel.
nsx sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' || bad "cannot enable forwarding in the namespace"

# pair NAME SERVER_KIND PORT CLIENT_KIND TARGET
#   SERVER_KIND: synack (on tun0) or kernel; CLIENT_KIND: synack (on tun1) or kernel
pair() {
    local server=("$BIN/kernel_hello_server") client=("$BIN/kernel_hello_client")
    [ "$2" = synack ] && server=("$BIN/hello_server" "${LINK[@]}")
    [ "$4" = synack ] && client=("$BIN/hello_client" "${CLINK[@]}")
    ia_hello_pair "$1" "$3" "$5" "${server[@]}" -- "${client[@]}"
}

pair "synack server, kernel client" synack 8080 kernel "$SADDR:8080"
pair "kernel server, synack client" kernel 8081 synack "$KADDR2:8081"
pair "synack server, synack client" synack 8082 synack "$SADDR:8082"
pair "kernel server, kernel client" kernel 8083 kernel "$KADDR:8083"

# Errors: each names the argument and what to do.
# expect_err NAME STATUS TEXT CMD... : CMD exits STATUS and says TEXT.
expect_err() {
    local name=$1 want=$2 text=$3 err rc
    shift 3
    err=$(nsx timeout 10 "$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" = "$want" ] && grep -qF -- "$text" <<<"$err"; then
        ok "$name: exit $rc, '$text'"
    else
        bad "$name: exit $rc (want $want), said: $err"
    fi
}
expect_err "hello_server, bad --addr" 2 "expected a unicast IPv4 address" \
    "$BIN/hello_server" --tun tun0 --addr 10.0.0.300/24
expect_err "hello_server, no such interface" 1 "no such interface" \
    "$BIN/hello_server" --tun tunx9 --addr "$SADDR/24"
expect_err "hello_server, no --addr" 2 "--addr A/PREFIX is required" \
    "$BIN/hello_server" --tun tun0
expect_err "hello_client, the kernel's own address" 1 "the kernel's own address" \
    "$BIN/hello_client" --tun tun1 --addr "$KADDR2/24" "$KADDR2:8080"
expect_err "hello_client, bad HOST:PORT" 2 "not an IPv4 address" \
    "$BIN/hello_client" "${CLINK[@]}" "localhost:8080"
expect_err "hello_client, nothing listening" 1 "connection failed: connection refused" \
    "$BIN/hello_client" "${CLINK[@]}" "$KADDR2:9"
expect_err "kernel_hello_client, nothing listening" 1 "connection failed" \
    "$BIN/kernel_hello_client" "$KADDR2:9"
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    expect_err "hello_server without CAP_NET_ADMIN" 1 "CAP_NET_ADMIN" \
        setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        "$BIN/hello_server" --tun tunx9 --create --addr "$SADDR/24"
fi

# Stack tunables on the command line of the TUN subcommands.
expect_err "synack serve --set bogus=1" 2 "--set bogus=1: unknown tunable 'bogus'" \
    "$SYNACK" serve "${LINK[@]}" --echo 7 --set bogus=1
expect_err "synack connect --set syn_retries=300" 2 "is not a number from 0 to 255" \
    "$SYNACK" connect "${CLINK[@]}" --set syn_retries=300 "$KADDR2:9"
expect_err "synack bulk --set rto_min_ms above rto_max_ms" 2 "do not fit together" \
    "$SYNACK" bulk "${CLINK[@]}" --set rto_min_ms=5000 --set rto_max_ms=4000 "$KADDR2:9" --bytes 1
list=$("$SYNACK" get --set net.ipv4.tcp_syn_retries=2 --list-tunables 2>&1)
rc=$?
[ "$rc" = 0 ] && grep -Eq '^ +syn_retries +2 ' <<<"$list" && grep -Eq '^ +timestamps +1 ' <<<"$list"
check "synack get --set net.ipv4.tcp_syn_retries=2 --list-tunables: exit 0, shows 2" [ $? = 0 ]
# A tunable that acts: with syn_retries=1 and a 200 ms initial RTO, a SYN
# into the void (10.77.5.99 is on tun0, where no process is attached now:
# the kernel drops what it routes there) fails after 200 + 400 ms instead
# of about two minutes.
t0=$(now_ms)
nsx timeout 20 "$SYNACK" connect "${CLINK[@]}" --gateway "$KADDR2" --set syn_retries=1 \
    --set rto_initial_ms=200 "${SADDR%.*}.99:9" </dev/null >/dev/null 2>"$IA_TMP/syn.log"
rc=$?
dt=$(($(now_ms) - t0))
if [ "$rc" != 0 ] && grep -q "timed out" "$IA_TMP/syn.log" && [ "$dt" -lt 5000 ]; then
    ok "synack connect --set syn_retries=1 --set rto_initial_ms=200: timed out after $dt ms"
else
    bad "synack connect --set syn_retries=1: exit $rc after $dt ms: $(cat "$IA_TMP/syn.log")"
fi
ia_done
