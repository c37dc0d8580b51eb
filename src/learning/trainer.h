// The Torch-backed half of learning: building the braking model of a ModelSpec, training it on
// CPU and predicting with it. Nothing here exposes Torch types; weights travel as ModelWeights.
// Runs single-threaded (at::set_num_threads(1)) so a seed fixes every result bit for bit.
// The first call loads the Torch module (torch_module.h); kUnavailable when it cannot.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/model_weights.h"
#include "fleetgate/learning/normaliser.h"

namespace fleetgate::learning {

struct TrainOptions {
  uint32_t epochs = 30;         // passes over the training split
  uint32_t batch_size = 64;     // examples per Adam step
  double learning_rate = 3e-3;  // Adam step size
  uint64_t seed = 1;            // fixes initial weights (initial_weights) and batch order
};

// Called after each epoch with (epoch, epochs, mean training loss of that epoch); may be empty.
using EpochProgress = std::function<void(uint32_t epoch, uint32_t epochs, double loss)>;

// Fresh parameters of `spec` drawn from Torch's default initialisers under `seed`.
// kInvalidArgument for a spec with a non-positive dimension.
Result<ModelWeights> initial_weights(const ModelSpec& spec, uint64_t seed);

// Trains a copy of `init` on `train` (standardised by `normaliser`) with binary cross-entropy
// and Adam; returns the trained parameters. kInvalidArgument when `init` does not fit `spec`,
// `train` is empty, or an example's feature count is not spec.input_dim().
Result<ModelWeights> train_model(const ModelSpec& spec, const ModelWeights& init, const std::vector<Example>& train,
                                 const Normaliser& normaliser, const TrainOptions& options,
                                 const EpochProgress& progress = {});

// The predicted probability of hard braking for every example, in order. Same errors as train_model
// (an empty `examples` gives an empty result).
Result<std::vector<float>> predict(const ModelSpec& spec, const ModelWeights& weights, const std::vector<Example>& examples,
                                   const Normaliser& normaliser);

}  // namespace fleetgate::learning
