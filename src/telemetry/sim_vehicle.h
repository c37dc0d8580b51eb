// A simulated vehicle for `fleetgate sim`: a plausible drive cycle (stand still in P, pull away,
// accelerate to a cruise speed, cruise with small variations, brake to a stop, repeat) moving
// along a slowly changing heading, with pedals, acceleration, steering, odometer and a state of
// charge that falls with distance. It starts in its home region's area (see the constructor), so
// simulated cars drive where their region is. Deterministic for a seed; every record passes
// Validator.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

class SimVehicle {
 public:
  // `region`: the car's home region. Cars of the shipped config's regions start within about 25 km
  // of a city there (cn: Shanghai, us: San Francisco, eu: Munich); of any other region, or of
  // none (""), anywhere on Earth.
  SimVehicle(std::string vin, uint64_t seed, std::string_view region = "");

  // Advances the model by `dt_ms` and returns the record for the new state, stamped `now_ms`
  // with the next sequence number (1, 2, …).
  Record step(int64_t dt_ms, int64_t now_ms);

  const std::string& vin() const { return vin_; }
  double speed_kmh() const { return speed_ms_ * 3.6; }

 private:
  enum class Phase { kParked, kAccelerating, kCruising, kBraking };
  void next_phase();

  std::string vin_;
  std::mt19937_64 rng_;
  Phase phase_ = Phase::kParked;
  double phase_left_s_ = 0;   // parked / cruising time remaining
  double target_ms_ = 0;      // cruise speed, m/s
  double accel_ = 0;          // m/s², this step
  double speed_ms_ = 0;
  double lat_, lon_, heading_;
  double heading_rate_ = 0;   // deg/s
  double soc_;                // %
  double odometer_km_;
  double outside_c_;
  uint64_t seq_ = 0;
};

// A VIN that passes vehicle::validate (North-American WMI with a correct check digit), unique
// per `serial` (0 … 999999).
std::string sim_vin(uint32_t serial);

}  // namespace fleetgate::telemetry
