#!/usr/bin/env bash
# get_iperf3.sh — a multi-threaded iperf3 for P4's -P rows, fetched from
# Debian's archive without installing anything on the system.
#
# Why: iperf3 before 3.16 runs every stream of `-P N` on one thread. Debian
# bookworm ships 3.12, so its `-P 2` client is one thread at ~0.9 core, and
# even kernel<->kernel over veth gets no more from -P 2 than from one stream
# (0.98-1.04x on a 2-core machine): the tool, not the link, is measured.
# iperf3 3.16 and later give each stream its own thread.
#
# What: Debian trixie's iperf3 and libiperf0, with the libraries they were
# built against (libc6, libssl3t64, libsctp1), unpacked under DIR/root, and
# DIR/iperf3, a wrapper that starts it with that C library's own loader, so
# the system's libraries are neither used nor touched. The packages are
# checked end to end: the suite's InRelease against Debian's archive keyring
# (gpgv), the Packages index against InRelease, each .deb against Packages.
#
#   bench/get_iperf3.sh [DIR]       (DIR defaults to build/iperf3)
#   IPERF3=build/iperf3/iperf3 bench/p4_iperf3.sh ...
set -euo pipefail
DIR=$(readlink -f "${1:-build/iperf3}")
SUITE=trixie
MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
PKGS="iperf3 libiperf0 libc6 libssl3t64 libsctp1"

for p in curl gpgv xz dpkg-deb sha256sum; do
    command -v $p >/dev/null || { echo "get_iperf3: needs $p" >&2; exit 1; }
done
[ -r "$KEYRING" ] || { echo "get_iperf3: needs Debian's archive keyring ($KEYRING, package debian-archive-keyring)" >&2; exit 1; }
if [ -x "$DIR/iperf3" ] && "$DIR/iperf3" --version >/dev/null 2>&1; then
    "$DIR/iperf3" --version | head -1
    exit 0
fi

mkdir -p "$DIR/debs"
cd "$DIR/debs"
fetch() { curl -fsS -m 300 --retry 2 -o "$2" "$MIRROR/$1" || { echo "get_iperf3: cannot fetch $MIRROR/$1" >&2; exit 1; }; }

fetch "dists/$SUITE/InRelease" InRelease
gpgv --keyring "$KEYRING" --output Release InRelease 2>/dev/null ||
    { echo "get_iperf3: $SUITE's InRelease does not verify against $KEYRING" >&2; exit 1; }
fetch "dists/$SUITE/main/binary-amd64/Packages.xz" Packages.xz
want=$(awk '/^SHA256:/{s=1; next} /^[^ ]/{s=0} s && $3=="main/binary-amd64/Packages.xz"{print $1}' Release)
echo "$want  Packages.xz" | sha256sum -c --quiet - ||
    { echo "get_iperf3: Packages.xz does not match $SUITE's Release" >&2; exit 1; }
xz -dc Packages.xz >Packages

rm -rf "$DIR/root"
for pkg in $PKGS; do
    read -r file sum < <(awk -v P="$pkg" '$0=="Package: "P{p=1} p&&/^Filename:/{f=$2} p&&/^SHA256:/{s=$2} p&&/^$/{print f, s; exit}' Packages)
    [ -n "${file:-}" ] || { echo "get_iperf3: $pkg is not in $SUITE" >&2; exit 1; }
    deb=$(basename "$file")
    fetch "$file" "$deb"
    echo "$sum  $deb" | sha256sum -c --quiet - || { echo "get_iperf3: $deb does not match the index" >&2; exit 1; }
    dpkg-deb -x "$deb" "$DIR/root"
done

LIB=$DIR/root/usr/lib/x86_64-linux-gnu
cat >"$DIR/iperf3" <<EOF
#!/bin/sh
# iperf3 from Debian $SUITE with its own C library (made by bench/get_iperf3.sh)
exec "$LIB/ld-linux-x86-64.so.2" --library-path "$LIB" "$DIR/root/usr/bin/iperf3" "\$@"
EOF
chmod +x "$DIR/iperf3"
"$DIR/iperf3" --version | head -1
