// Test support: a `fleetgate serve` node's config with the control plane on PostgreSQL, whose
// connection string the test puts in $FLEETGATE_CONTROL_DSN (ControlDsn).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/scratch_config.h"

namespace fleetgate::testing {

// The shipped config with its own data dir under `dir` and [control] on PostgreSQL; its path.
inline std::filesystem::path pg_node_config(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const std::filesystem::path config = write_scratch_config(dir);
  std::ofstream(config, std::ios::app) << "\n[control]\nbackend = \"postgres\"\ndsn_env = \"FLEETGATE_CONTROL_DSN\"\n";
  return config;
}

// Points the nodes and CLI commands this test starts at `dsn`, until it goes out of scope. The
// nodes share the VIN directory in that database, so they also get one directory key.
class ControlDsn {
 public:
  explicit ControlDsn(const std::string& dsn) {
    EXPECT_EQ(setenv("FLEETGATE_CONTROL_DSN", dsn.c_str(), 1), 0);
    EXPECT_EQ(setenv("FLEETGATE_DIRECTORY_KEY", std::string(64, '7').c_str(), 1), 0);
  }
  ~ControlDsn() {
    unsetenv("FLEETGATE_CONTROL_DSN");
    unsetenv("FLEETGATE_DIRECTORY_KEY");
  }
  ControlDsn(const ControlDsn&) = delete;
  ControlDsn& operator=(const ControlDsn&) = delete;
};

}  // namespace fleetgate::testing
