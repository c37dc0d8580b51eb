// Keys of telemetry records in a regional key-value store:
//   pseudonym | 0x00 | created_at (8 bytes big-endian, sign bit flipped) | seq (8 bytes big-endian)
// Byte order equals (pseudonym, created_at, seq) order, so one vehicle's records are contiguous and
// time-ordered (also before 1970): a prefix scan lists a vehicle, a range scan a time window.
// Pseudonyms hold no 0x00 byte, which keeps shorter ones from prefixing longer ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::telemetry {

struct StoreKey {
  std::string pseudonym;
  int64_t created_at_ms = 0;
  uint64_t seq = 0;
  bool operator==(const StoreKey&) const = default;
};

// REQUIRES: `pseudonym` holds no 0x00 byte (region pseudonyms are "p_" + hex).
std::string encode_store_key(std::string_view pseudonym, int64_t created_at_ms, uint64_t seq);
// The prefix shared by every key of `pseudonym`.
std::string store_key_prefix(std::string_view pseudonym);
// kDataLoss when `key` was not made by encode_store_key.
Result<StoreKey> decode_store_key(std::string_view key);
// created_at of a record key, nullopt for any other key (retention applies to records only).
std::optional<int64_t> store_key_time(std::string_view key);

}  // namespace fleetgate::telemetry
