#include "fleetgate/ledger/ledger_routes.h"

#include <boost/json.hpp>

#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::StatusCode;

}  // namespace

Response handle_revenue(Ledger& ledger, const Request& request) {
  const bool csv = request.header("content-type").starts_with("text/csv");
  Result<std::vector<SourcedEvent>> events = invalid_argument("request body must be a JSON object");
  if (csv) {
    events = parse_revenue_csv(request.body(), ledger.config());
  } else if (auto body = http::json_object_body(request); body.is_ok()) {
    events = parse_revenue_json(*body, ledger.config());
  }
  if (!events.is_ok()) return http::error_response(events.status());
  auto report = ledger.import_revenue(*events, vehicle::http_actor(request));
  if (!report.is_ok()) return http::error_response(report.status());
  return Response::json(StatusCode::ok, json::object{{"added", report->added},
                                                     {"unchanged", report->unchanged},
                                                     {"adjustments", report->adjustments}});
}

Response handle_settle(Ledger& ledger, const Request& request) {
  auto body = http::json_object_body(request);
  if (!body.is_ok()) return http::error_response(body.status());
  for (const auto& [k, v] : *body) {
    if (k != "period" && k != "close") return http::error_response(invalid_argument("unknown field '" + std::string(k) + "' (expected period, close)"));
  }
  const json::value* period_text = body->if_contains("period");
  if (period_text == nullptr || !period_text->is_string()) return http::error_response(invalid_argument("period: required string YYYY-MM"));
  auto period = Period::parse(period_text->as_string());
  if (!period.is_ok()) return http::error_response(period.status());
  const json::value* close = body->if_contains("close");
  if (close != nullptr && !close->is_bool()) return http::error_response(invalid_argument("close: must be a boolean"));
  const bool closing = close != nullptr && close->as_bool();
  if (closing && !request.principal()->has_role("admin")) {
    return http::error_response(StatusCode::forbidden, "closing a period needs the admin role", "admin_required");
  }
  auto settlement = closing ? ledger.close(*period, vehicle::http_actor(request)) : ledger.settle(*period);
  if (!settlement.is_ok()) return http::error_response(settlement.status());
  json::object statements;
  for (const auto& s : settlement->statements) statements[s.partner] = json::parse(s.json);
  return Response::json(StatusCode::ok, json::object{{"period", settlement->period.to_string()},
                                                     {"status", settlement->closed ? "closed" : "open"},
                                                     {"statements", std::move(statements)}});
}

Response handle_statement(const Ledger& ledger, const Request& request) {
  auto period = Period::parse(request.param("period"));
  if (!period.is_ok()) return http::error_response(period.status());
  const auto format = request.query_param("format").value_or("json");
  if (format != "json" && format != "csv") return http::error_response(invalid_argument("format must be json or csv"));
  auto statement = ledger.statement(*period, std::string(request.param("partner")));
  if (!statement.is_ok()) return http::error_response(statement.status());
  Response r;
  r.content_type = format == "csv" ? "text/csv; charset=utf-8" : "application/json";
  r.body = format == "csv" ? statement->csv : statement->json;
  return r;
}

Status register_ledger_routes(http::Server& server, Ledger& ledger) {
  using http::RouteOptions;
  using http::Verb;
  RouteOptions import_access = RouteOptions::for_roles({"admin"});
  import_access.max_body_bytes = size_t{64} << 20;  // revenue files are larger than API calls
  if (auto s = server.route(Verb::post, "/v1/ledger/revenue", import_access,
                            [&ledger](const Request& r) { return handle_revenue(ledger, r); });
      !s.is_ok()) {
    return s;
  }
  if (auto s = server.route(Verb::post, "/v1/ledger/settle", RouteOptions::for_roles({"auditor", "admin"}),
                            [&ledger](const Request& r) { return handle_settle(ledger, r); });
      !s.is_ok()) {
    return s;
  }
  return server.route(Verb::get, "/v1/ledger/statements/{period}/{partner}", RouteOptions::for_roles({"auditor", "admin"}),
                      [&ledger](const Request& r) { return handle_statement(ledger, r); });
}

}  // namespace fleetgate::ledger
