// The architecture of the braking model and its parameters as plain named float tensors,
// independent of the training library, so averaging, clipping and serialisation need no Torch.
// Tensors keep the model's order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::learning {

// An MLP over the flattened window: window_steps * step_dim inputs -> hidden (ReLU) -> hidden
// (ReLU) -> one logit of "hard braking follows".
struct ModelSpec {
  int window_steps = 0;
  int step_dim = 0;
  int hidden = 32;
  int input_dim() const { return window_steps * step_dim; }
  bool operator==(const ModelSpec&) const = default;
};

struct Tensor {
  std::string name;            // e.g. "hidden.weight"
  std::vector<int64_t> shape;  // product == values.size()
  std::vector<float> values;   // row-major
  bool operator==(const Tensor&) const = default;
};

struct ModelWeights {
  std::vector<Tensor> tensors;
  size_t parameter_count() const;
  bool operator==(const ModelWeights&) const = default;
};

// OK when `a` and `b` hold the same tensor names and shapes in the same order;
// kInvalidArgument naming the first difference otherwise.
Status check_same_layout(const ModelWeights& a, const ModelWeights& b);

// Euclidean norm of (a - b) over every parameter. REQUIRES: check_same_layout(a, b) is OK.
double l2_distance(const ModelWeights& a, const ModelWeights& b);

}  // namespace fleetgate::learning
