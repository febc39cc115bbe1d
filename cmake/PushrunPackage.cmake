# A Debian package (CPack's DEB generator): `cpack -G DEB` in the build directory, or
# `cmake --build build --target package`. One package, "pushrun", with everything
# `cmake --install` puts under /usr: the binary, its man page, the metrics library with headers,
# CMake and pkg-config files, and the examples, alert rules and dashboard under
# /usr/share/doc/pushrun.
#
# Depends: computed by dpkg-shlibdeps from the ELF files (libc6, libstdc++6, libgcc-s1,
# libcurl4, zlib1g and whatever else they link) when it is installed (package dpkg-dev);
# otherwise a fixed list for Debian bookworm.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pushrun)
set(CPACK_PACKAGE_VENDOR "pushrun")
set(CPACK_RESOURCE_FILE_LICENSE ${PROJECT_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "run batch jobs and push their metrics to a Prometheus Pushgateway")
set(CPACK_PACKAGE_DESCRIPTION
    "pushrun wraps a command (a cron entry, a systemd timer, a Kubernetes Job), measures its\n\
duration, exit status and resource use, merges extra metrics the command wrote to a\n\
sidecar file, and pushes the report to a Prometheus Pushgateway. It also ships\n\
libpushrun-metrics, a C++20 Prometheus client library with Pushgateway support.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(PUSHRUN_PACKAGE_MAINTAINER "pushrun maintainers <pushrun@localhost>" CACHE STRING
    "Maintainer field of the .deb")
set(CPACK_PACKAGE_CONTACT ${PUSHRUN_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER ${PUSHRUN_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # pushrun_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://github.com/pushrun/pushrun")
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)

# libcurl may be loaded at run time (dlopen) instead of linked; dpkg-shlibdeps cannot see that,
# so it is named explicitly unless the library links it.
get_target_property(_pushrun_package_links pushrun_metrics LINK_LIBRARIES)
set(_pushrun_extra_depends "")
if(NOT "CURL::libcurl" IN_LIST _pushrun_package_links)
  set(_pushrun_extra_depends "libcurl4")
endif()

find_program(PUSHRUN_DPKG_SHLIBDEPS dpkg-shlibdeps)
mark_as_advanced(PUSHRUN_DPKG_SHLIBDEPS)
if(PUSHRUN_DPKG_SHLIBDEPS)
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_pushrun_extra_depends}")
else()
  # Debian bookworm's versions, as dpkg-shlibdeps computes them there.
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libc6 (>= 2.34), libstdc++6 (>= 12), libgcc-s1 (>= 3.0), libcurl4 (>= 7.28.0), zlib1g (>= 1:1.1.4)")
endif()
# Not needed to run pushrun, but what its users usually have next to it.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "prometheus-pushgateway")

include(CPack)
