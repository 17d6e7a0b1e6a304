#!/usr/bin/env bash
# synack -> kernel: synack's clients against Linux servers.
#   - `synack get` 50 MB from python3 -m http.server (sha256 equal)
#   - `synack bulk` 100 MB to a socat sink (byte count and sha256 of the pattern)
#   - `synack bulk --reverse --verify` 100 MB from a kernel source
#   - `synack connect` as nc, both ways through a kernel echo (socat)
. "$(dirname "$0")/lib.sh"
ia_require socat ss sha256sum
ia_netns 2

WWW=$IA_TMP/www
mkdir -p "$WWW"
head -c 50000000 /dev/urandom >"$WWW/big.bin"

# get from python's http.server
(cd "$WWW" && ip netns exec "$IA_NS" timeout 120 "$PY" -m http.server 8000 --bind "$KADDR" \
    >"$IA_TMP/http.log" 2>&1) &
IA_PIDS+=($!)
ia_wait_port 8000 || bad "python http.server did not start"
nsx timeout 60 "$SYNACK" get "${LINK[@]}" "http://$KADDR:8000/big.bin" -o "$IA_TMP/got.bin" 2>"$IA_TMP/get.log"
rc=$?
cat "$IA_TMP/get.log"
check "synack get 50 MB: exit 0" [ "$rc" = 0 ]
check "synack get 50 MB: sha256 equal" [ "$(sha "$IA_TMP/got.bin")" = "$(sha "$WWW/big.bin")" ]
rm -f "$IA_TMP/got.bin"
nsx timeout 20 "$SYNACK" get "${LINK[@]}" "http://$KADDR:8000/missing" -o "$IA_TMP/x" 2>"$IA_TMP/get404.log"
rc=$?
[ "$rc" = 1 ] && grep -q "HTTP 404" "$IA_TMP/get404.log"
check "synack get of a missing file: exit 1, says 404" [ $? = 0 ]

# bulk 100 MB to a socat sink that hashes what it receives
N=100000000
ia_bg 60 "$IA_TMP/sink.log" sh -c "socat -u TCP-LISTEN:5001,reuseaddr STDOUT | sha256sum"
SINK=$IA_LAST
ia_wait_port 5001 || bad "socat sink did not start"
nsx timeout 60 "$SYNACK" bulk "${LINK[@]}" "$KADDR:5001" --bytes $N 2>"$IA_TMP/bulk.log"
rc=$?
cat "$IA_TMP/bulk.log"
ia_reap "$SINK"
check "synack bulk 100 MB: exit 0" [ "$rc" = 0 ]
check "synack bulk 100 MB: the sink's sha256 is the pattern's" \
    [ "$(cut -d' ' -f1 "$IA_TMP/sink.log")" = "$(pattern sha $N)" ]

# bulk --reverse 100 MB from a kernel source
ia_bg 60 "$IA_TMP/src.log" "$PY" -c "$IA_PATTERN_PY" source "$KADDR" 5002 $N
SRC=$IA_LAST
ia_wait_log "$IA_TMP/src.log" ready 5
nsx timeout 60 "$SYNACK" bulk "${LINK[@]}" "$KADDR:5002" --bytes $N --reverse --verify 2>"$IA_TMP/rbulk.log"
rc=$?
cat "$IA_TMP/rbulk.log"
ia_reap "$SRC"
check "synack bulk --reverse 100 MB: exit 0, every byte checked" [ "$rc" = 0 ]

# connect: stdin -> kernel echo -> stdout
head -c 2000000 /dev/urandom >"$IA_TMP/c.in"
ia_bg 30 "$IA_TMP/echo.log" socat TCP-LISTEN:5003,reuseaddr EXEC:cat
ECHO=$IA_LAST
ia_wait_port 5003 || bad "socat echo did not start"
nsx timeout 30 "$SYNACK" connect "${LINK[@]}" "$KADDR:5003" <"$IA_TMP/c.in" >"$IA_TMP/c.out" 2>"$IA_TMP/c.log"
rc=$?
ia_reap "$ECHO"
check "synack connect through a kernel echo: exit 0" [ "$rc" = 0 ]
check "synack connect through a kernel echo: 2 MB back, sha256 equal" [ "$(sha "$IA_TMP/c.out")" = "$(sha "$IA_TMP/c.in")" ]

# errors name the wrong argument
err=$(nsx timeout 10 "$SYNACK" connect --tun nosuch0 --addr "$SADDR/24" "$KADDR:1" 2>&1)
check "unknown interface: says --tun nosuch0" grep -q -- "--tun nosuch0: no such interface" <<<"$err"
err=$(nsx timeout 10 "$SYNACK" connect --tun tun0 --addr 10.77.2.300/24 "$KADDR:1" 2>&1)
check "bad address: says --addr" grep -q -- "--addr '10.77.2.300/24'" <<<"$err"
err=$(nsx timeout 10 "$SYNACK" connect "${LINK[@]}" "$KADDR:70000" 2>&1)
check "bad port: says which" grep -q "70000" <<<"$err"
err=$(nsx timeout 10 "$SYNACK" connect "${LINK[@]}" "$KADDR:5999" 2>&1)
check "refused: says connection refused" grep -qi "refused" <<<"$err"
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null; then
    err=$(nsx timeout 10 setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all \
        "$SYNACK" connect --tun tunx9 --create --addr "$SADDR/24" "$KADDR:1" 2>&1)
    check "no permission: says CAP_NET_ADMIN" grep -q "CAP_NET_ADMIN" <<<"$err"
fi
ia_done
