// A small, complete checkpoint for tests of what stores, lists or serves models: every metadata
// field set, a normaliser and two tensors of consistent shapes.
#pragma once

#include <string>

#include "fleetgate/learning/checkpoint.h"

namespace fleetgate::learning::testing {

inline Checkpoint sample_checkpoint(std::string region = "eu") {
  Checkpoint c;
  c.meta.kind = "local";
  c.meta.region = std::move(region);
  c.meta.dataset_version = "v17";
  c.meta.spec = {.window_steps = 2, .step_dim = 1, .hidden = 3};
  c.meta.feature_names = {"speed"};
  c.meta.seed = 42;
  c.meta.epochs = 5;
  c.meta.train_examples = 100;
  c.meta.created_ms = 1700000000000;
  c.meta.test = BinaryMetrics{.examples = 10, .positives = 3, .auc = 0.8125, .accuracy = 0.7, .log_loss = 0.4321};
  c.normaliser = Normaliser{{1.5f}, {0.1f}};
  c.weights.tensors = {Tensor{"0.weight", {3, 2}, {0.1f, -0.2f, 0.3f, 1e-8f, 7.25f, -3.0f}}, Tensor{"0.bias", {3}, {0, 1, 2}}};
  return c;
}

}  // namespace fleetgate::learning::testing
