// Test support: the mode a service-level test runs in. Embedded by default; in ctest's "pg."
// copies of the suite (fg_test BOTH_BACKENDS), the distributed mode: $FLEETGATE_TEST_PG_SUITE
// names the state file of the suite's PostgreSQL (tests/support/pg_suite.sh), and every config
// written for a service gets a fresh, migrated control database of its own, and for each region a
// one-server JetStream cluster (tools/nats-region.sh) and a migrated query-store database for its
// telemetry; all dropped when the test process exits ($FLEETGATE_DIRECTORY_KEY, which nodes
// sharing a database need, is set unless it is already).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/privacy/vehicle_keys.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::testing {

// True when this test process runs the suite on PostgreSQL.
bool suite_on_postgres();

// In the distributed mode, rewrites the config file at `path`: a `[control]` table naming a new
// database, and in each region a `[regions.telemetry]` table naming its new cluster and database
// (their addresses in environment variables this process sets, so `fleetgate` processes spawned
// from here see them too), unless it has a `[control]` table already (the test chose its
// backend, or this config was used before). A failure fails the test.
void use_suite_backend(const std::filesystem::path& path);

// `text` (a config) with the table `table(id)` returns appended to each [[regions]] entry, id
// being that entry's region id (a test puts one region's telemetry on JetStream with it).
std::string with_region_tables(const std::string& text, const std::function<std::string(const std::string& id)>& table);

// The sealed telemetry of `region` for scans (telemetry::count_records, scan_records), read as
// another process would: its query store when its telemetry is on JetStream, else a snapshot of
// `embedded`, the region store the caller opened.
Result<std::unique_ptr<store::KvReader>> region_records(const config::Region& region, const store::KvStore& embedded);

// Opens the store of `region` (datasets, artifacts, imports; and its telemetry when embedded) as
// another process would: its objects in the region's database when its telemetry is on
// JetStream, else its RocksDB in its data dir (store::open_region_store).
Result<std::unique_ptr<store::KvStore>> open_region_store(const config::Config& cfg, const config::Region& region);

// The vehicle key store of `region` (privacy/vehicle_keys.h) as another process would open it:
// the region's database when its telemetry is on JetStream, else <data_dir>/vehicle-keys.
Result<std::shared_ptr<privacy::VehicleKeys>> open_vehicle_keys(const config::Region& region,
                                                                std::shared_ptr<const privacy::RegionKeys> keys);

// Opens the control-plane store of the service configured at `config` (whose data dir is
// `data_dir`), as another process would: its database when use_suite_backend() put it on one,
// else the embedded store in `data_dir`/control.
Result<std::unique_ptr<store::KvStore>> open_control_store(const std::filesystem::path& config,
                                                           const std::filesystem::path& data_dir);

}  // namespace fleetgate::testing
