#include "fleetgate/telemetry/ingest_service.h"

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <climits>

#include "fleetgate/privacy/keyring.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/protobuf_log.h"
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
  std::unique_ptr<IngestService> service(new IngestService(policy, registry, audit, std::move(options)));
  for (const config::Region& region : policy->config().regions) {
    auto store = region_stores.find(region.id);
    if (store == region_stores.end() || !store->second) {
      return failed_precondition("region '" + region.id + "' has no store");
    }
    auto keys = privacy::RegionKeys::open(region.data_dir, region.id);
    if (!keys.is_ok()) return keys.status();
    service->regions_.emplace(region.id, std::make_unique<RegionTelemetry>(std::move(keys).value(), *store->second,
                                                                          service->options_.commit));
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

Result<Record> IngestService::parse(const VehicleChannel& channel, std::string_view bytes, FrameFormat format) const {
  Result<Record> r = parse_frame(bytes, format, validator_);
  if (!r.is_ok()) return r;
  if (r->vin != channel.vin) {
    return permission_denied("record for VIN " + r->vin.substr(0, 32) + " sent by vehicle " + channel.vin);
  }
  return r;
}

Result<std::vector<Record>> IngestService::parse_batch(const VehicleChannel& channel, std::string_view body,
                                                       FrameFormat format) const {
  std::vector<std::string> frames;
  if (format == FrameFormat::kProtobuf) {
    wire::Batch batch;
    if (body.size() > INT_MAX || !batch.ParseFromArray(body.data(), static_cast<int>(body.size()))) {
      return invalid_argument("malformed protobuf batch (" + std::to_string(body.size()) + " bytes)");
    }
    for (const wire::Payload& p : batch.records()) frames.push_back(p.SerializeAsString());
  } else {
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(body, ec);
    if (ec) return invalid_argument("malformed JSON batch: " + ec.message());
    if (!doc.is_array()) return invalid_argument("a JSON batch is an array of frames");
    for (const boost::json::value& v : doc.as_array()) frames.push_back(boost::json::serialize(v));
  }
  if (frames.empty()) return invalid_argument("empty batch");
  if (frames.size() > options_.max_batch_records) {
    return invalid_argument("batch of " + std::to_string(frames.size()) + " records exceeds the limit of " +
                            std::to_string(options_.max_batch_records));
  }
  std::vector<Record> records;
  records.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    Result<Record> r = parse(channel, frames[i], format);
    if (!r.is_ok()) return Status(r.status().code(), "records[" + std::to_string(i) + "]: " + r.status().message());
    records.push_back(std::move(r).value());
  }
  return records;
}

Result<size_t> IngestService::ingest_batch(const http::Principal& vehicle, std::string_view body, FrameFormat format) {
  Result<VehicleChannel> channel = open_channel(vehicle);
  if (!channel.is_ok()) return channel.status();
  Result<std::vector<Record>> records = parse_batch(*channel, body, format);
  if (!records.is_ok()) return records.status();
  const size_t n = records->size();
  if (Status s = channel->store->append(std::move(records).value()); !s.is_ok()) return s;
  return n;
}

Result<LatestState> IngestService::latest_state(std::string_view vin) {
  Result<VehicleChannel> channel = channel_of(vin);
  if (!channel.is_ok()) return channel.status();
  return channel->store->latest(channel->vin);
}

Result<std::vector<Record>> IngestService::query(const http::Principal& caller, const TelemetryQuery& q) {
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
    if (Result<audit::Entry> logged = audit_.append(std::move(e)); !logged.is_ok()) return logged.status();
    return permission_denied("telemetry of " + channel->vin + " is homed in " + channel->region + ": " + d.reason);
  }
  Result<std::vector<Record>> records =
      channel->store->read(channel->vin, q.from_ms, q.to_ms, std::min(q.limit, options_.max_query_records));
  if (!records.is_ok() || q.fields.empty()) return records;
  for (Record& r : *records) {
    std::erase_if(r.data, [&](const Datum& d) {
      return std::find(q.fields.begin(), q.fields.end(), d.field) == q.fields.end();
    });
  }
  return records;
}

}  // namespace fleetgate::telemetry
