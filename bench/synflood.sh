#!/usr/bin/env bash
# synflood.sh — a SYN flood against `synack serve --http` during a download:
# COUNT (1,000,000) spoofed SYNs (bench/synflood.c, random sources in the
# TUN's /24 and random ports) arrive while curl downloads SIZE_MB (200) MB
# from synack over the same TUN. Reports whether the download is
# byte-exact, its time against the same download without the flood, and
# serve's resident memory idle, with the listener up, and at its peak
# during the flood (sampled every 100 ms), plus serve's counters.
#
#   sudo [SERVE_ARGS="--set NAME=VALUE ..."] bench/synflood.sh [path/to/synack] [COUNT] [SIZE_MB]
#
# Everything runs in a network namespace created and deleted here.
set -u
SYNACK=$(readlink -f "${1:-build/synack}")
COUNT=${2:-1000000}
SIZE_MB=${3:-200}
[ "$(id -u)" -eq 0 ] || { echo "synflood: needs root (network namespace, TUN)" >&2; exit 1; }
[ -x "$SYNACK" ] || { echo "synflood: no synack binary at $SYNACK" >&2; exit 1; }
for p in curl cc ip sha256sum; do command -v $p >/dev/null || { echo "synflood: needs $p" >&2; exit 1; }; done
NS=synack-flood-$$
TMP=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cc -O2 -o "$TMP/synflood" "$(dirname "$0")/synflood.c" || exit 1
nsx() { ip netns exec "$NS" "$@"; }
ip netns add "$NS"
nsx ip link set lo up
nsx ip tuntap add dev tun0 mode tun
nsx ip addr add 10.91.0.1/24 dev tun0
nsx ip link set tun0 up
mkdir -p "$TMP/www"
head -c $((SIZE_MB * 1000000)) /dev/urandom >"$TMP/www/big.bin"
want=$(sha256sum "$TMP/www/big.bin" | cut -d' ' -f1)
ip netns exec "$NS" "$SYNACK" serve --tun tun0 --addr 10.91.0.2/24 --http 80:"$TMP/www" --stats ${SERVE_ARGS:-} >"$TMP/serve.log" 2>&1 &
SPID=$!
PIDS+=("$SPID")
for _ in $(seq 100); do grep -q "listening on" "$TMP/serve.log" && break; sleep 0.05; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$SPID/status"; }
echo "serve: pid $SPID ($(cat /proc/$SPID/comm))"
sleep 0.5
idle=$(rss)
# The reference: the same download without a flood.
t0=$(date +%s.%N)
nsx curl -s -o "$TMP/ref.bin" "http://10.91.0.2/big.bin"
t1=$(date +%s.%N)
after_ref=$(rss)
# Peak memory sampled while the flood and the download run.
( peak=0; while kill -0 "$SPID" 2>/dev/null; do r=$(rss); [ -n "$r" ] && [ "$r" -gt "$peak" ] && peak=$r && echo "$peak" >"$TMP/peak"; sleep 0.1; done ) &
PIDS+=($!)
t2=$(date +%s.%N)
nsx curl -s -o "$TMP/got.bin" "http://10.91.0.2/big.bin" &
CPID=$!
nsx "$TMP/synflood" 10.91.0.2 80 10.91.0.0/24 "$COUNT" >"$TMP/flood.txt"
t_flood=$(date +%s.%N)
wait "$CPID"
crc=$?
t3=$(date +%s.%N)
got=$(sha256sum "$TMP/got.bin" | cut -d' ' -f1)
sleep 0.3
peak=$(cat "$TMP/peak" 2>/dev/null || echo 0)
kill -TERM "$SPID"; wait "$SPID" 2>/dev/null
echo "synack serve RSS: idle ${idle} KB, after a plain download ${after_ref} KB, peak during flood ${peak} KB (ratio $(awk -v a="$peak" -v b="$idle" 'BEGIN{printf "%.2f", a/b}') of idle)"
cat "$TMP/flood.txt"
echo "flood lasted $(awk -v a="$t2" -v b="$t_flood" 'BEGIN{printf "%.1f", b-a}') s"
echo "download without flood: $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s; during the flood: $(awk -v a="$t2" -v b="$t3" 'BEGIN{printf "%.2f", b-a}') s (curl exit $crc)"
[ "$got" = "$want" ] && echo "download byte-exact ($SIZE_MB MB, sha256 equal)" || echo "download DIFFERS (sha256 $got, want $want)"
echo "--- serve's counters at exit:"
grep -iE "cookie|InSegs|OutSegs|drop|overflow|PassiveOpens|RetransSegs|InErrs|Estab" "$TMP/serve.log" | head -30
