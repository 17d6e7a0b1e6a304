#!/usr/bin/env python3
"""flow.py — the kernel ends of bench/loss's transfers, the same for every peer.

  flow.py sink HOST PORT SECONDS [BYTES]
      accept one connection and count what arrives for SECONDS from the
      accept: print "goodput MBIT BYTES". With BYTES, stop as soon as BYTES
      have come and print "took SECONDS BYTES" (the time from the accept to
      the last byte: bench/loss/tail.sh).
  flow.py send HOST PORT [--cc CC] [--secs S] [--bytes N]
      connect with congestion control CC (default cubic: the host default
      may be another, e.g. bbr, and a namespace cannot change it) and send
      zeros: N bytes then close, or for S seconds from the connect (then
      print "goodput MBIT BYTES" of the bytes the peer acknowledged, from
      TCP_INFO), or until the peer goes away. At the end print
      "retrans RETRANS SEGS" (TCP_INFO total_retrans and segs_out: the
      sender's retransmitted and sent segments, as nstat's TcpRetransSegs
      and TcpOutSegs count them for one socket).
"""
import socket
import struct
import sys
import time

TCP_INFO = getattr(socket, "TCP_INFO", 11)


def tcp_info(s):
    """(total_retrans, segs_out, bytes_acked) from struct tcp_info (linux/tcp.h)."""
    b = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 256)
    # 8 bytes of u8 fields, then u32s from offset 8: total_retrans is the
    # 24th u32 (offset 100); u64 pacing_rate 104, max_pacing_rate 112,
    # bytes_acked 120, bytes_received 128; u32 segs_out 136.
    total_retrans = struct.unpack_from("I", b, 100)[0]
    bytes_acked = struct.unpack_from("Q", b, 120)[0] if len(b) >= 128 else 0
    segs_out = struct.unpack_from("I", b, 136)[0] if len(b) >= 140 else 0
    return total_retrans, segs_out, bytes_acked


mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "sink":
    secs = float(sys.argv[4])
    want = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    print("ready", flush=True)
    s, _ = ls.accept()
    t0 = time.monotonic()
    end = t0 + secs
    got = 0
    while not want or got < want:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            b = s.recv(1 << 20)
        except socket.timeout:
            break
        if not b:
            break
        got += len(b)
    dt = time.monotonic() - t0
    if want:
        print("took %.6f %d" % (dt, got), flush=True)
    else:
        print("goodput %.3f %d" % (got * 8 / dt / 1e6, got), flush=True)
    s.close()
else:
    args = sys.argv[4:]
    opt = {"--cc": "cubic", "--secs": "0", "--bytes": "0"}
    while args:
        if args[0] not in opt or len(args) < 2:
            sys.exit("flow.py send: unknown option %s" % args[0])
        opt[args[0]] = args[1]
        args = args[2:]
    cc, secs, nbytes = opt["--cc"], float(opt["--secs"]), int(opt["--bytes"])
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    got = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode()
    if got != cc:
        sys.exit("flow.py: congestion control %s asked, %s given" % (cc, got))
    # a listener still starting (synack serve brings its TUN up first) may
    # refuse or be unreachable for a moment: try again for 10 s
    for attempt in range(100):
        try:
            s.connect((host, port))
            break
        except (ConnectionRefusedError, OSError) as e:
            if attempt == 99 or not isinstance(e, ConnectionRefusedError) and e.errno not in (101, 113):
                raise
            s.close()
            time.sleep(0.1)
            s = socket.socket()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    t0 = time.monotonic()
    buf = bytes(1 << 20)
    sent = 0
    try:
        if nbytes:
            while sent < nbytes:
                sent += s.send(memoryview(buf)[: min(len(buf), nbytes - sent)])
            s.shutdown(socket.SHUT_WR)
            s.recv(1)  # the peer's close: everything was delivered
        elif secs:
            while True:
                left = t0 + secs - time.monotonic()
                if left <= 0:
                    break
                s.settimeout(left)
                s.send(buf)
        else:
            while True:
                s.sendall(buf)
    except (OSError, socket.timeout):
        pass
    retrans, segs, acked = tcp_info(s)
    if secs:
        dt = time.monotonic() - t0
        print("goodput %.3f %d" % (acked * 8 / dt / 1e6, acked), flush=True)
    print("retrans %d %d" % (retrans, segs), flush=True)
