// HTTP route of the global VIN directory (vin_directory.h): GET /v1/directory/{vin} (operator,
// admin, auditor) answers {"object":"vehicle.location","vin","region","endpoint"} (endpoint null
// when the region has none configured), 404 when no region recorded the VIN, 400 for a malformed
// VIN. Any grant may ask: the answer names only a region, which is what a caller needs to know
// where to ask next, and holds none of the vehicle's data.
#pragma once

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/vehicle/vin_directory.h"

namespace fleetgate::vehicle {

// REQUIRES: `directory` and `config` outlive the server.
Status register_directory_routes(http::Server& server, const VinDirectory& directory, const config::Config& config);

}  // namespace fleetgate::vehicle
