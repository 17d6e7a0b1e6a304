#!/usr/bin/env bash
# make_linux_capture.sh — regenerate tests/vectors/linux_capture.h and the
# fuzz seed corpus fuzz/corpus/wire/ from packets sent by the Linux kernel.
#
# Owns: the golden-bytes vectors of tests/test_wire.c. Needs root, iproute2,
# tcpdump and python3; the tests that use the output do not.
#
# How the packets are made (nothing leaves the two private namespaces):
#   - two network namespaces, synack-vec-$$-a (10.77.0.1) and
#     synack-vec-$$-b (10.77.0.2), joined by a veth pair;
#   - transmit checksum offload is switched off on both veth ends (ETHTOOL
#     STXCSUM ioctl from python, so ethtool(8) is not needed), so the kernel
#     computes real TCP checksums in software and the capture holds them;
#   - tcpdump -w on the veth end in namespace b captures:
#       a kernel TCP connection a -> b:5000 (SYN with MSS/SACK-perm/TS/WS,
#       SYN-ACK, ACK, data both ways, FIN/ACK exchange),
#       a connect to the closed port b:5001 (answered by RST|ACK),
#       an ICMP echo request (a kernel "ping" socket) and its echo reply,
#       a UDP datagram to the closed port b:5002 (answered by ICMP port
#       unreachable);
#   - the Ethernet header is stripped (the vectors are raw IPv4, as with
#     LINKTYPE_RAW), every IPv4/TCP/ICMP checksum is verified, and the
#     packets are written as C arrays plus one seed file per packet;
#   - the namespaces are deleted on exit.
#
# Usage: sudo tests/vectors/make_linux_capture.sh   (from anywhere)
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out_h="$here/linux_capture.h"
corpus="$root/fuzz/corpus/wire"

nsa="synack-vec-$$-a"
nsb="synack-vec-$$-b"
tmp="$(mktemp -d)"
tcpdump_pid=""

cleanup() {
    if [ -n "$tcpdump_pid" ]; then kill "$tcpdump_pid" 2>/dev/null || true; fi
    ip netns del "$nsa" 2>/dev/null || true
    ip netns del "$nsb" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$nsa"
ip netns add "$nsb"
ip link add va netns "$nsa" type veth peer name vb netns "$nsb"
ip -n "$nsa" addr add 10.77.0.1/24 dev va
ip -n "$nsb" addr add 10.77.0.2/24 dev vb
for ns in "$nsa" "$nsb"; do
    ip -n "$ns" link set lo up
    # Linux defaults, set explicitly so the SYN carries every option.
    ip netns exec "$ns" sysctl -q -w net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
        net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_ecn=0 net.ipv4.ping_group_range="0 0"
done
ip -n "$nsa" link set va up
ip -n "$nsb" link set vb up

# Switch off transmit checksum offload (what "ethtool -K dev tx off" does).
cat > "$tmp/txcsum_off.py" <<'EOF'
import array, fcntl, socket, struct, sys
SIOCETHTOOL, ETHTOOL_STXCSUM = 0x8946, 0x17
dev = sys.argv[1]
val = array.array('B', struct.pack('II', ETHTOOL_STXCSUM, 0))
addr, _ = val.buffer_info()
ifr = struct.pack('16sP', dev.encode(), addr)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
fcntl.ioctl(s.fileno(), SIOCETHTOOL, ifr)
EOF
ip netns exec "$nsa" python3 "$tmp/txcsum_off.py" va
ip netns exec "$nsb" python3 "$tmp/txcsum_off.py" vb

# Wait for the links to come up (duplicate address detection is IPv6 only).
sleep 1

ip netns exec "$nsb" tcpdump -q -i vb -U -s 0 -w "$tmp/cap.pcap" 'ip' 2>"$tmp/tcpdump.log" &
tcpdump_pid=$!
sleep 1

cat > "$tmp/server.py" <<'EOF'
import socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.2", 5000))
s.listen(1)
print("ready", flush=True)
c, _ = s.accept()
data = c.recv(100)
c.sendall(b"Hello, Client!")
c.recv(100)          # wait for the client's FIN
c.close()
s.close()
EOF
cat > "$tmp/client.py" <<'EOF'
import socket, time
c = socket.create_connection(("10.77.0.2", 5000))
c.sendall(b"hello, server")
print(c.recv(100))
c.shutdown(socket.SHUT_WR)
c.recv(100)
c.close()
time.sleep(0.3)
# A SYN to a closed port draws RST|ACK.
try:
    socket.create_connection(("10.77.0.2", 5001), timeout=2)
except OSError:
    pass
time.sleep(0.3)
# ICMP echo through a kernel ping socket (the kernel fills in the checksum).
p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
p.settimeout(2)
p.sendto(bytes([8, 0, 0, 0, 0, 0, 0, 1]) + b"synack-ping-0123456789", ("10.77.0.2", 0))
p.recv(200)
time.sleep(0.3)
# UDP to a closed port draws ICMP port unreachable.
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"anyone?", ("10.77.0.2", 5002))
time.sleep(0.5)
EOF

ip netns exec "$nsb" python3 "$tmp/server.py" > "$tmp/server.log" &
server_pid=$!
sleep 0.5
ip netns exec "$nsa" python3 "$tmp/client.py"
wait "$server_pid"
sleep 0.5
kill "$tcpdump_pid"
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=""

cat > "$tmp/to_c.py" <<'EOF'
import os, struct, sys

pcap, out_h, corpus = sys.argv[1:4]
with open(pcap, "rb") as f:
    data = f.read()
magic, = struct.unpack("<I", data[:4])
assert magic == 0xA1B2C3D4, "expected a little-endian microsecond pcap"
linktype, = struct.unpack("<I", data[20:24])
off = 24
packets = []
while off < len(data):
    _, _, incl, orig = struct.unpack("<IIII", data[off:off + 16])
    off += 16
    frame = data[off:off + incl]
    off += incl
    assert incl == orig, "packet was cut by the snap length"
    if linktype == 1:                      # Ethernet: strip it, keep IPv4
        if frame[12:14] != b"\x08\x00":
            continue
        frame = frame[14:]
    elif linktype not in (101, 228):      # LINKTYPE_RAW / IPV4
        raise SystemExit("unexpected link type %d" % linktype)
    totlen = struct.unpack(">H", frame[2:4])[0]
    packets.append(frame[:totlen])        # drop Ethernet padding

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF

FLAGS = [(0x02, "syn"), (0x01, "fin"), (0x04, "rst"), (0x08, "psh"), (0x10, "ack")]
names, seen = [], {}
for p in packets:
    ihl = (p[0] & 15) * 4
    assert csum(p[:ihl]) == 0, "bad IPv4 header checksum"
    proto, body = p[9], p[ihl:]
    if proto == 6:
        pseudo = p[12:20] + struct.pack(">BBH", 0, 6, len(body))
        assert csum(pseudo + body) == 0, "TCP checksum not final (offload still on?)"
        fl = body[13]
        name = "tcp_" + "_".join(n for bit, n in FLAGS if fl & bit)
        if len(body) > (body[12] >> 4) * 4:
            name += "_data"
    elif proto == 1:
        assert csum(body) == 0, "bad ICMP checksum"
        name = {0: "icmp_echo_reply", 8: "icmp_echo_request",
                3: "icmp_unreach"}.get(body[0], "icmp_type%d" % body[0])
    else:
        name = "ipv4_proto%d" % proto
    n = seen.get(name, 0)
    seen[name] = n + 1
    names.append(name if n == 0 else "%s_%d" % (name, n + 1))

os.makedirs(corpus, exist_ok=True)
lines = [
    "/*",
    " * linux_capture.h - IPv4 packets sent by the Linux kernel, captured by",
    " * tests/vectors/make_linux_capture.sh (generated: do not edit; rerun it).",
    " *",
    " * Owns: the golden bytes of tests/test_wire.c. Two network namespaces",
    " * (10.77.0.1 and 10.77.0.2) joined by a veth pair with transmit checksum",
    " * offload off, so every checksum is the kernel's final one. Ethernet",
    " * headers are stripped: each array is one raw IPv4 datagram.",
    " */",
    "#ifndef SYNACK_LINUX_CAPTURE_H",
    "#define SYNACK_LINUX_CAPTURE_H",
    "",
    "#include <stddef.h>",
    "#include <stdint.h>",
    "",
]
for i, (name, p) in enumerate(zip(names, packets)):
    lines.append("/* %d: %s, %d bytes */" % (i, name, len(p)))
    lines.append("static const uint8_t linux_%s[] = {" % name)
    for j in range(0, len(p), 12):
        lines.append("    " + " ".join("0x%02x," % b for b in p[j:j + 12]))
    lines.append("};")
    lines.append("")
    with open(os.path.join(corpus, "linux-%02d-%s" % (i, name)), "wb") as f:
        f.write(p)
lines.append("struct linux_vector { const char *name; const uint8_t *bytes; size_t len; };")
lines.append("")
lines.append("static const struct linux_vector linux_vectors[] = {")
for name in names:
    lines.append('    {"%s", linux_%s, sizeof linux_%s},' % (name, name, name))
lines.append("};")
lines.append("#define LINUX_VECTOR_COUNT (sizeof linux_vectors / sizeof linux_vectors[0])")
lines.append("")
lines.append("#endif")
with open(out_h, "w") as f:
    f.write("\n".join(lines) + "\n")
print("%d packets: %s" % (len(packets), ", ".join(names)))
EOF

rm -f "$corpus"/linux-*
python3 "$tmp/to_c.py" "$tmp/cap.pcap" "$out_h" "$corpus"
