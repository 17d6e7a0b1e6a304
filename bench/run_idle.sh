#!/usr/bin/env bash
# Idle-connection benchmark (bench_idle) beside the kernel, whose sockets live
# in a fresh network namespace over lo (root needed for unshare -n).
#   bench/run_idle.sh [build-dir] [bench_idle args...]
# The kernel needs one descriptor per endpoint: fs.nr_open is raised to fit
# 2 x --kernel-max (default 100000) if it is lower. Inside the namespace the
# local port range is 1024-65535 and tcp_max_tw_buckets 1,048,576, as synack's.
set -euo pipefail
build=${1:-build}; shift || true
bin="$build/bench/bench_idle"
[ -x "$bin" ] || { echo "build first: make all (missing $bin)"; exit 1; }
need=2300000
[ "$(cat /proc/sys/fs/nr_open)" -ge "$need" ] || echo "$need" > /proc/sys/fs/nr_open
echo "== $(uname -r), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GB, $(date -u +%Y-%m-%d)"
echo "== load $(cut -d' ' -f1-3 /proc/loadavg)"
exec unshare -n sh -c 'ip link set lo up &&
  echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range &&
  echo 1048576 > /proc/sys/net/ipv4/tcp_max_tw_buckets &&
  exec "$0" "$@"' "$bin" "$@"
