#include "fleetgate/transfer/cross_border.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fleetgate/transfer/transfer_test_env.h"

namespace fleetgate::transfer {
namespace {

namespace json = boost::json;

config::CrossBorderRule default_rule() {
  config::CrossBorderRule r;
  r.region = "cn";
  r.reference = "CAC 2024 Art. 8";
  r.sensitive_fields = {"location"};
  r.important_fields = {"heading"};
  return r;
}

TEST(CrossBorder, TheBracketsOfThe2024Provisions) {
  const auto rule = default_rule();
  EXPECT_EQ(required_basis(rule, {99'999, 0}, false), Basis::kNone);
  EXPECT_EQ(required_basis(rule, {100'000, 0}, false), Basis::kStandardContract);
  EXPECT_EQ(required_basis(rule, {1'000'000, 0}, false), Basis::kStandardContract);
  EXPECT_EQ(required_basis(rule, {1'000'001, 0}, false), Basis::kSecurityAssessment);
  EXPECT_EQ(required_basis(rule, {0, 1}, false), Basis::kStandardContract) << "any sensitive individual";
  EXPECT_EQ(required_basis(rule, {0, 10'000}, false), Basis::kStandardContract);
  EXPECT_EQ(required_basis(rule, {0, 10'001}, false), Basis::kSecurityAssessment);
  EXPECT_EQ(required_basis(rule, {0, 0}, true), Basis::kSecurityAssessment) << "important data";
  EXPECT_TRUE(check_basis(rule, Basis::kCertification, {500'000, 10}, false).is_ok()) << "certification = contract";
  const Status weak = check_basis(rule, Basis::kStandardContract, {1'000'001, 0}, false);
  EXPECT_EQ(weak.code(), Code::kFailedPrecondition);
  EXPECT_NE(weak.message().find("CAC 2024 Art. 8"), std::string::npos) << weak.message();
  EXPECT_NE(weak.message().find("need a security_assessment basis"), std::string::npos) << weak.message();
  EXPECT_EQ(parse_basis("contract").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(*parse_basis("security_assessment"), Basis::kSecurityAssessment);
}

TEST(CrossBorder, FieldsAreClassifiedByTheRule) {
  const auto rule = default_rule();
  const FieldKinds speed = classify(rule, {"speed"});
  EXPECT_TRUE(speed.general && !speed.sensitive && !speed.important);
  const FieldKinds both = classify(rule, {"speed", "location"});
  EXPECT_TRUE(both.general && both.sensitive);
  EXPECT_TRUE(classify(rule, {"location", "heading"}).important);
  EXPECT_FALSE(classify(rule, {"location"}).general);
  EXPECT_EQ(month_of(kT0), "2026-09");
}

// Small thresholds so a handful of cars crosses them: exempt below 3 non-sensitive individuals,
// an assessment above 5, or above 2 sensitive ones.
constexpr const char* kRule = R"(
[[compliance.cross_border]]
region = "cn"
reference = "CAC Cross-Border Provisions 2024"
exempt_below = 3
assessment_above = 5
sensitive_assessment_above = 2
sensitive_fields = ["location"]
important_fields = ["heading"]
)";

class CrossBorderServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int v = 0; v < 8; ++v) env.put_record("cn", drive(vin(v), kT0 + 1000 + v, 31.23, 121.47));
  }
  static std::string vin(int v) { return "LRW3E7FA" + std::to_string(100000000 + v); }

  // A transfer of `vins`' `fields` on `basis`, requested and approved by two people; the status
  // of the second approval.
  Result<std::string> transfer(std::vector<int> vehicles, std::vector<std::string> fields, std::string basis) {
    TransferRequest req = env.cn_to_eu(std::move(fields));
    for (int v : vehicles) req.selection.vins.push_back(vin(v));
    req.basis_type = std::move(basis);
    auto id = env.service().request(env.olga, req);
    if (!id.is_ok()) return id.status();
    if (Status s = env.service().approve(env.abe, *id); !s.is_ok()) return s;
    if (Status s = env.service().approve(env.dora, *id); !s.is_ok()) return s;
    return id;
  }
  Status exported(const Result<std::string>& id) {
    if (!id.is_ok()) return id.status();
    return env.service().export_bundle(*id, env.out()).status();
  }
  YearCounts counts() {
    auto c = projected_counts(env.region_store("cn"), 2026, {}, {});
    EXPECT_TRUE(c.is_ok());
    return c.is_ok() ? *c : YearCounts{};
  }

  TransferEnv env{{}, kRule};
};

TEST_F(CrossBorderServiceTest, ARequestNamesItsBasisAndImportantDataNeedsAnAssessment) {
  TransferRequest req = env.cn_to_eu({"speed"});
  EXPECT_EQ(env.service().request(env.olga, req).status().code(), Code::kInvalidArgument) << "basis_type missing";
  req.basis_type = "contract";
  EXPECT_EQ(env.service().request(env.olga, req).status().code(), Code::kInvalidArgument);
  TransferRequest important = env.cn_to_eu({"speed", "heading"});
  important.basis_type = "standard_contract";
  const auto refused = env.service().request(env.olga, important);
  EXPECT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("important data need a security_assessment basis"), std::string::npos)
      << refused.status().message();
  important.basis_type = "security_assessment";
  EXPECT_TRUE(env.service().request(env.olga, important).is_ok());
  TransferRequest other_region = env.cn_to_eu({"speed"});
  other_region.source_region = "us";
  other_region.dest_region = "eu";
  EXPECT_TRUE(env.service().request(person("uma", {"operator"}, {"us"}), other_region).is_ok())
      << "no rule out of us: no basis type needed";
}

TEST_F(CrossBorderServiceTest, TheYearsCountDecidesTheBasisAnApprovalNeeds) {
  ASSERT_TRUE(exported(transfer({0, 1}, {"speed"}, "none")).is_ok());
  EXPECT_EQ(counts().general, 2u);

  // Two more would make 4 of the 3 exempt: an approval on "none" is refused, naming the rule.
  const auto refused = transfer({2, 3}, {"speed"}, "none");
  ASSERT_EQ(refused.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("CAC Cross-Border Provisions 2024: 4 non-sensitive"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("need a standard_contract or certification basis"), std::string::npos);
  ASSERT_TRUE(exported(transfer({2, 3}, {"speed"}, "certification")).is_ok());
  EXPECT_EQ(counts().general, 4u);

  // The same individuals again count once.
  ASSERT_TRUE(exported(transfer({0, 1, 2, 3}, {"speed"}, "standard_contract")).is_ok());
  EXPECT_EQ(counts().general, 4u);

  // Sensitive: three cars' locations are more than the 2 a contract covers.
  EXPECT_EQ(transfer({4, 5, 6}, {"location"}, "standard_contract").status().code(), Code::kFailedPrecondition);
  ASSERT_TRUE(exported(transfer({4, 5, 6}, {"location"}, "security_assessment")).is_ok());
  EXPECT_EQ(counts().sensitive, 3u);
  EXPECT_EQ(counts().general, 4u) << "location alone is sensitive only";

  // A new calendar year starts from zero.
  auto next_year = projected_counts(env.region_store("cn"), 2027, {"p_x"}, {true, false, false});
  ASSERT_TRUE(next_year.is_ok());
  EXPECT_EQ(next_year->general, 1u);
}

TEST_F(CrossBorderServiceTest, AnExportIsCheckedAgainOnWhatLeaves) {
  // Both approved while the year was empty; the first export fills the exempt bracket, so the
  // second, on "none", is refused at export.
  const auto first = transfer({0, 1}, {"speed"}, "none");
  const auto second = transfer({2, 3}, {"speed"}, "none");
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  ASSERT_TRUE(exported(first).is_ok());
  const Status refused = exported(second);
  EXPECT_EQ(refused.code(), Code::kFailedPrecondition) << refused.to_string();
  EXPECT_EQ(counts().general, 2u) << "nothing of the refused export is counted";
  EXPECT_FALSE(std::filesystem::exists(env.out() / *second));
  auto report = env.service().cross_border_report("cn", 2026);
  ASSERT_TRUE(report.is_ok());
  ASSERT_EQ(report->at("refusals").as_array().size(), 1u);
  EXPECT_EQ(report->at("refusals").as_array()[0].at("step").as_string(), "export");
}

TEST_F(CrossBorderServiceTest, TheReportShowsCountsBracketsTransfersAndRefusals) {
  ASSERT_TRUE(exported(transfer({0, 1}, {"speed"}, "none")).is_ok());
  env.now_ms += 20 * kDay;  // October
  ASSERT_FALSE(transfer({2, 3}, {"speed"}, "none").is_ok());
  ASSERT_TRUE(exported(transfer({2, 3}, {"speed", "location"}, "security_assessment")).is_ok());

  auto report = env.service().cross_border_report("cn", 2026);
  ASSERT_TRUE(report.is_ok()) << report.status().to_string();
  const json::array& months = report->at("months").as_array();
  ASSERT_EQ(months.size(), 12u);
  EXPECT_EQ(months[7].at("general").as_uint64(), 0u);  // August
  EXPECT_EQ(months[8].at("general").as_uint64(), 2u);  // September
  EXPECT_EQ(months[8].at("basis_needed").as_string(), "none");
  EXPECT_EQ(months[9].at("general").as_uint64(), 4u);  // October
  EXPECT_EQ(months[9].at("sensitive").as_uint64(), 2u);
  EXPECT_EQ(months[9].at("basis_needed").as_string(), "standard_contract");
  EXPECT_EQ(months[11].at("general").as_uint64(), 4u) << "cumulative to December";
  const json::array& crossed = report->at("brackets_crossed").as_array();
  ASSERT_EQ(crossed.size(), 1u);
  EXPECT_EQ(crossed[0].at("month").as_string(), "2026-10");
  EXPECT_EQ(report->at("by_basis").at("none").as_int64(), 2);
  EXPECT_EQ(report->at("by_basis").at("security_assessment").as_int64(), 1);
  const json::array& refusals = report->at("refusals").as_array();
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].at("step").as_string(), "approve");
  EXPECT_EQ(env.service().cross_border_report("eu", 2026).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace fleetgate::transfer
