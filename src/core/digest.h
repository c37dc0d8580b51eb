// SHA-256 and secure random bytes over OpenSSL 3, shared by every module that hashes or mints
// secrets (audit chain, credentials, key files).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace fleetgate {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
// Lowercase hex of sha256(data).
std::string sha256_hex(std::string_view data);
std::string to_hex(const uint8_t* data, size_t size);

// `size` bytes from the OpenSSL CSPRNG, base64url-encoded without padding. Aborts the process if
// the CSPRNG fails: minting a guessable secret is never an acceptable fallback.
std::string random_token(size_t size);

}  // namespace fleetgate
