// Issues fleet certificates with an audit trail: a vehicle client certificate only for a
// registered VIN (CN = VIN), a server certificate for named hosts. Each issuance appends one
// audit entry (action "vehicle.cert.issue" / "server.cert.issue") with the serial and expiry;
// private keys are never stored or logged.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/access/fleet_ca.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::access {

class CertificateIssuer {
 public:
  // REQUIRES: all three outlive this object.
  CertificateIssuer(const FleetCa& ca, const vehicle::FleetRegistry& registry, audit::AuditLog& audit)
      : ca_(ca), registry_(registry), audit_(audit) {}

  // not_found when the VIN is not registered; the audit entry carries its home region.
  Result<IssuedCertificate> issue_vehicle(std::string_view vin, std::string_view actor, const Validity& validity = {});
  // The same for a key the car keeps: signs its PKCS#10 request (FleetCa::sign_client_request,
  // whose invalid_argument reasons it returns), audited alike.
  Result<IssuedCertificate> issue_vehicle_for_request(std::string_view vin, std::string_view request_pem,
                                                      std::string_view actor, const Validity& validity = {});
  Result<IssuedCertificate> issue_server(const std::vector<std::string>& hosts, std::string_view actor,
                                         const Validity& validity = {});

 private:
  // Looks up `vin`, lets `sign` issue for its record's VIN, audits the issuance.
  template <typename Sign>
  Result<IssuedCertificate> issue_for_vehicle(std::string_view vin, std::string_view actor, Sign sign);

  const FleetCa& ca_;
  const vehicle::FleetRegistry& registry_;
  audit::AuditLog& audit_;
};

}  // namespace fleetgate::access
