// The usage log kept in a region's KvStore (the embedded region store) under "usage/" + time_ms
// (8 bytes big-endian, sign bit flipped) + seq (8 bytes big-endian), so a time range is one range
// scan in time order, and beside them their hourly aggregates (usage_aggregates.h), written in the
// same atomic batch. Values are a compact versioned binary encoding (usage_codec.h).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::ledger {

// Key layout helpers, exposed for tests.
std::string usage_key(int64_t time_ms, uint64_t seq);
// The first key at or after time `time_ms` (any seq).
std::string usage_key_lower_bound(int64_t time_ms);

struct UsageLogOptions {
  // Default true: append() returns only once its record is on stable storage (fsynced WAL).
  bool sync = true;
};

// Concurrent append() calls are group-committed: one caller writes the records of every waiting
// caller, with the aggregate rows they change, in a single atomic batch with one fsync, and each
// caller gets that batch's status. scan() visits records in (time_ms, seq) order on a snapshot.
// REQUIRES: the store outlives the log; one KvUsageLog per store, and nothing else writes its keys.
class KvUsageLog final : public UsageLog {
 public:
  // Opens the log kept in `store` for region `region` and resumes its sequence counter. A log
  // whose aggregates are missing or of another layout (written by an older fleetgate) has them
  // rebuilt from its records first, once. kDataLoss when the stored counter or a record is damaged.
  static Result<std::unique_ptr<KvUsageLog>> open(store::KvStore& store, std::string region,
                                                  UsageLogOptions options = {});

  Status append_all(std::span<const UsageRecord> records) override;
  Status scan(int64_t from_ms, int64_t to_ms, const std::function<Status(const UsageRecord&)>& fn) const override;
  Status totals(int64_t from_ms, int64_t to_ms, UsageSummary& out) const override;
  Result<uint64_t> expire(int64_t before_ms, std::string_view market) override;

 private:
  struct Pending;
  KvUsageLog(store::KvStore& store, std::string region, UsageLogOptions options, uint64_t next_seq);
  // Writes the records of `group`, numbered from `first_seq`, plus the advanced sequence
  // counter in one batch. Only the leader of a group commit calls it.
  Status commit(std::span<const UsageRecord* const> group, uint64_t first_seq);

  store::KvStore& store_;
  const UsageLogOptions options_;
  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  std::deque<Pending*> queue_;  // waiting appends; the front one leads the next group commit
  uint64_t next_seq_;
};

}  // namespace fleetgate::ledger
