# The installed tree as an outside project uses it (tests/install/check.sh):
# cmake --install into a temporary prefix, exported names, pkg-config and
# find_package(synack) builds of tests/install/outside.c.
if(SYNACK_SANITIZE)
  set(SYNACK_OUTSIDE_FLAGS "-fsanitize=address,undefined")
endif()
add_test(NAME install_package
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/install/check.sh ${PROJECT_BINARY_DIR}
                 ${CMAKE_COMMAND} ${CMAKE_C_COMPILER} "${SYNACK_OUTSIDE_FLAGS}")
set_tests_properties(install_package PROPERTIES LABELS install TIMEOUT 300)
