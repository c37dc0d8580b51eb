#include "fleetgate/query_store/query_store.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "fleetgate/query_store/copy_rows.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"

namespace fleetgate::query_store {
namespace {

using store::Param;
using store::PgResult;
using store::run;

// Held while partitions are created or dropped, so that nodes creating the same day take turns
// (two CREATE TABLE IF NOT EXISTS of one name at once collide in the catalogue).
constexpr const char* kPartitionLock = "SELECT pg_advisory_xact_lock(7013503)";
constexpr size_t kMaxBlockBytes = size_t{1} << 30;  // a bytea's limit

// Staging tables live as long as the session and are emptied by every commit. seq is staged as
// the uint64's bit pattern in a bigint (binary COPY has no unsigned type) and widened on insert.
constexpr const char* kStageBlocks =
    "CREATE TEMP TABLE IF NOT EXISTS blocks_in (pseudonym text, created_at bigint, seq bigint, block bytea)"
    " ON COMMIT DELETE ROWS";
constexpr const char* kStageStates =
    "CREATE TEMP TABLE IF NOT EXISTS states_in (pseudonym text, created_at bigint, seq bigint, state bytea)"
    " ON COMMIT DELETE ROWS";
#define FG_WIDE_SEQ "(seq::numeric + CASE WHEN seq < 0 THEN 18446744073709551616 ELSE 0 END)"
constexpr const char* kInsertBlocks =
    "INSERT INTO telemetry_blocks (pseudonym, created_at, seq, block)"
    " SELECT pseudonym, created_at, " FG_WIDE_SEQ ", block FROM blocks_in ON CONFLICT DO NOTHING";
constexpr const char* kUpsertStates =
    "INSERT INTO latest_states AS l (pseudonym, created_at, seq, state)"
    " SELECT pseudonym, created_at, " FG_WIDE_SEQ ", state FROM states_in"
    " ON CONFLICT (pseudonym) DO UPDATE SET created_at = excluded.created_at, seq = excluded.seq, state = excluded.state"
    " WHERE (excluded.created_at, excluded.seq) > (l.created_at, l.seq)";
// Staged blocks whose key is stored with other bytes (the same bytes are a redelivery).
constexpr const char* kConflictingBlocks =
    "SELECT b.pseudonym, b.created_at::text, t.seq::text, t.block, b.block FROM"
    " (SELECT pseudonym, created_at, " FG_WIDE_SEQ " AS seq, block FROM blocks_in) b"
    " JOIN telemetry_blocks t ON t.pseudonym = b.pseudonym AND t.created_at = b.created_at AND t.seq = b.seq"
    " WHERE t.block <> b.block";
#undef FG_WIDE_SEQ
constexpr const char* kReplaceBlock =
    "UPDATE telemetry_blocks SET block = $4 WHERE pseudonym = $1 AND created_at = $2::bigint AND seq = $3::numeric";
constexpr const char* kInsertBlock =
    "INSERT INTO telemetry_blocks (pseudonym, created_at, seq, block) VALUES ($1, $2::bigint, $3::numeric, $4)"
    " ON CONFLICT DO NOTHING";
// Each vehicle's lock, taken in name order so two writers of overlapping vehicles cannot deadlock.
constexpr const char* kLockVehicles =
    "SELECT pg_advisory_xact_lock(7013504, hashtext(p)) FROM (SELECT unnest($1::text[]) AS p ORDER BY 1) v";
constexpr const char* kListPartitions =
    "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'telemetry_blocks'::regclass";

template <typename T>
Result<T> number(std::string_view text) {
  T v{};
  auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (err != std::errc() || end != text.data() + text.size()) {
    return data_loss("query store: '" + std::string(text) + "' is not a key number");
  }
  return v;
}

// The rows of a SELECT of (pseudonym, created_at::text, seq::text, sealed bytes), as BlockRows
// or StateRows.
template <typename Row>
Result<std::vector<Row>> keyed_rows(const PgResult& r) {
  std::vector<Row> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    auto t = number<int64_t>(r.at(i, 1));
    auto s = number<uint64_t>(r.at(i, 2));
    if (!t.is_ok()) return t.status();
    if (!s.is_ok()) return s.status();
    out.push_back({std::string(r.at(i, 0)), *t, *s, std::string(r.at(i, 3))});
  }
  return out;
}

size_t affected(const PgResult& r) {
  const char* n = PQcmdTuples(r.get());
  return n == nullptr || *n == '\0' ? 0 : static_cast<size_t>(std::stoull(n));
}

// A PostgreSQL text[] literal: each element quoted, with " and \ escaped.
std::string text_array(std::span<const std::string> items) {
  std::string out = "{";
  for (const std::string& s : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// The stored states of those of `pseudonyms` that have one.
Result<std::vector<StateRow>> read_states(PGconn* c, std::span<const std::string> pseudonyms) {
  const std::string array = text_array(pseudonyms);
  auto r = run(c, "SELECT pseudonym, created_at::text AS t, seq::text AS s, state FROM latest_states WHERE pseudonym = ANY($1::text[])",
               {Param{array, false}});
  if (!r.is_ok()) return r.status();
  return keyed_rows<StateRow>(*r);
}

// Ends a transaction a failed step left open, so the connection is clean for the next call.
void roll_back(PGconn* c) {
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
}

template <typename Row, typename Field>
std::string staged(std::span<const Row> rows, Field payload) {
  CopyRows copy;
  for (const Row& r : rows) {
    copy.row(4).bytes(r.pseudonym).int8(r.created_at_ms).int8(static_cast<int64_t>(r.seq)).bytes(payload(r));
  }
  return std::move(copy).finish();
}

// Of several states of one vehicle, the newest: ON CONFLICT DO UPDATE may touch a row once.
std::vector<StateRow> newest_per_vehicle(std::span<const StateRow> states) {
  std::map<std::string_view, const StateRow*> newest;
  for (const StateRow& s : states) {
    auto [it, added] = newest.emplace(s.pseudonym, &s);
    if (!added && std::pair(s.created_at_ms, s.seq) > std::pair(it->second->created_at_ms, it->second->seq)) {
      it->second = &s;
    }
  }
  std::vector<StateRow> out;
  out.reserve(newest.size());
  for (const auto& [_, s] : newest) out.push_back(*s);
  return out;
}

}  // namespace

BlockPosition next_position(int64_t created_at_ms, uint64_t seq) {
  if (seq != std::numeric_limits<uint64_t>::max()) return {created_at_ms, seq + 1};
  return {created_at_ms + 1, 0};
}

Result<std::unique_ptr<QueryStore>> QueryStore::open(const std::string& dsn) {
  auto c = store::pg_connect(dsn);
  if (!c.is_ok()) return c.status();
  std::unique_ptr<QueryStore> qs(new QueryStore(*c));
  // The IF NOT EXISTS of partitions and staging tables notice what exists: not worth a log line.
  PQsetNoticeProcessor(*c, [](void*, const char*) {}, nullptr);
  if (Status s = check_region_schema(*c); !s.is_ok()) return s;
  return qs;
}

QueryStore::~QueryStore() { PQfinish(conn_); }

Result<PGconn*> QueryStore::connection() const {
  // A session the server ended while this store was idle (a database restart) would fail the
  // next statement sent on it, a gateway's first read after the restart with it: re-opened first.
  if (!store::pg_session_ended(conn_)) return conn_;
  staging_ready_ = false;  // a new session has no temp tables
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return unavailable("query store: postgres: " + store::pg_error(conn_));
  return conn_;
}

Status QueryStore::create_partitions(std::span<const BlockRow> blocks) {
  std::set<Day> missing;
  for (const BlockRow& b : blocks) {
    if (const Day d = day_of(b.created_at_ms); !known_days_.contains(d)) missing.insert(d);
  }
  if (missing.empty()) return Status::ok();
  std::vector<std::string> sql = {"BEGIN", kPartitionLock};
  for (Day d : missing) {
    auto name = partition_name(d);
    if (!name.is_ok()) return name.status();
    sql.push_back("CREATE TABLE IF NOT EXISTS " + *name + " PARTITION OF telemetry_blocks FOR VALUES FROM (" +
                  std::to_string(day_start_ms(d)) + ") TO (" + std::to_string(day_start_ms(d + std::chrono::days(1))) + ")");
  }
  sql.push_back("COMMIT");
  std::vector<store::Statement> statements;
  for (const std::string& s : sql) statements.push_back({s.c_str(), {}});
  auto c = connection();
  if (!c.is_ok()) return c.status();
  if (auto r = store::run_pipelined(*c, statements); !r.is_ok()) {
    roll_back(*c);
    return r.status();
  }
  known_days_.insert(missing.begin(), missing.end());
  return Status::ok();
}

Result<WriteResult> QueryStore::write(std::span<const BlockRow> blocks, const StateFold& fold, const BlockMerge& merge) {
  for (const BlockRow& b : blocks) {
    if (b.block.size() > kMaxBlockBytes) return invalid_argument("query store: a block over 1 GB of " + b.pseudonym);
    if (auto name = partition_name(day_of(b.created_at_ms)); !name.is_ok()) return name.status();
  }
  if (blocks.empty() && !fold) return WriteResult{};
  Status s = create_partitions(blocks);
  auto written = s.is_ok() ? write_in_transaction(blocks, fold, merge) : Result<WriteResult>(s);
  if (!written.is_ok()) {
    // Another node's retention may have dropped a partition this one still believes in: ask again.
    known_days_.clear();
    staging_ready_ = false;
    roll_back(conn_);
  }
  return written;
}

Result<size_t> QueryStore::merge_conflicts(PGconn* c, const BlockMerge& merge) {
  auto conflicts = run(c, kConflictingBlocks);
  if (!conflicts.is_ok()) return conflicts.status();
  size_t replaced = 0;
  for (int i = 0; i < conflicts->rows(); ++i) {
    auto t = number<int64_t>(conflicts->at(i, 1));
    auto q = number<uint64_t>(conflicts->at(i, 2));
    if (!t.is_ok()) return t.status();
    if (!q.is_ok()) return q.status();
    const BlockRow stored{std::string(conflicts->at(i, 0)), *t, *q, std::string(conflicts->at(i, 3))};
    auto merged = merge(stored, conflicts->at(i, 4));
    if (!merged.is_ok()) return merged.status();
    for (size_t k = 0; k < merged->size(); ++k) {
      const BlockRow& b = (*merged)[k];
      const std::string created = std::to_string(b.created_at_ms), seq = std::to_string(b.seq);
      const bool replaces = k == 0 && b.created_at_ms == stored.created_at_ms && b.seq == stored.seq;
      auto r = run(c, replaces ? kReplaceBlock : kInsertBlock,
                   {Param{b.pseudonym, false}, Param{created, false}, Param{seq, false}, Param{b.block, true}});
      if (!r.is_ok()) return r.status();
      if (replaces) ++replaced;
    }
  }
  return replaced;
}

Result<WriteResult> QueryStore::write_in_transaction(std::span<const BlockRow> blocks, const StateFold& fold,
                                                     const BlockMerge& merge) {
  auto c = connection();
  if (!c.is_ok()) return c.status();
  if (Status s = run(*c, "BEGIN").status(); !s.is_ok()) return s;
  if (!staging_ready_) {
    for (const char* sql : {kStageBlocks, kStageStates}) {
      if (Status s = run(*c, sql).status(); !s.is_ok()) return s;
    }
  }
  std::vector<StateRow> newest;
  if (fold) {
    std::set<std::string> unique;
    for (const BlockRow& b : blocks) unique.insert(b.pseudonym);
    const std::vector<std::string> vehicles(unique.begin(), unique.end());
    std::vector<StateRow> stored;
    if (!vehicles.empty()) {
      const std::string array = text_array(vehicles);
      if (Status s = run(*c, kLockVehicles, {Param{array, false}}).status(); !s.is_ok()) return s;
      auto read = read_states(*c, vehicles);
      if (!read.is_ok()) return read.status();
      stored = std::move(read).value();
    }
    auto states = fold(std::move(stored));
    if (!states.is_ok()) return states.status();
    newest = newest_per_vehicle(*states);
  }
  if (!blocks.empty()) {
    const std::string rows = staged(blocks, [](const BlockRow& b) -> std::string_view { return b.block; });
    if (Status s = store::copy_in(*c, "COPY blocks_in FROM STDIN WITH (FORMAT binary)", rows); !s.is_ok()) return s;
  }
  size_t merged = 0;
  if (merge && !blocks.empty()) {
    auto replaced = merge_conflicts(*c, merge);
    if (!replaced.is_ok()) return replaced.status();
    merged = *replaced;
  }
  if (!newest.empty()) {
    const std::string rows = staged(std::span<const StateRow>(newest), [](const StateRow& s) -> std::string_view { return s.state; });
    if (Status s = store::copy_in(*c, "COPY states_in FROM STDIN WITH (FORMAT binary)", rows); !s.is_ok()) return s;
  }
  auto results = store::run_pipelined(*c, {{kInsertBlocks, {}}, {kUpsertStates, {}}, {"COMMIT", {}}});
  if (!results.is_ok()) return results.status();
  staging_ready_ = true;
  return WriteResult{affected((*results)[0]), merged, affected((*results)[1])};
}

Result<std::vector<BlockRow>> QueryStore::scan(std::string_view pseudonym, BlockPosition from, int64_t to_ms,
                                               size_t limit) const {
  if (limit == 0 || from.created_at_ms > to_ms) return std::vector<BlockRow>{};
  auto c = connection();
  if (!c.is_ok()) return c.status();
  const std::string created = std::to_string(from.created_at_ms);
  const std::string seq = std::to_string(from.seq);
  const std::string to = std::to_string(to_ms);
  const std::string max = std::to_string(std::min<size_t>(limit, std::numeric_limits<int64_t>::max()));
  // created_at >= $2 repeats what the row comparison implies, so the planner prunes partitions.
  auto r = run(*c,
               // Aliased: ORDER BY a name of the select list would sort by its text.
               "SELECT pseudonym, created_at::text AS t, seq::text AS s, block FROM telemetry_blocks WHERE pseudonym = $1"
               " AND created_at >= $2::bigint AND created_at <= $4::bigint AND (created_at, seq) >= ($2::bigint, $3::numeric)"
               " ORDER BY created_at, seq LIMIT $5::bigint",
               {Param{pseudonym, false}, Param{created, false}, Param{seq, false}, Param{to, false}, Param{max, false}});
  if (!r.is_ok()) return r.status();
  return keyed_rows<BlockRow>(*r);
}

Result<std::vector<BlockRow>> QueryStore::scan_all(const std::optional<BlockRow>& after, size_t limit) const {
  if (limit == 0) return std::vector<BlockRow>{};
  auto c = connection();
  if (!c.is_ok()) return c.status();
  const std::string max = std::to_string(std::min<size_t>(limit, std::numeric_limits<int64_t>::max()));
  // Keyset paging: each page starts after the previous page's last key, using the primary key.
  Result<PgResult> r = after ? run(*c,
                                   "SELECT pseudonym, created_at::text AS t, seq::text AS s, block FROM telemetry_blocks"
                                   " WHERE (pseudonym, created_at, seq) > ($1, $2::bigint, $3::numeric)"
                                   " ORDER BY pseudonym, created_at, seq LIMIT $4::bigint",
                                   {Param{after->pseudonym, false}, Param{std::to_string(after->created_at_ms), false},
                                    Param{std::to_string(after->seq), false}, Param{max, false}})
                             : run(*c,
                                   "SELECT pseudonym, created_at::text AS t, seq::text AS s, block FROM telemetry_blocks"
                                   " ORDER BY pseudonym, created_at, seq LIMIT $1::bigint",
                                   {Param{max, false}});
  if (!r.is_ok()) return r.status();
  return keyed_rows<BlockRow>(*r);
}

Result<std::vector<StateRow>> QueryStore::latest(std::span<const std::string> pseudonyms) const {
  if (pseudonyms.empty()) return std::vector<StateRow>{};
  auto c = connection();
  if (!c.is_ok()) return c.status();
  return read_states(*c, pseudonyms);
}

Result<std::vector<Day>> QueryStore::days() const {
  auto c = connection();
  if (!c.is_ok()) return c.status();
  auto r = run(*c, kListPartitions);
  if (!r.is_ok()) return r.status();
  std::vector<Day> out;
  for (int i = 0; i < r->rows(); ++i) {
    if (auto d = partition_day(r->at(i, 0))) out.push_back(*d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<uint64_t> QueryStore::erase(std::string_view pseudonym) {
  auto c = connection();
  if (!c.is_ok()) return c.status();
  const std::vector<Param> key{Param{pseudonym, false}};
  auto erased = [&]() -> Result<uint64_t> {
    if (Status s = run(*c, "BEGIN").status(); !s.is_ok()) return s;
    // The vehicle's lock (kLockVehicles): a materializer's write of it commits before or after.
    if (Status s = run(*c, "SELECT pg_advisory_xact_lock(7013504, hashtext($1))", key).status(); !s.is_ok()) return s;
    auto blocks = run(*c, "WITH d AS (DELETE FROM telemetry_blocks WHERE pseudonym = $1 RETURNING 1) SELECT count(*)::text FROM d",
                      key);
    if (!blocks.is_ok()) return blocks.status();
    if (Status s = run(*c, "DELETE FROM latest_states WHERE pseudonym = $1", key).status(); !s.is_ok()) return s;
    auto n = number<uint64_t>(blocks->at(0, 0));
    if (!n.is_ok()) return n.status();
    if (Status s = run(*c, "COMMIT").status(); !s.is_ok()) return s;
    return *n;
  }();
  if (!erased.is_ok()) roll_back(*c);
  return erased;
}

Result<uint64_t> QueryStore::expire(std::string_view pseudonym, int64_t before_ms) {
  auto c = connection();
  if (!c.is_ok()) return c.status();
  const std::string before = std::to_string(before_ms);
  auto deleted = run(*c,
                     "WITH d AS (DELETE FROM telemetry_blocks WHERE pseudonym = $1 AND created_at < $2::bigint RETURNING 1)"
                     " SELECT count(*)::text FROM d",
                     {Param{pseudonym, false}, Param{before, false}});
  if (!deleted.is_ok()) return deleted.status();
  return number<uint64_t>(deleted->at(0, 0));
}

Result<size_t> QueryStore::drop_before(Day day) {
  auto c = connection();
  if (!c.is_ok()) return c.status();
  auto dropped = [&]() -> Result<size_t> {
    if (Status s = run(*c, "BEGIN").status(); !s.is_ok()) return s;
    if (Status s = run(*c, kPartitionLock).status(); !s.is_ok()) return s;
    auto r = run(*c, kListPartitions);
    if (!r.is_ok()) return r.status();
    size_t n = 0;
    for (int i = 0; i < r->rows(); ++i) {
      const std::string_view name = r->at(i, 0);
      const auto d = partition_day(name);
      if (!d || *d >= day) continue;
      if (Status s = run(*c, "DROP TABLE " + std::string(name)).status(); !s.is_ok()) return s;
      ++n;
    }
    if (Status s = run(*c, "COMMIT").status(); !s.is_ok()) return s;
    return n;
  }();
  if (!dropped.is_ok()) {
    roll_back(*c);
    return dropped;
  }
  known_days_.erase(known_days_.begin(), known_days_.lower_bound(day));
  return dropped;
}

}  // namespace fleetgate::query_store
