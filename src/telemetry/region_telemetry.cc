#include "fleetgate/telemetry/region_telemetry.h"

#include <functional>
#include <future>

#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::telemetry {

RegionTelemetry::RegionTelemetry(std::shared_ptr<const privacy::RegionKeys> keys, store::KvStore& store,
                                 store::GroupCommitOptions options)
    : codec_(std::move(keys)), store_(store), log_(store, options) {}

Result<LatestState> RegionTelemetry::load_latest(const std::string& vin, std::string_view pseudonym) {
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(vin); it != cache_.end()) return it->second;
  }
  Result<std::string> stored = store_.get(std::string(kLatestKeyPrefix) + std::string(pseudonym));
  LatestState state;
  if (stored.is_ok()) {
    Result<Record> r = codec_.decode(*stored);
    if (!r.is_ok()) return r.status();
    state = LatestState::from_record(*r);
  } else if (stored.status().code() != Code::kNotFound) {
    return stored.status();
  }
  std::lock_guard lock(cache_mu_);
  cache_[vin] = state;
  return state;
}

void RegionTelemetry::forget_latest(const std::string& vin) {
  std::lock_guard lock(cache_mu_);
  cache_.erase(vin);
}

Status RegionTelemetry::submit(std::vector<Record> records, store::GroupCommitLog::Done done) {
  if (records.empty()) return invalid_argument("no records to store");
  const std::string vin = records.front().vin;
  store::WriteBatch batch;
  for (const Record& r : records) {
    if (r.vin != vin) return invalid_argument("one batch holds records of " + vin + " and " + r.vin);
    Result<StoredForm> sealed = codec_.encode(r);
    if (!sealed.is_ok()) return sealed.status();
    batch.put(sealed->key, sealed->value);
  }
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();

  std::lock_guard vehicle_lock(vehicle_mu_[std::hash<std::string>{}(vin) % vehicle_mu_.size()]);
  Result<LatestState> latest = load_latest(vin, *pseudonym);
  if (!latest.is_ok()) return latest.status();
  bool changed = false;
  for (const Record& r : records) changed = fold(*latest, r) || changed;
  if (changed) {
    Result<StoredForm> sealed = codec_.encode(latest->to_record());
    if (!sealed.is_ok()) return sealed.status();
    batch.put(std::string(kLatestKeyPrefix) + *pseudonym, sealed->value);
    std::lock_guard lock(cache_mu_);
    cache_[vin] = *latest;
  }
  // A failed write leaves the cache ahead of the store: drop the entry so it reloads.
  Status queued = log_.submit(std::move(batch), [this, vin, done = std::move(done)](Status s) {
    if (!s.is_ok()) forget_latest(vin);
    done(std::move(s));
  });
  if (!queued.is_ok()) forget_latest(vin);
  return queued;
}

Status RegionTelemetry::append(std::vector<Record> records) {
  auto outcome = std::make_shared<std::promise<Status>>();
  std::future<Status> result = outcome->get_future();
  Status queued = submit(std::move(records), [outcome](Status s) { outcome->set_value(std::move(s)); });
  if (!queued.is_ok()) return queued;
  return result.get();
}

Result<LatestState> RegionTelemetry::latest(std::string_view vin) {
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  Result<LatestState> state = load_latest(std::string(vin), *pseudonym);
  if (state.is_ok() && state->vin.empty()) {
    return not_found("no telemetry from " + std::string(vin) + " in region " + region());
  }
  return state;
}

Result<std::vector<Record>> RegionTelemetry::read(std::string_view vin, int64_t from_ms, int64_t to_ms,
                                                  size_t limit) const {
  Result<std::string> pseudonym = codec_.pseudonym(vin);
  if (!pseudonym.is_ok()) return pseudonym.status();
  std::vector<Record> out;
  std::unique_ptr<store::KvIterator> it =
      store_.scan(store_key_prefix(*pseudonym), encode_store_key(*pseudonym, from_ms, 0));
  for (; it->valid() && out.size() < limit; it->next()) {
    Result<StoreKey> key = decode_store_key(it->key());
    if (!key.is_ok()) return key.status();
    if (key->created_at_ms > to_ms) break;
    Result<Record> r = codec_.decode(it->value());
    if (!r.is_ok()) return r.status();
    out.push_back(std::move(r).value());
  }
  if (Status s = it->status(); !s.is_ok()) return s;
  return out;
}

}  // namespace fleetgate::telemetry
