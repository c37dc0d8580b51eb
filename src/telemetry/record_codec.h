// The at-rest form of telemetry in a region. Records of one vehicle are stored in blocks
// (stored.StoredBlock, format 3): the records of one ingest batch, at most kMaxBlockSpanMs and
// kMaxBlockRecords apart, under the store key of the block's first (oldest) record. Each block
// stores its records' layouts (fields and value kinds) once and their values in packed columns
// (columnar_block.h). Technical values are in clear; the VIN and every personal value (catalogue
// DataClass::kPersonal, location) of the block are one privacy::FieldCipher envelope, bound to
// (region, pseudonym, kBlockBinding) and to the clear part, so editing any byte of a block fails to
// open. A store therefore never sees a raw VIN or a clear location. With a vehicle key store, a
// block's envelope is sealed under the vehicle's own key (privacy/vehicle_keys.h), so destroying
// that key erases the vehicle's personal values and VIN wherever the block was copied; blocks
// sealed under the region's key stay readable. Blocks of format 2 (one
// message per value) and single-record values of format 1 (each personal field its own envelope)
// are still read, and records sealed under rotated-out keys stay readable while the ring holds them.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/field_cipher.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/privacy/vehicle_keys.h"
#include "fleetgate/telemetry/record.h"

namespace google::protobuf {
class MessageLite;
}
namespace fleetgate::telemetry::stored {
class StoredBlock;
}
namespace fleetgate::telemetry::wire {
class Batch;
class Payload;
}

namespace fleetgate::telemetry {

// A block's records lie within this span of its first record's created_at, so a time-range read
// starts this much earlier, and retention (by the key's time) keeps a record at most this long.
inline constexpr int64_t kMaxBlockSpanMs = 60'000;
inline constexpr size_t kMaxBlockRecords = 1024;
// The FieldBinding field id of block envelopes: wire field numbers from 60 up are reserved forever.
inline constexpr uint32_t kBlockBinding = std::numeric_limits<uint32_t>::max();

// What a store writes: key from encode_store_key, value the sealed block.
struct StoredForm {
  std::string key;
  std::string value;
};

class RecordCodec {
 public:
  // Without `vehicle_keys`, blocks are sealed under the region's key, and blocks sealed under a
  // vehicle's key do not open (kDataLoss).
  explicit RecordCodec(std::shared_ptr<const privacy::RegionKeys> keys,
                       std::shared_ptr<privacy::VehicleKeys> vehicle_keys = nullptr);

  // Seals validated records of one vehicle, as received (Validator::validate(wire::Payload)), as
  // blocks appended to `out`, records ordered by (created_at, seq). REQUIRES: all share one VIN
  // and pseudonym == pseudonym(vin). kInvalidArgument for a datum of an unknown field, without a
  // value or with one not of its catalogue type (never so after validation); kInternal when
  // OpenSSL fails. Blocks sealed before an error stay in `out`.
  Status encode(const wire::Batch& records, std::string_view pseudonym, std::vector<StoredForm>& out) const;
  // The same for decoded records.
  Status encode(std::span<const Record> records, std::string_view pseudonym, std::vector<StoredForm>& out) const;
  // One record as a block of its own.
  Result<StoredForm> encode(const Record& record, std::string_view pseudonym) const;
  // The same, computing the pseudonym.
  Result<StoredForm> encode(const Record& record) const;

  // Appends the records stored in `value` to `out`, oldest first, with vin, pseudonym and every
  // value in clear. kDataLoss (and `out` as it was) when the bytes are corrupt (of a format-3
  // block, also when its parts are inconsistent: read_columns in columnar_block.h), were sealed
  // in another region or under a key the ring no longer holds; kNotFound "... was erased" when
  // the block is sealed under a vehicle key that was destroyed.
  Status decode(std::string_view value, std::vector<Record>& out) const;
  // How many records in `value` have from_ms <= created_at <= to_ms, from the clear part alone.
  // kDataLoss when the bytes are not a stored value or the clear part of a block is inconsistent
  // (of format 3: count_columns).
  static Result<uint64_t> count(std::string_view value, int64_t from_ms, int64_t to_ms);

  // The region pseudonym of `vin`, for building key prefixes in queries.
  Result<std::string> pseudonym(std::string_view vin) const { return pseudonymiser_.pseudonym(vin); }
  const std::string& region() const { return keys_->region(); }
  const std::shared_ptr<const privacy::RegionKeys>& keys() const { return keys_; }
  // nullptr when blocks are sealed under the region's key.
  const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys() const { return vehicle_keys_; }

 private:
  Status encode_block(std::span<const wire::Payload* const> block, std::string_view pseudonym, std::vector<StoredForm>& out) const;
  // Opens the envelope of a format 2 or 3 block into `sealed` and parses its clear part into `clear`.
  Status open_block(const stored::StoredBlock& block, google::protobuf::MessageLite& clear,
                    google::protobuf::MessageLite& sealed) const;
  Status decode_columnar(const stored::StoredBlock& block, std::vector<Record>& out) const;
  Status decode_block(const stored::StoredBlock& block, std::vector<Record>& out) const;
  Status decode_format1(std::string_view value, std::vector<Record>& out) const;

  std::shared_ptr<const privacy::RegionKeys> keys_;
  std::shared_ptr<privacy::VehicleKeys> vehicle_keys_;
  privacy::Pseudonymiser pseudonymiser_;
  privacy::FieldCipher cipher_;
};

}  // namespace fleetgate::telemetry
