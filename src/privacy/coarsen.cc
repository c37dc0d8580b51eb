#include "fleetgate/privacy/coarsen.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace fleetgate::privacy {
namespace {

constexpr double kEarthRadiusM = 6371008.8;  // IUGG mean radius

double radians(double deg) { return deg * std::numbers::pi / 180.0; }

bool valid_point(LatLon p) {
  return std::isfinite(p.lat) && std::isfinite(p.lon) && p.lat >= -90 && p.lat <= 90 && p.lon >= -180 && p.lon <= 180;
}

// Index of the cell of width `step` holding `v` measured from `origin`, clamped to [0, cells).
int64_t cell_index(double v, double origin, double step, int64_t cells) {
  auto i = static_cast<int64_t>(std::floor((v - origin) / step));
  return std::clamp<int64_t>(i, 0, cells - 1);
}

// The centre of cell `index` of a grid of `lat_cells` rows (cells 180/lat_cells degrees wide)
// whose cell 0 starts `origin_half_cells` half cells below zero. One division of whole numbers
// gives the double nearest the decimal centre: 121.475, where -180 + 30147.5 * 0.01 is
// 121.47500000000002 and exports would show it.
double cell_centre(int64_t index, int64_t origin_half_cells, int64_t lat_cells) {
  return 90.0 * static_cast<double>(2 * index + 1 - origin_half_cells) / static_cast<double>(lat_cells);
}

}  // namespace

double distance_m(LatLon a, LatLon b) {
  const double dlat = radians(b.lat - a.lat);
  const double dlon = radians(b.lon - a.lon);
  const double h = std::sin(dlat / 2) * std::sin(dlat / 2) +
                   std::cos(radians(a.lat)) * std::cos(radians(b.lat)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusM * std::asin(std::sqrt(std::min(1.0, h)));
}

Result<Coarsener> Coarsener::create(CoarsenOptions options) {
  const double g = options.grid_degrees;
  if (!std::isfinite(g) || g <= 0 || g > 90) return invalid_argument("grid_degrees must be in (0, 90], got " + std::to_string(g));
  const double cells = 180.0 / g;
  const double whole = std::round(cells);
  if (std::abs(cells - whole) > 1e-6 * whole) {
    return invalid_argument("grid_degrees " + std::to_string(g) + " does not divide 180 into whole cells");
  }
  for (size_t i = 0; i < options.zones.size(); ++i) {
    const SensitiveZone& z = options.zones[i];
    if (!valid_point(z.centre) || !std::isfinite(z.radius_m) || z.radius_m <= 0) {
      return invalid_argument("zones[" + std::to_string(i) + "] ('" + z.name +
                              "'): centre must be a valid lat/lon and radius_m a positive number");
    }
  }
  if (options.time_bucket.count() <= 0) return invalid_argument("time_bucket must be positive");
  return Coarsener(std::move(options), static_cast<int64_t>(whole));
}

LatLon Coarsener::snap(LatLon p) const {
  const double step = 180.0 / static_cast<double>(lat_cells_);
  const int64_t row = cell_index(p.lat, -90, step, lat_cells_);
  const double lat = cell_centre(row, lat_cells_, lat_cells_);
  if (row == 0 || row == lat_cells_ - 1) return {lat, 0};
  const double lon_in_range = p.lon >= 180 ? p.lon - 360 : p.lon;  // 180 and -180 are one meridian
  const int64_t col = cell_index(lon_in_range, -180, step, 2 * lat_cells_);
  return {lat, cell_centre(col, 2 * lat_cells_, lat_cells_)};
}

bool Coarsener::in_sensitive_zone(LatLon p) const {
  return std::any_of(options_.zones.begin(), options_.zones.end(),
                     [&](const SensitiveZone& z) { return distance_m(p, z.centre) <= z.radius_m; });
}

std::optional<LatLon> Coarsener::coarsen(LatLon p) const {
  if (!valid_point(p) || in_sensitive_zone(p)) return std::nullopt;
  return snap(p);
}

int64_t Coarsener::bucket_time(int64_t unix_ms) const {
  const int64_t bucket = options_.time_bucket.count();
  int64_t rem = unix_ms % bucket;
  if (rem < 0) rem += bucket;
  return unix_ms - rem;
}

}  // namespace fleetgate::privacy
