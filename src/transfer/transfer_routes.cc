#include "fleetgate/transfer/transfer_routes.h"

#include <boost/json.hpp>

#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"

namespace fleetgate::transfer {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::StatusCode;

std::string actor_of(const Request& request) { return "user:" + request.principal()->subject; }

// The transfer `id` names, when the caller may see it (source or destination in their regions).
Result<Transfer> visible_transfer(TransferService& service, const Request& request) {
  auto t = service.get(request.param("id"));
  if (!t.is_ok()) return t.status();
  const http::Principal& who = *request.principal();
  if (!who.may_act_in(t->request.source_region) && !who.may_act_in(t->request.dest_region)) {
    return permission_denied("'" + who.subject + "' may not act in region " + t->request.source_region + " or " +
                             t->request.dest_region);
  }
  return t;
}

Response transfer_response(TransferService& service, std::string_view id, StatusCode status = StatusCode::ok) {
  auto t = service.get(id);
  if (!t.is_ok()) return http::error_response(t.status());
  return Response::json(status, to_json(*t));
}

Response create(TransferService& service, const Request& request) {
  auto body = http::json_object_body(request);
  if (!body.is_ok()) return http::error_response(body.status());
  auto req = parse_request(*body);
  if (!req.is_ok()) return http::error_response(req.status());
  auto id = service.request(*request.principal(), std::move(req).value());
  if (!id.is_ok()) return http::error_response(id.status());
  Response r = transfer_response(service, *id, StatusCode::created);
  r.headers.set(boost::beast::http::field::location, "/v1/transfers/" + *id);
  return r;
}

Response list(TransferService& service, const Request& request) {
  const http::Principal& who = *request.principal();
  const std::optional<std::string> region = request.query_param("region");
  if (region && !who.may_act_in(*region)) {
    return http::error_response(permission_denied("'" + who.subject + "' may not act in region " + *region));
  }
  auto transfers = service.list(who);
  if (!transfers.is_ok()) return http::error_response(transfers.status());
  json::array out;
  for (const auto& t : *transfers) {
    if (region && t.request.source_region != *region && t.request.dest_region != *region) continue;
    out.push_back(to_json(t));
  }
  return Response::json(StatusCode::ok, json::object{{"transfers", std::move(out)}});
}

Response show(TransferService& service, const Request& request) {
  auto t = visible_transfer(service, request);
  if (!t.is_ok()) return http::error_response(t.status());
  return Response::json(StatusCode::ok, to_json(*t));
}

Response approve(TransferService& service, const Request& request) {
  if (Status s = service.approve(*request.principal(), request.param("id")); !s.is_ok()) return http::error_response(s);
  return transfer_response(service, request.param("id"));
}

Response reject(TransferService& service, const Request& request) {
  auto body = http::json_object_body(request);
  if (!body.is_ok()) return http::error_response(body.status());
  const json::value* reason = body->if_contains("reason");
  if (reason == nullptr || !reason->is_string()) return http::error_response(invalid_argument("reason: required string"));
  if (Status s = service.reject(*request.principal(), request.param("id"), reason->as_string()); !s.is_ok()) {
    return http::error_response(s);
  }
  return transfer_response(service, request.param("id"));
}

Response export_route(TransferService& service, const config::Config& config, const Request& request) {
  auto t = visible_transfer(service, request);
  if (!t.is_ok()) return http::error_response(t.status());
  if (!request.principal()->may_act_in(t->request.source_region)) {
    return http::error_response(permission_denied("exports run in the source region " + t->request.source_region));
  }
  const config::Region* source = config.region(t->request.source_region);
  if (source == nullptr) return http::error_response(not_found("unknown region '" + t->request.source_region + "'"));
  auto bundle = service.export_bundle(t->id, export_dir(*source), actor_of(request));
  if (!bundle.is_ok()) return http::error_response(bundle.status());
  auto manifest = service.verify_bundle(*bundle);
  if (!manifest.is_ok()) return http::error_response(manifest.status());
  return Response::json(StatusCode::ok, json::object{{"bundle", bundle->string()}, {"manifest", to_json(*manifest)}});
}

}  // namespace

std::filesystem::path export_dir(const config::Region& region) { return region.data_dir / "exports"; }

Status register_transfer_routes(http::Server& server, TransferService& service, const config::Config& config) {
  using http::RouteOptions;
  using http::Verb;
  const RouteOptions readers = RouteOptions::for_roles({"operator", "approver", "dpo", "auditor", "admin"});
  const RouteOptions approvers = RouteOptions::for_roles({"approver", "dpo"});
  auto bind = [&service](Response (*handler)(TransferService&, const Request&)) {
    return [&service, handler](const Request& r) { return handler(service, r); };
  };
  const struct {
    Verb verb;
    const char* pattern;
    RouteOptions access;
    http::Handler handler;
  } routes[] = {
      {Verb::post, "/v1/transfers", RouteOptions::for_roles({"operator", "admin"}), bind(create)},
      {Verb::get, "/v1/transfers", readers, bind(list)},
      {Verb::get, "/v1/transfers/{id}", readers, bind(show)},
      {Verb::post, "/v1/transfers/{id}/approve", approvers, bind(approve)},
      {Verb::post, "/v1/transfers/{id}/reject", approvers, bind(reject)},
      {Verb::post, "/v1/transfers/{id}/export", RouteOptions::for_roles({"operator", "dpo", "admin"}),
       [&service, &config](const Request& r) { return export_route(service, config, r); }},
  };
  for (const auto& r : routes) {
    if (Status s = server.route(r.verb, r.pattern, r.access, r.handler); !s.is_ok()) return s;
  }
  return Status::ok();
}

}  // namespace fleetgate::transfer
