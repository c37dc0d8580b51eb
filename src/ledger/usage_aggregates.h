// The usage log's aggregates: per UTC hour and UsageKey, the UsageTotals of the log's records,
// kept in the region's store beside the records and written in the same atomic batch as the
// records they count. Settlement periods are UTC months, so every period is whole hours.
//
// Rows: "usage_agg/\0" + hour (8 bytes big-endian, sign bit flipped) + the five key fields as
// (varint length, bytes) -> version byte 1 + the totals as varints in totals_fields order.
// The marker "usage_agg_version" says the rows count every stored record (usage_log.cc).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_totals.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::ledger {

inline constexpr int64_t kUsageBucketMs = 3'600'000;  // one UTC hour

// The totals of some records per aggregate row, to be added to the stored rows.
class AggregateDelta {
 public:
  // REQUIRES: validate(r) is OK.
  void add(const UsageRecord& r);
  // Puts into `batch` each row this delta touches: its value in `current` (zero when absent)
  // plus the delta. kDataLoss for an undecodable stored row. REQUIRES: nothing else writes
  // aggregate rows between this read and the write of `batch` (the log's commit leader).
  Status apply(const store::KvReader& current, store::WriteBatch& batch) const;
  size_t rows() const { return rows_.size(); }
  void clear() { rows_.clear(); }

 private:
  std::unordered_map<std::string, UsageTotals> rows_;
  std::string key_;  // reused by add()
};

// OK when both bounds are whole UTC hours (the range may be empty); kInvalidArgument otherwise.
Status check_whole_hours(int64_t from_ms, int64_t to_ms);

// Adds to `out` the totals of every hour in [from_ms, to_ms). kInvalidArgument unless both are
// whole UTC hours (from_ms < to_ms, or the range is empty); kDataLoss for a damaged row.
Status read_aggregates(const store::KvReader& view, int64_t from_ms, int64_t to_ms, UsageSummary& out);

// True when the marker of the current row layout is stored (another layout's marker: false).
Result<bool> aggregates_current(const store::KvReader& view);
// Removes every aggregate row and the marker, a few thousand at a time (not atomic: callers
// rebuild every row afterwards and set the marker last).
Status clear_aggregates(store::KvStore& store, store::WriteOptions options);
// Puts the marker of the current row layout into `batch`.
void mark_aggregates_current(store::WriteBatch& batch);

}  // namespace fleetgate::ledger
