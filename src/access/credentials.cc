#include "fleetgate/access/credentials.h"

#include <algorithm>
#include <boost/json.hpp>

#include "fleetgate/access/vehicle_token.h"
#include "fleetgate/core/digest.h"

namespace fleetgate::access {
namespace {

namespace json = boost::json;

constexpr std::string_view kTokenPrefix = "cred/token/";
constexpr std::string_view kVehiclePrefix = "cred/vehicle/";
constexpr std::string_view kUserPrefix = "cred/user/";

std::string key(std::string_view prefix, std::string_view id) { return std::string(prefix) + std::string(id); }

json::array to_array(const std::vector<std::string>& v) {
  json::array a;
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

std::vector<std::string> from_array(const json::value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& e : v->as_array()) {
    if (e.is_string()) out.emplace_back(e.as_string());
  }
  return out;
}

std::string encode_user(const User& u) {
  return json::serialize(json::object{{"name", u.name},
                                      {"roles", to_array(u.roles)},
                                      {"regions", to_array(u.regions)},
                                      {"revoked", u.revoked},
                                      {"created_ms", u.created_ms}});
}

Result<User> decode_user(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return data_loss("stored user record is not a JSON object");
  const auto& o = v.as_object();
  User u;
  if (auto* n = o.if_contains("name"); n != nullptr && n->is_string()) u.name = n->as_string();
  u.roles = from_array(o.if_contains("roles"));
  u.regions = from_array(o.if_contains("regions"));
  if (auto* r = o.if_contains("revoked"); r != nullptr && r->is_bool()) u.revoked = r->as_bool();
  if (auto* c = o.if_contains("created_ms"); c != nullptr && c->is_int64()) u.created_ms = c->as_int64();
  if (u.name.empty()) return data_loss("stored user record has no name");
  return u;
}

bool valid_user_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

bool is_user_role(std::string_view role) {
  return std::find(std::begin(kUserRoles), std::end(kUserRoles), role) != std::end(kUserRoles);
}

const Status kBadToken{Code::kUnauthenticated, "invalid or revoked token"};

}  // namespace

std::string vehicle_token_credential(std::string_view vin) { return "vehicle-token:" + std::string(vin); }

Status CredentialStore::commit(std::vector<audit::Event> events, const store::WriteBatch& change) {
  auto appended = audit_.append_with(std::move(events), change);
  known_.invalidate();
  return appended.is_ok() ? Status::ok() : appended.status();
}

Result<std::string> CredentialStore::issue_vehicle_token(std::string_view vin, std::string_view region,
                                                         std::string_view actor) {
  if (vin.empty() || region.empty()) return invalid_argument("a vehicle token needs a VIN and its home region");
  if (vehicle_token_region(mint_vehicle_token(region)) != region) {
    return invalid_argument("region id '" + std::string(region) + "' cannot be named in a token (1-16 of [a-z0-9-])");
  }
  return audit_.transact([&]() -> Result<std::string> {
    std::string token = mint_vehicle_token(region);
    std::string digest = sha256_hex(token);
    const store::KvReader& kv = audit_.state();
    store::WriteBatch batch;
    json::object details{{"region", region}};
    if (auto previous = kv.get(key(kVehiclePrefix, vin)); previous.is_ok()) {
      batch.remove(key(kTokenPrefix, *previous));
      details["replaced_previous"] = true;
    } else if (previous.status().code() != Code::kNotFound) {
      return previous.status();
    }
    batch.put(key(kVehiclePrefix, vin), digest);
    batch.put(key(kTokenPrefix, digest),
              json::serialize(json::object{{"kind", "vehicle"}, {"subject", vin}, {"region", region},
                                           {"issued_ms", audit_.now_ms()}}));
    Status s = commit(
        {audit::Event{std::string(actor), "vehicle.token.issue", std::string(vin), std::string(region), details}}, batch);
    if (!s.is_ok()) return s;
    return token;
  });
}

Status CredentialStore::revoke_vehicle_token(std::string_view vin, std::string_view region, std::string_view actor) {
  return audit_.transact([&]() -> Status {
    auto current = audit_.state().get(key(kVehiclePrefix, vin));
    if (!current.is_ok()) {
      if (current.status().code() == Code::kNotFound) return not_found("vehicle " + std::string(vin) + " holds no token");
      return current.status();
    }
    store::WriteBatch batch;
    batch.remove(key(kTokenPrefix, *current));
    batch.remove(key(kVehiclePrefix, vin));
    return commit({audit::Event{std::string(actor), "vehicle.token.revoke", std::string(vin), std::string(region), {}}},
                  batch);
  });
}

Result<User> CredentialStore::add_user(std::string_view name, std::vector<std::string> roles,
                                       std::vector<std::string> regions, std::string_view actor) {
  if (!valid_user_name(name)) return invalid_argument("user name '" + std::string(name) + "' must be 1-64 of [a-z0-9._-]");
  if (roles.empty()) return invalid_argument("a user needs at least one role");
  for (const auto& r : roles) {
    if (!is_user_role(r)) return invalid_argument("unknown role '" + r + "' (expected operator, approver, dpo, auditor or admin)");
  }
  if (regions.empty()) return invalid_argument("a user needs at least one region (or \"*\")");
  return audit_.transact([&]() -> Result<User> {
    std::sort(roles.begin(), roles.end());
    roles.erase(std::unique(roles.begin(), roles.end()), roles.end());
    const store::KvReader& kv = audit_.state();
    auto existing = kv.get(key(kUserPrefix, name));
    if (existing.is_ok()) return already_exists("user '" + std::string(name) + "' already exists");
    if (existing.status().code() != Code::kNotFound) return existing.status();
    User u{std::string(name), roles, regions, false, audit_.now_ms()};  // copies: a lost race runs this again
    store::WriteBatch batch;
    batch.put(key(kUserPrefix, name), encode_user(u));
    Status s = commit(
        {audit::Event{std::string(actor), "user.add", u.name, "",
                      json::object{{"roles", to_array(u.roles)}, {"regions", to_array(u.regions)}}}},
        batch);
    if (!s.is_ok()) return s;
    return u;
  });
}

Result<User> CredentialStore::user(std::string_view name) const {
  auto raw = audit_.state().get(key(kUserPrefix, name));
  if (!raw.is_ok()) {
    if (raw.status().code() == Code::kNotFound) return not_found("no user '" + std::string(name) + "'");
    return raw.status();
  }
  return decode_user(*raw);
}

Result<std::vector<User>> CredentialStore::users() const {
  std::vector<User> out;
  auto it = audit_.state().scan(kUserPrefix);
  for (; it->valid(); it->next()) {
    auto u = decode_user(it->value());
    if (!u.is_ok()) return u.status();
    out.push_back(std::move(u).value());
  }
  if (!it->status().is_ok()) return it->status();
  return out;
}

Result<std::string> CredentialStore::issue_user_token(std::string_view name, std::string_view actor) {
  return audit_.transact([&]() -> Result<std::string> {
    auto u = user(name);
    if (!u.is_ok()) return u.status();
    if (u->revoked) return failed_precondition("user '" + std::string(name) + "' is revoked");
    std::string token = "fgu_" + random_token(32);
    std::string digest = sha256_hex(token);
    store::WriteBatch batch;
    batch.put(key(kTokenPrefix, digest), json::serialize(json::object{{"kind", "user"}, {"subject", name},
                                                                       {"issued_ms", audit_.now_ms()}}));
    Status s = commit(
        {audit::Event{std::string(actor), "user.token.issue", std::string(name), "", json::object{{"token_sha256_prefix", digest.substr(0, 12)}}}},
        batch);
    if (!s.is_ok()) return s;
    return token;
  });
}

Status CredentialStore::revoke_user(std::string_view name, std::string_view actor) {
  return audit_.transact([&]() -> Status {
    auto u = user(name);
    if (!u.is_ok()) return u.status();
    if (u->revoked) return failed_precondition("user '" + std::string(name) + "' is already revoked");
    u->revoked = true;
    store::WriteBatch batch;
    batch.put(key(kUserPrefix, name), encode_user(*u));
    return commit({audit::Event{std::string(actor), "user.revoke", std::string(name), "", {}}}, batch);
  });
}

Result<http::Principal> CredentialStore::lookup(std::string_view token) const {
  if (token.empty() || token.size() > 256) return kBadToken;
  const std::string digest = sha256_hex(token);
  return known_.get(digest, [&] { return load(digest); });
}

Result<http::Principal> CredentialStore::load(const std::string& digest) const {
  auto raw = audit_.state().get(key(kTokenPrefix, digest));
  if (!raw.is_ok()) return raw.status().code() == Code::kNotFound ? kBadToken : raw.status();
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return data_loss("stored credential is not a JSON object");
  const auto& o = v.as_object();
  const json::value* kind = o.if_contains("kind");
  const json::value* subject = o.if_contains("subject");
  if (kind == nullptr || !kind->is_string() || subject == nullptr || !subject->is_string()) {
    return data_loss("stored credential lacks kind or subject");
  }
  http::Principal c;
  c.subject = subject->as_string();
  if (kind->as_string() == "vehicle") {
    const json::value* region = o.if_contains("region");
    if (region == nullptr || !region->is_string()) return data_loss("stored vehicle credential lacks its region");
    c.roles = {std::string(kVehicleRole)};
    c.regions = {std::string(region->as_string())};
    c.credential = vehicle_token_credential(c.subject);
    return c;
  }
  auto u = user(c.subject);
  // A store that cannot be read (the control database went down) is no verdict on the token.
  if (u.status().code() == Code::kUnavailable) return u.status();
  if (!u.is_ok() || u->revoked) return kBadToken;
  c.roles = u->roles;
  c.regions = u->regions;
  return c;
}

}  // namespace fleetgate::access
