#include "fleetgate/access/certificate_routes.h"

#include <boost/json.hpp>
#include <memory>
#include <mutex>
#include <optional>

#include "fleetgate/access/certificate_issuer.h"
#include "fleetgate/access/fleet_ca.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"
#include "fleetgate/vehicle/registry_routes.h"

namespace fleetgate::access {
namespace {

namespace json = boost::json;

constexpr int64_t kMaxDays = 3650;

// The fleet CA, opened (or created) once, at the first request that needs it: a service whose
// operators never sign anything creates no CA.
class LazyCa {
 public:
  explicit LazyCa(std::filesystem::path dir) : dir_(std::move(dir)) {}
  Result<const FleetCa*> get() {
    std::lock_guard lock(mu_);
    if (!ca_) {
      auto opened = FleetCa::open_or_create(dir_);
      if (!opened.is_ok()) return opened.status();
      ca_.emplace(std::move(opened).value());
    }
    return &*ca_;
  }

 private:
  const std::filesystem::path dir_;
  std::mutex mu_;
  std::optional<FleetCa> ca_;
};

struct SignRequest {
  std::string csr;
  Validity validity;
};

Result<SignRequest> parse_sign_request(const http::Request& req) {
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return body.status();
  SignRequest out;
  int64_t days = kDefaultCertificateDays;
  for (const auto& [k, v] : *body) {
    if (k == "csr") {
      if (!v.is_string()) return invalid_argument("csr: must be a string (the PEM certificate request)");
      out.csr = std::string(v.as_string());
    } else if (k == "days") {
      if (!v.is_int64() || v.as_int64() < 1 || v.as_int64() > kMaxDays) {
        return invalid_argument("days: must be an integer from 1 to " + std::to_string(kMaxDays));
      }
      days = v.as_int64();
    } else {
      return invalid_argument("unknown field '" + std::string(k) + "' (expected csr, days)");
    }
  }
  if (out.csr.empty()) return invalid_argument("csr: required");
  out.validity.not_after = std::chrono::hours(24) * days;
  return out;
}

http::Response sign(LazyCa& lazy, const vehicle::FleetRegistry& registry, audit::AuditLog& audit, const http::Request& req) {
  auto record = vehicle::vehicle_in_scope(registry, req);
  if (!record.is_ok()) return http::error_response(record.status());
  auto asked = parse_sign_request(req);
  if (!asked.is_ok()) return http::error_response(asked.status());
  auto ca = lazy.get();
  // The CA's files are the server's, not the caller's: whatever is wrong with them is a 500.
  if (!ca.is_ok()) return http::error_response(internal_error("the fleet CA: " + ca.status().message()));
  CertificateIssuer issuer(**ca, registry, audit);
  auto issued = issuer.issue_vehicle_for_request(record->vin, asked->csr, vehicle::http_actor(req), asked->validity);
  if (!issued.is_ok()) return http::error_response(issued.status());
  return http::Response::json(http::StatusCode::created, json::object{{"object", "vehicle.certificate"},
                                                                      {"vin", record->vin},
                                                                      {"region", record->region},
                                                                      {"serial", issued->serial},
                                                                      {"subject", issued->subject},
                                                                      {"expires_ms", issued->not_after_ms},
                                                                      {"certificate", issued->certificate_pem}});
}

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
                                   const vehicle::FleetRegistry& registry, audit::AuditLog& audit,
                                   std::filesystem::path ca_dir) {
  const auto managers = http::RouteOptions::for_roles({"operator", "admin"});
  auto lazy = std::make_shared<LazyCa>(std::move(ca_dir));
  Status s = server.route(http::Verb::post, "/v1/vehicles/{vin}/certificates", managers,
                          [lazy, &registry, &audit](const http::Request& r) { return sign(*lazy, registry, audit, r); });
  if (!s.is_ok()) return s;
  return server.route(http::Verb::delete_, "/v1/vehicles/{vin}/certificates/{serial}", managers,
                      [&revocations, &registry, &sessions = server.sessions()](const http::Request& r) {
                        return revoke(revocations, registry, sessions, r);
                      });
}

}  // namespace fleetgate::access
