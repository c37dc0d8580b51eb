#include "fleetgate/learning/fedavg.h"

namespace fleetgate::learning {

Result<ModelWeights> federated_average(const std::vector<RegionUpdate>& updates) {
  if (updates.empty()) return invalid_argument("federated average of no models");
  uint64_t total = 0;
  for (const RegionUpdate& u : updates) {
    if (Status s = check_same_layout(updates.front().weights, u.weights); !s.is_ok()) return s;
    total += u.samples;
  }
  if (total == 0) return invalid_argument("federated average: no region trained on any example");

  ModelWeights out = updates.front().weights;
  for (size_t t = 0; t < out.tensors.size(); ++t) {
    std::vector<double> acc(out.tensors[t].values.size(), 0.0);
    for (const RegionUpdate& u : updates) {
      const double w = static_cast<double>(u.samples);
      const auto& values = u.weights.tensors[t].values;
      for (size_t j = 0; j < acc.size(); ++j) acc[j] += w * values[j];
    }
    for (size_t j = 0; j < acc.size(); ++j) out.tensors[t].values[j] = static_cast<float>(acc[j] / static_cast<double>(total));
  }
  return out;
}

}  // namespace fleetgate::learning
