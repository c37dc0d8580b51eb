# Run by `cmake --install` (deploy/CMakeLists.txt): writes the unit, the config and the ledger terms with the
# install-time prefix's paths. In: FG_SOURCE_DIR, FG_BINDIR, FG_SYSCONFDIR, FG_DOCDIR (each
# relative to the prefix or absolute).
foreach(var FG_BINDIR FG_SYSCONFDIR FG_DOCDIR)
  if(NOT IS_ABSOLUTE "${${var}}")
    set(${var} "${CMAKE_INSTALL_PREFIX}/${${var}}")
  endif()
endforeach()
# The files are written under DESTDIR (a staged install); the paths inside them are the live ones.
set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
configure_file("${FG_SOURCE_DIR}/deploy/fleetgate.service.in" "$ENV{DESTDIR}${unit_dir}/fleetgate.service" @ONLY)
message(STATUS "Installing: $ENV{DESTDIR}${unit_dir}/fleetgate.service")

# The config and ledger terms are an operator's once installed: an existing file is kept. The
# shipped config keeps its data beside the checkout ("../data"); the service's is its state
# directory.
set(config_dir "$ENV{DESTDIR}${FG_SYSCONFDIR}/fleetgate")
foreach(name fleetgate.toml ledger.toml)
  if(EXISTS "${config_dir}/${name}")
    message(STATUS "Up-to-date (kept, an operator's): ${config_dir}/${name}")
    continue()
  endif()
  file(READ "${FG_SOURCE_DIR}/config/${name}" text)
  if(name STREQUAL "fleetgate.toml")
    string(REPLACE "data_dir = \"../data\"" "data_dir = \"/var/lib/fleetgate\"" installed "${text}")
    if(installed STREQUAL text)
      message(FATAL_ERROR "config/fleetgate.toml no longer holds data_dir = \"../data\": update deploy/install_service.cmake")
    endif()
    set(text "${installed}")
  endif()
  file(WRITE "${config_dir}/${name}" "${text}")
  message(STATUS "Installing: ${config_dir}/${name}")
endforeach()
