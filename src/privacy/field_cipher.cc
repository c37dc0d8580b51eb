#include "fleetgate/privacy/field_cipher.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "fleetgate/privacy/openssl_util.h"

namespace fleetgate::privacy {
namespace {

constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr size_t kHeaderSize = 1 + 4;
constexpr std::string_view kAadLabel = "fleetgate/field/v1";

// AES-256-GCM fetched from the default provider once per process: an implicit fetch on every
// seal (EVP_aes_256_gcm() in EVP_EncryptInit_ex2) costs more than sealing a short field.
const EVP_CIPHER* aes_256_gcm() {
  static const std::unique_ptr<EVP_CIPHER, decltype(&EVP_CIPHER_free)> cipher(
      EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr), EVP_CIPHER_free);
  return cipher.get();
}

// One cipher context per thread, re-initialised (key, nonce) for every seal and open; creating
// and freeing a context per call showed in ingest profiles.
EVP_CIPHER_CTX* thread_ctx() {
  thread_local const std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(),
                                                                                          EVP_CIPHER_CTX_free);
  return ctx.get();
}

void put_u32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// Length-prefixed so that ("ab", "c") and ("a", "bc") differ.
void put_bytes(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }
unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

}  // namespace

std::string FieldCipher::associated_data(uint32_t key_id, const FieldBinding& binding) const {
  std::string aad(kAadLabel);
  aad.push_back(static_cast<char>(kEnvelopeVersion));
  put_u32(aad, key_id);
  put_bytes(aad, keys_->region());
  put_bytes(aad, binding.pseudonym);
  put_u32(aad, binding.field_id);
  return aad;
}

Result<std::string> FieldCipher::seal(std::string_view plaintext, const FieldBinding& binding) const {
  const uint32_t key_id = keys_->active_key_id();
  const RegionKeys::Key* key = keys_->data_key(key_id);
  std::string out;
  out.reserve(kEnvelopeOverhead + plaintext.size());
  out.push_back(static_cast<char>(kEnvelopeVersion));
  put_u32(out, key_id);
  out.resize(kHeaderSize + kNonceSize);
  if (RAND_bytes(bytes(out) + kHeaderSize, kNonceSize) != 1) return internal_error("nonce generation failed: " + detail::openssl_errors());
  const std::string aad = associated_data(key_id, binding);
  EVP_CIPHER_CTX* ctx = thread_ctx();
  out.resize(kHeaderSize + kNonceSize + plaintext.size() + kTagSize);
  unsigned char* ct = bytes(out) + kHeaderSize + kNonceSize;
  int len = 0, final_len = 0;
  if (ctx == nullptr || aes_256_gcm() == nullptr ||
      EVP_EncryptInit_ex2(ctx, aes_256_gcm(), key->data(), bytes(out) + kHeaderSize, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx, ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, ct + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) != 1) {
    return internal_error("AES-256-GCM encryption failed: " + detail::openssl_errors());
  }
  return out;
}

Result<std::string> FieldCipher::open(std::string_view envelope, const FieldBinding& binding) const {
  if (envelope.size() < kEnvelopeOverhead) {
    return data_loss("encrypted field is truncated: " + std::to_string(envelope.size()) + " bytes, an envelope has at least " +
                     std::to_string(kEnvelopeOverhead));
  }
  const uint8_t version = static_cast<uint8_t>(envelope[0]);
  if (version != kEnvelopeVersion) {
    return data_loss("encrypted field has unknown envelope version " + std::to_string(version));
  }
  uint32_t key_id = 0;
  for (size_t i = 1; i < kHeaderSize; ++i) key_id = (key_id << 8) | static_cast<uint8_t>(envelope[i]);
  const RegionKeys::Key* key = keys_->data_key(key_id);
  if (key == nullptr) {
    return data_loss("encrypted field uses key id " + std::to_string(key_id) + ", which is not in the keyring of region '" +
                     keys_->region() + "'");
  }
  const std::string_view nonce = envelope.substr(kHeaderSize, kNonceSize);
  const std::string_view ct = envelope.substr(kHeaderSize + kNonceSize, envelope.size() - kEnvelopeOverhead);
  std::string tag(envelope.substr(envelope.size() - kTagSize));
  const std::string aad = associated_data(key_id, binding);
  std::string plain(ct.size(), '\0');
  EVP_CIPHER_CTX* ctx = thread_ctx();
  int len = 0, final_len = 0;
  if (ctx == nullptr || aes_256_gcm() == nullptr ||
      EVP_DecryptInit_ex2(ctx, aes_256_gcm(), key->data(), bytes(nonce), nullptr) != 1 ||
      EVP_DecryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx, bytes(plain), &len, bytes(ct), static_cast<int>(ct.size())) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1) {
    return internal_error("AES-256-GCM decryption failed: " + detail::openssl_errors());
  }
  if (EVP_DecryptFinal_ex(ctx, bytes(plain) + len, &final_len) != 1) {
    detail::openssl_errors();  // drop the queue: a failed tag check is expected data, not an OpenSSL fault
    return data_loss("encrypted field failed authentication: it was altered, or belongs to another record, field or "
                     "region (key id " + std::to_string(key_id) + ")");
  }
  return plain;
}

}  // namespace fleetgate::privacy
