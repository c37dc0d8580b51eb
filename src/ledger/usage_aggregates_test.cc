// The usage log's hourly aggregates against the ground truth: adding up the raw records.
#include "fleetgate/ledger/usage_aggregates.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "fleetgate/ledger/usage_codec.h"
#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/ledger/usage_summary.h"
#include "fleetgate/ledger/usage_test_records.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::ledger {
namespace {

using usage_testing::kDec;
using usage_testing::kHour;
using usage_testing::kNov;
using usage_testing::random_record;
using usage_testing::random_time;

// A KvStore over another whose writes fail with kUnavailable one time in `fail_one_in` (0: never),
// at pseudo-random, and then apply nothing, as a disk that errors, or a process that dies before
// its write, does.
class FailingStore final : public store::KvStore {
 public:
  explicit FailingStore(store::KvStore& inner) : inner_(inner) {}
  std::atomic<int> fail_one_in = 0;

  Result<std::string> get(std::string_view key) const override { return inner_.get(key); }
  std::unique_ptr<store::KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return inner_.scan(prefix, start);
  }
  Status write(const store::WriteBatch& batch, store::WriteOptions options) override {
    if (fails()) return unavailable("injected write failure");
    return inner_.write(batch, options);
  }
  Status write_if(std::string_view key, const std::optional<std::string>& expected,
                  const store::WriteBatch& batch) override {
    if (fails()) return unavailable("injected write failure");
    return inner_.write_if(key, expected, batch);
  }
  std::unique_ptr<store::KvReader> snapshot() const override { return inner_.snapshot(); }

 private:
  bool fails() {
    const int one_in = fail_one_in;
    std::lock_guard lock(mu_);
    return one_in > 0 && rng_() % static_cast<unsigned>(one_in) == 0;
  }
  store::KvStore& inner_;
  std::mutex mu_;
  std::minstd_rand rng_{1};
};

class UsageAggregatesTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    log_.reset();
    failing_.reset();
    store_.reset();
    store_ = std::move(store::open_embedded(dir_.path())).value();
    failing_ = std::make_unique<FailingStore>(*store_);
    auto l = KvUsageLog::open(*failing_, "cn", {.sync = false});
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    log_ = std::move(l).value();
  }
  UsageSummary raw_summary(int64_t from_ms, int64_t to_ms) { return usage_testing::raw_summary(*log_, from_ms, to_ms); }
  UsageSummary aggregate_summary(int64_t from_ms, int64_t to_ms) {
    return usage_testing::aggregate_summary(*log_, from_ms, to_ms);
  }
  void expect_aggregates_equal_raw(const std::string& context) { usage_testing::expect_totals_equal_raw(*log_, context); }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<FailingStore> failing_;
  std::unique_ptr<UsageLog> log_;
};

TEST_F(UsageAggregatesTest, EqualTheRawRecordsAcrossHourAndPeriodBoundaries) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    std::mt19937_64 rng(seed);
    for (int batch = 0; batch < 20; ++batch) {
      std::vector<UsageRecord> records;
      for (size_t n = 1 + rng() % 30; n > 0; --n) records.push_back(random_record(rng, random_time(rng)));
      ASSERT_TRUE(log_->append_all(records).is_ok());
    }
    expect_aggregates_equal_raw("seed " + std::to_string(seed));
    if (HasFailure()) return;
  }
  reopen();
  expect_aggregates_equal_raw("after reopen");
}

TEST_F(UsageAggregatesTest, ConcurrentAppendsNeverLoseAnUpdate) {
  constexpr int kThreads = 8, kPerThread = 150;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t));
      for (int i = 0; i < kPerThread; ++i) ASSERT_TRUE(log_->append(random_record(rng, random_time(rng))).is_ok());
    });
  }
  for (auto& th : threads) th.join();
  int64_t records = 0;
  for (const auto& [key, totals] : aggregate_summary(kNov - 4 * kHour, kDec + 4 * kHour)) records += totals.records;
  EXPECT_EQ(records, kThreads * kPerThread);
  expect_aggregates_equal_raw("concurrent");
}

TEST_F(UsageAggregatesTest, AFailedBatchStoresNeitherRecordsNorAggregates) {
  failing_->fail_one_in = 3;
  std::atomic<int64_t> stored = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 mine(static_cast<uint64_t>(t) + 100);
      for (int i = 0; i < 100; ++i) {
        if (log_->append(random_record(mine, random_time(mine))).is_ok()) ++stored;
      }
    });
  }
  for (auto& th : threads) th.join();
  failing_->fail_one_in = 0;
  ASSERT_GT(stored.load(), 0);
  ASSERT_LT(stored.load(), 400) << "some group commits failed";
  int64_t records = 0;
  for (const auto& [key, totals] : raw_summary(kNov - 4 * kHour, kDec + 4 * kHour)) records += totals.records;
  EXPECT_EQ(records, stored.load()) << "a record is stored exactly when its append said OK";
  expect_aggregates_equal_raw("after failed batches");
  std::mt19937_64 rng(7);
  ASSERT_TRUE(log_->append(random_record(rng, kNov)).is_ok());
  expect_aggregates_equal_raw("after recovery");
}

TEST_F(UsageAggregatesTest, ALogWrittenBeforeAggregatesExistedIsCountedOnOpen) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) ASSERT_TRUE(log_->append(random_record(rng, random_time(rng))).is_ok());
  const UsageSummary before = raw_summary(kNov - 4 * kHour, kDec + 4 * kHour);
  // What an older fleetgate left: the records and their sequence counter, no rows, no marker.
  ASSERT_TRUE(clear_aggregates(*store_, {}).is_ok());
  ASSERT_FALSE(*aggregates_current(*store_));
  EXPECT_TRUE(aggregate_summary(kNov - 4 * kHour, kDec + 4 * kHour).empty());
  reopen();
  EXPECT_TRUE(*aggregates_current(*store_));
  EXPECT_EQ(aggregate_summary(kNov - 4 * kHour, kDec + 4 * kHour), before);
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(log_->append(random_record(rng, random_time(rng))).is_ok());
  expect_aggregates_equal_raw("appended after the rebuild");
}

TEST_F(UsageAggregatesTest, ARebuildCutShortStartsOverOnTheNextOpen) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(log_->append(random_record(rng, random_time(rng))).is_ok());
  // A crash part-way through a rebuild: some rows written (here: doubled), the marker not yet.
  store::WriteBatch partial;
  AggregateDelta twice;
  ASSERT_TRUE(log_->scan(kNov - 4 * kHour, kNov, [&](const UsageRecord& r) {
                    twice.add(r);
                    twice.add(r);
                    return Status::ok();
                  }).is_ok());
  ASSERT_TRUE(clear_aggregates(*store_, {}).is_ok());
  ASSERT_TRUE(twice.apply(*store_, partial).is_ok());
  ASSERT_TRUE(store_->write(partial).is_ok());
  reopen();
  expect_aggregates_equal_raw("rebuilt after a cut-short rebuild");
}

TEST_F(UsageAggregatesTest, RangesMustBeWholeHours) {
  UsageSummary out;
  EXPECT_EQ(log_->totals(kNov + 1, kDec, out).code(), Code::kInvalidArgument);
  EXPECT_EQ(log_->totals(kNov, kDec - 1, out).code(), Code::kInvalidArgument);
  EXPECT_TRUE(log_->totals(kDec, kNov, out).is_ok());
  EXPECT_TRUE(out.empty());
}

TEST_F(UsageAggregatesTest, RecordsBeforeTheEpochFallInTheirOwnHour) {
  std::mt19937_64 rng(9);
  for (int64_t t : {-kHour - 1, -kHour, int64_t{-1}, int64_t{0}, kHour - 1}) ASSERT_TRUE(log_->append(random_record(rng, t)).is_ok());
  for (int64_t from = -2; from <= 1; ++from) {
    for (int64_t to = from; to <= 2; ++to) {
      EXPECT_EQ(aggregate_summary(from * kHour, to * kHour), raw_summary(from * kHour, to * kHour)) << from << " " << to;
    }
  }
}

TEST_F(UsageAggregatesTest, ADamagedRowIsDataLossNotAWrongTotal) {
  std::mt19937_64 rng(11);
  ASSERT_TRUE(log_->append(random_record(rng, kNov)).is_ok());
  const auto snapshot = store_->snapshot();
  auto it = snapshot->scan(std::string_view("usage_agg/\0", 11));
  ASSERT_TRUE(it->valid());
  ASSERT_TRUE(store_->put(it->key(), "garbage").is_ok());
  UsageSummary out;
  EXPECT_EQ(log_->totals(kNov, kDec, out).code(), Code::kDataLoss);
  EXPECT_EQ(log_->append(random_record(rng, kNov)).code(), Code::kDataLoss) << "never adds to a damaged total";
}

TEST(UsageTotalsCodec, RoundTripsAndRejectsDamage) {
  UsageTotals t{1, 2, 3, 4, 5, 6, 7, 8, 9};
  const std::string bytes = encode_totals(t);
  UsageTotals back;
  ASSERT_TRUE(decode_totals(bytes, back).is_ok());
  EXPECT_EQ(back, t);
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_EQ(decode_totals(bytes.substr(0, n), back).code(), Code::kDataLoss) << n;
  EXPECT_EQ(decode_totals(bytes + "x", back).code(), Code::kDataLoss);
}

}  // namespace
}  // namespace fleetgate::ledger
