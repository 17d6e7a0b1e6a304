#!/usr/bin/env bash
# `synack lab --list` and `synack lab --scenario NAME`: every scenario plays
# to completion with its explanation, its ladder and the counters; an
# unknown name is a clear usage error; options override a scenario's own.
set -uo pipefail
synack=$1
fail() { echo "FAIL: $*"; exit 1; }
list=$("$synack" lab --list) || fail "--list exited $?"
names=$(awk 'NR > 1 { print $1 }' <<<"$list")
n=$(wc -l <<<"$names")
[ "$n" -ge 26 ] || fail "--list names $n scenarios, expected at least 26"
for want in handshake lost-syn lost-synack lost-ack syn-to-closed-port simultaneous-open backlog-full \
            fast-retransmit rto-retransmit out-of-order zero-window nagle delayed-ack close-client-first \
            close-server-first half-close simultaneous-close lost-fin lost-fin-ack lost-last-ack \
            time-wait-reuse linger-abort unread-data-rst keepalive-timeout rst-in-window syn-timeout; do
  grep -qx -- "$want" <<<"$names" || fail "--list lacks $want"
done
for s in $names; do
  out=$("$synack" lab --scenario "$s"); rc=$?
  [ $rc -eq 0 ] || fail "--scenario $s exited $rc: $(tail -3 <<<"$out")"
  head -1 <<<"$out" | grep -qF -- "synack lab --scenario $s: " || fail "$s: no title line"
  grep -q "RFC" <<<"$out" || fail "$s: the explanation cites nothing"
  grep -qF "time (ms)" <<<"$out" || fail "$s: no ladder"
  grep -qF "counters (nonzero), as netstat -s shows them:" <<<"$out" || fail "$s: no counters"
  grep -qE "^    Tcp +.*(ActiveOpens|OutSegs)" <<<"$out" || fail "$s: no Tcp counters"
  grep -qF "client TCP_INFO" <<<"$out" || fail "$s: no TCP_INFO"
  grep -q "^completed" <<<"$out" || fail "$s: not completed"
done
# What a few of them must show.
out=$("$synack" lab --scenario lost-syn)
grep -qF -- "---X  (lost)" <<<"$out" || fail "lost-syn: no lost SYN"
grep -qE "^ +1000\.000 +--- SYN .*\(retransmission\)" <<<"$out" || fail "lost-syn: no SYN retransmission at 1 s"
out=$("$synack" lab --scenario syn-timeout)
grep -qF "the client's application saw: connection timed out (as this scenario expects)" <<<"$out" || fail "syn-timeout: no ETIMEDOUT"
out=$("$synack" lab --scenario rst-in-window)
grep -qF "(forged by an attacker)" <<<"$out" || fail "rst-in-window: no forged RST"
grep -qF "TCPChallengeACK 1" <<<"$out" || fail "rst-in-window: no challenge ACK counted"
out=$("$synack" lab --scenario zero-window)
grep -qE "len=0 win=0 " <<<"$out" || fail "zero-window: no zero window"
# Unknown scenario: exit 2, a message naming it, the list.
err=$("$synack" lab --scenario bogus 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] || fail "--scenario bogus exited $rc, expected 2"
grep -qF "unknown scenario 'bogus'" <<<"$err" || fail "--scenario bogus: unclear message: $err"
grep -qF "lost-syn" <<<"$err" || fail "--scenario bogus: the message does not list the scenarios"
err=$("$synack" lab --scenario 2>&1 >/dev/null); rc=$?
[ $rc -eq 2 ] || fail "--scenario without a name exited $rc, expected 2"
# Overrides: tunables and options go over the scenario's.
out=$("$synack" lab --scenario lost-syn --set syn_retries=0); rc=$?
[ $rc -eq 1 ] || fail "lost-syn with syn_retries=0 exited $rc, expected 1"
grep -qF "FAILED: client connect: connection timed out" <<<"$out" || fail "lost-syn with syn_retries=0: no ETIMEDOUT message: $out"
out=$("$synack" lab --scenario fast-retransmit --bytes 30000 --delay 25 --quiet) || fail "fast-retransmit with overrides failed"
grep -qF "answer: 30000/30000 bytes to the client; byte-exact" <<<"$out" || fail "--bytes did not override the scenario's"
out=$("$synack" lab --scenario syn-timeout --set syn_retries=2) || fail "syn-timeout with syn_retries=2 failed"
grep -qE "^ +7000\.000  SYN_SENT -> CLOSED" <<<"$out" || fail "syn-timeout with syn_retries=2 did not give up at 7 s"
# The default stays the plain ladder (no explanation, no counters).
out=$("$synack" lab) || fail "plain lab failed"
grep -qF "counters (nonzero)" <<<"$out" && fail "plain lab prints counters"
echo "ok"
