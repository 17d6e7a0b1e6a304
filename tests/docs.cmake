# synack --version, the man pages and bash completion made from --help.
add_test(NAME cli_docs COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/docs.sh $<TARGET_FILE:synack>
         ${SYNACK_DOCS_DIR} ${PROJECT_VERSION})
set_tests_properties(cli_docs PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# The capture writers: libpcap where it was found, the hand-written fallback
# byte for byte the same (tests/cli/pcap_writers.sh).
if(SYNACK_PCAP_LIBS)
  set(SYNACK_WITH_LIBPCAP 1)
else()
  set(SYNACK_WITH_LIBPCAP 0)
endif()
add_test(NAME cli_pcap_writers COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/pcap_writers.sh $<TARGET_FILE:synack>
         $<TARGET_FILE:synack_shared> ${SYNACK_WITH_LIBPCAP})
set_tests_properties(cli_pcap_writers PROPERTIES TIMEOUT 120)
