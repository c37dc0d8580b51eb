// Opens the usage log of a served region: in the region's PostgreSQL when its [regions.telemetry]
// log is "jetstream", so that every node of the region meters into and settles from one log;
// otherwise in the region's embedded store.
#pragma once

#include <memory>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::app {

// `store` is the region's embedded store (used only for an embedded log; it must outlive the log).
// region_dsn's and the logs' open errors.
Result<std::unique_ptr<ledger::UsageLog>> open_usage_log(const config::Region& region, store::KvStore& store);

}  // namespace fleetgate::app
