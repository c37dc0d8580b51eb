// CSV output (RFC 4180): one field as it is written in a row.
#pragma once

#include <string>
#include <string_view>

namespace fleetgate {

// `s` as a CSV field: as is, or in double quotes with each quote doubled when it holds a comma,
// a quote or a line break.
std::string csv_field(std::string_view s);

}  // namespace fleetgate
