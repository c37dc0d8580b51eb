# Run by `cmake --install` (deploy/CMakeLists.txt): writes the unit and the config with the
# install-time prefix's paths. In: FG_SOURCE_DIR, FG_BINDIR, FG_SYSCONFDIR, FG_DOCDIR (each
# relative to the prefix or absolute).
foreach(var FG_BINDIR FG_SYSCONFDIR FG_DOCDIR)
  if(NOT IS_ABSOLUTE "${${var}}")
    set(${var} "${CMAKE_INSTALL_PREFIX}/${${var}}")
  endif()
endforeach()
set(unit_dir "${CMAKE_INSTALL_PREFIX}/lib/systemd/system")
configure_file("${FG_SOURCE_DIR}/deploy/fleetgate.service.in" "${unit_dir}/fleetgate.service" @ONLY)
message(STATUS "Installing: ${unit_dir}/fleetgate.service")

# The shipped config keeps its data beside the checkout ("../data"); the service's is its state
# directory. An existing config is an operator's: it is left as it is.
set(config "${FG_SYSCONFDIR}/fleetgate/fleetgate.toml")
if(EXISTS "${config}")
  message(STATUS "Up-to-date (kept, an operator's): ${config}")
else()
  file(READ "${FG_SOURCE_DIR}/config/fleetgate.toml" text)
  string(REPLACE "data_dir = \"../data\"" "data_dir = \"/var/lib/fleetgate\"" installed "${text}")
  if(installed STREQUAL text)
    message(FATAL_ERROR "config/fleetgate.toml no longer holds data_dir = \"../data\": update deploy/install_service.cmake")
  endif()
  file(WRITE "${config}" "${installed}")
  message(STATUS "Installing: ${config}")
endif()
