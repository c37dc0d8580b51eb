// The schema of a region's query store in the region's PostgreSQL, versioned apart from the
// control plane's (its own table fleetgate_region_schema): telemetry_blocks, the sealed blocks
// partitioned by day of created_at (day_partitions.h), latest_states, one row per vehicle, and the
// region's usage log: usage_records and usage_hourly (pg_usage_log.h), the region's objects
// (region_objects.h) and its vehicle data keys (vehicle_keys, privacy/vehicle_keys.h).
#pragma once

#include <libpq-fe.h>

#include <string>

#include "fleetgate/core/result.h"

namespace fleetgate::query_store {

// Schema version this binary writes and reads.
inline constexpr int kRegionSchemaVersion = 6;

// Applies the migrations this binary knows to the region database at `dsn`, under an advisory
// lock so that nodes migrating at once take turns; the schema version after them. Idempotent.
// kUnavailable when the database fails; kFailedPrecondition when its schema is newer than this
// binary's.
Result<int> migrate_region_pg(const std::string& dsn);

// OK when the database on `c` has exactly this binary's schema; kFailedPrecondition naming the
// version found (or its absence) otherwise.
Status check_region_schema(PGconn* c);

}  // namespace fleetgate::query_store
