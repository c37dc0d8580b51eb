#include "fleetgate/vehicle/directory_routes.h"

#include <boost/json.hpp>

#include "fleetgate/http/error.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate::vehicle {

Status register_directory_routes(http::Server& server, const VinDirectory& directory, const config::Config& config) {
  return server.route(
      http::Verb::get, "/v1/directory/{vin}", http::RouteOptions::for_roles({"operator", "admin", "auditor"}),
      [&directory, &config](const http::Request& req) {
        const std::string_view vin = req.param("vin");
        if (auto valid = validate(vin); !valid.is_ok()) {
          return http::error_response(invalid_argument("invalid VIN: " + valid.status().message()));
        }
        auto region = directory.locate(vin);
        if (!region.is_ok()) return http::error_response(region.status());
        const config::Region* r = config.region(*region);
        boost::json::object out{{"object", "vehicle.location"}, {"vin", vin}, {"region", *region}};
        out["endpoint"] = r == nullptr || r->endpoint.empty() ? boost::json::value(nullptr) : boost::json::value(r->endpoint);
        return http::Response::json(http::StatusCode::ok, out);
      });
}

}  // namespace fleetgate::vehicle
