# Tests of synack's pictures and capture reader (tests/see/*.sh): SVG and
# HTML well-formed (xmllint), the page rendered by headless Chromium, and
# `synack trace` on the kernel captures under tests/vectors/trace/.
foreach(t see_pictures see_trace)
  add_test(NAME ${t} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/see/${t}.sh $<TARGET_FILE:synack>
           ${CMAKE_CURRENT_SOURCE_DIR}/vectors/trace)
  set_tests_properties(${t} PROPERTIES TIMEOUT 300 SKIP_RETURN_CODE 77)
endforeach()
