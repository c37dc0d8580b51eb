// Splits one line of CSV (RFC 4180) into fields: fields are separated by ',', a field may be
// quoted with '"', and '""' inside quotes stands for one '"'. Quoted fields cannot span lines.
// kInvalidArgument for an unterminated quote, a quote inside an unquoted field, or text after
// a closing quote.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::vehicle {

Result<std::vector<std::string>> split_csv_line(std::string_view line);

}  // namespace fleetgate::vehicle
