#include "fleetgate/learning/model_weights.h"

#include <cmath>

namespace fleetgate::learning {

size_t ModelWeights::parameter_count() const {
  size_t n = 0;
  for (const Tensor& t : tensors) n += t.values.size();
  return n;
}

Status check_same_layout(const ModelWeights& a, const ModelWeights& b) {
  if (a.tensors.size() != b.tensors.size()) {
    return invalid_argument("models differ: " + std::to_string(a.tensors.size()) + " vs " +
                            std::to_string(b.tensors.size()) + " tensors");
  }
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const Tensor& x = a.tensors[i];
    const Tensor& y = b.tensors[i];
    if (x.name != y.name || x.shape != y.shape || x.values.size() != y.values.size()) {
      return invalid_argument("models differ at tensor " + std::to_string(i) + " ('" + x.name + "' vs '" + y.name + "')");
    }
  }
  return Status::ok();
}

double l2_distance(const ModelWeights& a, const ModelWeights& b) {
  double sum = 0;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const auto& x = a.tensors[i].values;
    const auto& y = b.tensors[i].values;
    for (size_t j = 0; j < x.size(); ++j) {
      const double d = static_cast<double>(x[j]) - y[j];
      sum += d * d;
    }
  }
  return std::sqrt(sum);
}

}  // namespace fleetgate::learning
