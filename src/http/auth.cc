#include "fleetgate/http/auth.h"

#include "fleetgate/core/digest.h"


#include <algorithm>
#include <cctype>

namespace fleetgate::http {

RouteOptions RouteOptions::public_access() {
  RouteOptions o;
  o.is_public = true;
  return o;
}

RouteOptions RouteOptions::for_roles(std::vector<std::string> roles) {
  RouteOptions o;
  o.roles = std::move(roles);
  return o;
}

Result<Principal> DenyAllAuthenticator::authenticate(const Request&) const {
  return Status(Code::kUnauthenticated, "no authenticator is configured");
}

// The token of an "Authorization: Bearer <token>" header, empty when absent or another scheme.
std::string_view bearer_token(const Request& request) {
  std::string_view value = request.header("Authorization");
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  return value;
}

void StaticTokenAuthenticator::add_token(std::string_view token, Principal principal) {
  by_digest_[sha256_hex(token)] = std::move(principal);
}

Result<Principal> StaticTokenAuthenticator::authenticate(const Request& request) const {
  const std::string_view token = bearer_token(request);
  if (token.empty()) return Status(Code::kUnauthenticated, "missing bearer token");
  const auto it = by_digest_.find(sha256_hex(token));
  if (it == by_digest_.end()) return Status(Code::kUnauthenticated, "invalid bearer token");
  return it->second;
}

Result<std::optional<Principal>> authorize(const RouteOptions& route, const Authenticator& authenticator,
                                           const Request& request) {
  if (route.is_public) return std::optional<Principal>();
  if (route.roles.empty()) return permission_denied("route allows no caller");
  Result<Principal> who = authenticator.authenticate(request);
  if (!who.is_ok()) return who.status();
  const bool allowed = std::any_of(route.roles.begin(), route.roles.end(),
                                   [&](const std::string& role) { return who->has_role(role); });
  if (!allowed) return permission_denied("caller lacks a role this route accepts");
  return std::optional<Principal>(std::move(who).value());
}

}  // namespace fleetgate::http
