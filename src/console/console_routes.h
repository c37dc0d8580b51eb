// The operator console's own routes:
// - GET /console and GET /console/{file...}: the embedded assets (assets.h), with a strict
//   Content-Security-Policy (scripts and styles from this origin only, nothing inline, no
//   framing), X-Content-Type-Options nosniff, and Cache-Control no-cache with an ETag (304 on a
//   match). Public: the page holds no data; the API routes it calls decide what it shows.
// - POST /console/session {"token": "fgu_..."}: signs in (ConsoleSessions::sign_in) and sets the
//   session cookie (HttpOnly, SameSite=Strict, Path=/, Max-Age of the session's lifetime, Secure
//   when the server speaks TLS); answers {user, roles, regions, csrf_token, expires_ms}. Refused
//   cross-site (access::same_origin) and unless the body is application/json.
// - GET /console/session (public): {"signed_in":true, user, roles, regions, csrf_token} for the
//   request's live session cookie (a reloaded page reads its CSRF token here), else
//   {"signed_in":false}; refused cross-site like sign-in.
// - DELETE /console/session: signs out (by cookie, with the CSRF header) and clears the cookie.
#pragma once

#include "fleetgate/access/console_sessions.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/server.h"

namespace fleetgate::console {

// REQUIRES: `sessions` outlives the server; the server's authenticator is an
// access::SessionAuthenticator over the same sessions.
Status register_console_routes(http::Server& server, access::ConsoleSessions& sessions, bool secure_cookie);

}  // namespace fleetgate::console
