// Test support shared by the usage logs' tests: random records that land on and beside hour and
// month edges, and the property every UsageLog keeps: totals() equal adding up what scan() visits.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "fleetgate/ledger/period.h"
#include "fleetgate/ledger/usage_aggregates.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/ledger/usage_summary.h"

namespace fleetgate::ledger::usage_testing {

inline const int64_t kNov = *parse_utc_time("2026-11-01");
inline const int64_t kDec = *parse_utc_time("2026-12-01");
inline constexpr int64_t kHour = kUsageBucketMs;

// A valid record at `time_ms` with fields drawn from small sets, so that keys repeat, and with
// every outcome and token claims at the meter's bound now and then.
inline UsageRecord random_record(std::mt19937_64& rng, int64_t time_ms) {
  static const char* kFeatures[] = {"assistant", "fsd"};
  static const char* kMarkets[] = {"CN", "DE"};
  static const std::pair<const char*, const char*> kModels[] = {{"deepseek", "deepseek-chat"}, {"onboard", "fleetgate-onboard"}};
  static const char* kOutcomes[] = {"ok", "error", "refused", "cancelled"};
  UsageRecord r;
  r.time_ms = time_ms;
  r.request_id = "req-" + std::to_string(rng());
  r.vehicle_pseudonym = "p_1";
  r.region = "cn";
  r.market = kMarkets[rng() % 2];
  r.feature = kFeatures[rng() % 2];
  const auto& [provider, model] = kModels[rng() % 2];
  r.provider = provider;
  r.model = model;
  r.prompt_tokens = rng() % 20 == 0 ? kMaxTokensPerRecord : static_cast<int64_t>(rng() % 5000);
  r.cached_tokens = static_cast<int64_t>(rng() % static_cast<uint64_t>(r.prompt_tokens + 1));
  r.completion_tokens = rng() % 20 == 0 ? kMaxTokensPerRecord : static_cast<int64_t>(rng() % 900);
  r.reasoning_tokens = static_cast<int64_t>(rng() % 300);
  r.tool_calls = static_cast<int32_t>(rng() % 4);
  r.refused_tool_calls = static_cast<int32_t>(rng() % static_cast<uint64_t>(r.tool_calls + 1));
  r.outcome = kOutcomes[rng() % 4];
  r.latency_us = static_cast<int64_t>(rng() % 1'000'000);
  return r;
}

// A time within three hours of a month boundary, often exactly on or one ms beside an hour edge.
inline int64_t random_time(std::mt19937_64& rng) {
  const int64_t boundary = rng() % 2 ? kNov : kDec;
  const int64_t hour = static_cast<int64_t>(rng() % 6) - 3;
  const int64_t edges[] = {0, 1, kHour - 1};
  const int64_t within = rng() % 2 ? edges[rng() % 3] : static_cast<int64_t>(rng() % static_cast<uint64_t>(kHour));
  return boundary + hour * kHour + within;
}

// What the aggregates must equal: the raw records of [from, to) added up one by one.
inline UsageSummary raw_summary(const UsageLog& log, int64_t from_ms, int64_t to_ms) {
  UsageSummary out;
  const Status s = log.scan(from_ms, to_ms, [&](const UsageRecord& r) {
    out[UsageKey{r.feature, r.market, r.region, r.provider, r.model}].add(r);
    return Status::ok();
  });
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return out;
}

inline UsageSummary aggregate_summary(const UsageLog& log, int64_t from_ms, int64_t to_ms) {
  UsageSummary out;
  const Status s = log.totals(from_ms, to_ms, out);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return out;
}

// Every period and whole-hour range around both month boundaries.
inline void expect_totals_equal_raw(const UsageLog& log, const std::string& context) {
  for (const char* p : {"2026-10", "2026-11", "2026-12"}) {
    const Period period = *Period::parse(p);
    const UsageLog* logs[] = {&log};
    auto settled = summarise_usage(logs, period);
    ASSERT_TRUE(settled.is_ok()) << settled.status().to_string();
    EXPECT_EQ(*settled, raw_summary(log, period.start_ms(), period.end_ms())) << context << " period " << p;
  }
  for (int64_t boundary : {kNov, kDec}) {
    for (int64_t from = -4; from <= 4; ++from) {
      for (int64_t to = from; to <= 4; ++to) {
        const int64_t f = boundary + from * kHour, t = boundary + to * kHour;
        EXPECT_EQ(aggregate_summary(log, f, t), raw_summary(log, f, t)) << context << " hours [" << from << ", " << to << ")";
      }
    }
  }
}

}  // namespace fleetgate::ledger::usage_testing
