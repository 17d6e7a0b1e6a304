#!/usr/bin/env bash
# fuzz/run.sh BUILD SECONDS [parallel] [TARGET...]: runs each libFuzzer
# target for SECONDS under ASan+UBSan from its committed corpus
# (fuzz/corpus/NAME). New inputs go to a scratch directory (the committed
# corpus is only read; FUZZ_MERGE=1 merges the new ones into it
# afterwards). Prints one line per target: executions, exec/s, edges
# covered ("cov"), and findings. Exit status 1 when any target found
# something (its crash file is kept under BUILD/fuzz/findings/).
set -uo pipefail
build=$1 secs=$2 mode=${3:-serial}
shift 3 2>/dev/null || shift $#
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(wire stack trace script http options reassembly)
here=$(cd "$(dirname "$0")" && pwd)
out="$build/fuzz/findings"
mkdir -p "$out"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

run_one() {
  local t=$1 bin="$build/fuzz/fuzz_$1" corpus="$here/corpus/$1"
  [ -x "$bin" ] || { echo "fuzz_$t: not built ($bin)"; return 1; }
  mkdir -p "$scratch/$t" "$corpus"
  # -timeout: one input may take at most 10 s; -rss_limit_mb: bounded memory
  # is part of what is tested. -close_fd_mask=3: the code under test prints.
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=3 -print_final_stats=1 \
    -artifact_prefix="$out/$t-" "$scratch/$t" "$corpus" >"$scratch/$t.log" 2>&1
  local rc=$?
  local execs cov rate
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$scratch/$t.log" | grep -o '[0-9]*$')
  rate=$(grep -o 'exec/s: [0-9]*' "$scratch/$t.log" | tail -1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$scratch/$t.log" | tail -1 | grep -o '[0-9]*$')
  if [ $rc -eq 0 ]; then
    echo "fuzz_$t: ${secs} s, ${execs:-?} executions (${rate:-?}/s), cov ${cov:-?} edges, 0 findings"
  else
    echo "fuzz_$t: FINDING (exit $rc) after ${execs:-?} executions; log follows"
    grep -E 'ERROR|SUMMARY|#[0-9]+ 0x|artifact|Test unit written' "$scratch/$t.log" | head -40
  fi
  if [ $rc -eq 0 ] && [ "${FUZZ_MERGE:-0}" = 1 ]; then
    "$bin" -merge=1 -close_fd_mask=3 "$corpus" "$scratch/$t" >/dev/null 2>&1
  fi
  return $rc
}

status=0
if [ "$mode" = parallel ]; then
  pids=()
  for t in "${targets[@]}"; do
    run_one "$t" >"$scratch/$t.summary" &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || status=1
    cat "$scratch/${targets[$i]}.summary"
  done
else
  for t in "${targets[@]}"; do run_one "$t" || status=1; done
fi
exit $status
