#include "fleetgate/app/vehicle_data_routes.h"

#include <boost/json.hpp>

#include "fleetgate/access/credentials.h"
#include "fleetgate/app/vehicle_data.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"
#include "fleetgate/telemetry/catalogue.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::app {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::StatusCode;

// The longest a grant may last (EU Data Act: access is time-limited).
constexpr int64_t kMaxGrantMs = int64_t{366} * 24 * 3600 * 1000;

struct Routes {
  ControlPlane& cp;
  telemetry::IngestService& ingest;
  transfer::TransferService& transfers;
  std::map<std::string, DataHome> homes;
};

// The vehicle of {vin} when the caller may act on it: its owner or third party (subject VIN), or
// a user whose grant covers its region; otherwise not registered.
Result<vehicle::VehicleRecord> own_vehicle(const Routes& r, const Request& req) {
  const http::Principal& caller = *req.principal();
  if (caller.has_role(access::kOwnerRole) || caller.has_role(access::kThirdPartyRole)) {
    auto record = r.cp.registry->show(req.param("vin"));
    if (record.is_ok() && record->vin != caller.subject) return vehicle::not_registered(req.param("vin"));
    return record;
  }
  return vehicle::vehicle_in_scope(*r.cp.registry, req);
}

// Ends the sessions of the vehicle's owner token and of every grant (which end with it).
void end_owner_sessions(const Routes& r, http::SessionRegistry& sessions, const std::string& vin) {
  sessions.end(access::owner_token_credential(vin));
  if (auto grants = r.cp.credentials->grants(vin); grants.is_ok()) {
    for (const auto& g : *grants) sessions.end(access::grant_credential(g.id));
  }
}

Response no_store(Response r) {
  r.headers.set(boost::beast::http::field::cache_control, "no-store");
  return r;
}

Response issue_owner_token(const Routes& r, http::SessionRegistry& sessions, const Request& req) {
  auto record = vehicle::vehicle_in_scope(*r.cp.registry, req);
  if (!record.is_ok()) return http::error_response(record.status());
  int64_t since_ms = record->registered_ms;  // the first owner's
  if (!req.body().empty()) {
    auto body = http::json_object_body(req);
    if (!body.is_ok()) return http::error_response(body.status());
    for (const auto& [key, value] : *body) {
      if (key != "since_ms") return http::error_response(invalid_argument("unknown field '" + std::string(key) + "'"));
      if (!value.is_int64()) return http::error_response(invalid_argument("since_ms: an integer (ms since the Unix epoch) is required"));
      since_ms = value.as_int64();
    }
  }
  auto token = r.cp.credentials->issue_owner_token(record->vin, record->region, since_ms, vehicle::http_actor(req));
  if (!token.is_ok()) return http::error_response(token.status());
  end_owner_sessions(r, sessions, record->vin);
  return no_store(Response::json(StatusCode::created, json::object{{"object", "vehicle.owner_token"},
                                                                   {"vin", record->vin},
                                                                   {"region", record->region},
                                                                   {"since_ms", since_ms},
                                                                   {"token", *token}}));
}

Response revoke_owner_token(const Routes& r, http::SessionRegistry& sessions, const Request& req) {
  auto record = vehicle::vehicle_in_scope(*r.cp.registry, req);
  if (!record.is_ok()) return http::error_response(record.status());
  Status s = r.cp.credentials->revoke_owner_token(record->vin, record->region, vehicle::http_actor(req));
  if (!s.is_ok()) return http::error_response(s);
  end_owner_sessions(r, sessions, record->vin);
  Response out;
  out.status = StatusCode::no_content;
  return out;
}

Response data(const Routes& r, const Request& req) {
  auto record = own_vehicle(r, req);
  if (!record.is_ok()) return http::error_response(record.status());
  auto request = parse_data_request(req.query_param("part").value_or("all"), req.query_param("format").value_or("json"),
                                    req.query_param("cursor").value_or(""));
  if (!request.is_ok()) return http::error_response(request.status());
  const http::Principal& caller = *req.principal();
  if (caller.has_role(access::kThirdPartyRole)) {
    auto grant = r.cp.credentials->grant(record->vin, access::grant_of_credential(caller.credential));
    if (!grant.is_ok() && grant.status().code() != Code::kNotFound) return http::error_response(grant.status());
    if (!grant.is_ok() || grant->revoked) return http::error_response(vehicle::not_registered(req.param("vin")));
    request->telemetry_only = true;
    request->since_ms = grant->since_ms;
    for (const auto& name : grant->fields) {
      if (const telemetry::FieldSpec* f = telemetry::find_field(name)) request->fields.push_back(f->field);
    }
    // Fail closed: a grant none of whose fields this fleetgate knows reads nothing.
    if (request->fields.empty()) return http::error_response(permission_denied("none of the grant's fields is a telemetry field"));
  } else if (caller.has_role(access::kOwnerRole)) {
    auto since = r.cp.credentials->owner_since(record->vin);
    if (!since.is_ok()) return http::error_response(since.status());
    request->since_ms = *since;
  }
  auto home = r.homes.find(record->region);
  if (home == r.homes.end()) {
    return http::error_response(failed_precondition("region '" + record->region + "' is not served by this node"));
  }
  auto doc = vehicle_data(DataSources{*record, r.ingest, *home->second.usage, r.transfers, *home->second.store}, caller, *request);
  if (!doc.is_ok()) return http::error_response(doc.status());
  Response out;
  out.status = StatusCode::ok;
  out.body = std::move(doc->body);
  out.headers.set(boost::beast::http::field::content_type, doc->content_type);
  if (!doc->next_cursor.empty()) out.headers.set("x-fleetgate-next-cursor", doc->next_cursor);
  return no_store(std::move(out));
}

// The caller's own vehicle, for the owner's routes.
Result<vehicle::VehicleRecord> owners_vehicle(const Routes& r, const Request& req) {
  if (!req.principal()->has_role(access::kOwnerRole)) return permission_denied("only the vehicle's owner manages its grants");
  return own_vehicle(r, req);
}

Response grant(const Routes& r, const Request& req) {
  auto record = owners_vehicle(r, req);
  if (!record.is_ok()) return http::error_response(record.status());
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return http::error_response(body.status());
  for (const auto& [key, value] : *body) {
    if (key != "grantee" && key != "fields" && key != "expires_ms") {
      return http::error_response(invalid_argument("unknown field '" + std::string(key) + "'"));
    }
  }
  const json::value* grantee = body->if_contains("grantee");
  const json::value* fields = body->if_contains("fields");
  const json::value* expires = body->if_contains("expires_ms");
  if (grantee == nullptr || !grantee->is_string()) return http::error_response(invalid_argument("grantee: a string is required"));
  if (fields == nullptr || !fields->is_array()) return http::error_response(invalid_argument("fields: an array of field names is required"));
  if (expires == nullptr || !expires->is_int64()) {
    return http::error_response(invalid_argument("expires_ms: an integer (ms since the Unix epoch) is required"));
  }
  std::vector<std::string> names;
  for (const auto& f : fields->as_array()) {
    if (!f.is_string() || telemetry::find_field(std::string_view(f.as_string())) == nullptr) {
      return http::error_response(invalid_argument("fields: unknown telemetry field " + json::serialize(f)));
    }
    names.emplace_back(f.as_string());
  }
  const int64_t now = r.cp.audit->now_ms();
  if (expires->as_int64() > now + kMaxGrantMs) {
    return http::error_response(invalid_argument("expires_ms: a grant lasts at most 366 days"));
  }
  auto granted = r.cp.credentials->grant_data(record->vin, record->region, std::string_view(grantee->as_string()),
                                              std::move(names), expires->as_int64(), vehicle::http_actor(req));
  if (!granted.is_ok()) return http::error_response(granted.status());
  json::object out = access::to_json(granted->first);
  out["token"] = granted->second;
  return no_store(Response::json(StatusCode::created, out));
}

Response list_grants(const Routes& r, const Request& req) {
  auto record = owners_vehicle(r, req);
  if (!record.is_ok()) return http::error_response(record.status());
  auto all = r.cp.credentials->grants(record->vin);
  if (!all.is_ok()) return http::error_response(all.status());
  auto since = r.cp.credentials->owner_since(record->vin);
  if (!since.is_ok()) return http::error_response(since.status());
  json::array data;
  for (const auto& g : *all) {
    // A grant carries the since of the owner who made it: a previous owner's are theirs.
    if (g.since_ms == *since) data.push_back(access::to_json(g));
  }
  return Response::json(StatusCode::ok, json::object{{"object", "list"}, {"data", std::move(data)}});
}

Response revoke_grant(const Routes& r, http::SessionRegistry& sessions, const Request& req) {
  auto record = owners_vehicle(r, req);
  if (!record.is_ok()) return http::error_response(record.status());
  Status s = r.cp.credentials->revoke_grant(record->vin, req.param("id"), vehicle::http_actor(req));
  if (!s.is_ok()) return http::error_response(s);
  sessions.end(access::grant_credential(req.param("id")));
  Response out;
  out.status = StatusCode::no_content;
  return out;
}

}  // namespace

Status register_vehicle_data_routes(http::Server& server, ControlPlane& cp, telemetry::IngestService& ingest,
                                    transfer::TransferService& transfers, std::map<std::string, DataHome> homes) {
  using http::RouteOptions;
  using http::Verb;
  auto routes = std::make_shared<Routes>(Routes{cp, ingest, transfers, std::move(homes)});
  http::SessionRegistry& sessions = server.sessions();
  const auto managers = RouteOptions::for_roles({"operator", "admin"});
  const auto owner = RouteOptions::for_roles({std::string(access::kOwnerRole)});
  Status s = server.route(Verb::post, "/v1/vehicles/{vin}/owner-token", managers,
                          [routes, &sessions](const Request& q) { return issue_owner_token(*routes, sessions, q); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::delete_, "/v1/vehicles/{vin}/owner-token", managers,
                   [routes, &sessions](const Request& q) { return revoke_owner_token(*routes, sessions, q); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::get, "/v1/vehicles/{vin}/data",
                   RouteOptions::for_roles({std::string(access::kOwnerRole), std::string(access::kThirdPartyRole), "dpo"}),
                   [routes](const Request& q) { return data(*routes, q); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::post, "/v1/vehicles/{vin}/grants", owner, [routes](const Request& q) { return grant(*routes, q); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::get, "/v1/vehicles/{vin}/grants", owner, [routes](const Request& q) { return list_grants(*routes, q); });
  if (!s.is_ok()) return s;
  return server.route(Verb::delete_, "/v1/vehicles/{vin}/grants/{id}", owner,
                      [routes, &sessions](const Request& q) { return revoke_grant(*routes, sessions, q); });
}

}  // namespace fleetgate::app
