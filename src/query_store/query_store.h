// A region's telemetry query store in the region's PostgreSQL (schema: region_schema.h). It holds
// the sealed blocks exactly as published to the region's stream, keyed by (pseudonym, created_at,
// seq) of their first record, in day partitions retention drops whole, and each vehicle's latest
// state, sealed, for every gateway node to read. Nothing personal is in clear in either table.
// One connection per instance: not thread-safe, use one per thread. A connection the server ended
// is re-opened on the next call.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/query_store/day_partitions.h"

namespace fleetgate::query_store {

// One sealed block under its key (its first record's created_at and seq).
struct BlockRow {
  std::string pseudonym;
  int64_t created_at_ms = 0;
  uint64_t seq = 0;
  std::string block;
};

// A vehicle's sealed latest state (telemetry::LatestState as a sealed record) as of the record
// (created_at, seq) it was last folded from.
struct StateRow {
  std::string pseudonym;
  int64_t created_at_ms = 0;
  uint64_t seq = 0;
  std::string state;
};

// Where a scan starts: at the block (created_at, seq) itself or the first after it.
struct BlockPosition {
  int64_t created_at_ms = std::numeric_limits<int64_t>::min();
  uint64_t seq = 0;
};

struct WriteResult {
  size_t blocks_added = 0;    // blocks not stored before (the rest were redeliveries or merged)
  size_t blocks_merged = 0;   // stored blocks that BlockMerge replaced
  size_t states_changed = 0;  // states newer than the stored ones
};

// Given the stored states of a write's vehicles (of those that have one), the states to upsert.
using StateFold = std::function<Result<std::vector<StateRow>>(std::vector<StateRow> stored)>;
// Given a stored block and a written one of the same key but other bytes (a resend sealed again,
// or one that regrouped its records), what to store: empty to keep the stored block; else blocks
// whose first has the key (it replaces the stored one) and the rest of other keys (inserted).
using BlockMerge = std::function<Result<std::vector<BlockRow>>(const BlockRow& stored, std::string_view written)>;

class QueryStore {
 public:
  // Connects to the region database at `dsn`. kUnavailable when it cannot be reached;
  // kFailedPrecondition when its schema is not this binary's (run migrate_region_pg first).
  static Result<std::unique_ptr<QueryStore>> open(const std::string& dsn);
  ~QueryStore();
  QueryStore(const QueryStore&) = delete;
  QueryStore& operator=(const QueryStore&) = delete;

  // In one transaction: COPYs `blocks` into this session's staging table and inserts them with
  // ON CONFLICT DO NOTHING (a block already stored under its key, a redelivery, is left as it
  // was). With `fold`: locks the blocks' vehicles (an advisory lock each, held to the COMMIT, so
  // two writers of one vehicle take turns), reads their stored states, calls `fold` with them, and
  // upserts each state it returns only where newer, by (created_at, seq), than the stored one (of
  // several of one vehicle, the newest). The day partitions the blocks need are created first.
  // With `merge`: a block whose key is stored with other bytes goes through it (under the vehicle's
  // lock when `fold` is given too), so no record of a resend is dropped.
  // kInvalidArgument for a block outside the years 0000-9999 or over 1 GB; fold's own error;
  // kUnavailable when the database fails. On any error no block or state is written (a partition
  // created for them stays), except when the connection broke during COMMIT (kUnavailable,
  // unknown): writing the same again is harmless.
  Result<WriteResult> write(std::span<const BlockRow> blocks, const StateFold& fold = {}, const BlockMerge& merge = {});

  // Up to `limit` blocks of `pseudonym` at or after `from` whose key's created_at <= to_ms, in
  // (created_at, seq) order, with their sealed bytes. The next page starts after the last one
  // (next_position). kUnavailable when the database fails.
  Result<std::vector<BlockRow>> scan(std::string_view pseudonym, BlockPosition from, int64_t to_ms, size_t limit) const;

  // Up to `limit` blocks of every vehicle after the block (pseudonym, created_at, seq) `after`
  // (nullopt: from the first), in (pseudonym, created_at, seq) order, which is the embedded
  // store's key order (store_key.h): pseudonyms are equal-length lowercase hex after "p_", which
  // every collation orders bytewise. kUnavailable when the database fails.
  Result<std::vector<BlockRow>> scan_all(const std::optional<BlockRow>& after, size_t limit) const;

  // The stored states of those of `pseudonyms` that have one, in no particular order.
  Result<std::vector<StateRow>> latest(std::span<const std::string> pseudonyms) const;

  // The days that have a partition, oldest first.
  Result<std::vector<Day>> days() const;
  // Drops every day partition before `day`, with its blocks (retention); how many were dropped.
  Result<size_t> drop_before(Day day);

  // Deletes every block and the latest state of `pseudonym` (erasure) in one transaction; how
  // many blocks were deleted.
  Result<uint64_t> erase(std::string_view pseudonym);
  // Deletes the blocks of `pseudonym` keyed before `before_ms` (retention); how many.
  Result<uint64_t> expire(std::string_view pseudonym, int64_t before_ms);

 private:
  explicit QueryStore(PGconn* conn) : conn_(conn) {}
  Result<PGconn*> connection() const;
  Status create_partitions(std::span<const BlockRow> blocks);
  Result<WriteResult> write_in_transaction(std::span<const BlockRow> blocks, const StateFold& fold, const BlockMerge& merge);
  // The merges of the staged blocks whose keys are stored with other bytes; how many replaced.
  Result<size_t> merge_conflicts(PGconn* c, const BlockMerge& merge);

  mutable PGconn* conn_;
  mutable bool staging_ready_ = false;  // this session has its staging tables
  std::set<Day> known_days_;            // partitions known to exist; forgotten on any failed write
};

// The position just after the block at (created_at, seq).
BlockPosition next_position(int64_t created_at_ms, uint64_t seq);

}  // namespace fleetgate::query_store
