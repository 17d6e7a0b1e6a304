#!/usr/bin/env bash
# Transfers under impairment, byte-exact every time: 20 ms delay, 1% and 5%
# loss, reordering, duplication.
#
# The faults come from tc netem on the kernel side of the TUN interfaces
# (they hit what the kernel sends: data of `synack get`, ACKs of the others).
# When the kernel has no netem (CONFIG_NET_SCH_NETEM unset, as in some CI
# VMs), loss is still made on the kernel side, by an nftables rule that
# drops a random share of what the kernel sends to tun0/tun1; delay,
# reordering and duplication are then injected by synack's own link,
# `--impair`, which hits both directions. The test says which it used.
. "$(dirname "$0")/lib.sh"
ia_require curl socat ss sha256sum tc
ia_netns 4

SIZE=${IA_NETEM_BYTES:-4000000}
WWW=$IA_TMP/www
mkdir -p "$WWW"
head -c "$SIZE" /dev/urandom >"$WWW/f.bin"
(cd "$WWW" && ip netns exec "$IA_NS" timeout 300 "$PY" -m http.server 8000 --bind "$KADDR2" \
    >"$IA_TMP/http.log" 2>&1) &
IA_PIDS+=($!)
ia_wait_port 8000 || bad "python http.server did not start"

if nsx tc qdisc add dev tun0 root netem delay 1ms 2>/dev/null; then
    nsx tc qdisc del dev tun0 root
    MODE=netem
    echo "impairment: tc netem on the kernel side of tun0 and tun1"
else
    MODE=impair
    echo "impairment: this kernel has no netem qdisc; loss by nftables on the kernel side when possible," \
         "the rest by synack --impair (both directions)"
fi
HAVE_NFT=no
if command -v nft >/dev/null 2>&1 && nsx nft add table inet synack_imp 2>/dev/null; then
    nsx nft delete table inet synack_imp
    HAVE_NFT=yes
fi
[ $MODE = netem ] || [ $HAVE_NFT = yes ] || [ "${CI:-}" != true ] || \
    bad "neither tc netem nor nftables works here: loss cannot be made on the kernel side"
# nft_loss PERCENT: drop that share of what the kernel sends into the TUNs.
nft_loss() {
    nsx nft add table inet synack_imp
    nsx nft add chain inet synack_imp out '{ type filter hook output priority 0; }'
    nsx nft add rule inet synack_imp out oifname '{ "tun0", "tun1" }' numgen random mod 100 '<' "$1" counter drop
}

#        name     netem arguments                              --impair spec
PROFILES=(
    "delay20  |delay 20ms                                   |delay=20"
    "loss1    |loss 1%                                      |loss=1"
    "loss5    |loss 5%                                      |loss=5"
    "reorder  |delay 5ms reorder 75% 50%                    |reorder=5"
    "dup      |duplicate 5%                                 |dup=5"
)

seed=1
for p in "${PROFILES[@]}"; do
    IFS='|' read -r name nargs ispec <<<"$p"
    name=$(echo $name)
    IMP=()
    if [ $MODE = netem ]; then
        nsx tc qdisc replace dev tun0 root netem $nargs limit 10000
        nsx tc qdisc replace dev tun1 root netem $nargs limit 10000
    elif [ $HAVE_NFT = yes ] && [ "${ispec%%=*}" = loss ]; then
        nft_loss "${ispec#loss=}"
        echo "  $name: ${ispec#loss=}% loss by nftables on the kernel side"
    else
        IMP=(--impair "$ispec,seed=$seed")
    fi
    seed=$((seed + 1))
    ia_serve --http 80:"$WWW" --stats "${IMP[@]}"

    t0=$(now_ms)
    code=$(nsx timeout 120 curl -s -o "$IA_TMP/c.bin" -w '%{http_code}' "http://$SADDR/f.bin")
    t1=$(now_ms)
    check "$name: curl from synack serve, $SIZE bytes, sha256 equal ($((t1 - t0)) ms)" \
        [ "$code" = 200 -a "$(sha "$IA_TMP/c.bin")" = "$(sha "$WWW/f.bin")" ]

    t0=$(now_ms)
    nsx timeout 120 "$SYNACK" get "${CLINK[@]}" "${IMP[@]}" "http://$KADDR2:8000/f.bin" -o "$IA_TMP/g.bin" \
        2>"$IA_TMP/get.log"
    rc=$?
    t1=$(now_ms)
    check "$name: synack get from python http.server, sha256 equal ($((t1 - t0)) ms)" \
        [ "$rc" = 0 -a "$(sha "$IA_TMP/g.bin")" = "$(sha "$WWW/f.bin")" ]

    ia_bg 120 "$IA_TMP/sink.log" sh -c "socat -u TCP-LISTEN:5001,reuseaddr STDOUT | sha256sum"
    SINK=$IA_LAST
    ia_wait_port 5001 || bad "socat sink did not start"
    t0=$(now_ms)
    nsx timeout 120 "$SYNACK" bulk "${CLINK[@]}" "${IMP[@]}" "$KADDR2:5001" --bytes "$SIZE" 2>"$IA_TMP/bulk.log"
    rc=$?
    t1=$(now_ms)
    ia_reap "$SINK"
    check "$name: synack bulk to a socat sink, sha256 of the pattern ($((t1 - t0)) ms)" \
        [ "$rc" = 0 -a "$(cut -d' ' -f1 "$IA_TMP/sink.log")" = "$(pattern sha "$SIZE")" ]

    kill -TERM "$IA_SERVE"
    ia_reap "$IA_SERVE"
    grep -h 'retrans_segs\|impair' "$IA_TMP/serve.log" | sed "s/^/    $name serve /"
    if [ $MODE = netem ]; then
        nsx tc qdisc del dev tun0 root
        nsx tc qdisc del dev tun1 root
    fi
    if nsx nft list table inet synack_imp >/dev/null 2>&1; then
        echo "    $name kernel-side drops: $(nsx nft list table inet synack_imp | grep -o 'packets [0-9]*' | head -1)"
        nsx nft delete table inet synack_imp
    fi
done
ia_done
