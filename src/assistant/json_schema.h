// A checker for the small JSON Schema subset the vehicle tools use: type (object, string,
// integer, number, boolean), enum, minimum, maximum, minLength, maxLength, properties, required,
// additionalProperties (false only), minProperties, and the annotation "description".
// validate_json() returns kInvalidArgument "PATH: reason" (e.g. "celsius: must be at most 28";
// a problem with the value as a whole has no path), or kInternal when the schema itself uses
// anything outside the subset, so no schema silently relies on a keyword nobody enforces.
#pragma once

#include <boost/json.hpp>

#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

Status validate_json(const boost::json::value& schema, const boost::json::value& instance);

}  // namespace fleetgate::assistant
