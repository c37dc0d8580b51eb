#include "fleetgate/access/certificate_revocations.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>

namespace fleetgate::access {
namespace {

constexpr std::string_view kRevokedPrefix = "cred/cert-revoked/";

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

Result<std::string> canonical_serial(std::string_view serial) {
  std::string out;
  for (char c : serial) {
    if (c == ':') continue;
    if (!is_hex(c) || out.size() == 64) {
      return invalid_argument("a certificate serial is 1-64 hex digits (':' allowed between), got '" +
                              std::string(serial.substr(0, 80)) + "'");
    }
    if (out.empty() && c == '0') continue;
    out.push_back(c >= 'a' ? static_cast<char>(c - 'a' + 'A') : c);
  }
  if (out.empty()) {
    if (serial.find('0') == std::string_view::npos) return invalid_argument("a certificate serial is 1-64 hex digits");
    out = "0";
  }
  return out;
}

std::string certificate_credential(std::string_view serial) { return "certificate:" + std::string(serial); }

Result<std::unique_ptr<CertificateRevocations>> CertificateRevocations::open(audit::AuditLog& audit) {
  std::unique_ptr<CertificateRevocations> out(new CertificateRevocations(audit));
  auto it = audit.state().scan(kRevokedPrefix);
  for (; it->valid(); it->next()) out->revoked_.emplace(it->key().substr(kRevokedPrefix.size()));
  if (!it->status().is_ok()) return it->status();
  return out;
}

Result<std::string> CertificateRevocations::revoke(std::string_view serial, std::string_view vin,
                                                   std::string_view region, std::string_view actor) {
  Result<std::string> canonical = canonical_serial(serial);
  if (!canonical.is_ok()) return canonical.status();
  const std::string key = std::string(kRevokedPrefix) + *canonical;
  std::unique_lock lock(mu_);
  return audit_.transact([&]() -> Result<std::string> {
    // From the store, not the set: another process sharing it may have revoked it meanwhile.
    auto stored = audit_.state().get(key);
    if (stored.is_ok()) return already_exists("certificate " + *canonical + " is already revoked");
    if (stored.status().code() != Code::kNotFound) return stored.status();
    store::WriteBatch batch;
    batch.put(key, boost::json::serialize(boost::json::object{{"vin", vin}, {"revoked_ms", audit_.now_ms()}}));
    auto logged = audit_.append_with({audit::Event{std::string(actor), "vehicle.cert.revoke", std::string(vin),
                                                   std::string(region), boost::json::object{{"serial", *canonical}}}},
                                     batch);
    if (!logged.is_ok()) return logged.status();
    revoked_.insert(*canonical);
    return canonical;
  });
}

Result<bool> CertificateRevocations::is_revoked(std::string_view serial) const {
  Result<std::string> canonical = canonical_serial(serial);
  if (!canonical.is_ok()) return false;
  if (audit_.shared()) {
    // Other processes revoke too: ask the store each time.
    auto stored = audit_.state().get(std::string(kRevokedPrefix) + *canonical);
    if (!stored.is_ok() && stored.status().code() != Code::kNotFound) return stored.status();
    return stored.is_ok();
  }
  std::shared_lock lock(mu_);
  return revoked_.contains(*canonical);
}

}  // namespace fleetgate::access
