// A KvStore on PostgreSQL (libpq), for several fleetgate nodes sharing one region's database:
// the control plane's (open_pg), and a region's objects (query_store/region_objects.h). Keys and
// values are bytea in one table, ordered bytewise as the KvStore
// contract asks. Writes are transactions committed with PostgreSQL's durability (synchronous
// commit). Inside a deferred-sync scope (KvStore::begin_deferred_sync) they commit with
// synchronous_commit off, so they are visible before they are durable, on one session kept for
// the scope; end_deferred_sync() then forces a WAL flush covering them on that session (flushes
// of several threads share one fsync), and reports kUnavailable, outcome unknown, when that
// fails or the session ended (the server may have crashed and lost them). Conditional writes
// (write_if) lock their key's row space with a transaction-level advisory lock, so they serialize
// across every node; scans and snapshots read one REPEATABLE READ transaction each. The schema
// is created by migrate() (`fleetgate migrate`); open() refuses a database whose schema is
// missing or newer than this binary.
// Turns (KvStore::lock, AuditLog::transact's): a session-level advisory lock on a connection of
// its own. When a KvLock ends while another thread of this process has opened a deferred-sync
// scope on the store and not taken a lock yet (the next decision, waiting its turn), the advisory
// lock is kept for it, so that consecutive decisions of one node do not take and release it each
// time; after kPgTurnsInARow holders in a row, or when nobody here waits, it is released, so a
// node waiting for it gets it. A node that dies holding it releases it when its session ends.
// Faults: connections are bounded (pg_connection.h) and pooled; one the server ended (a restart)
// is replaced on next use, so calls fail with kUnavailable while the database is down and work
// again once it is back, without a restart of the node. A write whose connection broke during
// COMMIT fails with kUnavailable saying that whether it was stored is unknown; none is reported
// as success unless PostgreSQL acknowledged its COMMIT.
#pragma once

#include <libpq-fe.h>

#include <functional>
#include <memory>
#include <string>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

// Schema version this binary writes and reads.
inline constexpr int kPgSchemaVersion = 1;

// KvLocks of one process that may have a turn in a row without releasing it across nodes: what
// another node waits at most, in decisions, and each release costs two round trips.
inline constexpr int kPgTurnsInARow = 16;

// Applies the migrations this binary knows to the database at `dsn` (a libpq connection string);
// the schema version after them. Idempotent; safe while nodes run.
Result<int> migrate_pg(const std::string& dsn);

// Connects to `dsn`; kUnavailable when the database cannot be reached, kFailedPrecondition when
// its schema is not at kPgSchemaVersion (run `fleetgate migrate`).
Result<std::unique_ptr<KvStore>> open_pg(const std::string& dsn);

// Connects to `dsn` and returns the store over `table` (k bytea PRIMARY KEY, v bytea NOT NULL),
// which another schema's migrations create; `check_schema` runs first on a connection and its
// error, if any, is returned (kUnavailable when the database cannot be reached).
Result<std::unique_ptr<KvStore>> open_pg_table(const std::string& dsn, const std::string& table,
                                               const std::function<Status(PGconn*)>& check_schema);

}  // namespace fleetgate::store
