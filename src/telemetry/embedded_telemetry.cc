#include "fleetgate/telemetry/embedded_telemetry.h"

#include <algorithm>
#include <functional>
#include <iterator>
#include <limits>

#include "fleetgate/telemetry/record_compare.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::telemetry {

EmbeddedTelemetry::EmbeddedTelemetry(RecordCodec codec, store::KvStore& store, StoreCounters counters,
                                     store::GroupCommitOptions options)
    : codec_(std::move(codec)),
      store_(store),
      counters_(counters),
      log_(store, options, [this](store::WriteBatch& group) { return add_latest_states(group); }) {}

Result<std::string> EmbeddedTelemetry::load_vehicle(const std::string& vin) {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(vin); it != cache_.end()) return it->second.pseudonym;
  }
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  Vehicle v{std::move(pseudonym).value(), {}};
  Result<std::string> stored = store_.get(std::string(kLatestKeyPrefix) + v.pseudonym);
  if (stored.is_ok()) {
    std::vector<Record> r;
    Status s = codec_.decode(*stored, r);
    // kNotFound: a state sealed under an erased vehicle's destroyed key, which is no state.
    if (!s.is_ok() && s.code() != Code::kNotFound) return s;
    if (s.is_ok()) v.latest = LatestState::from_record(r.front());
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  std::lock_guard lock(cache_mu_);
  return cache_.try_emplace(vin, std::move(v)).first->second.pseudonym;
}

void EmbeddedTelemetry::forget_vehicle(const std::string& vin) {
  std::lock_guard lock(cache_mu_);
  cache_.erase(vin);
  dirty_.erase(vin);
}

Status EmbeddedTelemetry::merge_resends(std::string_view pseudonym, std::vector<StoredForm>& blocks) const {
  std::vector<StoredForm> out;
  for (StoredForm& block : blocks) {
    Result<std::string> stored = store_.get(block.key);
    if (stored.status().code() == Code::kNotFound) {
      out.push_back(std::move(block));
      continue;
    }
    if (!stored.is_ok()) return stored.status();
    std::vector<Record> merged, received;
    if (Status s = codec_.decode(*stored, merged); !s.is_ok()) return s;
    if (Status s = codec_.decode(block.value, received); !s.is_ok()) return s;
    ResendSplit split = split_resend(merged, std::move(received));
    if (!split.first_conflict.is_ok()) return split.first_conflict;
    if (split.missing.empty()) continue;  // a resend of stored records only
    std::move(split.missing.begin(), split.missing.end(), std::back_inserter(merged));
    if (Status s = codec_.encode(merged, pseudonym, out); !s.is_ok()) return s;
  }
  blocks = std::move(out);
  return Status::ok();
}

Status EmbeddedTelemetry::add_latest_states(store::WriteBatch& group) {
  counters_.commit_writes->inc();  // called once per group, just before its write
  std::vector<Vehicle> changed;
  {
    std::lock_guard lock(cache_mu_);
    changed.reserve(dirty_.size());
    for (const std::string& vin : dirty_) {
      if (auto it = cache_.find(vin); it != cache_.end()) changed.push_back(it->second);
    }
    dirty_.clear();
  }
  for (const Vehicle& v : changed) {
    Result<StoredForm> sealed = codec_.encode(v.latest.to_record(), v.pseudonym);
    // kFailedPrecondition: the vehicle was erased while this state was folded; it has none now.
    if (sealed.status().code() == Code::kFailedPrecondition) continue;
    if (!sealed.is_ok()) return sealed.status();
    group.put(std::string(kLatestKeyPrefix) + v.pseudonym, sealed->value);
  }
  return Status::ok();
}

Status EmbeddedTelemetry::submit(const wire::Batch& records, Done done) {
  if (Status s = check_one_vehicle(records); !s.is_ok()) return s;
  const std::string& vin = records.records(0).vin();
  Result<std::string> pseudonym = load_vehicle(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  std::vector<StoredForm> blocks;
  if (Status s = codec_.encode(records, *pseudonym, blocks); !s.is_ok()) return s;
  if (Status s = merge_resends(*pseudonym, blocks); !s.is_ok()) return s;
  store::WriteBatch batch;
  for (StoredForm& b : blocks) batch.put_moved(std::move(b.key), std::move(b.value));

  std::lock_guard vehicle_lock(vehicle_mu_[std::hash<std::string>{}(vin) % vehicle_mu_.size()]);
  {
    std::lock_guard lock(cache_mu_);
    auto cached = cache_.find(vin);
    if (cached == cache_.end()) return unavailable("a write of " + vin + "'s telemetry just failed; send again");
    bool changed = false;
    for (const wire::Payload& r : records.records()) changed = fold(cached->second.latest, r) || changed;
    if (changed) dirty_.insert(vin);
  }
  // A failed write leaves the cache ahead of the store: drop the entry so it reloads.
  Status queued = log_.submit(std::move(batch), [this, vin, n = records.records_size(), done = std::move(done)](Status s) {
    if (s.is_ok()) {
      counters_.records->inc(static_cast<double>(n));
      counters_.batches_stored->inc();
    } else {
      forget_vehicle(vin);
      counters_.batches_failed->inc();
    }
    done(std::move(s));
  });
  if (!queued.is_ok()) {
    forget_vehicle(vin);
    counters_.batches_failed->inc();
  }
  return queued;
}

Result<LatestState> EmbeddedTelemetry::latest(std::string_view vin) {
  const std::string key(vin);
  if (Result<std::string> loaded = load_vehicle(key); !loaded.is_ok()) return loaded.status();
  std::lock_guard lock(cache_mu_);
  auto it = cache_.find(key);
  if (it == cache_.end() || it->second.latest.vin.empty()) {
    return not_found("no telemetry from " + key + " in region " + region());
  }
  return it->second.latest;
}

Result<std::vector<Record>> EmbeddedTelemetry::read(std::string_view vin, int64_t from_ms, int64_t to_ms, size_t limit,
                                                  const std::optional<RecordPosition>& after) const {
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  std::vector<Record> out;
  if (limit == 0) return out;
  const RecordRange range{std::move(pseudonym).value(), from_ms, to_ms};
  Status s = scan_records(store_, codec_, range, [&](Record&& r) {
    out.push_back(std::move(r));
    return out.size() < limit;
  }, after);
  if (!s.is_ok()) return s;
  return out;
}

Result<Erasure> EmbeddedTelemetry::erase(std::string_view vin) {
  if (!codec_.vehicle_keys()) {
    return failed_precondition("region '" + codec_.region() + "' seals telemetry under its own key only: no vehicle key store");
  }
  auto pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  const std::string v(vin);
  // Holding the vehicle's turn, no batch of it is queued meanwhile; an empty batch through the
  // log waits until the batches queued before are stored, so the scan below sees them.
  std::lock_guard vehicle_lock(vehicle_mu_[std::hash<std::string>{}(v) % vehicle_mu_.size()]);
  forget_vehicle(v);
  if (Status s = log_.append(store::WriteBatch()); !s.is_ok()) return s;
  Erasure out{*pseudonym, {}, 0};
  auto destroyed = codec_.vehicle_keys()->destroy(*pseudonym);
  if (!destroyed.is_ok()) return destroyed.status();
  out.key_generation = *destroyed;
  store::WriteBatch batch;
  auto snapshot = store_.snapshot();
  auto it = snapshot->scan(store_key_prefix(*pseudonym));
  for (; it->valid(); it->next()) {
    batch.remove(it->key());
    ++out.blocks;
  }
  if (Status s = it->status(); !s.is_ok()) return s;
  batch.remove(std::string(kLatestKeyPrefix) + *pseudonym);
  if (Status s = log_.append(std::move(batch)); !s.is_ok()) return s;
  forget_vehicle(v);
  return out;
}

Result<uint64_t> EmbeddedTelemetry::expire(std::string_view pseudonym, int64_t before_ms) {
  // A block's key is its first record's time; its records lie within kMaxBlockSpanMs of it.
  if (before_ms <= std::numeric_limits<int64_t>::min() + kMaxBlockSpanMs) return uint64_t{0};
  const std::string end = encode_store_key(pseudonym, before_ms - kMaxBlockSpanMs, 0);
  store::WriteBatch batch;
  auto snapshot = store_.snapshot();
  auto it = snapshot->scan(store_key_prefix(pseudonym));
  for (; it->valid() && it->key() < end; it->next()) batch.remove(it->key());
  if (Status s = it->status(); !s.is_ok()) return s;
  const uint64_t n = batch.size();
  if (n == 0) return n;
  if (Status s = log_.append(std::move(batch)); !s.is_ok()) return s;
  return n;
}

}  // namespace fleetgate::telemetry
