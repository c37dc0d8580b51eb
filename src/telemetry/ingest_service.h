// Telemetry ingest and queries across every region of a config. A vehicle may only send records
// for its own registered VIN (its authenticated identity); each record is parsed and validated
// (frame.h), then stored only in the vehicle's home region (fleet registry) through that region's
// RegionTelemetry (region_telemetry.h), whose OK is the acknowledgement. Queries read the home region only and
// ask residency::Policy whether the caller's region may see personal telemetry homed there; a
// refusal answers like an unregistered VIN and is audited as "telemetry.query.refused" within the
// caller's refusal budget (audit/refusal_budget.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/group_commit_log.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/frame.h"
#include "fleetgate/telemetry/latest_state.h"
#include "fleetgate/telemetry/region_telemetry.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::telemetry {

struct IngestOptions {
  ValidationOptions validation{};
  Clock clock = system_clock_ms;              // "now" for validation (tests inject one)
  store::GroupCommitOptions commit{};         // per region: group commit, sync, queue bound
  size_t max_in_flight_frames = 256;          // per WebSocket: unacknowledged frames before reads pause
  size_t max_batch_records = 10000;           // per HTTP batch or WebSocket batch frame
  size_t max_batch_frame_bytes = 1 << 20;     // per WebSocket batch frame
  size_t max_query_records = 10000;           // per query response
  // Where ingest is counted, per region: fleetgate_telemetry_records_total,
  // fleetgate_telemetry_batches_total{outcome=stored|refused|failed} and
  // fleetgate_telemetry_commit_writes_total. Null: a registry of the service's own.
  std::shared_ptr<http::MetricsRegistry> metrics{};
  // Makes the telemetry of a region whose [regions.telemetry] log is not "embedded" (the app
  // wires in StreamTelemetry); unset: create() refuses such a region with kFailedPrecondition.
  using RegionFactory = std::function<Result<std::unique_ptr<RegionTelemetry>>(
      const config::Region& region, std::shared_ptr<const privacy::RegionKeys> keys, StoreCounters counters)>;
  RegionFactory make_region{};
};

// Options for opening region stores so that [[regions]] retention_days applies to record keys:
//   store::open_region_stores(config, telemetry::region_store_options())
store::EmbeddedOptions region_store_options();

// An authenticated vehicle's ingest channel: who it is and where its records go.
struct VehicleChannel {
  std::string vin;
  std::string region;
  RegionTelemetry* store = nullptr;
};

struct TelemetryQuery {
  std::string vin;
  int64_t from_ms = INT64_MIN;
  int64_t to_ms = INT64_MAX;
  std::vector<Field> fields{};  // empty = every field
  size_t limit = 1000;          // capped at IngestOptions::max_query_records
  // The next_cursor of the previous page of the same vin, from_ms and to_ms (query_cursor.h);
  // empty: from the first record.
  std::string cursor{};
};

// One page of a query: records in (created_at, seq) order (stored_records.h).
struct TelemetryPage {
  std::vector<Record> records;
  std::string next_cursor;  // empty when no record of the query is left, else the next page's cursor
};

class IngestService {
 public:
  // Opens each served region's privacy keys (created on first start, privacy/keyring.h) and its
  // RegionTelemetry: over `region_stores` (keyed by region id, e.g. from store::open_region_stores)
  // for an embedded log, from options.make_region otherwise.
  // kFailedPrecondition when a configured region has no store; the keyring errors otherwise.
  // REQUIRES: the stores, registry and audit log outlive the service.
  static Result<std::unique_ptr<IngestService>> create(
      std::shared_ptr<const residency::Policy> policy,
      const std::map<std::string, std::unique_ptr<store::KvStore>>& region_stores,
      const vehicle::FleetRegistry& registry, audit::AuditLog& audit, IngestOptions options = {});

  // The channel of an authenticated vehicle: kPermissionDenied unless it holds the "vehicle"
  // role; the registry's kNotFound/kInvalidArgument when its VIN is not a registered vehicle.
  Result<VehicleChannel> open_channel(const http::Principal& vehicle) const;

  // The records of one frame from the channel's vehicle (frame.h parse_records; a `batch` holds at
  // most max_batch_records): its errors, and kPermissionDenied when a record's VIN is not the
  // channel's. Errors in a batch name the record: "records[3]: …". The records live in a buffer of
  // the calling thread, reused by its next call (so it stays warm in cache and allocates little):
  // submit them before the thread parses again.
  struct Parsed {
    Result<const wire::Batch*> records;
    uint64_t ack_seq = 0;  // frame.h ack_seq: set once the frame decoded, also when it is refused
  };
  Parsed parse(const VehicleChannel& channel, std::string_view bytes, FrameFormat format, bool batch) const;

  // Queues parsed records of the channel's vehicle (RegionTelemetry::submit). A resend with other
  // values than stored (kAlreadyExists) is audited as "telemetry.record.conflict" within the
  // vehicle's refusal budget (audit/refusal_budget.h).
  Status submit(const VehicleChannel& channel, const wire::Batch& records, RegionTelemetry::Done done);

  // An HTTP batch (wire.Batch, or a JSON array of frames) stored all or nothing, durably before
  // returning; the number of records stored. Errors name the record: "records[3]: …"; a resend
  // with other values is refused and audited as by submit().
  Result<size_t> ingest_batch(const http::Principal& vehicle, std::string_view body, FrameFormat format);

  // The vehicle's latest state in its home region; kNotFound when unregistered or silent.
  Result<LatestState> latest_state(std::string_view vin);

  // A page of a registered vehicle's records from its home region, for `caller` (an operator or
  // admin). The registry's kNotFound of an unregistered VIN (vehicle::not_registered) also when
  // the policy refuses the caller's region; that refusal is audited within the caller's budget.
  // kInvalidArgument for from after to, and for a cursor decode_query_cursor refuses (checked
  // after the policy, so a refused caller learns nothing from it).
  Result<TelemetryPage> query(const http::Principal& caller, const TelemetryQuery& q);

  // The region's telemetry; nullptr for an unknown region.
  RegionTelemetry* region(std::string_view id);
  const IngestOptions& options() const { return options_; }

 private:
  IngestService(std::shared_ptr<const residency::Policy> policy, const vehicle::FleetRegistry& registry,
                audit::AuditLog& audit, IngestOptions options);
  Result<VehicleChannel> channel_of(std::string_view vin) const;
  Status check_vin(const VehicleChannel& channel, const wire::Payload& r) const;
  // Counts a batch of `channel` refused before storing (malformed, invalid, another VIN).
  void refused(const VehicleChannel& channel) const;
  // Audits `stored` when it refused a resend with other values; returns it.
  Status audit_conflict(const VehicleChannel& channel, Status stored);

  std::shared_ptr<const residency::Policy> policy_;
  const vehicle::FleetRegistry& registry_;
  audit::AuditLog& audit_;
  IngestOptions options_;
  Validator validator_;
  std::map<std::string, std::unique_ptr<RegionTelemetry>, std::less<>> regions_;
  std::map<std::string, http::Counter*, std::less<>> refused_;  // by region
};

}  // namespace fleetgate::telemetry
