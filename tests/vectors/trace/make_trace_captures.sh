#!/usr/bin/env bash
# make_trace_captures.sh — regenerate the kernel captures under
# tests/vectors/trace/ that tests/test_trace.c and tests/see/see_trace.sh read.
#
# Owns: the trace test vectors. Needs root, iproute2, tcpdump, editcap
# (from tshark/wireshark-common) and python3; the tests that read the
# output need none of them.
#
# How (nothing leaves the two private namespaces, which are deleted on exit):
#   - namespaces synack-trace-$$-a (client, 10.77.1.1) and -b (server,
#     10.77.1.2) joined by a veth pair; Linux defaults (SACK, timestamps,
#     window scaling);
#   - every capture is taken on the client's veth (so the client's states
#     are exactly what it went through) except the -i any ones;
#   - kernel_basic.pcap: Ethernet, microseconds. Four connections:
#       1. a request, an answer, the client closes first (client ends in
#          TIME_WAIT, server in CLOSED);
#       2. a SYN to a closed port, answered by RST|ACK;
#       3. from client port 40000: the server closes first (server ends in
#          TIME_WAIT);
#       4. the same 4-tuple again (a new SYN after the close: a new
#          connection, "port numbers reused"), data, then the client aborts
#          with SO_LINGER 0: RST;
#     kernel_basic.pcapng (editcap), kernel_basic_ns_be.pcap (the same
#     records rewritten big-endian with nanosecond timestamps), and
#     kernel_sll.pcap / kernel_sll2.pcap (tcpdump -i any, Linux cooked v1/v2);
#   - kernel_zerowin.pcap (snap length 128): the server's receive buffer is
#     small and it does not read for 1.5 s: zero windows, zero window probes,
#     then window updates as it reads slowly;
#   - kernel_keepalive.pcap: SO_KEEPALIVE with a 1 s idle time: keep-alives
#     and their ACKs;
#   - kernel_loss.pcap: SYNs to an address whose neighbour entry points to a
#     MAC nobody has (SYN retransmissions), then one data segment sent while
#     the server's neighbour entry is pointed away, followed by three that
#     arrive (SACK, RACK and TLP off on the client): duplicate ACKs, and
#     the fast retransmission.
#
# Usage: sudo tests/vectors/trace/make_trace_captures.sh
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
nsa="synack-trace-$$-a"
nsb="synack-trace-$$-b"
tmp="$(mktemp -d)"
pids=()

cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    ip netns del "$nsa" 2>/dev/null || true
    ip netns del "$nsb" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$nsa"
ip netns add "$nsb"
ip link add va netns "$nsa" type veth peer name vb netns "$nsb"
ip -n "$nsa" addr add 10.77.1.1/24 dev va
ip -n "$nsb" addr add 10.77.1.2/24 dev vb
for ns in "$nsa" "$nsb"; do
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
        net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=0
done
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up
server_mac=$(ip -n "$nsb" -o link show vb | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
# A neighbour nobody answers for (frames to it are dropped by the peer).
ip -n "$nsa" neigh replace 10.77.1.9 lladdr 02:00:00:00:00:09 dev va nud permanent
sleep 1

capture() { # name iface [tcpdump options...]: starts a capture in namespace a
    local name=$1 iface=$2
    shift 2
    ip netns exec "$nsa" tcpdump -q -i "$iface" -U --immediate-mode -Z root "$@" -w "$tmp/$name" 'tcp' 2>>"$tmp/tcpdump.log" &
    pids+=($!)
}
stop_captures() {
    sleep 1
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
}

cat > "$tmp/server.py" <<'EOF'
import socket, sys, threading, time

def listener(port, rcvbuf=None):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind(("10.77.1.2", port))
    s.listen(4)
    return s

def basic():  # 1: answer, then close after the client's FIN
    s = listener(5000)
    c, _ = s.accept()
    c.recv(100)
    c.sendall(b"Hello, Client!")
    while c.recv(100):
        pass
    c.close()

def server_first():  # 3 and 4 on port 5002
    s = listener(5002)
    c, _ = s.accept()
    c.recv(100)
    c.sendall(b"bye")
    c.close()        # the server closes first
    c, _ = s.accept()
    try:
        while c.recv(100):
            pass
    except OSError:
        pass         # the client's RST
    c.close()

def zerowin():
    s = listener(5003, rcvbuf=2048)
    c, _ = s.accept()
    time.sleep(1.5)  # not reading: the window closes
    while True:
        d = c.recv(1000)
        if not d:
            break
        time.sleep(0.02)
    c.close()

def echo_until_eof(port):
    s = listener(port)
    c, _ = s.accept()
    while True:
        d = c.recv(4096)
        if not d:
            break
        c.sendall(d[:10])
    c.close()

which = sys.argv[1]
if which == "basic":
    ts = [threading.Thread(target=basic), threading.Thread(target=server_first)]
elif which == "zerowin":
    ts = [threading.Thread(target=zerowin)]
else:
    ts = [threading.Thread(target=echo_until_eof, args=(int(sys.argv[2]),))]
for t in ts:
    t.start()
print("ready", flush=True)
for t in ts:
    t.join()
EOF

cat > "$tmp/client.py" <<'EOF'
import socket, struct, subprocess, sys, time

which = sys.argv[1]
if which == "basic":
    c = socket.create_connection(("10.77.1.2", 5000))
    c.sendall(b"GET / HTTP/1.0\r\n\r\n")
    c.recv(100)
    c.close()                                   # the client closes first
    time.sleep(0.3)
    try:
        socket.create_connection(("10.77.1.2", 5001), timeout=2)
    except OSError:
        pass
    time.sleep(0.3)
    for abort in (False, True):
        c = socket.socket()
        c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        c.bind(("10.77.1.1", 40000))
        c.connect(("10.77.1.2", 5002))
        c.sendall(b"hi")
        if not abort:
            while c.recv(100):
                pass
            c.close()
            time.sleep(0.3)
        else:
            time.sleep(0.1)
            c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            c.close()                           # RST
elif which == "zerowin":
    c = socket.create_connection(("10.77.1.2", 5003))
    c.sendall(b"z" * 30000)
    c.close()
elif which == "keepalive":
    c = socket.socket()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
    c.connect(("10.77.1.2", 5004))
    c.sendall(b"ping")
    c.recv(100)
    time.sleep(2.6)                             # idle: keep-alives
    c.close()
elif which == "loss":
    server_mac = sys.argv[2]
    try:
        socket.create_connection(("10.77.1.9", 5005), timeout=1.5)  # nobody: SYN retransmitted
    except OSError:
        pass
    c = socket.create_connection(("10.77.1.2", 5005))
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(3):
        c.sendall(b"w" * 100)
        c.recv(100)
    neigh = ["ip", "neigh", "replace", "10.77.1.2", "dev", "va", "nud", "permanent", "lladdr"]
    subprocess.run(neigh + ["02:00:00:00:00:99"], check=True)
    c.send(b"A" * 1000)                         # goes nowhere
    subprocess.run(neigh + [server_mac], check=True)
    for ch in b"BCDE":
        c.send(bytes([ch]) * 1000)              # arrive out of order: dup ACKs
    time.sleep(0.5)
    c.close()
    time.sleep(0.3)
EOF

run() { # scenario [server args...]
    local which=$1
    shift
    ip netns exec "$nsb" python3 "$tmp/server.py" "$which" "$@" > "$tmp/server.out" &
    local spid=$!
    for _ in $(seq 50); do grep -q ready "$tmp/server.out" 2>/dev/null && break; sleep 0.1; done
    ip netns exec "$nsa" python3 "$tmp/client.py" "$which" "${client_args[@]}"
    wait "$spid"
}

client_args=()
capture kernel_basic.pcap va
capture kernel_sll.pcap any -y LINUX_SLL
capture kernel_sll2.pcap any -y LINUX_SLL2
sleep 1
run basic
stop_captures

capture kernel_zerowin.pcap va -s 128
sleep 1
run zerowin
stop_captures

capture kernel_keepalive.pcap va
sleep 1
run keepalive 5004
stop_captures

# Without SACK, RACK and tail loss probes, the client waits for three
# duplicate ACKs before it retransmits (RFC 5681 fast retransmit).
ip netns exec "$nsa" sysctl -q -w net.ipv4.tcp_sack=0 net.ipv4.tcp_recovery=0 net.ipv4.tcp_early_retrans=0
capture kernel_loss.pcap va
sleep 1
client_args=("$server_mac")
run loss 5005
stop_captures

for f in kernel_basic kernel_sll kernel_sll2 kernel_zerowin kernel_keepalive kernel_loss; do
    cp "$tmp/$f.pcap" "$here/$f.pcap"
done
editcap -F pcapng "$here/kernel_basic.pcap" "$here/kernel_basic.pcapng"

# The same records as a big-endian pcap with nanosecond timestamps.
python3 - "$here/kernel_basic.pcap" "$here/kernel_basic_ns_be.pcap" <<'EOF'
import struct, sys
src, dst = sys.argv[1:3]
d = open(src, "rb").read()
magic, vmaj, vmin, zone, sig, snap, link = struct.unpack("<IHHiIII", d[:24])
assert magic == 0xA1B2C3D4
out = [struct.pack(">IHHiIII", 0xA1B23C4D, vmaj, vmin, zone, sig, snap, link)]
off = 24
while off < len(d):
    sec, usec, incl, orig = struct.unpack("<IIII", d[off:off + 16])
    out.append(struct.pack(">IIII", sec, usec * 1000 + 123, incl, orig))
    out.append(d[off + 16:off + 16 + incl])
    off += 16 + incl
open(dst, "wb").write(b"".join(out))
EOF
ls -l "$here"/*.pcap "$here"/*.pcapng
