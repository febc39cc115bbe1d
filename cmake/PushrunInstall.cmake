# What `cmake --install` puts under the prefix: the pushrun binary and its man page, the metrics
# library with its public headers, a CMake package (find_package(pushrun) -> pushrun::metrics)
# and a pkg-config file (pushrun-metrics.pc). Included from the top-level CMakeLists.txt after
# every target exists. The config and runner libraries are the binary's internals: not installed.
#
# BUILD_SHARED_LIBS=ON builds libpushrun-metrics as a shared library (with a SONAME); the
# default is a static library whose private dependencies the package files name.

include(CMakePackageConfigHelpers)

set(PUSHRUN_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pushrun CACHE STRING
    "Where the CMake package files are installed, relative to the prefix")
mark_as_advanced(PUSHRUN_CMAKE_DIR)

# --- the metrics library and its headers ---------------------------------------------------------

# The public headers use C++20 (std::span, designated initializers); consumers need it too.
target_compile_features(pushrun_metrics PUBLIC cxx_std_20)
set_target_properties(pushrun_metrics PROPERTIES
  EXPORT_NAME metrics
  VERSION ${PROJECT_VERSION}
  # 0.x: every minor release may break the ABI.
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

install(TARGETS pushrun_metrics EXPORT pushrunTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/metrics/include/pushrun
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
  FILES_MATCHING PATTERN "*.h")

# --- dependencies a consumer must link too --------------------------------------------------------
# A static library carries its private dependencies to every consumer. Derive them from what
# metrics/CMakeLists.txt actually links, so the package files follow it (for instance if libcurl
# becomes dlopen'd and the library links only libdl).

get_target_property(_pushrun_metrics_type pushrun_metrics TYPE)
get_target_property(_pushrun_metrics_links pushrun_metrics LINK_LIBRARIES)
if(NOT _pushrun_metrics_links)
  set(_pushrun_metrics_links "")
endif()
set(PUSHRUN_PC_REQUIRES_PRIVATE "")
set(PUSHRUN_PC_LIBS_PRIVATE "")
set(PUSHRUN_FIND_DEPENDENCIES "")
foreach(_lib IN LISTS _pushrun_metrics_links)
  # libcurl and zlib go to Libs.private, not Requires.private: with Requires.private,
  # `pkg-config --static` also demands libcurl's own static dependencies (-lrtmp, -lssh2,
  # -lldap, ...), which Debian's libcurl4-openssl-dev does not provide for static linking.
  # Linking the static libpushrun-metrics needs only the shared libcurl and libz.
  if(_lib STREQUAL "CURL::libcurl")
    list(APPEND PUSHRUN_PC_LIBS_PRIVATE -lcurl)
    string(APPEND PUSHRUN_FIND_DEPENDENCIES "find_dependency(CURL)\n")
  elseif(_lib STREQUAL "ZLIB::ZLIB")
    list(APPEND PUSHRUN_PC_LIBS_PRIVATE -lz)
    string(APPEND PUSHRUN_FIND_DEPENDENCIES "find_dependency(ZLIB)\n")
  elseif(_lib STREQUAL "Threads::Threads")
    list(APPEND PUSHRUN_PC_LIBS_PRIVATE -pthread)
    string(APPEND PUSHRUN_FIND_DEPENDENCIES "find_dependency(Threads)\n")
  elseif(_lib MATCHES "^(dl|-ldl|${CMAKE_DL_LIBS})$")
    list(APPEND PUSHRUN_PC_LIBS_PRIVATE -ldl)
  elseif(_lib MATCHES "^-l")
    list(APPEND PUSHRUN_PC_LIBS_PRIVATE ${_lib})
  elseif(_lib MATCHES "^[A-Za-z0-9_+.-]+$" AND NOT TARGET ${_lib})
    list(APPEND PUSHRUN_PC_LIBS_PRIVATE -l${_lib})
  else()
    message(WARNING "pushrun install: do not know how a consumer links '${_lib}'; "
                    "pushrun-metrics.pc and pushrunConfig.cmake may be incomplete")
  endif()
endforeach()
list(JOIN PUSHRUN_PC_REQUIRES_PRIVATE ", " PUSHRUN_PC_REQUIRES_PRIVATE)
list(JOIN PUSHRUN_PC_LIBS_PRIVATE " " PUSHRUN_PC_LIBS_PRIVATE)
if(_pushrun_metrics_type STREQUAL "STATIC_LIBRARY")
  # Only the static archive is installed, so every consumer links it statically: its
  # dependencies go to Libs, and a plain `pkg-config --libs pushrun-metrics` links (users do
  # not know to add --static, and build systems such as Meson do not by default).
  set(PUSHRUN_PC_LIBS_DEPS " ${PUSHRUN_PC_LIBS_PRIVATE}")
  set(PUSHRUN_PC_LIBS_PRIVATE "")
else()
  # A shared library resolves its own dependencies; consumers need none of them.
  set(PUSHRUN_PC_LIBS_DEPS "")
  set(PUSHRUN_FIND_DEPENDENCIES "")
endif()
if(PUSHRUN_PC_LIBS_DEPS STREQUAL " ")
  set(PUSHRUN_PC_LIBS_DEPS "")
endif()

# --- CMake package ------------------------------------------------------------------------------

install(EXPORT pushrunTargets
  NAMESPACE pushrun::
  FILE pushrunTargets.cmake
  DESTINATION ${PUSHRUN_CMAKE_DIR}
  COMPONENT dev)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/pushrunConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/pushrunConfig.cmake
  INSTALL_DESTINATION ${PUSHRUN_CMAKE_DIR})
# 0.x: only the same minor version is promised to be compatible.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/pushrunConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/cmake/pushrunConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/pushrunConfigVersion.cmake
  DESTINATION ${PUSHRUN_CMAKE_DIR}
  COMPONENT dev)

# --- pkg-config -----------------------------------------------------------------------------------
# The .pc file finds the prefix relative to itself (${pcfiledir}), so a tree installed with
# `cmake --install build --prefix DIR` works wherever DIR is.

if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(PUSHRUN_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH _pushrun_pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" _pushrun_pc_up "${_pushrun_pc_up}")
  set(PUSHRUN_PC_PREFIX "\${pcfiledir}/${_pushrun_pc_up}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/pushrun-metrics.pc.in
  ${PROJECT_BINARY_DIR}/cmake/pushrun-metrics.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/cmake/pushrun-metrics.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT dev)

# --- the wrapper, its man page, the deployment files ----------------------------------------------

# runner/CMakeLists.txt installs the pushrun binary itself.
set(_pushrun_man_source ${PROJECT_SOURCE_DIR}/packaging/man/pushrun.1)
if(EXISTS ${_pushrun_man_source})
  # Installed compressed, as Debian policy wants; man(1) reads .gz directly. -n: no timestamp,
  # so the package is reproducible.
  find_program(PUSHRUN_GZIP gzip REQUIRED)
  add_custom_command(
    OUTPUT ${PROJECT_BINARY_DIR}/man/pushrun.1.gz
    COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
    COMMAND ${PUSHRUN_GZIP} -9n -c ${_pushrun_man_source} > ${PROJECT_BINARY_DIR}/man/pushrun.1.gz
    DEPENDS ${_pushrun_man_source}
    COMMENT "Compressing the man page"
    VERBATIM)
  add_custom_target(pushrun_man ALL DEPENDS ${PROJECT_BINARY_DIR}/man/pushrun.1.gz)
  install(FILES ${PROJECT_BINARY_DIR}/man/pushrun.1.gz
    DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
    COMPONENT bin)
endif()

install(DIRECTORY
  ${PROJECT_SOURCE_DIR}/packaging/examples
  ${PROJECT_SOURCE_DIR}/packaging/prometheus
  ${PROJECT_SOURCE_DIR}/packaging/grafana
  DESTINATION ${CMAKE_INSTALL_DOCDIR}
  COMPONENT bin)
# Debian wants the licence as /usr/share/doc/<package>/copyright.
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE
  DESTINATION ${CMAKE_INSTALL_DOCDIR}
  RENAME copyright
  COMPONENT bin)
if(EXISTS ${PROJECT_SOURCE_DIR}/packaging/fleet.example.toml)
  install(FILES ${PROJECT_SOURCE_DIR}/packaging/fleet.example.toml
    DESTINATION ${CMAKE_INSTALL_DOCDIR}
    COMPONENT bin)
endif()
