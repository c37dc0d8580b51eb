// For tests: a small dataset with a learnable signal. Features are standard normal; the label
// is 1 when a fixed linear score of the last time step (plus label noise) is high, ~30% positives.
// `local_rule` adds that multiple of the last step's "accel" to the score: datasets with different
// values share most of their rule, not all of it (non-IID regions).
#pragma once

#include <random>
#include <string>

#include "fleetgate/learning/dataset.h"

namespace fleetgate::learning {

inline Dataset synthetic_dataset(std::string region, int train, int test, uint64_t seed, double label_noise = 0.3,
                                 double local_rule = 0) {
  Dataset d;
  d.region = std::move(region);
  d.version = "v1";
  d.window_steps = 4;
  d.step_dim = 3;
  d.feature_names = {"speed", "accel", "gap"};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0, 1);
  auto make = [&](int n, std::vector<Example>& out, const std::string& prefix) {
    for (int i = 0; i < n; ++i) {
      Example e;
      for (int k = 0; k < d.window_steps * d.step_dim; ++k) e.features.push_back(normal(rng) * 2 + 10);
      const float* last = e.features.data() + (d.window_steps - 1) * d.step_dim;
      const double score =
          0.8 * (last[0] - 10) - 0.6 * (last[2] - 10) + local_rule * (last[1] - 10) + label_noise * 2 * normal(rng);
      e.label = score > 1.0 ? 1 : 0;
      e.vehicle = prefix + std::to_string(i % 7);
      e.t_ms = 1000 * i;
      e.trigger = e.label > 0 ? "hard_brake" : "negative";
      ++d.counts_per_trigger[e.trigger];
      out.push_back(std::move(e));
    }
  };
  make(train, d.train, d.region + "-train-");
  make(test, d.test, d.region + "-test-");
  return d;
}

}  // namespace fleetgate::learning
