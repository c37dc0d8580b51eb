// Readiness of a PostgreSQL database (the control plane's, for GET /readyz): whether it answers
// `SELECT 1` now, asked on a connection of the probe's own so that a busy pool cannot hold the
// answer up, within bounded time.
#pragma once

#include <libpq-fe.h>

#include <chrono>
#include <mutex>
#include <string>

#include "fleetgate/core/result.h"

namespace fleetgate::store {

class PgProbe {
 public:
  // How long connecting, and then the query, may take each.
  static constexpr int kTimeoutSeconds = 2;
  // How long an answer is reused: probes arriving together or back to back cost one query.
  static constexpr std::chrono::milliseconds kReuse{1000};

  explicit PgProbe(std::string dsn) : dsn_(std::move(dsn)) {}
  ~PgProbe();
  PgProbe(const PgProbe&) = delete;
  PgProbe& operator=(const PgProbe&) = delete;

  // OK when the database answered; kUnavailable naming the control database and the cause when
  // it did not. A kept connection that fails is replaced once at once (the database may have
  // restarted since), so a call takes at most about 4 * kTimeoutSeconds; concurrent calls wait
  // for the one asking and share its answer. Thread-safe.
  Status check();

 private:
  // One attempt on conn_ (connecting it when there is none); closes conn_ when it fails.
  Status ask();

  const std::string dsn_;
  std::mutex mu_;  // held while asking; guards the fields below
  PGconn* conn_ = nullptr;
  Status answer_;
  std::chrono::steady_clock::time_point answered_at_;
  bool answered_ = false;
};

}  // namespace fleetgate::store
