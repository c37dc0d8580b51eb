#include "fleetgate/learning/federation.h"

#include <algorithm>
#include <cctype>

#include "fleetgate/learning/fedavg.h"
#include "fleetgate/learning/local_training.h"

namespace fleetgate::learning {
namespace {

constexpr int64_t kTransferLifetimeMs = 60 * 60 * 1000;

Status check_options(const FederationOptions& o, const std::map<std::string, transfer::RegionData>& regions) {
  if (o.regions.empty()) return invalid_argument("federation needs at least one region");
  if (std::find(o.regions.begin(), o.regions.end(), o.aggregator) == o.regions.end()) {
    return invalid_argument("aggregator " + o.aggregator + " is not one of the federated regions");
  }
  for (size_t i = 0; i < o.regions.size(); ++i) {
    const auto it = regions.find(o.regions[i]);
    if (it == regions.end() || it->second.store == nullptr || it->second.keys == nullptr) {
      return invalid_argument("unknown region " + o.regions[i]);
    }
    if (std::find(o.regions.begin(), o.regions.begin() + static_cast<std::ptrdiff_t>(i), o.regions[i]) !=
        o.regions.begin() + static_cast<std::ptrdiff_t>(i)) {
      return invalid_argument("region " + o.regions[i] + " is listed twice");
    }
  }
  if (o.rounds == 0) return invalid_argument("federation needs at least one round");
  if (o.legal_basis.empty() || o.assessment_ref.empty()) {
    return invalid_argument("weights transfers need a legal basis and an assessment reference");
  }
  if (o.run_id.empty() || !std::all_of(o.run_id.begin(), o.run_id.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); })) {
    return invalid_argument("run id must be letters and digits");
  }
  if (o.dp && !(o.dp_delta > 0 && o.dp_delta < 1)) return invalid_argument("dp delta must be in (0, 1)");
  if (o.personal && o.personal->epochs == 0) return invalid_argument("personalisation needs at least one epoch");
  return Status::ok();
}

// One federation run: the orchestration state and the single path by which weights cross.
class Federation {
 public:
  Federation(transfer::TransferService& transfers, const residency::Policy& policy, const http::Principal& requester,
             const std::map<std::string, transfer::RegionData>& regions, const FederationOptions& options,
             const FederationProgress& progress)
      : transfers_(transfers), policy_(policy), requester_(requester), regions_(regions), o_(options), progress_(progress) {}

  Result<FederationReport> run() {
    if (Status s = load_data(); !s.is_ok()) return s;
    auto init = initial_weights(spec_, o_.local.seed);
    if (!init.is_ok()) return init.status();
    // Every region starts from the same seeded weights: the seed is shared, nothing crosses.
    std::map<std::string, ModelWeights> global;
    for (const auto& r : o_.regions) global[r] = *init;

    for (uint32_t round = 1; round <= o_.rounds; ++round) {
      std::vector<RegionUpdate> updates;
      for (size_t i = 0; i < o_.regions.size(); ++i) {
        const std::string& r = o_.regions[i];
        step(round, "training in " + r);
        auto update = local_update(r, global[r], round, i);
        if (!update.is_ok()) return update.status();
        const std::string name = artifact_name(round, r + "-update");
        auto arrived = move_weights(r, o_.aggregator, name, update_checkpoint(r, round, std::move(update).value()));
        if (!arrived.is_ok()) return arrived.status();
        updates.push_back({std::move(arrived->weights), arrived->meta.train_examples});
      }
      step(round, "averaging in " + o_.aggregator);
      auto averaged = federated_average(updates);
      if (!averaged.is_ok()) return averaged.status();
      Checkpoint next = weights_only("global", o_.aggregator, round, report_.train_examples, std::move(averaged).value());
      for (const auto& r : o_.regions) {
        if (r != o_.aggregator) step(round, "sending the global model to " + r);
        auto arrived = move_weights(o_.aggregator, r, artifact_name(round, "global"), next);
        if (!arrived.is_ok()) return arrived.status();
        global[r] = std::move(arrived->weights);
      }
    }
    for (size_t i = 0; i < o_.regions.size(); ++i) {
      if (Status s = store_final(o_.regions[i], i, global[o_.regions[i]]); !s.is_ok()) return s;
    }
    report_.rounds = o_.rounds;
    if (o_.dp && o_.dp->noise_multiplier > 0) report_.epsilon = gaussian_epsilon(o_.dp->noise_multiplier, o_.rounds, o_.dp_delta);
    return report_;
  }

 private:
  Status load_data() {
    for (const auto& r : o_.regions) {
      const transfer::RegionData& rd = regions_.at(r);
      auto data = load_training_data(*rd.store, rd.keys, o_.dataset_version, o_.hidden, rd.codec().vehicle_keys());
      if (!data.is_ok()) return Status(data.status().code(), "region " + r + ": " + data.status().message());
      if (data_.empty()) {
        spec_ = data->spec;
        feature_names_ = data->dataset.feature_names;
      } else if (data->spec != spec_ || data->dataset.feature_names != feature_names_) {
        return invalid_argument("region " + r + "'s dataset has another window shape or features than " + o_.regions.front() + "'s");
      }
      report_.samples[r] = data->dataset.train.size();
      report_.train_examples += data->dataset.train.size();
      data_.emplace(r, std::move(data).value());
    }
    return Status::ok();
  }

  Result<ModelWeights> local_update(const std::string& r, const ModelWeights& global, uint32_t round, size_t index) {
    const RegionTrainingData& d = data_.at(r);
    TrainOptions t = o_.local;
    t.seed = o_.local.seed + 1000003ULL * round + index;
    auto local = train_model(spec_, global, d.dataset.train, d.normaliser, t);
    if (!local.is_ok() || !o_.dp) return local;
    return privatise_update(global, *local, *o_.dp, t.seed ^ 0x5eedULL);
  }

  Checkpoint update_checkpoint(const std::string& r, uint32_t round, ModelWeights w) const {
    Checkpoint c = weights_only("update", r, round, report_.samples.at(r), std::move(w));
    c.meta.dataset_version = data_.at(r).dataset.version;
    return c;
  }

  Checkpoint weights_only(const std::string& kind, const std::string& region, uint32_t round, uint64_t examples,
                          ModelWeights w) const {
    Checkpoint c;
    c.meta = ModelMeta{.kind = kind,
                       .region = region,
                       .dataset_version = "",
                       .spec = spec_,
                       .feature_names = feature_names_,
                       .seed = o_.local.seed,
                       .epochs = o_.local.epochs,
                       .rounds = round,
                       .train_examples = examples,
                       .created_ms = o_.now_ms,
                       .test = std::nullopt};
    c.weights = std::move(w);
    return c;
  }

  std::string artifact_name(uint32_t round, const std::string& what) const {
    return "fed-" + o_.run_id + "-r" + std::to_string(round) + "-" + what;
  }

  // The one way weights reach another region: store the artifact at `from`, then (unless
  // `to` == `from`) an approved model.weights transfer, export, verify and import at `to`.
  // Returns the checkpoint as `to` holds it.
  Result<Checkpoint> move_weights(const std::string& from, const std::string& to, const std::string& name,
                                  const Checkpoint& c) {
    if (c.normaliser) return internal_error("a checkpoint with a normaliser may not leave region " + from);
    const std::string bytes = encode_checkpoint(c);
    if (Status s = transfers_.put_artifact(from, name, bytes); !s.is_ok()) return s;
    if (from == to) return c;
    const residency::Decision d =
        policy_.decide(residency::DataClass::kModelWeights, from, to, residency::Channel::kApprovedTransfer);
    if (!d.allowed) return permission_denied("model weights may not go from " + from + " to " + to + ": " + d.reason);

    transfer::TransferRequest req;
    req.source_region = from;
    req.dest_region = to;
    req.data_class = residency::DataClass::kModelWeights;
    req.artifact = name;
    req.purpose = "federated learning run " + o_.run_id + ": " + c.meta.kind + " weights, round " + std::to_string(c.meta.rounds);
    req.legal_basis = o_.legal_basis;
    req.assessment_ref = o_.assessment_ref;
    req.expires_at_ms = o_.now_ms + kTransferLifetimeMs;
    auto id = transfers_.request(requester_, std::move(req));
    if (!id.is_ok()) return id.status();
    report_.transfer_ids.push_back(*id);
    auto bundle = transfers_.export_bundle(*id, o_.bundle_dir, requester_.subject);
    if (!bundle.is_ok()) return bundle.status();
    auto imported = transfers_.import_bundle(*bundle, to, requester_.subject);
    if (!imported.is_ok()) return imported.status();
    auto arrived = decode_checkpoint(imported->artifact);
    if (!arrived.is_ok()) return arrived.status();
    if (arrived->weights.tensors.empty() || !check_same_layout(arrived->weights, c.weights).is_ok()) {
      return data_loss("transfer " + *id + " delivered weights of another model");
    }
    return arrived;
  }

  // Stores the global model and the model `r` deploys (the global one, or personalised in `r`).
  Status store_final(const std::string& r, size_t index, const ModelWeights& global) {
    auto plain = region_checkpoint(r, "federated", global);
    if (!plain.is_ok()) return plain.status();
    report_.global_test[r] = *plain->meta.test;
    if (Status s = save_checkpoint(*regions_.at(r).store, kFederatedGlobalModel, *plain); !s.is_ok()) return s;
    if (!o_.personal) {
      report_.test[r] = *plain->meta.test;
      return save_checkpoint(*regions_.at(r).store, kFederatedModel, *plain);
    }
    step(o_.rounds, "personalising in " + r);
    TrainOptions t = *o_.personal;
    t.seed = o_.personal->seed + index;
    auto tuned = train_model(spec_, global, data_.at(r).dataset.train, data_.at(r).normaliser, t);
    if (!tuned.is_ok()) return tuned.status();
    auto personal = region_checkpoint(r, std::string(kPersonalisedKind), std::move(tuned).value());
    if (!personal.is_ok()) return personal.status();
    report_.test[r] = *personal->meta.test;
    return save_checkpoint(*regions_.at(r).store, kFederatedModel, *personal);
  }

  // A checkpoint of `r` with its dataset version, normaliser and held-out metrics.
  Result<Checkpoint> region_checkpoint(const std::string& r, const std::string& kind, ModelWeights w) const {
    const RegionTrainingData& d = data_.at(r);
    auto test = evaluate_model(spec_, w, d.normaliser, d.dataset.test);
    if (!test.is_ok()) return test.status();
    Checkpoint c = weights_only(kind, r, o_.rounds, report_.train_examples, std::move(w));
    c.meta.dataset_version = d.dataset.version;
    c.meta.test = *test;
    c.normaliser = d.normaliser;
    return c;
  }

  void step(uint32_t round, const std::string& what) {
    if (progress_) progress_(round, o_.rounds, what);
  }

  transfer::TransferService& transfers_;
  const residency::Policy& policy_;
  const http::Principal& requester_;
  const std::map<std::string, transfer::RegionData>& regions_;
  const FederationOptions& o_;
  const FederationProgress& progress_;
  std::map<std::string, RegionTrainingData> data_;
  ModelSpec spec_;
  std::vector<std::string> feature_names_;
  FederationReport report_;
};

}  // namespace

Result<FederationReport> run_federation(transfer::TransferService& transfers, const residency::Policy& policy,
                                        const http::Principal& requester,
                                        const std::map<std::string, transfer::RegionData>& regions,
                                        const FederationOptions& options, const FederationProgress& progress) {
  if (Status s = check_options(options, regions); !s.is_ok()) return s;
  // Every round sends each other region's update to the aggregator and the average back. Those
  // transfers are approved by policy or not at all: the run cannot wait for two people per
  // transfer, and a request left waiting would stay `requested` until it expires.
  const size_t crossings = 2 * options.rounds * (options.regions.size() - 1);
  if (crossings > 0 && !transfers.auto_approves_model_weights()) {
    return failed_precondition("federating " + std::to_string(options.rounds) + " rounds moves weights across regions in " +
                               std::to_string(crossings) + " model.weights transfers, and without [transfer] "
                               "auto_approve_model_weights = true each would wait for two approvers; nothing was requested");
  }
  return Federation(transfers, policy, requester, regions, options, progress).run();
}

}  // namespace fleetgate::learning
