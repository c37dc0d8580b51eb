// Metered usage of one period, aggregated per (feature, market, region, provider, model): the
// only form in which usage leaves its region (data class business.usage). Building it streams
// over each region's usage log with memory bounded by the number of distinct keys.
#pragma once

#include <boost/json/value.hpp>
#include <compare>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/allocation.h"
#include "fleetgate/ledger/ledger_config.h"
#include "fleetgate/ledger/period.h"
#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::ledger {

struct UsageKey {
  std::string feature;
  std::string market;
  std::string region;
  std::string provider;
  std::string model;
  auto operator<=>(const UsageKey&) const = default;
};

struct UsageTotals {
  int64_t records = 0;
  int64_t served = 0;  // outcome ok or cancelled: work a provider actually did
  // Token counts of served records only.
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t reasoning_tokens = 0;
  int64_t tool_calls = 0;
  int64_t refused_tool_calls = 0;
  // Served records whose prompt or completion count sits at kMaxTokensPerRecord: a provider's
  // claim the meter had to bound, flagged in statements for review.
  int64_t outliers = 0;

  void add(const UsageRecord& r);
  void merge(const UsageTotals& other);
  bool operator==(const UsageTotals&) const = default;
};

using UsageSummary = std::map<UsageKey, UsageTotals>;

// Called with the fraction of the period's time range scanned so far (0..1), on the caller's thread.
using Progress = std::function<void(double)>;

// Aggregates the records of `period` from every log, one thread per log. The errors of
// UsageLog::scan.
Result<UsageSummary> summarise_usage(std::span<const UsageLog* const> logs, Period period,
                                     const Progress& progress = {});

// True when `feature` is metered by priced tokens, `totals` hold tokens and the price table has
// no price for key's provider/model in the feature's price currency.
bool unpriced(const UsageKey& key, const UsageTotals& totals, const Feature& feature, const LedgerConfig& config);

// The work `totals` represent under `feature`'s metric; unpriced() usage counts as none, so a
// missing price never blocks a settlement (statements list such usage under "unpriced").
Wide work_of(const UsageKey& key, const UsageTotals& totals, const Feature& feature, const LedgerConfig& config);

// Provider cost of `totals` in minor units of `price.currency`, rounded half up.
int64_t cost_minor(const UsageTotals& totals, const Price& price);

// A sorted JSON array of rows (key fields then totals) and back (kDataLoss when malformed; rows
// stored before "outliers" existed read as 0 outliers).
boost::json::value usage_to_json(const UsageSummary& summary);
Result<UsageSummary> usage_from_json(const boost::json::value& rows);

}  // namespace fleetgate::ledger
