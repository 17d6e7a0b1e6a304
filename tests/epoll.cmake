# Linux's epoll scripts (packetdrill's gtests/net/tcp/epoll) under `synack
# script`. The packetdrill tree is located, not shipped: SYNACK_PACKETDRILL_DIR,
# or a directory named packetdrill next to the source tree or up to two
# levels above it.
if(NOT SYNACK_PACKETDRILL_DIR)
  file(GLOB SYNACK_PD_CANDIDATES LIST_DIRECTORIES true
    ${PROJECT_SOURCE_DIR}/../packetdrill ${PROJECT_SOURCE_DIR}/../*/packetdrill
    ${PROJECT_SOURCE_DIR}/../../*/packetdrill)
  foreach(dir ${SYNACK_PD_CANDIDATES})
    if(EXISTS ${dir}/gtests/net/tcp/epoll)
      get_filename_component(SYNACK_PACKETDRILL_DIR ${dir} ABSOLUTE)
      break()
    endif()
  endforeach()
  set(SYNACK_PACKETDRILL_DIR "${SYNACK_PACKETDRILL_DIR}" CACHE PATH "Linux's packetdrill tree (its TCP scripts)")
endif()
add_test(NAME upstream_epoll
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/upstream_epoll.sh $<TARGET_FILE:synack> "${SYNACK_PACKETDRILL_DIR}")
set_tests_properties(upstream_epoll PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)
