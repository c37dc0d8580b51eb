#include "fleetgate/audit/audit_routes.h"

#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

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

// The audit chain spans every region, so only a grant for all of them reads it.
Status check_all_regions(const http::Request& request) {
  if (request.principal()->may_act_in("*")) return Status::ok();
  return permission_denied("the audit chain spans every region: reading it needs a grant for all regions ('*')");
}

}  // namespace

http::Response handle_audit_verify(const AuditLog& log, const http::Request& request) {
  if (Status s = check_all_regions(request); !s.is_ok()) return http::error_response(s);
  auto report = log.verify();
  if (!report.is_ok()) return http::error_response(report.status());
  boost::json::object out{{"object", "audit.verification"},
                          {"intact", report->intact()},
                          {"entries", report->entries},
                          {"head_hash", report->head_hash},
                          {"bad_seq", nullptr},
                          {"problem", report->problem}};
  if (report->bad_seq) out["bad_seq"] = *report->bad_seq;
  return http::Response::json(http::StatusCode::ok, out);
}

namespace {

// What GET /v1/audit keeps: entries whose action starts with `action` and whose actor, subject
// and region equal the others; a filter left out keeps everything.
struct AuditFilter {
  std::optional<std::string> action, actor, subject, region;
  bool any() const { return action || actor || subject || region; }
  bool keeps(const Entry& e) const {
    return (!action || e.action.starts_with(*action)) && (!actor || e.actor == *actor) &&
           (!subject || e.subject == *subject) && (!region || e.region == *region);
  }
};

Result<AuditFilter> filter_of(const http::Request& request) {
  AuditFilter f;
  for (auto [name, field] : {std::pair{"action", &f.action}, std::pair{"actor", &f.actor},
                             std::pair{"subject", &f.subject}, std::pair{"region", &f.region}}) {
    *field = request.query_param(name);
    if (*field && (*field)->empty()) return invalid_argument(std::string(name) + " must not be empty when given");
  }
  return f;
}

// Entries a filtered page reads at most before it answers (with fewer matches and next_seq where
// it stopped), so no request walks a long chain at once.
constexpr size_t kMaxScanned = 10'000;
constexpr size_t kScanChunk = 1'000;

}  // namespace

http::Response handle_audit_page(const AuditLog& log, const http::Request& request) {
  if (Status s = check_all_regions(request); !s.is_ok()) return http::error_response(s);
  auto from = positive_param(request, "from_seq", 1);
  if (!from.is_ok()) return http::error_response(from.status());
  auto limit = positive_param(request, "limit", kDefaultLimit);
  if (!limit.is_ok()) return http::error_response(limit.status());
  if (*limit > kMaxLimit) return http::error_response(invalid_argument("limit must be at most 1000"));
  auto filter = filter_of(request);
  if (!filter.is_ok()) return http::error_response(filter.status());
  boost::json::array out;
  uint64_t next = *from;
  for (size_t scanned = 0; out.size() < *limit && scanned < (filter->any() ? kMaxScanned : *limit);) {
    const size_t want = filter->any() ? kScanChunk : static_cast<size_t>(*limit);
    auto entries = log.read(next, want);
    if (!entries.is_ok()) return http::error_response(entries.status());
    for (const auto& e : *entries) {
      next = e.seq + 1;
      ++scanned;
      if (filter->keeps(e)) out.push_back(to_json(e));
      if (out.size() == *limit) break;
    }
    if (entries->size() < want) break;  // the end of the chain
  }
  return http::Response::json(http::StatusCode::ok, boost::json::object{{"entries", std::move(out)},
                                                                        {"next_seq", next},
                                                                        {"size", log.size()},
                                                                        {"head_hash", log.head_hash()}});
}

Status register_audit_routes(http::Server& server, const AuditLog& log) {
  const http::RouteOptions readers = http::RouteOptions::for_roles({"auditor", "admin"});
  if (Status s = server.route(http::Verb::get, "/v1/audit", readers,
                              [&log](const http::Request& r) { return handle_audit_page(log, r); });
      !s.is_ok()) {
    return s;
  }
  return server.route(http::Verb::get, "/v1/audit/verify", readers,
                      [&log](const http::Request& r) { return handle_audit_verify(log, r); });
}

}  // namespace fleetgate::audit
