# cmake -DINPUT=wmi_table.tsv -DOUTPUT=.../wmi_table_tsv.h -P embed_wmi_table.cmake
# Writes a header holding the TSV as a raw string literal, so the table is compiled into the
# binary (wmi_table.cc parses and checks it at compile time).
file(READ "${INPUT}" text)
string(FIND "${text}" ")tsv\"" terminator)
if(NOT terminator EQUAL -1)
  message(FATAL_ERROR "${INPUT}: must not contain the raw-string terminator )tsv\"")
endif()
file(WRITE "${OUTPUT}.tmp"
  "// Generated from ${INPUT} by embed_wmi_table.cmake; edit the TSV, not this file.\n"
  "#pragma once\n#include <string_view>\n\nnamespace fleetgate::vehicle {\n"
  "inline constexpr std::string_view kWmiTableTsv = R\"tsv(${text})tsv\";\n}\n")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
