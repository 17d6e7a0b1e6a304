#!/usr/bin/env bash
# Runs Linux's own packetdrill scripts (the gtests/net/tcp folders of a
# packetdrill tree) through `synack script` and compares each outcome with
# the list kept in the repo (tests/upstream/expected.txt).
#
# usage: check.sh SYNACK PACKETDRILL_TREE EXPECTED [--write]
# A script listed as PASS that no longer passes fails this test. A script
# that newly passes, or whose failure reason changed, is reported so the
# list can be updated (--write rewrites the list from this run).
# No tree: SKIP (exit 77), or FAIL under CI=true.
set -u
synack=$1 tree=${2:-} expected=$3 write=${4:-}
if [ -z "$tree" ] || [ ! -d "$tree/gtests/net/tcp" ]; then
  why="no packetdrill tree with gtests/net/tcp (configure with -DSYNACK_PACKETDRILL_DIR=...)"
  if [ "${CI:-}" = true ]; then echo "FAIL: $why"; exit 1; fi
  echo "SKIP: $why"; exit 77
fi
tcp="$tree/gtests/net/tcp"
actual=$(mktemp)
trap 'rm -f "$actual"' EXIT
for pkt in "$tcp"/*/*.pkt; do
  rel=${pkt#"$tcp"/}
  out=$(cd "$(dirname "$pkt")" && timeout 60 "$synack" script --unchecked-tail "$(basename "$pkt")" 2>&1)
  rc=$?
  case $rc in
    0) outcome=PASS ;;
    77) outcome=SKIP ;;
    *) outcome=FAIL ;;
  esac
  reason=""
  if [ "$outcome" != PASS ]; then
    reason=$(printf '%s\n' "$out" | grep -m1 -E '^(FAIL|SKIP) ' | sed -E 's/^(FAIL|SKIP) [^:]*:[0-9]+: //')
    [ -n "$reason" ] || reason="exit status $rc"
  fi
  printf '%s %s%s\n' "$rel" "$outcome" "${reason:+ $reason}" >> "$actual"
done
if [ "$write" = --write ]; then
  { echo "# Outcome of each upstream gtests/net/tcp script under synack script (tests/upstream/check.sh)."
    echo "# FOLDER/SCRIPT OUTCOME [first failure or skip reason]"
    cat "$actual"; } > "$expected"
fi
regress=0 newpass=0 changed=0
while read -r rel outcome reason; do
  want=$(grep -m1 "^$rel " "$expected" | cut -d' ' -f2)
  if [ -z "$want" ]; then
    echo "NEW  $rel $outcome (not in $(basename "$expected"))"; changed=$((changed + 1))
  elif [ "$want" = PASS ] && [ "$outcome" != PASS ]; then
    echo "REGRESSION $rel: was PASS, now $outcome: $reason"; regress=$((regress + 1))
  elif [ "$want" != PASS ] && [ "$outcome" = PASS ]; then
    echo "NEWLY PASSES $rel (was $want): update $(basename "$expected")"; newpass=$((newpass + 1))
  elif [ "$want" != "$outcome" ]; then
    echo "CHANGED $rel: was $want, now $outcome: $reason"; changed=$((changed + 1))
  fi
done < "$actual"
echo "per folder (passed/failed/skipped):"
awk '{split($1, p, "/"); f[p[1]] = 1; n[p[1] " " $2]++}
     END {for (k in f) printf "  %-18s %3d %3d %3d\n", k, n[k " PASS"], n[k " FAIL"], n[k " SKIP"]}' "$actual" | sort
awk '{n[$2]++} END {printf "total: %d passed, %d failed, %d skipped\n", n["PASS"], n["FAIL"], n["SKIP"]}' "$actual"
echo "$regress regressions, $newpass newly passing, $changed other changes"
[ "$regress" -eq 0 ]
