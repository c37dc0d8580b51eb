#include "fleetgate/store/pg_store.h"

#include <poll.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"

namespace fleetgate::store {
namespace {

constexpr int kPageRows = 256;  // rows a scan reads per query
constexpr int kMaxConnections = 16;

// True when an idle connection is no longer usable. An idle connection has nothing to read, so a
// readable socket means the server ended the session (a restart, pg_terminate_backend, an idle
// timeout: it sends an error, then closes). Rarely it was a harmless message instead, and a good
// connection is replaced.
bool ended_by_server(PGconn* c) {
  pollfd p{PQsocket(c), POLLIN, 0};
  return PQstatus(c) != CONNECTION_OK || poll(&p, 1, 0) != 0;
}

// A bounded pool of connections to one database. A connection goes back idle (no transaction
// open) or is closed, so a broken one is never handed out twice; one the server ended while idle
// is dropped when next taken. So after a database restart the pool reconnects on next use, and
// while the database is down each use fails at once with kUnavailable (pg_connect's bounds).
class Pool {
 public:
  explicit Pool(std::string dsn) : dsn_(std::move(dsn)) {}
  ~Pool() {
    for (PGconn* c : idle_) PQfinish(c);
  }

  Result<PGconn*> acquire() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return !idle_.empty() || open_ < kMaxConnections; });
      if (idle_.empty()) break;
      PGconn* c = idle_.back();
      idle_.pop_back();
      if (!ended_by_server(c)) return c;
      PQfinish(c);
      --open_;
    }
    ++open_;
    lock.unlock();
    auto c = pg_connect(dsn_);
    if (!c.is_ok()) drop_slot();
    return c;
  }

  void release(PGconn* c) {
    if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE || PQpipelineStatus(c) != PQ_PIPELINE_OFF) {
      PQfinish(c);
      drop_slot();
      return;
    }
    std::lock_guard lock(mu_);
    idle_.push_back(c);
    cv_.notify_one();
  }

 private:
  void drop_slot() {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
  }

  const std::string dsn_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PGconn*> idle_;
  int open_ = 0;
};

// A connection borrowed from the pool for one scope.
class Lease {
 public:
  Lease(Pool& pool, PGconn* c) : pool_(pool), c_(c) {}
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease() { pool_.release(c_); }
  PGconn* get() const { return c_; }

 private:
  Pool& pool_;
  PGconn* c_;
};

// The smallest key greater than every key starting with `prefix`; empty when there is none
// (the prefix is empty or all 0xff).
std::string prefix_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty() && static_cast<unsigned char>(end.back()) == 0xff) end.pop_back();
  if (!end.empty()) end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
  return end;
}

Result<std::string> get_on(PGconn* c, std::string_view key) {
  auto r = run(c, "SELECT v FROM fleetgate_kv WHERE k = $1", {{key}});
  if (!r.is_ok()) return r.status();
  if (r->rows() == 0) return not_found("no value under the key");
  return std::string(r->at(0, 0));
}

// A read-only REPEATABLE READ transaction on one connection: every read in it sees the database
// as of its first read. Shared by a snapshot and the iterators it makes.
class ReadTxn {
 public:
  ReadTxn(Pool& pool, PGconn* c) : lease_(pool, c) {}
  ~ReadTxn() {
    if (begun_) PQclear(PQexec(lease_.get(), "ROLLBACK"));
  }

  Status begin() {
    auto r = run(lease_.get(), "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    begun_ = r.is_ok();
    return r.status();
  }

  Result<std::string> get(std::string_view key) {
    std::lock_guard lock(mu_);
    return get_on(lease_.get(), key);
  }

  // Up to kPageRows entries with keys in [from, end) (`inclusive` false: (from, end)); end empty
  // means no upper bound.
  Result<std::vector<std::pair<std::string, std::string>>> page(std::string_view from, bool inclusive, std::string_view end) {
    std::string sql = std::string("SELECT k, v FROM fleetgate_kv WHERE k ") + (inclusive ? ">=" : ">") + " $1";
    std::vector<Param> params{{from}};
    if (!end.empty()) {
      sql += " AND k < $2";
      params.push_back({end});
    }
    sql += " ORDER BY k LIMIT " + std::to_string(kPageRows);
    std::lock_guard lock(mu_);
    auto r = run(lease_.get(), sql, params);
    if (!r.is_ok()) return r.status();
    std::vector<std::pair<std::string, std::string>> rows;
    rows.reserve(static_cast<size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) rows.emplace_back(r->at(i, 0), r->at(i, 1));
    return rows;
  }

 private:
  Lease lease_;
  std::mutex mu_;  // a connection runs one query at a time
  bool begun_ = false;
};

class PgIterator final : public KvIterator {
 public:
  PgIterator(std::shared_ptr<ReadTxn> txn, std::string_view prefix, std::string_view start)
      : txn_(std::move(txn)), end_(prefix_end(prefix)) {
    const std::string from = std::string(start) > std::string(prefix) ? std::string(start) : std::string(prefix);
    fetch(from, true);
  }
  explicit PgIterator(Status failed) : status_(std::move(failed)) {}

  bool valid() const override { return status_.is_ok() && at_ < rows_.size(); }
  std::string_view key() const override { return rows_[at_].first; }
  std::string_view value() const override { return rows_[at_].second; }
  void next() override {
    if (++at_ < rows_.size() || !more_) return;
    const std::string last = rows_.back().first;
    fetch(last, false);
  }
  Status status() const override { return status_; }

 private:
  void fetch(const std::string& from, bool inclusive) {
    auto page = txn_->page(from, inclusive, end_);
    at_ = 0;
    if (!page.is_ok()) {
      status_ = page.status();
      rows_.clear();
      return;
    }
    rows_ = std::move(page).value();
    more_ = rows_.size() == static_cast<size_t>(kPageRows);
  }

  std::shared_ptr<ReadTxn> txn_;
  std::string end_;
  std::vector<std::pair<std::string, std::string>> rows_;
  size_t at_ = 0;
  bool more_ = false;
  Status status_;
};

Result<std::shared_ptr<ReadTxn>> begin_read(Pool& pool) {
  auto c = pool.acquire();
  if (!c.is_ok()) return c.status();
  auto txn = std::make_shared<ReadTxn>(pool, *c);
  if (Status s = txn->begin(); !s.is_ok()) return s;
  return txn;
}

class PgSnapshot final : public KvReader {
 public:
  explicit PgSnapshot(Result<std::shared_ptr<ReadTxn>> txn) : txn_(std::move(txn)) {}
  Result<std::string> get(std::string_view key) const override {
    if (!txn_.is_ok()) return txn_.status();
    return (*txn_)->get(key);
  }
  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    if (!txn_.is_ok()) return std::make_unique<PgIterator>(txn_.status());
    return std::make_unique<PgIterator>(*txn_, prefix, start);
  }

 private:
  Result<std::shared_ptr<ReadTxn>> txn_;
};

// 64-bit FNV-1a: the advisory lock a conditional write of `key` takes.
int64_t lock_id(std::string_view key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : key) h = (h ^ ch) * 1099511628211ULL;
  return static_cast<int64_t>(h);
}

// A session-level advisory lock on a connection of its own, released (and the connection given
// back) when destroyed.
class PgLock final : public KvLock {
 public:
  PgLock(Pool& pool, PGconn* c, std::string id) : lease_(pool, c), id_(std::move(id)) {}
  ~PgLock() override { (void)run(lease_.get(), "SELECT pg_advisory_unlock($1::bigint)", {{id_, false}}); }
  Status take() { return run(lease_.get(), "SELECT pg_advisory_lock($1::bigint)", {{id_, false}}).status(); }

 private:
  Lease lease_;
  std::string id_;
};

class PgStore final : public KvStore {
 public:
  explicit PgStore(std::string dsn) : pool_(std::move(dsn)) {}

  Result<std::string> get(std::string_view key) const override {
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    Lease lease(pool_, *c);
    return get_on(lease.get(), key);
  }

  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    auto txn = begin_read(pool_);
    if (!txn.is_ok()) return std::make_unique<PgIterator>(txn.status());
    return std::make_unique<PgIterator>(*txn, prefix, start);
  }

  std::unique_ptr<KvReader> snapshot() const override { return std::make_unique<PgSnapshot>(begin_read(pool_)); }

  Status write(const WriteBatch& batch, WriteOptions) override { return commit(batch, nullptr, nullptr); }

  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    return commit(batch, &key, &expected);
  }

  bool shared() const override { return true; }

  // Another id than write_if's transaction lock of the same key, so that the holder can still
  // commit conditional writes on other connections.
  Result<std::unique_ptr<KvLock>> lock(std::string_view name) override {
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    auto held = std::make_unique<PgLock>(pool_, *c, std::to_string(lock_id(name) ^ 1));
    if (Status s = held->take(); !s.is_ok()) return s;
    return std::unique_ptr<KvLock>(std::move(held));
  }

 private:
  // One transaction: when `key` is given, lock it across nodes and check it holds `*expected`
  // first. PostgreSQL commits durably (synchronous_commit), whatever WriteOptions::sync says.
  // Statements go pipelined: one round trip for the check (when there is one), one for the writes
  // and the commit.
  Status commit(const WriteBatch& batch, const std::string_view* key, const std::optional<std::string>* expected) {
    if (batch.empty() && key == nullptr) return Status::ok();
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    Lease lease(pool_, *c);
    PGconn* conn = lease.get();
    auto failed = [conn](Status s) {
      if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF && PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PQclear(PQexec(conn, "ROLLBACK"));
      }
      return s;
    };
    std::vector<Statement> statements = {{"BEGIN", {}}};
    if (key != nullptr) {
      const std::string id = std::to_string(lock_id(*key));
      statements.push_back({"SELECT pg_advisory_xact_lock($1::bigint)", {{id, false}}});
      statements.push_back({"SELECT v FROM fleetgate_kv WHERE k = $1", {{*key}}});
      auto checked = run_pipelined(conn, statements);
      if (!checked.is_ok()) return failed(checked.status());
      const PgResult& now = checked->back();
      const std::optional<std::string> current =
          now.rows() == 0 ? std::nullopt : std::optional<std::string>(std::string(now.at(0, 0)));
      if (current != *expected) return failed(aborted("the value under '" + std::string(*key) + "' changed concurrently"));
      statements.clear();
    }
    for (const auto& e : batch.entries()) {
      if (e.op == WriteBatch::Op::kPut) {
        statements.push_back({"INSERT INTO fleetgate_kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v",
                              {{e.key}, {e.value}}});
      } else {
        statements.push_back({"DELETE FROM fleetgate_kv WHERE k = $1", {{e.key}}});
      }
    }
    statements.push_back({"COMMIT", {}});
    if (auto r = run_pipelined(conn, statements); !r.is_ok()) {
      // The server may have committed before the connection broke: never report that as a
      // failure that wrote nothing, nor as a success. The caller's client reads the state back
      // (or repeats an idempotent request, README "Several nodes on one control database").
      if (PQstatus(conn) == CONNECTION_BAD) {
        return unavailable("postgres: the connection was lost during COMMIT, so whether this change was stored is "
                           "unknown (" + r.status().message() + "); read it back before repeating it");
      }
      return failed(r.status());
    }
    return Status::ok();
  }

  mutable Pool pool_;
};

// The migrations, in order; migration i brings the schema to version i + 1.
const char* const kMigrations[] = {
    "CREATE TABLE fleetgate_kv (k bytea PRIMARY KEY, v bytea NOT NULL)",
};
static_assert(std::size(kMigrations) == kPgSchemaVersion);

Result<int> schema_version(PGconn* c) {
  auto r = run(c, "SELECT max(version)::text FROM fleetgate_schema");
  if (!r.is_ok()) return r.status();
  if (r->rows() == 0 || r->at(0, 0).empty()) return 0;
  return std::stoi(std::string(r->at(0, 0)));
}

}  // namespace

Result<int> migrate_pg(const std::string& dsn) {
  auto c = pg_connect(dsn);
  if (!c.is_ok()) return c.status();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  auto step = [&](const std::string& sql) { return run(conn.get(), sql).status(); };
  // One migrator at a time, whichever node runs it.
  if (Status s = step("BEGIN"); !s.is_ok()) return s;
  Status s = step("SELECT pg_advisory_xact_lock(7013501)");
  if (s.is_ok()) s = step("CREATE TABLE IF NOT EXISTS fleetgate_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  auto version = s.is_ok() ? schema_version(conn.get()) : Result<int>(s);
  if (version.is_ok() && *version > kPgSchemaVersion) {
    version = failed_precondition("the database's schema is version " + std::to_string(*version) +
                                  ", newer than this fleetgate's " + std::to_string(kPgSchemaVersion));
  }
  for (int v = version.is_ok() ? *version : kPgSchemaVersion; v < kPgSchemaVersion && version.is_ok(); ++v) {
    Status applied = step(kMigrations[v]);
    if (applied.is_ok()) applied = step("INSERT INTO fleetgate_schema (version) VALUES (" + std::to_string(v + 1) + ")");
    if (!applied.is_ok()) version = applied;
  }
  if (!version.is_ok()) {
    (void)step("ROLLBACK");
    return version.status();
  }
  if (Status committed = step("COMMIT"); !committed.is_ok()) return committed;
  return kPgSchemaVersion;
}

Result<std::unique_ptr<KvStore>> open_pg(const std::string& dsn) {
  auto c = pg_connect(dsn);
  if (!c.is_ok()) return c.status();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  auto version = schema_version(conn.get());
  if (!version.is_ok() || *version != kPgSchemaVersion) {
    return failed_precondition("the control database's schema is " +
                               (version.is_ok() ? "version " + std::to_string(*version) : std::string("missing")) +
                               ", this fleetgate needs version " + std::to_string(kPgSchemaVersion) +
                               ": run `fleetgate migrate`");
  }
  return std::unique_ptr<KvStore>(new PgStore(dsn));
}

}  // namespace fleetgate::store
