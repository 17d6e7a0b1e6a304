#!/usr/bin/env bash
# Runs synack's protocol scripts against the Linux kernel with packetdrill,
# each in a network namespace of its own (created and destroyed here), with
# the namespace's sysctls set to synack's documented defaults so that a
# failure is a difference in behaviour, not in configuration.
#
# usage: run_on_linux.sh PACKETDRILL SCRIPT.pkt [SCRIPT.pkt ...]
# Prints PASS/FAIL/SKIP per script; exit 0 when nothing failed, 77 when
# packetdrill cannot run here (not root, no /dev/net/tun, no unshare) and
# CI is not set, 1 otherwise. Scripts whose header says "// synack-only:"
# are SKIPped with the reason given there.
set -u
pd=$(realpath "${1:?usage: run_on_linux.sh PACKETDRILL SCRIPT.pkt...}")
shift
cannot() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $1 (CI=true: this test must run)"; exit 1; fi
  echo "SKIP: $1"; exit 77
}
[ -x "$pd" ] || cannot "packetdrill not built ($pd)"
[ "$(id -u)" -eq 0 ] || cannot "needs root for network namespaces and a TUN device"
[ -c /dev/net/tun ] || cannot "no /dev/net/tun"
command -v unshare >/dev/null || cannot "no unshare(1)"

# synack's defaults (include/synack/synack.h) in sysctl form. Linux counts half
# of buffer memory as window: synack's 64 KB buffers are tcp_rmem/tcp_wmem 128 KB.
# Features synack does not have are switched off so they cannot explain a
# difference: Fast Open, autocorking, metrics caching. ECN is Linux's and
# synack's default, tcp_ecn=2 (accept when asked, never ask). RACK, tail-loss
# probes and F-RTO are on, as in synack. The namespace's congestion control
# is reno: a namespace may only choose an algorithm from the host's allowed
# list, which need not hold cubic (synack's default), so the scripts that
# depend on CUBIC choose it with setsockopt(TCP_CONGESTION).
settings='
sysctl -qw net.ipv4.tcp_rmem="4096 131072 6291456"
sysctl -qw net.ipv4.tcp_wmem="4096 131072 4194304"
sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1
sysctl -qw net.ipv4.tcp_syn_retries=6 net.ipv4.tcp_synack_retries=5 net.ipv4.tcp_retries2=15
sysctl -qw net.ipv4.tcp_fin_timeout=60 net.ipv4.tcp_keepalive_time=7200
sysctl -qw net.ipv4.tcp_keepalive_intvl=75 net.ipv4.tcp_keepalive_probes=9
sysctl -qw net.ipv4.tcp_ecn=2 net.ipv4.tcp_fastopen=0 net.ipv4.tcp_early_retrans=3
sysctl -qw net.ipv4.tcp_recovery=1 net.ipv4.tcp_frto=2 net.ipv4.tcp_autocorking=0
sysctl -qw net.ipv4.tcp_no_metrics_save=1 net.ipv4.tcp_congestion_control=reno
sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_slow_start_after_idle=1
sysctl -qw net.ipv4.tcp_dsack=1 net.ipv4.tcp_tw_reuse=2 net.ipv4.tcp_rfc1337=0
sysctl -qw net.ipv4.tcp_min_tso_segs=2 net.ipv4.tcp_syn_linear_timeouts=4 2>/dev/null || true
'
# Scripts mostly wait on timers, so they run side by side (each in its own
# namespace), at most $JOBS at a time (default 8).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run_one() {
  local pkt=$1 name out
  name=$(basename "$pkt")
  only=$(sed -n '1,/^[^\/]/s|^// *synack-only: *||p' "$pkt" | head -1)
  if [ -n "$only" ]; then
    echo "SKIP $name: synack-only: $only" > "$tmp/$name.res"; return
  fi
  if out=$(cd "$(dirname "$pkt")" && unshare -n bash -c "ip link set lo up; $settings
        exec timeout 300 \"$pd\" --tolerance_usecs=10000 \"$name\"" 2>&1); then
    echo "PASS $name" > "$tmp/$name.res"
  else
    { echo "FAIL $name"; echo "$out" | grep -v '^$' | sed 's/^/    /' | head -12; } > "$tmp/$name.res"
  fi
}
jobs_max=${JOBS:-8}
for pkt in "$@"; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  run_one "$pkt" &
done
wait
# A script that failed while others ran beside it runs once more alone:
# packetdrill's timing tolerance (10 ms) is tighter than a loaded machine's
# scheduling, and a real difference fails both times.
for pkt in "$@"; do
  res="$tmp/$(basename "$pkt").res"
  if [ "$(head -1 "$res" | cut -d' ' -f1)" = FAIL ]; then
    mv "$res" "$res.first"
    run_one "$pkt"
    [ "$(head -1 "$res" | cut -d' ' -f1)" = PASS ] && sed -i '1s/$/ (on the second run, alone; the first, beside others, failed)/' "$res"
  fi
done
for pkt in "$@"; do cat "$tmp/$(basename "$pkt").res"; done
# LINUX_KNOWN: differences not yet resolved, one "SCRIPT.pkt reason" a line
# (docs/LINUX-FIDELITY.md); such a failure is reported but does not fail
# the run, and a listed script that passes is reported for removal.
known=${LINUX_KNOWN:-/dev/null}
pass=0 fail=0 skip=0 knownfail=0
for pkt in "$@"; do
  name=$(basename "$pkt")
  res=$(head -1 "$tmp/$name.res" | cut -d' ' -f1)
  listed=$(grep -m1 "^$name " "$known" 2>/dev/null)
  case $res in
    PASS) pass=$((pass + 1)); [ -n "$listed" ] && echo "NOW PASSES on Linux: remove $name from $(basename "$known")" ;;
    SKIP) skip=$((skip + 1)) ;;
    FAIL) if [ -n "$listed" ]; then knownfail=$((knownfail + 1)); else fail=$((fail + 1)); echo "NEW DIFFERENCE: $name"; fi ;;
  esac
done
echo "linux: $pass passed, $knownfail known differences, $fail new differences, $skip synack-only"
[ "$fail" -eq 0 ]
