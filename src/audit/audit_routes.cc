#include "fleetgate/audit/audit_routes.h"

#include <boost/json.hpp>
#include <charconv>

#include "fleetgate/http/error.h"

namespace fleetgate::audit {
namespace {

constexpr uint64_t kDefaultLimit = 100;
constexpr uint64_t kMaxLimit = 1000;

// The query parameter `name` as a positive integer, `fallback` when absent.
Result<uint64_t> positive_param(const http::Request& request, std::string_view name, uint64_t fallback) {
  const std::optional<std::string> text = request.query_param(name);
  if (!text) return fallback;
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value == 0) {
    return invalid_argument(std::string(name) + " must be a positive integer");
  }
  return value;
}

}  // namespace

http::Response handle_audit_page(const AuditLog& log, const http::Request& request) {
  if (!request.principal()->may_act_in("*")) {
    return http::error_response(
        permission_denied("the audit chain spans every region: reading it needs a grant for all regions ('*')"));
  }
  auto from = positive_param(request, "from_seq", 1);
  if (!from.is_ok()) return http::error_response(from.status());
  auto limit = positive_param(request, "limit", kDefaultLimit);
  if (!limit.is_ok()) return http::error_response(limit.status());
  if (*limit > kMaxLimit) return http::error_response(invalid_argument("limit must be at most 1000"));
  auto entries = log.read(*from, static_cast<size_t>(*limit));
  if (!entries.is_ok()) return http::error_response(entries.status());
  boost::json::array out;
  for (const auto& e : *entries) out.push_back(to_json(e));
  const uint64_t next = entries->empty() ? *from : entries->back().seq + 1;
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"entries", std::move(out)},
                                                                        {"next_seq", next},
                                                                        {"size", log.size()},
                                                                        {"head_hash", log.head_hash()}});
}

Status register_audit_routes(http::Server& server, const AuditLog& log) {
  return server.route(http::Verb::get, "/v1/audit", http::RouteOptions::for_roles({"auditor", "admin"}),
                      [&log](const http::Request& r) { return handle_audit_page(log, r); });
}

}  // namespace fleetgate::audit
