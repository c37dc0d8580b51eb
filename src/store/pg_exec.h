// Running statements on a libpq connection, shared by the PostgreSQL stores (the control plane's
// pg_store.cc, a region's query store): results owned and cleared, parameters sent as binary
// bytea or as text, every failure a kUnavailable naming libpq's reason, and pipelining.
#pragma once

#include <libpq-fe.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::store {

// One query's result, cleared when it goes.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  PgResult& operator=(PgResult&&) = delete;
  ~PgResult() { PQclear(r_); }
  PGresult* get() const { return r_; }
  ExecStatusType status() const { return PQresultStatus(r_); }
  int rows() const { return PQntuples(r_); }
  std::string_view at(int row, int col) const {
    return {PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col))};
  }

 private:
  PGresult* r_;
};

// A query parameter: bytes sent as binary (bytea), or as text PostgreSQL casts (numbers).
struct Param {
  std::string_view bytes;
  bool binary = true;
};

// Runs `sql` with `params`, results in binary (bytea as raw bytes, int8 as 8 bytes big-endian).
// Any failure is kUnavailable: the database, not the caller's input, is what went wrong.
Result<PgResult> run(PGconn* c, const std::string& sql, const std::vector<Param>& params = {});

struct Statement {
  const char* sql;
  std::vector<Param> params;
};

// Sends `statements` in one pipeline (libpq pipeline mode) and reads their results: one round
// trip instead of one per statement. The first failure is returned (kUnavailable, as run()), and
// its SQLSTATE put in `*sqlstate` when given (empty when the server sent none, e.g. the connection
// broke); PostgreSQL skips the statements after it, so a transaction the batch began is left
// aborted.
Result<std::vector<PgResult>> run_pipelined(PGconn* c, const std::vector<Statement>& statements,
                                            std::string* sqlstate = nullptr);

// Runs `copy_sql` (a "COPY … FROM STDIN") and sends `data` as its input, in whatever format the
// statement names. kUnavailable with the server's reason when it refuses the statement or the data.
Status copy_in(PGconn* c, const std::string& copy_sql, std::string_view data);

}  // namespace fleetgate::store
