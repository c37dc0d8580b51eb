#include "fleetgate/learning/update_privacy.h"

#include <cmath>
#include <random>

namespace fleetgate::learning {

Result<ModelWeights> privatise_update(const ModelWeights& global, const ModelWeights& local, const DpOptions& dp,
                                      uint64_t seed) {
  if (!(dp.clip > 0) || !std::isfinite(dp.clip)) return invalid_argument("dp clip must be a positive number");
  if (!(dp.noise_multiplier >= 0) || !std::isfinite(dp.noise_multiplier)) {
    return invalid_argument("dp noise multiplier must be >= 0");
  }
  if (Status s = check_same_layout(global, local); !s.is_ok()) return s;

  const double norm = l2_distance(local, global);
  const double scale = norm > dp.clip ? dp.clip / norm : 1.0;
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, dp.noise_multiplier * dp.clip);
  ModelWeights out = global;
  for (size_t t = 0; t < out.tensors.size(); ++t) {
    auto& values = out.tensors[t].values;
    const auto& l = local.tensors[t].values;
    for (size_t j = 0; j < values.size(); ++j) {
      const double delta = (static_cast<double>(l[j]) - values[j]) * scale;
      const double noised = dp.noise_multiplier > 0 ? delta + noise(rng) : delta;
      values[j] = static_cast<float>(values[j] + noised);
    }
  }
  return out;
}

double gaussian_epsilon(double noise_multiplier, uint32_t rounds, double delta) {
  const double s2 = noise_multiplier * noise_multiplier;
  const double n = rounds;
  return n / (2 * s2) + std::sqrt(2 * n * std::log(1 / delta)) / noise_multiplier;
}

}  // namespace fleetgate::learning
