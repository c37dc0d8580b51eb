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

Result<std::string> hmac_hex(const RegionKeys::Key& key, std::string_view data, size_t out_bytes, std::string_view prefix) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  size_t mac_len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), mac.size(),
                &mac_len) == nullptr ||
      mac_len < out_bytes) {
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
