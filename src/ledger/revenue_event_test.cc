#include "fleetgate/ledger/revenue_event.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <algorithm>
#include <numeric>
#include <vector>

#include "fleetgate/ledger/ledger_config.h"
#include "fleetgate/ledger/ledger_test_env.h"

namespace fleetgate::ledger {
namespace {

TEST(Period, ParsesFormatsAndSpansAMonth) {
  auto p = Period::parse("2026-11");
  ASSERT_TRUE(p.is_ok());
  EXPECT_EQ(p->to_string(), "2026-11");
  EXPECT_EQ(p->plus(2).to_string(), "2027-01");
  EXPECT_EQ(p->plus(-11).to_string(), "2025-12");
  EXPECT_EQ(p->start_ms(), *parse_utc_time("2026-11-01"));
  EXPECT_EQ(p->end_ms(), *parse_utc_time("2026-12-01T00:00:00Z"));
  EXPECT_EQ(Period::containing(p->end_ms() - 1), *p);
  for (const char* bad : {"2026-13", "2026-1", "26-11", "2026/11", "1969-12", ""}) {
    EXPECT_FALSE(Period::parse(bad).is_ok()) << bad;
  }
}

TEST(UtcTime, AcceptsDatesAndZuluTimesOnly) {
  EXPECT_EQ(*parse_utc_time("1970-01-01T00:00:01.250Z"), 1250);
  for (const char* bad : {"2026-02-30", "2026-11-03T10:00:00", "2026-11-03T10:00:00+01:00", "2026-11-03 10:00:00Z",
                          "2026-11-03T24:00:00Z"}) {
    EXPECT_FALSE(parse_utc_time(bad).is_ok()) << bad;
  }
}

TEST(LedgerConfig, RepoConfigLoads) {
  const LedgerConfig c = repo_config();
  EXPECT_EQ(c.owner, "carmaker");
  ASSERT_NE(c.feature("fsd"), nullptr);
  EXPECT_EQ(c.feature("fsd")->recognition_months, 36);
  ASSERT_NE(c.price("deepseek", "deepseek-chat", "CNY"), nullptr);
  EXPECT_EQ(c.price("deepseek", "deepseek-chat", "CNY")->input_micro, 2'000'000);
}

TEST(LedgerConfig, RepoConfigPricesEveryModelTheRepoProvidersServe) {
  auto deployment = config::load_config(std::string(FLEETGATE_SOURCE_DIR) + "/config/fleetgate.toml");
  ASSERT_TRUE(deployment.is_ok()) << deployment.status().to_string();
  EXPECT_TRUE(check_prices_cover(repo_config(), *deployment).is_ok())
      << check_prices_cover(repo_config(), *deployment).to_string();
  deployment->providers.front().models.push_back("deepseek-v9");
  const Status missing = check_prices_cover(repo_config(), *deployment);
  EXPECT_EQ(missing.code(), Code::kFailedPrecondition);
  EXPECT_EQ(missing.message(), "the ledger has no price for served models: deepseek/deepseek-v9 in USD");
}

TEST(LedgerConfig, ErrorsPointAtFileAndLine) {
  const std::string base = "owner = \"a\"\n[[partners]]\nid = \"a\"\n[[features]]\nid = \"f\"\n";
  auto bad_share = parse_ledger_config(base + "[[contracts]]\nid = \"c\"\npartner = \"a\"\nfeature = \"f\"\n"
                                              "basis = \"fixed\"\nshare = \"150%\"\neffective_from = \"2026-01\"\n",
                                       "ledger.toml");
  ASSERT_FALSE(bad_share.is_ok());
  EXPECT_EQ(bad_share.status().message().rfind("ledger.toml:11: contracts[0].share:", 0), 0u)
      << bad_share.status().message();
  auto unknown = parse_ledger_config("colour = 1\n" + base, "ledger.toml");
  EXPECT_EQ(unknown.status().message(), "ledger.toml:1: colour: unknown key")
      << unknown.status().message();
  auto owner_contract = parse_ledger_config(base + "[[contracts]]\nid = \"c\"\npartner = \"a\"\nfeature = \"f\"\n"
                                                   "basis = \"fixed\"\nshare = \"5%\"\neffective_from = \"2026-01\"\n",
                                            "ledger.toml");
  EXPECT_NE(owner_contract.status().message().find("owner"), std::string::npos);
  auto priced = parse_ledger_config("owner = \"a\"\n[[partners]]\nid = \"a\"\n[[features]]\nid = \"f\"\nmetric = \"priced_tokens\"\n",
                                    "ledger.toml");
  EXPECT_NE(priced.status().message().find("price_currency"), std::string::npos);
  EXPECT_EQ(parse_ledger_config("owner = [", "x.toml").status().code(), Code::kInvalidArgument);
}

TEST(RevenueCsv, ParsesColumnsInAnyOrder) {
  const LedgerConfig c = repo_config();
  auto events = parse_revenue_csv("amount,currency,market,feature,type,time,id\r\n"
                                  "99.00,USD,US,fsd,subscription,2026-11-03T10:00:00Z,s-1\r\n"
                                  "\n"
                                  "8000,USD,DE,fsd,purchase,2026-11-04,p-1\n"
                                  "\"12.50\",CNY,CN,assistant,refund,2026-11-05,r-1\n",
                                  c);
  ASSERT_TRUE(events.is_ok()) << events.status().to_string();
  ASSERT_EQ(events->size(), 3u);
  EXPECT_EQ((*events)[0].event.amount_minor, 9900);
  EXPECT_EQ((*events)[1].where, "line 4");
  EXPECT_EQ((*events)[1].event.type, RevenueType::kPurchase);
  EXPECT_EQ((*events)[2].event.amount_minor, -1250);
}

TEST(RevenueCsv, ReportsEveryBadRowWithItsLineAndReturnsNothing) {
  const LedgerConfig c = repo_config();
  auto events = parse_revenue_csv("id,time,type,feature,market,currency,amount\n"
                                  "ok-1,2026-11-03,subscription,fsd,US,USD,99.00\n"
                                  "bad-1,2026-11-31,subscription,fsd,US,USD,99.00\n"
                                  "bad-2,2026-11-03,subscription,robot,US,USD,99.00\n"
                                  "bad-3,2026-11-03,subscription,fsd,US,USD,99.001\n"
                                  "bad-4,2026-11-03,subscription,fsd,US\n"
                                  "ok-1,2026-11-03,subscription,fsd,US,USD,98.00\n",
                                  c);
  ASSERT_FALSE(events.is_ok());
  const std::string& m = events.status().message();
  for (const char* part : {"line 3:", "line 4: unknown feature 'robot'", "line 5:", "line 6:", "line 7: id 'ok-1' repeats line 2"}) {
    EXPECT_NE(m.find(part), std::string::npos) << part << " in " << m;
  }
  EXPECT_EQ(m.find("line 2:"), std::string::npos);
  EXPECT_FALSE(parse_revenue_csv("id,time\n", c).is_ok());
  EXPECT_FALSE(parse_revenue_csv("", c).is_ok());
}

TEST(RevenueJson, NamesTheBadElement) {
  const LedgerConfig c = repo_config();
  auto events = parse_revenue_json(boost::json::parse(R"({"events":[
      {"id":"a","time":"2026-11-01","type":"subscription","feature":"fsd","market":"US","currency":"USD","amount":"99"},
      {"id":"b","time":"2026-11-01","type":"gift","feature":"fsd","market":"US","currency":"USD","amount":"99"}]})"),
                                   c);
  ASSERT_FALSE(events.is_ok());
  EXPECT_NE(events.status().message().find("events[1]: type 'gift'"), std::string::npos) << events.status().message();
}

TEST(Recognition, PurchasesSpreadExactlyOverTheFeatureMonths) {
  Feature f;
  f.recognition_months = 36;
  RevenueEvent e{"p", *parse_utc_time("2026-11-15"), RevenueType::kPurchase, "fsd", "US", "USD", 800000};
  const auto parts = recognise(e, f);
  ASSERT_EQ(parts.size(), 36u);
  EXPECT_EQ(parts.front().month.to_string(), "2026-11");
  EXPECT_EQ(parts.back().month.to_string(), "2029-10");
  int64_t total = 0;
  for (const auto& p : parts) {
    total += p.amount_minor;
    EXPECT_TRUE(p.amount_minor == 22222 || p.amount_minor == 22223) << p.amount_minor;
  }
  EXPECT_EQ(total, 800000);
  e.type = RevenueType::kSubscription;
  EXPECT_EQ(recognise(e, f).size(), 1u);
}

TEST(Recognition, EarlierMonthsGetTheSmallerParts) {
  Feature f;
  f.recognition_months = 5;
  RevenueEvent e{"p", *parse_utc_time("2026-11-15"), RevenueType::kPurchase, "fsd", "US", "USD", 13};
  const auto amounts = [&] {
    std::vector<int64_t> out;
    for (const auto& p : recognise(e, f)) out.push_back(p.amount_minor);
    return out;
  };
  EXPECT_EQ(amounts(), (std::vector<int64_t>{2, 2, 3, 3, 3}));
  e.amount_minor = -13;
  EXPECT_EQ(amounts(), (std::vector<int64_t>{-2, -2, -3, -3, -3})) << "smaller in magnitude first";
  e.amount_minor = 10;
  EXPECT_EQ(amounts(), (std::vector<int64_t>{2, 2, 2, 2, 2}));
  f.recognition_months = 36;
  e.amount_minor = 800000;  // 22222 * 36 + 8: the last eight months get 22223
  const auto parts = amounts();
  EXPECT_EQ(std::count(parts.begin(), parts.begin() + 28, 22222), 28);
  EXPECT_EQ(std::count(parts.begin() + 28, parts.end(), 22223), 8);
}

TEST(RevenueEventCodec, RoundTripsAndRejectsGarbage) {
  RevenueEvent e{"x", 5, RevenueType::kCorrection, "fsd", "US", "USD", -17};
  EXPECT_EQ(*decode_event(encode_event(e)), e);
  EXPECT_EQ(decode_event("{}").status().code(), Code::kDataLoss);
  EXPECT_EQ(decode_event("nope").status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace fleetgate::ledger
