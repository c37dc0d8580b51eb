#include "fleetgate/store/pg_exec.h"

#include <algorithm>

#include "fleetgate/store/pg_connection.h"

namespace fleetgate::store {
namespace {

// Query parameters in libpq's arrays; text params get NUL-terminated copies.
class ParamArrays {
 public:
  explicit ParamArrays(const std::vector<Param>& params) {
    texts_.reserve(params.size());
    for (const Param& p : params) {
      if (p.binary) {
        values_.push_back(p.bytes.data());
      } else {
        texts_.emplace_back(p.bytes);
        values_.push_back(texts_.back().c_str());
      }
      lengths_.push_back(static_cast<int>(p.bytes.size()));
      formats_.push_back(p.binary ? 1 : 0);
    }
  }
  int count() const { return static_cast<int>(values_.size()); }
  const char* const* values() const { return values_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  std::vector<const char*> values_;
  std::vector<int> lengths_, formats_;
  std::vector<std::string> texts_;
};

bool succeeded(const PgResult& r) { return r.status() == PGRES_TUPLES_OK || r.status() == PGRES_COMMAND_OK; }

}  // namespace

Result<PgResult> run(PGconn* c, const std::string& sql, const std::vector<Param>& params) {
  const ParamArrays a(params);
  PgResult r(PQexecParams(c, sql.c_str(), a.count(), nullptr, a.values(), a.lengths(), a.formats(), 1));
  if (!succeeded(r)) return unavailable("postgres: " + pg_error(c));
  return r;
}

Result<std::vector<PgResult>> run_pipelined(PGconn* c, const std::vector<Statement>& statements, std::string* sqlstate) {
  if (sqlstate != nullptr) sqlstate->clear();
  if (PQenterPipelineMode(c) != 1) return unavailable("postgres: cannot pipeline: " + pg_error(c));
  Status sent = Status::ok();
  for (const Statement& st : statements) {
    const ParamArrays a(st.params);
    if (PQsendQueryParams(c, st.sql, a.count(), nullptr, a.values(), a.lengths(), a.formats(), 1) != 1) {
      sent = unavailable("postgres: " + pg_error(c));
      break;
    }
  }
  if (sent.is_ok() && PQpipelineSync(c) != 1) sent = unavailable("postgres: " + pg_error(c));
  if (!sent.is_ok()) return sent;  // still in pipeline mode: the pool closes the connection
  // Each statement's results end with a NULL; the sync's is PGRES_PIPELINE_SYNC. Statements after
  // a failed one come back PGRES_PIPELINE_ABORTED.
  std::vector<PgResult> results;
  Status first_error = Status::ok();
  for (;;) {
    PgResult r(PQgetResult(c));
    if (r.get() == nullptr) {
      if (PQstatus(c) != CONNECTION_OK) {  // the connection broke: no sync result will come
        return first_error.is_ok() ? unavailable("postgres: " + pg_error(c)) : first_error;
      }
      continue;
    }
    if (r.status() == PGRES_PIPELINE_SYNC) break;
    if (succeeded(r)) {
      results.push_back(std::move(r));
    } else if (r.status() == PGRES_FATAL_ERROR && first_error.is_ok()) {
      first_error = unavailable("postgres: " + pg_error(c));  // libpq keeps the error result's text
      const char* state = PQresultErrorField(r.get(), PG_DIAG_SQLSTATE);
      if (sqlstate != nullptr && state != nullptr) *sqlstate = state;
    }
  }
  PQexitPipelineMode(c);
  if (!first_error.is_ok()) return first_error;
  return results;
}

Status copy_in(PGconn* c, const std::string& copy_sql, std::string_view data) {
  PgResult started(PQexec(c, copy_sql.c_str()));
  if (started.status() != PGRES_COPY_IN) return unavailable("postgres: " + pg_error(c));
  // libpq takes an int length per call: send in chunks well below it.
  constexpr size_t kChunk = size_t{1} << 20;
  Status s = Status::ok();
  for (size_t at = 0; at < data.size() && s.is_ok(); at += kChunk) {
    const size_t n = std::min(kChunk, data.size() - at);
    if (PQputCopyData(c, data.data() + at, static_cast<int>(n)) != 1) s = unavailable("postgres: " + pg_error(c));
  }
  // Ended even after a failure, so the connection leaves the COPY state and can roll back.
  if (PQputCopyEnd(c, s.is_ok() ? nullptr : "fleetgate: sending failed") != 1 && s.is_ok()) {
    s = unavailable("postgres: " + pg_error(c));
  }
  for (PGresult* r = PQgetResult(c); r != nullptr; r = PQgetResult(c)) {
    PgResult owned(r);
    if (s.is_ok() && !succeeded(owned)) s = unavailable("postgres: " + pg_error(c));
  }
  return s;
}

}  // namespace fleetgate::store
