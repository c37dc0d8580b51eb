// Sends a car to its home region. A request whose bearer token is a vehicle token naming a
// configured region this node does not serve ([node] regions) is answered from its head, never
// proxied: 307 Temporary Redirect (method and body kept) to the region's endpoint + the request
// target, or 421 Misdirected Request when the region has no endpoint; both with an OpenAI error
// body of code "wrong_region". The token's prefix alone decides (vehicle_token.h): nothing is
// looked up, so a node holds no credential of a region it does not serve.
#pragma once

#include <optional>

#include "fleetgate/core/config.h"
#include "fleetgate/http/message.h"

namespace fleetgate::access {

// The redirect (or 421) for `request`; nullopt when it stays here: no bearer token, a user token,
// an old-format vehicle token, a served region, or a region not configured at all (the credential
// lookup then refuses the token as unknown).
std::optional<http::Response> redirect_to_home_region(const config::Config& config, const http::Request& request);

}  // namespace fleetgate::access
