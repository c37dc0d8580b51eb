// Budgets through the whole gateway ([[assistant.budgets]]): a car over its requests per minute or
// tokens per day is answered 429 with Retry-After in the OpenAI error shape before any provider is
// asked, metered as over_budget with no provider and no tokens (so no partner is paid for it), and
// counted in /metrics; a provider over its budget is skipped for the next one in the chain, and
// when none is left the answer is 429 too. Budgets are counted per node: these fleets run one.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <thread>

#include "gateway/gateway_fleet.h"

namespace fleetgate::gwtest {
namespace {

namespace json = boost::json;

std::unique_ptr<GatewayFleet> start(FleetSpec spec, std::string budgets) {
  spec.extra_toml = std::move(budgets);
  spec.one_node = true;
  auto fleet = GatewayFleet::start(spec);
  EXPECT_TRUE(fleet.is_ok()) << fleet.status().to_string();
  return fleet.is_ok() ? std::move(fleet).value() : nullptr;
}

http::testing::ClientResponse ask(GatewayFleet& fleet, const TestVehicle& v, bool stream = false) {
  auto r = fleet.client()->post("/v1/chat/completions", chat_body("hello", stream), bearer(v.token));
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return r.is_ok() ? *r : http::testing::ClientResponse{};
}

int retry_after(const http::testing::ClientResponse& r) {
  const std::string value(r.header("retry-after"));
  return value.empty() ? -1 : std::stoi(value);
}

// The usage records of `region` once there are `n`, or what there is after 5 s.
std::vector<ledger::UsageRecord> usage(GatewayFleet& fleet, std::string_view region, size_t n) {
  std::vector<ledger::UsageRecord> records;
  for (int tries = 0; tries < 500; ++tries) {
    auto u = fleet.usage(region);
    EXPECT_TRUE(u.is_ok()) << u.status().to_string();
    if (!u.is_ok()) break;
    records = *u;
    if (records.size() >= n) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return records;
}

double metric(GatewayFleet& fleet, const std::string& sample) {
  auto r = fleet.client()->get("/metrics");
  EXPECT_TRUE(r.is_ok() && r->status == 200);
  if (!r.is_ok()) return -1;
  const size_t at = r->body.find(sample + " ");
  return at == std::string::npos ? 0 : std::stod(r->body.substr(at + sample.size() + 1));
}

TEST(GatewayBudgetsTest, ACarOverItsRequestsPerMinuteGets429BeforeAnyProviderIsAsked) {
  auto fleet = start(standard_fleet(), "[[assistant.budgets]]\nscope = \"vehicle\"\nrequests_per_minute = 2\n");
  ASSERT_NE(fleet, nullptr);
  auto car = fleet->add_vehicle("US");
  auto other = fleet->add_vehicle("US");
  ASSERT_TRUE(car.is_ok() && other.is_ok());
  EXPECT_EQ(ask(*fleet, *car).status, 200u);
  EXPECT_EQ(ask(*fleet, *car, true).status, 200u);
  for (bool stream : {false, true}) {
    auto refused = ask(*fleet, *car, stream);
    EXPECT_EQ(refused.status, 429u) << refused.body;
    EXPECT_TRUE(is_openai_error(refused.body)) << refused.body;
    json::object error = parse_object(refused.body)["error"].as_object();
    EXPECT_EQ(error["type"], json::value("rate_limit_error"));
    EXPECT_EQ(error["code"], json::value("rate_limit_exceeded"));
    EXPECT_NE(std::string(error["message"].as_string()).find("2 requests per minute"), std::string::npos);
    EXPECT_GE(retry_after(refused), 1);
    EXPECT_LE(retry_after(refused), 30) << "one request comes back every 30 s";
  }
  EXPECT_EQ(fleet->mock("xai-us").request_count(), 2u) << "refused requests never reach a provider";
  EXPECT_EQ(ask(*fleet, *other).status, 200u) << "each car has a budget of its own";

  const std::vector<ledger::UsageRecord> records = usage(*fleet, "us", 5);
  ASSERT_EQ(records.size(), 5u);
  int over = 0;
  for (const auto& r : records) {
    if (r.outcome != "over_budget") continue;
    ++over;
    EXPECT_EQ(r.provider, "none");
    EXPECT_EQ(r.prompt_tokens + r.completion_tokens, 0) << "nobody is paid for refused traffic";
  }
  EXPECT_EQ(over, 2);
  EXPECT_EQ(metric(*fleet, "fleetgate_assistant_over_budget_total{region=\"us\",scope=\"vehicle\"}"), 2);
}

TEST(GatewayBudgetsTest, ACarOverItsTokensForTheDayWaitsUntilMidnightUtc) {
  auto fleet = start(standard_fleet(), "[[assistant.budgets]]\nscope = \"vehicle\"\nregion = \"eu\"\ntokens_per_day = 5\n");
  ASSERT_NE(fleet, nullptr);
  auto car = fleet->add_vehicle("DE");
  auto us_car = fleet->add_vehicle("US");
  ASSERT_TRUE(car.is_ok() && us_car.is_ok());
  EXPECT_EQ(ask(*fleet, *car).status, 200u);
  ASSERT_EQ(usage(*fleet, "eu", 1).size(), 1u);  // the answer's tokens are counted once metered
  auto refused = ask(*fleet, *car);
  EXPECT_EQ(refused.status, 429u) << refused.body;
  const int64_t now_s =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  const int until_midnight = static_cast<int>(86400 - now_s % 86400);
  EXPECT_NEAR(retry_after(refused), until_midnight, 5);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(ask(*fleet, *us_car).status, 200u) << "the rule names eu's cars only";
}

TEST(GatewayBudgetsTest, AProviderOverItsBudgetIsSkippedForTheNextInTheChainAndThen429) {
  const std::string budget = "[[assistant.budgets]]\nscope = \"provider\"\nprovider = \"deepseek\"\nrequests_per_minute = 1\n";
  auto fleet = start(standard_fleet(), budget);
  ASSERT_NE(fleet, nullptr);
  auto car = fleet->add_vehicle("CN");
  ASSERT_TRUE(car.is_ok());
  EXPECT_EQ(ask(*fleet, *car).header("x-fleetgate-provider"), "deepseek");
  auto next = ask(*fleet, *car);
  EXPECT_EQ(next.status, 200u);
  EXPECT_EQ(next.header("x-fleetgate-provider"), "onboard") << "over its budget, deepseek is skipped like an open breaker";
  EXPECT_EQ(fleet->mock("deepseek").request_count(), 1u);
  EXPECT_EQ(metric(*fleet, "fleetgate_assistant_over_budget_total{region=\"cn\",scope=\"provider\"}"), 1);

  // A chain of that provider alone: nothing is left, and the car is told when to come back.
  FleetSpec alone = standard_fleet();
  alone.chains["cn"] = {"deepseek"};
  auto lone = start(alone, budget);
  ASSERT_NE(lone, nullptr);
  auto cn = lone->add_vehicle("CN");
  ASSERT_TRUE(cn.is_ok());
  EXPECT_EQ(ask(*lone, *cn).status, 200u);
  auto refused = ask(*lone, *cn);
  EXPECT_EQ(refused.status, 429u) << refused.body;
  EXPECT_TRUE(is_openai_error(refused.body)) << refused.body;
  EXPECT_EQ(parse_object(refused.body)["error"].as_object()["code"], json::value("rate_limit_exceeded"));
  EXPECT_GE(retry_after(refused), 1);
  EXPECT_LE(retry_after(refused), 60);
  auto records = usage(*lone, "cn", 2);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[1].outcome, "over_budget");
  EXPECT_EQ(records[1].provider, "deepseek") << "the provider it was held back from";
}

}  // namespace
}  // namespace fleetgate::gwtest
