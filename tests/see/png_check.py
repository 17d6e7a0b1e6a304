#!/usr/bin/env python3
"""png_check.py PNG: exits 0 when the image is not blank (many non-white
pixels in several colours), 1 otherwise. Decodes 8-bit RGB/RGBA PNGs with the
standard library only (zlib), so the test needs no imaging package."""
import struct, sys, zlib

def pixels(path):
    d = open(path, "rb").read()
    if d[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG: %s" % path)
    off, idat, w = 8, b"", 0
    while off < len(d):
        n, kind = struct.unpack(">I4s", d[off:off + 8])
        body = d[off + 8:off + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            if depth != 8 or ctype not in (2, 6):
                raise SystemExit("unsupported PNG type %d/%d" % (depth, ctype))
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        off += 12 + n
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows

w, h, bpp, rows = pixels(sys.argv[1])
dark, colours = 0, set()
for r in rows[::2]:
    for x in range(0, w * bpp, bpp * 2):
        px = r[x:x + 3]
        colours.add(px)
        if sum(px) < 600:
            dark += 1
share = dark / float(max(1, (h // 2) * (w // 2)))
print("%dx%d: %.2f%% non-white pixels, %d colours" % (w, h, 100 * share, len(colours)))
sys.exit(0 if share > 0.005 and len(colours) > 8 else 1)
