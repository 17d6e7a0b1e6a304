#!/usr/bin/env bash
# `synack trace` on the kernel captures of tests/vectors/trace/ and on a
# `synack lab --pcap` capture: ladders, inferred states, analysis marks, and
# clear errors (with the file offset) for malformed captures. Everything is
# checked with both capture readers (libpcap's, when built in, and synack's
# own: SYNACK_PCAP_READER=builtin), whose outputs must also be identical.
set -euo pipefail
synack=$1
vectors=$2
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT

fail() { echo "FAIL: $*"; exit 1; }
expect() { # file pattern
    grep -qF -- "$2" "$1" || { cat "$1"; fail "'$2' not in the output"; }
}

for reader in builtin libpcap; do
    export SYNACK_PCAP_READER=$reader
    for f in kernel_basic.pcap kernel_basic.pcapng kernel_basic_ns_be.pcap kernel_sll.pcap kernel_sll2.pcap; do
        "$synack" trace "$vectors/$f" > "$dir/out.txt" || fail "synack trace $f exited $?"
        expect "$dir/out.txt" "28 TCP segments in 4 connections"
        expect "$dir/out.txt" "states at the end of the capture: client TIME_WAIT, server CLOSED"
        expect "$dir/out.txt" "states at the end of the capture: client CLOSED, server TIME_WAIT"
        expect "$dir/out.txt" "--- SYN seq=0 ack=0 len=0 win=64240 mss=1460 ws=10 sackOK"
        expect "$dir/out.txt" "(port numbers reused)"
        expect "$dir/out.txt" "marks: 1 resets"
    done
    "$synack" trace "$vectors/kernel_zerowin.pcap" > "$dir/zw.txt"
    expect "$dir/zw.txt" "(zero window)"
    expect "$dir/zw.txt" "(window update)"
    expect "$dir/zw.txt" "marks: 3 zero windows, 2 window updates, 27 window full, 2 keep-alives"
    "$synack" trace "$vectors/kernel_keepalive.pcap" > "$dir/ka.txt"
    expect "$dir/ka.txt" "marks: 2 keep-alives, 2 keep-alive ACKs"
    "$synack" trace "$vectors/kernel_loss.pcap" > "$dir/loss.txt"
    expect "$dir/loss.txt" "(dup ack #3)"
    expect "$dir/loss.txt" "(fast retransmission)"
    expect "$dir/loss.txt" "marks: 1 fast retransmissions, 4 duplicate ACKs, 1 resets"

    # synack's own capture (raw IPv4) reads back with the lab's numbers.
    "$synack" lab --pcap "$dir/lab.pcap" > "$dir/lab.txt"
    "$synack" trace "$dir/lab.pcap" > "$dir/labtrace.txt"
    expect "$dir/labtrace.txt" "in 1 connection"
    expect "$dir/labtrace.txt" "client 10.0.0.1:"
    expect "$dir/labtrace.txt" "--- PSH|ACK seq=1 ack=1 len=18"
    expect "$dir/labtrace.txt" "client TIME_WAIT, server CLOSED"
    "$synack" trace --absolute --quiet "$dir/lab.pcap" > "$dir/q.txt"
    expect "$dir/q.txt" "client TIME_WAIT, server CLOSED"

    # Malformed captures: exit 1 with the offset, never a crash.
    head -c 100 "$vectors/kernel_basic.pcap" > "$dir/cut.pcap"
    set +e
    "$synack" trace "$dir/cut.pcap" > /dev/null 2> "$dir/err.txt"; rc=$?
    set -e
    [ "$rc" = 1 ] || fail "a cut capture exits $rc"
    expect "$dir/err.txt" "truncated"
    expect "$dir/err.txt" "at offset"
    printf 'garbage!' > "$dir/junk.pcap"
    if "$synack" trace "$dir/junk.pcap" 2> "$dir/err2.txt" > /dev/null; then fail "junk accepted"; fi
    expect "$dir/err2.txt" "not a pcap or pcapng file"
    if "$synack" trace "$dir/missing.pcap" 2> "$dir/err3.txt" > /dev/null; then fail "missing file accepted"; fi
    expect "$dir/err3.txt" "No such file"
    # Not a capture at all: refused after its first bytes (timeout only guards a hang).
    set +e
    timeout 20 "$synack" trace /dev/zero > /dev/null 2> "$dir/err4.txt"; rc=$?
    set -e
    [ "$rc" = 1 ] || fail "trace /dev/zero exits $rc (124: it read on and on)"
    expect "$dir/err4.txt" "not a pcap or pcapng file"
    mkdir -p "$dir/adir"
    if "$synack" trace "$dir/adir" 2> "$dir/err5.txt" > /dev/null; then fail "a directory accepted"; fi
    expect "$dir/err5.txt" "Is a directory"
done
# Both readers print the same, byte for byte.
for f in "$vectors"/*.pcap "$vectors"/*.pcapng; do
    SYNACK_PCAP_READER=builtin "$synack" trace "$f" > "$dir/b.txt"
    SYNACK_PCAP_READER=libpcap "$synack" trace "$f" > "$dir/l.txt"
    cmp -s "$dir/b.txt" "$dir/l.txt" || { diff "$dir/b.txt" "$dir/l.txt" | head; fail "the readers differ on $f"; }
done
echo "ok: synack trace reads the kernel captures and the lab's"
