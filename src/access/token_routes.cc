#include "fleetgate/access/token_routes.h"

#include <boost/json.hpp>

#include "fleetgate/http/error.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::access {
namespace {

using http::Request;
using http::Response;
using http::StatusCode;
using vehicle::vehicle_in_scope;

Response issue(CredentialStore& credentials, const vehicle::FleetRegistry& registry, http::SessionRegistry& sessions,
               const Request& req) {
  auto record = vehicle_in_scope(registry, req);
  if (!record.is_ok()) return http::error_response(record.status());
  auto token = credentials.issue_vehicle_token(record->vin, record->region, vehicle::http_actor(req));
  if (!token.is_ok()) return http::error_response(token.status());
  sessions.end(vehicle_token_credential(record->vin));  // opened with the token just replaced
  Response r = Response::json(StatusCode::created, boost::json::object{{"object", "vehicle.token"},
                                                                       {"vin", record->vin},
                                                                       {"region", record->region},
                                                                       {"token", *token}});
  r.headers.set(boost::beast::http::field::cache_control, "no-store");
  return r;
}

Response revoke(CredentialStore& credentials, const vehicle::FleetRegistry& registry, http::SessionRegistry& sessions,
                const Request& req) {
  auto record = vehicle_in_scope(registry, req);
  if (!record.is_ok()) return http::error_response(record.status());
  Status s = credentials.revoke_vehicle_token(record->vin, record->region, vehicle::http_actor(req));
  if (!s.is_ok()) return http::error_response(s);
  sessions.end(vehicle_token_credential(record->vin));
  Response r;
  r.status = StatusCode::no_content;
  return r;
}

}  // namespace

Status register_token_routes(http::Server& server, CredentialStore& credentials, const vehicle::FleetRegistry& registry) {
  const auto managers = http::RouteOptions::for_roles({"operator", "admin"});
  http::SessionRegistry& sessions = server.sessions();
  Status s = server.route(http::Verb::post, "/v1/vehicles/{vin}/token", managers,
                          [&](const Request& r) { return issue(credentials, registry, sessions, r); });
  if (!s.is_ok()) return s;
  return server.route(http::Verb::delete_, "/v1/vehicles/{vin}/token", managers,
                      [&](const Request& r) { return revoke(credentials, registry, sessions, r); });
}

}  // namespace fleetgate::access
