// Bearer credentials for vehicles and people. Tokens are shown once when issued and stored only
// as SHA-256 digests in the control store; every issue and revocation is in the audit chain,
// written in the same atomic batch as the credential itself.
#pragma once

#include <boost/json/object.hpp>

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
// The owner (or user) of one vehicle, who reads that vehicle's data (GDPR Art. 15/20, EU Data Act);
// Principal::subject is the VIN.
inline constexpr std::string_view kOwnerRole = "owner";
// A third party the owner shared named fields of their vehicle with (EU Data Act Art. 5), until
// the grant expires or is revoked; Principal::subject is the VIN, Principal::credential
// grant_credential(id).
inline constexpr std::string_view kThirdPartyRole = "third_party";
// Roles a person may hold (DESIGN.md "Roles"); "vehicle" is only ever held by a vehicle token.
inline constexpr std::string_view kUserRoles[] = {"operator", "approver", "dpo", "auditor", "admin"};

// Principal::credential of a vehicle authenticated by its bearer token: it holds one at a time,
// so issuing or revoking its token ends every session opened with this credential.
std::string vehicle_token_credential(std::string_view vin);

std::string owner_token_credential(std::string_view vin);
std::string grant_credential(std::string_view grant_id);
// The grant id of a Principal::credential made by grant_credential; empty for any other.
std::string_view grant_of_credential(std::string_view credential);

// A third party's read-only access to named telemetry fields of one vehicle.
struct DataGrant {
  std::string id;       // "g_" + 16 random base64url characters
  std::string vin;
  std::string region;   // the vehicle's home region when granted
  std::string grantee;  // who it was granted to, as the owner named them
  std::vector<std::string> fields;  // telemetry field names
  int64_t since_ms = 0;             // the granting owner's since: no data before it is read
  int64_t created_ms = 0;
  int64_t expires_ms = 0;
  bool revoked = false;
};

// A grant as the API answers it (VehicleGrant in docs/openapi.json): no region, no token.
boost::json::object to_json(const DataGrant& g);

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

  // Mints a token for the owner of a registered vehicle homed in `region`, who owns it since
  // `since_ms` and reads only data from then on. The owner token issued before is revoked, with
  // every grant its owner made. Audited as "vehicle.owner_token.issue".
  Result<std::string> issue_owner_token(std::string_view vin, std::string_view region, int64_t since_ms,
                                        std::string_view actor);
  // Revokes the vehicle's owner token and the grants made with it; not_found when it holds none.
  Status revoke_owner_token(std::string_view vin, std::string_view region, std::string_view actor);
  // Since when the holder of the vehicle's owner token owns it; not_found when it holds none.
  Result<int64_t> owner_since(std::string_view vin) const;

  // Grants `grantee` read access to `fields` (checked by the caller) of the vehicle until
  // `expires_ms`, on behalf of its current owner (whose since it keeps, and with whose token it
  // ends); the grant and its token, shown once. Audited as "vehicle.grant.issue".
  // kInvalidArgument for an empty grantee or field list, or an expiry not in the future;
  // kFailedPrecondition when the vehicle holds no owner token.
  Result<std::pair<DataGrant, std::string>> grant_data(std::string_view vin, std::string_view region,
                                                       std::string_view grantee, std::vector<std::string> fields,
                                                       int64_t expires_ms, std::string_view actor);
  // The vehicle's grants, revoked and expired ones included, oldest first.
  Result<std::vector<DataGrant>> grants(std::string_view vin) const;
  // One grant; kNotFound when `vin` has no grant `id`.
  Result<DataGrant> grant(std::string_view vin, std::string_view id) const;
  // Revokes a grant: its token stops working at once. Audited as "vehicle.grant.revoke".
  // kNotFound when there is no such grant, kFailedPrecondition when it is already revoked.
  Status revoke_grant(std::string_view vin, std::string_view id, std::string_view actor);
  // Revokes every live grant of the vehicle (its erasure), audited like revoke_grant; how many.
  Result<size_t> revoke_grants(std::string_view vin, std::string_view actor);

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
  // issue), its owner (role "owner", likewise), a third party (role "third_party", subject the
  // VIN, until the grant expires) or a user (their current roles and regions); unauthenticated
  // when unknown, revoked or expired. Known tokens are answered from memory after their first
  // lookup, grants' excepted (their expiry is checked on every use); every change through this
  // store (issue, revoke, new user) drops them before it returns.
  Result<http::Principal> lookup(std::string_view token) const;

 private:
  Result<http::Principal> load(const std::string& digest) const;
  // The digest of the vehicle's token under `prefix`; not_found "... holds no <what>".
  Result<std::string> token_digest(std::string_view prefix, std::string_view vin, std::string_view what) const;
  // Adds the revocation of every live grant of `vin` to `batch` and `events`.
  Status revoke_grants_into(std::string_view vin, std::string_view actor, store::WriteBatch& batch,
                            std::vector<audit::Event>& events);
  // Writes `change` with its audit `events` in one atomic write, then forgets every known token.
  Status commit(std::vector<audit::Event> events, const store::WriteBatch& change);

  static constexpr size_t kKnownTokens = 65536;
  audit::AuditLog& audit_;
  mutable ReadThroughCache<http::Principal> known_;
};

}  // namespace fleetgate::access
