# expect_fail.cmake — runs `synack script` on a deliberately wrong script
# (tests/scripts/selftest/*.pkt) and succeeds only when the script FAILS with
# a message naming the line given by its "expect-fail-line: N" comment.
# Usage: cmake -DSYNACK=path/to/synack -DSCRIPT=file.pkt -P expect_fail.cmake
if(NOT SYNACK OR NOT SCRIPT)
  message(FATAL_ERROR "usage: cmake -DSYNACK=... -DSCRIPT=... -P expect_fail.cmake")
endif()
file(READ "${SCRIPT}" text)
string(REGEX MATCH "expect-fail-line: ([0-9]+)" found "${text}")
if(NOT found)
  message(FATAL_ERROR "${SCRIPT}: no 'expect-fail-line: N' comment")
endif()
set(line "${CMAKE_MATCH_1}")
execute_process(COMMAND "${SYNACK}" script "${SCRIPT}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "${SCRIPT} passed, but it is wrong on purpose and must fail")
endif()
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "${SCRIPT}: synack script exited with '${rc}' (expected 1: a script failure)")
endif()
string(FIND "${out}" "FAIL ${SCRIPT}:${line}:" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "${SCRIPT} failed, but the message does not name line ${line}")
endif()
