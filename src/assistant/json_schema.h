// A checker for the JSON Schema subset the vehicle tools and apps' own tool definitions use:
// type (object, array, string, integer, number, boolean, null, or an array of these), enum,
// const, minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers), minLength, maxLength,
// properties, required, additionalProperties (true or false), minProperties, items (one schema),
// minItems, maxItems. Annotations that constrain nothing are allowed and ignored: description,
// title, default, examples, $schema, $id, $comment, deprecated, readOnly, writeOnly.
// validate_json() returns kInvalidArgument "PATH: reason" (e.g. "celsius: must be at most 28",
// "seats[1]: must be a string"; a problem with the value as a whole has no path), or kInternal
// when the schema uses any other keyword (pattern, format, oneOf, $ref, ...), so no schema
// silently relies on a constraint nobody enforces.
#pragma once

#include <boost/json.hpp>

#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

Status validate_json(const boost::json::value& schema, const boost::json::value& instance);

}  // namespace fleetgate::assistant
