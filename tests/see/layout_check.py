#!/usr/bin/env python3
"""layout_check.py CHROME PAGE.html [checks...]: renders a copy of a synack
page in headless Chromium with a measuring script added (the page itself
has none) and checks the layout a reader sees:

  overlap          no two text boxes of a ladder intersect (labels, states,
                   times, notes), as laid out by the browser
  ladder-top=PX    the first ladder starts less than PX pixels from the top
  max-height=PX    the whole page is shorter than PX pixels
  min-ladders=N    at least N ladders are drawn
  fresh-syn        the first SYN of each ladder is not marked as a
                   retransmission (each connection has its own ladder)

Prints what it measured; exits 1 with the reason when a check fails."""
import json, os, re, subprocess, sys, tempfile

MEASURE = r"""
<script>
(function () {
  var out = {ladders: [], height: document.documentElement.scrollHeight};
  var svgs = document.querySelectorAll('svg');
  for (var i = 0; i < svgs.length; i++) {
    var svg = svgs[i];
    if (!svg.querySelector('text.seg')) continue;
    var r = svg.getBoundingClientRect();
    var boxes = [];
    var texts = svg.querySelectorAll('text');
    for (var k = 0; k < texts.length; k++) {
      var b = texts[k].getBoundingClientRect();
      if (b.width === 0 || b.height === 0) continue;
      boxes.push([b.left, b.top + window.scrollY, b.right, b.bottom + window.scrollY,
                  texts[k].textContent]);
    }
    out.ladders.push({top: r.top + window.scrollY, height: r.height, boxes: boxes});
  }
  document.body.setAttribute('data-layout', JSON.stringify(out));
})();
</script>
"""


def measure(chrome, page):
    html = open(page, encoding="utf-8").read()
    tmp = tempfile.mkdtemp()
    copy = os.path.join(tmp, "page.html")
    with open(copy, "w", encoding="utf-8") as f:
        f.write(html.replace("</body>", MEASURE + "</body>"))
    cmd = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--hide-scrollbars",
           "--user-data-dir=" + os.path.join(tmp, "profile"), "--window-size=1100,900", "--dump-dom",
           "file://" + copy]
    dom = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=180).stdout.decode()
    m = re.search(r'data-layout="([^"]*)"', dom)
    if not m:
        raise SystemExit("FAIL: %s: the browser reported no layout" % page)
    raw = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return json.loads(raw)


def overlaps(boxes):
    bad = []
    s = sorted(boxes, key=lambda b: b[1])
    for i, a in enumerate(s):
        for b in s[i + 1:]:
            if b[1] >= a[3] - 0.5:
                break
            if a[0] < b[2] - 0.5 and b[0] < a[2] - 0.5 and a[1] < b[3] - 0.5 and b[1] < a[3] - 0.5:
                bad.append((a, b))
    return bad


def main():
    chrome, page, checks = sys.argv[1], sys.argv[2], sys.argv[3:]
    L = measure(chrome, page)
    name = os.path.basename(page)
    nboxes = sum(len(l["boxes"]) for l in L["ladders"])
    print("%s: %d ladders, %d text boxes, first ladder at %s px, page %d px high" %
          (name, len(L["ladders"]), nboxes, int(L["ladders"][0]["top"]) if L["ladders"] else "-", L["height"]))
    fail = False
    for c in checks:
        key, _, val = c.partition("=")
        if key == "overlap":
            for l in L["ladders"]:
                bad = overlaps(l["boxes"])
                for a, b in bad[:5]:
                    print("FAIL: %s: labels overlap: %r at %.0f,%.0f and %r at %.0f,%.0f" %
                          (name, a[4][:50], a[0], a[1], b[4][:50], b[0], b[1]))
                fail |= bool(bad)
        elif key == "ladder-top":
            if not L["ladders"] or L["ladders"][0]["top"] >= float(val):
                print("FAIL: %s: the ladder starts at %s px, not above %s px" %
                      (name, L["ladders"][0]["top"] if L["ladders"] else "(none)", val))
                fail = True
        elif key == "max-height":
            if L["height"] >= float(val):
                print("FAIL: %s: the page is %d px high (limit %s)" % (name, L["height"], val))
                fail = True
        elif key == "min-ladders":
            if len(L["ladders"]) < int(val):
                print("FAIL: %s: %d ladders drawn, expected at least %s" % (name, len(L["ladders"]), val))
                fail = True
        elif key == "fresh-syn":
            for i, l in enumerate(L["ladders"]):
                syns = [b[4] for b in l["boxes"] if b[4].startswith("SYN ")]
                if not syns:
                    print("FAIL: %s: ladder %d has no SYN" % (name, i + 1))
                    fail = True
                elif "retransmission" in syns[0]:
                    print("FAIL: %s: ladder %d's first SYN is marked: %s" % (name, i + 1, syns[0]))
                    fail = True
        else:
            raise SystemExit("unknown check %s" % c)
    sys.exit(1 if fail else 0)


main()
