# install.cmake — what `cmake --install` puts where: the public headers,
# libsynack.so (soname libsynack.so.0) and libsynack.a, the synack command,
# synack.pc for pkg-config, and the CMake package (find_package(synack):
# targets synack::synack, the shared library, and synack::synack_static).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# wire.h (the codecs, for the synack command's tools) is not part of the
# library's interface: its functions are internal, hidden in libsynack.so.
install(DIRECTORY include/synack DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h" PATTERN "wire.h" EXCLUDE)
install(TARGETS synack_shared synack_archive EXPORT synackTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS synack RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS synack_preload LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(SYNACK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/synack)
install(EXPORT synackTargets NAMESPACE synack:: DESTINATION ${SYNACK_CMAKE_DIR})
configure_package_config_file(cmake/synackConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/synackConfig.cmake INSTALL_DESTINATION ${SYNACK_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/synackConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/synackConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/synackConfigVersion.cmake
        DESTINATION ${SYNACK_CMAKE_DIR})

# synack.pc finds its prefix from its own place (${pcfiledir}), so the tree
# works wherever it is installed (cmake --install --prefix DIR).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  file(RELATIVE_PATH SYNACK_PC_UP "${CMAKE_INSTALL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH SYNACK_PC_UP "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
endif()
configure_file(cmake/synack.pc.in ${CMAKE_CURRENT_BINARY_DIR}/synack.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/synack.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
