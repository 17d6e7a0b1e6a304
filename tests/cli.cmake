# Tests of the synack command (shell scripts under tests/cli/).
foreach(t lab_cli lab_pcap lab_scenarios hostile_cli)
  add_test(NAME cli_${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/${t}.sh $<TARGET_FILE:synack>)
  set_tests_properties(cli_${t} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()
# The sources and docs cite nothing outside the repository.
add_test(NAME stands_alone COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/stands_alone.sh ${PROJECT_SOURCE_DIR})
