// Test support: a throwaway PostgreSQL started by tools/pg-region.sh on a free loopback port and
// a unix socket in its own folder, stopped and removed when this goes out of scope. A test may
// stop() and start() it again in between (same data, same port, same DSN). Also: a migrated
// control store on it, and one value of a query run on a connection of the test's own.
#pragma once

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_store.h"
#include "support/free_port.h"

namespace fleetgate::testing {

// The control store in the database at `dsn`, migrated first; null after a reported failure.
inline std::unique_ptr<store::KvStore> open_migrated_pg(const std::string& dsn) {
  auto migrated = store::migrate_pg(dsn);
  EXPECT_TRUE(migrated.is_ok()) << migrated.status().to_string();
  auto s = store::open_pg(dsn);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? std::move(s).value() : nullptr;
}

// The one value `sql` returns, on a connection of the caller's own ("" when it failed, reported).
inline std::string query_value(const std::string& dsn, const std::string& sql) {
  auto c = store::pg_connect(dsn);
  if (!c.is_ok()) {
    ADD_FAILURE() << c.status().to_string();
    return "";
  }
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn.get(), sql.c_str()), PQclear);
  if (PQresultStatus(r.get()) != PGRES_TUPLES_OK || PQntuples(r.get()) != 1) {
    ADD_FAILURE() << sql << ": " << store::pg_error(conn.get());
    return "";
  }
  return PQgetvalue(r.get(), 0, 0);
}

class PgServer {
 public:
  PgServer() {
    char name[] = "/tmp/fleetgate-pg-XXXXXX";
    if (mkdtemp(name) == nullptr) {
      ADD_FAILURE() << "mkdtemp failed";
      return;
    }
    root_ = name;
    std::filesystem::permissions(root_, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                            std::filesystem::perms::others_exec);
    port_ = free_port();
    if (!start()) dsn_.clear();
  }
  ~PgServer() {
    if (root_.empty()) return;
    if (!stop()) ADD_FAILURE() << "tools/pg-region.sh stop failed";
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;

  // The libpq connection string; empty when the server did not start (already reported).
  const std::string& dsn() const { return dsn_; }
  // The loopback TCP port it listens on (the DSN names its unix socket).
  uint16_t port() const { return port_; }
  // The folder holding everything the server writes (its data directory, socket and log).
  const std::filesystem::path& dir() const { return root_; }

  // Stops the server; false when that failed. Its data stays, for start(). kFast ends open
  // sessions and rolls their transactions back; kImmediate kills the server, which recovers from
  // its WAL at the next start, as after a crash.
  enum class Shutdown { kFast, kImmediate };
  bool stop(Shutdown mode = Shutdown::kFast) {
    const std::string how = mode == Shutdown::kFast ? " fast" : " immediate";
    return std::system((script() + " stop " + (root_ / "pg").string() + how).c_str()) == 0;
  }

  // Starts the server on its data and port again (or at first); false when that failed (reported).
  bool start() {
    FILE* p = popen((script() + " start " + (root_ / "pg").string() + " " + std::to_string(port_)).c_str(), "r");
    std::string printed;
    char buf[512];
    while (p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr) printed += buf;
    const int rc = p == nullptr ? -1 : pclose(p);
    while (!printed.empty() && printed.back() == '\n') printed.pop_back();
    if (rc != 0 || printed.empty()) {
      ADD_FAILURE() << "tools/pg-region.sh start failed (" << rc << "); see " << (root_ / "pg" / "postgres.log");
      return false;
    }
    dsn_ = printed;
    return true;
  }

 private:
  static std::string script() { return FLEETGATE_SOURCE_DIR "/tools/pg-region.sh"; }

  std::filesystem::path root_;
  uint16_t port_ = 0;
  std::string dsn_;
};

}  // namespace fleetgate::testing
