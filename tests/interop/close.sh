#!/usr/bin/env bash
# Termination between Linux and synack, both ways:
#   - half-close: the kernel shuts its side and still reads (synack echo keeps
#     sending in CLOSE_WAIT); synack shuts its side (connect at stdin EOF) and
#     still reads what the kernel sends afterwards
#   - abort: the kernel resets (SO_LINGER {1,0}) mid-transfer, synack reports
#     ECONNRESET (serve and bulk); synack resets (second SIGTERM), the kernel
#     gets ECONNRESET
#   - TIME_WAIT lands on the side that closed first (kernel side seen by ss,
#     synack side by its state trace)
. "$(dirname "$0")/lib.sh"
ia_require ss sha256sum
ia_netns 3

ia_serve -v --echo 7 --source 5011:1000000000 --source 5012:1000

# --- half-close: the kernel shuts down first and keeps reading
out=$(nsx timeout 20 "$PY" - "$SADDR" <<'PYEOF'
import socket, sys, hashlib, os, threading
data = os.urandom(1000000)
s = socket.create_connection((sys.argv[1], 7))
# Send (then shut down) from a thread while this one reads: an echo peer
# stops reading when its answers are not read, and a client that only
# reads after sending everything would deadlock on full windows.
def send():
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)
t = threading.Thread(target=send)
t.start()
got = bytearray()
while True:
    b = s.recv(65536)
    if not b: break
    got += b
t.join()
print("equal" if bytes(got) == data else "differ %d" % len(got))
PYEOF
)
check "half-close by the kernel: synack echo sends 1 MB back after the kernel's FIN" [ "$out" = equal ]

# --- half-close: synack shuts down first (stdin EOF) and keeps reading
head -c 1000000 /dev/urandom >"$IA_TMP/h.in"
ia_bg 20 "$IA_TMP/hsrv.log" "$PY" -c '
import socket, sys, hashlib
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((sys.argv[1], 5010)); ls.listen(1); print("ready", flush=True)
s, _ = ls.accept(); h = hashlib.sha256(); n = 0
while True:
    b = s.recv(65536)
    if not b: break
    h.update(b); n += len(b)
# synack has sent its FIN; the kernel answers afterwards, in CLOSE_WAIT
s.sendall((h.hexdigest() + "\n").encode() + b"z" * 500000)
s.close(); print("got", n, flush=True)
' "$KADDR2"
HS=$IA_LAST
ia_wait_log "$IA_TMP/hsrv.log" ready 5
nsx timeout 20 "$SYNACK" connect "${CLINK[@]}" "$KADDR2:5010" <"$IA_TMP/h.in" >"$IA_TMP/h.out" 2>"$IA_TMP/h.log"
rc=$?
ia_reap "$HS"
check "half-close by synack: connect exits 0" [ "$rc" = 0 ]
check "half-close by synack: the kernel read 1 MB, then synack read its answer" \
    [ "$(head -1 "$IA_TMP/h.out")" = "$(sha "$IA_TMP/h.in")" -a "$(wc -c <"$IA_TMP/h.out")" = 500065 ]

# --- abort by the kernel: RST mid-transfer, synack serve sees ECONNRESET
out=$(nsx timeout 20 "$PY" - "$SADDR" <<'PYEOF'
import socket, sys, struct
s = socket.create_connection((sys.argv[1], 5011))
n = 0
while n < 1000000:
    n += len(s.recv(65536))
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
print(s.getsockname()[1]); s.close()
PYEOF
)
ia_wait_log "$IA_TMP/serve.log" "source $KADDR:$out closed: .*connection reset" 5
check "RST from the kernel mid-transfer: synack serve reports connection reset" [ $? = 0 ]

# --- abort by the kernel: synack bulk --reverse sees ECONNRESET
ia_bg 20 "$IA_TMP/src.log" "$PY" -c "$IA_PATTERN_PY" source "$KADDR2" 5013 100000000 5000000
SRC=$IA_LAST
ia_wait_log "$IA_TMP/src.log" ready 5
nsx timeout 20 "$SYNACK" bulk "${CLINK[@]}" "$KADDR2:5013" --bytes 100000000 --reverse 2>"$IA_TMP/rb.log"
rc=$?
ia_reap "$SRC"
cat "$IA_TMP/rb.log"
[ "$rc" = 1 ] && grep -q "connection reset" "$IA_TMP/rb.log"
check "RST from the kernel mid-transfer: synack bulk exits 1 with 'connection reset'" [ $? = 0 ]

# --- TIME_WAIT: the kernel closes first
port=$(nsx timeout 10 "$PY" - "$SADDR" <<'PYEOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 7))
s.sendall(b"x"); s.recv(1)
print(s.getsockname()[1]); s.close()
PYEOF
)
ia_wait_log "$IA_TMP/serve.log" "$KADDR:$port <-> :7 LAST_ACK -> CLOSED" 5
check "kernel closed first: synack went CLOSE_WAIT -> LAST_ACK -> CLOSED" [ $? = 0 ]
tw=$(nsx ss -Htan state time-wait "( sport = :$port )")
echo "kernel: $tw"
check "kernel closed first: the kernel holds TIME_WAIT (ss)" grep -q "$SADDR:7" <<<"$tw"

# --- TIME_WAIT: synack closes first (source sends 1000 bytes, then FIN)
port=$(nsx timeout 10 "$PY" - "$SADDR" <<'PYEOF'
import socket, sys
s = socket.create_connection((sys.argv[1], 5012))
n = 0
while True:
    b = s.recv(65536)
    if not b: break
    n += len(b)
print(s.getsockname()[1]); s.close()
PYEOF
)
ia_wait_log "$IA_TMP/serve.log" "$KADDR:$port <-> :5012 FIN_WAIT_2 -> TIME_WAIT" 5
check "synack closed first: synack holds TIME_WAIT" [ $? = 0 ]
tw=$(nsx ss -Htan state time-wait "( sport = :$port )")
check "synack closed first: no TIME_WAIT on the kernel side (ss)" [ -z "$tw" ]

# --- abort by synack: a second SIGTERM resets; the kernel gets ECONNRESET
ia_bg 20 "$IA_TMP/rcli.log" "$PY" -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)  # a window that fills at once
s.connect((sys.argv[1], 5011))
n = 0
while n < 1000000:
    n += len(s.recv(65536))
print("paused", flush=True)
time.sleep(2)           # our window fills: synack cannot send its FIN
try:
    while True:
        b = s.recv(65536)
        if not b:
            print("EOF"); break
except ConnectionResetError:
    print("ECONNRESET")
' "$SADDR"
RC=$IA_LAST
ia_wait_log "$IA_TMP/rcli.log" paused 5
sleep 0.3
kill -TERM "$IA_SERVE"
# the second signal only once the first has been taken (graceful close begun)
ia_wait_log "$IA_TMP/serve.log" "closing .* gracefully" 10
kill -TERM "$IA_SERVE"
ia_reap "$IA_SERVE"
rc=$?
ia_reap "$RC"
check "second SIGTERM: serve exits 130" [ "$rc" = 130 ]
check "second SIGTERM: synack resets, the kernel reads ECONNRESET" grep -q ECONNRESET "$IA_TMP/rcli.log"
ia_done
