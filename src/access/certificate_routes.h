// HTTP route for revoking a vehicle's client certificate while fleetgate serves:
// DELETE /v1/vehicles/{vin}/certificates/{serial} adds the serial to the denylist
// (CertificateRevocations, audited), so the certificate is refused from then on, and ends the
// sessions it opened (http::SessionRegistry): 204; 409 when it was revoked before; 400 for a
// malformed serial. Operators and admins only, for vehicles homed in a region their grant covers;
// any other VIN answers 404, as an unregistered one does.
#pragma once

#include "fleetgate/access/certificate_revocations.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::access {

// REQUIRES: `revocations` and `registry` outlive the server.
Status register_certificate_routes(http::Server& server, CertificateRevocations& revocations,
                                   const vehicle::FleetRegistry& registry);

}  // namespace fleetgate::access
