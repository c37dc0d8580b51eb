// Internal to the privacy module: thin helpers over OpenSSL 3 EVP calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/keyring.h"

namespace fleetgate::privacy::detail {

// The OpenSSL error queue as text (emptied), for kInternal messages.
std::string openssl_errors();

// HMAC-SHA256(key, data), truncated to `out_bytes` (<= 32) and hex-encoded after `prefix`.
Result<std::string> hmac_hex(const RegionKeys::Key& key, std::string_view data, size_t out_bytes, std::string_view prefix);

// HKDF-SHA256(ikm = key, salt, info) into `out`.
Status hkdf(const RegionKeys::Key& key, std::string_view salt, std::string_view info, RegionKeys::Key& out);

}  // namespace fleetgate::privacy::detail
