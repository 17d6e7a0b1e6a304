#!/usr/bin/env python3
"""Rewrites the generated parts of docs/LINUX-FIDELITY.md from the lists the
tests keep: tests/upstream/expected.txt (Linux's scripts under synack) and
tests/linux/known-differences.txt plus the `// synack-only:` headers of
tests/scripts/*.pkt (synack's scripts under Linux).

usage: doc_tables.py REPO_ROOT
The parts rewritten sit between `<!-- generated: NAME -->` and
`<!-- end: NAME -->` lines; everything else in the page is left alone."""
import collections, glob, os, re, sys

root = sys.argv[1]
doc_path = os.path.join(root, "docs/LINUX-FIDELITY.md")

# Counts per folder when this work began (synack script before the runner
# learnt defaults.sh, GSO runs and %{ }% blocks), kept for the before/after.
BEFORE = {
    "blocking": (0, 4, 0), "close": (2, 1, 0), "cubic": (0, 0, 6), "cwnd_moderation": (0, 0, 2),
    "ecn": (0, 0, 1), "eor": (0, 4, 0), "epoll": (0, 0, 4), "fast_recovery": (0, 3, 1),
    "fast_retransmit": (0, 4, 0), "gro": (0, 0, 1), "inq": (0, 0, 2), "ioctl": (0, 0, 1),
    "limited_transmit": (0, 2, 0), "md5": (0, 1, 0), "mss": (0, 1, 2), "mtu_probe": (0, 1, 1),
    "nagle": (0, 2, 1), "notsent_lowat": (0, 3, 0), "sack": (0, 0, 4), "sendfile": (0, 0, 1),
    "shutdown": (0, 6, 0), "slow_start": (0, 0, 10), "splice": (0, 0, 1), "syscall_bad_arg": (0, 1, 2),
    "tcp_info": (0, 0, 3), "timestamping": (0, 0, 3), "ts_recent": (1, 2, 0), "user_timeout": (0, 0, 2),
    "validate": (0, 0, 1), "zerocopy": (0, 0, 11),
}

def upstream():
    rows = collections.OrderedDict()
    for line in open(os.path.join(root, "tests/upstream/expected.txt")):
        if line.startswith("#") or not line.strip():
            continue
        rel, outcome, *reason = line.rstrip("\n").split(" ", 2)
        folder, script = rel.split("/", 1)
        rows.setdefault(folder, []).append((script, outcome, reason[0] if reason else ""))
    table = ["| folder | before: passed / failed / skipped | now: passed / failed / skipped |",
             "|---|---:|---:|"]
    tb, tn = [0, 0, 0], [0, 0, 0]
    for folder in sorted(rows):
        n = [sum(1 for r in rows[folder] if r[1] == k) for k in ("PASS", "FAIL", "SKIP")]
        b = BEFORE.get(folder, (0, 0, 0))
        tb = [x + y for x, y in zip(tb, b)]
        tn = [x + y for x, y in zip(tn, n)]
        table.append("| %s | %d / %d / %d | %d / %d / %d |" % ((folder,) + tuple(b) + tuple(n)))
    table.append("| **total** | **%d / %d / %d** | **%d / %d / %d** |" % tuple(tb + tn))
    lists = []
    for folder in sorted(rows):
        lists.append("### %s\n" % folder)
        passes = [s for s, o, _ in rows[folder] if o == "PASS"]
        if passes:
            lists.append("Passes: %s.\n" % ", ".join("`%s`" % s for s in passes))
        for s, o, r in rows[folder]:
            if o != "PASS":
                lists.append("- `%s` %s: %s" % (s, o, r))
        lists.append("")
    return "\n".join(table), "\n".join(lists).rstrip()

def linux():
    only = []
    scripts = sorted(glob.glob(os.path.join(root, "tests/scripts/*.pkt")))
    for p in scripts:
        for line in open(p):
            if not line.startswith("//"):
                break
            m = re.match(r"//\s*synack-only:\s*(.*)", line)
            if m:
                only.append("- `%s`: %s" % (os.path.basename(p), m.group(1).strip()))
                break
    kinds = collections.OrderedDict()
    known = 0
    for line in open(os.path.join(root, "tests/linux/known-differences.txt")):
        if line.startswith("#") or not line.strip():
            continue
        name, reason = line.rstrip("\n").split(" ", 1)
        kinds.setdefault(reason, []).append(name)
        known += 1
    diffs = ["Of the %d scripts in tests/scripts/, %d are synack-only, %d differ on Linux "
             "(listed by kind below, each also in `tests/linux/known-differences.txt`) and "
             "the other %d pass on Linux 6.x." % (len(scripts), len(only), known,
                                                 len(scripts) - len(only) - known), ""]
    for reason, names in kinds.items():
        diffs.append("- %s: %s" % (reason, ", ".join("`%s`" % n for n in names)))
    return "\n".join(only), "\n".join(diffs)

parts = {}
parts["upstream-table"], parts["upstream-scripts"] = upstream()
parts["linux-synack-only"], parts["linux-differences"] = linux()
doc = open(doc_path).read()
for name, body in parts.items():
    pat = re.compile(r"(<!-- generated: %s -->\n).*?(<!-- end: %s -->)" % (name, name), re.S)
    if not pat.search(doc):
        sys.exit("doc_tables.py: no <!-- generated: %s --> section in %s" % (name, doc_path))
    doc = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), doc)
open(doc_path, "w").write(doc)
