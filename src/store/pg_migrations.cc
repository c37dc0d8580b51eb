#include "fleetgate/store/pg_migrations.h"

#include <memory>

#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"

namespace fleetgate::store {

Result<int> recorded_version(PGconn* c, const PgSchema& schema) {
  auto r = run(c, std::string("SELECT max(version)::text FROM ") + schema.version_table);
  if (!r.is_ok()) return r.status();
  if (r->rows() == 0 || r->at(0, 0).empty()) return 0;
  return std::stoi(std::string(r->at(0, 0)));
}

Result<int> apply_migrations(const std::string& dsn, const PgSchema& schema) {
  auto c = pg_connect(dsn);
  if (!c.is_ok()) return c.status();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  auto step = [&](const std::string& sql) { return run(conn.get(), sql).status(); };
  if (Status s = step("BEGIN"); !s.is_ok()) return s;
  Status s = step("SELECT pg_advisory_xact_lock(" + std::to_string(schema.lock_id) + ")");
  if (s.is_ok()) {
    s = step(std::string("CREATE TABLE IF NOT EXISTS ") + schema.version_table +
             " (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  }
  auto version = s.is_ok() ? recorded_version(conn.get(), schema) : Result<int>(s);
  if (version.is_ok() && *version > schema.version()) {
    version = failed_precondition(std::string(schema.what) + " is version " + std::to_string(*version) +
                                  ", newer than this fleetgate's " + std::to_string(schema.version()));
  }
  for (int v = version.is_ok() ? *version : schema.version(); v < schema.version() && version.is_ok(); ++v) {
    Status applied = step(schema.migrations[static_cast<size_t>(v)]);
    if (applied.is_ok()) {
      applied = step(std::string("INSERT INTO ") + schema.version_table + " (version) VALUES (" + std::to_string(v + 1) + ")");
    }
    if (!applied.is_ok()) version = applied;
  }
  if (!version.is_ok()) {
    (void)step("ROLLBACK");
    return version.status();
  }
  if (Status committed = step("COMMIT"); !committed.is_ok()) return committed;
  return schema.version();
}

}  // namespace fleetgate::store
