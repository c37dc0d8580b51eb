// The comparison of issue #8: for every region, on its own held-out split, a local-only model
// (trained in the region on its data), the plain federated global model and, when the run
// personalised, the personalised federated model the region deploys (both stored in the region
// by run_federation), and a centralised model. The centralised model is SIMULATION ONLY: it
// pools every region's training split in this process, which residency forbids in production;
// it is trained in memory for comparison, never stored and never sent anywhere.
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
  BinaryMetrics local, federated, centralised;  // federated: the global model of the last round
  std::optional<BinaryMetrics> personalised;    // the deployed personalised model, when there is one
};

struct Comparison {
  std::vector<ComparisonRow> rows;
  uint32_t federated_rounds = 0;  // of the stored federated models
  LocalTrainOptions options;      // of the local-only and centralised models
};

// Trains the local-only and centralised models with `options` and scores each region's stored
// "model/federated-global" and, when it is personalised, "model/federated".
// kNotFound naming the region without federated models; training errors.
Result<Comparison> compare_models(const std::map<std::string, transfer::RegionData>& regions,
                                  const std::vector<std::string>& region_ids, const LocalTrainOptions& options);

// {"regions": [{region, train_examples, test_examples, test_positives, local: {auc, accuracy,
// log_loss}, federated: {...}, personalised: {...} when present, centralised: {...}}],
// "deployed": "personalised" or "federated", "centralised": "simulation only ...", ...}.
boost::json::object to_json(const Comparison& c);
// A markdown table: region, examples, then AUC and accuracy of local-only, federated global,
// (personalised,) centralised.
std::string to_markdown(const Comparison& c);

}  // namespace fleetgate::learning
