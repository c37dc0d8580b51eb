// The usage log of a region whose telemetry is on JetStream, in the region's PostgreSQL (schema:
// region_schema.h), so that every gateway node of the region appends to and settles from one log.
// usage_records holds each record once per (time_ms, request_id); usage_hourly its totals per UTC
// hour and UsageKey, updated in the transaction that inserts the records. A batch sent again (a
// retry after a lost COMMIT reply) inserts nothing and adds nothing; two nodes appending at once
// each add to the hourly rows under their row locks, taken in key order, so neither loses the
// other's update and they cannot deadlock. Raw records stay in the region's database; only
// totals() results leave it.
#pragma once

#include <libpq-fe.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::query_store {

// Thread-safe: each call uses a connection of its own, from a small set kept open (a connection
// the server ended is dropped and another opened on the next call).
class PgUsageLog final : public ledger::UsageLog {
 public:
  // Connects to the region database at `dsn` for region `region`. kUnavailable when it cannot be
  // reached; kFailedPrecondition when its schema is not this binary's (run migrate_region_pg).
  static Result<std::unique_ptr<PgUsageLog>> open(std::string dsn, std::string region);
  ~PgUsageLog() override;

  // Acknowledged after the COMMIT. Besides UsageLog's checks, kInvalidArgument for a record
  // without request_id (its identity here). kUnavailable when the database fails: nothing was
  // written, or (the connection broke during COMMIT) all was, and appending the same again is
  // harmless.
  Status append_all(std::span<const ledger::UsageRecord> records) override;
  // In (time_ms, request_id) order, on one snapshot (a REPEATABLE READ transaction).
  Status scan(int64_t from_ms, int64_t to_ms,
              const std::function<Status(const ledger::UsageRecord&)>& fn) const override;
  // One aggregate query over usage_hourly in the region's database.
  Status totals(int64_t from_ms, int64_t to_ms, ledger::UsageSummary& out) const override;
  Result<uint64_t> expire(int64_t before_ms, std::string_view market) override;

 private:
  struct Session;
  class Lease;
  PgUsageLog(std::string dsn, std::string region);
  Result<Lease> borrow() const;
  void give_back(std::unique_ptr<Session> session) const;
  Status append_in_transaction(Session& s, std::span<const ledger::UsageRecord> records);

  const std::string dsn_;
  mutable std::mutex mu_;  // guards idle_
  mutable std::vector<std::unique_ptr<Session>> idle_;
};

}  // namespace fleetgate::query_store
