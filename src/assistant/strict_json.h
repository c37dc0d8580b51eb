// parse_strict_json: JSON text to a value, refusing an object that names a key twice. Boost.JSON
// (like most parsers) keeps the last of duplicate keys while others keep the first, so a
// duplicate lets a reviewer and a car read different values out of one text.
// Errors are kInvalidArgument: "invalid JSON (...)" or "duplicate key 'NAME'".
#pragma once

#include <string_view>

#include <boost/json/value.hpp>

#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

Result<boost::json::value> parse_strict_json(std::string_view text);

}  // namespace fleetgate::assistant
