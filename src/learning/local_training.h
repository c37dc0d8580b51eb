// Training inside one region: its newest (or a named) dataset, a normaliser fitted on its
// training split only, a model trained from a seed, evaluated on its held-out split, and the
// checkpoint stored in the same region's store. Nothing read or written here leaves the region.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/checkpoint.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/trainer.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::learning {

// The name of the local-only checkpoint in a region store ("model/local").
inline constexpr std::string_view kLocalModel = "local";

// A region's dataset ready for training: the normaliser is fitted on `dataset.train` only.
struct RegionTrainingData {
  Dataset dataset;
  Normaliser normaliser;
  ModelSpec spec;
};

// Loads `version` ("latest" for the newest) of the region's datasets. kNotFound without one,
// kFailedPrecondition when the dataset belongs to another region or has an empty split.
// `vehicle_keys` opens datasets sealed per vehicle (load_dataset).
Result<RegionTrainingData> load_training_data(const store::KvReader& store,
                                              const std::shared_ptr<const privacy::RegionKeys>& keys,
                                              std::string_view version, int hidden,
                                              const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys);

// The model's held-out metrics on `examples`; errors as predict().
Result<BinaryMetrics> evaluate_model(const ModelSpec& spec, const ModelWeights& weights, const Normaliser& normaliser,
                                     const std::vector<Example>& examples);

struct LocalTrainOptions {
  std::string dataset_version{kLatestVersion};
  int hidden = 32;      // hidden units per layer
  TrainOptions train;   // epochs, batch, learning rate, seed
  int64_t now_ms = 0;   // creation time recorded in the checkpoint
};

// Trains a local-only model of `keys->region()` and returns its checkpoint (test metrics set).
// Does not store it.
Result<Checkpoint> train_local_model(const RegionTrainingData& data, const LocalTrainOptions& options,
                                     const EpochProgress& progress = {});

// Loads the region's data (load_training_data), trains, and saves the checkpoint as "model/local"
// in `store`.
Result<Checkpoint> train_and_store_local(store::KvStore& store, const std::shared_ptr<const privacy::RegionKeys>& keys,
                                         const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys,
                                         const LocalTrainOptions& options, const EpochProgress& progress = {});

}  // namespace fleetgate::learning
