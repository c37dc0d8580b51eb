// HTTP routes for vehicle bearer tokens, so cars can be onboarded while fleetgate serves:
// POST /v1/vehicles/{vin}/token mints the vehicle's token (shown once; it replaces the previous
// one) and DELETE /v1/vehicles/{vin}/token revokes it; either ends the vehicle's open sessions
// opened with its token (http::SessionRegistry). Operators and admins only, for vehicles homed in
// a region their grant covers; any other VIN answers 404, as an unregistered one does.
#pragma once

#include "fleetgate/access/credentials.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::access {

// REQUIRES: `credentials` and `registry` outlive the server.
Status register_token_routes(http::Server& server, CredentialStore& credentials, const vehicle::FleetRegistry& registry);

}  // namespace fleetgate::access
