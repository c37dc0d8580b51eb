// The region's usage log in PostgreSQL: the same property as the embedded log's aggregates
// (ledger/usage_aggregates_test.cc), and what sharing one database between nodes adds: a batch
// sent again is counted once, and nodes appending at once lose nothing.
#include "fleetgate/query_store/pg_usage_log.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>
#include <vector>

#include "fleetgate/ledger/usage_test_records.h"
#include "fleetgate/query_store/region_schema.h"
#include "support/pg_server.h"

namespace fleetgate::query_store {
namespace {

using ledger::UsageRecord;
using ledger::UsageSummary;
using ledger::usage_testing::aggregate_summary;
using ledger::usage_testing::expect_totals_equal_raw;
using ledger::usage_testing::kDec;
using ledger::usage_testing::kHour;
using ledger::usage_testing::kNov;
using ledger::usage_testing::random_record;
using ledger::usage_testing::random_time;
using ledger::usage_testing::raw_summary;

std::vector<UsageRecord> random_batch(std::mt19937_64& rng, size_t n) {
  std::vector<UsageRecord> out;
  for (size_t i = 0; i < n; ++i) out.push_back(random_record(rng, random_time(rng)));
  return out;
}

int64_t records_in(const UsageSummary& s) {
  int64_t n = 0;
  for (const auto& [key, totals] : s) n += totals.records;
  return n;
}

class PgUsageLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(pg_.dsn().empty());
    auto migrated = migrate_region_pg(pg_.dsn());
    ASSERT_TRUE(migrated.is_ok()) << migrated.status().to_string();
    log_ = open();
    ASSERT_NE(log_, nullptr);
  }
  // Another node's log of the same region database.
  std::unique_ptr<PgUsageLog> open() {
    auto opened = PgUsageLog::open(pg_.dsn(), "cn");
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    return opened.is_ok() ? std::move(opened).value() : nullptr;
  }

  testing::PgServer pg_;
  std::unique_ptr<PgUsageLog> log_;
};

TEST_F(PgUsageLogTest, TotalsEqualTheRawRecordsAcrossHourAndPeriodBoundaries) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    std::mt19937_64 rng(seed);
    for (int batch = 0; batch < 20; ++batch) ASSERT_TRUE(log_->append_all(random_batch(rng, 1 + rng() % 30)).is_ok());
    expect_totals_equal_raw(*log_, "seed " + std::to_string(seed));
    if (HasFailure()) return;
  }
  expect_totals_equal_raw(*open(), "read by another node");
}

TEST_F(PgUsageLogTest, ABatchSentAgainIsCountedOnce) {
  std::mt19937_64 rng(21);
  const std::vector<UsageRecord> batch = random_batch(rng, 40);
  ASSERT_TRUE(log_->append_all(batch).is_ok());
  const UsageSummary once = aggregate_summary(*log_, kNov - 4 * kHour, kDec + 4 * kHour);
  ASSERT_EQ(records_in(once), 40);

  ASSERT_TRUE(log_->append_all(batch).is_ok()) << "a retry after a lost COMMIT reply";
  ASSERT_TRUE(open()->append_all(batch).is_ok()) << "the same batch from another node";
  EXPECT_EQ(aggregate_summary(*log_, kNov - 4 * kHour, kDec + 4 * kHour), once);

  // Half sent before, half new, one record twice within the batch: only the new ones count.
  std::vector<UsageRecord> mixed(batch.begin(), batch.begin() + 20);
  const std::vector<UsageRecord> fresh = random_batch(rng, 10);
  mixed.insert(mixed.end(), fresh.begin(), fresh.end());
  mixed.push_back(fresh.front());
  ASSERT_TRUE(log_->append_all(mixed).is_ok());
  EXPECT_EQ(records_in(aggregate_summary(*log_, kNov - 4 * kHour, kDec + 4 * kHour)), 50);
  expect_totals_equal_raw(*log_, "after resends");
}

TEST_F(PgUsageLogTest, TwoNodesAppendingAtOnceLoseNothing) {
  constexpr int kNodes = 2, kThreadsPerNode = 3, kBatches = 25, kPerBatch = 8;
  std::vector<std::unique_ptr<PgUsageLog>> nodes;
  for (int n = 0; n < kNodes; ++n) nodes.push_back(open());
  std::vector<std::thread> threads;
  for (int n = 0; n < kNodes; ++n) {
    for (int t = 0; t < kThreadsPerNode; ++t) {
      threads.emplace_back([&, n, t] {
        std::mt19937_64 rng(static_cast<uint64_t>(100 + n * kThreadsPerNode + t));
        for (int b = 0; b < kBatches; ++b) {
          // Every batch lands in the hours around one boundary, so the nodes contend for the same rows.
          ASSERT_TRUE(nodes[static_cast<size_t>(n)]->append_all(random_batch(rng, kPerBatch)).is_ok());
        }
      });
    }
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(records_in(aggregate_summary(*log_, kNov - 4 * kHour, kDec + 4 * kHour)),
            kNodes * kThreadsPerNode * kBatches * kPerBatch);
  expect_totals_equal_raw(*log_, "two nodes at once");
}

TEST_F(PgUsageLogTest, RecordsBeforeTheEpochFallInTheirOwnHour) {
  std::mt19937_64 rng(9);
  for (int64_t t : {-kHour - 1, -kHour, int64_t{-1}, int64_t{0}, kHour - 1}) {
    ASSERT_TRUE(log_->append(random_record(rng, t)).is_ok());
  }
  for (int64_t from = -2; from <= 1; ++from) {
    for (int64_t to = from; to <= 2; ++to) {
      EXPECT_EQ(aggregate_summary(*log_, from * kHour, to * kHour), raw_summary(*log_, from * kHour, to * kHour))
          << from << " " << to;
    }
  }
}

TEST_F(PgUsageLogTest, AScanCrossesPagesInTimeOrderAndStopsWhenAsked) {
  std::mt19937_64 rng(5);
  std::vector<UsageRecord> many;
  for (int i = 0; i < 10'050; ++i) many.push_back(random_record(rng, kNov + (i % 7)));
  ASSERT_TRUE(log_->append_all(many).is_ok());
  size_t seen = 0;
  UsageRecord last;
  ASSERT_TRUE(log_->scan(kNov, kNov + kHour, [&](const UsageRecord& r) {
                    EXPECT_TRUE(seen == 0 || std::pair(last.time_ms, last.request_id) < std::pair(r.time_ms, r.request_id));
                    last = r;
                    ++seen;
                    return Status::ok();
                  }).is_ok());
  EXPECT_EQ(seen, many.size());
  const Status stopped = log_->scan(kNov, kNov + kHour, [](const UsageRecord&) { return aborted("enough"); });
  EXPECT_EQ(stopped.code(), Code::kAborted);
  EXPECT_TRUE(log_->append(random_record(rng, kNov)).is_ok()) << "the stopped scan's connection is usable again";
}

TEST_F(PgUsageLogTest, RefusesWhatItCannotKeep) {
  std::mt19937_64 rng(3);
  UsageRecord r = random_record(rng, kNov);
  r.request_id.clear();
  EXPECT_EQ(log_->append(r).code(), Code::kInvalidArgument) << "a record's identity here";
  r = random_record(rng, kNov);
  r.region = "eu";
  EXPECT_EQ(log_->append(r).code(), Code::kInvalidArgument) << "raw usage stays in its home region";
  UsageSummary out;
  EXPECT_EQ(log_->totals(kNov + 1, kDec, out).code(), Code::kInvalidArgument);
  EXPECT_TRUE(raw_summary(*log_, kNov - kHour, kDec).empty()) << "nothing of a refused batch is stored";

  testing::PgServer bare;
  ASSERT_FALSE(bare.dsn().empty());
  EXPECT_EQ(PgUsageLog::open(bare.dsn(), "cn").status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace fleetgate::query_store
