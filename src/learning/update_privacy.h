// Differential privacy of federated updates, applied inside the region before weights leave it
// (DP-FedAvg, McMahan et al. 2018, with the noise added locally so the aggregator sees only
// noised updates). A region's update delta = local - global is clipped to L2 norm <= clip, then
// Gaussian noise N(0, (noise_multiplier * clip)^2) is added to every parameter. One round is a
// Gaussian mechanism of L2 sensitivity `clip` on the region's whole contribution.
#pragma once

#include <cstdint>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/model_weights.h"

namespace fleetgate::learning {

struct DpOptions {
  double clip = 0;              // C > 0: bound on the L2 norm of a region's update
  double noise_multiplier = 0;  // sigma >= 0: noise std is sigma * C (0: clipping only)
};

// global + clip(local - global) + noise, with noise drawn from a generator seeded by `seed`.
// kInvalidArgument for clip <= 0, sigma < 0 or different layouts.
Result<ModelWeights> privatise_update(const ModelWeights& global, const ModelWeights& local, const DpOptions& dp,
                                      uint64_t seed);

// (epsilon, delta)-DP of `rounds` compositions of the Gaussian mechanism with noise multiplier
// sigma, by Renyi DP (Mironov 2017): each round is (alpha, alpha / (2 sigma^2))-RDP, rounds add
// up, and RDP converts to epsilon = rounds * alpha / (2 sigma^2) + ln(1/delta) / (alpha - 1).
// The alpha minimising it gives epsilon = rounds / (2 sigma^2) + sqrt(2 rounds ln(1/delta)) / sigma.
// REQUIRES: sigma > 0, rounds >= 1, 0 < delta < 1.
double gaussian_epsilon(double noise_multiplier, uint32_t rounds, double delta);

}  // namespace fleetgate::learning
