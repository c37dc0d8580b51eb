#include "fleetgate/ledger/usage_summary.h"

#include <boost/json.hpp>

#include "fleetgate/core/money.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;

constexpr std::array<std::string_view, 9> kTotalsFields = {"records", "served", "prompt_tokens", "cached_tokens",
                                                           "completion_tokens", "reasoning_tokens", "tool_calls",
                                                           "refused_tool_calls", "outliers"};
// Added after summaries were first stored at close: absent reads as 0.
constexpr std::string_view kOptionalTotalsField = "outliers";
constexpr std::array<std::string_view, 5> kKeyFields = {"feature", "market", "region", "provider", "model"};

}  // namespace

Result<UsageSummary> summarise_usage(std::span<const UsageLog* const> logs, Period period, const Progress& progress) {
  UsageSummary summary;
  for (size_t i = 0; i < logs.size(); ++i) {
    if (auto s = logs[i]->totals(period.start_ms(), period.end_ms(), summary); !s.is_ok()) return s;
    if (progress) progress(static_cast<double>(i + 1) / static_cast<double>(logs.size()));
  }
  return summary;
}

bool unpriced(const UsageKey& key, const UsageTotals& t, const Feature& feature, const LedgerConfig& config) {
  return feature.metric == Metric::kPricedTokens && t.prompt_tokens + t.completion_tokens > 0 &&
         config.price(key.provider, key.model, feature.price_currency) == nullptr;
}

Wide work_of(const UsageKey& key, const UsageTotals& t, const Feature& feature, const LedgerConfig& config) {
  switch (feature.metric) {
    case Metric::kRequests: return static_cast<Wide>(t.served);
    case Metric::kTokens: return static_cast<Wide>(t.prompt_tokens) + static_cast<Wide>(t.completion_tokens);
    case Metric::kPricedTokens: break;
  }
  const Price* p = config.price(key.provider, key.model, feature.price_currency);
  if (p == nullptr) return 0;
  return static_cast<Wide>(t.prompt_tokens - t.cached_tokens) * static_cast<Wide>(p->input_micro) +
         static_cast<Wide>(t.cached_tokens) * static_cast<Wide>(p->cached_input_micro) +
         static_cast<Wide>(t.completion_tokens) * static_cast<Wide>(p->output_micro);
}

int64_t cost_minor(const UsageTotals& t, const Price& price) {
  const Wide micro_per_million = static_cast<Wide>(t.prompt_tokens - t.cached_tokens) * static_cast<Wide>(price.input_micro) +
                                 static_cast<Wide>(t.cached_tokens) * static_cast<Wide>(price.cached_input_micro) +
                                 static_cast<Wide>(t.completion_tokens) * static_cast<Wide>(price.output_micro);
  // tokens * micro-units per million tokens -> major units: divide by 10^12; then to minor.
  Wide scale = 1'000'000'000'000;
  for (int d = *money::minor_digits(price.currency); d > 0; --d) scale /= 10;
  return static_cast<int64_t>((micro_per_million + scale / 2) / scale);
}

json::value usage_to_json(const UsageSummary& summary) {
  json::array rows;
  for (const auto& [key, totals] : summary) {
    json::object row;
    for (size_t i = 0; i < kKeyFields.size(); ++i) row[kKeyFields[i]] = *key_fields(key)[i];
    for (size_t i = 0; i < kTotalsFields.size(); ++i) row[kTotalsFields[i]] = *totals_fields(totals)[i];
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<UsageSummary> usage_from_json(const json::value& rows) {
  if (!rows.is_array()) return data_loss("stored usage summary is not an array");
  UsageSummary out;
  for (const auto& row : rows.as_array()) {
    const json::object* o = row.if_object();
    if (o == nullptr) return data_loss("stored usage summary row is not an object");
    UsageKey k;
    UsageTotals t;
    for (size_t i = 0; i < kKeyFields.size(); ++i) {
      const json::value* v = o->if_contains(kKeyFields[i]);
      if (v == nullptr || !v->is_string()) return data_loss("stored usage summary row lacks " + std::string(kKeyFields[i]));
      *key_fields(k)[i] = std::string(v->as_string());
    }
    for (size_t i = 0; i < kTotalsFields.size(); ++i) {
      const json::value* v = o->if_contains(kTotalsFields[i]);
      if (v == nullptr && kTotalsFields[i] == kOptionalTotalsField) continue;
      if (v == nullptr || !v->is_int64()) return data_loss("stored usage summary row lacks " + std::string(kTotalsFields[i]));
      *totals_fields(t)[i] = v->as_int64();
    }
    out[std::move(k)].merge(t);
  }
  return out;
}

}  // namespace fleetgate::ledger
