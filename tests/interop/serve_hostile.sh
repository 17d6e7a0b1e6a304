#!/usr/bin/env bash
# `synack serve --http` against hostile clients (docs/HOSTILE.md):
#   - symbolic links inside the served directory that lead out of it: 403
#     (a link that stays inside is served)
#   - a 20 KB request head: 431, read by the client (not a RST)
#   - a head that never completes: 408 and close after --header-timeout,
#     for 200 such connections at once (each is freed)
#   - an idle keep-alive connection: closed after --idle-timeout
. "$(dirname "$0")/lib.sh"
ia_require curl
ia_netns 7
WWW="$IA_TMP/www"
mkdir -p "$WWW/sub"
echo "synack index" >"$WWW/index.html"
ln -s /etc "$WWW/etc"
ln -s /etc/passwd "$WWW/pw"
ln -s ../index.html "$WWW/sub/inside.html"
ia_serve --http 80:"$WWW" --header-timeout 1 --idle-timeout 2

code() { nsx timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$SADDR$1"; }
check "a link to a directory outside: /etc/passwd through it is 403 (got $(code /etc/passwd))" [ "$(code /etc/passwd)" = 403 ]
check "a link to a file outside: 403 (got $(code /pw))" [ "$(code /pw)" = 403 ]
check "a link that stays inside is served (got $(code /sub/inside.html))" [ "$(code /sub/inside.html)" = 200 ]
check "the index still is (got $(code /))" [ "$(code /)" = 200 ]

out=$(nsx timeout 20 "$PY" - "$SADDR" <<'PYEOF'
import socket, sys, time
addr = sys.argv[1]
res = []
# 1. a 20 KB head: the client reads a 431 answer.
s = socket.create_connection((addr, 80))
try:
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n")
    got = b""
    while True:
        b = s.recv(65536)
        if not b: break
        got += b
    res.append("big:" + got.split(b"\r\n")[0].decode())
except ConnectionResetError:
    res.append("big:reset")
s.close()
# 2. 200 heads that never complete: each gets 408 and is closed.
conns = [socket.create_connection((addr, 80)) for _ in range(200)]
for c in conns: c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
t0 = time.time()
n408 = 0
for c in conns:
    c.settimeout(10)
    got = b""
    try:
        while True:
            b = c.recv(4096)
            if not b: break
            got += b
    except Exception as e:
        got += str(e).encode()
    if got.startswith(b"HTTP/1.1 408"): n408 += 1
    c.close()
res.append("partial:%d" % n408)
# 3. an idle connection is closed by the server.
s = socket.create_connection((addr, 80))
s.settimeout(10)
try:
    res.append("idle:" + ("closed" if s.recv(10) == b"" else "data"))
except Exception as e:
    res.append("idle:" + type(e).__name__)
print(" ".join(res))
PYEOF
)
echo "results: $out"
check "a 20 KB head gets 431 (the client reads it)" grep -q "big:HTTP/1.1 431" <<<"$out"
check "200 partial heads: each gets 408 and is closed" grep -q "partial:200" <<<"$out"
check "an idle connection is closed" grep -q "idle:closed" <<<"$out"
check "serve still answers afterwards (got $(code /))" [ "$(code /)" = 200 ]
ia_done
