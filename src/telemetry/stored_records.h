// Reading a region's stored telemetry back: the records of one vehicle, or of every vehicle, whose
// created_at lies in a window, decoded with the region's codec. Blocks are visited in key order
// (vehicle, then first record's time) and records in block order, so one vehicle's records come
// oldest first unless two ingest batches overlapped in time. Every block must sit under the key of
// its first record; one moved to another key is kDataLoss, like any corrupt block.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
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

// Calls `visit` with each record in `range` until it returns false.
Status scan_records(const store::KvReader& reader, const RecordCodec& codec, const RecordRange& range,
                    const std::function<bool(Record&&)>& visit);

// How many records scan_records would visit, read from the blocks' clear parts (nothing is opened).
Result<uint64_t> count_records(const store::KvReader& reader, const RecordRange& range);

}  // namespace fleetgate::telemetry
