#include "fleetgate/ledger/usage_aggregates.h"

#include <boost/endian/conversion.hpp>
#include <vector>

#include "fleetgate/ledger/usage_codec.h"
#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::ledger {
namespace {

// The NUL keeps these keys from ever reading as telemetry block keys (pseudonym, NUL, 16 bytes
// of time and seq), whose time region-store retention would expire them by: a key whose first
// NUL is at index 10 would have to be 27 bytes long, and rows are at least 29.
constexpr std::string_view kRowPrefix{"usage_agg/\0", 11};
constexpr std::string_view kMarkerKey = "usage_agg_version";
// Bumped whenever the row layout or the meaning of a total changes: logs rebuild on open.
constexpr std::string_view kLayoutVersion = "1";
constexpr uint64_t kSignBit = uint64_t{1} << 63;
constexpr size_t kKeyFieldsAt = kRowPrefix.size() + 8;  // after the prefix and the hour
constexpr size_t kRemoveChunk = 4096;

int64_t hour_of(int64_t time_ms) {
  return time_ms / kUsageBucketMs - (time_ms % kUsageBucketMs < 0 ? 1 : 0);
}

// The first row key of `hour`; rows of one hour sort together, hours in time order.
std::string hour_prefix(int64_t hour) {
  std::string key(kRowPrefix);
  const uint64_t be = boost::endian::native_to_big(static_cast<uint64_t>(hour) ^ kSignBit);
  key.append(reinterpret_cast<const char*>(&be), 8);
  return key;
}

}  // namespace

void AggregateDelta::add(const UsageRecord& r) {
  key_ = hour_prefix(hour_of(r.time_ms));
  append_key(key_, r);
  rows_[key_].add(r);
}

Status AggregateDelta::apply(const store::KvReader& current, store::WriteBatch& batch) const {
  for (const auto& [key, delta] : rows_) {
    UsageTotals sum;
    auto stored = current.get(key);
    if (stored.is_ok()) {
      if (auto s = decode_totals(*stored, sum); !s.is_ok()) return s;
    } else if (stored.status().code() != Code::kNotFound) {
      return stored.status();
    }
    sum.merge(delta);
    batch.put(key, encode_totals(sum));
  }
  return Status::ok();
}

Status check_whole_hours(int64_t from_ms, int64_t to_ms) {
  if (from_ms % kUsageBucketMs == 0 && to_ms % kUsageBucketMs == 0) return Status::ok();
  return invalid_argument("usage aggregates cover whole UTC hours: [" + std::to_string(from_ms) + ", " +
                          std::to_string(to_ms) + ") is not");
}

Status read_aggregates(const store::KvReader& view, int64_t from_ms, int64_t to_ms, UsageSummary& out) {
  if (Status s = check_whole_hours(from_ms, to_ms); !s.is_ok()) return s;
  if (from_ms >= to_ms) return Status::ok();
  const std::string end = hour_prefix(hour_of(to_ms));
  UsageKey key;
  UsageTotals totals;
  auto it = view.scan(kRowPrefix, hour_prefix(hour_of(from_ms)));
  for (; it->valid() && it->key() < end; it->next()) {
    if (auto s = decode_key(it->key().substr(kKeyFieldsAt), key); !s.is_ok()) return s;
    if (auto s = decode_totals(it->value(), totals); !s.is_ok()) return s;
    out[key].merge(totals);
  }
  return it->status();
}

Result<bool> aggregates_current(const store::KvReader& view) {
  auto marker = view.get(kMarkerKey);
  if (marker.is_ok()) return *marker == kLayoutVersion;
  if (marker.status().code() == Code::kNotFound) return false;
  return marker.status();
}

Status clear_aggregates(store::KvStore& store, store::WriteOptions options) {
  const auto snapshot = store.snapshot();
  store::WriteBatch batch;
  auto it = snapshot->scan(kRowPrefix);
  for (; it->valid(); it->next()) {
    batch.remove(it->key());
    if (batch.size() < kRemoveChunk) continue;
    if (auto s = store.write(batch, options); !s.is_ok()) return s;
    batch = {};
  }
  if (!it->status().is_ok()) return it->status();
  batch.remove(kMarkerKey);
  return store.write(batch, options);
}

void mark_aggregates_current(store::WriteBatch& batch) { batch.put(kMarkerKey, kLayoutVersion); }

}  // namespace fleetgate::ledger
