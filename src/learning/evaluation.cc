#include "fleetgate/learning/evaluation.h"

#include <cstdio>

#include "fleetgate/learning/federation.h"

namespace fleetgate::learning {
namespace {

constexpr const char* kCentralisedNote =
    "centralised is simulation only: it pools every region's training split in one process, which "
    "residency forbids outside a simulation; it is never stored or sent";

// The centralised model: one normaliser and one model fitted on the union of the training splits.
Result<std::pair<ModelWeights, Normaliser>> train_centralised(const std::vector<RegionTrainingData>& data,
                                                              const LocalTrainOptions& options) {
  std::vector<Example> pooled;
  for (const auto& d : data) pooled.insert(pooled.end(), d.dataset.train.begin(), d.dataset.train.end());
  const ModelSpec& spec = data.front().spec;
  auto normaliser = Normaliser::fit(pooled, spec.step_dim);
  if (!normaliser.is_ok()) return normaliser.status();
  auto init = initial_weights(spec, options.train.seed);
  if (!init.is_ok()) return init.status();
  auto trained = train_model(spec, *init, pooled, *normaliser, options.train);
  if (!trained.is_ok()) return trained.status();
  return std::make_pair(std::move(trained).value(), std::move(normaliser).value());
}

boost::json::object metrics_json(const BinaryMetrics& m) {
  boost::json::object o{{"accuracy", m.accuracy}, {"log_loss", m.log_loss}};
  o["auc"] = m.auc ? boost::json::value(*m.auc) : boost::json::value(nullptr);
  return o;
}

std::string pct(const std::optional<double>& v) {
  if (!v) return "n/a";
  char buf[16];
  std::snprintf(buf, sizeof buf, "%.1f", *v * 100);
  return buf;
}

}  // namespace

Result<Comparison> compare_models(const std::map<std::string, transfer::RegionData>& regions,
                                  const std::vector<std::string>& region_ids, const LocalTrainOptions& options,
                                  uint32_t fine_tune_epochs) {
  if (region_ids.empty()) return invalid_argument("no regions to compare");
  Comparison out;
  out.options = options;
  out.fine_tune_epochs = fine_tune_epochs;
  std::vector<RegionTrainingData> data;
  std::vector<Checkpoint> federated;
  for (const auto& r : region_ids) {
    const auto it = regions.find(r);
    if (it == regions.end()) return invalid_argument("unknown region " + r);
    auto d = load_training_data(*it->second.store, it->second.keys, options.dataset_version, options.hidden);
    if (!d.is_ok()) return Status(d.status().code(), "region " + r + ": " + d.status().message());
    if (!data.empty() && d->spec != data.front().spec) return invalid_argument("region " + r + "'s dataset has another shape");
    auto f = load_checkpoint(*it->second.store, kFederatedModel);
    if (!f.is_ok()) {
      return Status(f.status().code(), "region " + r + ": " + f.status().message() + " (run `fleetgate train federate` first)");
    }
    if (!f->normaliser || f->meta.spec != d->spec) return failed_precondition("region " + r + "'s federated model does not fit its dataset");
    data.push_back(std::move(d).value());
    federated.push_back(std::move(f).value());
  }
  auto central = train_centralised(data, options);
  if (!central.is_ok()) return central.status();
  out.federated_rounds = federated.front().meta.rounds;

  for (size_t i = 0; i < data.size(); ++i) {
    const RegionTrainingData& d = data[i];
    ComparisonRow row;
    row.region = region_ids[i];
    row.train_examples = d.dataset.train.size();
    row.test_examples = d.dataset.test.size();
    for (const Example& e : d.dataset.test) row.test_positives += e.label > 0.5f ? 1 : 0;
    auto local = train_local_model(d, options);
    if (!local.is_ok()) return local.status();
    row.local = *local->meta.test;
    auto fed = evaluate_model(d.spec, federated[i].weights, *federated[i].normaliser, d.dataset.test);
    if (!fed.is_ok()) return fed.status();
    row.federated = *fed;
    if (fine_tune_epochs > 0) {
      TrainOptions t = options.train;
      t.epochs = fine_tune_epochs;
      auto tuned = train_model(d.spec, federated[i].weights, d.dataset.train, *federated[i].normaliser, t);
      if (!tuned.is_ok()) return tuned.status();
      auto m = evaluate_model(d.spec, *tuned, *federated[i].normaliser, d.dataset.test);
      if (!m.is_ok()) return m.status();
      row.fine_tuned = *m;
    }
    auto cen = evaluate_model(d.spec, central->first, central->second, d.dataset.test);
    if (!cen.is_ok()) return cen.status();
    row.centralised = *cen;
    out.rows.push_back(std::move(row));
  }
  return out;
}

boost::json::object to_json(const Comparison& c) {
  boost::json::array rows;
  for (const ComparisonRow& r : c.rows) {
    boost::json::object row{{"region", r.region},
                            {"train_examples", r.train_examples},
                            {"test_examples", r.test_examples},
                            {"test_positives", r.test_positives},
                            {"local", metrics_json(r.local)},
                            {"federated", metrics_json(r.federated)},
                            {"centralised", metrics_json(r.centralised)}};
    if (r.fine_tuned) row["fine_tuned"] = metrics_json(*r.fine_tuned);
    rows.emplace_back(std::move(row));
  }
  return {{"regions", rows},
          {"federated_rounds", c.federated_rounds},
          {"fine_tune_epochs", c.fine_tune_epochs},
          {"epochs", c.options.train.epochs},
          {"seed", c.options.train.seed},
          {"hidden", c.options.hidden},
          {"dataset_version", c.options.dataset_version},
          {"centralised", kCentralisedNote}};
}

std::string to_markdown(const Comparison& c) {
  const bool tuned = c.fine_tune_epochs > 0;
  std::string out = "| region | train | test (pos) | local AUC | federated AUC | " +
                    std::string(tuned ? "fine-tuned AUC | " : "") + "centralised* AUC | local acc | federated acc | " +
                    (tuned ? "fine-tuned acc | " : "") + "centralised* acc |\n| --- |" +
                    (tuned ? " ---: | ---: |" : "") + " ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const ComparisonRow& r : c.rows) {
    out += "| " + r.region + " | " + std::to_string(r.train_examples) + " | " + std::to_string(r.test_examples) + " (" +
           std::to_string(r.test_positives) + ") | " + pct(r.local.auc) + " | " + pct(r.federated.auc) + " | " +
           (r.fine_tuned ? pct(r.fine_tuned->auc) + " | " : "") + pct(r.centralised.auc) + " | " + pct(r.local.accuracy) +
           " | " + pct(r.federated.accuracy) + " | " + (r.fine_tuned ? pct(r.fine_tuned->accuracy) + " | " : "") +
           pct(r.centralised.accuracy) + " |\n";
  }
  if (tuned) out += "\nfine-tuned: the federated model trained " + std::to_string(c.fine_tune_epochs) + " more epochs in its region.\n";
  out += "\n* " + std::string(kCentralisedNote) + ".\n";
  return out;
}

}  // namespace fleetgate::learning
