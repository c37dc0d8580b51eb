// Test support: the control-plane backend a service-level test runs on. Embedded by default;
// in ctest's "pg." copies of the suite (fg_test BOTH_BACKENDS), $FLEETGATE_TEST_PG_SUITE names the
// state file of the suite's PostgreSQL (tests/support/pg_suite.sh), and every config written for a
// service gets a fresh, migrated database of its own, dropped when the test process exits (and
// $FLEETGATE_DIRECTORY_KEY, which nodes sharing a database need, is set unless it is already).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::testing {

// True when this test process runs the suite on PostgreSQL.
bool suite_on_postgres();

// On the suite's PostgreSQL, appends to the config file at `path` a `[control]` table naming a
// new database (its DSN in an environment variable this process sets, so `fleetgate` processes
// spawned from here see it too), unless it has a `[control]` table already (the test chose its
// backend, or this config was used before). A failure fails the test.
void use_suite_backend(const std::filesystem::path& path);

// Opens the control-plane store of the service configured at `config` (whose data dir is
// `data_dir`), as another process would: its database when use_suite_backend() put it on one,
// else the embedded store in `data_dir`/control.
Result<std::unique_ptr<store::KvStore>> open_control_store(const std::filesystem::path& config,
                                                           const std::filesystem::path& data_dir);

}  // namespace fleetgate::testing
