# relay_lib.sh — sourced after lib.sh: two network namespaces joined by
# `synack relay` (the lossy path of the loss tests and bench/loss).
#
#     left (10.81.0.1, TUN r0)  <-- synack relay -->  (10.81.0.2, TUN r0) right
#
# Each namespace's r0 is made persistent first (ip tuntap add) so its
# address and routes are in place before the relay attaches. The relay runs
# in the test's first namespace context (it enters each namespace to open
# the TUN); its PID is recorded and killed by PID; both namespaces are
# deleted on exit.

RL_LEFT="synack-${IA_NAME}-L$$"
RL_RIGHT="synack-${IA_NAME}-R$$"
RL_RELAY=""

rl_cleanup() {
    ia_cleanup
    ip netns del "$RL_LEFT" 2>/dev/null
    ip netns del "$RL_RIGHT" 2>/dev/null
}
trap rl_cleanup EXIT

lx() { ip netns exec "$RL_LEFT" "$@"; }
rx() { ip netns exec "$RL_RIGHT" "$@"; }

# rl_netns : the two namespaces with their r0 and addresses.
rl_netns() {
    ip netns add "$RL_LEFT" || ia_cannot "cannot create a network namespace"
    ip netns add "$RL_RIGHT" || ia_cannot "cannot create a network namespace"
    IA_NS=$RL_LEFT # lib.sh's nsx/ia_bg run in the left namespace
    local ns addr
    for ns in "$RL_LEFT" "$RL_RIGHT"; do
        ip -n "$ns" link set lo up
        ip -n "$ns" tuntap add dev r0 mode tun || ia_cannot "cannot create a TUN interface in a namespace"
    done
    ip -n "$RL_LEFT" addr add 10.81.0.1/24 dev r0
    ip -n "$RL_RIGHT" addr add 10.81.0.2/24 dev r0
    ip -n "$RL_LEFT" link set r0 up
    ip -n "$RL_RIGHT" link set r0 up
}

# rl_relay LOG ARGS... : (re)starts the relay with these impairment options.
rl_relay() {
    local log=$1
    shift
    rl_stop
    timeout --foreground "${RL_TIMEOUT:-600}" "$SYNACK" relay --a "$RL_LEFT:r0" --b "$RL_RIGHT:r0" --stats "$@" \
        >"$log" 2>&1 &
    RL_RELAY=$!
    IA_PIDS+=("$RL_RELAY")
    # the relay is up when its TUN on the left is attached (carrier on)
    for _ in $(seq 100); do
        ip -n "$RL_LEFT" link show r0 2>/dev/null | grep -q 'LOWER_UP' && return 0
        kill -0 "$RL_RELAY" 2>/dev/null || break
        sleep 0.05
    done
    echo "--- $log:" >&2
    cat "$log" >&2
    return 1
}

# rl_stop : stops the running relay (its stats go to its log).
rl_stop() {
    [ -n "$RL_RELAY" ] || return 0
    kill -TERM "$RL_RELAY" 2>/dev/null
    ia_reap "$RL_RELAY"
    RL_RELAY=""
}
