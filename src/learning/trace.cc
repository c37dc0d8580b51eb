#include "fleetgate/learning/trace.h"

#include <algorithm>

#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::learning {
namespace {

using telemetry::Field;

struct Decoded {
  int64_t t_ms = 0;
  std::optional<double> speed_kmh, accel, heading;
  std::optional<telemetry::Location> location;
};

Decoded decode(const telemetry::Record& r) {
  Decoded d;
  d.t_ms = r.created_at_ms;
  for (const auto& datum : r.data) {
    switch (datum.field) {
      case Field::kSpeed:
        if (auto* v = std::get_if<double>(&datum.value)) d.speed_kmh = *v;
        break;
      case Field::kLongitudinalAcceleration:
        if (auto* v = std::get_if<double>(&datum.value)) d.accel = *v;
        break;
      case Field::kHeading:
        if (auto* v = std::get_if<double>(&datum.value)) d.heading = *v;
        break;
      case Field::kLocation:
        if (auto* v = std::get_if<telemetry::Location>(&datum.value)) d.location = *v;
        break;
      default:
        break;
    }
  }
  if (!d.heading && d.location && d.location->heading) d.heading = d.location->heading;
  return d;
}

}  // namespace

VehicleTrace trace_from_records(std::string vehicle, std::vector<telemetry::Record> records) {
  std::stable_sort(records.begin(), records.end(),
                   [](const auto& a, const auto& b) { return a.created_at_ms < b.created_at_ms; });
  VehicleTrace trace{std::move(vehicle), {}};
  trace.samples.reserve(records.size());
  for (const auto& r : records) {
    const Decoded d = decode(r);
    if (!d.speed_kmh) continue;
    if (!trace.samples.empty() && trace.samples.back().t_ms >= d.t_ms) continue;
    TraceSample s;
    s.t_ms = d.t_ms;
    s.speed_kmh = *d.speed_kmh;
    if (d.accel) {
      s.accel_mps2 = *d.accel;
    } else if (!trace.samples.empty()) {
      const TraceSample& prev = trace.samples.back();
      s.accel_mps2 = (s.speed_kmh - prev.speed_kmh) / 3.6 / (static_cast<double>(s.t_ms - prev.t_ms) / 1000.0);
    }
    if (d.heading) s.heading_deg = *d.heading;
    else if (!trace.samples.empty()) s.heading_deg = trace.samples.back().heading_deg;
    if (d.location) {
      s.lat = d.location->lat;
      s.lon = d.location->lon;
      s.has_location = true;
    }
    trace.samples.push_back(s);
  }
  return trace;
}

Result<std::vector<VehicleTrace>> read_region_traces(const store::KvReader& store, const telemetry::RecordCodec& codec) {
  std::vector<VehicleTrace> out;
  std::string pseudonym;
  std::vector<telemetry::Record> records;
  auto flush = [&] {
    if (!records.empty()) out.push_back(trace_from_records(pseudonym, std::move(records)));
    records.clear();
  };
  Status s = telemetry::scan_records(store, codec, {}, [&](telemetry::Record&& r) {
    if (r.pseudonym != pseudonym) {
      flush();
      pseudonym = r.pseudonym;
    }
    records.push_back(std::move(r));
    return true;
  });
  if (!s.is_ok()) return s;
  flush();
  return out;
}

}  // namespace fleetgate::learning
