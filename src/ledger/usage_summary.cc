#include "fleetgate/ledger/usage_summary.h"

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <thread>
#include <unordered_map>
#include <vector>

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

// The fields in kTotalsFields / kKeyFields order; const-ness follows the argument.
template <typename Totals>
auto fields_of_totals(Totals& t) {
  return std::array{&t.records, &t.served, &t.prompt_tokens, &t.cached_tokens, &t.completion_tokens,
                    &t.reasoning_tokens, &t.tool_calls, &t.refused_tool_calls, &t.outliers};
}
template <typename Key>
auto fields_of_key(Key& k) {
  return std::array{&k.feature, &k.market, &k.region, &k.provider, &k.model};
}

// One log's records, keyed by the five key fields joined with '\0' (cheap to hash per record).
Status aggregate_log(const UsageLog& log, Period period, std::atomic<int64_t>& position_ms, UsageSummary& out) {
  std::unordered_map<std::string, UsageTotals> totals;
  std::string flat;
  int64_t seen = 0;
  Status s = log.scan(period.start_ms(), period.end_ms(), [&](const UsageRecord& r) {
    flat.clear();
    for (const std::string* f : {&r.feature, &r.market, &r.region, &r.provider, &r.model}) {
      flat.append(*f);
      flat.push_back('\0');
    }
    totals[flat].add(r);
    if ((++seen & 0xffff) == 0) position_ms.store(r.time_ms, std::memory_order_relaxed);
    return Status::ok();
  });
  position_ms.store(period.end_ms(), std::memory_order_relaxed);
  if (!s.is_ok()) return s;
  for (auto& [flat_key, t] : totals) {
    UsageKey key;
    size_t start = 0;
    for (std::string* f : fields_of_key(key)) {
      const size_t end = flat_key.find('\0', start);
      f->assign(flat_key, start, end - start);
      start = end + 1;
    }
    out[std::move(key)].merge(t);
  }
  return Status::ok();
}

}  // namespace

void UsageTotals::add(const UsageRecord& r) {
  ++records;
  if (r.outcome != "ok" && r.outcome != "cancelled") return;
  ++served;
  prompt_tokens += r.prompt_tokens;
  cached_tokens += r.cached_tokens;
  completion_tokens += r.completion_tokens;
  reasoning_tokens += r.reasoning_tokens;
  tool_calls += r.tool_calls;
  refused_tool_calls += r.refused_tool_calls;
  if (r.prompt_tokens >= kMaxTokensPerRecord || r.completion_tokens >= kMaxTokensPerRecord) ++outliers;
}

void UsageTotals::merge(const UsageTotals& other) {
  const auto mine = fields_of_totals(*this);
  const auto theirs = fields_of_totals(other);
  for (size_t i = 0; i < mine.size(); ++i) *mine[i] += *theirs[i];
}

Result<UsageSummary> summarise_usage(std::span<const UsageLog* const> logs, Period period, const Progress& progress) {
  std::vector<UsageSummary> parts(logs.size());
  std::vector<Status> statuses(logs.size());
  std::vector<std::atomic<int64_t>> positions(logs.size());
  for (auto& p : positions) p.store(period.start_ms());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < logs.size(); ++i) {
    threads.emplace_back([&, i] { statuses[i] = aggregate_log(*logs[i], period, positions[i], parts[i]); });
  }
  if (progress) {
    const double span = static_cast<double>(period.end_ms() - period.start_ms()) * static_cast<double>(logs.size());
    for (;;) {
      int64_t done = 0;
      for (auto& p : positions) done += p.load(std::memory_order_relaxed) - period.start_ms();
      progress(static_cast<double>(done) / span);
      if (done >= (period.end_ms() - period.start_ms()) * static_cast<int64_t>(logs.size())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  for (auto& t : threads) t.join();
  UsageSummary summary;
  for (size_t i = 0; i < logs.size(); ++i) {
    if (!statuses[i].is_ok()) return statuses[i];
    for (auto& [k, v] : parts[i]) summary[k].merge(v);
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
    for (size_t i = 0; i < kKeyFields.size(); ++i) row[kKeyFields[i]] = *fields_of_key(key)[i];
    for (size_t i = 0; i < kTotalsFields.size(); ++i) row[kTotalsFields[i]] = *fields_of_totals(totals)[i];
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
      *fields_of_key(k)[i] = std::string(v->as_string());
    }
    for (size_t i = 0; i < kTotalsFields.size(); ++i) {
      const json::value* v = o->if_contains(kTotalsFields[i]);
      if (v == nullptr && kTotalsFields[i] == kOptionalTotalsField) continue;
      if (v == nullptr || !v->is_int64()) return data_loss("stored usage summary row lacks " + std::string(kTotalsFields[i]));
      *fields_of_totals(t)[i] = v->as_int64();
    }
    out[std::move(k)].merge(t);
  }
  return out;
}

}  // namespace fleetgate::ledger
