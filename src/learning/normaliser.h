// Feature standardisation fitted on a training split only: per column of a time step (shared by
// every step of the window), value -> (value - mean) / stddev.
#pragma once

#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/dataset.h"

namespace fleetgate::learning {

struct Normaliser {
  std::vector<float> mean;    // one per step column
  std::vector<float> stddev;  // one per step column; columns without spread get 1
  bool operator==(const Normaliser&) const = default;

  // Fits mean and population stddev over every step of every example of `train`.
  // kInvalidArgument when `train` is empty or step_dim < 1.
  static Result<Normaliser> fit(const std::vector<Example>& train, int step_dim);

  // Standardises `features` (window_steps * step_dim values, row-major) in place.
  // REQUIRES: features.size() is a multiple of mean.size().
  void apply(std::vector<float>& features) const;
};

}  // namespace fleetgate::learning
