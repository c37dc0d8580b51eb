#include "fleetgate/learning/triggers.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace fleetgate::learning {

double heading_delta_deg(double from, double to) {
  double d = std::fmod(to - from, 360.0);
  if (d <= -180) d += 360;
  if (d > 180) d -= 360;
  return d;
}

double heading_rate_deg_s(const VehicleTrace& trace, size_t i) {
  if (i == 0) return 0;
  const TraceSample& a = trace.samples[i - 1];
  const TraceSample& b = trace.samples[i];
  return heading_delta_deg(a.heading_deg, b.heading_deg) / (static_cast<double>(b.t_ms - a.t_ms) / 1000.0);
}

std::vector<TriggerEvent> find_events(const VehicleTrace& trace, const config::LearningTriggers& g) {
  std::vector<TriggerEvent> events;
  bool braking = false, steering = false;
  // Stop-and-go state: when the vehicle was last below low, and whether it has since passed high.
  std::optional<int64_t> low_at;
  bool went_high = false;
  const int64_t window_ms = static_cast<int64_t>(g.stop_and_go_window_s) * 1000;
  for (size_t i = 0; i < trace.samples.size(); ++i) {
    const TraceSample& s = trace.samples[i];
    const bool brake_now = s.accel_mps2 <= -g.hard_brake_mps2;
    if (brake_now && !braking) events.push_back({kHardBrake, i, s.t_ms});
    braking = brake_now;

    const bool steer_now =
        s.speed_kmh > g.harsh_steering_min_kmh && std::abs(heading_rate_deg_s(trace, i)) >= g.harsh_steering_deg_s;
    if (steer_now && !steering) events.push_back({kHarshSteering, i, s.t_ms});
    steering = steer_now;

    if (s.speed_kmh < g.stop_and_go_low_kmh) {
      if (went_high && low_at && s.t_ms - *low_at <= window_ms) events.push_back({kStopAndGo, i, s.t_ms});
      low_at = s.t_ms;
      went_high = false;
    } else if (s.speed_kmh >= g.stop_and_go_high_kmh && low_at) {
      went_high = true;
    }
  }
  return events;
}

}  // namespace fleetgate::learning
