// What a node opens of a served region whose [regions.telemetry] log is "jetstream": its telemetry
// on the region's JetStream cluster at $<nats_env> (comma-separated nats:// URLs) with its query
// store, and its objects (datasets, artifacts, imports), both in the region's PostgreSQL at
// $<dsn_env> (a libpq connection string); addresses from the environment, never from the TOML.
#pragma once

#include <string>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/telemetry/ingest_service.h"

namespace fleetgate::app {

// For IngestOptions::make_region: a StreamTelemetry of the region (stream_telemetry.h).
telemetry::IngestOptions::RegionFactory stream_telemetry_factory();

// For store::open_region_stores: the region's objects in its PostgreSQL
// (query_store/region_objects.h), shared by the region's nodes.
store::RemoteRegionStore region_objects_opener();

// The region's query-store connection string, from $<[regions.telemetry] dsn_env>.
Result<std::string> region_dsn(const config::Region& region);

}  // namespace fleetgate::app
