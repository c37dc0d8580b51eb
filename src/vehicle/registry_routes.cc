#include "fleetgate/vehicle/registry_routes.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <optional>

#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"

namespace fleetgate::vehicle {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::StatusCode;

const std::vector<std::string> kReaders = {"operator", "admin", "auditor"};

Response out_of_scope(std::string_view region) {
  return http::error_response(StatusCode::forbidden,
                              "your grant does not cover region '" + std::string(region) + "'", "region_out_of_scope");
}

Result<std::string> string_field(const json::object& o, std::string_view name, bool required) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr || v->is_null()) {
    if (required) return invalid_argument(std::string(name) + ": required");
    return std::string();
  }
  if (!v->is_string()) return invalid_argument(std::string(name) + ": must be a string");
  return std::string(v->as_string());
}

// Upper-cases an ISO 3166 code the way the registry stores it.
std::string market_code(std::string_view market) {
  std::string upper(market);
  for (char& c : upper) c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return upper;
}

// Where a vehicle of `market` would be homed, when the caller may place it there: 400 for an
// unconfigured market, 403 outside the caller's grant, and 421 like a car token of another
// region (access/region_redirect.h) when this node does not serve that region: the request is
// sound but made to the wrong region's nodes, and the same request there succeeds.
std::optional<Response> refuse_placement(const config::Config& config, const Request& req, std::string_view market) {
  const config::Region* region = config.region_for_market(market_code(market));
  if (region == nullptr) {
    return http::error_response(invalid_argument("market '" + std::string(market) + "' is not configured"));
  }
  if (!req.principal()->may_act_in(region->id)) return out_of_scope(region->id);
  if (Status served = check_region_served(config, region->id); !served.is_ok()) {
    return http::error_response(StatusCode::misdirected_request, served.message(), "wrong_region");
  }
  return std::nullopt;
}

// Refuses any member of `o` not named in `allowed` ("vin, market, label").
Status only_fields(const json::object& o, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : o) {
    if (std::find(allowed.begin(), allowed.end(), std::string_view(k)) != allowed.end()) continue;
    std::string names;
    for (std::string_view a : allowed) names += (names.empty() ? "" : ", ") + std::string(a);
    return invalid_argument("unknown field '" + std::string(k) + "' (expected " + names + ")");
  }
  return Status::ok();
}

Response create(FleetRegistry& registry, const config::Config& config, const Request& req) {
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return http::error_response(body.status());
  const auto& o = *body;
  if (Status s = only_fields(o, {"vin", "market", "label"}); !s.is_ok()) return http::error_response(s);
  auto vin = string_field(o, "vin", true);
  auto market = string_field(o, "market", true);
  auto label = string_field(o, "label", false);
  for (const auto* r : {&vin, &market, &label}) {
    if (!r->is_ok()) return http::error_response(r->status());
  }
  if (auto refused = refuse_placement(config, req, *market)) return std::move(*refused);
  auto record = registry.register_vehicle(*vin, *market, *label, http_actor(req));
  if (!record.is_ok()) return http::error_response(record.status());
  Response r = Response::json(StatusCode::created, to_json(*record));
  r.headers.set(boost::beast::http::field::location, "/v1/vehicles/" + record->vin);
  return r;
}

// The CLI's `fleet rehome` over HTTP: the same FleetRegistry::rehome (its checks, its audit entry
// "vehicle.rehome"), for a vehicle in the caller's grant moving to a market whose region the
// caller may also place vehicles in. Data already stored stays in the old region.
Response rehome(FleetRegistry& registry, const config::Config& config, const Request& req) {
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return http::error_response(body.status());
  if (Status s = only_fields(*body, {"market", "reason"}); !s.is_ok()) return http::error_response(s);
  auto market = string_field(*body, "market", true);
  auto reason = string_field(*body, "reason", true);
  for (const auto* r : {&market, &reason}) {
    if (!r->is_ok()) return http::error_response(r->status());
  }
  auto current = vehicle_in_scope(registry, req);
  if (!current.is_ok()) return http::error_response(current.status());
  if (auto refused = refuse_placement(config, req, *market)) return std::move(*refused);
  auto moved = registry.rehome(current->vin, *market, http_actor(req), *reason);
  if (!moved.is_ok()) return http::error_response(moved.status());
  json::object out{{"object", "vehicle.rehome"},
                   {"vin", moved->after.vin},
                   {"from_market", moved->before.market},
                   {"from_region", moved->before.region},
                   {"vehicle", to_json(moved->after)}};
  // Stored telemetry does not follow the car across a border (DESIGN.md: residency).
  out["data_stays_in"] = moved->before.region != moved->after.region ? json::value(moved->before.region) : json::value(nullptr);
  return Response::json(StatusCode::ok, out);
}

// The DPO's erasure of a vehicle in their grant (GDPR Art. 17, PIPL Art. 47).
Response erase(FleetRegistry& registry, const Eraser& eraser, const Request& req) {
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return http::error_response(body.status());
  if (Status s = only_fields(*body, {"reason"}); !s.is_ok()) return http::error_response(s);
  auto reason = string_field(*body, "reason", true);
  if (!reason.is_ok()) return http::error_response(reason.status());
  auto current = vehicle_in_scope(registry, req);
  if (!current.is_ok()) return http::error_response(current.status());
  auto erased = eraser(*current, http_actor(req), *reason);
  if (!erased.is_ok()) return http::error_response(erased.status());
  return Response::json(StatusCode::ok, *erased);
}

Response show(FleetRegistry& registry, const Request& req) {
  const http::Principal& caller = *req.principal();
  const bool is_vehicle = caller.has_role("vehicle") && !caller.has_role("operator") && !caller.has_role("admin") &&
                          !caller.has_role("auditor");
  if (is_vehicle && caller.subject != req.param("vin")) {
    return http::error_response(StatusCode::forbidden, "a vehicle may only read its own record", "not_own_vehicle");
  }
  auto record = registry.show(req.param("vin"));
  if (!record.is_ok()) return http::error_response(record.status());
  // Out-of-scope records answer like absent ones so callers cannot probe other regions' fleets.
  if (!is_vehicle && !caller.may_act_in(record->region)) {
    return http::error_response(not_registered(req.param("vin")));
  }
  return Response::json(StatusCode::ok, to_json(*record));
}

Response list(FleetRegistry& registry, const Request& req) {
  const http::Principal& caller = *req.principal();
  ListFilter filter;
  filter.region = req.query_param("region").value_or("");
  filter.market = req.query_param("market").value_or("");
  filter.maker = req.query_param("maker").value_or("");
  filter.cursor = req.query_param("cursor").value_or("");
  if (auto limit = req.query_param("limit")) {
    size_t n = 0;
    auto [end, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), n);
    if (ec != std::errc() || end != limit->data() + limit->size()) {
      return http::error_response(invalid_argument("limit: must be a positive integer"));
    }
    filter.limit = n;
  }
  if (filter.region.empty() && !caller.may_act_in("*")) {
    if (caller.regions.size() != 1) {
      return http::error_response(invalid_argument("region: required, your grant covers several regions"));
    }
    filter.region = caller.regions.front();
  }
  if (!filter.region.empty() && !caller.may_act_in(filter.region)) return out_of_scope(filter.region);
  auto page = registry.list(filter);
  if (!page.is_ok()) return http::error_response(page.status());
  json::array items;
  for (const auto& v : page->vehicles) items.push_back(to_json(v));
  json::object out{{"object", "list"}, {"data", std::move(items)}};
  out["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
  return Response::json(StatusCode::ok, out);
}

}  // namespace

Result<VehicleRecord> vehicle_in_scope(const FleetRegistry& registry, const http::Request& request) {
  auto record = registry.show(request.param("vin"));
  if (record.is_ok() && !request.principal()->may_act_in(record->region)) return not_registered(request.param("vin"));
  return record;
}

std::string http_actor(const http::Request& request) {
  if (!request.principal()) return "anonymous";
  const auto& p = *request.principal();
  return (p.has_role("vehicle") ? "vehicle:" : "user:") + p.subject;
}

Status register_erasure_route(http::Server& server, FleetRegistry& registry, Eraser eraser) {
  return server.route(http::Verb::post, "/v1/vehicles/{vin}/erase", http::RouteOptions::for_roles({"dpo"}),
                      [&registry, eraser = std::move(eraser)](const Request& r) { return erase(registry, eraser, r); });
}

Status register_registry_routes(http::Server& server, FleetRegistry& registry, const config::Config& config) {
  using http::RouteOptions;
  using http::Verb;
  Status s = server.route(Verb::post, "/v1/vehicles", RouteOptions::for_roles({"operator", "admin"}),
                          [&registry, &config](const Request& r) { return create(registry, config, r); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::get, "/v1/vehicles", RouteOptions::for_roles(kReaders),
                   [&registry](const Request& r) { return list(registry, r); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::post, "/v1/vehicles/{vin}/rehome", RouteOptions::for_roles({"operator", "admin"}),
                   [&registry, &config](const Request& r) { return rehome(registry, config, r); });
  if (!s.is_ok()) return s;
  std::vector<std::string> readers = kReaders;
  readers.push_back("vehicle");
  return server.route(Verb::get, "/v1/vehicles/{vin}", RouteOptions::for_roles(readers),
                      [&registry](const Request& r) { return show(registry, r); });
}

}  // namespace fleetgate::vehicle
