#include "fleetgate/assistant/usage_meter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/stalling_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::assistant {
namespace {

ledger::UsageRecord usage(std::string region, std::string id) {
  ledger::UsageRecord r;
  r.time_ms = 1'700'000'000'000;
  r.request_id = std::move(id);
  r.vehicle_pseudonym = "p_0123456789abcdef";
  r.market = region == "cn" ? "CN" : "DE";
  r.region = std::move(region);
  r.feature = "assistant";
  r.provider = "mock";
  r.model = "mock-model";
  r.prompt_tokens = 10;
  r.completion_tokens = 5;
  r.outcome = "ok";
  return r;
}

// A log whose appends fail with `failure` while failures_left > 0, then reach `inner`.
class FailingUsageLog final : public ledger::UsageLog {
 public:
  FailingUsageLog(ledger::UsageLog& inner, Status failure, int failures)
      : UsageLog(inner.region()), failures_left(failures), inner_(inner), failure_(std::move(failure)) {}
  Status append_all(std::span<const ledger::UsageRecord> records) override {
    ++attempts;
    if (failures_left > 0) {
      --failures_left;
      return failure_;
    }
    return inner_.append_all(records);
  }
  Status scan(int64_t from_ms, int64_t to_ms, const std::function<Status(const ledger::UsageRecord&)>& fn) const override {
    return inner_.scan(from_ms, to_ms, fn);
  }
  Status totals(int64_t from_ms, int64_t to_ms, ledger::UsageSummary& out) const override {
    return inner_.totals(from_ms, to_ms, out);
  }
  Result<uint64_t> expire(int64_t before_ms, std::string_view market) override { return inner_.expire(before_ms, market); }

  std::atomic<int> attempts = 0;
  std::atomic<int> failures_left;

 private:
  ledger::UsageLog& inner_;
  const Status failure_;
};

class UsageMeterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* region : {"cn", "eu"}) {
      auto s = store::open_embedded(dir_ / region);
      ASSERT_TRUE(s.is_ok()) << s.status().to_string();
      auto l = ledger::KvUsageLog::open(**s, region);
      ASSERT_TRUE(l.is_ok()) << l.status().to_string();
      logs_[region] = std::move(l).value();
      stores_[region] = std::move(s).value();
    }
  }

  std::map<std::string, ledger::UsageLog*> logs() {
    return {{"cn", logs_.at("cn").get()}, {"eu", logs_.at("eu").get()}};
  }

  std::vector<std::string> ids(const std::string& region) {
    std::vector<std::string> out;
    EXPECT_TRUE(logs_.at(region)->scan(0, INT64_MAX, [&](const ledger::UsageRecord& r) {
      out.push_back(r.request_id);
      return Status::ok();
    }).is_ok());
    return out;
  }

  store::TestDir dir_;
  std::map<std::string, std::unique_ptr<store::KvStore>> stores_;
  std::map<std::string, std::unique_ptr<ledger::UsageLog>> logs_;
};

TEST_F(UsageMeterTest, EveryRecordFromEveryThreadReachesItsRegionsLogByFlush) {
  UsageMeter meter(logs(), {}, 16);  // a small queue: producers also wait for room
  constexpr int kThreads = 4, kEach = 250;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&meter, t] {
      for (int i = 0; i < kEach; ++i) {
        meter.record(usage(i % 2 ? "cn" : "eu", "req_" + std::to_string(t) + "_" + std::to_string(i)));
      }
    });
  }
  for (auto& p : producers) p.join();
  meter.flush();
  const auto cn = ids("cn"), eu = ids("eu");
  EXPECT_EQ(cn.size(), static_cast<size_t>(kThreads * kEach / 2));
  EXPECT_EQ(eu.size(), static_cast<size_t>(kThreads * kEach / 2));
  std::set<std::string> unique(cn.begin(), cn.end());
  unique.insert(eu.begin(), eu.end());
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kEach));
}

TEST_F(UsageMeterTest, DestructionWritesWhatIsStillQueued) {
  {
    UsageMeter meter(logs(), {});
    for (int i = 0; i < 100; ++i) meter.record(usage("eu", "req_" + std::to_string(i)));
  }
  EXPECT_EQ(ids("eu").size(), 100u);
}

// A database restarting under the meter: its batch waits and is written once it is back, so no
// usage goes unbilled; what arrived meanwhile follows.
TEST_F(UsageMeterTest, AnUnavailableLogIsTriedAgainUntilItTakesTheBatch) {
  FailingUsageLog flaky(*logs_.at("eu"), unavailable("postgres: the database system is starting up"), 3);
  UsageMeter meter({{"cn", logs_.at("cn").get()}, {"eu", &flaky}}, {});
  for (int i = 0; i < 10; ++i) meter.record(usage("eu", "req_" + std::to_string(i)));
  meter.flush();
  meter.record(usage("eu", "req_after"));
  meter.flush();
  EXPECT_EQ(ids("eu").size(), 11u);
  EXPECT_EQ(flaky.failures_left, 0);
  EXPECT_GE(flaky.attempts, 5);
}

// Other failures would fail again: the batch is dropped (and logged) at once, not retried.
TEST_F(UsageMeterTest, ALogThatRefusesTheBatchForGoodIsNotTriedAgain) {
  FailingUsageLog broken(*logs_.at("eu"), data_loss("usage log of region eu: damaged sequence counter"), 1000);
  UsageMeter meter({{"cn", logs_.at("cn").get()}, {"eu", &broken}}, {});
  meter.record(usage("eu", "req_lost"));
  meter.flush();
  EXPECT_EQ(broken.attempts, 1);
  EXPECT_TRUE(ids("eu").empty());
}

// Stopping while the log stays unavailable ends after the grace period instead of hanging.
TEST_F(UsageMeterTest, DestructionGivesUpOnALogThatStaysUnavailable) {
  FailingUsageLog down(*logs_.at("eu"), unavailable("postgres: connection refused"), 1 << 30);
  {
    UsageMeter meter({{"cn", logs_.at("cn").get()}, {"eu", &down}}, {});
    meter.record(usage("eu", "req_never"));
  }
  EXPECT_GE(down.attempts, 2);
  EXPECT_TRUE(ids("eu").empty());
}

TEST_F(UsageMeterTest, ABatchLingersForTheIntervalUnlessTheQueueFillsOrIsFlushed) {
  constexpr auto kHour = std::chrono::hours(1);
  UsageMeter meter(logs(), {}, 8, kHour);
  for (int i = 0; i < 3; ++i) meter.record(usage("eu", "lingering_" + std::to_string(i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_TRUE(ids("eu").empty()) << "three records are not worth an fsync before the interval ends";
  meter.flush();
  EXPECT_EQ(ids("eu").size(), 3u);
  // A full queue is written at once, without waiting for the interval or a flush.
  for (int i = 0; i < 8; ++i) meter.record(usage("cn", "full_" + std::to_string(i)));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ids("cn").size() < 8 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(ids("cn").size(), 8u);
}

// record() runs on the event loop: it never waits for the writer, even a stalled one on a full
// queue. saturated() says when max_queued records wait, so that the gateway sheds new requests.
TEST_F(UsageMeterTest, RecordNeverWaitsForAStalledWriterAndAFullQueueIsSaturated) {
  auto s = store::open_embedded(dir_ / "stalled");
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  store::Stall stall;
  store::StallingStore stalling(**s, stall);
  auto log = ledger::KvUsageLog::open(stalling, "cn");
  ASSERT_TRUE(log.is_ok()) << log.status().to_string();
  std::atomic<bool> recorded_on_a_full_queue = false;
  std::thread caller;
  {
    UsageMeter meter({{"cn", log->get()}}, {}, 2, std::chrono::milliseconds(0));
    stall.stall();
    meter.record(usage("cn", "taken"));
    EXPECT_TRUE(stall.wait_for_held(1, std::chrono::seconds(10))) << "the writer is stuck in its write";
    meter.record(usage("cn", "waiting_1"));
    EXPECT_FALSE(meter.saturated());
    meter.record(usage("cn", "waiting_2"));
    EXPECT_TRUE(meter.saturated());
    caller = std::thread([&] {
      meter.record(usage("cn", "admitted_before_it_filled"));
      recorded_on_a_full_queue = true;
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!recorded_on_a_full_queue && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_TRUE(recorded_on_a_full_queue);
    stall.release();
    caller.join();
    meter.flush();
    EXPECT_FALSE(meter.saturated());
  }
  size_t written = 0;
  EXPECT_TRUE((*log)->scan(0, INT64_MAX, [&](const ledger::UsageRecord&) {
    ++written;
    return Status::ok();
  }).is_ok());
  EXPECT_EQ(written, 4u);
}

TEST_F(UsageMeterTest, DestructionDoesNotWaitForTheInterval) {
  {
    UsageMeter meter(logs(), {}, 64, std::chrono::hours(1));
    meter.record(usage("eu", "last"));
  }
  EXPECT_EQ(ids("eu"), (std::vector<std::string>{"last"}));
}

TEST_F(UsageMeterTest, BadRecordsAreDroppedAloneAndNeverSpoilABatch) {
  UsageMeter meter(logs(), {});
  meter.record(usage("eu", "good_1"));
  meter.record(usage("us", "unknown_region"));
  ledger::UsageRecord invalid = usage("eu", "invalid");
  invalid.outcome = "maybe";
  meter.record(invalid);
  meter.record(usage("eu", "good_2"));
  meter.flush();
  EXPECT_EQ(ids("eu"), (std::vector<std::string>{"good_1", "good_2"}));
  EXPECT_TRUE(ids("cn").empty());
}

TEST(MeteredModel, OnlyModelsTheProviderServesReachTheLedger) {
  const ServedModels served = {{"xai-us", {"grok-4", "grok-3-mini"}}, {"bare", {}}};
  EXPECT_EQ(metered_model(served, "xai-us", "grok-3-mini"), "grok-3-mini");
  EXPECT_EQ(metered_model(served, "xai-us", "anything"), "grok-4") << "what the router sends instead";
  EXPECT_EQ(metered_model(served, "bare", "anything"), "unlisted");
  EXPECT_EQ(metered_model(served, "none", "unknown"), "unlisted");
}

TEST(BoundClaimedTokens, ClampsEveryCountIntoAPlausibleRange) {
  ledger::UsageRecord r = usage("eu", "r");
  EXPECT_FALSE(bound_claimed_tokens(r));
  r.prompt_tokens = INT64_MAX;
  r.cached_tokens = INT64_MAX;
  r.completion_tokens = -5;
  r.reasoning_tokens = 7;
  EXPECT_TRUE(bound_claimed_tokens(r));
  EXPECT_EQ(r.prompt_tokens, ledger::kMaxTokensPerRecord);
  EXPECT_EQ(r.cached_tokens, ledger::kMaxTokensPerRecord);
  EXPECT_EQ(r.completion_tokens, 0);
  EXPECT_EQ(r.reasoning_tokens, 0);
  EXPECT_TRUE(ledger::validate(r).is_ok());
}

TEST_F(UsageMeterTest, MetersTheServedModelAndBoundedCounts) {
  UsageMeter meter(logs(), {{"mock", {"mock-model"}}});
  ledger::UsageRecord made_up = usage("eu", "made_up");
  made_up.model = "anything";
  made_up.prompt_tokens = INT64_MAX;
  meter.record(made_up);
  meter.flush();
  std::vector<ledger::UsageRecord> stored;
  ASSERT_TRUE(logs_.at("eu")->scan(0, INT64_MAX, [&](const ledger::UsageRecord& r) {
    stored.push_back(r);
    return Status::ok();
  }).is_ok());
  ASSERT_EQ(stored.size(), 1u) << "an implausible claim is metered, not dropped";
  EXPECT_EQ(stored[0].model, "mock-model");
  EXPECT_EQ(stored[0].prompt_tokens, ledger::kMaxTokensPerRecord);
}

}  // namespace
}  // namespace fleetgate::assistant
