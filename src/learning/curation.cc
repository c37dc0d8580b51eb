#include "fleetgate/learning/curation.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <tuple>

#include "fleetgate/learning/features.h"
#include "fleetgate/learning/triggers.h"

namespace fleetgate::learning {
namespace {

// Hard-braking onsets of one trace, sorted, for labels.
class BrakeOnsets {
 public:
  BrakeOnsets(const std::vector<TriggerEvent>& events) {
    for (const auto& e : events) {
      if (e.trigger == kHardBrake) t_.push_back(e.t_ms);
    }
  }
  // Whether an onset lies in (t, t + horizon_ms].
  bool within(int64_t t, int64_t horizon_ms) const {
    auto it = std::upper_bound(t_.begin(), t_.end(), t);
    return it != t_.end() && *it <= t + horizon_ms;
  }

 private:
  std::vector<int64_t> t_;
};

Status check(const CurationOptions& o) {
  if (!(o.window_s > 0) || !(o.horizon_s > 0) || o.step_ms <= 0) {
    return invalid_argument("window, horizon and step must be positive");
  }
  if (o.window_s * 1000 / static_cast<double>(o.step_ms) > 3600) return invalid_argument("window has more than 3600 steps");
  if (!(o.negatives_per_positive >= 0) || o.negatives_per_positive > 1000) {
    return invalid_argument("negatives per positive must be between 0 and 1000");
  }
  if (!(o.test_fraction >= 0 && o.test_fraction < 1)) return invalid_argument("test fraction must be in [0, 1)");
  if (o.max_gap_ms < o.step_ms) return invalid_argument("max gap must be at least one step");
  return Status::ok();
}

// The traces ordered by what they hold (first sample's time, position and speed, then length),
// the pseudonym only breaking ties between identical traces. Pseudonyms come from a per-region
// key, so ordering by them would give another dataset from the same traffic in every data dir.
std::vector<VehicleTrace> in_content_order(std::vector<VehicleTrace> traces) {
  auto key = [](const VehicleTrace& t) {
    const TraceSample none{};
    const TraceSample& first = t.samples.empty() ? none : t.samples.front();
    return std::make_tuple(!t.samples.empty(), first.t_ms, first.lat, first.lon, first.speed_kmh, t.samples.size(),
                           t.samples.empty() ? 0 : t.samples.back().t_ms, std::cref(t.vehicle));
  };
  std::sort(traces.begin(), traces.end(), [&](const VehicleTrace& a, const VehicleTrace& b) { return key(a) < key(b); });
  return traces;
}

}  // namespace

Result<Dataset> curate(std::string region, const std::vector<VehicleTrace>& unordered, const CurationOptions& o) {
  if (Status s = check(o); !s.is_ok()) return s;
  const std::vector<VehicleTrace> traces = in_content_order(unordered);
  FeatureOptions fo;
  fo.window_steps = std::max(1, static_cast<int>(std::lround(o.window_s * 1000 / static_cast<double>(o.step_ms))));
  fo.step_ms = o.step_ms;
  fo.max_gap_ms = o.max_gap_ms;
  fo.radius_m = o.triggers.neighbour_radius_m;
  const int64_t horizon_ms = std::llround(o.horizon_s * 1000);
  const int64_t horizon_steps = std::max<int64_t>(1, horizon_ms / o.step_ms);

  const NeighbourIndex neighbours(traces, fo);
  std::mt19937_64 rng(o.seed);
  std::vector<BrakeOnsets> onsets;
  std::set<std::pair<size_t, int64_t>> taken;
  std::vector<std::pair<size_t, Example>> examples;  // (trace, example)
  auto add = [&](size_t trace, int64_t t_end, std::string_view trigger) {
    if (taken.count({trace, t_end}) != 0) return false;
    auto features = window_features(traces, trace, t_end, neighbours, fo);
    if (!features) return false;
    taken.insert({trace, t_end});
    Example e;
    e.features = std::move(*features);
    e.label = onsets[trace].within(t_end, horizon_ms) ? 1.0f : 0.0f;
    e.vehicle = traces[trace].vehicle;
    e.t_ms = t_end;
    e.trigger = std::string(trigger);
    examples.emplace_back(trace, std::move(e));
    return true;
  };

  std::vector<std::vector<TriggerEvent>> events;
  for (const auto& t : traces) {
    events.push_back(find_events(t, o.triggers));
    onsets.emplace_back(events.back());
  }
  std::uniform_int_distribution<int64_t> lead(1, horizon_steps);
  for (size_t i = 0; i < traces.size(); ++i) {
    for (const TriggerEvent& e : events[i]) add(i, e.t_ms - lead(rng) * o.step_ms, e.trigger);
  }
  const auto positives = std::count_if(examples.begin(), examples.end(), [](const auto& p) { return p.second.label > 0; });
  if (positives == 0) {
    return failed_precondition("no hard braking (deceleration of at least " + std::to_string(o.triggers.hard_brake_mps2) +
                               " m/s²) with enough history in " + std::to_string(traces.size()) + " vehicles' telemetry");
  }

  // Negatives: windows ending at a random sample of any vehicle, no hard braking in the horizon.
  std::vector<size_t> ends;  // cumulative sample counts, to draw a sample uniformly
  size_t total = 0;
  for (const auto& t : traces) ends.push_back(total += t.samples.size());
  const auto wanted = static_cast<int64_t>(std::llround(o.negatives_per_positive * static_cast<double>(positives)));
  std::uniform_int_distribution<size_t> pick(0, total - 1);
  int64_t negatives = 0;
  for (int64_t attempt = 0; negatives < wanted && attempt < 50 * wanted + 1000; ++attempt) {
    const size_t g = pick(rng);
    const size_t trace = static_cast<size_t>(std::upper_bound(ends.begin(), ends.end(), g) - ends.begin());
    const size_t sample = g - (trace == 0 ? 0 : ends[trace - 1]);
    const int64_t t_end = traces[trace].samples[sample].t_ms;
    if (onsets[trace].within(t_end, horizon_ms)) continue;
    if (add(trace, t_end, kNegative)) ++negatives;
  }

  // Held-out vehicles: shuffle the vehicles that have examples, the first share goes to test.
  std::vector<size_t> vehicles;
  for (const auto& [trace, e] : examples) vehicles.push_back(trace);
  std::sort(vehicles.begin(), vehicles.end());
  vehicles.erase(std::unique(vehicles.begin(), vehicles.end()), vehicles.end());
  std::shuffle(vehicles.begin(), vehicles.end(), rng);
  size_t n_test = 0;
  if (vehicles.size() >= 2) {
    n_test = std::clamp<size_t>(static_cast<size_t>(std::lround(o.test_fraction * static_cast<double>(vehicles.size()))),
                                o.test_fraction > 0 ? 1 : 0, vehicles.size() - 1);
  }
  const std::set<size_t> test_vehicles(vehicles.begin(), vehicles.begin() + static_cast<std::ptrdiff_t>(n_test));

  Dataset d;
  d.region = std::move(region);
  d.version = o.version;
  d.window_steps = fo.window_steps;
  d.step_dim = static_cast<int>(kStepFeatureNames.size());
  for (auto name : kStepFeatureNames) d.feature_names.emplace_back(name);
  for (auto& [trace, e] : examples) {
    ++d.counts_per_trigger[e.trigger];
    (test_vehicles.count(trace) != 0 ? d.test : d.train).push_back(std::move(e));
  }
  return d;
}

}  // namespace fleetgate::learning
