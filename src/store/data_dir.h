// The on-disk layout of an embedded deployment, derived from the config:
//   <server.data_dir>/control/   control plane: fleet registry and audit chain (one RocksDB)
//   <region.data_dir>/store/     one RocksDB per region for data homed there (telemetry, datasets),
//                                unless the region's data lives in its own engines (RemoteRegionStore)
// Region data dirs default to <server.data_dir>/<region id>. Every directory is created on
// first open and locked by the process that opens it.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

std::filesystem::path control_store_dir(const config::Config& cfg);
std::filesystem::path region_store_dir(const config::Region& region);

// Opens the control-plane store of [control]: embedded (kFailedPrecondition when any two store
// dirs of the layout overlap; otherwise the errors of open_embedded) or PostgreSQL (open_pg; the
// connection string from $<control.dsn_env>, kFailedPrecondition when unset).
Result<std::unique_ptr<KvStore>> open_control_store(const config::Config& cfg, const EmbeddedOptions& options = {});
// The control database's connection string, from $<control.dsn_env>.
Result<std::string> control_dsn(const config::Config& cfg);

// Opens the store of a region whose data lives elsewhere than its data dir (the app's choice,
// e.g. its PostgreSQL when its telemetry is on JetStream); empty: every region's is embedded.
using RemoteRegionStore = std::function<Result<std::unique_ptr<KvStore>>(const config::Region&)>;

// Opens the store of `region`: `remote`'s when it is set and the region's telemetry is not
// embedded, else its RocksDB in region_store_dir(region) (kFailedPrecondition when any two store
// dirs of the layout overlap; otherwise the errors of open_embedded). A region's retention_days,
// when set, becomes EmbeddedOptions::retention (given options.key_time).
Result<std::unique_ptr<KvStore>> open_region_store(const config::Config& cfg, const config::Region& region,
                                                   const EmbeddedOptions& options = {},
                                                   const RemoteRegionStore& remote = {});

// open_region_store for each region this node serves ([node] regions), keyed by region id; fails
// on the first error. Regions it does not serve get nothing on its disk.
Result<std::map<std::string, std::unique_ptr<KvStore>>> open_region_stores(const config::Config& cfg,
                                                                           const EmbeddedOptions& options = {},
                                                                           const RemoteRegionStore& remote = {});

}  // namespace fleetgate::store
