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
