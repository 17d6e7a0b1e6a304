#!/usr/bin/env bash
# The stock iperf3 client against `synack serve --iperf3`:
#   - kernel -> synack, timed (-t), one stream and -P 4: the client's report
#     is complete (sender and receiver sides), every stream carried bytes;
#   - synack -> kernel (-R) with -n: the client receives exactly what synack
#     says it sent, and with -F the received bytes are synack's block
#     pattern, byte for byte (sha256);
#   - -R -P 2 timed; kernel -> synack with -n and -k;
#   - a second client during a test is told the server is busy; a UDP test
#     is refused with iperf3's own error; the server serves again afterwards;
#   - all of it with the TUN's offloads on (virtio-net header, TSO/GRO
#     super-packets both ways, checksums by the link; synack's sender
#     builds its super-segments itself, TSO), checked in --stats;
#   - `serve --threads 2` on a multi-queue TUN: -P 4 both ways with the
#     streams on both threads, -R -n exact, -R -F byte-exact, and a test
#     whose control connection sits idle on one thread while another runs
#     its stream.
. "$(dirname "$0")/lib.sh"
ia_require iperf3 sha256sum
ia_netns 7
IA_SERVE_TIMEOUT=200
ia_serve --iperf3 5201 --set rcvbuf=1048576 --set sndbuf=1048576 --stats

# ip3 NAME ARGS... : iperf3 -c synack ARGS, JSON in $IA_TMP/NAME.json
ip3() { ia_iperf3 "$1" 40 nsx "${@:2}"; }
mbps() { field "$1" "round(j['end']['sum_received']['bits_per_second']/1e6)"; }

check "forward -t 2: iperf3 exits 0" ip3 fwd -t 2
check "forward -t 2: receiver bytes > 0 and <= sender bytes" \
    [ "$(field fwd "0 < j['end']['sum_received']['bytes'] <= j['end']['sum_sent']['bytes']")" = True ]
echo "forward: $(mbps fwd) Mbit/s"

check "forward -P 4: iperf3 exits 0" ip3 p4 -t 2 -P 4
check "forward -P 4: 4 streams, each received bytes" \
    [ "$(field p4 "len(j['end']['streams']) == 4 and all(s['receiver']['bytes'] > 0 for s in j['end']['streams'])")" = True ]
echo "forward -P 4: $(mbps p4) Mbit/s"

check "reverse -n 20M: iperf3 exits 0" ip3 rev -R -n 20M
check "reverse -n 20M: received == sent >= 20 MiB" \
    [ "$(field rev "j['end']['sum_received']['bytes'] == j['end']['sum_sent']['bytes'] >= 20*1024*1024")" = True ]
echo "reverse: $(mbps rev) Mbit/s"

# -F: the client writes what it receives to a file. synack's block of -l
# bytes is byte i = (131 i + 7) mod 256, repeated.
check "reverse -n 5M -l 100000 -F: iperf3 exits 0" ip3 revf -R -n 5000000 -l 100000 -F "$IA_TMP/recv.bin"
want=$("$PY" -c '
import hashlib
blk = bytes((131 * i + 7) % 256 for i in range(100000))
print(hashlib.sha256(blk * 50).hexdigest())')
check "reverse -F: the received bytes are the block pattern, byte for byte" [ "$(sha "$IA_TMP/recv.bin")" = "$want" ]

check "reverse -P 2 -t 2: iperf3 exits 0" ip3 rp2 -R -P 2 -t 2
check "reverse -P 2: both streams carried bytes, received == sent" \
    [ "$(field rp2 "all(s['receiver']['bytes'] > 0 for s in j['end']['streams']) and j['end']['sum_received']['bytes'] <= j['end']['sum_sent']['bytes']")" = True ]
echo "reverse -P 2: $(mbps rp2) Mbit/s"

check "forward -n 10M: iperf3 exits 0" ip3 fn -n 10M
check "forward -n 10M: the client sent at least 10 MiB" [ "$(field fn "j['end']['sum_sent']['bytes'] >= 10*1024*1024")" = True ]
check "forward -k 100 -l 10000: iperf3 exits 0" ip3 fk -k 100 -l 10000
check "forward -k 100: 1000000 bytes sent" [ "$(field fk "j['end']['sum_sent']['bytes']")" = 1000000 ]

# Busy: a second client while a test runs. The log has a "stream(s)" line
# per test already served: wait for the long test's own, so that the second
# client cannot come first (it would be served, and the long one refused).
tests_before=$(grep -c "stream(s)" "$IA_TMP/serve.log")
IA_FG="" ia_bg 30 "$IA_TMP/long.out" iperf3 -c "$SADDR" -p 5201 -t 3
long=$IA_LAST
ia_wait_log "$IA_TMP/serve.log" "stream(s)" 10 "$tests_before" >/dev/null
busy=$(nsx timeout 10 iperf3 -c "$SADDR" -p 5201 -t 1 2>&1)
check "a second client is told the server is busy" grep -q "busy" <<<"$busy"
ia_reap "$long"
check "the first test finished normally" grep -q "receiver" "$IA_TMP/long.out"

udp=$(nsx timeout 10 iperf3 -c "$SADDR" -p 5201 -u -t 1 2>&1)
check "a UDP test is refused with iperf3's error" grep -qi "protocol" <<<"$udp"
check "serves again after a refusal" ip3 again -t 1
ok "server log: $(grep -c 'done:' "$IA_TMP/serve.log") tests done"
kill -TERM "$IA_SERVE"
ia_reap "$IA_SERVE"
link=$(grep "stats: link" "$IA_TMP/serve.log")
echo "$link"
check "the TUN's offloads were on, super-packets both ways" \
    "$PY" -c 'import re,sys; m=re.search(r"offloads on: super-packets in=(\d+) out=(\d+)", sys.argv[1]); sys.exit(not (m and int(m[1]) > 0 and int(m[2]) > 0))' "$link"
check "synack's sender built super-segments itself (TSO), written whole with gso_type TCPV4" \
    "$PY" -c 'import re,sys; m=re.search(r"built by the stack.s TSO=(\d+)", sys.argv[1]); sys.exit(not (m and int(m[1]) > 0))' "$link"

# --threads 2: two stacks on two queues of a multi-queue TUN (new flows go
# to the threads in turn: the control connection to one, the streams spread).
nsx ip tuntap add dev tun2 mode tun multi_queue
nsx ip addr add 10.79.7.1/24 dev tun2
nsx ip link set tun2 up
SADDR=10.79.7.2
LINK=(--tun tun2 --addr "$SADDR/24")
mv "$IA_TMP/serve.log" "$IA_TMP/serve1.log"
ia_serve --iperf3 5201 --threads 2 --set rcvbuf=1048576 --set sndbuf=1048576 --stats
check "threads: the server runs 2 threads on 2 queues" grep -q "2 threads on 2 queues" "$IA_TMP/serve.log"
check "threads: forward -P 4 -t 2: iperf3 exits 0" ip3 tp4 -t 2 -P 4
check "threads: forward -P 4: 4 streams, each received bytes" \
    [ "$(field tp4 "len(j['end']['streams']) == 4 and all(s['receiver']['bytes'] > 0 for s in j['end']['streams'])")" = True ]
echo "threads: forward -P 4: $(mbps tp4) Mbit/s"
check "threads: reverse -P 4 -t 2: iperf3 exits 0" ip3 trp4 -R -t 2 -P 4
check "threads: reverse -P 4: 4 streams, each received bytes" \
    [ "$(field trp4 "len(j['end']['streams']) == 4 and all(s['receiver']['bytes'] > 0 for s in j['end']['streams'])")" = True ]
echo "threads: reverse -P 4: $(mbps trp4) Mbit/s"
check "threads: reverse -P 2 -n 20M: iperf3 exits 0" ip3 trn -R -P 2 -n 20M
check "threads: reverse -P 2 -n 20M: received == sent >= 20 MiB" \
    [ "$(field trn "j['end']['sum_received']['bytes'] == j['end']['sum_sent']['bytes'] >= 20*1024*1024")" = True ]
check "threads: reverse -n 5M -F: iperf3 exits 0" ip3 trf -R -n 5000000 -l 100000 -F "$IA_TMP/trecv.bin"
check "threads: reverse -F: the received bytes are the block pattern, byte for byte" \
    [ "$(sha "$IA_TMP/trecv.bin")" = "$want" ]
# -t 5: the control connection idles longer than the kernel remembers its
# queue (3 s); TEST_END may arrive on the other queue and is handed over.
check "threads: forward -t 5 (idle control connection): iperf3 exits 0" ip3 tlong -t 5
check "threads: forward -t 5: receiver bytes > 0" [ "$(field tlong "j['end']['sum_received']['bytes'] > 0")" = True ]
kill -TERM "$IA_SERVE"
ia_reap "$IA_SERVE"
tl=$(grep -E "super-packets in=" "$IA_TMP/serve.log" | wc -l)
check "threads: each thread reports its link counters" [ "$tl" = 2 ]
check "threads: both threads received super-packets" \
    "$PY" -c 'import re,sys; v=[int(x) for x in re.findall(r"super-packets in=(\d+)", open(sys.argv[1]).read())]; sys.exit(not (len(v) == 2 and all(x > 0 for x in v)))' "$IA_TMP/serve.log"
ia_done
