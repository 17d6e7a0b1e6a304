#!/usr/bin/env bash
# pcap_writers.sh SYNACK LIBSYNACK_SO WITH_LIBPCAP — the capture writers:
#   1. the build writes with libpcap when it was found (WITH_LIBPCAP=1: the
#      library is linked with libpcap.so); under CI=true it must be (.ci/run
#      installs libpcap-dev);
#   2. `synack lab --pcap` gives the same bytes with libpcap and with the
#      hand-written fallback (SYNACK_PCAP_WRITER=builtin), for a lossy run of
#      a few hundred segments, and tshark (when present) reads the file.
set -u
SYNACK=$1 SO=$2 WITH=$3
FAILS=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; FAILS=$((FAILS + 1)); }
TMP=$(mktemp -d /tmp/synack-pcapw.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
if [ "$WITH" = 1 ]; then
    if ldd "$SO" | grep -q 'libpcap\.so'; then ok "libsynack.so writes captures with libpcap"; else bad "libsynack.so is not linked with libpcap"; fi
elif [ "${CI:-}" = true ]; then
    bad "libpcap was not found at configure time (Debian: libpcap-dev; .ci/run installs it)"
else
    echo "note: built without libpcap: only the hand-written writer is checked"
fi
"$SYNACK" lab --loss 0.1 --seed 3 --bytes 300000 --quiet --pcap "$TMP/a.pcap" >/dev/null 2>&1
SYNACK_PCAP_WRITER=builtin "$SYNACK" lab --loss 0.1 --seed 3 --bytes 300000 --quiet --pcap "$TMP/b.pcap" >/dev/null 2>&1
n=$(( $(stat -c %s "$TMP/b.pcap" 2>/dev/null || echo 0) ))
if [ "$n" -gt 100000 ] && cmp -s "$TMP/a.pcap" "$TMP/b.pcap"; then
    ok "the default and the hand-written writer give the same $n bytes"
else
    bad "the writers differ (or wrote nothing: $n bytes)"
fi
if command -v tshark >/dev/null; then
    c=$(tshark -r "$TMP/a.pcap" 2>/dev/null | wc -l)
    if [ "$c" -gt 100 ]; then ok "tshark reads $c packets"; else bad "tshark read $c packets"; fi
fi
[ "$FAILS" -eq 0 ] || exit 1
echo "pcap_writers: all checks passed"
