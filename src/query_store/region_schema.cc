#include "fleetgate/query_store/region_schema.h"

#include <iterator>

#include "fleetgate/store/pg_exec.h"
#include "fleetgate/store/pg_migrations.h"

namespace fleetgate::query_store {
namespace {

using store::run;

// The migrations, in order; migration i brings the schema to version i + 1. seq is numeric(20):
// a record's seq is any uint64, and bigint would order the upper half before the lower.
const char* const kMigrations[] = {
    "CREATE TABLE telemetry_blocks (pseudonym text NOT NULL, created_at bigint NOT NULL, seq numeric(20) NOT NULL,"
    " block bytea NOT NULL, PRIMARY KEY (pseudonym, created_at, seq)) PARTITION BY RANGE (created_at)",
    "CREATE TABLE latest_states (pseudonym text PRIMARY KEY, created_at bigint NOT NULL, seq numeric(20) NOT NULL,"
    " state bytea NOT NULL)",
    // The region's usage log (pg_usage_log.h): raw records, one per (time_ms, request_id), and
    // their totals per UTC hour (ms of its start) and key, in UsageTotals' fields. Text keys in
    // "C" collation: bytewise order, the same on every node.
    "CREATE TABLE usage_records (time_ms bigint NOT NULL, request_id text COLLATE \"C\" NOT NULL,"
    " vehicle_pseudonym text NOT NULL, region text NOT NULL, market text NOT NULL, feature text NOT NULL,"
    " provider text NOT NULL, model text NOT NULL, prompt_tokens bigint NOT NULL, completion_tokens bigint NOT NULL,"
    " cached_tokens bigint NOT NULL, reasoning_tokens bigint NOT NULL, tool_calls bigint NOT NULL,"
    " refused_tool_calls bigint NOT NULL, outcome text NOT NULL, latency_us bigint NOT NULL,"
    " PRIMARY KEY (time_ms, request_id))",
    "CREATE TABLE usage_hourly (hour bigint NOT NULL, feature text COLLATE \"C\" NOT NULL,"
    " market text COLLATE \"C\" NOT NULL, region text COLLATE \"C\" NOT NULL, provider text COLLATE \"C\" NOT NULL,"
    " model text COLLATE \"C\" NOT NULL, records bigint NOT NULL, served bigint NOT NULL, prompt_tokens bigint NOT NULL,"
    " cached_tokens bigint NOT NULL, completion_tokens bigint NOT NULL, reasoning_tokens bigint NOT NULL,"
    " tool_calls bigint NOT NULL, refused_tool_calls bigint NOT NULL, outliers bigint NOT NULL,"
    " PRIMARY KEY (hour, feature, market, region, provider, model))",
    // The region's objects (region_objects.h): datasets, model artifacts, imported transfers.
    "CREATE TABLE region_objects (k bytea PRIMARY KEY, v bytea NOT NULL)",
    // The region's vehicle data keys (privacy/vehicle_keys.h), wrapped by the region's key.
    "CREATE TABLE vehicle_keys (k bytea PRIMARY KEY, v bytea NOT NULL)",
};
static_assert(std::size(kMigrations) == kRegionSchemaVersion);
// Its lock is not the control plane's 7013501: a region database may be the control plane's too.
const store::PgSchema kSchema{"the region database's query store schema", "fleetgate_region_schema", 7013502,
                              kMigrations};

}  // namespace

Result<int> migrate_region_pg(const std::string& dsn) { return store::apply_migrations(dsn, kSchema); }

Status check_region_schema(PGconn* c) {
  auto exists = run(c, "SELECT to_regclass('fleetgate_region_schema') IS NOT NULL");
  if (!exists.is_ok()) return exists.status();
  // Binary results: a bool is one byte, 1 for true.
  const bool has_table = exists->rows() == 1 && exists->at(0, 0) == std::string_view("\x01", 1);
  auto version = has_table ? store::recorded_version(c, kSchema) : Result<int>(0);
  if (!version.is_ok()) return version.status();
  if (*version == kRegionSchemaVersion) return Status::ok();
  return failed_precondition("the region database's query store schema is " +
                             (*version == 0 ? std::string("missing") : "version " + std::to_string(*version)) +
                             ", this fleetgate needs version " + std::to_string(kRegionSchemaVersion) +
                             ": run migrate_region_pg");
}

}  // namespace fleetgate::query_store
