#include "fleetgate/telemetry/fcd_replay.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <queue>

#include "fleetgate/telemetry/validator.h"

namespace fleetgate::telemetry {
namespace {

constexpr double kMetresPerDegLat = 111'320.0;
constexpr double kPi = 3.14159265358979323846;
// Pedal travel is modelled as proportional to the acceleration it produces.
constexpr double kFullBrakeMps2 = 9.0;
constexpr double kFullThrottleMps2 = 3.5;

double wrap_360(double deg) {
  const double d = std::fmod(deg, 360.0);
  return d < 0 ? d + 360.0 : d;
}

double signed_delta_deg(double from, double to) {
  double d = std::fmod(to - from, 360.0);
  if (d <= -180) d += 360;
  if (d > 180) d -= 360;
  return d;
}

struct Trip {
  std::string id;
  double first_s = 0, last_s = 0;
};

}  // namespace

Result<FcdTrips> plan_fcd_trips(const std::filesystem::path& fcd, double min_trip_gap_s) {
  auto reader = FcdReader::open(fcd);
  if (!reader.is_ok()) return reader.status();
  std::map<std::string, Trip> trips;
  FcdTrips plan;
  for (;;) {
    auto s = (*reader)->next();
    if (!s.is_ok()) return s.status();
    if (!*s) break;
    const FcdSample& sample = **s;
    auto [it, fresh] = trips.try_emplace(sample.id, Trip{sample.id, sample.time_s, sample.time_s});
    it->second.first_s = std::min(it->second.first_s, sample.time_s);
    it->second.last_s = std::max(it->second.last_s, sample.time_s);
    plan.first_s = plan.samples == 0 ? sample.time_s : std::min(plan.first_s, sample.time_s);
    plan.last_s = plan.samples == 0 ? sample.time_s : std::max(plan.last_s, sample.time_s);
    ++plan.samples;
  }
  if (plan.samples == 0) return invalid_argument(fcd.string() + ": no vehicle samples");
  std::vector<Trip> ordered;
  for (auto& [id, t] : trips) ordered.push_back(std::move(t));
  std::stable_sort(ordered.begin(), ordered.end(), [](const Trip& a, const Trip& b) { return a.first_s < b.first_s; });
  // Min-heap of (time the slot is free again, slot).
  using Free = std::pair<double, size_t>;
  std::priority_queue<Free, std::vector<Free>, std::greater<>> free;
  for (const Trip& t : ordered) {
    size_t slot;
    if (!free.empty() && free.top().first + min_trip_gap_s <= t.first_s) {
      slot = free.top().second;
      free.pop();
    } else {
      slot = plan.slots++;
    }
    plan.slot_of[t.id] = slot;
    free.push({t.last_s, slot});
  }
  return plan;
}

Record FcdRecordMaker::make(const FcdSample& s, const std::string& vin, uint64_t seq) {
  const bool same_trip = previous_ && previous_->id == s.id && s.time_s > previous_->time_s;
  const double dt = same_trip ? s.time_s - previous_->time_s : 0;
  double accel = 0;
  if (s.acceleration_mps2) accel = *s.acceleration_mps2;
  else if (same_trip) accel = (s.speed_mps - previous_->speed_mps) / dt;
  accel = std::clamp(accel, -50.0, 50.0);
  const double heading = wrap_360(s.angle_deg);
  const double yaw = same_trip ? std::clamp(signed_delta_deg(previous_->angle_deg, s.angle_deg) / dt, -360.0, 360.0) : 0;

  double lat = s.y, lon = s.x;
  if (!projection_.geo) {
    lat = projection_.origin_lat + s.y / kMetresPerDegLat;
    lon = projection_.origin_lon + s.x / (kMetresPerDegLat * std::cos(projection_.origin_lat * kPi / 180.0));
  }
  Record r;
  r.vin = vin;
  r.seq = seq;
  r.created_at_ms = start_ms_ + std::llround(s.time_s * 1000);
  r.data = {
      {Field::kSpeed, std::clamp(s.speed_mps * 3.6, 0.0, 500.0)},
      {Field::kLocation, Location{std::clamp(lat, -90.0, 90.0), std::clamp(lon, -180.0, 180.0), heading}},
      {Field::kHeading, heading},
      {Field::kLongitudinalAcceleration, accel},
      {Field::kBrakePedal, std::clamp(-accel / kFullBrakeMps2 * 100, 0.0, 100.0)},
      {Field::kAcceleratorPedal, std::clamp(accel / kFullThrottleMps2 * 100, 0.0, 100.0)},
      {Field::kYawRate, yaw},
      {Field::kGear, std::string("D")},
  };
  previous_ = s;
  return r;
}

Result<FleetSimProgress> replay_fcd(const std::filesystem::path& fcd, const FcdReplayOptions& options,
                                    std::vector<SimCredential> credentials, FleetSimOptions fleet,
                                    const std::function<void(const FleetSimProgress&)>& on_progress) {
  auto plan = plan_fcd_trips(fcd, options.min_trip_gap_s);
  if (!plan.is_ok()) return plan.status();
  if (credentials.size() < plan->slots) {
    return failed_precondition(fcd.string() + " needs " + std::to_string(plan->slots) +
                               " vehicles on the road at once; only " + std::to_string(credentials.size()) +
                               " credentials were given");
  }
  auto opened = FcdReader::open(fcd);
  if (!opened.is_ok()) return opened.status();
  credentials.resize(plan->slots);
  const int64_t start_ms =
      options.start_ms != 0 ? options.start_ms : system_clock_ms() - std::llround(plan->last_s * 1000) - 1000;

  // The reader advances for whichever vehicle asks; samples of the others wait in their queues.
  struct Slot {
    FcdRecordMaker maker;
    std::deque<Record> queue;
    uint64_t seq = 0;
  };
  std::vector<Slot> slots(plan->slots, Slot{FcdRecordMaker(options.projection, start_ms), {}, 0});
  std::unique_ptr<FcdReader> reader = std::move(opened).value();
  Status error;
  bool exhausted = false;
  fleet.vehicles = credentials;
  fleet.records = [&](size_t vehicle, size_t max_records) {
    Slot& wanted = slots[vehicle];
    while (wanted.queue.size() < max_records && !exhausted) {
      auto s = reader->next();
      if (!s.is_ok() || !*s) {
        if (!s.is_ok()) error = s.status();
        exhausted = true;
        break;
      }
      auto planned = plan->slot_of.find((*s)->id);
      if (planned == plan->slot_of.end()) {
        error = failed_precondition(fcd.string() + " changed during the replay (new vehicle '" + (*s)->id + "')");
        exhausted = true;
        break;
      }
      const size_t slot = planned->second;
      Slot& owner = slots[slot];
      owner.queue.push_back(owner.maker.make(**s, credentials[slot].vin, ++owner.seq));
    }
    std::vector<Record> out;
    while (!wanted.queue.empty() && out.size() < max_records) {
      out.push_back(std::move(wanted.queue.front()));
      wanted.queue.pop_front();
    }
    return out;
  };
  auto progress = run_fleet(fleet, on_progress);
  if (!error.is_ok()) return error;
  return progress;
}

}  // namespace fleetgate::telemetry
