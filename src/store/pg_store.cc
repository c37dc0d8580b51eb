#include "fleetgate/store/pg_store.h"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"
#include "fleetgate/store/pg_migrations.h"

namespace fleetgate::store {
namespace {

// Rows a scan reads per query: kFirstPageRows first, then twice as many per page up to
// kMaxPageRows while a page stays under kPageBytes, so a short scan reads little and a long one
// of small rows (a month of revenue events) costs a round trip per 16,384 rows, not per 256.
constexpr size_t kFirstPageRows = 256;
constexpr size_t kMaxPageRows = 16384;
constexpr size_t kPageBytes = 4 << 20;
// Keys get_many asks for per query.
constexpr size_t kKeysPerQuery = 8192;
constexpr int kMaxConnections = 16;

// True when `c` may be handed out again: connected, no transaction open, not pipelining.
bool reusable(PGconn* c) {
  return PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE && PQpipelineStatus(c) == PQ_PIPELINE_OFF;
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
      if (!pg_session_ended(c)) return c;
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
    if (!reusable(c)) {
      discard(c);
      return;
    }
    std::lock_guard lock(mu_);
    idle_.push_back(c);
    cv_.notify_one();
  }

  // Closes `c` instead of giving it back: for a session that may still hold a session-level lock.
  void discard(PGconn* c) {
    PQfinish(c);
    drop_slot();
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

// The statements of a store over one (k bytea PRIMARY KEY, v bytea NOT NULL) table.
struct TableSql {
  explicit TableSql(const std::string& table)
      : get("SELECT v FROM " + table + " WHERE k = $1"),
        get_many("SELECT k, v FROM " + table + " WHERE k = ANY($1)"),
        page("SELECT k, v FROM " + table + " WHERE k "),
        // A conditional write's check, as a statement that fails when the key does not hold what
        // the write expects: 1 divided by the number of rows that match ($1 the key, $2 the value
        // expected), or that do not exist when nothing is expected. The count comes from a
        // subquery, so the division happens at execution, not when the statement is planned.
        // kCheckFailedState (division_by_zero) is how the failure comes back; nothing else in
        // these statements divides.
        head_check("SELECT 1 / (SELECT count(*)::int FROM " + table + " WHERE k = $1 AND v = $2)"),
        absent_check("SELECT 1 / (1 - (SELECT count(*)::int FROM " + table + " WHERE k = $1))"),
        put("INSERT INTO " + table + " (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v"),
        del("DELETE FROM " + table + " WHERE k = $1") {}
  const std::string get, get_many, page, head_check, absent_check, put, del;
};

void put_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

// `keys` as a one-dimensional bytea[] in PostgreSQL's binary array format: dimensions, flags,
// element type, then each element's length and bytes, integers big-endian.
std::string bytea_array(const std::vector<std::string>& keys, size_t from, size_t to) {
  constexpr uint32_t kByteaOid = 17;
  std::string out;
  put_be32(out, 1);  // dimensions
  put_be32(out, 0);  // no NULL element
  put_be32(out, kByteaOid);
  put_be32(out, static_cast<uint32_t>(to - from));
  put_be32(out, 1);  // lower bound
  for (size_t i = from; i < to; ++i) {
    put_be32(out, static_cast<uint32_t>(keys[i].size()));
    out += keys[i];
  }
  return out;
}

Result<std::vector<std::optional<std::string>>> get_many_on(PGconn* c, const TableSql& sql,
                                                             const std::vector<std::string>& keys) {
  std::vector<std::optional<std::string>> values(keys.size());
  for (size_t from = 0; from < keys.size(); from += kKeysPerQuery) {
    const size_t to = std::min(keys.size(), from + kKeysPerQuery);
    const std::string array = bytea_array(keys, from, to);
    auto r = run(c, sql.get_many, {{array}});
    if (!r.is_ok()) return r.status();
    std::map<std::string_view, std::string_view> found;
    for (int i = 0; i < r->rows(); ++i) found.emplace(r->at(i, 0), r->at(i, 1));
    for (size_t i = from; i < to; ++i) {
      if (auto it = found.find(keys[i]); it != found.end()) values[i] = std::string(it->second);
    }
  }
  return values;
}

Result<std::string> get_on(PGconn* c, const TableSql& sql, std::string_view key) {
  auto r = run(c, sql.get, {{key}});
  if (!r.is_ok()) return r.status();
  if (r->rows() == 0) return not_found("no value under the key");
  return std::string(r->at(0, 0));
}

// A read-only REPEATABLE READ transaction on one connection: every read in it sees the database
// as of its first read. Shared by a snapshot and the iterators it makes.
class ReadTxn {
 public:
  ReadTxn(Pool& pool, const TableSql& sql, PGconn* c) : lease_(pool, c), sql_(sql) {}
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
    return get_on(lease_.get(), sql_, key);
  }

  // Up to `limit` entries with keys in [from, end) (`inclusive` false: (from, end)); end empty
  // means no upper bound.
  Result<std::vector<std::pair<std::string, std::string>>> page(std::string_view from, bool inclusive, std::string_view end,
                                                                size_t limit) {
    std::string sql = sql_.page + (inclusive ? ">=" : ">") + " $1";
    std::vector<Param> params{{from}};
    if (!end.empty()) {
      sql += " AND k < $2";
      params.push_back({end});
    }
    sql += " ORDER BY k LIMIT " + std::to_string(limit);
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
  const TableSql& sql_;
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
    auto page = txn_->page(from, inclusive, end_, limit_);
    at_ = 0;
    if (!page.is_ok()) {
      status_ = page.status();
      rows_.clear();
      return;
    }
    rows_ = std::move(page).value();
    more_ = rows_.size() == limit_;
    size_t bytes = 0;
    for (const auto& [k, v] : rows_) bytes += k.size() + v.size();
    if (more_ && bytes < kPageBytes / 2) limit_ = std::min(limit_ * 2, kMaxPageRows);
  }

  std::shared_ptr<ReadTxn> txn_;
  std::string end_;
  std::vector<std::pair<std::string, std::string>> rows_;
  size_t at_ = 0;
  size_t limit_ = kFirstPageRows;  // rows the next page asks for
  bool more_ = false;
  Status status_;
};

Result<std::shared_ptr<ReadTxn>> begin_read(Pool& pool, const TableSql& sql) {
  auto c = pool.acquire();
  if (!c.is_ok()) return c.status();
  auto txn = std::make_shared<ReadTxn>(pool, sql, *c);
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

constexpr std::string_view kCheckFailedState = "22012";

// 64-bit FNV-1a: the advisory lock a conditional write of `key` takes.
int64_t lock_id(std::string_view key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : key) h = (h ^ ch) * 1099511628211ULL;
  return static_cast<int64_t>(h);
}

// One lock name's cross-node turn (KvStore::lock) as this process has it: a session-level
// advisory lock on a connection of its own, which may outlive the KvLock that took it (PgStore's
// hand-on, pg_store.h).
struct Turn {
  std::string id;             // the advisory lock's id, as text
  PGconn* session = nullptr;  // holds the advisory lock while set
  bool busy = false;          // a KvLock of this process has the turn, or it is being taken or given back
  int holders = 0;            // KvLocks in a row that had it since `session` took it
};

// kUnavailable for a change PostgreSQL may or may not have stored: never a failure that wrote
// nothing, nor a success. The caller's client reads the state back (or repeats an idempotent
// request, README "Several nodes on one control database").
Status unknown_outcome(const std::string& what_happened, const std::string& cause) {
  return unavailable("postgres: " + what_happened + ", so whether this change was stored is unknown (" + cause +
                     "); read it back before repeating it");
}

// Makes durable every commit before it on the server: a transaction that writes a WAL record
// (a transactional logical-decoding message, which assigns an xid) commits synchronously.
// PostgreSQL's RecordTransactionCommit (src/backend/access/transam/xact.c) flushes WAL at commit
// (XLogFlush(XactLastRecEnd), waiting for synchronous standbys too) only when the transaction has
// an xid AND wrote WAL before its commit record, and synchronous_commit is not off. So
// `SELECT pg_current_xact_id()` alone would NOT do: it writes no WAL and commits asynchronously
// (measured: 0.15 ms against 4.4 ms here). XLogFlush flushes WAL in LSN order up to this commit
// record, which lies after every commit already returned, the asynchronous ones included; and
// backends flushing at once share one fsync (whoever holds WALWriteLock flushes for all).
// It runs with the session's synchronous_commit, as every plain commit does, so an acknowledgement
// means what it meant before. Logical-decoding consumers, if any, see an empty message.
constexpr const char* kSyncSql = "SELECT pg_logical_emit_message(true, 'fleetgate.sync', '')";

// A thread's open KvStore::begin_deferred_sync scope on one store. Every write in it commits on one
// session, kept until the scope ends, and the sync runs on that session too: a session that lived
// from the commits to the sync proves that the server did not crash in between (a crash ends
// every session), so the sync, though on a server that may have restarted, covers them.
struct DeferredScope {
  const void* store = nullptr;
  int depth = 1;
  bool awaiting_turn = true;  // has not taken a KvStore::lock yet (counted in PgStore::awaiting_turn_)
  PGconn* session = nullptr;  // taken from the pool at the scope's first write, given back at its end
  bool pending = false;       // a write committed on `session` and is not yet known durable
  std::string lost;           // why pending writes can no longer be confirmed (their session ended)
};
thread_local std::vector<DeferredScope> deferred_scopes;  // a thread may be in scopes of several stores

class PgStore final : public KvStore {
 public:
  PgStore(std::string dsn, const std::string& table) : pool_(std::move(dsn)), sql_(table) {}
  ~PgStore() override {
    std::unique_lock l(turns_mu_);
    for (auto& [name, turn] : turns_) give_back(turn, l);
  }

  Result<std::string> get(std::string_view key) const override {
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    Lease lease(pool_, *c);
    return get_on(lease.get(), sql_, key);
  }

  Result<std::vector<std::optional<std::string>>> get_many(const std::vector<std::string>& keys) const override {
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    Lease lease(pool_, *c);
    return get_many_on(lease.get(), sql_, keys);
  }

  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    auto txn = begin_read(pool_, sql_);
    if (!txn.is_ok()) return std::make_unique<PgIterator>(txn.status());
    return std::make_unique<PgIterator>(*txn, prefix, start);
  }

  std::unique_ptr<KvReader> snapshot() const override { return std::make_unique<PgSnapshot>(begin_read(pool_, sql_)); }

  Status write(const WriteBatch& batch, WriteOptions) override { return commit(batch, nullptr, nullptr); }

  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    return commit(batch, &key, &expected);
  }

  bool shared() const override { return true; }

  void begin_deferred_sync() override {
    if (DeferredScope* open = deferred_scope()) {
      ++open->depth;
      return;
    }
    deferred_scopes.emplace_back().store = this;
    std::lock_guard l(turns_mu_);
    ++awaiting_turn_;
  }

  Status end_deferred_sync() override {
    DeferredScope* open = deferred_scope();
    if (open == nullptr || --open->depth > 0) return Status::ok();
    const DeferredScope scope = std::move(*open);
    std::erase_if(deferred_scopes, [this](const DeferredScope& d) { return d.store == this; });
    if (scope.awaiting_turn) stop_awaiting_turn();
    if (scope.session == nullptr) return Status::ok();
    Lease lease(pool_, scope.session);
    if (!scope.lost.empty()) return unknown_outcome("the connection that committed it ended before it was durable", scope.lost);
    if (!scope.pending) return Status::ok();
    if (auto synced = run(lease.get(), kSyncSql); !synced.is_ok()) {
      return unknown_outcome("it committed, but the wait for it to be durable failed", synced.status().message());
    }
    return Status::ok();
  }

  // The advisory lock's id is another than write_if's transaction lock of the same key, so that
  // the holder can still commit conditional writes on other connections.
  Result<std::unique_ptr<KvLock>> lock(std::string_view name) override {
    std::unique_lock l(turns_mu_);
    if (DeferredScope* scope = deferred_scope(); scope != nullptr && scope->awaiting_turn) {
      scope->awaiting_turn = false;
      --awaiting_turn_;
    }
    Turn& turn = turns_.try_emplace(std::string(name)).first->second;
    turns_cv_.wait(l, [&turn] { return !turn.busy; });
    turn.busy = true;
    // Handed on from the previous holder of this process: no round trip. A session the server
    // ended (a restart, pg_terminate_backend) lost the lock with it and must not be trusted.
    if (turn.session != nullptr && !pg_session_ended(turn.session)) {
      ++turn.holders;
      return std::unique_ptr<KvLock>(new HeldTurn(*this, turn));
    }
    if (turn.id.empty()) turn.id = std::to_string(lock_id(name) ^ 1);
    PGconn* ended = std::exchange(turn.session, nullptr);
    l.unlock();
    if (ended != nullptr) pool_.discard(ended);  // whatever it still holds goes with it
    Result<PGconn*> taken = take_turn(turn.id);
    l.lock();
    if (!taken.is_ok()) {
      turn.busy = false;
      turns_cv_.notify_all();
      return taken.status();
    }
    turn.session = *taken;
    turn.holders = 1;
    return std::unique_ptr<KvLock>(new HeldTurn(*this, turn));
  }

 private:
  DeferredScope* deferred_scope() {
    for (DeferredScope& d : deferred_scopes) {
      if (d.store == this) return &d;
    }
    return nullptr;
  }

  // A turn while a KvLock has it; its end may hand it on (end_turn).
  class HeldTurn final : public KvLock {
   public:
    HeldTurn(PgStore& store, Turn& turn) : store_(store), turn_(turn) {}
    ~HeldTurn() override { store_.end_turn(turn_); }

   private:
    PgStore& store_;
    Turn& turn_;
  };

  // A connection of its own holding the advisory lock `id`, once no other session holds it.
  Result<PGconn*> take_turn(const std::string& id) {
    auto c = pool_.acquire();
    if (!c.is_ok()) return c.status();
    if (auto r = run(*c, "SELECT pg_advisory_lock($1::bigint)", {{id, false}}); !r.is_ok()) {
      pool_.release(*c);
      return r.status();
    }
    return *c;
  }

  // A KvLock ended: the turn stays with this process, for a thread here waiting for it, unless
  // kPgTurnsInARow holders had it in a row (another node may be waiting) or none waits.
  void end_turn(Turn& turn) {
    std::unique_lock l(turns_mu_);
    if (awaiting_turn_ > 0 && turn.holders < kPgTurnsInARow) {
      turn.busy = false;
      turns_cv_.notify_all();
      return;
    }
    give_back(turn, l);
  }

  // A scope that never took a turn ended: turns kept for it go back when nobody else waits.
  void stop_awaiting_turn() {
    std::unique_lock l(turns_mu_);
    if (--awaiting_turn_ > 0) return;
    for (auto& [name, turn] : turns_) {
      if (turn.busy || turn.session == nullptr) continue;
      turn.busy = true;
      give_back(turn, l);
    }
  }

  // Releases `turn`'s advisory lock, if it holds it, and frees the turn. REQUIRES: `l` holds
  // turns_mu_, and `turn` is busy or has no holder; `l` is released during the round trip.
  void give_back(Turn& turn, std::unique_lock<std::mutex>& l) {
    PGconn* session = std::exchange(turn.session, nullptr);
    turn.holders = 0;
    if (session != nullptr) {
      l.unlock();
      // Given back to the pool only once it released the lock: closing it releases it otherwise.
      if (run(session, "SELECT pg_advisory_unlock($1::bigint)", {{turn.id, false}}).is_ok()) pool_.release(session);
      else pool_.discard(session);
      l.lock();
    }
    turn.busy = false;
    turns_cv_.notify_all();
  }

  // The session `scope`'s writes commit on. One that ended (or broke) is replaced; if writes
  // committed on it are still pending, they can no longer be confirmed, and the scope says so.
  Result<PGconn*> session_of(DeferredScope& scope) {
    if (scope.session != nullptr && (!reusable(scope.session) || pg_session_ended(scope.session))) {
      if (scope.pending && scope.lost.empty()) {
        const std::string why = pg_error(scope.session);
        scope.lost = why.empty() ? "the server ended the session" : "postgres: " + why;
      }
      pool_.release(scope.session);
      scope.session = nullptr;
      scope.pending = false;
    }
    if (scope.session == nullptr) {
      auto c = pool_.acquire();
      if (!c.is_ok()) return c.status();
      scope.session = *c;
    }
    return scope.session;
  }

  // One transaction: when `key` is given, lock it across nodes and check it holds `*expected`
  // first. PostgreSQL commits durably (synchronous_commit), whatever WriteOptions::sync says;
  // inside a deferred-sync scope it commits with synchronous_commit off, on the scope's session,
  // and end_deferred_sync() waits for durability. Every statement, the check included, goes in
  // one pipeline: one round trip. A check that fails raises an error (TableSql::head_check), which
  // makes PostgreSQL skip the writes and the COMMIT after it.
  Status commit(const WriteBatch& batch, const std::string_view* key, const std::optional<std::string>* expected) {
    if (batch.empty() && key == nullptr) return Status::ok();
    DeferredScope* deferred = deferred_scope();
    std::optional<Lease> lease;  // outside a scope the connection goes back when done
    PGconn* conn = nullptr;
    if (deferred != nullptr) {
      auto c = session_of(*deferred);
      if (!c.is_ok()) return c.status();
      conn = *c;
    } else {
      auto c = pool_.acquire();
      if (!c.is_ok()) return c.status();
      conn = lease.emplace(pool_, *c).get();
    }
    std::vector<Statement> statements = {{"BEGIN", {}}};
    // The COMMIT returns once the change is visible, without waiting for the WAL flush.
    if (deferred != nullptr) statements.push_back({"SET LOCAL synchronous_commit = off", {}});
    const std::string id = key != nullptr ? std::to_string(lock_id(*key)) : std::string();  // a param's bytes
    if (key != nullptr) {
      // The check is a statement of its own after the lock's, so that it reads what was committed
      // before the lock was granted (READ COMMITTED: a snapshot per statement).
      statements.push_back({"SELECT pg_advisory_xact_lock($1::bigint)", {{id, false}}});
      if (expected->has_value()) statements.push_back({sql_.head_check.c_str(), {{*key}, {**expected}}});
      else statements.push_back({sql_.absent_check.c_str(), {{*key}}});
    }
    for (const auto& e : batch.entries()) {
      if (e.op == WriteBatch::Op::kPut) {
        statements.push_back({sql_.put.c_str(), {{e.key}, {e.value}}});
      } else {
        statements.push_back({sql_.del.c_str(), {{e.key}}});
      }
    }
    statements.push_back({"COMMIT", {}});
    std::string sqlstate;
    if (auto r = run_pipelined(conn, statements, &sqlstate); !r.is_ok()) {
      // The server may have committed before the connection broke.
      if (PQstatus(conn) == CONNECTION_BAD) return unknown_outcome("the connection was lost during COMMIT", r.status().message());
      if (PQpipelineStatus(conn) == PQ_PIPELINE_OFF && PQtransactionStatus(conn) != PQTRANS_IDLE) {
        PQclear(PQexec(conn, "ROLLBACK"));
      }
      if (key != nullptr && sqlstate == kCheckFailedState) {
        return aborted("the value under '" + std::string(*key) + "' changed concurrently");
      }
      return r.status();
    }
    if (deferred != nullptr) deferred->pending = true;
    return Status::ok();
  }

  mutable Pool pool_;
  const TableSql sql_;
  std::mutex turns_mu_;  // guards the fields below
  std::condition_variable turns_cv_;
  std::map<std::string, Turn, std::less<>> turns_;  // by lock name; never erased, so a Turn& stays valid
  int awaiting_turn_ = 0;  // open deferred-sync scopes of this store that have not taken a turn
};

// The migrations, in order; migration i brings the schema to version i + 1.
const char* const kMigrations[] = {
    "CREATE TABLE fleetgate_kv (k bytea PRIMARY KEY, v bytea NOT NULL)",
};
static_assert(std::size(kMigrations) == kPgSchemaVersion);
const PgSchema kSchema{"the database's schema", "fleetgate_schema", 7013501, kMigrations};

}  // namespace

Result<int> migrate_pg(const std::string& dsn) { return apply_migrations(dsn, kSchema); }

Result<std::unique_ptr<KvStore>> open_pg(const std::string& dsn) {
  return open_pg_table(dsn, "fleetgate_kv", [](PGconn* c) -> Status {
    auto version = recorded_version(c, kSchema);
    if (version.is_ok() && *version == kPgSchemaVersion) return Status::ok();
    return failed_precondition("the control database's schema is " +
                               (version.is_ok() ? "version " + std::to_string(*version) : std::string("missing")) +
                               ", this fleetgate needs version " + std::to_string(kPgSchemaVersion) +
                               ": run `fleetgate migrate`");
  });
}

Result<std::unique_ptr<KvStore>> open_pg_table(const std::string& dsn, const std::string& table,
                                               const std::function<Status(PGconn*)>& check_schema) {
  auto c = pg_connect(dsn);
  if (!c.is_ok()) return c.status();
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(*c, PQfinish);
  if (Status s = check_schema(conn.get()); !s.is_ok()) return s;
  return std::unique_ptr<KvStore>(new PgStore(dsn, table));
}

}  // namespace fleetgate::store
