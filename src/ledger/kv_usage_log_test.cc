#include "fleetgate/ledger/kv_usage_log.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "fleetgate/ledger/usage_codec.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::ledger {
namespace {

UsageRecord record(int64_t time_ms, std::string id) {
  UsageRecord r;
  r.time_ms = time_ms;
  r.request_id = std::move(id);
  r.vehicle_pseudonym = "p_0123456789abcdef";
  r.region = "cn";
  r.market = "CN";
  r.feature = "assistant";
  r.provider = "deepseek";
  r.model = "deepseek-chat";
  r.prompt_tokens = 1200;
  r.completion_tokens = 300;
  r.cached_tokens = 800;
  r.reasoning_tokens = 0;
  r.tool_calls = 2;
  r.refused_tool_calls = 1;
  r.outcome = "ok";
  r.latency_us = 812345;
  return r;
}

class UsageLogTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    log_.reset();
    store_.reset();
    auto s = store::open_embedded(dir_.path());
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(s).value();
    auto l = KvUsageLog::open(*store_, "cn");
    ASSERT_TRUE(l.is_ok()) << l.status().to_string();
    log_ = std::move(l).value();
  }
  std::vector<UsageRecord> scan_all(int64_t from, int64_t to) {
    std::vector<UsageRecord> out;
    EXPECT_TRUE(log_->scan(from, to, [&](const UsageRecord& r) {
                      out.push_back(r);
                      return Status::ok();
                    }).is_ok());
    return out;
  }

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<UsageLog> log_;
};

TEST(UsageCodec, RoundTripsEveryField) {
  UsageRecord r = record(-5, "req-1");
  r.reasoning_tokens = 77;
  r.outcome = "cancelled";
  UsageRecord back;
  ASSERT_TRUE(decode_usage(encode_usage(r), back).is_ok());
  EXPECT_EQ(back, r);
}

TEST(UsageCodec, RejectsTruncatedAndTrailingBytes) {
  const std::string bytes = encode_usage(record(1, "req-1"));
  UsageRecord back;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_EQ(decode_usage(bytes.substr(0, n), back).code(), Code::kDataLoss) << n;
  }
  EXPECT_EQ(decode_usage(bytes + "x", back).code(), Code::kDataLoss);
  EXPECT_EQ(decode_usage("\x02" + bytes.substr(1), back).code(), Code::kDataLoss);
}

TEST(UsageRecordValidate, NamesTheBadField) {
  auto r = record(1, "a");
  EXPECT_TRUE(validate(r).is_ok());
  r.outcome = "maybe";
  EXPECT_NE(validate(r).message().find("outcome"), std::string::npos);
  r = record(1, "a");
  r.provider.clear();
  EXPECT_NE(validate(r).message().find("provider"), std::string::npos);
  r = record(1, "a");
  r.completion_tokens = -1;
  EXPECT_NE(validate(r).message().find("completion_tokens"), std::string::npos);
  r = record(1, "a");
  r.cached_tokens = r.prompt_tokens + 1;
  EXPECT_EQ(validate(r).code(), Code::kInvalidArgument);
}

TEST(UsageKey, OrdersByTimeIncludingBeforeEpoch) {
  EXPECT_LT(usage_key(-1, 9), usage_key(0, 0));
  EXPECT_LT(usage_key(0, 9), usage_key(1, 0));
  EXPECT_LT(usage_key(5, 1), usage_key(5, 2));
  EXPECT_EQ(usage_key_lower_bound(7), usage_key(7, 0));
}

TEST_F(UsageLogTest, ScanReturnsTheHalfOpenRangeInTimeOrder) {
  for (int64_t t : {30, 10, 20, 40, 10}) ASSERT_TRUE(log_->append(record(t, "r" + std::to_string(t))).is_ok());
  const auto got = scan_all(10, 40);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].time_ms, 10);
  EXPECT_EQ(got[1].time_ms, 10);
  EXPECT_EQ(got[2].time_ms, 20);
  EXPECT_EQ(got[3].time_ms, 30);
  EXPECT_EQ(got[3], record(30, "r30"));
  EXPECT_TRUE(scan_all(40, 40).empty());
}

TEST_F(UsageLogTest, RefusesRecordsOfAnotherRegionAndInvalidOnes) {
  auto r = record(1, "a");
  r.region = "eu";
  EXPECT_EQ(log_->append(r).code(), Code::kInvalidArgument);
  std::vector<UsageRecord> batch = {record(1, "ok"), record(2, "bad")};
  batch[1].outcome = "";
  EXPECT_EQ(log_->append_all(batch).code(), Code::kInvalidArgument);
  EXPECT_TRUE(scan_all(0, 100).empty()) << "nothing of a refused batch is stored";
}

TEST_F(UsageLogTest, SequenceSurvivesReopenSoSameMillisecondRecordsNeverCollide) {
  ASSERT_TRUE(log_->append(record(5, "before")).is_ok());
  reopen();
  ASSERT_TRUE(log_->append(record(5, "after")).is_ok());
  const auto got = scan_all(0, 10);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].request_id, "before");
  EXPECT_EQ(got[1].request_id, "after");
}

TEST_F(UsageLogTest, CallbackErrorStopsTheScan) {
  for (int t = 0; t < 5; ++t) ASSERT_TRUE(log_->append(record(t, "x")).is_ok());
  int seen = 0;
  const Status s = log_->scan(0, 10, [&](const UsageRecord&) {
    return ++seen == 2 ? internal_error("stop") : Status::ok();
  });
  EXPECT_EQ(s.code(), Code::kInternal);
  EXPECT_EQ(seen, 2);
}

TEST_F(UsageLogTest, DamagedValueIsDataLoss) {
  ASSERT_TRUE(store_->put(usage_key(3, 99), "garbage").is_ok());
  EXPECT_EQ(log_->scan(0, 10, [](const UsageRecord&) { return Status::ok(); }).code(), Code::kDataLoss);
}

TEST_F(UsageLogTest, ConcurrentAppendsAreAllStoredOnce) {
  constexpr int kThreads = 8, kPerThread = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        ASSERT_TRUE(log_->append(record(i, std::to_string(t) + "/" + std::to_string(i))).is_ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto got = scan_all(0, kPerThread);
  ASSERT_EQ(got.size(), size_t{kThreads * kPerThread});
  std::set<std::string> ids;
  for (const auto& r : got) ids.insert(r.request_id);
  EXPECT_EQ(ids.size(), got.size());
}

}  // namespace
}  // namespace fleetgate::ledger
