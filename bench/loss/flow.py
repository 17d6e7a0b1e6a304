#!/usr/bin/env python3
"""flow.py — the two ends of bench/loss's transfers, the same for every sender.

  flow.py sink HOST PORT SECONDS   accept one connection, count what arrives for
                                   SECONDS from the accept, print "goodput MBIT BYTES"
  flow.py send HOST PORT [CC]      connect with congestion control CC (default
                                   cubic: the host default may be another, e.g.
                                   bbr, and a namespace cannot change it), send
                                   zeros until the peer goes away
"""
import socket
import sys
import time

mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "sink":
    secs = float(sys.argv[4])
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, port))
    ls.listen(1)
    print("ready", flush=True)
    s, _ = ls.accept()
    t0 = time.monotonic()
    end = t0 + secs
    got = 0
    while True:
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
    print("goodput %.3f %d" % (got * 8 / dt / 1e6, got), flush=True)
    s.close()
else:
    cc = sys.argv[4] if len(sys.argv) > 4 else "cubic"
    s = socket.socket()
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
    got = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).split(b"\0")[0].decode()
    if got != cc:
        sys.exit("flow.py: congestion control %s asked, %s given" % (cc, got))
    s.connect((host, port))
    buf = bytes(1 << 20)
    try:
        while True:
            s.sendall(buf)
    except OSError:
        pass
