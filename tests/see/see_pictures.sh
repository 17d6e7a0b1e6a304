#!/usr/bin/env bash
# `synack lab --svg/--html` and `synack trace --svg/--html`: the files are
# well-formed XML (xmllint), self-contained (nothing fetched, no script), and
# headless Chromium renders the page to a PNG that is not blank.
# In CI (CI=true) a missing xmllint or chromium fails; elsewhere it skips (77).
set -euo pipefail
synack=$1
vectors=$2
here="$(cd "$(dirname "$0")" && pwd)"

need() { # tool package
    if command -v "$1" >/dev/null 2>&1; then return 0; fi
    if [ "${CI:-}" = "true" ]; then echo "FAIL: $1 is not installed (CI must install the Debian package $2)"; exit 1; fi
    echo "skip: $1 not installed (Debian package $2)"; exit 77
}
need xmllint libxml2-utils
chrome=""
for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then chrome=$c; break; fi
done
[ -n "$chrome" ] || need chromium chromium
need python3 python3

dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT

self_contained() { # file
    if grep -Eiq '<script|<link |@import|url\(|src="|href="http' "$1"; then
        echo "FAIL: $1 refers to something outside itself"; grep -Eion '<script|<link |@import|url\(|src="|href="http' "$1" | head; exit 1
    fi
}

"$synack" lab --svg "$dir/lab.svg" --html "$dir/lab.html" > "$dir/lab.txt"
"$synack" lab --quiet --loss 0.2 --seed 7 --bytes 20000 --svg "$dir/lossy.svg" --html "$dir/lossy.html" > /dev/null
"$synack" trace "$vectors/kernel_basic.pcap" --svg "$dir/trace.svg" --html "$dir/trace.html" > /dev/null
"$synack" trace "$vectors/kernel_loss.pcap" --conn 2 --svg "$dir/loss.svg" --html "$dir/loss.html" > /dev/null
for f in lab.svg lab.html lossy.svg lossy.html trace.svg trace.html loss.svg loss.html; do
    xmllint --noout "$dir/$f" || { echo "FAIL: $f is not well-formed"; exit 1; }
    self_contained "$dir/$f"
done
# What the pictures must show.
grep -q 'SYN_SENT' "$dir/lab.svg"
grep -q 'TIME_WAIT' "$dir/lab.svg"
grep -q 'SYN|ACK seq=0 ack=1' "$dir/lab.svg"
grep -q 'retransmission' "$dir/lossy.svg"
grep -q 'stroke="#c62828" stroke-width="3"' "$dir/lossy.svg" || { echo "FAIL: no lost segment drawn in the lossy ladder"; exit 1; }
grep -q 'Time-sequence graph' "$dir/lossy.html"
# The lab records cwnd/ssthresh/SRTT/RTO from synack_getinfo: the graphs have data.
grep -q 'cwnd and ssthresh (bytes) of the client' "$dir/lab.html"
if grep -q 'not recorded' "$dir/lab.html"; then echo "FAIL: the lab page's cwnd/RTT graphs are empty"; exit 1; fi
grep -q 'dup ack #3' "$dir/loss.svg"
# Every seed-topic scenario plays, explains (its rule and RFC on the page) and draws.
for sc in lost-server-fin synack-retries fin-retries fin-timeout slow-start option-negotiation isn \
          syn-flood reuseaddr-bind rcvtimeo sndtimeo linger-close; do
    "$synack" lab --quiet --scenario "$sc" --svg "$dir/$sc.svg" --html "$dir/$sc.html" > "$dir/$sc.txt" ||
        { echo "FAIL: synack lab --scenario $sc did not complete"; cat "$dir/$sc.txt"; exit 1; }
    for f in "$sc.svg" "$sc.html"; do
        xmllint --noout "$dir/$f" || { echo "FAIL: $f is not well-formed"; exit 1; }
        self_contained "$dir/$f"
    done
    grep -q 'SYN_SENT' "$dir/$sc.svg" || { echo "FAIL: $sc.svg draws no ladder"; exit 1; }
    grep -q 'RFC' "$dir/$sc.html" || { echo "FAIL: $sc.html does not explain the rule"; exit 1; }
done
grep -q 'connection 4' "$dir/trace.html"

# The picture defects a student found (issue 16), each checked here.
pic() { # name args... : synack lab --quiet args --svg/--html name.*, well-formed
    local n=$1; shift
    "$synack" lab --quiet "$@" --svg "$dir/$n.svg" --html "$dir/$n.html" > "$dir/$n.txt" ||
        { echo "FAIL: synack lab $* did not complete"; cat "$dir/$n.txt"; exit 1; }
    xmllint --noout "$dir/$n.svg" "$dir/$n.html" || { echo "FAIL: $n pictures are not well-formed"; exit 1; }
}
pic fr --scenario fast-retransmit
pic backlog --scenario backlog-full
pic long --bytes 3000000
# 1. Windows scaled and SACK blocks as ranges, as the text ladder shows them.
grep -q 'ack=19 len=1448 win=65536' "$dir/fr.svg" || { echo "FAIL: the window is not shown scaled"; exit 1; }
grep -q 'sack=2897-4345' "$dir/fr.svg" || { echo "FAIL: SACK blocks are not shown as ranges"; exit 1; }
if grep -Eq ' sack=[0-9]+[^0-9-]' "$dir/fr.svg"; then echo "FAIL: a SACK option shown as a count"; exit 1; fi
# 2. The lab's pictures carry the trace's analysis marks.
for m in 'dup ack #3' 'fast retransmission'; do
    grep -q "$m" "$dir/fr.svg" || { echo "FAIL: the lab ladder lacks the mark '$m'"; exit 1; }
done
grep -q 'dup ack #' "$dir/lossy.svg" || { echo "FAIL: the lossy lab ladder has no dup ack mark"; exit 1; }
# 5. No empty graph frames: a side without samples gets a sentence.
for f in lab.html lossy.html trace.html loss.html fr.html backlog.html; do
    if grep -q 'class="empty"' "$dir/$f"; then echo "FAIL: $f draws an empty graph"; exit 1; fi
done
# 7. A long run is folded.
segs=$(grep -oE '^[0-9]+ segments' "$dir/long.txt" | grep -oE '^[0-9]+')
[ "${segs:-0}" -gt 2000 ] || { echo "FAIL: the long run has only ${segs:-0} segments"; exit 1; }
grep -q 'segments folded' "$dir/long.svg" || { echo "FAIL: the long run is not folded"; exit 1; }
# As laid out by the browser: 3. one ladder per connection, its first SYN
# not a retransmission; 4. no two labels overlap; 6. the ladder first;
# 7. the long run's page stays short.
layout() { python3 "$here/layout_check.py" "$chrome" "$@" || { echo "FAIL: layout of $1"; exit 1; }; }
layout "$dir/backlog.html" min-ladders=2 fresh-syn overlap ladder-top=400
for f in lab.html lossy.html fr.html trace.html loss.html slow-start.html; do
    layout "$dir/$f" overlap ladder-top=400
done
layout "$dir/long.html" max-height=12000 ladder-top=400

shoot() { # html png
    timeout 120 "$chrome" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
        --user-data-dir="$dir/profile" --window-size=1100,2600 --screenshot="$2" "file://$1" \
        > "$dir/chrome.log" 2>&1 || { cat "$dir/chrome.log"; echo "FAIL: $chrome could not render $1"; exit 1; }
    [ -s "$2" ] || { cat "$dir/chrome.log"; echo "FAIL: no screenshot of $1"; exit 1; }
    python3 "$here/png_check.py" "$2" || { echo "FAIL: $1 renders blank"; exit 1; }
}
# Rendered offline: nothing may be fetched (the page needs no network).
shoot "$dir/lab.html" "$dir/lab.png"
shoot "$dir/trace.html" "$dir/trace.png"
echo "ok: SVG and HTML well-formed and self-contained; $chrome renders them"
