#include "fleetgate/ledger/kv_usage_log.h"

#include <boost/endian/conversion.hpp>
#include <cstring>
#include <vector>

#include "fleetgate/ledger/usage_aggregates.h"
#include "fleetgate/ledger/usage_codec.h"

namespace fleetgate::ledger {
namespace {

constexpr std::string_view kPrefix = "usage/";
// The next sequence number to hand out, 8 bytes big-endian. Outside the "usage/" range.
constexpr std::string_view kSeqKey = "usage_seq";
constexpr uint64_t kSignBit = uint64_t{1} << 63;
// Upper bound on the records one group commit writes, so one batch stays a sane size.
constexpr size_t kMaxGroupRecords = 4096;
// Records counted per write while rebuilding the aggregates: in time order they touch few rows.
constexpr int64_t kRebuildChunkRecords = 1'000'000;

void put_be64(std::string& out, uint64_t v) {
  const uint64_t be = boost::endian::native_to_big(v);
  out.append(reinterpret_cast<const char*>(&be), 8);
}

std::string be64(uint64_t v) {
  std::string s;
  put_be64(s, v);
  return s;
}

// Counts every stored record into fresh aggregate rows, the marker written last: a log written
// before the rows existed (or in another layout) never settles from missing rows, and a crash
// part-way leaves no marker, so the next open starts over.
Status rebuild_aggregates(store::KvStore& store, store::WriteOptions options) {
  if (auto s = clear_aggregates(store, options); !s.is_ok()) return s;
  const auto snapshot = store.snapshot();
  AggregateDelta delta;
  UsageRecord record;
  int64_t counted = 0;
  auto it = snapshot->scan(kPrefix);
  for (; it->valid(); it->next()) {
    if (auto s = decode_usage(it->value(), record); !s.is_ok()) return s;
    delta.add(record);
    if (++counted % kRebuildChunkRecords != 0) continue;
    store::WriteBatch batch;
    if (auto s = delta.apply(store, batch); !s.is_ok()) return s;
    if (auto s = store.write(batch, options); !s.is_ok()) return s;
    delta.clear();
  }
  if (!it->status().is_ok()) return it->status();
  store::WriteBatch batch;
  if (auto s = delta.apply(store, batch); !s.is_ok()) return s;
  mark_aggregates_current(batch);
  return store.write(batch, options);
}

}  // namespace

struct KvUsageLog::Pending {
  std::span<const UsageRecord> records;
  Status status;
  bool done = false;
};

std::string usage_key(int64_t time_ms, uint64_t seq) {
  std::string key(kPrefix);
  key.reserve(kPrefix.size() + 16);
  put_be64(key, static_cast<uint64_t>(time_ms) ^ kSignBit);
  put_be64(key, seq);
  return key;
}

std::string usage_key_lower_bound(int64_t time_ms) { return usage_key(time_ms, 0); }

Result<std::unique_ptr<KvUsageLog>> KvUsageLog::open(store::KvStore& store, std::string region,
                                                     UsageLogOptions options) {
  if (region.empty()) return invalid_argument("usage log: empty region");
  uint64_t next_seq = 0;
  auto stored = store.get(kSeqKey);
  if (stored.is_ok()) {
    if (stored->size() != 8) return data_loss("usage log of region " + region + ": damaged sequence counter");
    uint64_t be;
    std::memcpy(&be, stored->data(), 8);
    next_seq = boost::endian::big_to_native(be);
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  auto current = aggregates_current(store);
  if (!current.is_ok()) return current.status();
  if (!*current) {
    if (auto s = rebuild_aggregates(store, store::WriteOptions{.sync = options.sync}); !s.is_ok()) {
      return Status(s.code(), "usage log of region " + region + ": rebuilding its aggregates: " + s.message());
    }
  }
  return std::unique_ptr<KvUsageLog>(new KvUsageLog(store, std::move(region), options, next_seq));
}

KvUsageLog::KvUsageLog(store::KvStore& store, std::string region, UsageLogOptions options, uint64_t next_seq)
    : UsageLog(std::move(region)), store_(store), options_(options), next_seq_(next_seq) {}

Status KvUsageLog::append_all(std::span<const UsageRecord> records) {
  for (const auto& r : records) {
    if (auto s = check(r); !s.is_ok()) return s;
  }
  if (records.empty()) return Status::ok();
  Pending me{records, {}, false};
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  cv_.wait(lock, [&] { return me.done || queue_.front() == &me; });
  if (me.done) return me.status;

  // This caller leads: it writes its own records and those of the callers queued behind it.
  std::vector<const UsageRecord*> group;
  size_t members = 0;
  for (Pending* p : queue_) {
    if (members > 0 && group.size() + p->records.size() > kMaxGroupRecords) break;
    for (const auto& r : p->records) group.push_back(&r);
    ++members;
  }
  const uint64_t first_seq = next_seq_;
  lock.unlock();
  const Status status = commit(group, first_seq);
  lock.lock();
  if (status.is_ok()) next_seq_ += group.size();
  for (size_t i = 0; i < members; ++i) {
    queue_.front()->status = status;
    queue_.front()->done = true;
    queue_.pop_front();
  }
  cv_.notify_all();
  return status;
}

Status KvUsageLog::commit(std::span<const UsageRecord* const> group, uint64_t first_seq) {
  uint64_t seq = first_seq;
  store::WriteBatch batch;
  AggregateDelta delta;
  for (const UsageRecord* r : group) {
    batch.put(usage_key(r->time_ms, seq++), encode_usage(*r));
    delta.add(*r);
  }
  batch.put(kSeqKey, be64(seq));
  // Only the leader commits and each commit returns before the next leader starts, so the rows
  // read here are the latest, and records and rows land in one atomic batch.
  if (auto s = delta.apply(store_, batch); !s.is_ok()) return s;
  return store_.write(batch, store::WriteOptions{.sync = options_.sync});
}

Status KvUsageLog::totals(int64_t from_ms, int64_t to_ms, UsageSummary& out) const {
  const auto snapshot = store_.snapshot();
  return read_aggregates(*snapshot, from_ms, to_ms, out);
}

Status KvUsageLog::scan(int64_t from_ms, int64_t to_ms, const std::function<Status(const UsageRecord&)>& fn) const {
  if (from_ms >= to_ms) return Status::ok();
  const std::string end = usage_key_lower_bound(to_ms);
  const auto snapshot = store_.snapshot();
  UsageRecord record;
  auto it = snapshot->scan(kPrefix, usage_key_lower_bound(from_ms));
  for (; it->valid() && it->key() < end; it->next()) {
    if (auto s = decode_usage(it->value(), record); !s.is_ok()) return s;
    if (auto s = fn(record); !s.is_ok()) return s;
  }
  return it->status();
}

Result<uint64_t> KvUsageLog::expire(int64_t before_ms, std::string_view market) {
  const std::string end = usage_key_lower_bound(before_ms);
  const auto snapshot = store_.snapshot();
  UsageRecord record;
  store::WriteBatch batch;
  auto it = snapshot->scan(kPrefix);
  for (; it->valid() && it->key() < end; it->next()) {
    if (auto s = decode_usage(it->value(), record); !s.is_ok()) return s;
    if (record.market == market) batch.remove(it->key());
  }
  if (Status s = it->status(); !s.is_ok()) return s;
  const uint64_t n = batch.size();
  if (n == 0) return n;
  if (Status s = store_.write(batch); !s.is_ok()) return s;
  return n;
}

}  // namespace fleetgate::ledger
