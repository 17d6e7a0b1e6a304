# Interop tests: synack on a TUN interface in a network namespace, against
# the Linux stack and real programs (curl, wget, socat, ncat, python3, ping,
# ss, tc). Label "interop": ctest -L interop. Each script skips (exit 77,
# with the reason) when it cannot run — not root, no /dev/net/tun, a program
# missing — except under CI=true, where that is a failure.
foreach(t kernel_to_synack synack_to_kernel close netem hello serve_hostile iperf3 relay relay_tun)
  add_test(NAME interop_${t}
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/${t}.sh $<TARGET_FILE:synack>)
  set_tests_properties(interop_${t} PROPERTIES
    LABELS interop TIMEOUT 240 SKIP_RETURN_CODE 77)
endforeach()
