// Encryption of single fields at rest: AES-256-GCM with a random 96-bit nonce under the region's
// active data key. Envelope, version 1:  u8 version (1) | u32 key id (big-endian) | 12-byte nonce |
// ciphertext | 16-byte tag. The associated data binds the envelope header, the region, the record's
// pseudonym, the field id and, when given, further clear bytes stored beside the envelope, so a blob
// moved to another record, field or region, or a change to those clear bytes, fails to open.
// Random nonces stay safe for up to 2^32 seals per key (NIST SP 800-38D): rotate before that.
// Version 2 is the same envelope sealed under one vehicle's own data key (vehicle_keys.h): its u32
// is that key's generation, and the associated data also names the version, so neither version
// opens as the other.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/keyring.h"

namespace fleetgate::privacy {

inline constexpr uint8_t kEnvelopeVersion = 1;
inline constexpr uint8_t kVehicleEnvelopeVersion = 2;
inline constexpr size_t kEnvelopeOverhead = 1 + 4 + 12 + 16;

// One vehicle's data key; generations number the keys a vehicle has had (a new one after erasure).
struct VehicleDataKey {
  uint32_t generation = 0;
  RegionKeys::Key key{};
};

// What a sealed field belongs to.
struct FieldBinding {
  std::string_view pseudonym;  // the record's region pseudonym
  uint32_t field_id = 0;       // the field's catalogue number
  std::string_view clear{};    // clear bytes kept beside the envelope that it also authenticates
};

class FieldCipher {
 public:
  explicit FieldCipher(std::shared_ptr<const RegionKeys> keys) : keys_(std::move(keys)) {}

  // Seals `plaintext` with the active key. kInternal only when OpenSSL fails.
  Result<std::string> seal(std::string_view plaintext, const FieldBinding& binding) const;

  // Opens an envelope made by seal() for the same region and binding. Every failure (truncated,
  // unknown version, key id not in the ring, tampered bytes, other binding) is kDataLoss.
  Result<std::string> open(std::string_view envelope, const FieldBinding& binding) const;

  // The same under a vehicle's own key (envelope version 2).
  Result<std::string> seal(std::string_view plaintext, const FieldBinding& binding, const VehicleDataKey& key) const;
  // Opens a version-2 envelope with the key of the generation it names; failures as open().
  Result<std::string> open(std::string_view envelope, const FieldBinding& binding, const VehicleDataKey& key) const;
  // The key generation a version-2 envelope names; nullopt for any other bytes.
  static std::optional<uint32_t> vehicle_key_generation(std::string_view envelope);

 private:
  Result<std::string> seal_with(uint8_t version, uint32_t key_id, const RegionKeys::Key& key, std::string_view plaintext,
                                const FieldBinding& binding) const;
  // `key` is the key `key_id` names, nullptr when there is none.
  Result<std::string> open_with(uint8_t version, std::string_view envelope, const FieldBinding& binding,
                                const RegionKeys::Key* key) const;
  // The associated data up to binding.clear's length; the clear bytes follow it as a second
  // AAD update, so they are authenticated without being copied.
  std::string associated_data(uint8_t version, uint32_t key_id, const FieldBinding& binding) const;

  std::shared_ptr<const RegionKeys> keys_;
};

}  // namespace fleetgate::privacy
