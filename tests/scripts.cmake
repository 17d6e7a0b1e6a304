# synack's protocol tests as packetdrill-syntax scripts (docs/SCRIPTS.md):
# one CTest per tests/scripts/*.pkt, run by `synack script` (scripts under
# tests/scripts/pending/ describe Linux behaviour synack lacks and are not
# run), plus self-tests: each tests/scripts/selftest/*.pkt is wrong on
# purpose and must FAIL with a message naming its line.
file(GLOB SYNACK_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scripts/*.pkt)
foreach(pkt ${SYNACK_SCRIPTS})
  get_filename_component(name ${pkt} NAME_WE)
  add_test(NAME script_${name} COMMAND $<TARGET_FILE:synack> script ${pkt})
  # 77: every script skipped (needs something synack does not have).
  set_tests_properties(script_${name} PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 120)
endforeach()

file(GLOB SYNACK_SCRIPT_SELFTESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scripts/selftest/*.pkt)
foreach(pkt ${SYNACK_SCRIPT_SELFTESTS})
  get_filename_component(name ${pkt} NAME_WE)
  add_test(NAME script_selftest_${name}
           COMMAND ${CMAKE_COMMAND} -DSYNACK=$<TARGET_FILE:synack> -DSCRIPT=${pkt}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/scripts/selftest/expect_fail.cmake)
  set_tests_properties(script_selftest_${name} PROPERTIES TIMEOUT 120)
endforeach()

# The same wrong-on-purpose script passes with --unchecked-tail (segments
# after the last outbound line unchecked, as packetdrill; used for Linux's
# own scripts by tests/upstream/check.sh).
add_test(NAME script_unchecked_tail
         COMMAND $<TARGET_FILE:synack> script --unchecked-tail ${CMAKE_CURRENT_SOURCE_DIR}/scripts/selftest/unlisted-tail.pkt)
set_tests_properties(script_unchecked_tail PROPERTIES TIMEOUT 120)
