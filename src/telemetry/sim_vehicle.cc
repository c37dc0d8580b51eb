#include "fleetgate/telemetry/sim_vehicle.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "fleetgate/vehicle/vin.h"

namespace fleetgate::telemetry {
namespace {

constexpr double kEarthRadiusM = 6'371'000;
constexpr double kPi = 3.14159265358979323846;

double uniform(std::mt19937_64& rng, double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); }

}  // namespace

std::string sim_vin(uint32_t serial) {
  char vin[18];
  // 5YJ: a North-American WMI, so the check digit (position 9) is mandatory and computed here.
  std::snprintf(vin, sizeof vin, "5YJ3E1EA0PF%06u", serial % 1'000'000);
  vin[8] = *vehicle::check_digit(vin);
  return vin;
}

SimVehicle::SimVehicle(std::string vin, uint64_t seed, std::string_view region) : vin_(std::move(vin)), rng_(seed) {
  struct Area {
    std::string_view region;
    double lat, lon;
  };
  static constexpr Area kHomeAreas[] = {{"cn", 31.23, 121.47}, {"us", 37.77, -122.42}, {"eu", 48.14, 11.58}};
  const auto* home = std::find_if(std::begin(kHomeAreas), std::end(kHomeAreas), [&](const Area& a) { return a.region == region; });
  if (home != std::end(kHomeAreas)) {
    lat_ = home->lat + uniform(rng_, -0.2, 0.2);
    lon_ = home->lon + uniform(rng_, -0.2, 0.2);
  } else {
    lat_ = uniform(rng_, -55, 60);
    lon_ = uniform(rng_, -170, 170);
  }
  heading_ = uniform(rng_, 0, 360);
  soc_ = uniform(rng_, 40, 95);
  odometer_km_ = uniform(rng_, 100, 80'000);
  outside_c_ = uniform(rng_, -5, 30);
  phase_left_s_ = uniform(rng_, 0, 5);
}

void SimVehicle::next_phase() {
  switch (phase_) {
    case Phase::kParked:
      phase_ = Phase::kAccelerating;
      target_ms_ = uniform(rng_, 30, 130) / 3.6;
      break;
    case Phase::kAccelerating:
      phase_ = Phase::kCruising;
      phase_left_s_ = uniform(rng_, 10, 60);
      break;
    case Phase::kCruising:
      phase_ = Phase::kBraking;
      break;
    case Phase::kBraking:
      phase_ = Phase::kParked;
      phase_left_s_ = uniform(rng_, 5, 30);
      break;
  }
}

Record SimVehicle::step(int64_t dt_ms, int64_t now_ms) {
  const double dt = std::max<int64_t>(dt_ms, 1) / 1000.0;
  switch (phase_) {
    case Phase::kParked:
      accel_ = 0;
      if ((phase_left_s_ -= dt) <= 0) next_phase();
      break;
    case Phase::kAccelerating:
      accel_ = uniform(rng_, 1.5, 3.0);
      if (speed_ms_ + accel_ * dt >= target_ms_) {
        accel_ = (target_ms_ - speed_ms_) / dt;
        next_phase();
      }
      break;
    case Phase::kCruising:
      accel_ = uniform(rng_, -0.3, 0.3);
      if ((phase_left_s_ -= dt) <= 0) next_phase();
      break;
    case Phase::kBraking:
      accel_ = -uniform(rng_, 2.0, 4.0);
      if (speed_ms_ + accel_ * dt <= 0) {
        accel_ = -speed_ms_ / dt;
        next_phase();
      }
      break;
  }
  speed_ms_ = std::clamp(speed_ms_ + accel_ * dt, 0.0, 138.0);
  if (speed_ms_ > 1) heading_rate_ = std::clamp(heading_rate_ + uniform(rng_, -1, 1), -6.0, 6.0);
  else heading_rate_ = 0;
  heading_ = std::fmod(heading_ + heading_rate_ * dt + 360, 360);
  const double dist_m = speed_ms_ * dt;
  lat_ = std::clamp(lat_ + dist_m * std::cos(heading_ * kPi / 180) / kEarthRadiusM * 180 / kPi, -89.0, 89.0);
  const double lon_step = dist_m * std::sin(heading_ * kPi / 180) / (kEarthRadiusM * std::cos(lat_ * kPi / 180)) * 180 / kPi;
  lon_ = std::fmod(lon_ + lon_step + 540, 360) - 180;
  odometer_km_ += dist_m / 1000;
  soc_ = std::max(5.0, soc_ - dist_m / 1000 * 0.2);  // ~15 kWh/100 km on a 75 kWh pack

  Record r;
  r.vin = vin_;
  r.created_at_ms = now_ms;
  r.seq = ++seq_;
  const bool parked = phase_ == Phase::kParked && speed_ms_ == 0;
  r.data = {
      {Field::kSpeed, speed_ms_ * 3.6},
      {Field::kGear, std::string(parked ? "P" : "D")},
      {Field::kLocation, Location{lat_, lon_, heading_}},
      {Field::kHeading, heading_},
      {Field::kStateOfCharge, soc_},
      {Field::kOdometer, odometer_km_},
      {Field::kRangeEstimate, static_cast<int64_t>(soc_ * 4.5)},
      {Field::kAcceleratorPedal, std::clamp(accel_ > 0 ? accel_ * 25 : 0.0, 0.0, 100.0)},
      {Field::kBrakePedal, std::clamp(accel_ < 0 ? -accel_ * 20 : 0.0, 0.0, 100.0)},
      {Field::kLongitudinalAcceleration, std::clamp(accel_, -50.0, 50.0)},
      {Field::kYawRate, heading_rate_},
      {Field::kSteeringAngle, std::clamp(heading_rate_ * 15, -1080.0, 1080.0)},
      {Field::kChargingState, std::string("disconnected")},
      {Field::kOutsideTemperature, outside_c_},
  };
  return r;
}

}  // namespace fleetgate::telemetry
