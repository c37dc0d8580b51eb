// The live overview over HTTP, for every user role, scoped to the caller's regions:
// - GET /v1/console/overview: one snapshot (Overview::to_json without rates);
// - GET /v1/console/overview/stream: Server-Sent Events, one "overview" event at once and then
//   every second, with rates against the previous one. Before each event the request's
//   credentials are checked again, so a session that expires or is ended, or a user revoked,
//   gets a last "end" event ({"error":{...}}) and the stream closes.
#pragma once

#include <memory>

#include "fleetgate/console/overview.h"
#include "fleetgate/http/auth.h"
#include "fleetgate/http/server.h"

namespace fleetgate::console {

// REQUIRES: `overview` and `authenticator` (the server's) outlive the server.
Status register_overview_routes(http::Server& server, const Overview& overview, const http::Authenticator& authenticator);

}  // namespace fleetgate::console
