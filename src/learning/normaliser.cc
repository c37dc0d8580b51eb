#include "fleetgate/learning/normaliser.h"

#include <cassert>
#include <cmath>

namespace fleetgate::learning {

Result<Normaliser> Normaliser::fit(const std::vector<Example>& train, int step_dim) {
  if (train.empty()) return invalid_argument("cannot fit a normaliser on an empty training split");
  if (step_dim < 1) return invalid_argument("step_dim must be >= 1");
  const auto dim = static_cast<size_t>(step_dim);
  std::vector<double> sum(dim, 0.0), sum_sq(dim, 0.0);
  size_t rows = 0;
  for (const Example& e : train) {
    for (size_t i = 0; i + dim <= e.features.size(); i += dim, ++rows) {
      for (size_t c = 0; c < dim; ++c) {
        const double v = e.features[i + c];
        sum[c] += v;
        sum_sq[c] += v * v;
      }
    }
  }
  if (rows == 0) return invalid_argument("training examples hold no complete time step");
  Normaliser n;
  for (size_t c = 0; c < dim; ++c) {
    const double mean = sum[c] / static_cast<double>(rows);
    const double var = std::max(0.0, sum_sq[c] / static_cast<double>(rows) - mean * mean);
    const double sd = std::sqrt(var);
    n.mean.push_back(static_cast<float>(mean));
    n.stddev.push_back(sd > 1e-6 ? static_cast<float>(sd) : 1.0f);
  }
  return n;
}

void Normaliser::apply(std::vector<float>& features) const {
  const size_t dim = mean.size();
  assert(dim > 0 && features.size() % dim == 0);
  for (size_t i = 0; i < features.size(); ++i) {
    const size_t c = i % dim;
    features[i] = (features[i] - mean[c]) / stddev[c];
  }
}

}  // namespace fleetgate::learning
