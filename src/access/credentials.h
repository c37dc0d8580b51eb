// Bearer credentials for vehicles and people. Tokens are shown once when issued and stored only
// as SHA-256 digests in the control store; every issue and revocation is in the audit chain,
// written in the same atomic batch as the credential itself.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/read_through_cache.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::access {

inline constexpr std::string_view kVehicleRole = "vehicle";
// Roles a person may hold (DESIGN.md "Roles"); "vehicle" is only ever held by a vehicle token.
inline constexpr std::string_view kUserRoles[] = {"operator", "approver", "dpo", "auditor", "admin"};

// Principal::credential of a vehicle authenticated by its bearer token: it holds one at a time,
// so issuing or revoking its token ends every session opened with this credential.
std::string vehicle_token_credential(std::string_view vin);

struct User {
  std::string name;
  std::vector<std::string> roles;    // subset of kUserRoles
  std::vector<std::string> regions;  // region ids or "*"
  bool revoked = false;
  int64_t created_ms = 0;
};

// Thread-safe: changes are serialized, since each reads the state it replaces.
class CredentialStore {
 public:
  // REQUIRES: `audit` (and its store) outlive this object; one credential store per audit log.
  // Over a store other processes share, nothing is cached: a token revoked by another node is
  // refused at once.
  explicit CredentialStore(audit::AuditLog& audit)
      : audit_(audit), known_(audit.shared() ? 0 : kKnownTokens) {}

  // Mints a token for a registered vehicle homed in `region`, revoking its previous token.
  Result<std::string> issue_vehicle_token(std::string_view vin, std::string_view region, std::string_view actor);
  // Revokes the vehicle's token (homed in `region`, for the audit entry); not_found when it holds none.
  Status revoke_vehicle_token(std::string_view vin, std::string_view region, std::string_view actor);

  // Creates a user. invalid_argument for a bad name, unknown role or empty grant;
  // already_exists when the name is taken.
  Result<User> add_user(std::string_view name, std::vector<std::string> roles, std::vector<std::string> regions,
                        std::string_view actor);
  // Mints a token for an active user (one user may hold several tokens).
  Result<std::string> issue_user_token(std::string_view name, std::string_view actor);
  // Revokes the user: every token of theirs stops working at once.
  Status revoke_user(std::string_view name, std::string_view actor);
  Result<User> user(std::string_view name) const;
  Result<std::vector<User>> users() const;

  // Who holds a presented token: a vehicle (subject VIN, role "vehicle", its home region at
  // issue) or a user (their current roles and regions); unauthenticated when unknown or revoked.
  // Known tokens are answered from memory after their first lookup; every change through this
  // store (issue, revoke, new user) drops them before it returns.
  Result<http::Principal> lookup(std::string_view token) const;

 private:
  Result<http::Principal> load(const std::string& digest) const;
  // Writes `change` with its audit `events` in one atomic write, then forgets every known token.
  Status commit(std::vector<audit::Event> events, const store::WriteBatch& change);

  static constexpr size_t kKnownTokens = 65536;
  audit::AuditLog& audit_;
  mutable ReadThroughCache<http::Principal> known_;
};

}  // namespace fleetgate::access
