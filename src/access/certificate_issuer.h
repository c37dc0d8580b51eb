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
  Result<IssuedCertificate> issue_server(const std::vector<std::string>& hosts, std::string_view actor,
                                         const Validity& validity = {});

 private:
  const FleetCa& ca_;
  const vehicle::FleetRegistry& registry_;
  audit::AuditLog& audit_;
};

}  // namespace fleetgate::access
