# The POSIX-shaped layer (synack/posix.h).
# 1. The kernel-socket hello programs of examples/ (the tutorial's server
#    and client), ported by adding the synack_ prefix to each socket call and
#    nothing else (posix/port.cmake), compiled with -include synack/posix.h
#    and linked with the shared library, as an outside program would be.
#    tests/interop/posix_hello.sh runs them against each other and against
#    the unported kernel programs over TUN, and shows the line diff.
foreach(prog server client)
  set(in ${PROJECT_SOURCE_DIR}/examples/kernel_hello_${prog}.c)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/posix_hello_${prog}.c)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DIN=${in} -DOUT=${out} -P ${CMAKE_CURRENT_SOURCE_DIR}/posix/port.cmake
    DEPENDS ${in} ${CMAKE_CURRENT_SOURCE_DIR}/posix/port.cmake)
  add_executable(posix_hello_${prog} ${out})
  target_compile_options(posix_hello_${prog} PRIVATE -include synack/posix.h)
  target_link_libraries(posix_hello_${prog} PRIVATE synack_shared)
  set_target_properties(posix_hello_${prog} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR})
endforeach()
add_test(NAME interop_posix_hello
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/posix_hello.sh $<TARGET_FILE:synack>
                 ${CMAKE_CURRENT_BINARY_DIR})
set_tests_properties(interop_posix_hello PROPERTIES LABELS interop TIMEOUT 240 SKIP_RETURN_CODE 77)
