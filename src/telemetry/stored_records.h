// Reading a region's stored telemetry back: the records of one vehicle, or of every vehicle, whose
// created_at lies in a window, decoded with the region's codec, in (vehicle, created_at, seq)
// order. Blocks are read in key order (vehicle, then first record's time) and merged, so records
// of two ingest batches that overlap in time still come in that order; records that share
// (created_at, seq) (a vehicle that reused a seq) come in the order of their blocks' keys, then as
// stored. Every block must sit under the key of its first record and hold its records in
// (created_at, seq) order, as RecordCodec writes them; any other block is kDataLoss, like a
// corrupt one. Blocks of erased vehicles (sealed under a destroyed vehicle key) are skipped.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/record_codec.h"

namespace fleetgate::telemetry {

struct RecordRange {
  std::string pseudonym;  // the vehicle's region pseudonym; empty: every vehicle
  int64_t from_ms = std::numeric_limits<int64_t>::min();
  int64_t to_ms = std::numeric_limits<int64_t>::max();
};

// A place in one vehicle's records in scan order: after every record before (created_at, seq)
// and after the first `ties` records at exactly (created_at, seq). Where a page of records ended.
struct RecordPosition {
  int64_t created_at_ms = 0;
  uint64_t seq = 0;
  uint32_t ties = 1;
  bool operator==(const RecordPosition&) const = default;
};

// Calls `visit` with each record in `range`, in the order above, until it returns false. With
// `after`, only the records after that position. REQUIRES: `after` only with a pseudonym.
Status scan_records(const store::KvReader& reader, const RecordCodec& codec, const RecordRange& range,
                    const std::function<bool(Record&&)>& visit, const std::optional<RecordPosition>& after = {});

// How many records scan_records would visit (without `after`), read from the blocks' clear parts
// (nothing is opened).
Result<uint64_t> count_records(const store::KvReader& reader, const RecordRange& range);

// The position after the last of `page`, records just visited by scan_records from `after`
// (nullopt: from the start). REQUIRES: `page` is not empty.
RecordPosition position_after(const std::vector<Record>& page, const std::optional<RecordPosition>& after);

}  // namespace fleetgate::telemetry
