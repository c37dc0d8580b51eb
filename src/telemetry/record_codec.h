// The at-rest form of telemetry records in a region (stored.StoredRecord): the VIN is replaced by
// the region pseudonym and kept only as a sealed envelope (field id 0); personal fields (catalogue
// DataClass::kPersonal, e.g. location) are sealed with privacy::FieldCipher, bound to (region,
// pseudonym, field); technical fields stay clear. A store therefore never sees a raw VIN or a clear
// location. Records sealed under rotated-out keys stay readable while the keyring keeps the key.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/field_cipher.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry::stored {
class StoredDatum;
}

namespace fleetgate::telemetry {

// What a store writes: key from encode_store_key, value the sealed record.
struct StoredForm {
  std::string key;
  std::string value;
};

class RecordCodec {
 public:
  explicit RecordCodec(std::shared_ptr<const privacy::RegionKeys> keys);

  // Seals a validated record (its pseudonym member is ignored and recomputed from the VIN).
  // kInternal only when OpenSSL fails.
  Result<StoredForm> encode(const Record& record) const;
  // The same with the record's pseudonym already known, for callers sealing many records of one
  // vehicle. REQUIRES: pseudonym == pseudonym(record.vin).
  Result<StoredForm> encode(const Record& record, std::string_view pseudonym) const;

  // The record back, with vin, pseudonym and every value in clear. kDataLoss when the bytes are
  // corrupt, were sealed in another region or under a key the ring no longer holds.
  Result<Record> decode(std::string_view value) const;

  // The region pseudonym of `vin`, for building key prefixes in queries.
  Result<std::string> pseudonym(std::string_view vin) const { return pseudonymiser_.pseudonym(vin); }
  const std::string& region() const { return keys_->region(); }

 private:
  Result<Datum> decode_datum(const stored::StoredDatum& sd, size_t index, std::string_view pseudonym) const;

  std::shared_ptr<const privacy::RegionKeys> keys_;
  privacy::Pseudonymiser pseudonymiser_;
  privacy::FieldCipher cipher_;
};

}  // namespace fleetgate::telemetry
