#!/usr/bin/env bash
# Runs synack's benchmarks side by side with the Linux kernel, inside a
# fresh network namespace (root needed for unshare -n), and prints ratios.
#   bench/run.sh [build-dir] [bench_inproc args...]
set -euo pipefail
build=${1:-build}; shift || true
bin="$build/bench/bench_inproc"
[ -x "$bin" ] || { echo "build first: make all (missing $bin)"; exit 1; }
echo "== $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%d)"
exec unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$bin" "$@"
