#!/usr/bin/env bash
# fuzz/coverage.sh BUILD TARGET...: runs each coverage-instrumented target
# once over its committed corpus and prints llvm-cov's line coverage of the
# code it compiles in (src/ and tools/), one total per target, then the
# union over src/.
set -uo pipefail
build=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
profdata=$(command -v llvm-profdata || ls /usr/bin/llvm-profdata-* 2>/dev/null | head -1)
llvmcov=$(command -v llvm-cov || ls /usr/bin/llvm-cov-* 2>/dev/null | head -1)
[ -n "$profdata" ] && [ -n "$llvmcov" ] || { echo "coverage needs llvm-profdata and llvm-cov (package llvm)"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
objs=()
for t in "$@"; do
  bin="$build/fuzz/fuzz_$t"
  LLVM_PROFILE_FILE="$work/$t.profraw" "$bin" -runs=0 -close_fd_mask=3 "$here/corpus/$t" >/dev/null 2>&1
  "$profdata" merge -sparse "$work/$t.profraw" -o "$work/$t.profdata"
  line=$("$llvmcov" report "$bin" -instr-profile="$work/$t.profdata" "$root/src" "$root/tools" 2>/dev/null | tail -1)
  # TOTAL regions missed cover functions missed executed lines missed cover ...
  echo "fuzz_$t: lines $(awk '{print $(NF-3)}' <<<"$line") covered of the src/ and tools/ code compiled in ($(awk '{print $(NF-5)-$(NF-4)}' <<<"$line")/$(awk '{print $(NF-5)}' <<<"$line") lines)"
  objs+=("$bin")
done
"$profdata" merge -sparse "$work"/*.profraw -o "$work/all.profdata"
first=${objs[0]}
rest=()
for o in "${objs[@]:1}"; do rest+=(-object "$o"); done
echo "== src/ reached by all targets together, per file:"
"$llvmcov" report "$first" "${rest[@]}" -instr-profile="$work/all.profdata" "$root/src" 2>/dev/null |
  awk 'BEGIN {print "file", "lines", "line-coverage"} NR > 2 && NF > 5 {print $1, $(NF-5), $(NF-3)}' | column -t
