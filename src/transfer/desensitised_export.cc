#include "fleetgate/transfer/desensitised_export.h"

#include <boost/json.hpp>
#include <map>
#include <set>
#include <tuple>

#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/telemetry/desensitise.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/store_key.h"

namespace fleetgate::transfer {
namespace {

namespace json = boost::json;
using telemetry::DesensitisedRecord;

// One prefix scan per selected vehicle, or one over every record of the region.
std::vector<std::pair<std::string, std::string>> scan_ranges(const telemetry::RecordCodec& codec, const ExportSpec& spec,
                                                             Status& error) {
  std::vector<std::pair<std::string, std::string>> ranges;  // (prefix, start)
  if (spec.vins.empty()) {
    ranges.emplace_back(std::string(privacy::kPseudonymPrefix), std::string());
    return ranges;
  }
  std::set<std::string> seen;
  for (const auto& vin : spec.vins) {
    auto p = codec.pseudonym(vin);
    if (!p.is_ok()) {
      error = p.status();
      return {};
    }
    if (!seen.insert(*p).second) continue;
    ranges.emplace_back(telemetry::store_key_prefix(*p), telemetry::encode_store_key(*p, spec.from_ms, 0));
  }
  return ranges;
}

// Walks the selected record keys of `reader`, calling `visit(value)` for each in range.
template <typename Visit>
Status for_each_selected(const store::KvReader& reader, const std::vector<std::pair<std::string, std::string>>& ranges,
                         const ExportSpec& spec, Visit&& visit) {
  for (const auto& [prefix, start] : ranges) {
    auto it = reader.scan(prefix, start);
    for (; it->valid(); it->next()) {
      auto key = telemetry::decode_store_key(it->key());
      if (!key.is_ok()) return key.status();
      if (key->created_at_ms < spec.from_ms || key->created_at_ms > spec.to_ms) continue;
      if (Status s = visit(it->value()); !s.is_ok()) return s;
    }
    if (Status s = it->status(); !s.is_ok()) return s;
  }
  return Status::ok();
}

// The (time bucket, location cell) group of a desensitised record; cells are exact grid centres.
using GroupKey = std::tuple<int64_t, bool, double, double>;
GroupKey group_of(const DesensitisedRecord& r) {
  for (const auto& d : r.data) {
    if (const auto* loc = std::get_if<telemetry::Location>(&d.value)) return {r.time_bucket_ms, true, loc->lat, loc->lon};
  }
  return {r.time_bucket_ms, false, 0.0, 0.0};
}

std::string json_line(const DesensitisedRecord& r) {
  telemetry::Record carrier;
  carrier.data = r.data;
  json::object o{{"vehicle", r.transfer_pseudonym},
                 {"time_bucket_ms", r.time_bucket_ms},
                 {"data", std::move(telemetry::to_json(carrier)["data"])}};
  return json::serialize(o) + "\n";
}

}  // namespace

Result<ExportedRecords> export_desensitised(const store::KvStore& store, std::shared_ptr<const privacy::RegionKeys> keys,
                                            const privacy::Coarsener& coarsener, const ExportSpec& spec,
                                            const ReadProgress& progress) {
  privacy::Pseudonymiser region_pseudonyms(keys);
  auto transfer_pseudonyms = region_pseudonyms.for_transfer(spec.transfer_id);
  if (!transfer_pseudonyms.is_ok()) return transfer_pseudonyms.status();
  telemetry::RecordCodec codec(std::move(keys));
  Status error;
  const auto ranges = scan_ranges(codec, spec, error);
  if (!error.is_ok()) return error;

  const std::unique_ptr<store::KvReader> snapshot = store.snapshot();
  uint64_t total = 0;
  Status s = for_each_selected(*snapshot, ranges, spec, [&total](std::string_view) {
    ++total;
    return Status::ok();
  });
  if (!s.is_ok()) return s;

  const telemetry::DesensitiseOptions options{coarsener, *transfer_pseudonyms, spec.fields};
  std::vector<DesensitisedRecord> kept;
  uint64_t done = 0;
  s = for_each_selected(*snapshot, ranges, spec, [&](std::string_view value) -> Status {
    auto record = codec.decode(value);
    if (!record.is_ok()) return record.status();
    auto d = telemetry::desensitise(*record, options);
    if (!d.is_ok()) return d.status();
    if (!d->data.empty()) kept.push_back(std::move(d).value());
    if (progress && (++done % 4096 == 0 || done == total)) progress(done, total);
    return Status::ok();
  });
  if (!s.is_ok()) return s;

  std::map<GroupKey, std::set<std::string>> group_vehicles;
  if (spec.min_group_size > 1) {
    for (const auto& r : kept) group_vehicles[group_of(r)].insert(r.transfer_pseudonym);
  }
  ExportedRecords out;
  std::set<std::string> vehicles;
  for (const auto& r : kept) {
    if (spec.min_group_size > 1 && group_vehicles[group_of(r)].size() < spec.min_group_size) {
      ++out.suppressed;
      continue;
    }
    out.jsonl += json_line(r);
    ++out.records;
    vehicles.insert(r.transfer_pseudonym);
  }
  out.vehicles = vehicles.size();
  if (progress && total == 0) progress(0, 0);
  return out;
}

}  // namespace fleetgate::transfer
