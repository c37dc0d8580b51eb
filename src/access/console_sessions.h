// Operator-console sessions. A user signs in with their token and gets a session: a 32-byte
// CSPRNG id the browser keeps in an HttpOnly cookie, and a CSRF token derived from that id that
// the page sends with every write. The control store keeps only SHA-256(id) under
// "cred/session/", with the user and the expiry, committed with its audit entry like every
// credential: every node on a shared control database honours, expires and ends the same
// sessions. A session carries its user's current roles and regions, read at each lookup, so
// revoking the user ends their sessions at once.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleetgate/access/credentials.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::access {

struct ConsoleSession {
  std::string id;    // the cookie value; shown once, stored only as its SHA-256
  std::string csrf;  // console_csrf_token(id)
  http::Principal user;
  int64_t expires_ms = 0;
};

// The CSRF token of the session `id`: SHA-256 of the id under a label of its own, so it is
// stored nowhere and cannot be computed without the cookie.
std::string console_csrf_token(std::string_view id);

class ConsoleSessions {
 public:
  // REQUIRES: `audit` and `credentials` outlive this object; lifetime_ms > 0.
  ConsoleSessions(audit::AuditLog& audit, const CredentialStore& credentials, int64_t lifetime_ms)
      : audit_(audit), credentials_(credentials), lifetime_ms_(lifetime_ms) {}

  // Starts a session for the user holding `token`, audited as console.session.start; sessions
  // expired by now are removed in the same write. unauthenticated for an unknown or revoked
  // token, permission_denied for a vehicle's token.
  Result<ConsoleSession> sign_in(std::string_view token);
  // The user of a live session: unauthenticated when the id is unknown, ended or expired, or the
  // user was revoked.
  Result<http::Principal> lookup(std::string_view id) const;
  // Ends the session, audited as console.session.end; unauthenticated when it is not live.
  Status sign_out(std::string_view id);

  int64_t lifetime_ms() const { return lifetime_ms_; }

 private:
  audit::AuditLog& audit_;
  const CredentialStore& credentials_;
  int64_t lifetime_ms_;
};

}  // namespace fleetgate::access
