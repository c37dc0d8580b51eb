#include "fleetgate/console/console_routes.h"

#include <boost/json.hpp>
#include <map>

#include "fleetgate/access/session_authenticator.h"
#include "fleetgate/console/assets.h"
#include "fleetgate/core/digest.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"

namespace fleetgate::console {
namespace {

namespace json = boost::json;
using http::Request;
using http::Response;
using http::StatusCode;
namespace field = boost::beast::http;

constexpr std::string_view kPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

void set_security_headers(http::Fields& h) {
  h.set("Content-Security-Policy", kPolicy);
  h.set("X-Content-Type-Options", "nosniff");
  h.set("Referrer-Policy", "no-referrer");
  h.set("X-Frame-Options", "DENY");
}

Response serve_asset(const std::map<std::string_view, std::string>& etags, std::string_view path, const Request& req) {
  const Asset* asset = find_asset(path);
  if (asset == nullptr) return http::error_response(not_found("no console file '" + std::string(path) + "'"));
  Response r;
  const std::string& etag = etags.at(asset->path);
  r.headers.set(field::field::etag, etag);
  r.headers.set(field::field::cache_control, "no-cache");
  set_security_headers(r.headers);
  r.content_type = std::string(asset->content_type);
  if (req.header("If-None-Match") == etag) {
    r.status = StatusCode::not_modified;
    return r;
  }
  r.body = std::string(asset->body);
  return r;
}

std::string cookie(std::string_view value, int64_t max_age_s, bool secure) {
  std::string c = std::string(access::kSessionCookie) + "=" + std::string(value) +
                  "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_s);
  if (secure) c += "; Secure";
  return c;
}

json::array to_array(const std::vector<std::string>& v) { return json::array(v.begin(), v.end()); }

json::object session_json(const http::Principal& user, std::string_view csrf) {
  return json::object{{"object", "console.session"},
                      {"signed_in", true},
                      {"user", user.subject},
                      {"roles", to_array(user.roles)},
                      {"regions", to_array(user.regions)},
                      {"csrf_token", csrf}};
}

Response no_store(Response r) {
  r.headers.set(field::field::cache_control, "no-store");
  return r;
}

Response sign_in(access::ConsoleSessions& sessions, bool secure, const Request& req) {
  if (Status s = access::same_origin(req); !s.is_ok()) return http::error_response(s);
  const std::string_view type = req.header("Content-Type");
  if (type.substr(0, type.find(';')) != "application/json") {
    return http::error_response(StatusCode::unsupported_media_type, "Content-Type must be application/json",
                                "unsupported_media_type");
  }
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return http::error_response(body.status());
  const json::value* token = body->if_contains("token");
  if (token == nullptr || !token->is_string() || token->as_string().empty()) {
    return http::error_response(invalid_argument("token: required string (a user token, fgu_...)"));
  }
  auto session = sessions.sign_in(token->as_string());
  if (!session.is_ok()) return http::error_response(session.status());
  json::object out = session_json(session->user, session->csrf);
  out["expires_ms"] = session->expires_ms;
  Response r = no_store(Response::json(StatusCode::created, out));
  r.headers.set(field::field::set_cookie, cookie(session->id, sessions.lifetime_ms() / 1000, secure));
  return r;
}

Result<std::string_view> cookie_of(const Request& req) {
  const std::string_view id = access::session_cookie(req);
  if (id.empty()) return not_found("this request carries no console session cookie");
  return id;
}

// Public, so that a page loaded without a session learns it from a 200 instead of an error.
Response current(const access::ConsoleSessions& sessions, const Request& req) {
  if (Status s = access::same_origin(req); !s.is_ok()) return http::error_response(s);
  const std::string_view id = access::session_cookie(req);
  auto user = sessions.lookup(id);
  if (!user.is_ok() && user.status().code() != Code::kUnauthenticated) return http::error_response(user.status());
  if (!user.is_ok()) return no_store(Response::json(StatusCode::ok, json::object{{"object", "console.session"}, {"signed_in", false}}));
  json::object out = session_json(*user, access::console_csrf_token(id));
  return no_store(Response::json(StatusCode::ok, out));
}

Response sign_out(access::ConsoleSessions& sessions, bool secure, const Request& req) {
  auto id = cookie_of(req);
  if (!id.is_ok()) return http::error_response(id.status());
  if (Status s = sessions.sign_out(*id); !s.is_ok()) return http::error_response(s);
  Response r = no_store(Response::text(StatusCode::no_content, ""));
  r.headers.set(field::field::set_cookie, cookie("", 0, secure));
  return r;
}

}  // namespace

Status register_console_routes(http::Server& server, access::ConsoleSessions& sessions, bool secure_cookie) {
  using http::RouteOptions;
  using http::Verb;
  std::map<std::string_view, std::string> etags;
  for (const Asset& a : console_assets()) etags[a.path] = "\"" + sha256_hex(a.body).substr(0, 32) + "\"";
  Status s = server.route(Verb::get, "/console", RouteOptions::public_access(),
                          [etags](const Request& r) { return serve_asset(etags, "index.html", r); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::get, "/console/{file...}", RouteOptions::public_access(),
                   [etags](const Request& r) { return serve_asset(etags, r.param("file"), r); });
  if (!s.is_ok()) return s;
  RouteOptions signing_in = RouteOptions::public_access();
  signing_in.max_body_bytes = 4096;
  s = server.route(Verb::post, "/console/session", signing_in,
                   [&sessions, secure_cookie](const Request& r) { return sign_in(sessions, secure_cookie, r); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::get, "/console/session", RouteOptions::public_access(),
                   [&sessions](const Request& r) { return current(sessions, r); });
  if (!s.is_ok()) return s;
  return server.route(Verb::delete_, "/console/session", RouteOptions::for_roles({"operator", "approver", "dpo", "auditor", "admin"}),
                      [&sessions, secure_cookie](const Request& r) { return sign_out(sessions, secure_cookie, r); });
}

}  // namespace fleetgate::console
