#include "fleetgate/store/pg_probe.h"

#include <poll.h>

#include "fleetgate/store/pg_connection.h"

namespace fleetgate::store {
namespace {

using Clock = std::chrono::steady_clock;

// Runs `SELECT 1` on `c` without blocking past `deadline` (libpq's PQexec would wait for as long
// as the server stays silent).
Status select_one(PGconn* c, Clock::time_point deadline) {
  if (PQsendQuery(c, "SELECT 1") == 0) return unavailable(pg_error(c));
  bool answered = false;
  for (;;) {
    while (PQisBusy(c) != 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      pollfd p{PQsocket(c), POLLIN, 0};
      if (left <= 0 || poll(&p, 1, static_cast<int>(left)) == 0) {
        return unavailable("no answer to SELECT 1 within " + std::to_string(PgProbe::kTimeoutSeconds) + " s");
      }
      if (PQconsumeInput(c) == 0) return unavailable(pg_error(c));
    }
    PGresult* r = PQgetResult(c);
    if (r == nullptr) break;
    answered = PQresultStatus(r) == PGRES_TUPLES_OK;
    PQclear(r);
    if (!answered) return unavailable(pg_error(c));
  }
  return answered ? Status::ok() : unavailable("no answer to SELECT 1");
}

}  // namespace

PgProbe::~PgProbe() { PQfinish(conn_); }

Status PgProbe::check() {
  std::lock_guard lock(mu_);
  if (answered_ && Clock::now() - answered_at_ < kReuse) return answer_;
  const bool reused = conn_ != nullptr;
  answer_ = ask();
  if (!answer_.is_ok() && reused) answer_ = ask();
  if (!answer_.is_ok()) answer_ = unavailable("the control database (PostgreSQL) cannot be reached: " + answer_.message());
  answered_at_ = Clock::now();
  answered_ = true;
  return answer_;
}

Status PgProbe::ask() {
  if (conn_ == nullptr) {
    auto c = pg_connect(dsn_, kTimeoutSeconds);
    if (!c.is_ok()) return c.status();
    conn_ = *c;
  }
  Status s = select_one(conn_, Clock::now() + std::chrono::seconds(kTimeoutSeconds));
  if (!s.is_ok()) {
    PQfinish(conn_);
    conn_ = nullptr;
  }
  return s;
}

}  // namespace fleetgate::store
