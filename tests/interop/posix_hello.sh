#!/usr/bin/env bash
# The tutorial's programs on synack/posix.h: examples/kernel_hello_server.c
# and kernel_hello_client.c (written for the kernel's sockets), ported by
# adding the prefix synack_ to each socket call and nothing else
# (tests/posix/port.cmake; the header comes in with -include), run over TUN
# with their host set up from the environment (SYNACK_TUN, SYNACK_ADDR):
#   1. the ported sources equal the originals once "synack_" is removed;
#      the line diff is printed
#   2. synack server (tun0)  <- kernel client
#   3. kernel server         <- synack client (tun1)
#   4. synack server (tun0)  <- synack client (tun1), the kernel forwarding
#   5. kernel server         <- kernel client (the reference)
# Each client must print exactly "Message from server: Hello, Client!", both
# programs exit 0, and the kernel sees no reset (the exit handler lets the
# FIN exchange finish; no sleep in the programs).
# Then: a refused connection (errno ECONNREFUSED through perror), and a
# program without SYNACK_TUN (ENETDOWN and the reason).
# $1: the synack binary (the programs are built next to it); $2: the
# directory of the ported sources.
. "$(dirname "$0")/lib.sh"
ia_require
BIN=$(dirname "$SYNACK")
GEN=${2:?usage: $0 path/to/synack GENERATED_DIR}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
for p in posix_hello_server posix_hello_client kernel_hello_server kernel_hello_client; do
    [ -x "$BIN/$p" ] || ia_cannot "needs $BIN/$p (build the project's examples and tests)"
done

# 1. The port is the prefix and nothing else.
for prog in server client; do
    orig=$SRC/examples/kernel_hello_$prog.c port=$GEN/posix_hello_$prog.c
    calls='socket|bind|listen|accept|accept4|connect|read|write|send|recv|shutdown|close|getsockname|getpeername|setsockopt|getsockopt|fcntl|poll'
    if sed -E "s/synack_($calls)\(/\1(/g" "$port" | cmp -s - "$orig" && ! cmp -s "$port" "$orig"; then
        ok "posix_hello_$prog.c is kernel_hello_$prog.c with only 'synack_' added"
    else
        bad "posix_hello_$prog.c differs from kernel_hello_$prog.c by more than the prefix"
    fi
    n=$(diff "$orig" "$port" | grep -c '^>')
    echo "     line diff for the $prog: $n lines changed (+$n -$n), each only by the prefix:"
    diff "$orig" "$port" | grep '^>' | sed 's/^>/       /'
done

ia_netns 6
nsx sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' || bad "cannot enable forwarding in the namespace"
SENV=(env SYNACK_TUN=tun0 SYNACK_ADDR="$SADDR/24")
CENV=(env SYNACK_TUN=tun1 SYNACK_ADDR="$SADDR2/24")

# pair NAME SERVER_KIND PORT CLIENT_KIND TARGET
#   SERVER_KIND: synack (on tun0) or kernel; CLIENT_KIND: synack (on tun1) or kernel
pair() {
    local server=("$BIN/kernel_hello_server") client=("$BIN/kernel_hello_client")
    [ "$2" = synack ] && server=("${SENV[@]}" "$BIN/posix_hello_server")
    [ "$4" = synack ] && client=("${CENV[@]}" "$BIN/posix_hello_client")
    ia_hello_pair "$1" "$3" "$5" "${server[@]}" -- "${client[@]}"
}

pair "synack server, kernel client" synack 8080 kernel "$SADDR:8080"
pair "kernel server, synack client" kernel 8081 synack "$KADDR2:8081"
pair "synack server, synack client" synack 8082 synack "$SADDR:8082"
pair "kernel server, kernel client" kernel 8083 kernel "$KADDR:8083"

# Errors arrive as -1 and errno, as from the kernel.
err=$(nsx timeout 10 "${CENV[@]}" "$BIN/posix_hello_client" "$KADDR2:9" 2>&1 >/dev/null)
rc=$?
check "synack client, nothing listening: exit 1, perror says 'Connection refused' ($err)" \
    sh -c "[ $rc = 1 ] && printf '%s' \"\$1\" | grep -q 'connection failed: Connection refused'" _ "$err"
err=$(nsx timeout 10 env -u SYNACK_TUN "$BIN/posix_hello_client" "$KADDR2:9" 2>&1 >/dev/null)
rc=$?
check "synack client without SYNACK_TUN: exit 1, says why and ENETDOWN ($err)" \
    sh -c "[ $rc = 1 ] && printf '%s' \"\$1\" | grep -q 'set SYNACK_TUN' && printf '%s' \"\$1\" | grep -q 'Network is down'" _ "$err"
ia_done
