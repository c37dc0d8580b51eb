#include "fleetgate/access/token_authenticator.h"

namespace fleetgate::access {

Result<http::Principal> TokenAuthenticator::authenticate(const http::Request& request) const {
  std::string_view token = http::bearer_token(request);
  if (token.empty()) return Status(Code::kUnauthenticated, "missing bearer token (Authorization: Bearer <token>)");
  auto credential = credentials_.lookup(token);
  if (!credential.is_ok()) return credential.status();
  return http::Principal{credential->subject, credential->roles, credential->regions};
}

}  // namespace fleetgate::access
