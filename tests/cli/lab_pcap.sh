#!/usr/bin/env bash
# `synack lab --pcap` writes a capture that tshark reads without malformed
# packets, showing SYN, SYN/ACK, ACK, data, FIN/ACK, ACK, FIN/ACK, ACK with
# Wireshark's relative sequence numbers.
set -euo pipefail
synack=$1
if ! command -v tshark >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then echo "FAIL: tshark is not installed (CI must install it)"; exit 1; fi
  echo "skip: tshark not installed"; exit 77
fi
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
"$synack" lab --pcap "$dir/x.pcap" > "$dir/ladder.txt"
grep -q "capture written to" "$dir/ladder.txt"
tshark -r "$dir/x.pcap" -o tcp.relative_sequence_numbers:TRUE \
  -T fields -e tcp.flags.str -e tcp.seq -e tcp.ack -e tcp.len 2>/dev/null \
  | sed 's/[^A-Z0-9\t]//g' > "$dir/got.txt"
# SYN, SYN/ACK, ACK, request, its ACK, answer, its ACK (both at once: Linux's
# quickack mode at the start of a connection), FIN/ACK, FIN/ACK (the ACK of
# the FIN waits, as on Linux, and rides on the server's FIN), ACK.
printf 'S\t0\t0\t0\nAS\t0\t1\t0\nA\t1\t1\t0\nAP\t1\t1\t18\nA\t1\t19\t0\nAP\t1\t19\t14\nA\t19\t15\t0\nAF\t19\t15\t0\nAF\t15\t20\t0\nA\t20\t16\t0\n' > "$dir/want.txt"
if ! diff -u "$dir/want.txt" "$dir/got.txt"; then echo "FAIL: tshark shows a different segment sequence"; exit 1; fi
# No malformed packets and no expert errors (checksums verified too).
tshark -r "$dir/x.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE -z expert,error 2>/dev/null > "$dir/expert.txt"
if grep -qi "malformed" "$dir/expert.txt"; then cat "$dir/expert.txt"; echo "FAIL: malformed packets"; exit 1; fi
if grep -q "Errors (" "$dir/expert.txt"; then cat "$dir/expert.txt"; echo "FAIL: expert errors"; exit 1; fi
# A lossy run's capture is well formed too. Its payload is a binary pattern
# on port 80, which Wireshark's HTTP dissector would call a malformed HTTP
# "continuation": HTTP is switched off so that IP and TCP are what is judged.
"$synack" lab --quiet --loss 0.2 --seed 7 --bytes 200000 --pcap "$dir/y.pcap" > /dev/null
tshark -r "$dir/y.pcap" --disable-protocol http -o tcp.check_checksum:TRUE -z expert,error 2>/dev/null > "$dir/expert2.txt"
if grep -qi "malformed" "$dir/expert2.txt"; then echo "FAIL: malformed packets in the lossy capture"; exit 1; fi
echo "ok: tshark reads $(wc -l < "$dir/got.txt") segments as expected"
