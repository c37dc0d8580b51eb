// Internal to the telemetry module: the two parts of a format-3 stored block (stored.ColumnarBlock
// in clear, stored.SealedColumns sealed; see proto/stored_record.proto), written from validated
// wire records and read back with every structural check. RecordCodec seals and opens them.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry::stored {
class ColumnarBlock;
class SealedColumns;
}  // namespace fleetgate::telemetry::stored
namespace fleetgate::telemetry::wire {
class Payload;
}

namespace fleetgate::telemetry {

// A part's string dictionary is searched this far for a repeated string; a string not among its
// first kDictionaryProbe entries is added again, so a block of many distinct strings (never seen
// from validated records) costs time linear in its values.
inline constexpr int kDictionaryProbe = 32;

// kDataLoss "stored telemetry is corrupt: <why>", for any stored value of the wrong shape.
Status corrupt_at_rest(std::string_view why);

// Sets `clear` and `sealed` to the block of `records`, which share one VIN and are ordered by
// (created_at, seq); `records` is not empty. Technical values go to `clear`, the VIN and personal
// values to `sealed`. kInvalidArgument for a datum with an unknown field number, no value, or a
// value not of its field's catalogue type.
Status write_columns(std::span<const wire::Payload* const> records, stored::ColumnarBlock& clear,
                     stored::SealedColumns& sealed);

// Appends the records of a block to `out`, oldest first, with `pseudonym` and the VIN of `sealed`.
// kDataLoss naming the fault when the parts do not fit together: no records, column lengths other
// than the layouts call for, a layout or dictionary index out of range, an unknown field number, a
// kind other than the catalogue's. Nothing is appended then.
Status read_columns(const stored::ColumnarBlock& clear, const stored::SealedColumns& sealed,
                    std::string_view pseudonym, std::vector<Record>& out);

// How many records of `clear` have from_ms <= created_at <= to_ms, after the checks read_columns
// makes of the clear part (kDataLoss).
Result<uint64_t> count_columns(const stored::ColumnarBlock& clear, int64_t from_ms, int64_t to_ms);

}  // namespace fleetgate::telemetry
