# Installation and the Debian package (README "Fleet", issue 17).
#   scripts/package.sh  ->  trawl_VERSION_amd64.deb
# `cmake --install` puts the binary, the man page (help2man from the CLI's own
# --help, target trawl_man), the bash completion and the README under the
# prefix; CPack's DEB generator packs them with Depends computed by
# dpkg-shlibdeps from the binary's shared libraries.
include(GNUInstallDirs)
# `cmake --install` and cpack install what is built and do not build every
# target first (the tests are not installed): scripts/package.sh builds
# trawl and trawl_man.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

if(TARGET trawl)
  install(TARGETS trawl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

  find_program(TRAWL_HELP2MAN help2man)
  set(TRAWL_MAN ${PROJECT_BINARY_DIR}/trawl.1.gz)
  if(TRAWL_HELP2MAN)
    add_custom_command(
      OUTPUT ${TRAWL_MAN}
      COMMAND ${CMAKE_COMMAND} -E env TRAWL_BIN=$<TARGET_FILE:trawl>
              ${TRAWL_HELP2MAN} --no-info --section=1 --source=trawl
              --include=${PROJECT_SOURCE_DIR}/dist/man/trawl.h2m
              --output=${PROJECT_BINARY_DIR}/trawl.1 ${PROJECT_SOURCE_DIR}/dist/man/trawl-help.sh
      COMMAND gzip -9nf ${PROJECT_BINARY_DIR}/trawl.1
      DEPENDS trawl ${PROJECT_SOURCE_DIR}/dist/man/trawl.h2m ${PROJECT_SOURCE_DIR}/dist/man/trawl-help.sh
      COMMENT "man page from trawl --help (help2man)")
  endif()
  add_custom_target(trawl_man DEPENDS ${TRAWL_MAN})
  # OPTIONAL: a plain `cmake --install` without the man page built still works;
  # scripts/package.sh builds it, and the package test checks it is there.
  install(FILES ${TRAWL_MAN} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 OPTIONAL)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/dist/bash-completion/trawl
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME trawl)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "trawl maintainers <trawl@invalid.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "compromise-assessment scanner for published indicators of compromise")
set(CPACK_PACKAGE_DESCRIPTION
    "trawl sweeps files (hash, name, YARA), logs, event logs, journals, browser histories,\n installed software, processes and connections for the indicators the community\n publishes, and writes JSON Lines, HTML, CSV and syslog reports.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # trawl_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)    # Depends from dpkg-shlibdeps
# Not a shared library, read at run time: the Public Suffix List libpsl loads.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "publicsuffix")
set(CPACK_STRIP_FILES ON)
include(CPack)
