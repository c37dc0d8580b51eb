// The body of a request as a JSON object (numbers read exactly, core/json_text.h), or
// invalid_argument naming what was wrong with it.
#pragma once

#include <boost/json/object.hpp>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http {

Result<boost::json::object> json_object_body(const Request& request);

}  // namespace fleetgate::http
