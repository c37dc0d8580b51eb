// Versioned schemas in a PostgreSQL database, shared by the control plane (pg_store.h) and a
// region's query store (query_store/region_schema.h): each records its version in a table of
// its own and migrates under an advisory lock of its own, so nodes migrating at once take turns.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <span>
#include <string>

#include "fleetgate/core/result.h"

namespace fleetgate::store {

struct PgSchema {
  const char* what;           // how errors name it, e.g. "the database's schema"
  const char* version_table;  // one row per applied migration: (version, applied_at)
  int64_t lock_id;            // the transaction-level advisory lock its migrators take
  std::span<const char* const> migrations;  // in order: migration i brings it to version i + 1
  int version() const { return static_cast<int>(migrations.size()); }
};

// Applies the migrations of `schema` the database at `dsn` lacks, in one transaction; the
// version after them. Idempotent. kUnavailable when the database fails; kFailedPrecondition when
// the database holds a newer version than `schema` knows.
Result<int> apply_migrations(const std::string& dsn, const PgSchema& schema);

// The version recorded in `schema`'s table on `c`; 0 when the table holds none. kUnavailable
// when it cannot be read (the table missing included).
Result<int> recorded_version(PGconn* c, const PgSchema& schema);

}  // namespace fleetgate::store
