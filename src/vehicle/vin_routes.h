// HTTP route of VIN decoding: GET /v1/vin/{vin} (operator, admin, auditor) answers the VIN's
// decoding ({"object":"vehicle.vin"} plus vin_json.h's fields), 400 with the reason for a
// malformed VIN. It reads no record of any region: what it tells is what the VIN itself says,
// registered or not, so any grant may ask.
#pragma once

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"

namespace fleetgate::vehicle {

Status register_vin_routes(http::Server& server);

}  // namespace fleetgate::vehicle
