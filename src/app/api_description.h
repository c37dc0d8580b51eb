// The HTTP API's OpenAPI 3.1 description (docs/openapi.json, compiled in at build time), served
// at GET /openapi.json to anyone: it is the contract independent clients are written from.
#pragma once

#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"

namespace fleetgate::app {

// docs/openapi.json as it was when this binary was built.
std::string_view api_description();

Status register_api_description_route(http::Server& server);

}  // namespace fleetgate::app
