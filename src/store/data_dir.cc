#include "fleetgate/store/data_dir.h"

#include <algorithm>
#include <vector>

#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_store.h"

namespace fleetgate::store {

std::filesystem::path control_store_dir(const config::Config& cfg) { return cfg.server.data_dir / "control"; }

std::filesystem::path region_store_dir(const config::Region& region) { return region.data_dir / "store"; }

namespace {

// True when one path is the other or lies inside it (lexically, after normalisation).
bool nested(const std::filesystem::path& a, const std::filesystem::path& b) {
  const auto na = a.lexically_normal();
  const auto nb = b.lexically_normal();
  auto [ia, ib] = std::mismatch(na.begin(), na.end(), nb.begin(), nb.end());
  return ia == na.end() || ib == nb.end();
}

// Every store needs a directory of its own: RocksDB refuses to share one, and a database
// nested in another's directory would be swept up by backups and deletes of the outer one.
Status check_layout(const config::Config& cfg) {
  std::vector<std::pair<std::string, std::filesystem::path>> dirs{{"the control plane", control_store_dir(cfg)}};
  for (const auto& region : cfg.regions) dirs.emplace_back("region '" + region.id + "'", region_store_dir(region));
  for (size_t i = 0; i < dirs.size(); ++i) {
    for (size_t j = i + 1; j < dirs.size(); ++j) {
      if (nested(dirs[i].second, dirs[j].second)) {
        return failed_precondition("store dir " + dirs[j].second.string() + " of " + dirs[j].first + " overlaps " +
                                   dirs[i].second.string() + " of " + dirs[i].first);
      }
    }
  }
  return Status::ok();
}

}  // namespace

Result<std::string> control_dsn(const config::Config& cfg) {
  return dsn_from_env(cfg.control.dsn_env, "[control] backend = \"postgres\"");
}

Result<std::unique_ptr<KvStore>> open_control_store(const config::Config& cfg, const EmbeddedOptions& options) {
  if (Status s = check_layout(cfg); !s.is_ok()) return s;
  if (cfg.control.backend == config::ControlSettings::Backend::kPostgres) {
    auto dsn = control_dsn(cfg);
    if (!dsn.is_ok()) return dsn.status();
    return open_pg(*dsn);
  }
  return open_embedded(control_store_dir(cfg), options);
}

namespace {

// open_region_store, the layout already checked.
Result<std::unique_ptr<KvStore>> open_checked_region_store(const config::Region& region, const EmbeddedOptions& options,
                                                           const RemoteRegionStore& remote) {
  if (remote && region.telemetry.log != config::RegionTelemetrySettings::Log::kEmbedded) return remote(region);
  EmbeddedOptions region_options = options;
  if (region.retention_days) region_options.retention = std::chrono::hours(24) * *region.retention_days;
  return open_embedded(region_store_dir(region), region_options);
}

}  // namespace

Result<std::unique_ptr<KvStore>> open_region_store(const config::Config& cfg, const config::Region& region,
                                                   const EmbeddedOptions& options, const RemoteRegionStore& remote) {
  if (Status s = check_layout(cfg); !s.is_ok()) return s;
  return open_checked_region_store(region, options, remote);
}

Result<std::map<std::string, std::unique_ptr<KvStore>>> open_region_stores(const config::Config& cfg,
                                                                           const EmbeddedOptions& options,
                                                                           const RemoteRegionStore& remote) {
  if (Status s = check_layout(cfg); !s.is_ok()) return s;
  std::map<std::string, std::unique_ptr<KvStore>> stores;
  for (const auto& region : cfg.regions) {
    if (!cfg.serves(region.id)) continue;
    auto opened = open_checked_region_store(region, options, remote);
    if (!opened.is_ok()) return opened.status();
    stores.emplace(region.id, std::move(opened).value());
  }
  return stores;
}

}  // namespace fleetgate::store
