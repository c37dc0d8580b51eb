// The usage log of one region: every assistant request the gateway served (or refused), durably
// appended to that region's KvStore under "usage/" + time_ms (8 bytes big-endian, sign bit
// flipped) + seq (8 bytes big-endian), so a time range is one range scan in time order, and
// beside them their hourly aggregates (usage_aggregates.h), written in the same atomic batch.
// Raw records never leave their region's store; settlement reads only the aggregates
// (business.usage). Values are a compact versioned binary encoding (usage_codec.h).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_totals.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::ledger {

struct UsageRecord {
  int64_t time_ms = 0;  // when the request finished, ms since the Unix epoch (UTC)
  std::string request_id;
  std::string vehicle_pseudonym;
  std::string region;   // home region of the vehicle; must equal the log's region
  std::string market;   // ISO 3166 code the vehicle is registered in, e.g. "CN", "DE"
  std::string feature;  // "assistant", "fsd", ...
  std::string provider; // "deepseek", "xai", "onboard", ...
  std::string model;
  int64_t prompt_tokens = 0;  // input tokens, cached ones included
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // the part of prompt_tokens served from the provider's cache
  int64_t reasoning_tokens = 0;
  int32_t tool_calls = 0;
  int32_t refused_tool_calls = 0;
  std::string outcome;  // "ok", "error", "refused" or "cancelled"
  int64_t latency_us = 0;

  bool operator==(const UsageRecord&) const = default;
};

// The most tokens one request may be metered with, per count: more than any model's context
// window, so a record at this bound is a provider's implausible claim, bounded by the meter and
// flagged by settlement (UsageTotals::outliers).
inline constexpr int64_t kMaxTokensPerRecord = 4'000'000;

// OK when `r` is well formed: required text fields (region, market, feature, provider, model,
// outcome) present, outcome one of the four values, counts non-negative, token counts at most
// kMaxTokensPerRecord, cached <= prompt,
// refused_tool_calls <= tool_calls. kInvalidArgument naming the first bad field otherwise.
Status validate(const UsageRecord& r);

// Key layout helpers, exposed for tests and for the settlement's period ranges.
std::string usage_key(int64_t time_ms, uint64_t seq);
// The first key at or after time `time_ms` (any seq).
std::string usage_key_lower_bound(int64_t time_ms);

struct UsageLogOptions {
  // Default true: append() returns only once its record is on stable storage (fsynced WAL).
  bool sync = true;
};

// Thread-safe. Concurrent append() calls are group-committed: one caller writes the records of
// every waiting caller, with the aggregate rows they change, in a single atomic batch with one
// fsync, and each caller gets that batch's status. REQUIRES: the store outlives the log; one
// UsageLog per store, and nothing else writes its keys.
class UsageLog {
 public:
  // Opens the log kept in `store` for region `region` and resumes its sequence counter. A log
  // whose aggregates are missing or of another layout (written by an older fleetgate) has them
  // rebuilt from its records first, once. kDataLoss when the stored counter or a record is damaged.
  static Result<std::unique_ptr<UsageLog>> open(store::KvStore& store, std::string region,
                                                UsageLogOptions options = {});

  // Appends one record durably. kInvalidArgument when validate() fails or the record's region
  // is not this log's region (raw usage stays in its home region); storage errors otherwise.
  Status append(UsageRecord record);
  // Appends `records` as one atomic batch (all or none); the same checks as append(), for each.
  Status append_all(std::span<const UsageRecord> records);

  // Calls `fn` for every record with from_ms <= time_ms < to_ms, in (time_ms, seq) order, on a
  // consistent snapshot, decoding into one reused record (copy it to keep it). Stops early
  // and returns the callback's status when that is not OK; kDataLoss for an undecodable value.
  Status scan(int64_t from_ms, int64_t to_ms, const std::function<Status(const UsageRecord&)>& fn) const;

  // Adds to `out` the totals of every record with from_ms <= time_ms < to_ms, from the hourly
  // aggregates on a consistent snapshot: equal to adding up what scan() visits, without reading a
  // record. kInvalidArgument unless both bounds are whole UTC hours (every Period's are);
  // kDataLoss for a damaged aggregate.
  Status totals(int64_t from_ms, int64_t to_ms, UsageSummary& out) const;

  const std::string& region() const { return region_; }

 private:
  struct Pending;
  UsageLog(store::KvStore& store, std::string region, UsageLogOptions options, uint64_t next_seq);
  Status check(const UsageRecord& r) const;
  // Writes the records of `group`, numbered from `first_seq`, plus the advanced sequence
  // counter in one batch. Only the leader of a group commit calls it.
  Status commit(std::span<const UsageRecord* const> group, uint64_t first_seq);

  store::KvStore& store_;
  const std::string region_;
  const UsageLogOptions options_;
  std::mutex mu_;  // guards the fields below
  std::condition_variable cv_;
  std::deque<Pending*> queue_;  // waiting appends; the front one leads the next group commit
  uint64_t next_seq_;
};

}  // namespace fleetgate::ledger
