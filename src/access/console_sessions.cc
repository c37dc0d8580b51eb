#include "fleetgate/access/console_sessions.h"

#include <boost/json.hpp>

#include "fleetgate/core/digest.h"

namespace fleetgate::access {
namespace {

namespace json = boost::json;

constexpr std::string_view kSessionPrefix = "cred/session/";
const Status kNoSession{Code::kUnauthenticated, "no live console session (sign in again)"};

std::string session_key(std::string_view id) { return std::string(kSessionPrefix) + sha256_hex(id); }

struct StoredSession {
  std::string user;
  int64_t expires_ms = 0;
};

Result<StoredSession> decode(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  const json::value* user = o == nullptr ? nullptr : o->if_contains("user");
  const json::value* expires = o == nullptr ? nullptr : o->if_contains("expires_ms");
  if (user == nullptr || !user->is_string() || expires == nullptr || !expires->is_int64()) {
    return data_loss("stored console session lacks user or expires_ms");
  }
  return StoredSession{std::string(user->as_string()), expires->as_int64()};
}

}  // namespace

std::string console_csrf_token(std::string_view id) { return sha256_hex("fleetgate console csrf:" + std::string(id)); }

Result<ConsoleSession> ConsoleSessions::sign_in(std::string_view token) {
  auto who = credentials_.lookup(token);
  if (!who.is_ok()) return who.status();
  if (who->has_role(kVehicleRole)) return permission_denied("a vehicle's token cannot sign in to the console");
  if (who->has_role(kOwnerRole) || who->has_role(kThirdPartyRole)) {
    return permission_denied("an owner's or a third party's token cannot sign in to the console");
  }
  return audit_.transact([&]() -> Result<ConsoleSession> {
    const int64_t now = audit_.now_ms();
    store::WriteBatch batch;
    auto it = audit_.state().scan(kSessionPrefix);
    for (; it->valid(); it->next()) {
      auto stored = decode(it->value());
      if (!stored.is_ok() || stored->expires_ms <= now) batch.remove(std::string(it->key()));
    }
    if (!it->status().is_ok()) return it->status();
    ConsoleSession s{random_token(32), {}, *who, now + lifetime_ms_};
    s.csrf = console_csrf_token(s.id);
    batch.put(session_key(s.id), json::serialize(json::object{{"user", who->subject}, {"expires_ms", s.expires_ms}}));
    auto appended = audit_.append_with(
        {audit::Event{"user:" + who->subject, "console.session.start", who->subject, "",
                      json::object{{"session_sha256_prefix", sha256_hex(s.id).substr(0, 12)}, {"expires_ms", s.expires_ms}}}},
        batch);
    if (!appended.is_ok()) return appended.status();
    return s;
  });
}

Result<http::Principal> ConsoleSessions::lookup(std::string_view id) const {
  if (id.empty() || id.size() > 256) return kNoSession;
  auto raw = audit_.state().get(session_key(id));
  if (!raw.is_ok()) return raw.status().code() == Code::kNotFound ? kNoSession : raw.status();
  auto stored = decode(*raw);
  if (!stored.is_ok()) return stored.status();
  if (stored->expires_ms <= audit_.now_ms()) return kNoSession;
  auto user = credentials_.user(stored->user);
  // A store that cannot be read is no verdict on the session.
  if (user.status().code() == Code::kUnavailable) return user.status();
  if (!user.is_ok() || user->revoked) return kNoSession;
  http::Principal p;
  p.subject = user->name;
  p.roles = user->roles;
  p.regions = user->regions;
  return p;
}

Status ConsoleSessions::sign_out(std::string_view id) {
  return audit_.transact([&]() -> Status {
    auto who = lookup(id);
    if (!who.is_ok()) return who.status();
    store::WriteBatch batch;
    batch.remove(session_key(id));
    auto appended = audit_.append_with(
        {audit::Event{"user:" + who->subject, "console.session.end", who->subject, "",
                      json::object{{"session_sha256_prefix", sha256_hex(id).substr(0, 12)}}}},
        batch);
    return appended.is_ok() ? Status::ok() : appended.status();
  });
}

}  // namespace fleetgate::access
