// The boundary between fleetgate and its Torch trainer. LibTorch takes most of a second to load
// and register its operators, so it lives in a module of its own (fleetgate-torch.so) that
// trainer.cc opens on the first training call: other commands and `serve` never load it.
// The module exports fleetgate_torch_module(), whose functions behave as documented in trainer.h.
#pragma once

#include <cstdint>
#include <vector>

#include "fleetgate/learning/trainer.h"

namespace fleetgate::learning {

// Bumped whenever TorchModule or a type crossing it changes, so a stale module is refused.
inline constexpr uint32_t kTorchModuleAbi = 1;

struct TorchModule {
  uint32_t abi;
  Result<ModelWeights> (*initial_weights)(const ModelSpec& spec, uint64_t seed);
  Result<ModelWeights> (*train_model)(const ModelSpec& spec, const ModelWeights& init, const std::vector<Example>& train,
                                      const Normaliser& normaliser, const TrainOptions& options,
                                      const EpochProgress& progress);
  Result<std::vector<float>> (*predict)(const ModelSpec& spec, const ModelWeights& weights,
                                        const std::vector<Example>& examples, const Normaliser& normaliser);
};

// The name the module exports, for dlsym.
inline constexpr const char* kTorchModuleSymbol = "fleetgate_torch_module";

}  // namespace fleetgate::learning

extern "C" const fleetgate::learning::TorchModule* fleetgate_torch_module();
