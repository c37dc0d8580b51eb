// A curated, versioned training dataset of one region. Examples are fixed windows of per-step
// features (row-major: window_steps rows of step_dim values, names in feature_names) with a
// binary label; train and test are split by vehicle, so no vehicle appears in both. Datasets
// are stored in the region's own store and never leave it: a clear summary under
// "dataset/meta/<version>" and the examples (personal.telemetry: speeds, traces) sealed with the
// region's data key (privacy::FieldCipher) under "dataset/data/<version>". With a vehicle key
// store, each vehicle's examples are sealed under its own key inside that envelope, so an erased
// vehicle's examples (its key destroyed) are gone from every copy of the dataset.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/privacy/vehicle_keys.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::learning {

// Store key prefix of datasets in a region store.
inline constexpr std::string_view kDatasetKeyPrefix = "dataset/";
inline constexpr std::string_view kLatestVersion = "latest";

struct Example {
  std::vector<float> features;  // window_steps * step_dim values, row-major by time step
  float label = 0;              // 1 when a hard-braking event follows within the horizon, else 0
  std::string vehicle;          // region pseudonym of the vehicle (never the raw VIN)
  std::int64_t t_ms = 0;        // end of the window (vehicle clock, ms since the Unix epoch)
  std::string trigger;          // trigger that selected the window ("negative" for sampled ones)
};

struct Dataset {
  std::string region;
  std::string version;  // set by save_dataset when empty: "v<unix ms>", sortable
  int window_steps = 0;
  int step_dim = 0;
  std::vector<std::string> feature_names;  // step_dim names, one per column of a step
  std::vector<Example> train, test;
  std::map<std::string, std::int64_t> counts_per_trigger;
};

// A summary of one stored dataset, for listings.
struct DatasetInfo {
  std::string version;
  std::string region;
  // When it was saved, ms since the Unix epoch; for datasets saved before this was kept, the time
  // its version names ("v<ms>"), else 0 (unknown: retention keeps it).
  std::int64_t created_ms = 0;
  int window_steps = 0;
  int step_dim = 0;
  std::int64_t train_examples = 0;
  std::int64_t test_examples = 0;
  std::int64_t train_positives = 0;
  std::int64_t test_positives = 0;
  std::map<std::string, std::int64_t> counts_per_trigger;
};

// The summary of `dataset` (as list_datasets reports it once saved).
DatasetInfo dataset_info(const Dataset& dataset);

// Checks shape (every example has window_steps * step_dim finite features, label 0 or 1,
// feature_names.size() == step_dim). kInvalidArgument naming the first problem.
Status validate_dataset(const Dataset& dataset);

// REQUIRES for all three: `store` and `keys` belong to the same region (the dataset's region).

// Stores `dataset` under its version (assigning one when empty) and returns the version;
// kAlreadyExists when that version is stored, kInvalidArgument when validate_dataset fails or the
// dataset's region is not the keys' region.
// With `vehicle_keys`, each vehicle's examples are sealed under its own key.
Result<std::string> save_dataset(store::KvStore& store, const std::shared_ptr<const privacy::RegionKeys>& keys,
                                 const Dataset& dataset, const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys = nullptr);

// The dataset of `version`, or the newest one for "latest". kNotFound when there is none,
// kDataLoss when the stored bytes do not open or decode, or were sealed under vehicle keys and
// `vehicle_keys` is null. The examples of erased vehicles are left out, so a loaded split may
// hold fewer examples than list_datasets reports.
Result<Dataset> load_dataset(const store::KvReader& store, const std::shared_ptr<const privacy::RegionKeys>& keys,
                             std::string_view version, const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys = nullptr);

// Every stored dataset, oldest version first.
Result<std::vector<DatasetInfo>> list_datasets(const store::KvReader& store);

// Deletes dataset `version` (its summary and examples). kNotFound when there is none.
Status delete_dataset(store::KvStore& store, std::string_view version);

}  // namespace fleetgate::learning
