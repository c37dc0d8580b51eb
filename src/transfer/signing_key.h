// A region's Ed25519 bundle-signing key, kept as PKCS#8 PEM in <region_dir>/transfer-signing.key
// next to the privacy keyring. open() creates it on first use (mode 0600, written to an O_EXCL
// temp file, fsynced, then linked into place so concurrent creators agree on one key) and refuses
// a file that is not a regular file of this user with mode 0600 or holds no Ed25519 key.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

using EVP_PKEY = struct evp_pkey_st;

namespace fleetgate::transfer {

inline constexpr std::string_view kSigningKeyFileName = "transfer-signing.key";

class SigningKey {
 public:
  // Errors: kFailedPrecondition for a file of another user, looser mode or no regular file;
  // kDataLoss when it holds no Ed25519 private key; kUnavailable for I/O failures.
  static Result<std::unique_ptr<SigningKey>> open(const std::filesystem::path& region_dir);
  ~SigningKey();
  SigningKey(const SigningKey&) = delete;
  SigningKey& operator=(const SigningKey&) = delete;

  // The 64-byte Ed25519 signature of `data`. kInternal only when OpenSSL fails.
  Result<std::string> sign(std::string_view data) const;
  // The public key as SubjectPublicKeyInfo PEM ("-----BEGIN PUBLIC KEY-----").
  const std::string& public_pem() const { return public_pem_; }

 private:
  SigningKey(EVP_PKEY* key, std::string public_pem) : key_(key), public_pem_(std::move(public_pem)) {}
  EVP_PKEY* key_;
  std::string public_pem_;
};

// OK when `signature` is a valid Ed25519 signature of `data` under `public_pem`; kDataLoss when it
// is not; kInvalidArgument when `public_pem` holds no Ed25519 public key.
Status verify_signature(std::string_view public_pem, std::string_view data, std::string_view signature);

}  // namespace fleetgate::transfer
