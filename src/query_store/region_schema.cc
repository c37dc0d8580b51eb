#include "fleetgate/query_store/region_schema.h"

#include <iterator>
#include <memory>

#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"

namespace fleetgate::query_store {
namespace {

using store::run;

// Not the control plane's 7013501: a region database may be the control plane's too.
constexpr const char* kMigrationLock = "SELECT pg_advisory_xact_lock(7013502)";

// The migrations, in order; migration i brings the schema to version i + 1. seq is numeric(20):
// a record's seq is any uint64, and bigint would order the upper half before the lower.
const char* const kMigrations[] = {
    "CREATE TABLE telemetry_blocks (pseudonym text NOT NULL, created_at bigint NOT NULL, seq numeric(20) NOT NULL,"
    " block bytea NOT NULL, PRIMARY KEY (pseudonym, created_at, seq)) PARTITION BY RANGE (created_at)",
    "CREATE TABLE latest_states (pseudonym text PRIMARY KEY, created_at bigint NOT NULL, seq numeric(20) NOT NULL,"
    " state bytea NOT NULL)",
};
static_assert(std::size(kMigrations) == kRegionSchemaVersion);

Result<int> schema_version(PGconn* c) {
  auto r = run(c, "SELECT max(version)::text FROM fleetgate_region_schema");
  if (!r.is_ok()) return r.status();
  if (r->rows() == 0 || r->at(0, 0).empty()) return 0;
  return std::stoi(std::string(r->at(0, 0)));
}

}  // namespace

Result<int> migrate_region_pg(const std::string& dsn) {
  auto c = store::pg_connect(dsn);
  if (!c.is_ok()) return c.status();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  auto step = [&](const std::string& sql) { return run(conn.get(), sql).status(); };
  if (Status s = step("BEGIN"); !s.is_ok()) return s;
  Status s = step(kMigrationLock);
  if (s.is_ok()) {
    s = step("CREATE TABLE IF NOT EXISTS fleetgate_region_schema (version int PRIMARY KEY,"
             " applied_at timestamptz NOT NULL DEFAULT now())");
  }
  auto version = s.is_ok() ? schema_version(conn.get()) : Result<int>(s);
  if (version.is_ok() && *version > kRegionSchemaVersion) {
    version = failed_precondition("the region database's query store schema is version " + std::to_string(*version) +
                                  ", newer than this fleetgate's " + std::to_string(kRegionSchemaVersion));
  }
  for (int v = version.is_ok() ? *version : kRegionSchemaVersion; v < kRegionSchemaVersion && version.is_ok(); ++v) {
    Status applied = step(kMigrations[v]);
    if (applied.is_ok()) {
      applied = step("INSERT INTO fleetgate_region_schema (version) VALUES (" + std::to_string(v + 1) + ")");
    }
    if (!applied.is_ok()) version = applied;
  }
  if (!version.is_ok()) {
    (void)step("ROLLBACK");
    return version.status();
  }
  if (Status committed = step("COMMIT"); !committed.is_ok()) return committed;
  return kRegionSchemaVersion;
}

Status check_region_schema(PGconn* c) {
  auto exists = run(c, "SELECT to_regclass('fleetgate_region_schema') IS NOT NULL");
  if (!exists.is_ok()) return exists.status();
  // Binary results: a bool is one byte, 1 for true.
  const bool has_table = exists->rows() == 1 && exists->at(0, 0) == std::string_view("\x01", 1);
  auto version = has_table ? schema_version(c) : Result<int>(0);
  if (!version.is_ok()) return version.status();
  if (*version == kRegionSchemaVersion) return Status::ok();
  return failed_precondition("the region database's query store schema is " +
                             (*version == 0 ? std::string("missing") : "version " + std::to_string(*version)) +
                             ", this fleetgate needs version " + std::to_string(kRegionSchemaVersion) +
                             ": run migrate_region_pg");
}

}  // namespace fleetgate::query_store
