// HTTP routes of the fleet registry: POST /v1/vehicles and POST /v1/vehicles/{vin}/rehome
// {"market","reason"} (operator, admin), GET /v1/vehicles and GET /v1/vehicles/{vin} (operator,
// admin, auditor; a vehicle may read its own record). Callers only see and change vehicles homed
// in regions they may act in, and place them only in such regions: a vehicle outside the grant
// answers 404 like an unregistered one, a target market outside it 403, one of a region this
// node does not serve 421. POST /v1/vehicles/{vin}/erase {"reason"} (dpo) erases a vehicle in the
// caller's grant through an Eraser.
#pragma once

#include <functional>
#include <string_view>

#include <boost/json/object.hpp>

#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::vehicle {

// REQUIRES: `registry` outlives the server.
Status register_registry_routes(http::Server& server, FleetRegistry& registry, const config::Config& config);

// Erases a registered vehicle (app/vehicle_erasure.h) by `actor` for `reason`; what was erased.
using Eraser = std::function<Result<boost::json::object>(const VehicleRecord& vehicle, std::string_view actor,
                                                        std::string_view reason)>;
// REQUIRES: `registry` outlives the server.
Status register_erasure_route(http::Server& server, FleetRegistry& registry, Eraser erase);

// The vehicle named by the request's {vin} when it is registered in a region the caller's grant
// covers; otherwise not_registered(), so other regions' fleets cannot be probed.
Result<VehicleRecord> vehicle_in_scope(const FleetRegistry& registry, const http::Request& request);

// "<kind>:<subject>" for audit entries made over HTTP, e.g. "user:alice", "vehicle:<VIN>".
std::string http_actor(const http::Request& request);

}  // namespace fleetgate::vehicle
