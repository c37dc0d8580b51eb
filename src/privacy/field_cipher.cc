#include "fleetgate/privacy/field_cipher.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>

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

// The calling thread's cipher context, set up for `key` and direction with `nonce`. The context
// keeps its key schedule while one thread seals (or opens) under the same key, so a field costs
// only a nonce change: a full key set-up per field showed in ingest profiles. Returns nullptr when
// OpenSSL fails.
EVP_CIPHER_CTX* keyed_ctx(const RegionKeys::Key& key, bool encrypt, const unsigned char* nonce) {
  struct Cached {
    std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx{EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free};
    RegionKeys::Key key{};
    int direction = -1;  // 1 encrypt, 0 decrypt, -1 not keyed
    ~Cached() { OPENSSL_cleanse(key.data(), key.size()); }
  };
  thread_local Cached cached;
  if (cached.ctx == nullptr || aes_256_gcm() == nullptr) return nullptr;
  const int direction = encrypt ? 1 : 0;
  const bool keyed = cached.direction == direction && CRYPTO_memcmp(cached.key.data(), key.data(), key.size()) == 0;
  if (EVP_CipherInit_ex2(cached.ctx.get(), keyed ? nullptr : aes_256_gcm(), keyed ? nullptr : key.data(), nonce,
                         direction, nullptr) != 1) {
    cached.direction = -1;
    return nullptr;
  }
  cached.key = key;
  cached.direction = direction;
  return cached.ctx.get();
}

// Fills `out` with a fresh random nonce. Nonces are drawn from OpenSSL's DRBG a block at a time
// (RAND_bytes per field was 40% of ingest CPU, most of it the DRBG's fork check); every byte is
// still the DRBG's and used once. A forked child discards what it inherited, so parent and child
// never use the same bytes.
std::atomic<uint64_t> fork_generation{0};

bool next_nonce(unsigned char* out) {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, [] { fork_generation.fetch_add(1); }); });
  struct Pool {
    std::array<unsigned char, 256 * kNonceSize> bytes{};
    size_t used = 256 * kNonceSize;  // empty
    uint64_t generation = 0;
    ~Pool() { OPENSSL_cleanse(bytes.data(), bytes.size()); }
  };
  thread_local Pool pool;
  const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (pool.used == pool.bytes.size() || pool.generation != generation) {
    if (RAND_bytes(pool.bytes.data(), static_cast<int>(pool.bytes.size())) != 1) return false;
    pool.used = 0;
    pool.generation = generation;
  }
  std::memcpy(out, pool.bytes.data() + pool.used, kNonceSize);
  OPENSSL_cleanse(pool.bytes.data() + pool.used, kNonceSize);
  pool.used += kNonceSize;
  return true;
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

// The u32 after an envelope's version byte. REQUIRES: at least kHeaderSize bytes.
uint32_t key_id_of(std::string_view envelope) {
  uint32_t id = 0;
  for (size_t i = 1; i < kHeaderSize; ++i) id = (id << 8) | static_cast<uint8_t>(envelope[i]);
  return id;
}

// kDataLoss unless `envelope` is long enough for an envelope and of `version`.
Status check_envelope(std::string_view envelope, uint8_t version) {
  if (envelope.size() < kEnvelopeOverhead) {
    return data_loss("encrypted field is truncated: " + std::to_string(envelope.size()) + " bytes, an envelope has at least " +
                     std::to_string(kEnvelopeOverhead));
  }
  const uint8_t found = static_cast<uint8_t>(envelope[0]);
  if (found == version) return Status::ok();
  if (found == kEnvelopeVersion || found == kVehicleEnvelopeVersion) {
    return data_loss("encrypted field is sealed under " +
                     std::string(found == kVehicleEnvelopeVersion ? "a vehicle's own key" : "the region's key") +
                     " (envelope version " + std::to_string(found) + "), not under the key given");
  }
  return data_loss("encrypted field has unknown envelope version " + std::to_string(found));
}

}  // namespace

std::string FieldCipher::associated_data(uint8_t version, uint32_t key_id, const FieldBinding& binding) const {
  std::string aad(kAadLabel);
  aad.push_back(static_cast<char>(version));
  put_u32(aad, key_id);
  put_bytes(aad, keys_->region());
  put_bytes(aad, binding.pseudonym);
  put_u32(aad, binding.field_id);
  // Absent rather than empty when there are none, so envelopes sealed before clear bytes existed
  // still open; the length prefix keeps the two forms distinct.
  if (!binding.clear.empty()) put_u32(aad, static_cast<uint32_t>(binding.clear.size()));
  return aad;
}

Result<std::string> FieldCipher::seal(std::string_view plaintext, const FieldBinding& binding) const {
  const uint32_t key_id = keys_->active_key_id();
  return seal_with(kEnvelopeVersion, key_id, *keys_->data_key(key_id), plaintext, binding);
}

Result<std::string> FieldCipher::seal(std::string_view plaintext, const FieldBinding& binding,
                                      const VehicleDataKey& key) const {
  return seal_with(kVehicleEnvelopeVersion, key.generation, key.key, plaintext, binding);
}

Result<std::string> FieldCipher::seal_with(uint8_t version, uint32_t key_id, const RegionKeys::Key& key,
                                           std::string_view plaintext, const FieldBinding& binding) const {
  std::string out;
  out.reserve(kEnvelopeOverhead + plaintext.size());
  out.push_back(static_cast<char>(version));
  put_u32(out, key_id);
  out.resize(kHeaderSize + kNonceSize);
  if (!next_nonce(bytes(out) + kHeaderSize)) return internal_error("nonce generation failed: " + detail::openssl_errors());
  const std::string aad = associated_data(version, key_id, binding);
  EVP_CIPHER_CTX* ctx = keyed_ctx(key, true, bytes(out) + kHeaderSize);
  out.resize(kHeaderSize + kNonceSize + plaintext.size() + kTagSize);
  unsigned char* ct = bytes(out) + kHeaderSize + kNonceSize;
  int len = 0, final_len = 0;
  if (ctx == nullptr ||
      EVP_EncryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      (!binding.clear.empty() &&
       EVP_EncryptUpdate(ctx, nullptr, &len, bytes(binding.clear), static_cast<int>(binding.clear.size())) != 1) ||
      EVP_EncryptUpdate(ctx, ct, &len, bytes(plaintext), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx, ct + len, &final_len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTagSize, ct + plaintext.size()) != 1) {
    return internal_error("AES-256-GCM encryption failed: " + detail::openssl_errors());
  }
  return out;
}

std::optional<uint32_t> FieldCipher::vehicle_key_generation(std::string_view envelope) {
  if (envelope.size() < kEnvelopeOverhead || static_cast<uint8_t>(envelope[0]) != kVehicleEnvelopeVersion) return std::nullopt;
  return key_id_of(envelope);
}

Result<std::string> FieldCipher::open(std::string_view envelope, const FieldBinding& binding) const {
  if (Status s = check_envelope(envelope, kEnvelopeVersion); !s.is_ok()) return s;
  const uint32_t key_id = key_id_of(envelope);
  const RegionKeys::Key* key = keys_->data_key(key_id);
  if (key == nullptr) {
    return data_loss("encrypted field uses key id " + std::to_string(key_id) + ", which is not in the keyring of region '" +
                     keys_->region() + "'");
  }
  return open_with(kEnvelopeVersion, envelope, binding, key);
}

Result<std::string> FieldCipher::open(std::string_view envelope, const FieldBinding& binding,
                                      const VehicleDataKey& key) const {
  if (Status s = check_envelope(envelope, kVehicleEnvelopeVersion); !s.is_ok()) return s;
  if (key_id_of(envelope) != key.generation) {
    return data_loss("encrypted field is sealed under the vehicle's key of generation " +
                     std::to_string(key_id_of(envelope)) + ", not " + std::to_string(key.generation));
  }
  return open_with(kVehicleEnvelopeVersion, envelope, binding, &key.key);
}

Result<std::string> FieldCipher::open_with(uint8_t version, std::string_view envelope, const FieldBinding& binding,
                                           const RegionKeys::Key* key) const {
  const uint32_t key_id = key_id_of(envelope);
  const std::string_view nonce = envelope.substr(kHeaderSize, kNonceSize);
  const std::string_view ct = envelope.substr(kHeaderSize + kNonceSize, envelope.size() - kEnvelopeOverhead);
  std::string tag(envelope.substr(envelope.size() - kTagSize));
  const std::string aad = associated_data(version, key_id, binding);
  std::string plain(ct.size(), '\0');
  EVP_CIPHER_CTX* ctx = keyed_ctx(*key, false, bytes(nonce));
  int len = 0, final_len = 0;
  if (ctx == nullptr ||
      EVP_DecryptUpdate(ctx, nullptr, &len, bytes(aad), static_cast<int>(aad.size())) != 1 ||
      (!binding.clear.empty() &&
       EVP_DecryptUpdate(ctx, nullptr, &len, bytes(binding.clear), static_cast<int>(binding.clear.size())) != 1) ||
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
