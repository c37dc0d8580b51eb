// The server's Authenticator: "Authorization: Bearer <token>" resolved through the
// CredentialStore into a Principal carrying roles and region scope.
#pragma once

#include "fleetgate/access/credentials.h"
#include "fleetgate/http/auth.h"

namespace fleetgate::access {

class TokenAuthenticator : public http::Authenticator {
 public:
  // REQUIRES: `credentials` outlives this object.
  explicit TokenAuthenticator(const CredentialStore& credentials) : credentials_(credentials) {}
  Result<http::Principal> authenticate(const http::Request& request) const override;

 private:
  const CredentialStore& credentials_;
};

}  // namespace fleetgate::access
