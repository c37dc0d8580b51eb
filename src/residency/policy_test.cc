#include "fleetgate/residency/policy.h"

#include <gtest/gtest.h>

namespace fleetgate::residency {
namespace {

std::shared_ptr<const config::Config> default_config() {
  auto c = config::load_config(std::string(FLEETGATE_SOURCE_DIR) + "/config/fleetgate.toml");
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  return std::make_shared<const config::Config>(std::move(c).value());
}

Policy default_policy() {
  auto p = Policy::create(default_config());
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return std::move(p).value();
}

const std::vector<std::string> kRegions = {"cn", "us", "eu"};
const Channel kChannels[] = {Channel::kDirect, Channel::kApprovedTransfer, Channel::kReadOnlyReplica};

// What the policy must answer for a crossing between two different regions.
bool expected_cross_border(DataClass c, Channel ch) {
  switch (c) {
    case DataClass::kPersonalTelemetry:
    case DataClass::kPersonalConversation: return false;
    case DataClass::kDesensitised:
    case DataClass::kModelWeights: return ch == Channel::kApprovedTransfer;
    case DataClass::kBusinessUsage: return true;
    case DataClass::kAudit: return ch == Channel::kReadOnlyReplica;
  }
  return false;
}

TEST(Policy, EveryClassRegionAndChannelOfTheDefaultConfig) {
  Policy policy = default_policy();
  int checked = 0;
  for (DataClass c : kAllDataClasses) {
    for (const auto& home : kRegions) {
      for (const auto& dest : kRegions) {
        for (Channel ch : kChannels) {
          Decision d = policy.decide(c, home, dest, ch);
          bool expect = home == dest || expected_cross_border(c, ch);
          EXPECT_EQ(d.allowed, expect) << to_string(c) << " " << home << "->" << dest << ": " << d.reason;
          EXPECT_FALSE(d.reason.empty());
          ++checked;
        }
      }
      EXPECT_TRUE(policy.decide(c, home, config::kVehicleLocation).allowed);
    }
  }
  EXPECT_EQ(checked, 6 * 3 * 3 * 3);
}

TEST(Policy, DenyReasonsExplain) {
  Policy policy = default_policy();
  Decision d = policy.decide(DataClass::kPersonalConversation, "cn", "us");
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("only to providers located in the vehicle's region"), std::string::npos);
  d = policy.decide(DataClass::kPersonalTelemetry, "cn", "eu", Channel::kApprovedTransfer);
  EXPECT_FALSE(d.allowed) << "raw telemetry never crosses, not even under an approved transfer";
  EXPECT_NE(d.reason.find("desensitised"), std::string::npos);
}

TEST(Policy, UnknownRegionsAreDenied) {
  Policy policy = default_policy();
  for (DataClass c : kAllDataClasses) {
    EXPECT_FALSE(policy.decide(c, "mars", "cn").allowed);
    EXPECT_FALSE(policy.decide(c, "cn", "mars").allowed);
    EXPECT_FALSE(policy.decide(c, "", "").allowed);
    EXPECT_FALSE(policy.decide(c, "mars", config::kVehicleLocation).allowed);
  }
}

TEST(Policy, PermittedChainsStayInRegion) {
  Policy policy = default_policy();
  for (const auto& region : kRegions) {
    auto chain = policy.permitted_chain(region);
    ASSERT_FALSE(chain.empty());
    for (const auto* p : chain) {
      EXPECT_TRUE(p->location == region || p->location == config::kVehicleLocation) << p->id;
    }
  }
  EXPECT_EQ(policy.permitted_chain("cn").front()->id, "deepseek");
  EXPECT_TRUE(policy.permitted_chain("mars").empty());
}

TEST(Policy, ConfigWithCrossBorderChainIsRefusedWithLocation) {
  auto c = config::parse_config(R"(
[[regions]]
id = "cn"
chain = ["grok"]
[[regions]]
id = "us"
chain = ["grok"]
[markets]
CN = "cn"
[[providers]]
id = "grok"
kind = "openai-compatible"
base_url = "https://api.x.ai"
location = "us"
models = ["grok-4"]
)", "cross.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  auto p = Policy::create(std::make_shared<const config::Config>(std::move(c).value()));
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().message().rfind("cross.toml:4: regions[0].chain[0]: provider 'grok' may not serve region 'cn'", 0), 0u)
      << p.status().message();
}

// A us region whose chain prefers a provider developed in CN, and a US rule against that origin.
std::string origin_config(std::string_view chain, std::string_view developers) {
  return R"([[regions]]
id = "us"
chain = )" + std::string(chain) + R"(
[markets]
US = "us"
CA = "us"
[[providers]]
id = "hosted-cn"
kind = "openai-compatible"
base_url = "https://models.example"
location = "us"
models = ["m"]
)" + std::string(developers) + R"(
[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
developer_jurisdiction = "DE"
[[compliance.prohibited_origins]]
markets = ["US"]
origins = ["CN", "RU"]
from_model_year = 2027
reference = "15 CFR 791 subpart D"
)";
}

Result<Policy> origin_policy(std::string_view chain, std::string_view developers = "developer_jurisdiction = \"CN\"") {
  auto c = config::parse_config(origin_config(chain, developers), "origin.toml");
  if (!c.is_ok()) return c.status();
  return Policy::create(std::make_shared<const config::Config>(std::move(c).value()));
}

TEST(Policy, AProhibitedOriginIsDeniedFromItsModelYearInItsMarketsOnly) {
  auto policy = origin_policy(R"(["hosted-cn", "onboard"])");
  ASSERT_TRUE(policy.is_ok()) << policy.status().to_string();
  const config::Provider& cn = *policy->config().provider("hosted-cn");
  EXPECT_TRUE(policy->decide_provider({"us", "US", 2026}, cn).allowed);
  const Decision d = policy->decide_provider({"us", "US", 2027}, cn);
  EXPECT_FALSE(d.allowed);
  EXPECT_NE(d.reason.find("15 CFR 791 subpart D"), std::string::npos) << d.reason;
  EXPECT_FALSE(policy->decide_provider({"us", "US", std::nullopt}, cn).allowed) << "an unknown model year is covered";
  EXPECT_TRUE(policy->decide_provider({"us", "CA", 2030}, cn).allowed) << "CA has no such rule";
  EXPECT_TRUE(policy->decide_provider({"us", "US", 2030}, *policy->config().provider("onboard")).allowed);
  const auto chain = policy->permitted_chain(Car{"us", "US", 2028});
  ASSERT_EQ(chain.size(), 1u);
  EXPECT_EQ(chain.front()->id, "onboard");
  EXPECT_EQ(policy->permitted_chain(Car{"us", "US", 2020}).size(), 2u);
  EXPECT_FALSE(policy->decide_provider({"eu", "US", 2020}, cn).allowed) << "the location rule still applies";
}

TEST(Policy, OriginRulesAreRefusedWhenTheyCannotHold) {
  auto undeclared = origin_policy(R"(["hosted-cn", "onboard"])", "");
  ASSERT_FALSE(undeclared.is_ok());
  EXPECT_NE(undeclared.status().message().find("provider 'hosted-cn' must declare developer_jurisdiction"),
            std::string::npos)
      << undeclared.status().message();
  auto empty = origin_policy(R"(["hosted-cn"])");
  ASSERT_FALSE(empty.is_ok());
  EXPECT_EQ(empty.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(empty.status().message().find("cars of market US from model year 2027 would have no assistant provider left"),
            std::string::npos)
      << empty.status().message();
  auto bad_code = origin_policy(R"(["hosted-cn", "onboard"])", "developer_jurisdiction = \"China\"");
  ASSERT_FALSE(bad_code.is_ok());
  EXPECT_NE(bad_code.status().message().find("developer_jurisdiction: must be an ISO 3166 alpha-2 code"), std::string::npos)
      << bad_code.status().message();
}

TEST(Policy, DataClassNamesRoundTrip) {
  for (DataClass c : kAllDataClasses) {
    auto parsed = parse_data_class(to_string(c));
    ASSERT_TRUE(parsed.is_ok());
    EXPECT_EQ(*parsed, c);
  }
  EXPECT_FALSE(parse_data_class("personal").is_ok());
}

}  // namespace
}  // namespace fleetgate::residency
