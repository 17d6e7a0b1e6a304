#!/usr/bin/env bash
# kernel -> synack: Linux programs use services hosted by `synack serve`.
#   - ping of synack's address (ICMP echo), and a 3000-byte ping (fragments both ways)
#   - curl downloads 50 MB over HTTP (sha256 equal), wget too; HEAD, 404, 400
#   - socat to echo (1 MB both ways, sha256 equal), ncat to discard, chargen
#   - 100 parallel curl clients, 3 keep-alive requests each
. "$(dirname "$0")/lib.sh"
ia_require curl socat ncat ping ss sha256sum wget
ia_netns 1

WWW=$IA_TMP/www
mkdir -p "$WWW"
head -c 50000000 /dev/urandom >"$WWW/big.bin"
echo '<html><body>synack</body></html>' >"$WWW/index.html"
head -c 1000000 /dev/urandom >"$IA_TMP/echo.in"

ia_serve --http 80:"$WWW" --echo 7 --discard 9 --chargen 19 --stats

# ping
out=$(nsx timeout 10 ping -c 5 -i 0.2 -W 2 "$SADDR" 2>&1)
echo "$out" | tail -2
check "ping: 5 of 5 echo replies" grep -q " 5 received" <<<"$out"
# ping -s 3000: Linux sends each request in fragments (MTU 1500); synack reassembles it and
# answers in fragments, which Linux reassembles; ping checks the data it gets back
out=$(nsx timeout 10 ping -c 3 -i 0.2 -W 2 -s 3000 -M dont "$SADDR" 2>&1)
echo "$out" | tail -2
check "ping -s 3000: 3 of 3 echo replies, reassembled both ways" grep -q " 3 received" <<<"$out"
check "ping -s 3000: 3008 bytes back, data intact" bash -c 'grep -q "^3008 bytes from" <<<"$1" && ! grep -qi "wrong data" <<<"$1"' _ "$out"

# curl 50 MB
t0=$(now_ms)
code=$(nsx timeout 60 curl -s -o "$IA_TMP/got.bin" -w '%{http_code}' "http://$SADDR/big.bin")
t1=$(now_ms)
echo "curl: 50 MB in $((t1 - t0)) ms (HTTP $code)"
check "curl 50 MB: HTTP 200" [ "$code" = 200 ]
check "curl 50 MB: sha256 equal" [ "$(sha "$IA_TMP/got.bin")" = "$(sha "$WWW/big.bin")" ]
rm -f "$IA_TMP/got.bin"

nsx timeout 60 wget -q -O "$IA_TMP/wget.bin" "http://$SADDR/big.bin"
check "wget 50 MB: sha256 equal" [ "$(sha "$IA_TMP/wget.bin")" = "$(sha "$WWW/big.bin")" ]
rm -f "$IA_TMP/wget.bin"

hdr=$(nsx timeout 10 curl -sI "http://$SADDR/big.bin" | tr -d '\r')
check "HEAD: Content-Length 50000000" grep -q '^Content-Length: 50000000$' <<<"$hdr"
check "404 for a missing file" [ "$(nsx timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$SADDR/nope")" = 404 ]
check "400 for a path out of the directory" \
    [ "$(nsx timeout 10 curl -s --path-as-is -o /dev/null -w '%{http_code}' "http://$SADDR/../etc/passwd")" = 400 ]
resp=$(printf 'NONSENSE\r\n\r\n' | nsx timeout 10 ncat "$SADDR" 80 | head -1 | tr -d '\r')
check "400 for a malformed request" [ "$resp" = "HTTP/1.1 400 Bad Request" ]
check "index.html for /" grep -q synack <<<"$(nsx timeout 10 curl -s "http://$SADDR/")"

# echo and discard
nsx timeout 20 socat -t 5 - "TCP:$SADDR:7" <"$IA_TMP/echo.in" >"$IA_TMP/echo.out"
check "socat -> echo: 1 MB back, sha256 equal" [ "$(sha "$IA_TMP/echo.out")" = "$(sha "$IA_TMP/echo.in")" ]
check "ncat -> discard: 1 MB accepted" nsx timeout 20 ncat --send-only "$SADDR" 9 <"$IA_TMP/echo.in"
n=$(nsx timeout 10 ncat --recv-only "$SADDR" 19 </dev/null 2>/dev/null | head -c 740 | wc -c)
line2=$(nsx timeout 10 ncat --recv-only "$SADDR" 19 </dev/null 2>/dev/null | head -2 | tail -1 | tr -d '\r')
check "chargen: 72-character lines, each shifted by one" \
    [ "$n" = 740 -a "$line2" = '!"#$%&'"'"'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\]^_`abcdefgh' ]

# 100 parallel clients, keep-alive: 3 requests on one connection each
t0=$(now_ms)
seq 100 | nsx timeout 60 xargs -P 100 -I{} curl -s -o /dev/null -o /dev/null -o /dev/null \
    -w '%{http_code} %{num_connects}\n' "http://$SADDR/index.html" "http://$SADDR/index.html" \
    "http://$SADDR/index.html" >"$IA_TMP/par.txt"
t1=$(now_ms)
ok200=$(grep -c '^200 ' "$IA_TMP/par.txt")
conns=$(awk '{s += $2} END {print s}' "$IA_TMP/par.txt")
echo "parallel: $ok200 responses 200 over $conns connections in $((t1 - t0)) ms"
check "100 parallel clients x 3 keep-alive requests: 300 x 200" [ "$ok200" = 300 ]
check "keep-alive: 100 connections for 300 requests" [ "$conns" = 100 ]

# counters on demand: SIGUSR1 to synack serve (the child of the timeout wrapper)
spid=$(ps -o pid= --ppid "$IA_SERVE" | tr -d ' ' | head -1)
[ -n "$spid" ] || spid=$IA_SERVE
kill -USR1 "$spid"
check "SIGUSR1 prints the counters, serve keeps running" ia_wait_log "$IA_TMP/serve.log" "stats: counters now" 5
check "  ... as netstat -s names them" grep -q "PassiveOpens" "$IA_TMP/serve.log"
check "  ... and serve still answers" nsx timeout 10 curl -sf -o /dev/null "http://$SADDR/"

# IPv6 on the TUN (the kernel's router solicitations, and here three
# datagrams to all-nodes): the link drops them as another protocol; they
# are not malformed IPv4 for the stack's counters.
nsx "$PY" -c 'import socket; s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); [s.sendto(b"v6", ("ff02::1%tun0", 9)) for _ in range(3)]' ||
    bad "cannot send IPv6 datagrams on tun0"

# graceful exit on SIGTERM
kill -TERM "$IA_SERVE"
ia_reap "$IA_SERVE"
rc=$?
check "serve exits 0 on SIGTERM" [ "$rc" = 0 ]
sed -n '/^stats: counters at exit/,$p' "$IA_TMP/serve.log"
v6=$(sed -n 's/.*not IPv4 dropped=\([0-9]*\).*/\1/p' "$IA_TMP/serve.log" | tail -1)
check "IPv6 packets on the TUN are dropped at the link (not IPv4 dropped=${v6:-?}, at least 3)" [ "${v6:-0}" -ge 3 ]
check "  ... and the stack counted no IPv4 header errors" \
    bash -c "! sed -n '/^stats: counters at exit/,\$p' '$IA_TMP/serve.log' | grep -q InHdrErrors"

# --user: privileges dropped once the TUN is open, and serving goes on
: >"$IA_TMP/serve.log"
ia_serve --echo 7 --user nobody
spid=$(ps -o pid= --ppid "$IA_SERVE" | tr -d ' ' | head -1)
uid=$(awk '/^Uid:/ {print $2 "," $3 "," $4}' "/proc/${spid:-$IA_SERVE}/status" 2>/dev/null)
nobody=$(id -u nobody)
check "--user nobody: serve runs as nobody (uid $uid)" [ "$uid" = "$nobody,$nobody,$nobody" ]
got=$(echo hello-as-nobody | nsx timeout 10 socat -t 2 - "TCP:$SADDR:7")
check "--user nobody: echo still answers" [ "$got" = hello-as-nobody ]
kill -TERM "$IA_SERVE"
ia_reap "$IA_SERVE"
ia_done
