// For tests: hand-made traces sampled once a second from speed and heading profiles, with the
// acceleration from speed differences and the position moving along the heading.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include "fleetgate/learning/trace.h"

namespace fleetgate::learning {

inline constexpr int64_t kTraceStart = 1'700'000'000'000;

inline VehicleTrace make_trace(std::string vehicle, const std::vector<double>& speeds_kmh,
                               std::vector<double> headings = {}, double lat = 48.0, double lon = 11.0) {
  VehicleTrace t{std::move(vehicle), {}};
  headings.resize(speeds_kmh.size(), headings.empty() ? 90.0 : headings.back());
  for (size_t i = 0; i < speeds_kmh.size(); ++i) {
    TraceSample s;
    s.t_ms = kTraceStart + static_cast<int64_t>(i) * 1000;
    s.speed_kmh = speeds_kmh[i];
    s.accel_mps2 = i == 0 ? 0 : (speeds_kmh[i] - speeds_kmh[i - 1]) / 3.6;
    s.heading_deg = headings[i];
    const double rad = headings[i] * 3.14159265358979323846 / 180;
    const double metres = speeds_kmh[i] / 3.6;
    lat += metres * std::cos(rad) / 111'320.0;
    lon += metres * std::sin(rad) / (111'320.0 * std::cos(lat * 3.14159265358979323846 / 180));
    s.lat = lat;
    s.lon = lon;
    s.has_location = true;
    t.samples.push_back(s);
  }
  return t;
}

}  // namespace fleetgate::learning
