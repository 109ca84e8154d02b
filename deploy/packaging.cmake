# What `cmake --install` puts where, and the Debian package `cpack -G DEB`
# builds from the same rules: the three binaries, the dashboard, systemd
# units, default config files and the alerting rules.
include(GNUInstallDirs)

install(TARGETS dbdump-controller dbdump-agent dbdumpctl RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# The controller finds its dashboard at <bin>/../share/dbdump/dashboard.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/controller/gateway/dashboard/
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbdump/dashboard)
# Units and config files go where systemd and the units look for them,
# whatever the prefix: /lib/systemd/system (Debian 12) and /etc/dbdump.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/dbdump-controller.service
              ${PROJECT_SOURCE_DIR}/deploy/systemd/dbdump-agent.service
        DESTINATION /lib/systemd/system)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/config/controller.toml
              ${PROJECT_SOURCE_DIR}/deploy/config/agent.toml
        DESTINATION /etc/dbdump)
# Prometheus alerting rules, for the monitoring server to load.
install(FILES ${PROJECT_SOURCE_DIR}/deploy/prometheus/dbdump-alerts.yml
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dbdump/prometheus)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/copyright DESTINATION ${CMAKE_INSTALL_DOCDIR})
# Debian wants the changelog compressed, reproducibly (no name or time);
# a native package (no Debian revision) names it changelog.gz.
set(DBDUMP_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/changelog.gz)
add_custom_command(OUTPUT ${DBDUMP_CHANGELOG_GZ}
                   COMMAND gzip -9nc ${PROJECT_SOURCE_DIR}/deploy/debian/changelog > ${DBDUMP_CHANGELOG_GZ}
                   DEPENDS ${PROJECT_SOURCE_DIR}/deploy/debian/changelog)
add_custom_target(dbdump_changelog ALL DEPENDS ${DBDUMP_CHANGELOG_GZ})
install(FILES ${DBDUMP_CHANGELOG_GZ} DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dbdump)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR dbdump)
set(CPACK_PACKAGE_CONTACT "dbdump maintainers <maintainers@dbdump.dev>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "database backups streamed into your own storage")
# The synopsis above is the first line; this is the rest.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "dbdump backs up PostgreSQL, MySQL/MariaDB, SQLite and MongoDB databases with\n their native dump tools and streams the dumps through checksums, compression\n and encryption into local directories or S3. The package holds the\n controller, the agent, the dbdumpctl admin CLI, the web dashboard, systemd\n units and default configuration files.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://dbdump.dev")
# Dependencies: the shared libraries the binaries link, as Debian packages
# (dpkg-shlibdeps), plus the tools the agent runs where it backs up.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "zstd")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "postgresql-client, mariadb-client, prometheus")
set(CPACK_DEBIAN_COMPRESSION_TYPE gzip)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Files under /etc are the administrator's once installed.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${CMAKE_BINARY_DIR}/conffiles)
file(WRITE ${CMAKE_BINARY_DIR}/conffiles "/etc/dbdump/agent.toml\n/etc/dbdump/controller.toml\n")
# The package installs under /usr whatever CMAKE_INSTALL_PREFIX says.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_WARN_ON_ABSOLUTE_INSTALL_DESTINATION OFF)
include(CPack)
