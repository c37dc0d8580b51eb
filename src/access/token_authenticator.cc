#include "fleetgate/access/token_authenticator.h"

namespace fleetgate::access {

Result<http::Principal> TokenAuthenticator::authenticate(const http::Request& request) const {
  std::string_view token = http::bearer_token(request);
  if (token.empty()) return Status(Code::kUnauthenticated, "missing bearer token (Authorization: Bearer <token>)");
  return credentials_.lookup(token);
}

}  // namespace fleetgate::access
