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
constexpr std::string_view kOwnerPrefix = "cred/owner/";
constexpr std::string_view kGrantPrefix = "cred/grant/";  // + VIN + "/" + grant id
constexpr std::string_view kGrantTokenPrefix = "fgg_";
constexpr size_t kMaxGrantFields = 64;
constexpr size_t kMaxGranteeBytes = 200;

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

std::string grant_key(std::string_view vin, std::string_view id) {
  return std::string(kGrantPrefix) + std::string(vin) + "/" + std::string(id);
}

json::object encode_grant(const DataGrant& g, std::string_view digest) {
  json::object o = to_json(g);
  o["region"] = g.region;
  o["token_sha256"] = digest;
  return o;
}

Result<std::pair<DataGrant, std::string>> decode_grant(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return data_loss("stored grant is not a JSON object");
  const auto& o = v.as_object();
  DataGrant g;
  auto str = [&](const char* name) -> std::string {
    const json::value* f = o.if_contains(name);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  auto num = [&](const char* name) -> int64_t {
    const json::value* f = o.if_contains(name);
    return f != nullptr && f->is_int64() ? f->as_int64() : 0;
  };
  g.id = str("id");
  g.vin = str("vin");
  g.region = str("region");
  g.grantee = str("grantee");
  g.fields = from_array(o.if_contains("fields"));
  g.since_ms = num("since_ms");
  g.created_ms = num("created_ms");
  g.expires_ms = num("expires_ms");
  if (auto* r = o.if_contains("revoked"); r != nullptr && r->is_bool()) g.revoked = r->as_bool();
  if (g.id.empty() || g.vin.empty()) return data_loss("stored grant lacks its id or VIN");
  return std::pair(std::move(g), str("token_sha256"));
}

}  // namespace

json::object to_json(const DataGrant& g) {
  return json::object{{"object", "vehicle.grant"},
                      {"id", g.id},
                      {"vin", g.vin},
                      {"grantee", g.grantee},
                      {"fields", to_array(g.fields)},
                      {"since_ms", g.since_ms},
                      {"created_ms", g.created_ms},
                      {"expires_ms", g.expires_ms},
                      {"revoked", g.revoked}};
}

std::string vehicle_token_credential(std::string_view vin) { return "vehicle-token:" + std::string(vin); }
std::string owner_token_credential(std::string_view vin) { return "owner-token:" + std::string(vin); }
std::string grant_credential(std::string_view grant_id) { return "grant:" + std::string(grant_id); }
std::string_view grant_of_credential(std::string_view credential) {
  return credential.starts_with("grant:") ? credential.substr(6) : std::string_view();
}

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
    auto current = token_digest(kVehiclePrefix, vin, "token");
    if (!current.is_ok()) return current.status();
    store::WriteBatch batch;
    batch.remove(key(kTokenPrefix, *current));
    batch.remove(key(kVehiclePrefix, vin));
    return commit({audit::Event{std::string(actor), "vehicle.token.revoke", std::string(vin), std::string(region), {}}},
                  batch);
  });
}

Result<std::string> CredentialStore::issue_owner_token(std::string_view vin, std::string_view region, int64_t since_ms,
                                                       std::string_view actor) {
  if (vin.empty() || region.empty()) return invalid_argument("an owner token needs a VIN and its home region");
  return audit_.transact([&]() -> Result<std::string> {
    std::string token = "fgo_" + random_token(32);
    std::string digest = sha256_hex(token);
    store::WriteBatch batch;
    std::vector<audit::Event> events;
    json::object details{{"region", region}, {"since_ms", since_ms}};
    if (auto previous = audit_.state().get(key(kOwnerPrefix, vin)); previous.is_ok()) {
      batch.remove(key(kTokenPrefix, *previous));
      details["replaced_previous"] = true;
      // The previous owner's grants end with their token.
      if (Status s = revoke_grants_into(vin, actor, batch, events); !s.is_ok()) return s;
    } else if (previous.status().code() != Code::kNotFound) {
      return previous.status();
    }
    batch.put(key(kOwnerPrefix, vin), digest);
    batch.put(key(kTokenPrefix, digest),
              json::serialize(json::object{{"kind", "owner"}, {"subject", vin}, {"region", region},
                                           {"since_ms", since_ms}, {"issued_ms", audit_.now_ms()}}));
    events.insert(events.begin(),
                  audit::Event{std::string(actor), "vehicle.owner_token.issue", std::string(vin), std::string(region), details});
    Status s = commit(std::move(events), batch);
    if (!s.is_ok()) return s;
    return token;
  });
}

Status CredentialStore::revoke_owner_token(std::string_view vin, std::string_view region, std::string_view actor) {
  return audit_.transact([&]() -> Status {
    auto current = token_digest(kOwnerPrefix, vin, "owner token");
    if (!current.is_ok()) return current.status();
    store::WriteBatch batch;
    std::vector<audit::Event> events{
        audit::Event{std::string(actor), "vehicle.owner_token.revoke", std::string(vin), std::string(region), {}}};
    batch.remove(key(kTokenPrefix, *current));
    batch.remove(key(kOwnerPrefix, vin));
    if (Status s = revoke_grants_into(vin, actor, batch, events); !s.is_ok()) return s;
    return commit(std::move(events), batch);
  });
}

Result<std::string> CredentialStore::token_digest(std::string_view prefix, std::string_view vin, std::string_view what) const {
  auto digest = audit_.state().get(key(prefix, vin));
  if (digest.status().code() == Code::kNotFound) return not_found("vehicle " + std::string(vin) + " holds no " + std::string(what));
  return digest;
}

Result<int64_t> CredentialStore::owner_since(std::string_view vin) const {
  auto digest = token_digest(kOwnerPrefix, vin, "owner token");
  if (!digest.is_ok()) return digest.status();
  auto raw = audit_.state().get(key(kTokenPrefix, *digest));
  if (!raw.is_ok()) return raw.status().code() == Code::kNotFound ? data_loss("an owner token record is missing") : raw.status();
  boost::system::error_code ec;
  json::value v = json::parse(*raw, ec);
  const json::value* since = !ec && v.is_object() ? v.as_object().if_contains("since_ms") : nullptr;
  if (since == nullptr || !since->is_int64()) return data_loss("the owner token record of " + std::string(vin) + " lacks since_ms");
  return since->as_int64();
}

Status CredentialStore::revoke_grants_into(std::string_view vin, std::string_view actor, store::WriteBatch& batch,
                                           std::vector<audit::Event>& events) {
  auto it = audit_.state().scan(std::string(kGrantPrefix) + std::string(vin) + "/");
  for (; it->valid(); it->next()) {
    auto g = decode_grant(it->value());
    if (!g.is_ok()) return g.status();
    if (g->first.revoked) continue;
    g->first.revoked = true;
    batch.put(std::string(it->key()), json::serialize(encode_grant(g->first, g->second)));
    batch.remove(key(kTokenPrefix, g->second));
    events.push_back(audit::Event{std::string(actor), "vehicle.grant.revoke", std::string(vin), g->first.region,
                                  json::object{{"grant", g->first.id}, {"grantee", g->first.grantee}}});
  }
  return it->status();
}

Result<std::pair<DataGrant, std::string>> CredentialStore::grant_data(std::string_view vin, std::string_view region,
                                                                      std::string_view grantee,
                                                                      std::vector<std::string> fields, int64_t expires_ms,
                                                                      std::string_view actor) {
  if (grantee.empty() || grantee.size() > kMaxGranteeBytes) {
    return invalid_argument("a grant names its grantee in 1-" + std::to_string(kMaxGranteeBytes) + " bytes");
  }
  if (fields.empty() || fields.size() > kMaxGrantFields) {
    return invalid_argument("a grant names 1-" + std::to_string(kMaxGrantFields) + " fields");
  }
  std::sort(fields.begin(), fields.end());
  fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
  return audit_.transact([&]() -> Result<std::pair<DataGrant, std::string>> {
    const int64_t now = audit_.now_ms();
    if (expires_ms <= now) return invalid_argument("a grant must expire in the future");
    auto since = owner_since(vin);
    if (!since.is_ok()) {
      if (since.status().code() == Code::kNotFound) return failed_precondition("vehicle " + std::string(vin) + " has no owner to grant");
      return since.status();
    }
    DataGrant g{"g_" + random_token(12), std::string(vin), std::string(region), std::string(grantee), fields, *since, now,
                expires_ms, false};
    std::string token = std::string(kGrantTokenPrefix) + random_token(32);
    const std::string digest = sha256_hex(token);
    store::WriteBatch batch;
    batch.put(grant_key(vin, g.id), json::serialize(encode_grant(g, digest)));
    batch.put(key(kTokenPrefix, digest),
              json::serialize(json::object{{"kind", "grant"}, {"subject", g.id}, {"vin", vin}, {"region", region},
                                           {"expires_ms", expires_ms}}));
    Status s = commit({audit::Event{std::string(actor), "vehicle.grant.issue", std::string(vin), std::string(region),
                                    json::object{{"grant", g.id},
                                                 {"grantee", g.grantee},
                                                 {"fields", to_array(g.fields)},
                                                 {"expires_ms", expires_ms}}}},
                      batch);
    if (!s.is_ok()) return s;
    return std::pair(std::move(g), std::move(token));
  });
}

Result<std::vector<DataGrant>> CredentialStore::grants(std::string_view vin) const {
  std::vector<DataGrant> out;
  auto it = audit_.state().scan(std::string(kGrantPrefix) + std::string(vin) + "/");
  for (; it->valid(); it->next()) {
    auto g = decode_grant(it->value());
    if (!g.is_ok()) return g.status();
    out.push_back(std::move(g->first));
  }
  if (!it->status().is_ok()) return it->status();
  std::sort(out.begin(), out.end(), [](const DataGrant& a, const DataGrant& b) {
    return a.created_ms != b.created_ms ? a.created_ms < b.created_ms : a.id < b.id;
  });
  return out;
}

Result<DataGrant> CredentialStore::grant(std::string_view vin, std::string_view id) const {
  auto raw = audit_.state().get(grant_key(vin, id));
  if (!raw.is_ok()) {
    if (raw.status().code() == Code::kNotFound) return not_found("vehicle " + std::string(vin) + " has no grant '" + std::string(id) + "'");
    return raw.status();
  }
  auto g = decode_grant(*raw);
  if (!g.is_ok()) return g.status();
  return std::move(g->first);
}

Status CredentialStore::revoke_grant(std::string_view vin, std::string_view id, std::string_view actor) {
  return audit_.transact([&]() -> Status {
    auto raw = audit_.state().get(grant_key(vin, id));
    if (!raw.is_ok()) {
      if (raw.status().code() == Code::kNotFound) return not_found("vehicle " + std::string(vin) + " has no grant '" + std::string(id) + "'");
      return raw.status();
    }
    auto g = decode_grant(*raw);
    if (!g.is_ok()) return g.status();
    if (g->first.revoked) return failed_precondition("grant '" + std::string(id) + "' is already revoked");
    g->first.revoked = true;
    store::WriteBatch batch;
    batch.put(grant_key(vin, id), json::serialize(encode_grant(g->first, g->second)));
    batch.remove(key(kTokenPrefix, g->second));
    return commit({audit::Event{std::string(actor), "vehicle.grant.revoke", std::string(vin), g->first.region,
                                json::object{{"grant", g->first.id}, {"grantee", g->first.grantee}}}},
                  batch);
  });
}

Result<size_t> CredentialStore::revoke_grants(std::string_view vin, std::string_view actor) {
  return audit_.transact([&]() -> Result<size_t> {
    store::WriteBatch batch;
    std::vector<audit::Event> events;
    if (Status s = revoke_grants_into(vin, actor, batch, events); !s.is_ok()) return s;
    const size_t n = events.size();
    if (n == 0) return n;
    if (Status s = commit(std::move(events), batch); !s.is_ok()) return s;
    return n;
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
  // A grant expires by the clock: it is checked on every use, never answered from memory.
  if (token.starts_with(kGrantTokenPrefix)) return load(digest);
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
  if (kind->as_string() == "owner" || kind->as_string() == "grant") {
    const json::value* region = o.if_contains("region");
    if (region == nullptr || !region->is_string()) return data_loss("stored credential lacks its region");
    c.regions = {std::string(region->as_string())};
    if (kind->as_string() == "owner") {
      c.roles = {std::string(kOwnerRole)};
      c.credential = owner_token_credential(c.subject);
      return c;
    }
    const json::value* vin = o.if_contains("vin");
    const json::value* expires = o.if_contains("expires_ms");
    if (vin == nullptr || !vin->is_string() || expires == nullptr || !expires->is_int64()) {
      return data_loss("stored grant credential lacks its VIN or expiry");
    }
    if (expires->as_int64() <= audit_.now_ms()) return kBadToken;
    c.credential = grant_credential(c.subject);
    c.subject = vin->as_string();
    c.roles = {std::string(kThirdPartyRole)};
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
