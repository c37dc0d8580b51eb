// Where a served region's usage log lives: its embedded store, or, with its telemetry on
// JetStream, the region's PostgreSQL, which two nodes of the region share so that either settles
// the usage both metered.
#include "fleetgate/app/usage_log_open.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/ledger/usage_test_records.h"
#include "fleetgate/query_store/pg_usage_log.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"
#include "support/pg_server.h"

namespace fleetgate::app {
namespace {

using ledger::usage_testing::aggregate_summary;
using ledger::usage_testing::kDec;
using ledger::usage_testing::kHour;
using ledger::usage_testing::kNov;
using ledger::usage_testing::random_record;
using ledger::usage_testing::random_time;

constexpr const char* kDsnVariable = "FG_TEST_USAGE_LOG_DSN";

config::Region region(config::RegionTelemetrySettings::Log log) {
  config::Region r;
  r.id = "cn";
  r.telemetry.log = log;
  r.telemetry.dsn_env = kDsnVariable;
  return r;
}

std::unique_ptr<store::KvStore> embedded(const store::TestDir& dir, const char* node) {
  auto s = store::open_embedded(dir.path() / node);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

TEST(UsageLogOpen, AnEmbeddedRegionKeepsItsUsageInItsStore) {
  store::TestDir dir;
  auto store = embedded(dir, "node");
  auto log = open_usage_log(region(config::RegionTelemetrySettings::Log::kEmbedded), *store);
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  EXPECT_NE(dynamic_cast<ledger::KvUsageLog*>(log->get()), nullptr);
}

TEST(UsageLogOpen, TwoNodesOfAJetStreamRegionSettleTheUsageBothMetered) {
  testing::PgServer pg;
  ASSERT_FALSE(pg.dsn().empty());
  ASSERT_TRUE(query_store::migrate_region_pg(pg.dsn()).is_ok());
  ::setenv(kDsnVariable, pg.dsn().c_str(), 1);
  store::TestDir dir;
  auto store_a = embedded(dir, "a"), store_b = embedded(dir, "b");
  const config::Region cn = region(config::RegionTelemetrySettings::Log::kJetStream);
  auto a = open_usage_log(cn, *store_a);
  auto b = open_usage_log(cn, *store_b);
  ::unsetenv(kDsnVariable);
  ASSERT_TRUE(a.is_ok()) << a.status().to_string();
  ASSERT_TRUE(b.is_ok()) << b.status().to_string();
  EXPECT_NE(dynamic_cast<query_store::PgUsageLog*>(a->get()), nullptr);

  std::mt19937_64 rng(1);
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((i % 2 == 0 ? **a : **b).append(random_record(rng, random_time(rng))).is_ok());
  }
  int64_t records = 0;
  for (const auto& [key, totals] : aggregate_summary(**a, kNov - 4 * kHour, kDec + 4 * kHour)) {
    records += totals.records;
  }
  EXPECT_EQ(records, 30) << "node a settles node b's usage too";
  EXPECT_EQ(aggregate_summary(**a, kNov - 4 * kHour, kDec + 4 * kHour),
            aggregate_summary(**b, kNov - 4 * kHour, kDec + 4 * kHour));
  EXPECT_FALSE(store_a->snapshot()->scan("usage")->valid()) << "nothing of it in a node's embedded store";
}

TEST(UsageLogOpen, AJetStreamRegionWithoutItsDatabaseIsAClearError) {
  store::TestDir dir;
  auto store = embedded(dir, "node");
  ::unsetenv(kDsnVariable);
  auto log = open_usage_log(region(config::RegionTelemetrySettings::Log::kJetStream), *store);
  EXPECT_EQ(log.status().code(), Code::kFailedPrecondition) << log.status().to_string();
  EXPECT_NE(log.status().message().find(kDsnVariable), std::string::npos) << log.status().to_string();
}

}  // namespace
}  // namespace fleetgate::app
