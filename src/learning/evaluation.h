// The comparison of issue #8: for every region, on its own held-out split, a local-only model
// (trained in the region on its data), the federated model (stored in the region by
// run_federation) and a centralised model. The centralised model is SIMULATION ONLY: it pools
// every region's training split in this process, which residency forbids in production; it is
// trained in memory for comparison, never stored and never sent anywhere. Optionally a fourth
// model: the federated one fine-tuned in the region on its own training split (personalised
// federated learning; in region, trained in memory, not stored).
#pragma once

#include <boost/json/object.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/local_training.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::learning {

struct ComparisonRow {
  std::string region;
  uint64_t train_examples = 0;
  uint64_t test_examples = 0;
  uint64_t test_positives = 0;
  BinaryMetrics local, federated, centralised;
  std::optional<BinaryMetrics> fine_tuned;  // when Comparison::fine_tune_epochs > 0
};

struct Comparison {
  std::vector<ComparisonRow> rows;
  uint32_t federated_rounds = 0;  // of the stored federated models
  LocalTrainOptions options;      // of the local-only and centralised models
  uint32_t fine_tune_epochs = 0;  // of the fine-tuned federated models; 0: none
};

// Trains the local-only and centralised models with `options` and reads each region's
// "model/federated"; with fine_tune_epochs > 0 also trains each region's federated model that
// many more epochs on the region's training split (options' batch, learning rate and seed).
// kNotFound naming the region without a federated model; training errors.
Result<Comparison> compare_models(const std::map<std::string, transfer::RegionData>& regions,
                                  const std::vector<std::string>& region_ids, const LocalTrainOptions& options,
                                  uint32_t fine_tune_epochs = 0);

// {"regions": [{region, train_examples, test_examples, test_positives, local: {auc, accuracy,
// log_loss}, federated: {...}, centralised: {...}, fine_tuned: {...} when computed}],
// "centralised": "simulation only ...", ...}.
boost::json::object to_json(const Comparison& c);
// A markdown table: region, examples, then AUC and accuracy of local-only, federated,
// (fine-tuned,) centralised.
std::string to_markdown(const Comparison& c);

}  // namespace fleetgate::learning
