// Window features for curation. A window is window_steps time steps of step_ms ending at t_end;
// each step takes the vehicle's latest sample at or before the step time (no older than
// max_gap_ms) and yields kStepFeatureNames in order: own speed, acceleration and heading rate,
// and the neighbourhood at that step (other vehicles within radius_m: how many, their mean speed,
// the nearest one's distance, radius_m when none).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fleetgate/learning/trace.h"

namespace fleetgate::learning {

inline constexpr std::array<std::string_view, 6> kStepFeatureNames = {
    "speed_kmh", "accel_mps2", "heading_rate_deg_s", "neighbours", "neighbour_mean_speed_kmh", "nearest_neighbour_m"};

struct FeatureOptions {
  int window_steps = 5;
  int64_t step_ms = 1000;
  int64_t max_gap_ms = 3000;  // a step with no sample this recent makes the window unusable
  double radius_m = 100;      // neighbourhood radius
};

// Where every vehicle was at every step: positions bucketed by step (t_ms / step_ms) and by a
// grid of radius-sized cells, so a neighbourhood query reads nine cells of one step.
class NeighbourIndex {
 public:
  // REQUIRES: `traces` outlive the index.
  NeighbourIndex(const std::vector<VehicleTrace>& traces, const FeatureOptions& options);

  struct Neighbourhood {
    int count = 0;
    double mean_speed_kmh = 0;
    double nearest_m = 0;  // radius when count is 0
  };
  // Other vehicles than trace `self` within the radius of (lat, lon) during `step`.
  Neighbourhood around(size_t self, int64_t step, double lat, double lon) const;

 private:
  struct Entry {
    size_t trace;
    double x, y;  // metres east and north of the index origin
    double speed_kmh;
  };
  struct Cell {
    int64_t step, cx, cy;
    bool operator==(const Cell&) const = default;
  };
  struct CellHash {
    size_t operator()(const Cell& c) const;
  };
  Cell cell_of(int64_t step, double x, double y) const;
  void to_xy(double lat, double lon, double& x, double& y) const;

  FeatureOptions options_;
  double origin_lat_ = 0, origin_lon_ = 0, metres_per_deg_lon_ = 0;
  std::unordered_map<Cell, std::vector<Entry>, CellHash> cells_;
};

// The window of trace `index` ending at t_end, flattened row-major (window_steps rows of
// kStepFeatureNames.size() values); nullopt when a step has no recent enough sample.
std::optional<std::vector<float>> window_features(const std::vector<VehicleTrace>& traces, size_t index,
                                                  int64_t t_end, const NeighbourIndex& neighbours,
                                                  const FeatureOptions& options);

}  // namespace fleetgate::learning
