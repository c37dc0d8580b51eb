// Curation triggers ([learning.triggers] in the config): driving events found in a vehicle trace.
//   hard_brake      acceleration at or below -hard_brake_mps2
//   harsh_steering  heading changing at least harsh_steering_deg_s while above harsh_steering_min_kmh
//   stop_and_go     speed below stop_and_go_low_kmh, up past stop_and_go_high_kmh and back below low,
//                   all within stop_and_go_window_s
// An event is reported once, at the first sample of its episode (hard_brake, harsh_steering) or
// where the speed falls back below low (stop_and_go).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/learning/trace.h"

namespace fleetgate::learning {

inline constexpr std::string_view kHardBrake = "hard_brake";
inline constexpr std::string_view kHarshSteering = "harsh_steering";
inline constexpr std::string_view kStopAndGo = "stop_and_go";
// The trigger name of examples sampled away from hard braking.
inline constexpr std::string_view kNegative = "negative";

struct TriggerEvent {
  std::string_view trigger;  // one of the names above
  size_t index = 0;          // sample of the trace where the event starts
  int64_t t_ms = 0;
  bool operator==(const TriggerEvent&) const = default;
};

// Signed heading change from `from` to `to` in degrees, in (-180, 180].
double heading_delta_deg(double from, double to);

// Heading change rate at sample `i` (deg/s, 0 for the first sample).
// REQUIRES: i < trace.samples.size().
double heading_rate_deg_s(const VehicleTrace& trace, size_t i);

// Every event of `trace`, ordered by time (ties: hard_brake, harsh_steering, stop_and_go).
std::vector<TriggerEvent> find_events(const VehicleTrace& trace, const config::LearningTriggers& triggers);

}  // namespace fleetgate::learning
