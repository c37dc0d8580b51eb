// Usage aggregated per (feature, market, region, provider, model): additive totals, so sums of
// sums equal the sum of the records (the usage log keeps them per hour, settlement per period).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <string>

namespace fleetgate::ledger {

struct UsageRecord;

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

// The fields in their stored order (the usage log's aggregate rows, usage_to_json); const-ness
// follows the argument.
template <typename Totals>
auto totals_fields(Totals& t) {
  return std::array{&t.records,           &t.served,           &t.prompt_tokens,
                    &t.cached_tokens,     &t.completion_tokens, &t.reasoning_tokens,
                    &t.tool_calls,        &t.refused_tool_calls, &t.outliers};
}
template <typename Key>
auto key_fields(Key& k) {
  return std::array{&k.feature, &k.market, &k.region, &k.provider, &k.model};
}

}  // namespace fleetgate::ledger
