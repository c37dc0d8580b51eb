// Test support for tests of region cn's telemetry on JetStream: its 3-server cluster and one
// PostgreSQL (control plane and query store) with the environment nodes find them by, and a
// node's config that puts cn's telemetry on that cluster.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

#include "support/nats_region.h"
#include "support/pg_node.h"
#include "support/pg_server.h"
#include "support/test_backend.h"

namespace fleetgate::testing {

// A `fleetgate serve` node's config under `dir`: the control plane on $FLEETGATE_CONTROL_DSN and
// cn's telemetry on JetStream with 2 shards, plus `settings` (lines of [regions.telemetry]).
inline std::filesystem::path stream_node_config(const std::filesystem::path& dir, std::string_view settings = {}) {
  const std::filesystem::path config = pg_node_config(dir);
  std::ifstream in(config);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(config, std::ios::trunc) << with_region_tables(text, [&](const std::string& id) {
    return id == "cn" ? "[regions.telemetry]\nlog = \"jetstream\"\nshards = 2\n" + std::string(settings) : std::string();
  });
  return config;
}

// cn's servers, running while this lives, and the environment that points nodes and CLI
// commands at them ($FLEETGATE_NATS_CN, $FLEETGATE_REGION_DSN_CN, ControlDsn). ok() says whether
// both started.
class CnStreamRegion {
 public:
  CnStreamRegion() {
    EXPECT_EQ(setenv("FLEETGATE_NATS_CN", cluster.urls().c_str(), 1), 0);
    EXPECT_EQ(setenv("FLEETGATE_REGION_DSN_CN", pg.dsn().c_str(), 1), 0);
  }
  ~CnStreamRegion() {
    unsetenv("FLEETGATE_NATS_CN");
    unsetenv("FLEETGATE_REGION_DSN_CN");
  }
  CnStreamRegion(const CnStreamRegion&) = delete;
  CnStreamRegion& operator=(const CnStreamRegion&) = delete;
  bool ok() const { return !pg.dsn().empty() && !cluster.urls().empty(); }

  PgServer pg;
  NatsRegion cluster{"cn"};

 private:
  ControlDsn control_{pg.dsn()};
};

}  // namespace fleetgate::testing
