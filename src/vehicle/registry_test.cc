#include "fleetgate/vehicle/registry.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "fleetgate/vehicle/registry_test_env.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate::vehicle {
namespace {

// Shanghai-built Model 3 (LRW ... C), model year 2023.
constexpr const char* kShanghai = "LRW3E7EA8PC390117";
// Austin-built Model Y (7SA ... A), model year 2024; North-American, so its check digit counts.
constexpr const char* kAustin = "7SAYGDEE4RA101552";
// Berlin-built Model Y (XP7 ... B).
constexpr const char* kBerlin = "XP7YGCEK7PB021447";
constexpr const char* kBydSeal = "LGXCE4CB2P0118342";

class RegistryTest : public ::testing::Test {
 protected:
  VehicleRecord must_register(const char* vin, const char* market, const char* label = "") {
    auto r = env_.registry().register_vehicle(vin, market, label, "cli:test");
    EXPECT_TRUE(r.is_ok()) << vin << ": " << r.status().to_string();
    return r.is_ok() ? *r : VehicleRecord{};
  }

  std::vector<std::string> vins(const ListFilter& f) {
    auto page = env_.registry().list(f);
    EXPECT_TRUE(page.is_ok()) << page.status().to_string();
    std::vector<std::string> out;
    if (page.is_ok()) {
      for (const auto& v : page->vehicles) out.push_back(v.vin);
    }
    return out;
  }

  RegistryEnv env_;
};

TEST_F(RegistryTest, DemoVinsAreValid) {
  for (const char* vin : {kShanghai, kAustin, kBerlin, kBydSeal}) {
    auto check = validate(vin);
    ASSERT_TRUE(check.is_ok()) << vin << ": " << check.status().to_string();
    EXPECT_TRUE(check->check_digit_valid) << vin;
  }
}

TEST_F(RegistryTest, ShanghaiBuiltCarSoldInGermanyIsHomedInEu) {
  VehicleRecord r = must_register(kShanghai, "DE", "Munich demo");
  EXPECT_EQ(r.vin, kShanghai);
  EXPECT_EQ(r.market, "DE");
  EXPECT_EQ(r.region, "eu");
  EXPECT_EQ(r.label, "Munich demo");
  EXPECT_NE(r.manufacturer.find("Tesla"), std::string::npos) << r.manufacturer;
  EXPECT_EQ(r.origin_country, "CN");
  EXPECT_EQ(r.plant_code, 'C');
  EXPECT_EQ(r.plant, "Shanghai");
  EXPECT_EQ(r.model_year, 2023);
  EXPECT_TRUE(r.check_digit_valid);
  EXPECT_EQ(r.registered_ms, kTestNowMs);
  EXPECT_EQ(r.providers, (std::vector<std::string>{"xai-eu", "onboard"}));

  auto tail = env_.audit().tail(10);
  ASSERT_TRUE(tail.is_ok());
  ASSERT_EQ(tail->size(), 1u);
  const audit::Entry& e = tail->front();
  EXPECT_EQ(e.action, "vehicle.register");
  EXPECT_EQ(e.actor, "cli:test");
  EXPECT_EQ(e.subject, kShanghai);
  EXPECT_EQ(e.region, "eu");
  EXPECT_EQ(e.details.at("market"), "DE");
}

TEST_F(RegistryTest, SameCarSoldInChinaIsHomedInCn) {
  VehicleRecord r = must_register(kShanghai, "cn");
  EXPECT_EQ(r.market, "CN");
  EXPECT_EQ(r.region, "cn");
  EXPECT_EQ(r.providers, (std::vector<std::string>{"deepseek", "onboard"}));
}

TEST_F(RegistryTest, DuplicateIsAlreadyExistsAndNotAudited) {
  must_register(kAustin, "US");
  auto again = env_.registry().register_vehicle(kAustin, "DE", "", "cli:test");
  ASSERT_FALSE(again.is_ok());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
  EXPECT_NE(again.status().message().find("market US"), std::string::npos) << again.status().message();
  EXPECT_EQ(env_.audit().size(), 1u);
  EXPECT_EQ(env_.registry().show(kAustin)->market, "US");
}

TEST_F(RegistryTest, BadInputIsRejectedWithoutWriting) {
  auto& reg = env_.registry();
  auto bad_check = reg.register_vehicle("7SAYGDEE5RA101552", "US", "", "cli:test");
  EXPECT_EQ(bad_check.status().code(), Code::kInvalidArgument);
  EXPECT_NE(bad_check.status().message().find("position 9"), std::string::npos) << bad_check.status().message();
  auto lower = reg.register_vehicle("7saygdee4ra101552", "US", "", "cli:test");
  EXPECT_EQ(lower.status().code(), Code::kInvalidArgument);
  auto market = reg.register_vehicle(kAustin, "ZZ", "", "cli:test");
  EXPECT_EQ(market.status().code(), Code::kInvalidArgument);
  EXPECT_NE(market.status().message().find("market 'ZZ' is not configured"), std::string::npos);
  EXPECT_EQ(reg.register_vehicle(kAustin, "US", "tab\there", "cli:test").status().code(), Code::kInvalidArgument);
  auto long_market = reg.register_vehicle(kAustin, std::string(1000, 'A'), "", "cli:test");
  EXPECT_EQ(long_market.status().code(), Code::kInvalidArgument);
  EXPECT_LT(long_market.status().message().size(), 100u);
  EXPECT_EQ(reg.register_vehicle(kAustin, "US", std::string(kMaxLabelBytes + 1, 'x'), "cli:test").status().code(),
            Code::kInvalidArgument);
  EXPECT_EQ(reg.register_vehicle(kAustin, "US", "\xc3\x28", "cli:test").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.register_vehicle(kAustin, "US", "", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(env_.audit().size(), 0u);
  EXPECT_EQ(reg.show(kAustin).status().code(), Code::kNotFound);
}

TEST_F(RegistryTest, UnicodeLabelIsKept) {
  VehicleRecord r = must_register(kBydSeal, "CN", "上海 测试车 — Müller");
  EXPECT_EQ(env_.registry().show(kBydSeal)->label, "上海 测试车 — Müller");
  EXPECT_EQ(r.label, "上海 测试车 — Müller");
}

TEST_F(RegistryTest, ShowDistinguishesMalformedFromUnknown) {
  EXPECT_EQ(env_.registry().show(kBerlin).status().code(), Code::kNotFound);
  EXPECT_EQ(env_.registry().show("NOT-A-VIN").status().code(), Code::kInvalidArgument);
}

TEST_F(RegistryTest, ListFiltersAndPages) {
  must_register(kShanghai, "DE");
  must_register(kAustin, "US");
  must_register(kBerlin, "DE");
  must_register(kBydSeal, "CN");
  const std::vector<std::string> all{kAustin, kBydSeal, kShanghai, kBerlin};  // VIN order
  EXPECT_EQ(vins({}), all);
  EXPECT_EQ(vins({.region = "eu"}), (std::vector<std::string>{kShanghai, kBerlin}));
  EXPECT_EQ(vins({.region = "cn"}), (std::vector<std::string>{kBydSeal}));
  EXPECT_EQ(vins({.market = "us"}), (std::vector<std::string>{kAustin}));
  EXPECT_EQ(vins({.maker = "tesla"}), (std::vector<std::string>{kAustin, kShanghai, kBerlin}));
  EXPECT_EQ(vins({.region = "eu", .maker = "BYD"}), std::vector<std::string>{});

  std::vector<std::string> paged;
  ListFilter f{.limit = 3};
  for (int pages = 0; pages < 10; ++pages) {
    auto page = env_.registry().list(f);
    ASSERT_TRUE(page.is_ok());
    for (const auto& v : page->vehicles) paged.push_back(v.vin);
    if (page->next_cursor.empty()) break;
    f.cursor = page->next_cursor;
  }
  EXPECT_EQ(paged, all);

  EXPECT_EQ(env_.registry().list({.limit = 0}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(env_.registry().list({.limit = kMaxListLimit + 1}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(env_.registry().list({.region = "mars"}).status().code(), Code::kInvalidArgument);
}

TEST_F(RegistryTest, RehomeMovesRegionAndAuditsBothSides) {
  must_register(kShanghai, "DE");
  EXPECT_EQ(env_.registry().show(kShanghai)->region, "eu");  // shown once: the next show must not be from before the move
  env_.now_ms += 60'000;
  auto moved = env_.registry().rehome(kShanghai, "us", "cli:test", "owner relocated to Texas");
  ASSERT_TRUE(moved.is_ok()) << moved.status().to_string();
  EXPECT_EQ(moved->before.region, "eu");
  EXPECT_EQ(moved->after.market, "US");
  EXPECT_EQ(moved->after.region, "us");
  EXPECT_EQ(moved->after.providers, (std::vector<std::string>{"xai-us", "onboard"}));
  EXPECT_EQ(moved->after.registered_ms, kTestNowMs);
  EXPECT_EQ(moved->after.updated_ms, kTestNowMs + 60'000);
  EXPECT_EQ(env_.registry().show(kShanghai)->region, "us");

  auto last = env_.audit().tail(1);
  ASSERT_TRUE(last.is_ok());
  const audit::Entry& e = last->front();
  EXPECT_EQ(e.action, "vehicle.rehome");
  EXPECT_EQ(e.subject, kShanghai);
  EXPECT_EQ(e.details.at("from_region"), "eu");
  EXPECT_EQ(e.details.at("to_region"), "us");
  EXPECT_EQ(e.details.at("from_market"), "DE");
  EXPECT_EQ(e.details.at("reason"), "owner relocated to Texas");
}

TEST_F(RegistryTest, RehomeRefusals) {
  must_register(kBerlin, "DE");
  auto& reg = env_.registry();
  EXPECT_EQ(reg.rehome(kBerlin, "DE", "cli:test", "why").status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(reg.rehome(kBerlin, "FR", "cli:test", "").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.rehome(kBerlin, "XX", "cli:test", "why").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.rehome(kAustin, "DE", "cli:test", "why").status().code(), Code::kNotFound);
  EXPECT_EQ(env_.audit().size(), 1u);
  // Same region, different market: allowed and audited.
  EXPECT_TRUE(reg.rehome(kBerlin, "FR", "cli:test", "sold to a French fleet").is_ok());
  EXPECT_EQ(env_.audit().size(), 2u);
}

// A node serving only cn: the eu region has an endpoint, the us region none.
void cn_node(config::Config& c) {
  c.served_regions = {"cn"};
  for (auto& region : c.regions) {
    if (region.id == "eu") region.endpoint = "https://eu.fleet.example";
  }
}

TEST(RegistryOnANodeOfOneRegion, RefusesOtherRegionsVehiclesNamingTheRegionAndWritesNothing) {
  RegistryEnv env(cn_node);
  auto& reg = env.registry();
  Result<VehicleRecord> de = reg.register_vehicle(kBerlin, "DE", "", "cli:test");
  EXPECT_EQ(de.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(de.status().message().find("region 'eu' is not served by this node; register it at https://eu.fleet.example"),
            std::string::npos)
      << de.status().message();
  Result<VehicleRecord> us = reg.register_vehicle(kAustin, "US", "", "cli:test");
  EXPECT_NE(us.status().message().find("region 'us' is not served by this node; no endpoint is configured"),
            std::string::npos)
      << us.status().message();
  EXPECT_EQ(env.audit().size(), 0u);
  for (auto it = env.store().scan(""); it->valid(); it->next()) {
    EXPECT_EQ(it->key().find(kBerlin), std::string_view::npos) << it->key();
    EXPECT_EQ(it->value().find(kBerlin), std::string_view::npos) << it->key();
  }

  auto report = reg.import_csv("vin,market\nXP7YGCEK7PB021447,DE\nLGXCE4CB2P0118342,CN\n", {.actor = "cli:test"});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->imported, 1u);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_NE(report->errors[0].reason.find("region 'eu' is not served"), std::string::npos) << report->errors[0].reason;
  EXPECT_EQ(reg.show(kBerlin).status().code(), Code::kNotFound);
  EXPECT_EQ(reg.show(kBydSeal)->region, "cn");
  EXPECT_EQ(reg.rehome(kBydSeal, "DE", "cli:test", "moved").status().code(), Code::kFailedPrecondition);
}

TEST_F(RegistryTest, ImportKeepsGoodRowsAndReportsBadOnesByLine) {
  must_register(kBydSeal, "CN");
  const std::string csv =
      "vin,market,label\r\n"                          // 1
      "7SAYGDEE4RA101552,US,Austin\r\n"               // 2 ok
      "7SAYGDEE5RA101552,US,bad check digit\r\n"      // 3
      "\r\n"                                          // 4 blank
      "LRW3E7EA8PC390117,ZZ,nowhere\n"                // 5 unknown market
      "XP7YGCEK7PB021447,de,\"Berlin, \"\"quoted\"\"\"\n"  // 6 ok
      "7SAYGDEE4RA101552,CA,again\n"                  // 7 duplicate of 2
      "LGXCE4CB2P0118342,CN,registered before\n"      // 8 exists
      "LRW3E7EA8PC390117\n"                           // 9 too few fields
      "LRW3E7EA8PC390117,CN,\"open\n"                 // 10 unterminated quote
      "LJ1EEASP2P4030915,CN\n"                        // 11 ok, no label
      "LRW3E7EA8PC390117,CN,fixed\n";                 // 12 duplicate of bad line 5 all the same
  auto report = env_.registry().import_csv(csv, {.actor = "cli:test", .source = "fleet.csv"});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  EXPECT_EQ(report->rows, 10u);
  EXPECT_EQ(report->imported, 3u);
  std::vector<size_t> lines;
  for (const auto& e : report->errors) lines.push_back(e.line);
  EXPECT_EQ(lines, (std::vector<size_t>{3, 5, 7, 8, 9, 10, 12}));
  EXPECT_NE(report->errors[0].reason.find("position 9"), std::string::npos) << report->errors[0].reason;
  EXPECT_NE(report->errors[1].reason.find("market 'ZZ'"), std::string::npos) << report->errors[1].reason;
  EXPECT_EQ(report->errors[2].reason, "duplicate of line 2 (VIN 7SAYGDEE4RA101552)");
  EXPECT_NE(report->errors[3].reason.find("already registered"), std::string::npos) << report->errors[3].reason;

  EXPECT_EQ(env_.registry().show(kBerlin)->label, "Berlin, \"quoted\"");
  EXPECT_EQ(env_.registry().show(kBerlin)->region, "eu");
  EXPECT_EQ(env_.registry().show(kShanghai).status().code(), Code::kNotFound);
  EXPECT_EQ(env_.registry().show("LJ1EEASP2P4030915")->label, "");
  EXPECT_EQ(env_.registry().show(kAustin)->label, "Austin");
  EXPECT_EQ(env_.audit().size(), 4u);
  auto last = env_.audit().tail(1);
  EXPECT_EQ(last->front().details.at("source"), "fleet.csv:11");
  EXPECT_TRUE(env_.audit().verify()->intact());
}

TEST_F(RegistryTest, ImportAllOrNothingWritesNothingOnABadRow) {
  const std::string csv = "vin,market,label\n7SAYGDEE4RA101552,US,ok\nXP7YGCEK7PB021447,ZZ,bad\n";
  auto report = env_.registry().import_csv(csv, {.actor = "cli:test", .all_or_nothing = true});
  ASSERT_TRUE(report.is_ok());
  EXPECT_EQ(report->imported, 0u);
  ASSERT_EQ(report->errors.size(), 1u);
  EXPECT_EQ(report->errors[0].line, 3u);
  EXPECT_EQ(env_.registry().show(kAustin).status().code(), Code::kNotFound);
  EXPECT_EQ(env_.audit().size(), 0u);
}

TEST_F(RegistryTest, ImportNeedsTheHeader) {
  auto& reg = env_.registry();
  EXPECT_EQ(reg.import_csv("", {.actor = "cli:test"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.import_csv("7SAYGDEE4RA101552,US,x\n", {.actor = "cli:test"}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(reg.import_csv("market,vin\n", {.actor = "cli:test"}).status().code(), Code::kInvalidArgument);
  auto ok = reg.import_csv("\xEF\xBB\xBFVIN, Market\n7SAYGDEE4RA101552,US\n", {.actor = "cli:test"});
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->imported, 1u);
}

TEST_F(RegistryTest, DemoFleetImportsCleanly) {
  std::ifstream in(FLEETGATE_SOURCE_DIR "/config/demo-fleet.csv");
  ASSERT_TRUE(in) << "config/demo-fleet.csv";
  std::stringstream text;
  text << in.rdbuf();
  auto report = env_.registry().import_csv(text.str(), {.actor = "cli:test", .all_or_nothing = true});
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  for (const auto& e : report->errors) ADD_FAILURE() << "demo-fleet.csv:" << e.line << ": " << e.reason;
  EXPECT_GE(report->imported, 30u);
  EXPECT_EQ(report->imported, report->rows);

  auto all = env_.registry().list({.limit = kMaxListLimit});
  ASSERT_TRUE(all.is_ok());
  std::map<std::string, int> per_region;
  bool shanghai_in_eu = false;
  bool shanghai_in_cn = false;
  for (const auto& v : all->vehicles) {
    ++per_region[v.region];
    EXPECT_TRUE(v.check_digit_valid) << v.vin;
    EXPECT_NE(v.manufacturer, "unknown") << v.vin;
    if (v.wmi == "LRW") (v.region == "eu" ? shanghai_in_eu : shanghai_in_cn) |= v.plant_code == 'C';
  }
  EXPECT_GE(per_region["cn"], 8);
  EXPECT_GE(per_region["us"], 8);
  EXPECT_GE(per_region["eu"], 8);
  EXPECT_TRUE(shanghai_in_eu);
  EXPECT_TRUE(shanghai_in_cn);
  EXPECT_TRUE(env_.audit().verify()->intact());
}

TEST_F(RegistryTest, DamagedAuditChainBlocksChanges) {
  must_register(kAustin, "US");
  ASSERT_TRUE(env_.store().remove("audit/head").is_ok());
  env_.open();
  auto r = env_.registry().register_vehicle(kBerlin, "DE", "", "cli:test");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss);
  EXPECT_EQ(env_.registry().show(kBerlin).status().code(), Code::kNotFound);
  EXPECT_EQ(env_.registry().rehome(kAustin, "DE", "cli:test", "x").status().code(), Code::kDataLoss);
  EXPECT_EQ(env_.registry().show(kAustin)->region, "us");
}

TEST_F(RegistryTest, CorruptRecordIsDataLoss) {
  must_register(kAustin, "US");
  ASSERT_TRUE(env_.store().put(std::string("vehicle/") + kAustin, "{\"schema\":1,\"vin\":42}").is_ok());
  EXPECT_EQ(env_.registry().show(kAustin).status().code(), Code::kDataLoss);
  EXPECT_EQ(env_.registry().list({}).status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace fleetgate::vehicle
