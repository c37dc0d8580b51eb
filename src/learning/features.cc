#include "fleetgate/learning/features.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include "fleetgate/learning/triggers.h"

namespace fleetgate::learning {
namespace {

constexpr double kMetresPerDegLat = 111'320.0;
constexpr double kPi = 3.14159265358979323846;

int64_t floor_div(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0); }

// Index of the latest sample at or before `t`, if any.
std::optional<size_t> sample_at(const VehicleTrace& trace, int64_t t) {
  auto it = std::upper_bound(trace.samples.begin(), trace.samples.end(), t,
                             [](int64_t v, const TraceSample& s) { return v < s.t_ms; });
  if (it == trace.samples.begin()) return std::nullopt;
  return static_cast<size_t>(std::distance(trace.samples.begin(), it) - 1);
}

}  // namespace

size_t NeighbourIndex::CellHash::operator()(const Cell& c) const {
  size_t h = std::hash<int64_t>{}(c.step);
  h ^= std::hash<int64_t>{}(c.cx) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  h ^= std::hash<int64_t>{}(c.cy) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h;
}

NeighbourIndex::NeighbourIndex(const std::vector<VehicleTrace>& traces, const FeatureOptions& options)
    : options_(options) {
  // The origin is the first located sample; an equirectangular projection around it is exact
  // enough at neighbourhood distances.
  for (const auto& t : traces) {
    auto first = std::find_if(t.samples.begin(), t.samples.end(), [](const TraceSample& s) { return s.has_location; });
    if (first != t.samples.end()) {
      origin_lat_ = first->lat;
      origin_lon_ = first->lon;
      break;
    }
  }
  metres_per_deg_lon_ = kMetresPerDegLat * std::cos(origin_lat_ * kPi / 180.0);
  for (size_t i = 0; i < traces.size(); ++i) {
    for (const TraceSample& s : traces[i].samples) {
      if (!s.has_location) continue;
      double x, y;
      to_xy(s.lat, s.lon, x, y);
      cells_[cell_of(floor_div(s.t_ms, options_.step_ms), x, y)].push_back({i, x, y, s.speed_kmh});
    }
  }
}

void NeighbourIndex::to_xy(double lat, double lon, double& x, double& y) const {
  x = (lon - origin_lon_) * metres_per_deg_lon_;
  y = (lat - origin_lat_) * kMetresPerDegLat;
}

NeighbourIndex::Cell NeighbourIndex::cell_of(int64_t step, double x, double y) const {
  return {step, static_cast<int64_t>(std::floor(x / options_.radius_m)),
          static_cast<int64_t>(std::floor(y / options_.radius_m))};
}

NeighbourIndex::Neighbourhood NeighbourIndex::around(size_t self, int64_t step, double lat, double lon) const {
  double x, y;
  to_xy(lat, lon, x, y);
  const Cell centre = cell_of(step, x, y);
  Neighbourhood n{0, 0, options_.radius_m};
  double speed_sum = 0;
  for (int64_t dx = -1; dx <= 1; ++dx) {
    for (int64_t dy = -1; dy <= 1; ++dy) {
      auto it = cells_.find({step, centre.cx + dx, centre.cy + dy});
      if (it == cells_.end()) continue;
      for (const Entry& e : it->second) {
        if (e.trace == self) continue;
        const double d = std::hypot(e.x - x, e.y - y);
        if (d > options_.radius_m) continue;
        ++n.count;
        speed_sum += e.speed_kmh;
        n.nearest_m = std::min(n.nearest_m, d);
      }
    }
  }
  if (n.count > 0) n.mean_speed_kmh = speed_sum / n.count;
  return n;
}

std::optional<std::vector<float>> window_features(const std::vector<VehicleTrace>& traces, size_t index,
                                                  int64_t t_end, const NeighbourIndex& neighbours,
                                                  const FeatureOptions& options) {
  const VehicleTrace& trace = traces[index];
  std::vector<float> out;
  out.reserve(static_cast<size_t>(options.window_steps) * kStepFeatureNames.size());
  for (int k = options.window_steps - 1; k >= 0; --k) {
    const int64_t t = t_end - static_cast<int64_t>(k) * options.step_ms;
    const auto i = sample_at(trace, t);
    if (!i || t - trace.samples[*i].t_ms > options.max_gap_ms) return std::nullopt;
    const TraceSample& s = trace.samples[*i];
    NeighbourIndex::Neighbourhood n{0, 0, options.radius_m};
    if (s.has_location) n = neighbours.around(index, floor_div(t, options.step_ms), s.lat, s.lon);
    out.push_back(static_cast<float>(s.speed_kmh));
    out.push_back(static_cast<float>(s.accel_mps2));
    out.push_back(static_cast<float>(heading_rate_deg_s(trace, *i)));
    out.push_back(static_cast<float>(n.count));
    out.push_back(static_cast<float>(n.mean_speed_kmh));
    out.push_back(static_cast<float>(n.nearest_m));
  }
  return out;
}

}  // namespace fleetgate::learning
