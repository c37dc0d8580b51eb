#include "fleetgate/access/certificate_routes.h"

#include "fleetgate/http/error.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::access {
namespace {

http::Response revoke(CertificateRevocations& revocations, const vehicle::FleetRegistry& registry,
                      http::SessionRegistry& sessions, const http::Request& req) {
  auto record = vehicle::vehicle_in_scope(registry, req);
  if (!record.is_ok()) return http::error_response(record.status());
  auto serial = revocations.revoke(req.param("serial"), record->vin, record->region, vehicle::http_actor(req));
  if (!serial.is_ok()) return http::error_response(serial.status());
  sessions.end(certificate_credential(*serial));
  http::Response r;
  r.status = http::StatusCode::no_content;
  return r;
}

}  // namespace

Status register_certificate_routes(http::Server& server, CertificateRevocations& revocations,
                                   const vehicle::FleetRegistry& registry) {
  return server.route(http::Verb::delete_, "/v1/vehicles/{vin}/certificates/{serial}",
                      http::RouteOptions::for_roles({"operator", "admin"}),
                      [&revocations, &registry, &sessions = server.sessions()](const http::Request& r) {
                        return revoke(revocations, registry, sessions, r);
                      });
}

}  // namespace fleetgate::access
