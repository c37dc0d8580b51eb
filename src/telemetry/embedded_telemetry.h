// A region's telemetry in its embedded store (RegionTelemetry over a KvStore). Each submitted batch is sealed with the region's keys into blocks
// (RecordCodec) under store keys (store_key.h) and appended durably through group commit. Each
// vehicle's latest state (key "latest/<pseudonym>", sealed the same way) is kept in memory and
// written once per commit group, in the same atomic write as the group's records, so a stored state
// covers at least every acknowledged record (it may also hold records of the next group, queued
// while this one was sealed). Reads serve queries and the gateway. Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/group_commit_log.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/latest_state.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/region_telemetry.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::telemetry {

// Key prefix of latest states; record keys start with a pseudonym ("p_…") and never collide.
inline constexpr std::string_view kLatestKeyPrefix = "latest/";


class EmbeddedTelemetry final : public RegionTelemetry {
 public:
  // REQUIRES: `store` outlives this object and is the store of `codec.region()`.
  // REQUIRES: every counter is set and outlives this object.
  EmbeddedTelemetry(RecordCodec codec, store::KvStore& store, StoreCounters counters,
                    store::GroupCommitOptions options = {});

  const std::string& region() const override { return codec_.region(); }

  // RegionTelemetry::submit. Resends are compared with the block stored under their key: a
  // block that adds records is stored again as the blocks of the stored and the new records
  // together. Not compared: records stored inside another block, and a resend still in flight
  // with its original. kResourceExhausted when the store lags behind.
  Status submit(const wire::Batch& records, Done done) override;
  Result<LatestState> latest(std::string_view vin) override;
  Result<std::vector<Record>> read(std::string_view vin, int64_t from_ms, int64_t to_ms, size_t limit,
                                   const std::optional<RecordPosition>& after = std::nullopt) const override;
  // A snapshot of the region store.
  Result<std::unique_ptr<store::KvReader>> records() const override { return store_.snapshot(); }
  Result<Erasure> erase(std::string_view vin) override;
  Result<uint64_t> expire(std::string_view pseudonym, int64_t before_ms) override;
  const RecordCodec& codec() const override { return codec_; }

 private:
  // What ingest keeps of one vehicle: its pseudonym (an HMAC, computed once) and latest state.
  struct Vehicle {
    std::string pseudonym;
    LatestState latest;  // empty when the vehicle never reported to this region
  };
  // Loads the vehicle into the cache unless it is there; its pseudonym.
  Result<std::string> load_vehicle(const std::string& vin);
  void forget_vehicle(const std::string& vin);
  // Resolves the blocks whose keys are taken in the store (see submit()): each becomes the
  // blocks of the stored and the new records together, or is dropped when it adds nothing.
  Status merge_resends(std::string_view pseudonym, std::vector<StoredForm>& blocks) const;
  // GroupCommitLog::Prepare: seals the latest state of every vehicle that reported since the
  // previous group into `group`.
  Status add_latest_states(store::WriteBatch& group);

  RecordCodec codec_;
  store::KvStore& store_;
  StoreCounters counters_;
  // Serialises fold-and-queue per vehicle (by VIN hash) so batches queue in fold order.
  std::array<std::mutex, 64> vehicle_mu_;
  std::mutex cache_mu_;
  std::unordered_map<std::string, Vehicle> cache_;  // by VIN
  std::unordered_set<std::string> dirty_;           // VINs whose latest state is not yet queued
  // Last: destroyed first, so its final groups and completions still find the cache.
  store::GroupCommitLog log_;
};

}  // namespace fleetgate::telemetry
