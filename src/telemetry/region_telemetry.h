// The telemetry log seam: one region's telemetry at rest, whatever holds it. Submitted records are
// sealed with the region's keys into blocks (RecordCodec), so no store or stream sees a raw VIN or
// a clear location; a `done` of OK is the acknowledgement a car may rely on. Implementations:
// EmbeddedTelemetry (the region's RocksDB, embedded_telemetry.h) and StreamTelemetry (the region's
// JetStream cluster and PostgreSQL query store, stream_telemetry/stream_telemetry.h). Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/latest_state.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::telemetry::wire {
class Batch;
}

namespace fleetgate::telemetry {

// Where a region's telemetry is counted: children of IngestService's metric families.
struct StoreCounters {
  http::Counter* records = nullptr;         // records acknowledged
  http::Counter* batches_stored = nullptr;  // batches (frames, HTTP batches) acknowledged
  http::Counter* batches_failed = nullptr;  // batches the store failed or refused (queue full)
  http::Counter* commit_writes = nullptr;   // embedded: group-commit writes (one fsync each)
  http::Gauge* materializers_failing = nullptr;  // stream: this node's materializers whose last round failed
};

// What RegionTelemetry::erase did.
struct Erasure {
  std::string pseudonym;                      // the vehicle's region pseudonym
  std::optional<uint32_t> key_generation;     // the data key destroyed; nullopt: it had none left
  uint64_t blocks = 0;                        // sealed blocks deleted from the live store
};

class RegionTelemetry {
 public:
  // Runs once per submitted batch, on a thread of the implementation: it must not block for long.
  using Done = std::function<void(Status)>;

  virtual ~RegionTelemetry() = default;
  virtual const std::string& region() const = 0;

  // Seals `records` (validated as received, frame.h parse_records; all of one vehicle) and queues
  // them; `done` gets OK once they are stored as the implementation promises (and the vehicle's
  // latest state covers them, or soon will: see the implementation), else the error. `records` is
  // not needed once this returns. A record whose (created_at, seq) heads a stored block is a
  // resend: stored once when its values equal the stored ones, refused with kAlreadyExists
  // (naming it) when they differ, so a stored record is never silently replaced.
  // Errors returned here mean nothing was queued and `done` is never called: kInvalidArgument
  // for an empty list or mixed VINs, kResourceExhausted when the store or stream lags behind,
  // kAlreadyExists for a resend with other values.
  virtual Status submit(const wire::Batch& records, Done done) = 0;
  // submit() and wait for `done`'s outcome.
  Status append(const wire::Batch& records);

  // kNotFound when the vehicle never reported to this region.
  virtual Result<LatestState> latest(std::string_view vin) = 0;

  // Records of `vin` with from_ms <= created_at <= to_ms in (created_at, seq) order
  // (stored_records.h), at most `limit`; with `after`, those after that position.
  virtual Result<std::vector<Record>> read(std::string_view vin, int64_t from_ms, int64_t to_ms, size_t limit,
                                           const std::optional<RecordPosition>& after = std::nullopt) const = 0;

  // Every sealed block of the region under its store key (store_key.h), for scans of all vehicles
  // (exports, curation: scan_records and count_records with an empty pseudonym). The reader holds
  // what it reads through (a snapshot, a connection): drop it when done.
  virtual Result<std::unique_ptr<store::KvReader>> records() const = 0;

  // Erases the vehicle's telemetry in this region: destroys its data key, so every copy of its
  // sealed blocks (backups of the store, the stream, replicas) stays sealed for good, then deletes
  // its blocks and latest state from the live store. Idempotent. Batches of the vehicle queued
  // before the call are stored (then deleted) first. kFailedPrecondition when the region seals
  // under its own key only (no vehicle key store); store errors as submit().
  virtual Result<Erasure> erase(std::string_view vin) = 0;

  // Deletes the blocks of the vehicle `pseudonym` whose records all lie before `before_ms` (a
  // retention period of its market); how many. Store errors as submit().
  virtual Result<uint64_t> expire(std::string_view pseudonym, int64_t before_ms) = 0;

  // The codec this region seals with (its keys, and the vehicle key store).
  virtual const RecordCodec& codec() const = 0;
};

// kInvalidArgument unless `records` is non-empty and of one VIN (what submit() accepts).
Status check_one_vehicle(const wire::Batch& records);

}  // namespace fleetgate::telemetry
