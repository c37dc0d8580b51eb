#include "fleetgate/query_store/pg_usage_log.h"

#include <boost/endian/conversion.hpp>

#include <cstring>
#include <iterator>
#include <utility>

#include "fleetgate/ledger/usage_aggregates.h"
#include "fleetgate/query_store/copy_rows.h"
#include "fleetgate/query_store/region_schema.h"
#include "fleetgate/store/pg_connection.h"
#include "fleetgate/store/pg_exec.h"

namespace fleetgate::query_store {
namespace {

using ledger::UsageRecord;
using store::Param;
using store::PgResult;
using store::run;

constexpr size_t kMaxIdle = 4;
constexpr int kScanPage = 10'000;

// usage_records' columns, in the order they are staged, inserted and scanned.
#define FG_RECORD_COLUMNS                                                                                        \
  "time_ms, request_id, vehicle_pseudonym, region, market, feature, provider, model, prompt_tokens,"           \
  " completion_tokens, cached_tokens, reasoning_tokens, tool_calls, refused_tool_calls, outcome, latency_us"
constexpr int16_t kRecordColumns = 16;

// The session's staging table, emptied by every commit.
constexpr const char* kStageRecords =
    "CREATE TEMP TABLE IF NOT EXISTS usage_in (time_ms bigint, request_id text, vehicle_pseudonym text, region text,"
    " market text, feature text, provider text, model text, prompt_tokens bigint, completion_tokens bigint,"
    " cached_tokens bigint, reasoning_tokens bigint, tool_calls bigint, refused_tool_calls bigint, outcome text,"
    " latency_us bigint) ON COMMIT DELETE ROWS";

// Inserts the staged records not stored yet and adds exactly those (RETURNING) to their hours'
// rows: a record sent again is neither stored nor counted twice. The totals are UsageTotals::add's
// (served: ok or cancelled; tokens of served records only; an outlier is a served record at the
// meter's bound, $1). Rows are inserted in key order so that two writers lock shared hourly rows
// in the same order and never deadlock. The hour is floored, so times before 1970 fall in theirs.
constexpr const char* kAppend =
    "WITH ins AS (INSERT INTO usage_records (" FG_RECORD_COLUMNS ") SELECT " FG_RECORD_COLUMNS
    " FROM usage_in ORDER BY time_ms, request_id ON CONFLICT DO NOTHING"
    " RETURNING time_ms - ((time_ms % 3600000) + 3600000) % 3600000 AS hour, feature, market, region, provider, model,"
    " outcome IN ('ok', 'cancelled') AS served, prompt_tokens, cached_tokens, completion_tokens, reasoning_tokens,"
    " tool_calls, refused_tool_calls)"
    " INSERT INTO usage_hourly AS h (hour, feature, market, region, provider, model, records, served, prompt_tokens,"
    " cached_tokens, completion_tokens, reasoning_tokens, tool_calls, refused_tool_calls, outliers)"
    " SELECT hour, feature, market, region, provider, model, count(*), count(*) FILTER (WHERE served),"
    " coalesce(sum(prompt_tokens) FILTER (WHERE served), 0), coalesce(sum(cached_tokens) FILTER (WHERE served), 0),"
    " coalesce(sum(completion_tokens) FILTER (WHERE served), 0),"
    " coalesce(sum(reasoning_tokens) FILTER (WHERE served), 0), coalesce(sum(tool_calls) FILTER (WHERE served), 0),"
    " coalesce(sum(refused_tool_calls) FILTER (WHERE served), 0),"
    " count(*) FILTER (WHERE served AND (prompt_tokens >= $1::bigint OR completion_tokens >= $1::bigint))"
    " FROM ins GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    " ON CONFLICT (hour, feature, market, region, provider, model) DO UPDATE SET records = h.records + excluded.records,"
    " served = h.served + excluded.served, prompt_tokens = h.prompt_tokens + excluded.prompt_tokens,"
    " cached_tokens = h.cached_tokens + excluded.cached_tokens,"
    " completion_tokens = h.completion_tokens + excluded.completion_tokens,"
    " reasoning_tokens = h.reasoning_tokens + excluded.reasoning_tokens, tool_calls = h.tool_calls + excluded.tool_calls,"
    " refused_tool_calls = h.refused_tool_calls + excluded.refused_tool_calls, outliers = h.outliers + excluded.outliers";

// Per key, the sums over the hours in [$1, $2), in totals_fields order.
constexpr const char* kTotals =
    "SELECT feature, market, region, provider, model, sum(records)::bigint, sum(served)::bigint,"
    " sum(prompt_tokens)::bigint, sum(cached_tokens)::bigint, sum(completion_tokens)::bigint,"
    " sum(reasoning_tokens)::bigint, sum(tool_calls)::bigint, sum(refused_tool_calls)::bigint, sum(outliers)::bigint"
    " FROM usage_hourly WHERE hour >= $1::bigint AND hour < $2::bigint GROUP BY 1, 2, 3, 4, 5";

// A page of records after (time_ms, request_id) = ($1, $2), before time $3.
const std::string kScanPageSql =
    "SELECT " FG_RECORD_COLUMNS " FROM usage_records WHERE (time_ms, request_id) > ($1::bigint, $2)"
    " AND time_ms < $3::bigint ORDER BY time_ms, request_id LIMIT " + std::to_string(kScanPage);
#undef FG_RECORD_COLUMNS

void roll_back(PGconn* c) {
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) != PQTRANS_IDLE) PQclear(PQexec(c, "ROLLBACK"));
}

Result<int64_t> int8_at(const PgResult& r, int row, int col) {
  const std::string_view v = r.at(row, col);
  if (v.size() != 8) return data_loss("usage log: a bigint column of " + std::to_string(v.size()) + " bytes");
  uint64_t be;
  std::memcpy(&be, v.data(), 8);
  return static_cast<int64_t>(boost::endian::big_to_native(be));
}

std::string staged(std::span<const UsageRecord> records) {
  CopyRows copy;
  for (const UsageRecord& r : records) {
    copy.row(kRecordColumns).int8(r.time_ms).bytes(r.request_id).bytes(r.vehicle_pseudonym).bytes(r.region);
    copy.bytes(r.market).bytes(r.feature).bytes(r.provider).bytes(r.model).int8(r.prompt_tokens);
    copy.int8(r.completion_tokens).int8(r.cached_tokens).int8(r.reasoning_tokens).int8(r.tool_calls);
    copy.int8(r.refused_tool_calls).bytes(r.outcome).int8(r.latency_us);
  }
  return std::move(copy).finish();
}

// Row `i` of a kScanPageSql result into `r`.
Status decode_record(const PgResult& res, int i, UsageRecord& r) {
  std::string* texts[] = {&r.request_id, &r.vehicle_pseudonym, &r.region, &r.market, &r.feature, &r.provider, &r.model};
  for (size_t t = 0; t < std::size(texts); ++t) texts[t]->assign(res.at(i, static_cast<int>(t) + 1));
  r.outcome.assign(res.at(i, 14));
  int64_t* counts[] = {&r.time_ms, &r.prompt_tokens, &r.completion_tokens, &r.cached_tokens, &r.reasoning_tokens,
                       &r.latency_us};
  const int count_cols[] = {0, 8, 9, 10, 11, 15};
  for (size_t n = 0; n < std::size(counts); ++n) {
    auto v = int8_at(res, i, count_cols[n]);
    if (!v.is_ok()) return v.status();
    *counts[n] = *v;
  }
  for (auto [field, col] : {std::pair{&r.tool_calls, 12}, std::pair{&r.refused_tool_calls, 13}}) {
    auto v = int8_at(res, i, col);
    if (!v.is_ok()) return v.status();
    *field = static_cast<int32_t>(*v);
  }
  return Status::ok();
}

}  // namespace

struct PgUsageLog::Session {
  explicit Session(PGconn* c) : conn(c) {}
  ~Session() { PQfinish(conn); }
  PGconn* conn;
  bool staging_ready = false;  // this session has its staging table
};

class PgUsageLog::Lease {
 public:
  Lease(const PgUsageLog& log, std::unique_ptr<Session> s) : log_(&log), s_(std::move(s)) {}
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&&) = delete;
  ~Lease() {
    if (s_) log_->give_back(std::move(s_));
  }
  Session& operator*() const { return *s_; }
  Session* operator->() const { return s_.get(); }

 private:
  const PgUsageLog* log_;
  std::unique_ptr<Session> s_;
};

Result<std::unique_ptr<PgUsageLog>> PgUsageLog::open(std::string dsn, std::string region) {
  if (region.empty()) return invalid_argument("usage log: empty region");
  std::unique_ptr<PgUsageLog> log(new PgUsageLog(std::move(dsn), std::move(region)));
  auto lease = log->borrow();
  if (!lease.is_ok()) return lease.status();
  if (Status s = check_region_schema((*lease)->conn); !s.is_ok()) return s;
  return log;
}

PgUsageLog::PgUsageLog(std::string dsn, std::string region) : UsageLog(std::move(region)), dsn_(std::move(dsn)) {}
PgUsageLog::~PgUsageLog() = default;

Result<PgUsageLog::Lease> PgUsageLog::borrow() const {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<Session> s = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(s));
    }
  }
  auto c = store::pg_connect(dsn_);
  if (!c.is_ok()) return Status(c.status().code(), "usage log of region " + region() + ": " + c.status().message());
  return Lease(*this, std::make_unique<Session>(*c));
}

void PgUsageLog::give_back(std::unique_ptr<Session> session) const {
  // A broken session, or one left inside a transaction, is closed rather than reused.
  if (PQstatus(session->conn) != CONNECTION_OK || PQtransactionStatus(session->conn) != PQTRANS_IDLE) return;
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdle) idle_.push_back(std::move(session));
}

Status PgUsageLog::append_all(std::span<const UsageRecord> records) {
  for (const UsageRecord& r : records) {
    if (auto s = check(r); !s.is_ok()) return s;
    if (r.request_id.empty()) return invalid_argument("usage record: missing request_id");
  }
  if (records.empty()) return Status::ok();
  auto lease = borrow();
  if (!lease.is_ok()) return lease.status();
  const Status s = append_in_transaction(**lease, records);
  if (!s.is_ok()) roll_back((*lease)->conn);
  return s;
}

Status PgUsageLog::append_in_transaction(Session& s, std::span<const UsageRecord> records) {
  if (!s.staging_ready) {
    if (auto r = run(s.conn, kStageRecords); !r.is_ok()) return r.status();
    s.staging_ready = true;
  }
  if (auto r = run(s.conn, "BEGIN"); !r.is_ok()) return r.status();
  if (Status c = store::copy_in(s.conn, "COPY usage_in FROM STDIN WITH (FORMAT binary)", staged(records)); !c.is_ok()) {
    return c;
  }
  const std::string bound = std::to_string(ledger::kMaxTokensPerRecord);
  if (auto r = run(s.conn, kAppend, {Param{bound, false}}); !r.is_ok()) return r.status();
  return run(s.conn, "COMMIT").status();
}

Status PgUsageLog::totals(int64_t from_ms, int64_t to_ms, ledger::UsageSummary& out) const {
  if (Status s = ledger::check_whole_hours(from_ms, to_ms); !s.is_ok()) return s;
  if (from_ms >= to_ms) return Status::ok();
  auto lease = borrow();
  if (!lease.is_ok()) return lease.status();
  const std::string from = std::to_string(from_ms), to = std::to_string(to_ms);
  auto r = run((*lease)->conn, kTotals, {Param{from, false}, Param{to, false}});
  if (!r.is_ok()) return r.status();
  for (int i = 0; i < r->rows(); ++i) {
    ledger::UsageKey key;
    const auto key_parts = ledger::key_fields(key);
    for (size_t k = 0; k < key_parts.size(); ++k) key_parts[k]->assign(r->at(i, static_cast<int>(k)));
    ledger::UsageTotals totals;
    const auto fields = ledger::totals_fields(totals);
    for (size_t f = 0; f < fields.size(); ++f) {
      auto v = int8_at(*r, i, static_cast<int>(key_parts.size() + f));
      if (!v.is_ok()) return v.status();
      *fields[f] = *v;
    }
    out[key].merge(totals);
  }
  return Status::ok();
}

Result<uint64_t> PgUsageLog::expire(int64_t before_ms, std::string_view market) {
  auto lease = borrow();
  if (!lease.is_ok()) return lease.status();
  const std::string before = std::to_string(before_ms);
  auto r = run((*lease)->conn,
               "WITH d AS (DELETE FROM usage_records WHERE time_ms < $1::bigint AND market = $2 RETURNING 1)"
               " SELECT count(*) FROM d",
               {Param{before, false}, Param{market, false}});
  if (!r.is_ok()) return r.status();
  auto n = int8_at(*r, 0, 0);
  if (!n.is_ok()) return n.status();
  return static_cast<uint64_t>(*n);
}

Status PgUsageLog::scan(int64_t from_ms, int64_t to_ms, const std::function<Status(const UsageRecord&)>& fn) const {
  if (from_ms >= to_ms) return Status::ok();
  auto lease = borrow();
  if (!lease.is_ok()) return lease.status();
  PGconn* c = (*lease)->conn;
  if (auto r = run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); !r.is_ok()) return r.status();
  // Request ids are never empty, so (from_ms, "") is just before the range's first record.
  UsageRecord record;
  std::string after_time = std::to_string(from_ms), after_id;
  const std::string to = std::to_string(to_ms);
  Status status = Status::ok();
  for (;;) {
    auto page = run(c, kScanPageSql, {Param{after_time, false}, Param{after_id}, Param{to, false}});
    if (!page.is_ok()) {
      status = page.status();
      break;
    }
    for (int i = 0; i < page->rows() && status.is_ok(); ++i) {
      status = decode_record(*page, i, record);
      if (status.is_ok()) status = fn(record);
    }
    if (!status.is_ok() || page->rows() < kScanPage) break;
    after_time = std::to_string(record.time_ms);
    after_id = record.request_id;
  }
  roll_back(c);
  return status;
}

}  // namespace fleetgate::query_store
