#include "fleetgate/privacy/openssl_util.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <array>
#include <boost/algorithm/hex.hpp>
#include <iterator>
#include <memory>

namespace fleetgate::privacy::detail {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

namespace {

// HMAC-SHA256 fetched once per process and one MAC context per thread, keyed per call: the
// one-shot EVP_Q_mac fetches the MAC and the digest on every call, which showed in ingest
// profiles (one pseudonym per stored record).
EVP_MAC_CTX* thread_hmac_sha256() {
  static const std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                                     EVP_MAC_free);
  thread_local const std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx = [] {
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> c(mac ? EVP_MAC_CTX_new(mac.get()) : nullptr,
                                                                EVP_MAC_CTX_free);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (c && EVP_MAC_CTX_set_params(c.get(), params) != 1) c.reset();
    return c;
  }();
  return ctx.get();
}

}  // namespace

Result<std::string> hmac_hex(const RegionKeys::Key& key, std::string_view data, size_t out_bytes, std::string_view prefix) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t mac_len = 0;
  EVP_MAC_CTX* ctx = thread_hmac_sha256();
  if (ctx == nullptr || EVP_MAC_init(ctx, key.data(), key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
      EVP_MAC_final(ctx, mac.data(), &mac_len, mac.size()) != 1 || mac_len < out_bytes) {
    return internal_error("HMAC-SHA256 failed: " + openssl_errors());
  }
  std::string out(prefix);
  boost::algorithm::hex_lower(mac.begin(), mac.begin() + static_cast<std::ptrdiff_t>(out_bytes), std::back_inserter(out));
  return out;
}

Status hkdf(const RegionKeys::Key& key, std::string_view salt, std::string_view info, RegionKeys::Key& out) {
  std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr), EVP_KDF_free);
  if (!kdf) return internal_error("HKDF unavailable: " + openssl_errors());
  std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()), EVP_KDF_CTX_free);
  if (!ctx) return internal_error("HKDF context: " + openssl_errors());
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()), key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()), salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()), info.size()),
      OSSL_PARAM_construct_end()};
  if (EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
    return internal_error("HKDF-SHA256 failed: " + openssl_errors());
  }
  return Status::ok();
}

}  // namespace fleetgate::privacy::detail
