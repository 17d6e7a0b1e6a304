#!/usr/bin/env bash
# Lifecycle benchmark (bench_lifecycles) beside the kernel, whose sockets live
# in a fresh network namespace over lo (root needed for unshare -n). Inside
# it the kernel's TIME_WAIT cap (tcp_max_tw_buckets) is raised to 1,048,576,
# as synack's max_tw, and the local port range to 1024-65535, so that Linux
# is not capped by either.
#   bench/run_lifecycles.sh [build-dir] [bench_lifecycles args...]
set -euo pipefail
build=${1:-build}; shift || true
bin="$build/bench/bench_lifecycles"
[ -x "$bin" ] || { echo "build first: make all (missing $bin)"; exit 1; }
echo "== $(uname -r), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
exec unshare -n sh -c 'ip link set lo up &&
  echo 1048576 > /proc/sys/net/ipv4/tcp_max_tw_buckets &&
  echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range &&
  exec "$0" "$@"' "$bin" "$@"
