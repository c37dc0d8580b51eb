// VIN pseudonyms. A region pseudonym is "p_" + lowercase hex of the first 16 bytes of
// HMAC-SHA256(region pseudonym key, "vin:" + VIN): stable within a region, unlinkable across
// regions, not reversible without the key. 128 bits keep collisions negligible: for n vehicles
// the chance of any collision is about n^2 / 2^129 (1e-21 for a billion vehicles).
// A transfer pseudonym re-keys a region pseudonym under a key derived with HKDF-SHA256 from the
// region pseudonym key and the transfer id, so the records of two transfers cannot be joined.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/keyring.h"

namespace fleetgate::privacy {

inline constexpr std::string_view kPseudonymPrefix = "p_";
inline constexpr std::string_view kTransferPseudonymPrefix = "t_";
inline constexpr size_t kPseudonymBytes = 16;  // truncation of the 32-byte HMAC

class TransferPseudonymiser;

class Pseudonymiser {
 public:
  explicit Pseudonymiser(std::shared_ptr<const RegionKeys> keys) : keys_(std::move(keys)) {}

  // The region pseudonym of `vin` (a validated VIN; the bytes are used as given).
  // kInternal only when OpenSSL fails.
  Result<std::string> pseudonym(std::string_view vin) const;

  // The re-keying helper for one approved transfer. kInvalidArgument for an empty transfer id.
  Result<TransferPseudonymiser> for_transfer(std::string_view transfer_id) const;

 private:
  std::shared_ptr<const RegionKeys> keys_;
};

class TransferPseudonymiser {
 public:
  ~TransferPseudonymiser();
  TransferPseudonymiser(const TransferPseudonymiser&) = delete;
  TransferPseudonymiser& operator=(const TransferPseudonymiser&) = delete;
  TransferPseudonymiser(TransferPseudonymiser&&) = default;
  TransferPseudonymiser& operator=(TransferPseudonymiser&&) = default;

  // "t_" + hex of the first 16 bytes of HMAC-SHA256(transfer key, region pseudonym).
  Result<std::string> pseudonym(std::string_view region_pseudonym) const;
  const std::string& transfer_id() const { return transfer_id_; }

 private:
  friend class Pseudonymiser;
  TransferPseudonymiser(std::string transfer_id, const RegionKeys::Key& key) : transfer_id_(std::move(transfer_id)), key_(key) {}

  std::string transfer_id_;
  RegionKeys::Key key_;
};

}  // namespace fleetgate::privacy
