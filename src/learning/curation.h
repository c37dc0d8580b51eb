// Curation: turns a region's vehicle traces into a labelled Dataset (dataset.h). For each trigger
// event (triggers.h) it takes the window ending a random 1..horizon steps before the event, and it
// samples negatives_per_positive times as many windows at random times with no hard braking in
// the horizon after them. Label: a hard_brake event starts within horizon_s after the window's
// end. Vehicles are shuffled with the seed and split into train and test (held-out vehicles).
// Same traces, options and seed give the same dataset, whatever the traces' order and pseudonyms.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/trace.h"

namespace fleetgate::learning {

struct CurationOptions {
  config::LearningTriggers triggers{};
  double window_s = 5;                 // history per example
  double horizon_s = 3;                // how far ahead the label looks
  double negatives_per_positive = 2;   // sampled negatives per positive example
  double test_fraction = 0.25;         // share of vehicles held out for test (at least one of each split)
  int64_t step_ms = 1000;              // time step of the feature rows
  int64_t max_gap_ms = 3000;           // longer gaps in a trace end usable windows
  uint64_t seed = 1;
  std::string version{};               // empty: save_dataset assigns one
};

// kInvalidArgument for options out of range (window, horizon or step not positive, fractions
// outside [0, 1)); kFailedPrecondition when the traces yield no positive example.
Result<Dataset> curate(std::string region, const std::vector<VehicleTrace>& traces, const CurationOptions& options);

}  // namespace fleetgate::learning
