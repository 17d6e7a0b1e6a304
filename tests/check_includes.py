#!/usr/bin/env python3
"""check_includes.py — the include graph of src/, include/ and tools/ points one way.

Layers, lowest first (an arrow "a <- b" means b may include a):

    util (src/util, synack/export.h)
      <- wire (src/wire, synack/wire.h) · link (src/link, synack/sim.h, pcap.h, tun.h)
         · types (synack/synack.h: the public types every layer shares)
      <- tcp (src/tcp) · ip (src/ip)
      <- stack (src/stack)
      <- api (src/api, synack/host.h, epoll.h, posix.h)
      <- tools (tools/*/)

A file may include a file of a lower layer or of its own layer. It fails on:
  - an arrow the wrong way (a lower layer including a higher one),
  - two layers of the same rank including each other's files (tcp and ip are peers),
  - tools including anything that is not under include/ or tools/ (tools see only include/),
  - an include naming a project file that does not exist,
  - any cycle among files.
Includes in <angle brackets> are the system's and are not checked.

Usage: check_includes.py [ROOT]        check the tree at ROOT (default: this repository)
       check_includes.py --self-test   check that each rule above catches a planted fault
"""
import os
import re
import sys
import tempfile

RANK = {"util": 0, "wire": 1, "link": 1, "types": 1, "tcp": 2, "ip": 2, "stack": 3, "api": 4, "tools": 5}
PUBLIC = {  # include/synack/<name> -> layer
    "export.h": "util", "wire.h": "wire", "synack.h": "types", "sim.h": "link", "pcap.h": "link",
    "tun.h": "link", "host.h": "api", "epoll.h": "api", "posix.h": "api",
}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(rel):
    parts = rel.split("/")
    if parts[0] == "src" and len(parts) >= 3:
        return parts[1] if parts[1] in RANK else None
    if parts[0] == "include" and len(parts) == 3 and parts[1] == "synack":
        return PUBLIC.get(parts[2])
    if parts[0] == "tools":
        return "tools"
    return None


def collect(root):
    files = []
    for top in ("src", "include", "tools"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for n in names:
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(d, n), root).replace(os.sep, "/"))
    return sorted(files)


def resolve(root, rel, inc):
    """The project file an include names, or None. src files see src/ and include/; tools see
    their own folder, the other tools folders and include/ (never src/)."""
    here = os.path.dirname(rel)
    cands = [os.path.join(here, inc)]
    if rel.startswith("tools/"):
        cands.append(os.path.join("include", inc))
        tools = os.path.join(root, "tools")
        if os.path.isdir(tools):
            cands += [os.path.join("tools", d, inc) for d in sorted(os.listdir(tools))
                      if os.path.isdir(os.path.join(tools, d))]
    else:
        cands += [os.path.join("src", inc), os.path.join("include", inc)]
    for c in cands:
        c = os.path.normpath(c).replace(os.sep, "/")
        if os.path.isfile(os.path.join(root, c)):
            return c
    return None


def check(root):
    files = collect(root)
    errors = []
    graph = {}
    for rel in files:
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            text = f.read()
        graph[rel] = []
        mine = layer_of(rel)
        for inc in INCLUDE_RE.findall(text):
            target = resolve(root, rel, inc)
            if target is None:
                if rel.startswith("tools/") and os.path.isfile(os.path.join(root, "src", inc)):
                    errors.append(f'{rel}: includes "{inc}" from src/ (tools see only include/)')
                else:
                    errors.append(f'{rel}: includes "{inc}", which is no file of the project')
                continue
            graph[rel].append(target)
            theirs = layer_of(target)
            if mine is None or theirs is None or mine == theirs:
                continue
            if RANK[theirs] > RANK[mine]:
                errors.append(f"{rel}: {mine} includes {target} ({theirs}): the arrow points the wrong way")
            elif RANK[theirs] == RANK[mine]:
                errors.append(f"{rel}: {mine} includes {target} ({theirs}): peers must not include each other")
    # Cycles among files (iterative depth-first search).
    state = {}
    for start in files:
        if state.get(start):
            continue
        stack = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            s = state.get(nxt, 0)
            if s == 1:
                cyc = path[path.index(nxt):] + [nxt]
                errors.append("cycle: " + " -> ".join(cyc))
            elif s == 0:
                state[nxt] = 1
                stack.append((nxt, iter(graph[nxt])))
                path.append(nxt)
    return files, graph, errors


def self_test():
    """Plants each fault in a small tree and checks that it is reported."""
    cases = {
        "clean": ({"src/wire/w.h": "", "src/tcp/t.h": '#include "wire/w.h"\n',
                   "tools/cli/m.c": '#include "synack/synack.h"\n', "include/synack/synack.h": ""}, None),
        "wrong way": ({"src/wire/w.h": '#include "tcp/t.h"\n', "src/tcp/t.h": ""}, "wrong way"),
        "peers": ({"src/tcp/t.h": '#include "ip/i.h"\n', "src/ip/i.h": ""}, "peers"),
        "tools see src": ({"tools/cli/m.c": '#include "wire/w.h"\n', "src/wire/w.h": ""}, "tools see only include/"),
        "missing": ({"src/tcp/t.c": '#include "tcp/nothere.h"\n'}, "no file of the project"),
        "cycle": ({"src/tcp/a.h": '#include "tcp/b.h"\n', "src/tcp/b.h": '#include "tcp/a.h"\n'}, "cycle"),
    }
    bad = 0
    for name, (tree, want) in cases.items():
        with tempfile.TemporaryDirectory() as d:
            for rel, text in tree.items():
                os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
                with open(os.path.join(d, rel), "w") as f:
                    f.write(text)
            _, _, errors = check(d)
        ok = (not errors) if want is None else any(want in e for e in errors)
        print(("ok   " if ok else "FAIL ") + f"{name}: {errors or 'no errors'}")
        bad += not ok
    return 1 if bad else 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    files, graph, errors = check(root)
    for e in errors:
        print("FAIL " + e)
    edges = sum(len(v) for v in graph.values())
    if errors:
        print(f"include graph: {len(errors)} problem(s) in {len(files)} files")
        return 1
    print(f"ok: {len(files)} files, {edges} includes, every arrow points down "
          "(util <- wire/link/types <- tcp/ip <- stack <- api <- tools), no cycle")
    return 0


if __name__ == "__main__":
    sys.exit(main())
