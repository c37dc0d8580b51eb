// The server's Authenticator for browsers as well as API clients. A request that carries
// "Authorization: Bearer", or no console cookie, is decided by the wrapped authenticator (tokens,
// client certificates). A request that carries only the console session cookie is the session's
// user (ConsoleSessions::lookup) when it passes the CSRF defence, and permission_denied when not:
// - fetch metadata: Sec-Fetch-Site, when sent, is "same-origin" (or "none": typed by the user);
// - Origin, when sent, names the host the request was sent to (its Host header);
// - any method but GET and HEAD carries x-fleetgate-csrf equal to console_csrf_token(session).
// A custom header cannot be sent cross-site without a CORS preflight, which fleetgate never
// grants, and SameSite=Strict keeps the cookie off cross-site requests in the first place.
#pragma once

#include <memory>
#include <string_view>

#include "fleetgate/access/console_sessions.h"
#include "fleetgate/http/auth.h"

namespace fleetgate::access {

inline constexpr std::string_view kSessionCookie = "fleetgate_session";
inline constexpr std::string_view kCsrfHeader = "x-fleetgate-csrf";

// The value of the request's console cookie, empty when it has none.
std::string_view session_cookie(const http::Request& request);
// OK when the request's fetch metadata and Origin (above) say it comes from a page of this
// server; permission_denied naming the header that says otherwise.
Status same_origin(const http::Request& request);

class SessionAuthenticator : public http::Authenticator {
 public:
  // REQUIRES: `sessions` outlives this object.
  SessionAuthenticator(const ConsoleSessions& sessions, std::shared_ptr<const http::Authenticator> others)
      : sessions_(sessions), others_(std::move(others)) {}

  Result<http::Principal> authenticate(const http::Request& request) const override;

 private:
  const ConsoleSessions& sessions_;
  std::shared_ptr<const http::Authenticator> others_;
};

}  // namespace fleetgate::access
