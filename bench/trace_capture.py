#!/usr/bin/env python3
"""bench/trace_capture.py CONNS SEGS OUT.pcap: writes a classic pcap (raw IPv4)
of CONNS connections, each a handshake, SEGS one-byte data segments with
their ACKs, and a FIN exchange; connections follow each other, each from its
own client address and port. For measuring `synack trace` (bench/trace_bench.sh)."""
import struct, sys

def csum(b):
    s = sum(struct.unpack('!10H', b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def packet(src, dst, sp, dp, seq, ack, flags, payload=b''):
    tot = 40 + len(payload)
    ip = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, tot, 0, 0x4000, 64, 6, 0, src, dst))
    ip[10:12] = struct.pack('!H', csum(bytes(ip)))
    tcp = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0)
    return bytes(ip) + tcp + payload

def main():
    conns, segs, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    server = bytes([10, 0, 0, 1])
    t = 0
    with open(out, 'wb', buffering=1 << 20) as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
        def rec(p):
            nonlocal t
            t += 10
            f.write(struct.pack('<IIII', t // 1000000, t % 1000000, len(p), len(p)) + p)
        for i in range(conns):
            c = bytes([10, 1 + (i >> 16) % 250, (i >> 8) & 255, i & 255])
            sp = 1024 + i % 60000
            a, b = 1000, 5000
            rec(packet(c, server, sp, 80, a, 0, 0x02))
            rec(packet(server, c, 80, sp, b, a + 1, 0x12))
            a += 1; b += 1
            rec(packet(c, server, sp, 80, a, b, 0x10))
            for _ in range(segs):
                rec(packet(c, server, sp, 80, a, b, 0x18, b'x'))
                a += 1
                rec(packet(server, c, 80, sp, b, a, 0x10))
            rec(packet(c, server, sp, 80, a, b, 0x11))
            rec(packet(server, c, 80, sp, b, a + 1, 0x11))
            rec(packet(c, server, sp, 80, a + 1, b + 1, 0x10))

main()
