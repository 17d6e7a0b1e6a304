#!/usr/bin/env bash
# check.sh BUILD_DIR CMAKE CC [EXTRA_FLAGS] — installs the build into a
# temporary prefix and uses it as an outside project would:
#   1. the tree: headers, libsynack.so with soname libsynack.so.0,
#      libsynack.a, synack.pc, the CMake package, the synack command;
#   2. exports: libsynack.so and libsynack.a define no global name outside
#      synack_*, and every function the public headers declare is exported;
#   3. outside.c built with `pkg-config --cflags --libs synack` (shared) and
#      `pkg-config --static` (static), and run;
#   4. the same program built by a CMake project with find_package(synack)
#      (synack::synack and synack::synack_static), and run.
# EXTRA_FLAGS (the sanitizer flags of a sanitizer build) go to every compile
# and link of the outside program.
set -u
BUILD=$(readlink -f "$1") CMAKE=$2 CC=$3 EXTRA=${4:-}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
TMP=$(mktemp -d /tmp/synack-install.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*" >&2; FAILS=$((FAILS + 1)); }
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
for p in pkg-config nm readelf; do
    command -v $p >/dev/null || { echo "FAIL: needs $p (Debian: pkg-config, binutils)" >&2; exit 1; }
done

P=$TMP/prefix
"$CMAKE" --install "$BUILD" --prefix "$P" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; bad "cmake --install"; exit 1; }
ok "cmake --install --prefix $P"
LIB=$(dirname "$(find "$P" -name libsynack.a | head -1)")
for f in "$P/include/synack/synack.h" "$P/include/synack/host.h" "$P/include/synack/export.h" \
         "$LIB/libsynack.a" "$LIB/libsynack.so" "$LIB/pkgconfig/synack.pc" \
         "$LIB/cmake/synack/synackConfig.cmake" "$LIB/cmake/synack/synackConfigVersion.cmake" \
         "$P/bin/synack"; do
    check "installed ${f#$P/}" test -e "$f"
done
soname=$(readelf -d "$LIB/libsynack.so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
check "soname is libsynack.so.0 (got '$soname')" [ "$soname" = libsynack.so.0 ]
check "libsynack.so.0 is a link to libsynack.so.0.x.y" test -L "$LIB/libsynack.so.0"

# Exports.
nm -D --defined-only "$LIB/libsynack.so" | awk '{print $3}' | sort -u >"$TMP/exports"
leaks=$(grep -v '^synack_' "$TMP/exports" | tr '\n' ' ')
check "libsynack.so exports $(wc -l <"$TMP/exports") names, all synack_* (leaked: ${leaks:-none})" [ -z "$leaks" ]
sleaks=$(nm -g --defined-only "$LIB/libsynack.a" | awk 'NF==3{print $3}' | grep -v '^synack_' | tr '\n' ' ')
check "libsynack.a defines no global name outside synack_* (leaked: ${sleaks:-none})" [ -z "$sleaks" ]
# Every function declared SYNACK_API in the installed headers is exported.
cat "$P"/include/synack/*.h | tr '\n' ' ' | grep -o 'SYNACK_API [^;{(]*(' |
    grep -o 'synack_[a-z0-9_]*($' | tr -d '(' | sort -u >"$TMP/declared"
missing=$(comm -23 "$TMP/declared" "$TMP/exports" | tr '\n' ' ')
check "all $(wc -l <"$TMP/declared") SYNACK_API functions are exported (missing: ${missing:-none})" [ -z "$missing" ]
# A public function declared without SYNACK_API would be hidden: none is.
unmarked=$(cat "$P"/include/synack/*.h | grep -E '^[a-z][a-z0-9_ ]*[ *]synack_[a-z0-9_]+\(' |
           grep -Ev '^(typedef|static|SYNACK_API)' | tr '\n' ' ')
check "no public function lacks SYNACK_API (${unmarked:-none})" [ -z "$unmarked" ]

# pkg-config.
export PKG_CONFIG_PATH=$LIB/pkgconfig
check "pkg-config --modversion synack" pkg-config --modversion synack
# shellcheck disable=SC2046,SC2086
if "$CC" -std=c11 -Wall -Wextra -Werror $EXTRA $(pkg-config --cflags synack) "$HERE/outside.c" \
        -o "$TMP/outside_pc" $(pkg-config --libs synack) 2>"$TMP/cc.log"; then
    out=$(LD_LIBRARY_PATH=$LIB "$TMP/outside_pc")
    check "pkg-config, shared: outside.c runs (printed '$out')" [ "$out" = "outside: pong" ]
    check "pkg-config, shared: linked to libsynack.so.0" sh -c "readelf -d '$TMP/outside_pc' | grep -q 'libsynack.so.0'"
else
    cat "$TMP/cc.log" >&2; bad "pkg-config, shared: outside.c compiles"
fi
# shellcheck disable=SC2046,SC2086
if "$CC" -std=c11 -Wall -Wextra -Werror $EXTRA $(pkg-config --cflags synack) "$HERE/outside.c" \
        -o "$TMP/outside_pcs" -Wl,-Bstatic $(pkg-config --libs-only-l synack | sed 's/-lm//') -Wl,-Bdynamic \
        $(pkg-config --libs-only-L synack) $(pkg-config --static --libs-only-other synack) -lm 2>"$TMP/cc.log"; then
    out=$("$TMP/outside_pcs")
    check "pkg-config --static: outside.c runs (printed '$out')" [ "$out" = "outside: pong" ]
else
    cat "$TMP/cc.log" >&2; bad "pkg-config --static: outside.c compiles"
fi

# CMake: find_package(synack).
if "$CMAKE" -S "$HERE" -B "$TMP/cm" -DCMAKE_PREFIX_PATH="$P" -DCMAKE_C_COMPILER="$CC" \
        -DCMAKE_C_FLAGS="$EXTRA" -DCMAKE_EXE_LINKER_FLAGS="$EXTRA" >"$TMP/cm.log" 2>&1 &&
   "$CMAKE" --build "$TMP/cm" >>"$TMP/cm.log" 2>&1; then
    for kind in shared static; do
        out=$("$TMP/cm/outside_$kind")
        target=synack::synack; [ $kind = static ] && target=synack::synack_static
        check "find_package(synack), $target: outside.c runs (printed '$out')" [ "$out" = "outside: pong" ]
    done
else
    cat "$TMP/cm.log" >&2; bad "find_package(synack): the outside project builds"
fi

[ "$FAILS" -eq 0 ] || { echo "install: $FAILS check(s) failed" >&2; exit 1; }
echo "install: all checks passed"
