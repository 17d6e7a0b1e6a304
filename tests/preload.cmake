# libsynack-preload.so with unmodified programs over TUN (interop/preload.sh).
# In a sanitizer build the sanitizer runtime must be preloaded first.
set(SYNACK_ASAN_RUNTIME "")
if(SYNACK_SANITIZE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE SYNACK_ASAN_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
endif()
add_test(NAME interop_preload
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/preload.sh $<TARGET_FILE:synack> "${SYNACK_ASAN_RUNTIME}")
set_tests_properties(interop_preload PROPERTIES LABELS interop TIMEOUT 240 SKIP_RETURN_CODE 77)
