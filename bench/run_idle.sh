#!/usr/bin/env bash
# Idle-connection benchmark (bench_idle) beside the kernel, whose sockets live
# in a fresh network namespace over lo (root needed for unshare -n).
#   bench/run_idle.sh [build-dir] [bench_idle args...]
# The kernel needs one descriptor per endpoint: fs.nr_open is raised to fit
# 2 x --kernel-max (default 100000) if it is lower.
set -euo pipefail
build=${1:-build}; shift || true
bin="$build/bench/bench_idle"
[ -x "$bin" ] || { echo "build first: make all (missing $bin)"; exit 1; }
need=2300000
[ "$(cat /proc/sys/fs/nr_open)" -ge "$need" ] || echo "$need" > /proc/sys/fs/nr_open
echo "== $(uname -r), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(date -u +%Y-%m-%d)"
exec unshare -n sh -c 'ip link set lo up && exec "$0" "$@"' "$bin" "$@"
