#include "fleetgate/assistant/circuit_breaker.h"

#include <gtest/gtest.h>

namespace fleetgate::assistant {
namespace {

struct FakeClock {
  std::chrono::steady_clock::time_point t{};
  SteadyNow fn() {
    return [this] { return t; };
  }
};

TEST(CircuitBreaker, OpensAfterThresholdConsecutiveFailures) {
  FakeClock clock;
  CircuitBreaker b({3, std::chrono::milliseconds(1000)}, clock.fn());
  EXPECT_FALSE(b.record_failure());
  EXPECT_FALSE(b.record_failure());
  b.record_success();  // resets the run
  EXPECT_FALSE(b.record_failure());
  EXPECT_FALSE(b.record_failure());
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.record_failure()) << "the failure that opens it says so, once";
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_FALSE(b.allow());
  EXPECT_FALSE(b.record_failure()) << "already open";
}

TEST(CircuitBreaker, HalfOpensAfterCoolDownWithOneProbe) {
  FakeClock clock;
  CircuitBreaker b({1, std::chrono::milliseconds(1000)}, clock.fn());
  b.record_failure();
  clock.t += std::chrono::milliseconds(999);
  EXPECT_FALSE(b.allow());
  clock.t += std::chrono::milliseconds(1);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(b.allow());
  EXPECT_FALSE(b.allow()) << "only one probe at a time";
  EXPECT_TRUE(b.record_failure()) << "a failed probe opens it again";
  EXPECT_EQ(b.state(), BreakerState::kOpen) << "a failed probe re-opens for another cool-down";
  clock.t += std::chrono::milliseconds(1000);
  EXPECT_TRUE(b.allow());
  b.record_success();
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.allow());
  EXPECT_TRUE(b.allow());
}

TEST(CircuitBreaker, AbandonedProbeFreesTheSlot) {
  FakeClock clock;
  CircuitBreaker b({1, std::chrono::milliseconds(10)}, clock.fn());
  b.record_failure();
  clock.t += std::chrono::milliseconds(10);
  EXPECT_TRUE(b.allow());
  b.record_abandoned();
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(b.allow());
}

}  // namespace
}  // namespace fleetgate::assistant
