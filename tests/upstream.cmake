# Linux fidelity, both ways (docs/LINUX-FIDELITY.md):
#  - upstream_scripts (label upstream): every script of a packetdrill tree's
#    gtests/net/tcp run through `synack script`, each outcome compared with
#    tests/upstream/expected.txt;
#  - linux_scripts (label linux): synack's tests/scripts/*.pkt run against
#    the Linux kernel by packetdrill, each in its own network namespace
#    (root only; build the tool first: cmake --build BUILD --target packetdrill).
# The packetdrill tree is located here, at configure time, never named in the
# sources: SYNACK_PACKETDRILL_DIR, or the first directory holding both
# gtests/net/tcp and gtests/net/packetdrill found searching upward from the
# source tree (each ancestor and two levels below it). .ci/run passes it.
set(SYNACK_PACKETDRILL_DIR "" CACHE PATH "packetdrill tree (gtests/net/tcp and gtests/net/packetdrill)")
if(NOT SYNACK_PACKETDRILL_DIR)
  set(dir ${PROJECT_SOURCE_DIR})
  foreach(i RANGE 3)
    get_filename_component(dir ${dir} DIRECTORY)
    file(GLOB hits LIST_DIRECTORIES true ${dir}/gtests/net/tcp ${dir}/*/gtests/net/tcp ${dir}/*/*/gtests/net/tcp)
    foreach(hit ${hits})
      get_filename_component(root ${hit} DIRECTORY)
      get_filename_component(root ${root} DIRECTORY)
      get_filename_component(root ${root} DIRECTORY)
      if(NOT SYNACK_PACKETDRILL_DIR AND IS_DIRECTORY ${root}/gtests/net/packetdrill)
        set(SYNACK_PACKETDRILL_DIR ${root} CACHE PATH "packetdrill tree (gtests/net/tcp and gtests/net/packetdrill)" FORCE)
      endif()
    endforeach()
  endforeach()
endif()

add_test(NAME upstream_scripts
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/upstream/check.sh $<TARGET_FILE:synack> "${SYNACK_PACKETDRILL_DIR}"
                 ${CMAKE_CURRENT_SOURCE_DIR}/upstream/expected.txt)
set_tests_properties(upstream_scripts PROPERTIES LABELS upstream SKIP_RETURN_CODE 77 TIMEOUT 900)

# packetdrill itself, built from the tree into the build directory (its
# code never enters the repository); needs bison and flex.
set(SYNACK_PACKETDRILL_BIN ${CMAKE_BINARY_DIR}/packetdrill/packetdrill)
if(SYNACK_PACKETDRILL_DIR)
  add_custom_command(OUTPUT ${SYNACK_PACKETDRILL_BIN}
    COMMAND ${CMAKE_COMMAND} -E copy_directory ${SYNACK_PACKETDRILL_DIR}/gtests/net/packetdrill ${CMAKE_BINARY_DIR}/packetdrill
    COMMAND ${CMAKE_COMMAND} -E chdir ${CMAKE_BINARY_DIR}/packetdrill ./configure
    COMMAND ${CMAKE_COMMAND} -E chdir ${CMAKE_BINARY_DIR}/packetdrill make -s packetdrill
    VERBATIM
    COMMENT "Building packetdrill from ${SYNACK_PACKETDRILL_DIR}")
  add_custom_target(packetdrill DEPENDS ${SYNACK_PACKETDRILL_BIN})
endif()
# The kernel runs these scripts, not synack: nothing to gain under sanitizers.
if(NOT SYNACK_SANITIZE)
  file(GLOB SYNACK_LINUX_SCRIPTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scripts/*.pkt)
  add_test(NAME linux_scripts
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/linux/run_on_linux.sh ${SYNACK_PACKETDRILL_BIN} ${SYNACK_LINUX_SCRIPTS})
  set_tests_properties(linux_scripts PROPERTIES LABELS linux SKIP_RETURN_CODE 77 TIMEOUT 900
                       ENVIRONMENT "LINUX_KNOWN=${CMAKE_CURRENT_SOURCE_DIR}/linux/known-differences.txt")
endif()
