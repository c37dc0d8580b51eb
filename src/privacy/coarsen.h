// Location and time coarsening for desensitised data. Locations snap to the centre of a grid cell
// of `grid_degrees` (0.01° = 1.11 km north-south; east-west shrinks with cos(latitude)); the two
// rows of cells that touch a pole collapse to longitude 0, since their cells converge to a point.
// Longitude 180 is the same meridian as -180. Points inside a sensitive zone (a circle, great-circle
// distance on a 6371.0088 km sphere) are suppressed, as are non-finite ones: coarsening fails closed.
// Times floor to a bucket.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::privacy {

struct LatLon {
  double lat = 0;  // degrees, [-90, 90]
  double lon = 0;  // degrees, [-180, 180]
  bool operator==(const LatLon&) const = default;
};

struct SensitiveZone {
  std::string name;  // for operators, e.g. "depot-7"
  LatLon centre;
  double radius_m = 0;  // > 0
};

struct CoarsenOptions {
  double grid_degrees = 0.01;  // cell edge; must divide 180 into a whole number of cells, at most 90
  std::vector<SensitiveZone> zones;
  std::chrono::milliseconds time_bucket = std::chrono::minutes(15);  // > 0; e.g. 1 min or 15 min
};

// Great-circle (haversine) distance in metres.
double distance_m(LatLon a, LatLon b);

class Coarsener {
 public:
  // kInvalidArgument naming the bad option (grid, zone index, bucket).
  static Result<Coarsener> create(CoarsenOptions options);

  // The snapped location, or nullopt when `p` lies in a sensitive zone or is not finite.
  std::optional<LatLon> coarsen(LatLon p) const;
  // The centre of `p`'s grid cell. REQUIRES: finite lat in [-90, 90], lon in [-180, 180].
  LatLon snap(LatLon p) const;
  // True when `p` lies within any zone's radius (the boundary counts as inside).
  bool in_sensitive_zone(LatLon p) const;
  // The start of the bucket holding `unix_ms` (floor, also for times before 1970).
  int64_t bucket_time(int64_t unix_ms) const;

  const CoarsenOptions& options() const { return options_; }

 private:
  Coarsener(CoarsenOptions options, int64_t lat_cells) : options_(std::move(options)), lat_cells_(lat_cells) {}

  CoarsenOptions options_;
  int64_t lat_cells_;  // 180 / grid_degrees
};

}  // namespace fleetgate::privacy
