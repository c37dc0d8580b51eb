// Request and Response as handlers see them. A Request is the parsed HTTP/1.1 message plus what
// routing and authentication learned about it (path parameters, the caller); a Response is what a
// synchronous handler returns. Both are plain values, safe to move across threads.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/log_tags.h"

namespace fleetgate::http {

namespace beast_http = boost::beast::http;
using Verb = beast_http::verb;
using StatusCode = beast_http::status;
using Fields = beast_http::fields;

// Who made a request, as established by an Authenticator.
struct Principal {
  std::string subject;             // e.g. a VIN, an operator's user id
  std::vector<std::string> roles;  // e.g. "vehicle", "operator", "auditor"
  std::vector<std::string> regions;  // regions the caller may act in ("*" = all); scoped by handlers
  // The credential that authenticated the caller, as SessionRegistry keys sessions (e.g. a
  // vehicle's token or one certificate); empty when revoking cannot end the caller's sessions.
  std::string credential{};
  bool has_role(std::string_view role) const;
  // True when `regions` holds `region` or "*".
  bool may_act_in(std::string_view region) const;
};

// A client certificate the server verified during the TLS handshake (src/http/transport_stream.h).
struct PeerCertificate {
  std::string common_name;  // the subject's CN (UTF-8), empty when it has none
  std::string subject;      // the whole subject, one line (RFC 2253)
  std::string issuer;       // the issuer, one line (RFC 2253)
  std::string serial;       // serial number, uppercase hex
};

class Request {
 public:
  using Message = beast_http::request<beast_http::string_body>;

  Request() = default;
  // Splits the target into path and query; path parameters are filled in by the router.
  explicit Request(Message message, std::string remote_address = {},
                   std::optional<PeerCertificate> peer_certificate = std::nullopt);

  Verb method() const { return message_.method(); }
  std::string_view method_string() const { return message_.method_string(); }
  std::string_view target() const { return message_.target(); }
  // The target up to '?', still percent-encoded.
  const std::string& path() const { return path_; }
  // The raw query string after '?', empty when absent.
  const std::string& query() const { return query_; }
  // The percent-decoded value of the first `name` query parameter, nullopt when absent.
  std::optional<std::string> query_param(std::string_view name) const;
  // A header value, empty when absent (case-insensitive name).
  std::string_view header(std::string_view name) const;
  const Fields& headers() const { return message_.base(); }
  const std::string& body() const { return message_.body(); }
  // The percent-decoded value of a "{name}" path parameter, empty when the route has none.
  std::string_view param(std::string_view name) const;
  const std::map<std::string, std::string, std::less<>>& params() const { return params_; }
  // "ip:port" of the peer.
  const std::string& remote_address() const { return remote_address_; }
  // The client certificate verified on this TLS connection; nullopt on plain connections and
  // when the client sent none.
  const std::optional<PeerCertificate>& peer_certificate() const { return peer_certificate_; }
  // The authenticated caller; nullopt on public routes.
  const std::optional<Principal>& principal() const { return principal_; }
  const Message& message() const { return message_; }
  // The server's id of this request (answered in x-request-id), its route pattern and the region
  // it acts in: what its log lines carry (src/core/log_line.h).
  const LogTags& log_tags() const { return log_tags_; }
  const std::string& request_id() const { return log_tags_.request_id; }
  // Names the region the request acts in, for its log lines (and only for them), once a handler
  // or the access check learns it.
  void note_region(std::string_view region) const { log_tags_.region = region; }

  void set_params(std::map<std::string, std::string, std::less<>> params) { params_ = std::move(params); }
  void set_principal(Principal principal) { principal_ = std::move(principal); }
  // The body, read after routing and the access check admitted the request.
  void set_body(std::string body) { message_.body() = std::move(body); }
  void set_request_id(std::string id) { log_tags_.request_id = std::move(id); }
  void set_route(std::string pattern) { log_tags_.route = std::move(pattern); }

 private:
  Message message_;
  std::string path_;
  std::string query_;
  std::map<std::string, std::string, std::less<>> params_;
  std::string remote_address_;
  std::optional<PeerCertificate> peer_certificate_;
  std::optional<Principal> principal_;
  // Mutable: handlers get the request const, and naming its region changes nothing they read.
  mutable LogTags log_tags_;
};

struct Response {
  StatusCode status = StatusCode::ok;
  Fields headers;  // Content-Type is set from content_type unless already present
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;

  static Response text(StatusCode status, std::string body);
  static Response json(StatusCode status, const boost::json::value& body);  // numbers as core/json_text.h writes them
};

// The path part of a request target: everything before '?'.
std::string_view path_of(std::string_view target);

// Decodes %XX escapes ('+' stays '+'); nullopt when an escape is malformed.
std::optional<std::string> percent_decode(std::string_view text);

}  // namespace fleetgate::http
