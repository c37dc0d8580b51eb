// Federated averaging (McMahan et al. 2017): the global model is the mean of the regions'
// models weighted by the number of training examples each region trained on.
#pragma once

#include <cstdint>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/model_weights.h"

namespace fleetgate::learning {

struct RegionUpdate {
  ModelWeights weights;  // the region's model after local training
  uint64_t samples = 0;  // training examples behind it
};

// sum_i samples_i * weights_i / sum_i samples_i, per parameter, accumulated in double.
// kInvalidArgument when `updates` is empty, every sample count is zero, or layouts differ.
Result<ModelWeights> federated_average(const std::vector<RegionUpdate>& updates);

}  // namespace fleetgate::learning
