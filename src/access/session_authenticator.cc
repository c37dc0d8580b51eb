#include "fleetgate/access/session_authenticator.h"

#include <openssl/crypto.h>

namespace fleetgate::access {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// "https://host:port" -> "host:port"; empty when `origin` has no "scheme://".
std::string_view authority_of(std::string_view origin) {
  const size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos) return {};
  return origin.substr(scheme_end + 3);
}

bool equal_secrets(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view session_cookie(const http::Request& request) {
  for (const auto& field : request.headers()) {
    if (field.name() != boost::beast::http::field::cookie) continue;
    std::string_view rest = field.value();
    while (!rest.empty()) {
      const size_t end = rest.find(';');
      const std::string_view pair = trim(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos && trim(pair.substr(0, eq)) == kSessionCookie) return trim(pair.substr(eq + 1));
    }
  }
  return {};
}

Status same_origin(const http::Request& request) {
  const std::string_view site = request.header("Sec-Fetch-Site");
  if (!site.empty() && site != "same-origin" && site != "none") {
    return permission_denied("cross-site request refused (Sec-Fetch-Site: " + std::string(site) + ")");
  }
  const std::string_view origin = request.header("Origin");
  if (!origin.empty() && (authority_of(origin).empty() || authority_of(origin) != request.header("Host"))) {
    return permission_denied("cross-origin request refused (Origin: " + std::string(origin) + ")");
  }
  return Status::ok();
}

Result<http::Principal> SessionAuthenticator::authenticate(const http::Request& request) const {
  const std::string_view id = session_cookie(request);
  if (id.empty() || !http::bearer_token(request).empty()) return others_->authenticate(request);
  if (Status s = same_origin(request); !s.is_ok()) return s;
  auto who = sessions_.lookup(id);
  if (!who.is_ok()) return who;
  const bool reads = request.method() == http::Verb::get || request.method() == http::Verb::head;
  if (!reads && !equal_secrets(request.header(kCsrfHeader), console_csrf_token(id))) {
    return permission_denied("a write with the console session needs the x-fleetgate-csrf header of that session");
  }
  return who;
}

}  // namespace fleetgate::access
