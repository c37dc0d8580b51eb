// Federated learning across regions (FedAvg). Every round, each region trains from the current
// global weights on its own dataset; its update leaves the region only as a model.weights
// artifact inside an approved transfer (transfer::TransferService) to the aggregator region,
// which averages the updates weighted by training examples and sends the new global model back
// to every region the same way. Datasets, normalisers and records never leave their region:
// every crossing is a weights-only checkpoint, checked against residency::Policy::decide first.
// With DpOptions, each region clips its update and adds Gaussian noise before it leaves.
// At the end every region stores the global model with its own normaliser as
// "model/federated-global" and the model it deploys as "model/federated": the global model, or
// with `personal` set, the global model trained further in the region on its own training split
// (personalised federated learning by local adaptation: federate, then fine-tune in region). The
// personalised model never leaves its region and adds no transfer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"
#include "fleetgate/learning/checkpoint.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/trainer.h"
#include "fleetgate/learning/update_privacy.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::learning {

// The federated model a region deploys ("model/federated"): personalised when the run was.
inline constexpr std::string_view kFederatedModel = "federated";
// The plain global model of the last round, as the region received it ("model/federated-global").
inline constexpr std::string_view kFederatedGlobalModel = "federated-global";
// ModelMeta::kind of a personalised "model/federated".
inline constexpr std::string_view kPersonalisedKind = "personalised";

struct FederationOptions {
  std::vector<std::string> regions;  // participants, each with a dataset; the aggregator among them
  std::string aggregator;            // region that averages
  uint32_t rounds = 5;
  TrainOptions local;                // per round: epochs, batch, learning rate; seed fixes the run
  int hidden = 32;
  std::string dataset_version{kLatestVersion};  // of every region
  std::optional<DpOptions> dp;       // per-region clipping and noise; none when empty
  double dp_delta = 1e-5;            // delta of the reported (epsilon, delta)
  // In-region personalisation after the last round: epochs, batch, learning rate and seed (plus
  // the region's index) of the training that turns the global model into the region's own.
  // None: every region deploys the global model.
  std::optional<TrainOptions> personal;
  // Transfer paperwork of every weights transfer; all required.
  std::string legal_basis;
  std::string assessment_ref;
  std::filesystem::path bundle_dir;  // signed bundles are exported here and imported from here
  std::string run_id;                // names the artifacts "fed-<run_id>-r<round>-..."; [A-Za-z0-9]+
  int64_t now_ms = 0;                // transfers expire an hour after this; recorded in checkpoints
};

struct FederationReport {
  uint32_t rounds = 0;
  uint64_t train_examples = 0;                  // over all regions
  std::map<std::string, uint64_t> samples;      // per region
  std::map<std::string, BinaryMetrics> test;    // the deployed model on each region's test split
  std::map<std::string, BinaryMetrics> global_test;  // the final global model on each region's test split
  std::vector<std::string> transfer_ids;        // every model.weights transfer, in order
  std::optional<double> epsilon;                // per-region (epsilon, dp_delta) when dp.noise_multiplier > 0
};

// Called at each step with (round, rounds, what is happening); may be empty.
using FederationProgress = std::function<void(uint32_t round, uint32_t rounds, const std::string& step)>;

// Runs the federation. `regions` holds the store and keys of every participant (the same map the
// transfer service was built with); `requester` files the transfers (operator or admin in the
// regions). kInvalidArgument for bad options or datasets of different shapes; kPermissionDenied
// when residency refuses a crossing; kFailedPrecondition, before anything is trained or
// requested, when weights must cross and `transfers` does not approve model.weights by policy
// ([transfer] auto_approve_model_weights is off); any transfer error as is.
Result<FederationReport> run_federation(transfer::TransferService& transfers, const residency::Policy& policy,
                                        const http::Principal& requester,
                                        const std::map<std::string, transfer::RegionData>& regions,
                                        const FederationOptions& options, const FederationProgress& progress = {});

}  // namespace fleetgate::learning
