// The usage log of one region: every assistant request the gateway served (or refused), durably
// appended in the region, with hourly aggregates per UsageKey kept beside the records. Raw records
// never leave their region; settlement reads only the aggregates (business.usage). Two stores keep
// it: the region's embedded KvStore (kv_usage_log.h) and, for a region whose telemetry is on
// JetStream, the region's PostgreSQL (query_store/pg_usage_log.h), which every node shares.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <utility>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_totals.h"

namespace fleetgate::ledger {

struct UsageRecord {
  int64_t time_ms = 0;  // when the request finished, ms since the Unix epoch (UTC)
  // Unique per request across nodes (the gateway's are random per thread): the PostgreSQL log
  // stores a record once per (time_ms, request_id), so a retried batch is not counted twice.
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

// Thread-safe. What the gateway's meter writes to and settlement reads from.
class UsageLog {
 public:
  virtual ~UsageLog() = default;

  // Appends one record durably. kInvalidArgument when validate() fails or the record's region
  // is not this log's region (raw usage stays in its home region); storage errors otherwise.
  Status append(UsageRecord record);
  // Appends `records` as one atomic batch (all or none), acknowledged once durable; the same
  // checks as append(), for each. After kUnavailable the same batch may be appended again and is
  // stored once: the embedded log wrote none of it, the PostgreSQL one skips records it holds.
  virtual Status append_all(std::span<const UsageRecord> records) = 0;

  // Calls `fn` for every record with from_ms <= time_ms < to_ms, in time order, on a consistent
  // view, possibly decoding into one reused record (copy it to keep it). Stops early and returns
  // the callback's status when that is not OK; kDataLoss for an undecodable record.
  virtual Status scan(int64_t from_ms, int64_t to_ms, const std::function<Status(const UsageRecord&)>& fn) const = 0;

  // Adds to `out` the totals of every record with from_ms <= time_ms < to_ms, from the hourly
  // aggregates: equal to adding up what scan() visits, without reading a record.
  // kInvalidArgument unless both bounds are whole UTC hours (every Period's are); kDataLoss for a
  // damaged aggregate.
  virtual Status totals(int64_t from_ms, int64_t to_ms, UsageSummary& out) const = 0;

  // Deletes the records of vehicles of `market` with time_ms < before_ms (a retention period);
  // how many. The hourly aggregates totals() reads name no vehicle and stay, so settlement of
  // those hours is unchanged.
  virtual Result<uint64_t> expire(int64_t before_ms, std::string_view market) = 0;

  const std::string& region() const { return region_; }

 protected:
  explicit UsageLog(std::string region) : region_(std::move(region)) {}
  // validate(r), and r.region is this log's.
  Status check(const UsageRecord& r) const;

 private:
  const std::string region_;
};

}  // namespace fleetgate::ledger
