#include "fleetgate/app/usage_log_open.h"

#include "fleetgate/app/region_telemetry_open.h"
#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/query_store/pg_usage_log.h"

namespace fleetgate::app {

Result<std::unique_ptr<ledger::UsageLog>> open_usage_log(const config::Region& region, store::KvStore& store) {
  if (region.telemetry.log != config::RegionTelemetrySettings::Log::kJetStream) {
    auto log = ledger::KvUsageLog::open(store, region.id);
    if (!log.is_ok()) return log.status();
    return std::unique_ptr<ledger::UsageLog>(std::move(log).value());
  }
  auto dsn = region_dsn(region);
  if (!dsn.is_ok()) return dsn.status();
  auto log = query_store::PgUsageLog::open(std::move(dsn).value(), region.id);
  if (!log.is_ok()) return Status(log.status().code(), "usage log: " + log.status().message());
  return std::unique_ptr<ledger::UsageLog>(std::move(log).value());
}

}  // namespace fleetgate::app
