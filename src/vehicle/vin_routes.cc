#include "fleetgate/vehicle/vin_routes.h"

#include <boost/json.hpp>

#include "fleetgate/http/error.h"
#include "fleetgate/vehicle/vin.h"
#include "fleetgate/vehicle/vin_json.h"

namespace fleetgate::vehicle {

Status register_vin_routes(http::Server& server) {
  return server.route(http::Verb::get, "/v1/vin/{vin}", http::RouteOptions::for_roles({"operator", "admin", "auditor"}),
                      [](const http::Request& req) {
                        auto decoded = decode(req.param("vin"));
                        if (!decoded.is_ok()) {
                          return http::error_response(invalid_argument("invalid VIN: " + decoded.status().message()));
                        }
                        boost::json::object out = to_json(*decoded);
                        out["object"] = "vehicle.vin";
                        return http::Response::json(http::StatusCode::ok, out);
                      });
}

}  // namespace fleetgate::vehicle
