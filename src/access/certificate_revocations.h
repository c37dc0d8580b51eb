// Revoked client certificates, by serial: a denylist kept in the control store
// ("cred/cert-revoked/<SERIAL>") and in memory, so the certificate authenticator refuses a revoked
// certificate from the moment revoke() returns. Over a store other processes write (shared()),
// every check reads the store, so a revocation by another node holds at once. Each revocation is written in one atomic batch
// with its audit entry "vehicle.cert.revoke". Serials are compared in canonical form: uppercase
// hex without leading zeros, as any tool prints them ("0a:1b" and "A1B" are one serial).
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_set>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"

namespace fleetgate::access {

// `serial` in canonical form; invalid_argument unless it is 1..64 hex digits (':' allowed between).
Result<std::string> canonical_serial(std::string_view serial);

// Principal::credential of a vehicle authenticated by the certificate with `serial` (canonical),
// so revoking the certificate ends the sessions it opened.
std::string certificate_credential(std::string_view serial);

class CertificateRevocations {
 public:
  // Loads the denylist. REQUIRES: `audit` (and its store) outlive this object; one per audit log.
  static Result<std::unique_ptr<CertificateRevocations>> open(audit::AuditLog& audit);

  // Revokes the certificate `serial` of vehicle `vin` (homed in `region`, for the audit entry);
  // its canonical serial. invalid_argument for a malformed serial, already_exists when revoked
  // before.
  Result<std::string> revoke(std::string_view serial, std::string_view vin, std::string_view region,
                             std::string_view actor);
  // Whether the certificate with `serial` (any form canonical_serial accepts) is revoked; a serial
  // it does not accept is not. kUnavailable when a shared store cannot answer (the control
  // database is down): the caller refuses the certificate, with 503 rather than as revoked.
  Result<bool> is_revoked(std::string_view serial) const;

 private:
  explicit CertificateRevocations(audit::AuditLog& audit) : audit_(audit) {}

  audit::AuditLog& audit_;
  mutable std::shared_mutex mu_;  // guards revoked_; held exclusively across revoke()'s write
  std::unordered_set<std::string> revoked_;
};

}  // namespace fleetgate::access
