// HTTP routes of vehicles' client certificates while fleetgate serves, operators and admins only,
// for vehicles homed in a region their grant covers (any other VIN answers 404, as an
// unregistered one does):
//   POST /v1/vehicles/{vin}/certificates {"csr": PEM, "days": 1..3650 (default 90)} signs the
//        PKCS#10 request the car made (FleetCa::sign_client_request: CN = VIN), audited as
//        "vehicle.cert.issue" like `fleet cert`: 201 {"object":"vehicle.certificate","vin",
//        "region","serial","subject","expires_ms","certificate"}; 400 naming what is wrong with
//        the request. The car's private key never passes through the server.
//   DELETE /v1/vehicles/{vin}/certificates/{serial} adds the serial to the denylist
//        (CertificateRevocations, audited), so the certificate is refused from then on, and ends
//        the sessions it opened (http::SessionRegistry): 204; 409 when it was revoked before; 400
//        for a malformed serial.
#pragma once

#include <filesystem>

#include "fleetgate/access/certificate_revocations.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::access {

// `ca_dir`: the fleet CA's folder (fleet_ca_dir()), opened, or created at first use, by the
// first signing request. REQUIRES: `revocations`, `registry` and `audit` outlive the server.
Status register_certificate_routes(http::Server& server, CertificateRevocations& revocations,
                                   const vehicle::FleetRegistry& registry, audit::AuditLog& audit,
                                   std::filesystem::path ca_dir);

}  // namespace fleetgate::access
