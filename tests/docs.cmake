# synack --version, the man pages and bash completion made from --help.
add_test(NAME cli_docs COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/cli/docs.sh $<TARGET_FILE:synack>
         ${SYNACK_DOCS_DIR} ${PROJECT_VERSION})
set_tests_properties(cli_docs PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
