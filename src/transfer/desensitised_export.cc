#include "fleetgate/transfer/desensitised_export.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>
#include <set>
#include <tuple>

#include "fleetgate/core/json_text.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/telemetry/desensitise.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::transfer {
namespace {

namespace json = boost::json;
using telemetry::DesensitisedRecord;

// The record ranges of the selected vehicles (one each), or one over every vehicle of the region.
Result<std::vector<telemetry::RecordRange>> ranges_of(const telemetry::RecordCodec& codec, const ExportSpec& spec) {
  std::vector<telemetry::RecordRange> ranges;
  if (spec.vins.empty()) {
    ranges.push_back({"", spec.from_ms, spec.to_ms});
    return ranges;
  }
  std::set<std::string> seen;
  for (const auto& vin : spec.vins) {
    auto p = codec.pseudonym(vin);
    if (!p.is_ok()) return p.status();
    if (seen.insert(*p).second) ranges.push_back({std::move(p).value(), spec.from_ms, spec.to_ms});
  }
  return ranges;
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
  return json_text(o) + "\n";
}

}  // namespace

Result<ExportedRecords> export_desensitised(const store::KvReader& records, const telemetry::RecordCodec& codec,
                                            const privacy::Coarsener& coarsener, const ExportSpec& spec,
                                            const ReadProgress& progress) {
  privacy::Pseudonymiser region_pseudonyms(codec.keys());
  auto transfer_pseudonyms = region_pseudonyms.for_transfer(spec.transfer_id);
  if (!transfer_pseudonyms.is_ok()) return transfer_pseudonyms.status();
  const auto ranges = ranges_of(codec, spec);
  if (!ranges.is_ok()) return ranges.status();

  uint64_t total = 0;
  for (const auto& range : *ranges) {
    auto n = telemetry::count_records(records, range);
    if (!n.is_ok()) return n.status();
    total += *n;
  }

  const telemetry::DesensitiseOptions options{coarsener, *transfer_pseudonyms, spec.fields};
  std::vector<DesensitisedRecord> kept;
  std::map<std::string, std::string> individual_of;  // transfer pseudonym -> region pseudonym
  uint64_t done = 0;
  Status error;
  for (const auto& range : *ranges) {
    Status s = telemetry::scan_records(records, codec, range, [&](telemetry::Record&& record) {
      auto d = telemetry::desensitise(record, options);
      if (!d.is_ok()) {
        error = d.status();
        return false;
      }
      if (!d->data.empty()) {
        if (!individual_of.contains(d->transfer_pseudonym)) {
          auto p = region_pseudonyms.pseudonym(record.vin);
          if (!p.is_ok()) {
            error = p.status();
            return false;
          }
          individual_of.emplace(d->transfer_pseudonym, std::move(p).value());
        }
        kept.push_back(std::move(d).value());
      }
      if (progress && (++done % 4096 == 0 || done == total)) progress(done, total);
      return true;
    });
    if (!s.is_ok()) return s;
    if (!error.is_ok()) return error;
  }

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
  for (const auto& v : vehicles) out.individuals.push_back(individual_of.at(v));
  std::sort(out.individuals.begin(), out.individuals.end());
  if (progress && total == 0) progress(0, 0);
  return out;
}

}  // namespace fleetgate::transfer
