#!/usr/bin/env bash
# Hostile input to the command line tools (docs/HOSTILE.md): each case must
# end in a clear error, never a crash, a hang or a silent PASS.
set -uo pipefail
synack=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
call='+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, '
gen() { # gen FILE REPEAT_TEXT COUNT TAIL
  { echo '0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3'
    printf '%s' "$call"
    head -c $(( ${#2} * $3 )) < <(yes "$2" | tr -d '\n')
    printf '%s, 4) = 0\n' "$4"; } > "$1"
}
# 50 KB of brackets, a long a=a=a chain, a long 1|1|1 chain: a syntax error
# naming the line (exit 1), not a stack overflow (139).
gen "$dir/brackets.pkt" '[' 50000 "$(head -c 50000 < <(yes ']' | tr -d '\n'))"
gen "$dir/assign.pkt" 'a=' 50000 '1'
gen "$dir/or.pkt" '1|' 50000 '1'
for f in brackets assign or; do
  out=$("$synack" script "$dir/$f.pkt" 2>&1); rc=$?
  [ $rc -eq 1 ] || fail "$f.pkt: exit $rc, expected 1: $out"
  grep -qE "$f.pkt:2: syntax error: (expression nested more than 64 levels deep|more than 64 terms)" <<<"$out" ||
    fail "$f.pkt: unclear error: $out"
done
# Nothing to play is an error, not a PASS.
: > "$dir/empty.pkt"
printf '// only a comment\n\n' > "$dir/comment.pkt"
for f in empty comment; do
  out=$("$synack" script "$dir/$f.pkt" 2>&1); rc=$?
  [ $rc -eq 1 ] || fail "$f.pkt: exit $rc, expected 1: $out"
  grep -q "no events: the script tests nothing" <<<"$out" || fail "$f.pkt: unclear error: $out"
done
# --list-tunables does not hide an unknown option after it.
for cmd in lab serve get bulk connect; do
  err=$("$synack" $cmd --list-tunables --no-such-flag 2>&1 >/dev/null); rc=$?
  [ $rc -eq 2 ] || fail "'$cmd --list-tunables --no-such-flag' exited $rc, expected 2"
  grep -qF -- "--no-such-flag" <<<"$err" || fail "$cmd: error does not name the flag: $err"
done
out=$("$synack" serve --set rto_min_ms=300 --list-tunables) || fail "serve --list-tunables exited $?"
grep -qE "rto_min_ms +300" <<<"$out" || fail "serve --list-tunables ignores the --set before it"
echo ok
