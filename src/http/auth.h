// Access control seam. Every route declares who may call it (RouteOptions); before a handler runs
// the server asks authorize(), which consults the pluggable Authenticator. The default is deny:
// a route that is neither public nor lists roles refuses every request.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http {

struct RouteOptions {
  // No authentication at all (e.g. /healthz). Default false.
  bool is_public = false;
  // A caller holding any one of these roles may call the route. Empty on a non-public route means
  // nobody may (403).
  std::vector<std::string> roles;
  // Overrides ServerOptions::max_body_bytes for this route when set.
  std::optional<size_t> max_body_bytes;

  static RouteOptions public_access();
  static RouteOptions for_roles(std::vector<std::string> roles);
};

// The token of an "Authorization: Bearer <token>" header (scheme case-insensitive, surrounding
// spaces trimmed), empty when absent or another scheme.
std::string_view bearer_token(const Request& request);

class Authenticator {
 public:
  virtual ~Authenticator() = default;
  // Identifies the caller from the request. Returns unauthenticated when credentials are missing
  // or invalid. Runs on a worker thread and may block; must be thread-safe.
  virtual Result<Principal> authenticate(const Request& request) const = 0;
};

// Accepts nobody: the server's authenticator until one is configured.
class DenyAllAuthenticator : public Authenticator {
 public:
  Result<Principal> authenticate(const Request& request) const override;
};

// Bearer tokens held in memory ("Authorization: Bearer <token>"), stored as SHA-256 digests so
// lookups never compare secrets byte by byte.
class StaticTokenAuthenticator : public Authenticator {
 public:
  // Maps `token` to `principal`, replacing an earlier mapping. REQUIRES: not called concurrently
  // with authenticate() (configure before the server starts).
  void add_token(std::string_view token, Principal principal);
  Result<Principal> authenticate(const Request& request) const override;

 private:
  std::map<std::string, Principal> by_digest_;
};

// The access decision for one request: the caller (nullopt on public routes), or unauthenticated
// (no or bad credentials) or permission_denied (route allows nobody, or caller lacks every role).
Result<std::optional<Principal>> authorize(const RouteOptions& route, const Authenticator& authenticator,
                                           const Request& request);

}  // namespace fleetgate::http
