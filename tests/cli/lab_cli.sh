#!/usr/bin/env bash
# The `synack lab` command line: the default ladder, the lossy example of
# the foundation issue, and clear errors for bad arguments.
set -uo pipefail
synack=$1
fail() { echo "FAIL: $*"; exit 1; }
out=$("$synack" lab) || fail "default lab run exited $?"
for want in "CLOSED -> SYN_SENT" "SYN_SENT -> ESTABLISHED" "ESTABLISHED -> FIN_WAIT_1" "FIN_WAIT_1 -> FIN_WAIT_2" \
            "FIN_WAIT_2 -> TIME_WAIT" "TIME_WAIT -> CLOSED" "CLOSED -> LISTEN" "LISTEN -> SYN_RCVD" \
            "SYN_RCVD -> ESTABLISHED" "ESTABLISHED -> CLOSE_WAIT" "CLOSE_WAIT -> LAST_ACK" "LAST_ACK -> CLOSED" \
            "--- SYN seq=0 ack=0 len=0 win=64240 mss=1460 sackOK TS ws=7" "SYN|ACK seq=0 ack=1 len=0" "FIN|ACK seq=19 ack=15 len=0 win=65536" "byte-exact" "completed"; do
  grep -qF -- "$want" <<<"$out" || fail "ladder lacks '$want'"
done
abs=$("$synack" lab --absolute) || fail "--absolute exited $?"
grep -qF -- "--- SYN seq=0 ack=0" <<<"$abs" && fail "--absolute still shows relative numbers"
out=$("$synack" lab --quiet --loss 0.2 --seed 7 --bytes 200000) || fail "lossy run failed: $out"
grep -q "answer: 200000/200000 bytes to the client; byte-exact" <<<"$out" || fail "lossy run not byte-exact: $out"
# Bad input: a clear message naming the argument, exit code 2.
for bad in "--loss 2" "--loss x" "--delay -1" "--bytes" "--frobnicate" "--msl 0"; do
  # shellcheck disable=SC2086
  err=$("$synack" lab $bad 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || fail "'lab $bad' exited $rc, expected 2"
  opt=${bad%% *}
  grep -qF -- "$opt" <<<"$err" || fail "'lab $bad' error does not name $opt: $err"
done
err=$("$synack" lab --pcap /nonexistent-dir/x.pcap 2>&1); rc=$?
[ $rc -ne 0 ] || fail "unwritable pcap path accepted"
grep -qi "no such file" <<<"$err" || fail "unwritable pcap: unclear error: $err"
# A run that cannot finish says so instead of hanging.
out=$("$synack" lab --quiet --loss 1 --time-limit 600); rc=$?
[ $rc -eq 1 ] || fail "--loss 1 exited $rc"
grep -q "FAILED: client connect: connection timed out" <<<"$out" || fail "--loss 1: unclear failure: $out"
echo "ok"
