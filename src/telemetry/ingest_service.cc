#include "fleetgate/telemetry/ingest_service.h"

#include <boost/json/array.hpp>

#include <algorithm>
#include <optional>

#include "fleetgate/privacy/keyring.h"
#include "fleetgate/telemetry/embedded_telemetry.h"
#include "fleetgate/telemetry/protobuf_log.h"
#include "fleetgate/telemetry/query_cursor.h"
#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::telemetry {

store::EmbeddedOptions region_store_options() {
  store::EmbeddedOptions options;
  options.key_time = store_key_time;
  return options;
}

IngestService::IngestService(std::shared_ptr<const residency::Policy> policy, const vehicle::FleetRegistry& registry,
                             audit::AuditLog& audit, IngestOptions options)
    : policy_(std::move(policy)),
      registry_(registry),
      audit_(audit),
      options_(std::move(options)),
      validator_(options_.validation, options_.clock) {}

Result<std::unique_ptr<IngestService>> IngestService::create(
    std::shared_ptr<const residency::Policy> policy,
    const std::map<std::string, std::unique_ptr<store::KvStore>>& region_stores,
    const vehicle::FleetRegistry& registry, audit::AuditLog& audit, IngestOptions options) {
  route_protobuf_logs_to_spdlog();
  if (!options.metrics) options.metrics = std::make_shared<http::MetricsRegistry>();
  auto records = options.metrics->counter("fleetgate_telemetry_records_total",
                                          "Telemetry records durably stored, by home region", {"region"});
  if (!records.is_ok()) return records.status();
  auto batches = options.metrics->counter(
      "fleetgate_telemetry_batches_total",
      "Telemetry frames and HTTP batches by home region and outcome: stored, refused (invalid) or failed (store)",
      {"region", "outcome"});
  if (!batches.is_ok()) return batches.status();
  auto writes = options.metrics->counter("fleetgate_telemetry_commit_writes_total",
                                         "Group-commit writes (one WAL fsync each), by region", {"region"});
  if (!writes.is_ok()) return writes.status();
  auto failing = options.metrics->gauge(
      "fleetgate_telemetry_materializers_failing",
      "Materializers of this node (telemetry on JetStream) whose last round failed to store, by region", {"region"});
  if (!failing.is_ok()) return failing.status();
  std::unique_ptr<IngestService> service(new IngestService(policy, registry, audit, std::move(options)));
  for (const config::Region& region : policy->config().regions) {
    if (!policy->config().serves(region.id)) continue;  // its cars are redirected before ingest
    auto keys = privacy::RegionKeys::open(region.data_dir, region.id);
    if (!keys.is_ok()) return keys.status();
    const StoreCounters counters{&(*records)->with({region.id}), &(*batches)->with({region.id, "stored"}),
                                 &(*batches)->with({region.id, "failed"}), &(*writes)->with({region.id}), &(*failing)->with({region.id})};
    std::unique_ptr<RegionTelemetry> telemetry;
    if (region.telemetry.log == config::RegionTelemetrySettings::Log::kEmbedded) {
      auto store = region_stores.find(region.id);
      if (store == region_stores.end() || !store->second) {
        return failed_precondition("region '" + region.id + "' has no store");
      }
      auto vehicle_keys = privacy::VehicleKeys::open_embedded(region.data_dir, *keys);
      if (!vehicle_keys.is_ok()) {
        return Status(vehicle_keys.status().code(), "region '" + region.id + "' vehicle keys: " + vehicle_keys.status().message());
      }
      telemetry = std::make_unique<EmbeddedTelemetry>(RecordCodec(std::move(keys).value(), std::move(vehicle_keys).value()),
                                                      *store->second, counters, service->options_.commit);
    } else {
      if (!service->options_.make_region) {
        return failed_precondition("region '" + region.id + "' keeps its telemetry outside this process's stores");
      }
      auto made = service->options_.make_region(region, std::move(keys).value(), counters);
      if (!made.is_ok()) return made.status();
      telemetry = std::move(made).value();
    }
    service->regions_.emplace(region.id, std::move(telemetry));
    service->refused_.emplace(region.id, &(*batches)->with({region.id, "refused"}));
  }
  return service;
}

RegionTelemetry* IngestService::region(std::string_view id) {
  auto it = regions_.find(id);
  return it == regions_.end() ? nullptr : it->second.get();
}

Result<VehicleChannel> IngestService::channel_of(std::string_view vin) const {
  Result<vehicle::VehicleRecord> v = registry_.show(vin);
  if (!v.is_ok()) return v.status();
  auto it = regions_.find(v->region);
  if (it == regions_.end()) return failed_precondition("home region '" + v->region + "' of " + v->vin + " has no store");
  return VehicleChannel{v->vin, v->region, it->second.get()};
}

Result<VehicleChannel> IngestService::open_channel(const http::Principal& vehicle) const {
  if (!vehicle.has_role("vehicle")) return permission_denied("only vehicles send telemetry");
  return channel_of(vehicle.subject);
}

Status IngestService::check_vin(const VehicleChannel& channel, const wire::Payload& r) const {
  if (r.vin() == channel.vin) return Status::ok();
  return permission_denied("record for VIN " + r.vin().substr(0, 32) + " sent by vehicle " + channel.vin);
}

void IngestService::refused(const VehicleChannel& channel) const {
  if (auto it = refused_.find(channel.region); it != refused_.end()) it->second->inc();
}

IngestService::Parsed IngestService::parse(const VehicleChannel& channel, std::string_view bytes, FrameFormat format,
                                           bool batch) const {
  // Parsing into a message of earlier frames reuses its element objects and string buffers; one
  // per connection instead was colder in cache and cost more to clear than to parse.
  thread_local wire::Batch records;
  Status s = parse_records(bytes, format, batch, validator_, options_.max_batch_records, records);
  for (int i = 0; s.is_ok() && i < records.records_size(); ++i) {
    s = check_vin(channel, records.records(i));
    if (!s.is_ok() && batch) s = Status(s.code(), "records[" + std::to_string(i) + "]: " + s.message());
  }
  if (!s.is_ok()) {
    refused(channel);
    return {s, ack_seq(records)};
  }
  return {&records, ack_seq(records)};
}

Status IngestService::audit_conflict(const VehicleChannel& channel, Status stored) {
  if (stored.code() != Code::kAlreadyExists) return stored;
  audit::Event e{.actor = "vehicle:" + channel.vin,
                 .action = "telemetry.record.conflict",
                 .subject = channel.vin,
                 .region = channel.region,
                 .details = {{"reason", stored.message()}}};
  if (auto logged = audit_.append_refusal(std::move(e)); !logged.is_ok()) return logged.status();
  return stored;
}

Status IngestService::submit(const VehicleChannel& channel, const wire::Batch& records, RegionTelemetry::Done done) {
  return audit_conflict(channel, channel.store->submit(records, std::move(done)));
}

Result<size_t> IngestService::ingest_batch(const http::Principal& vehicle, std::string_view body, FrameFormat format) {
  Result<VehicleChannel> channel = open_channel(vehicle);
  if (!channel.is_ok()) return channel.status();
  Result<const wire::Batch*> records = parse(*channel, body, format, true).records;
  if (!records.is_ok()) return records.status();
  if (Status s = audit_conflict(*channel, channel->store->append(**records)); !s.is_ok()) return s;
  return static_cast<size_t>((*records)->records_size());
}

Result<LatestState> IngestService::latest_state(std::string_view vin) {
  Result<VehicleChannel> channel = channel_of(vin);
  if (!channel.is_ok()) return channel.status();
  return channel->store->latest(channel->vin);
}

Result<TelemetryPage> IngestService::query(const http::Principal& caller, const TelemetryQuery& q) {
  if (q.from_ms > q.to_ms) return invalid_argument("from is after to");
  Result<VehicleChannel> channel = channel_of(q.vin);
  if (!channel.is_ok()) return channel.status();
  // The caller's data lands where they act: the home region when they may act there, else the
  // (first) region they are scoped to, which the policy then judges.
  const std::string destination = caller.may_act_in(channel->region) ? channel->region
                                  : caller.regions.empty()           ? std::string("none")
                                                                     : caller.regions.front();
  const residency::Decision d =
      policy_->decide(residency::DataClass::kPersonalTelemetry, channel->region, destination);
  if (!d.allowed) {
    boost::json::array scope;
    for (const std::string& r : caller.regions) scope.emplace_back(r);
    audit::Event e{.actor = caller.subject,
                   .action = "telemetry.query.refused",
                   .subject = channel->vin,
                   .region = channel->region,
                   .details = {{"caller_regions", std::move(scope)}, {"reason", d.reason}}};
    if (auto logged = audit_.append_refusal(std::move(e)); !logged.is_ok()) return logged.status();
    // Answered like an unregistered VIN, so other regions' fleets cannot be probed.
    return vehicle::not_registered(q.vin);
  }
  std::optional<RecordPosition> after;
  if (!q.cursor.empty()) {
    Result<RecordPosition> position = decode_query_cursor(q.cursor, channel->vin, q.from_ms, q.to_ms);
    if (!position.is_ok()) return position.status();
    after = *position;
  }
  // One record beyond the page tells whether another page follows.
  const size_t limit = std::clamp<size_t>(q.limit, 1, options_.max_query_records);
  Result<std::vector<Record>> records = channel->store->read(channel->vin, q.from_ms, q.to_ms, limit + 1, after);
  if (!records.is_ok()) return records.status();
  TelemetryPage page{std::move(records).value(), ""};
  if (page.records.size() > limit) {
    page.records.resize(limit);
    page.next_cursor = encode_query_cursor(position_after(page.records, after), channel->vin, q.from_ms, q.to_ms);
  }
  if (q.fields.empty()) return page;
  for (Record& r : page.records) {
    std::erase_if(r.data, [&](const Datum& d) {
      return std::find(q.fields.begin(), q.fields.end(), d.field) == q.fields.end();
    });
  }
  return page;
}

}  // namespace fleetgate::telemetry
