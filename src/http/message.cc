#include "fleetgate/http/message.h"

#include <algorithm>

#include "fleetgate/core/json_text.h"

namespace fleetgate::http {

bool Principal::has_role(std::string_view role) const {
  return std::find(roles.begin(), roles.end(), role) != roles.end();
}

bool Principal::may_act_in(std::string_view region) const {
  return std::any_of(regions.begin(), regions.end(), [&](const std::string& r) { return r == "*" || r == region; });
}

Request::Request(Message message, std::string remote_address, std::optional<PeerCertificate> peer_certificate)
    : message_(std::move(message)),
      remote_address_(std::move(remote_address)),
      peer_certificate_(std::move(peer_certificate)) {
  const std::string_view target = message_.target();
  path_ = std::string(path_of(target));
  if (path_.size() < target.size()) query_ = std::string(target.substr(path_.size() + 1));
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  std::string_view rest = query_;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    if (eq == std::string_view::npos) return std::string();
    std::string value(pair.substr(eq + 1));
    std::replace(value.begin(), value.end(), '+', ' ');
    return percent_decode(value);
  }
  return std::nullopt;
}

std::string_view Request::header(std::string_view name) const {
  const auto it = message_.find(name);
  return it == message_.end() ? std::string_view{} : std::string_view(it->value());
}

std::string_view Request::param(std::string_view name) const {
  const auto it = params_.find(name);
  return it == params_.end() ? std::string_view{} : std::string_view(it->second);
}

Response Response::text(StatusCode status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Response Response::json(StatusCode status, const boost::json::value& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = json_text(body);
  return r;
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    const int hi = hex_value(text[i + 1]);
    const int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace fleetgate::http
