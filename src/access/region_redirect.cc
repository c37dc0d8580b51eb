#include "fleetgate/access/region_redirect.h"

#include <string>

#include "fleetgate/access/vehicle_token.h"
#include "fleetgate/http/auth.h"
#include "fleetgate/http/error.h"

namespace fleetgate::access {

std::optional<http::Response> redirect_to_home_region(const config::Config& config, const http::Request& request) {
  const std::optional<std::string_view> home = vehicle_token_region(http::bearer_token(request));
  if (!home || config.serves(*home)) return std::nullopt;
  const config::Region* region = config.region(*home);
  if (region == nullptr) return std::nullopt;
  const std::string named = "this vehicle token belongs to region '" + region->id + "', which this node does not serve";
  if (region->endpoint.empty()) {
    return http::error_response(http::StatusCode::misdirected_request,
                                named + "; no endpoint is configured for it", "wrong_region");
  }
  http::Response moved =
      http::error_response(http::StatusCode::temporary_redirect, named + "; send it to " + region->endpoint, "wrong_region");
  moved.headers.set(http::beast_http::field::location, region->endpoint + std::string(request.target()));
  return moved;
}

}  // namespace fleetgate::access
