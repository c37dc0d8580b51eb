#include "fleetgate/ledger/ledger.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <random>

#include "fleetgate/ledger/ledger_test_env.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;

// The share (minor units) `partner` gets from the pool matching feature/market/kind.
int64_t share_of(const std::string& statement_json, const std::string& feature, const std::string& market,
                 const std::string& kind = "period") {
  const json::value v = json::parse(statement_json);
  for (const auto& p : v.at("pools").as_array()) {
    if (p.at("feature") == feature.c_str() && p.at("market") == market.c_str() && p.at("kind") == kind.c_str()) {
      return p.at("share_minor").as_int64();
    }
  }
  return INT64_MIN;
}

// Random usage and revenue for November, the same set whatever `shuffle_seed` says about order.
struct Scenario {
  std::vector<UsageRecord> usage;
  std::vector<SourcedEvent> revenue;
};
Scenario random_scenario(uint32_t seed) {
  std::mt19937_64 rng(seed);
  Scenario s;
  const std::vector<std::tuple<std::string, std::string, std::string, std::string>> routes = {
      {"cn", "CN", "deepseek", "deepseek-chat"}, {"us", "US", "xai-us", "grok-4"},
      {"eu", "DE", "xai-eu", "grok-4"},     {"us", "US", "onboard", "fleetgate-onboard"},
      {"eu", "FR", "onboard", "fleetgate-onboard"}};
  const std::vector<std::string> outcomes = {"ok", "ok", "ok", "error", "cancelled", "refused"};
  for (int i = 0; i < 300; ++i) {
    const auto& [region, market, provider, model] = routes[rng() % routes.size()];
    s.usage.push_back(usage(kNov + static_cast<int64_t>(rng() % 2'000'000'000), region, market, provider, model,
                            static_cast<int64_t>(rng() % 5000), static_cast<int64_t>(rng() % 2000),
                            outcomes[rng() % outcomes.size()]));
  }
  const std::vector<std::pair<std::string, std::string>> markets = {{"CN", "CNY"}, {"US", "USD"}, {"DE", "EUR"}, {"FR", "EUR"}};
  const std::vector<RevenueType> types = {RevenueType::kSubscription, RevenueType::kPurchase, RevenueType::kRefund,
                                          RevenueType::kSubscription};
  for (int i = 0; i < 200; ++i) {
    const auto& [market, currency] = markets[rng() % markets.size()];
    const RevenueType type = types[rng() % types.size()];
    s.revenue.push_back(revenue("ev-" + std::to_string(i), kNov + static_cast<int64_t>(rng() % 2'000'000'000), type,
                                rng() % 2 ? "fsd" : "assistant", market, currency,
                                (type == RevenueType::kRefund ? -1 : 1) * static_cast<int64_t>(1 + rng() % 900'000)));
  }
  return s;
}

void load(Deployment& d, Scenario s, uint32_t order_seed) {
  std::mt19937_64 rng(order_seed);
  std::shuffle(s.usage.begin(), s.usage.end(), rng);
  std::shuffle(s.revenue.begin(), s.revenue.end(), rng);
  for (const auto& u : s.usage) d.add(u);
  // Import in a few chunks of random sizes.
  for (size_t at = 0; at < s.revenue.size();) {
    const size_t n = std::min(s.revenue.size() - at, size_t{1} + rng() % 80);
    std::vector<SourcedEvent> chunk(s.revenue.begin() + static_cast<long>(at), s.revenue.begin() + static_cast<long>(at + n));
    ASSERT_TRUE(d.ledger().import_revenue(chunk, "test").is_ok());
    at += n;
  }
}

TEST(LedgerProperty, SharesOfEveryPoolSumExactlyToThePool) {
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    Deployment d;
    load(d, random_scenario(seed), seed);
    auto settlement = d.ledger().settle(kNovP);
    ASSERT_TRUE(settlement.is_ok()) << settlement.status().to_string();
    std::map<std::string, std::pair<int64_t, int64_t>> pools;  // pool id -> (pool, sum of shares)
    for (const auto& s : settlement->statements) {
      const json::value statement = json::parse(s.json);
      for (const auto& p : statement.at("pools").as_array()) {
        const std::string id = json::serialize(p.at("feature")) + json::serialize(p.at("market")) +
                               json::serialize(p.at("currency")) + json::serialize(p.at("kind"));
        pools[id].first = p.at("pool_minor").as_int64();
        pools[id].second += p.at("share_minor").as_int64();
      }
    }
    ASSERT_FALSE(pools.empty());
    for (const auto& [id, v] : pools) EXPECT_EQ(v.first, v.second) << "seed " << seed << " pool " << id;
  }
}

TEST(LedgerProperty, OrderOfEventsDoesNotChangeAStatement) {
  for (uint32_t seed = 1; seed <= 3; ++seed) {
    Deployment a, b;
    load(a, random_scenario(seed), 100 + seed);
    load(b, random_scenario(seed), 200 + seed);
    for (const char* partner : {"carmaker", "xai", "deepseek"}) {
      EXPECT_EQ(a.statement(kNovP, partner), b.statement(kNovP, partner)) << "seed " << seed << " " << partner;
    }
  }
}

// Every statement of `periods`, concatenated.
std::string statements_of(const Ledger& ledger, const std::vector<Period>& periods) {
  std::string out;
  for (Period p : periods) {
    auto s = ledger.settle(p);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    if (s.is_ok()) {
      for (const auto& st : s->statements) out += st.json + st.csv;
    }
  }
  return out;
}

// Removes the revenue totals, as a ledger written before they were kept has none; returns how many keys.
size_t drop_revenue_totals(store::KvStore& control) {
  store::WriteBatch batch;
  size_t n = 0;
  for (auto it = control.scan("ledger/revtot/"); it->valid(); it->next(), ++n) batch.remove(it->key());
  EXPECT_TRUE(control.write(batch).is_ok());
  return n;
}

TEST(LedgerProperty, TotalsSettleExactlyAsTheEventsDo) {
  const std::vector<Period> periods = {kNovP.plus(-2), kNovP.plus(-1), kNovP, kDecP};
  for (uint32_t seed = 1; seed <= 4; ++seed) {
    Deployment d;
    Scenario s = random_scenario(seed);
    // Purchases, refunds and corrections of the two months before, recognised into November.
    for (int i = 0; i < 40; ++i) {
      const RevenueType type = i % 4 == 0 ? RevenueType::kCorrection : i % 3 == 0 ? RevenueType::kRefund : RevenueType::kPurchase;
      s.revenue.push_back(revenue("early-" + std::to_string(i), kNovP.plus(-1 - i % 2).start_ms() + i * 3'600'000, type,
                                  "fsd", i % 2 ? "US" : "DE", i % 2 ? "USD" : "EUR",
                                  (type == RevenueType::kRefund ? -1 : 1) * (1 + i * 7919)));
    }
    load(d, s, seed);
    const std::string from_totals = statements_of(d.ledger(), periods);
    ASSERT_GT(drop_revenue_totals(d.control()), 3u) << "every month with events keeps totals";
    EXPECT_EQ(statements_of(d.ledger(), periods), from_totals) << "seed " << seed;

    // A month without totals gets them, from all its events, at its next import.
    ASSERT_TRUE(d.ledger()
                    .import_revenue({revenue("after-" + std::to_string(seed), kNov + 77, RevenueType::kPurchase, "fsd",
                                             "US", "USD", 123'457)},
                                    "test")
                    .is_ok());
    const std::string rebuilt = statements_of(d.ledger(), periods);
    EXPECT_NE(rebuilt, from_totals);
    ASSERT_GT(drop_revenue_totals(d.control()), 0u);
    EXPECT_EQ(statements_of(d.ledger(), periods), rebuilt) << "seed " << seed;
  }
}

TEST(Ledger, SettlingReadsTheKeptTotals) {
  Deployment d;
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("s", kNov + 5, RevenueType::kSubscription, "fsd", "US", "USD", 9900)}, "test")
                  .is_ok());
  store::WriteBatch damage;
  damage.put("ledger/revtot/2026-11/subscription/1/fsd/US/USD", "{\"events\":1}");
  ASSERT_TRUE(d.control().write(damage).is_ok());
  EXPECT_EQ(d.ledger().settle(kNovP).status().code(), Code::kDataLoss);
}

TEST(Ledger, APurchaseSplitsAsTheTermsSayAtSettlement) {
  // Imported under 36 recognition months, settled after the terms changed to 12: the events are
  // split as the terms say now, as a ledger that never kept totals would.
  LedgerConfig twelve = repo_config();
  for (auto& f : twelve.features) {
    if (f.id == "fsd") f.recognition_months = 12;
  }
  Deployment d;
  Deployment fresh(twelve);
  const std::vector<SourcedEvent> events = {
      revenue("buy", kNov + 5, RevenueType::kPurchase, "fsd", "US", "USD", 800'001),
      revenue("sub", kNov + 6, RevenueType::kSubscription, "fsd", "US", "USD", 9900)};
  ASSERT_TRUE(d.ledger().import_revenue(events, "test").is_ok());
  ASSERT_TRUE(fresh.ledger().import_revenue(events, "test").is_ok());
  const auto changed = d.another_ledger(twelve);
  EXPECT_EQ(statements_of(*changed, {kNovP, kDecP}), statements_of(fresh.ledger(), {kNovP, kDecP}));
  EXPECT_NE(statements_of(d.ledger(), {kNovP}), statements_of(fresh.ledger(), {kNovP}));
}

TEST(Ledger, ReRunningAnOpenPeriodIsByteIdentical) {
  Deployment d;
  load(d, random_scenario(7), 7);
  auto first = d.ledger().settle(kNovP);
  auto second = d.ledger().settle(kNovP);
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  ASSERT_EQ(first->statements.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(first->statements[i].json, second->statements[i].json);
    EXPECT_EQ(first->statements[i].csv, second->statements[i].csv);
  }
  EXPECT_NE(first->statements[0].json.find("\"status\":\"open\""), std::string::npos);
}

TEST(Ledger, MeasuredPartnerGetsNothingForTrafficItNeverServed) {
  Deployment d;
  d.add(usage(kNov + 10, "cn", "CN", "deepseek", "deepseek-chat", 1000, 500));
  d.add(usage(kNov + 20, "us", "US", "xai-us", "grok-4", 1000, 500));
  d.add(usage(kNov + 30, "us", "US", "onboard", "fleetgate-onboard", 9000, 9000));
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("cn-1", kNov + 5, RevenueType::kSubscription, "assistant", "CN", "CNY", 100000),
                                   revenue("us-1", kNov + 5, RevenueType::kSubscription, "assistant", "US", "USD", 100000)},
                                  "test")
                  .is_ok());
  const std::string xai = d.statement(kNovP, "xai");
  const std::string deepseek = d.statement(kNovP, "deepseek");
  const std::string owner = d.statement(kNovP, "carmaker");
  EXPECT_EQ(share_of(xai, "assistant", "CN"), 0) << "cars in China never used xAI models";
  EXPECT_EQ(share_of(deepseek, "assistant", "CN"), 30000);
  EXPECT_EQ(share_of(owner, "assistant", "CN"), 70000);
  // In the US xAI served all the priced work (onboard is free): the full 30%.
  EXPECT_EQ(share_of(xai, "assistant", "US"), 30000);
  EXPECT_EQ(share_of(deepseek, "assistant", "US"), INT64_MIN) << "deepseek's contract is CN-only";
  EXPECT_NE(xai.find("\"counted_for_partner\":true"), std::string::npos);
}

TEST(Ledger, UsageWithoutAPriceIsListedAndNeverBlocksTheMonth) {
  Deployment d;
  d.add(usage(kNov + 10, "us", "US", "xai-us", "grok-4", 1000, 500));
  d.add(usage(kNov + 20, "us", "US", "xai-us", "anything", 1000, 500));  // no price: was a failed settlement
  d.add(usage(kNov + 30, "us", "US", "none", "unknown", 0, 0, "error"));
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("us-1", kNov + 5, RevenueType::kSubscription, "assistant", "US", "USD", 100000)},
                                  "test")
                  .is_ok());
  auto settlement = d.ledger().settle(kNovP);
  ASSERT_TRUE(settlement.is_ok()) << settlement.status().to_string();
  const json::value xai = json::parse(d.statement(kNovP, "xai"));
  const auto& unpriced = xai.at("unpriced").as_array();
  ASSERT_EQ(unpriced.size(), 1u) << xai;
  EXPECT_EQ(unpriced[0].at("model"), "anything");
  EXPECT_EQ(unpriced[0].at("prompt_tokens"), 1000);
  EXPECT_EQ(share_of(json::serialize(xai), "assistant", "US"), 30000) << "unpriced usage is no priced work: xAI's stays all of it";
  auto closed = d.ledger().close(kNovP, "test");
  ASSERT_TRUE(closed.is_ok()) << closed.status().to_string();
}

TEST(Ledger, TokenClaimsAtTheMetersBoundAreFlagged) {
  Deployment d;
  d.add(usage(kNov + 10, "us", "US", "xai-us", "grok-4", kMaxTokensPerRecord, 10));
  d.add(usage(kNov + 20, "us", "US", "xai-us", "grok-4", 1000, 500));
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("us-1", kNov + 5, RevenueType::kSubscription, "assistant", "US", "USD", 100000)},
                                  "test")
                  .is_ok());
  const json::value xai = json::parse(d.statement(kNovP, "xai"));
  EXPECT_EQ(xai.at("outlier_records"), 1) << xai;
  EXPECT_EQ(xai.at("usage").as_array()[0].at("outliers"), 1);
  auto stored = d.ledger().usage(kNovP);
  ASSERT_TRUE(stored.is_ok());
  json::value rows = usage_to_json(*stored);
  EXPECT_EQ(*usage_from_json(rows), *stored) << "outliers survive the stored form";
  for (auto& row : rows.as_array()) row.as_object().erase("outliers");
  EXPECT_TRUE(usage_from_json(rows).is_ok()) << "summaries stored before outliers were counted still read";
}

TEST(Ledger, FixedShareAndStraightLineRecognition) {
  Deployment d;
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("sub", kNov + 5, RevenueType::kSubscription, "fsd", "US", "USD", 9900),
                                   revenue("buy", kNov + 5, RevenueType::kPurchase, "fsd", "US", "USD", 800000),
                                   revenue("cn", kNov + 5, RevenueType::kSubscription, "fsd", "CN", "CNY", 70000)},
                                  "test")
                  .is_ok());
  // 99.00 + 8000.00/36 (the first, smaller part: 222.22) = 321.22; xAI gets half, 160.61.
  EXPECT_EQ(share_of(d.statement(kNovP, "xai"), "fsd", "US"), 16061);
  EXPECT_EQ(share_of(d.statement(kNovP, "carmaker"), "fsd", "US"), 16061);
  EXPECT_EQ(share_of(d.statement(kDecP, "xai"), "fsd", "US"), 11111) << "December recognises 222.22 more";
  EXPECT_EQ(share_of(d.statement(kNovP, "xai"), "fsd", "CN"), INT64_MIN) << "no FSD contract in China";
  EXPECT_EQ(share_of(d.statement(kNovP, "carmaker"), "fsd", "CN"), 70000);
}

TEST(Ledger, RefundsReduceThePoolAndNegativePoolsStillSumExactly) {
  Deployment d;
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("s", kNov + 5, RevenueType::kSubscription, "fsd", "US", "USD", 9900),
                                   revenue("r1", kNov + 6, RevenueType::kRefund, "fsd", "US", "USD", -9900),
                                   revenue("r2", kNov + 7, RevenueType::kRefund, "fsd", "DE", "EUR", -101)},
                                  "test")
                  .is_ok());
  EXPECT_EQ(share_of(d.statement(kNovP, "xai"), "fsd", "US"), 0);
  const int64_t xai = share_of(d.statement(kNovP, "xai"), "fsd", "DE");
  const int64_t owner = share_of(d.statement(kNovP, "carmaker"), "fsd", "DE");
  EXPECT_EQ(xai + owner, -101);
  EXPECT_EQ(owner, -51) << "equal remainders: the odd unit goes to the first partner id, carmaker";
}

TEST(Ledger, ClosedPeriodsNeverChangeAndLateEventsBecomeAdjustments) {
  Deployment d;
  d.add(usage(kNov + 10, "us", "US", "xai-us", "grok-4", 1000, 500));
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("a", kNov + 5, RevenueType::kSubscription, "assistant", "US", "USD", 10000)}, "test")
                  .is_ok());
  auto closed = d.ledger().close(kNovP, "test");
  ASSERT_TRUE(closed.is_ok()) << closed.status().to_string();
  const std::string before = d.statement(kNovP, "xai");
  EXPECT_NE(before.find("\"status\":\"closed\""), std::string::npos);
  ASSERT_EQ(d.audit().tail(1)->front().action, "ledger.close");

  // Late usage and revenue for November, after the close.
  d.now_ms += 5000;
  d.add(usage(kNov + 20, "us", "US", "onboard", "fleetgate-onboard", 5000, 5000));
  auto report = d.ledger().import_revenue(
      {revenue("late", kNov + 9, RevenueType::kSubscription, "assistant", "US", "USD", 20000),
       revenue("dec", kDec + 9, RevenueType::kSubscription, "assistant", "US", "USD", 1000)},
      "test");
  ASSERT_TRUE(report.is_ok());
  EXPECT_EQ(report->adjustments, 1u);
  EXPECT_EQ(d.statement(kNovP, "xai"), before) << "a closed period never changes";
  const std::string dec = d.statement(kDecP, "xai");
  EXPECT_EQ(share_of(dec, "assistant", "US", "adjustment"), 6000) << "30% of the late 200.00, with November's weights";
  EXPECT_NE(dec.find("\"adjusts\":\"2026-11\""), std::string::npos);
  EXPECT_EQ(share_of(dec, "assistant", "US"), 0) << "no December usage served by xAI";

  EXPECT_EQ(d.ledger().close(kNovP, "test").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(d.ledger().close(kDecP.plus(1), "test").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(d.ledger().close(kDecP, "test").status().code(), Code::kFailedPrecondition) << "December has not ended";
  d.now_ms = kDecP.end_ms();
  ASSERT_TRUE(d.ledger().close(kDecP, "test").is_ok());
  auto verify = d.audit().verify();
  ASSERT_TRUE(verify.is_ok() && verify->intact());
}

TEST(Ledger, ImportIsAtomicAndIdempotent) {
  Deployment d;
  const auto a = revenue("a", kNov + 5, RevenueType::kSubscription, "fsd", "US", "USD", 9900);
  auto first = d.ledger().import_revenue({a}, "test");
  ASSERT_TRUE(first.is_ok());
  EXPECT_EQ(first->added, 1u);
  const uint64_t audit_entries = d.audit().size();
  auto again = d.ledger().import_revenue({a}, "test");
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->unchanged, 1u);
  EXPECT_EQ(d.audit().size(), audit_entries) << "a no-op import writes nothing";
  auto changed = a;
  changed.event.amount_minor = 100;
  changed.where = "line 9";
  auto conflict = d.ledger().import_revenue(
      {revenue("b", kNov + 5, RevenueType::kSubscription, "fsd", "US", "USD", 5000), changed}, "test");
  ASSERT_EQ(conflict.status().code(), Code::kAlreadyExists);
  EXPECT_NE(conflict.status().message().find("line 9"), std::string::npos);
  EXPECT_EQ(share_of(d.statement(kNovP, "xai"), "fsd", "US"), 4950) << "event b was not half-imported";
}

TEST(Ledger, ImportRefusesAnIdThatRepeatsWithinOneImport) {
  Deployment d;
  auto first = revenue("a", kNov + 5, RevenueType::kSubscription, "fsd", "US", "USD", 9900);
  first.where = "line 2";
  auto twin = first;
  twin.where = "line 3";
  auto report = d.ledger().import_revenue({first, twin}, "test");
  ASSERT_EQ(report.status().code(), Code::kAlreadyExists) << "one row stored but two counted";
  EXPECT_NE(report.status().message().find("line 3: id 'a' repeats line 2"), std::string::npos)
      << report.status().message();
  auto other = twin;
  other.event.amount_minor = 1;
  EXPECT_EQ(d.ledger().import_revenue({first, other}, "test").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(share_of(d.statement(kNovP, "xai"), "fsd", "US"), INT64_MIN) << "nothing was imported";
  auto once = d.ledger().import_revenue({first}, "test");
  ASSERT_TRUE(once.is_ok());
  EXPECT_EQ(once->added, 1u);
}

TEST(Ledger, RateTableSettlesEveryCurrencyInTheTarget) {
  LedgerConfig config = repo_config();
  config.rates.push_back(RateTable{kNovP, "USD", {{"EUR", 110'000'000}, {"CNY", 14'000'000}}});
  Deployment d(config);
  ASSERT_TRUE(d.ledger()
                  .import_revenue({revenue("e", kNov + 5, RevenueType::kSubscription, "fsd", "DE", "EUR", 10000),
                                   revenue("u", kNov + 5, RevenueType::kSubscription, "fsd", "DE", "USD", 1000)},
                                  "test")
                  .is_ok());
  const std::string xai = d.statement(kNovP, "xai");
  EXPECT_EQ(share_of(xai, "fsd", "DE"), 6000) << "(100.00 EUR * 1.10 + 10.00 USD) / 2";
  EXPECT_NE(xai.find("\"converted_from\""), std::string::npos);
  config.rates[0].rate_e8.erase("EUR");
  Deployment missing(config);
  ASSERT_TRUE(missing.ledger()
                  .import_revenue({revenue("e", kNov + 5, RevenueType::kSubscription, "fsd", "DE", "EUR", 10000)}, "test")
                  .is_ok());
  EXPECT_EQ(missing.ledger().settle(kNovP).status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace fleetgate::ledger
