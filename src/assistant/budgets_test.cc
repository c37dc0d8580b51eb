#include "fleetgate/assistant/budgets.h"

#include <gtest/gtest.h>

namespace fleetgate::assistant {
namespace {

using config::Budget;
using std::chrono::seconds;

constexpr int64_t kDayMs = 86'400'000;
// 2026-12-07 10:00:00 UTC.
constexpr int64_t kMorning = 20'429 * kDayMs + 10 * 3'600'000;

class BudgetsTest : public ::testing::Test {
 protected:
  Budgets make(std::vector<Budget> rules) {
    return Budgets(rules, [this] { return now_; });
  }
  int64_t now_ = kMorning;
};

Budget vehicle(uint64_t rpm, uint64_t tokens, std::string region = "") {
  return Budget{Budget::Scope::kVehicle, std::move(region), "", rpm, tokens, {}};
}

TEST_F(BudgetsTest, AVehicleGetsItsRequestsPerMinuteAndTheBucketRefillsEvenly) {
  Budgets b = make({vehicle(3, 0)});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.admit("V1", "cn"), std::nullopt) << i;
  auto over = b.admit("V1", "cn");
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->scope, "vehicle");
  EXPECT_EQ(over->limit, "requests_per_minute");
  EXPECT_EQ(over->retry_after, seconds(20)) << "one request refills in 60 s / 3";
  EXPECT_NE(over->message.find("3 requests per minute"), std::string::npos) << over->message;
  EXPECT_EQ(b.admit("V2", "cn"), std::nullopt) << "each vehicle has its own";
  now_ += 19'000;
  EXPECT_EQ(b.admit("V1", "cn")->retry_after, seconds(1)) << "a refused request takes nothing";
  now_ += 1'000;
  EXPECT_EQ(b.admit("V1", "cn"), std::nullopt);
  EXPECT_TRUE(b.admit("V1", "cn").has_value());
  now_ += 600'000;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.admit("V1", "cn"), std::nullopt) << "a full bucket holds no more than its size";
  EXPECT_TRUE(b.admit("V1", "cn").has_value());
}

TEST_F(BudgetsTest, TokensPerDayCountAnsweredRequestsUntilMidnightUtc) {
  Budgets b = make({vehicle(0, 1000)});
  EXPECT_EQ(b.admit("V1", "eu"), std::nullopt);
  b.spend("V1", "eu", "xai-eu", 600);
  EXPECT_EQ(b.admit("V1", "eu"), std::nullopt) << "600 of 1000";
  b.spend("V1", "eu", "xai-eu", 500);
  auto over = b.admit("V1", "eu");
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->limit, "tokens_per_day");
  EXPECT_EQ(over->retry_after, seconds(14 * 3600)) << "until 00:00 UTC";
  now_ += 14 * 3'600'000;
  EXPECT_EQ(b.admit("V1", "eu"), std::nullopt) << "a new day";
}

TEST_F(BudgetsTest, ARegionsBudgetIsSharedByItsCarsAndARefusalChargesNobody) {
  Budgets b = make({vehicle(2, 0), Budget{Budget::Scope::kRegion, "cn", "", 3, 0, {}}});
  EXPECT_EQ(b.admit("V1", "cn"), std::nullopt);
  EXPECT_EQ(b.admit("V2", "cn"), std::nullopt);
  EXPECT_EQ(b.admit("V3", "cn"), std::nullopt);
  auto over = b.admit("V4", "cn");
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->scope, "region");
  EXPECT_EQ(b.admit("V5", "eu"), std::nullopt) << "other regions are not held back";
  now_ += 20'000;  // one request back in cn's bucket
  EXPECT_EQ(b.admit("V4", "cn"), std::nullopt);
  EXPECT_EQ(b.admit("V4", "eu"), std::nullopt) << "V4's refusal in cn took nothing of its own two";
  EXPECT_TRUE(b.admit("V4", "eu").has_value());
}

TEST_F(BudgetsTest, ARegionsOwnVehicleRuleBeatsTheGeneralOne) {
  Budgets b = make({vehicle(1, 0), vehicle(2, 0, "cn")});
  EXPECT_EQ(b.admit("CN1", "cn"), std::nullopt);
  EXPECT_EQ(b.admit("CN1", "cn"), std::nullopt);
  EXPECT_TRUE(b.admit("CN1", "cn").has_value());
  EXPECT_EQ(b.admit("EU1", "eu"), std::nullopt);
  EXPECT_TRUE(b.admit("EU1", "eu").has_value());
}

TEST_F(BudgetsTest, AProviderBudgetCountsRequestsAndTokensSentToIt) {
  Budgets b = make({Budget{Budget::Scope::kProvider, "", "deepseek", 2, 100, {}}});
  EXPECT_EQ(b.admit("V1", "cn"), std::nullopt) << "no vehicle or region rule";
  EXPECT_EQ(b.admit_provider("deepseek"), std::nullopt);
  EXPECT_EQ(b.admit_provider("onboard"), std::nullopt) << "a provider without a rule";
  b.spend("V1", "cn", "deepseek", 100);
  auto over = b.admit_provider("deepseek");
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->scope, "provider");
  EXPECT_EQ(over->limit, "tokens_per_day");
}

TEST_F(BudgetsTest, IdleVehiclesAreForgottenSoMemoryFollowsTheActiveFleet) {
  Budgets b = make({vehicle(10, 0)});
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(b.admit("OLD" + std::to_string(i), "us"), std::nullopt);
  EXPECT_EQ(b.vehicles_tracked(), 5000u);
  now_ += 61'000;
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(b.admit("NEW" + std::to_string(i), "us"), std::nullopt);
  EXPECT_LT(b.vehicles_tracked(), 10000u) << "the idle ones went as new ones came";
  EXPECT_GE(b.vehicles_tracked(), 5000u);
}

TEST_F(BudgetsTest, NoRulesAdmitEverything) {
  Budgets b = make({});
  EXPECT_TRUE(b.empty());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(b.admit("V1", "cn"), std::nullopt);
  EXPECT_EQ(b.vehicles_tracked(), 0u);
}

}  // namespace
}  // namespace fleetgate::assistant
