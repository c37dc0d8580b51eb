// Opens the telemetry of a served region whose [regions.telemetry] log is "jetstream": the
// region's JetStream cluster at $<nats_env> (comma-separated nats:// URLs) and its query store at
// $<dsn_env> (a libpq connection string), both from the environment, never from the TOML.
#pragma once

#include <string>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/ingest_service.h"

namespace fleetgate::app {

// For IngestOptions::make_region: a StreamTelemetry of the region (stream_telemetry.h).
telemetry::IngestOptions::RegionFactory stream_telemetry_factory();

// The region's query-store connection string, from $<[regions.telemetry] dsn_env>.
Result<std::string> region_dsn(const config::Region& region);

}  // namespace fleetgate::app
