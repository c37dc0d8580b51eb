// Survive-restart: what the registry and audit chain acknowledged is there after the stores
// are closed and reopened from disk, as a new process would.
#include <gtest/gtest.h>

#include "fleetgate/vehicle/registry.h"
#include "fleetgate/vehicle/registry_test_env.h"

namespace fleetgate::vehicle {
namespace {

TEST(RegistryRestart, RegisteredVehiclesAndAuditChainSurviveReopen) {
  RegistryEnv env;
  ASSERT_TRUE(env.registry().register_vehicle("LRW3E7EA8PC390117", "CN", "Pudong", "cli:alice").is_ok());
  ASSERT_TRUE(env.registry().register_vehicle("XP7YGCEK7PB021447", "DE", "Berlin", "cli:alice").is_ok());
  ASSERT_TRUE(env.registry().rehome("LRW3E7EA8PC390117", "FR", "cli:bob", "exported").is_ok());
  const std::string head = env.audit().head_hash();
  env.close();

  env.now_ms += 3'600'000;
  env.open();
  auto shown = env.registry().show("LRW3E7EA8PC390117");
  ASSERT_TRUE(shown.is_ok()) << shown.status().to_string();
  EXPECT_EQ(shown->market, "FR");
  EXPECT_EQ(shown->region, "eu");
  EXPECT_EQ(shown->label, "Pudong");
  EXPECT_EQ(shown->plant, "Shanghai");
  EXPECT_EQ(env.registry().show("XP7YGCEK7PB021447")->region, "eu");
  EXPECT_EQ(env.registry().register_vehicle("XP7YGCEK7PB021447", "DE", "", "cli:alice").status().code(),
            Code::kAlreadyExists);

  auto report = env.audit().verify();
  ASSERT_TRUE(report.is_ok());
  EXPECT_TRUE(report->intact()) << report->problem;
  EXPECT_EQ(report->entries, 3u);
  EXPECT_EQ(report->head_hash, head);
  auto next = env.registry().register_vehicle("LGXCE4CB2P0118342", "CN", "", "cli:alice");
  ASSERT_TRUE(next.is_ok());
  EXPECT_EQ(env.audit().size(), 4u);
  EXPECT_TRUE(env.audit().verify()->intact());
}

}  // namespace
}  // namespace fleetgate::vehicle
