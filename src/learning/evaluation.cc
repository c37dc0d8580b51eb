#include "fleetgate/learning/evaluation.h"

#include <algorithm>
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

// Region `r`'s stored federated model `name`, checked to fit its dataset `d`.
Result<Checkpoint> load_federated(const transfer::RegionData& rd, const std::string& r, std::string_view name,
                                  const RegionTrainingData& d) {
  auto f = load_checkpoint(*rd.store, name);
  if (!f.is_ok()) {
    return Status(f.status().code(), "region " + r + ": " + f.status().message() + " (run `fleetgate train federate` first)");
  }
  if (!f->normaliser || f->meta.spec != d.spec) {
    return failed_precondition("region " + r + "'s model/" + std::string(name) + " does not fit its dataset");
  }
  return f;
}

Result<BinaryMetrics> score(const RegionTrainingData& d, const Checkpoint& c) {
  return evaluate_model(d.spec, c.weights, *c.normaliser, d.dataset.test);
}

}  // namespace

Result<Comparison> compare_models(const std::map<std::string, transfer::RegionData>& regions,
                                  const std::vector<std::string>& region_ids, const LocalTrainOptions& options) {
  if (region_ids.empty()) return invalid_argument("no regions to compare");
  Comparison out;
  out.options = options;
  std::vector<RegionTrainingData> data;
  std::vector<Checkpoint> global, deployed;
  for (const auto& r : region_ids) {
    const auto it = regions.find(r);
    if (it == regions.end()) return invalid_argument("unknown region " + r);
    auto d = load_training_data(*it->second.store, it->second.keys, options.dataset_version, options.hidden,
                                it->second.codec().vehicle_keys());
    if (!d.is_ok()) return Status(d.status().code(), "region " + r + ": " + d.status().message());
    if (!data.empty() && d->spec != data.front().spec) return invalid_argument("region " + r + "'s dataset has another shape");
    auto g = load_federated(it->second, r, kFederatedGlobalModel, *d);
    if (!g.is_ok()) return g.status();
    auto f = load_federated(it->second, r, kFederatedModel, *d);
    if (!f.is_ok()) return f.status();
    data.push_back(std::move(d).value());
    global.push_back(std::move(g).value());
    deployed.push_back(std::move(f).value());
  }
  auto central = train_centralised(data, options);
  if (!central.is_ok()) return central.status();
  out.federated_rounds = global.front().meta.rounds;

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
    auto fed = score(d, global[i]);
    if (!fed.is_ok()) return fed.status();
    row.federated = *fed;
    if (deployed[i].meta.kind == kPersonalisedKind) {
      auto personal = score(d, deployed[i]);
      if (!personal.is_ok()) return personal.status();
      row.personalised = *personal;
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
  bool personalised = false;
  for (const ComparisonRow& r : c.rows) {
    boost::json::object row{{"region", r.region},
                            {"train_examples", r.train_examples},
                            {"test_examples", r.test_examples},
                            {"test_positives", r.test_positives},
                            {"local", metrics_json(r.local)},
                            {"federated", metrics_json(r.federated)},
                            {"centralised", metrics_json(r.centralised)}};
    if (r.personalised) row["personalised"] = metrics_json(*r.personalised);
    personalised = personalised || r.personalised;
    rows.emplace_back(std::move(row));
  }
  return {{"regions", rows},
          {"federated_rounds", c.federated_rounds},
          {"deployed", personalised ? "personalised" : "federated"},
          {"epochs", c.options.train.epochs},
          {"seed", c.options.train.seed},
          {"hidden", c.options.hidden},
          {"dataset_version", c.options.dataset_version},
          {"centralised", kCentralisedNote}};
}

std::string to_markdown(const Comparison& c) {
  const bool personal = std::any_of(c.rows.begin(), c.rows.end(), [](const ComparisonRow& r) { return r.personalised; });
  // " local | federated | (personalised |) centralised |" of one metric.
  auto cells = [&](const ComparisonRow& r, auto metric) {
    std::string s = " " + pct(metric(r.local)) + " | " + pct(metric(r.federated)) + " |";
    if (personal) s += " " + (r.personalised ? pct(metric(*r.personalised)) : std::string("n/a")) + " |";
    return s + " " + pct(metric(r.centralised)) + " |";
  };
  auto header = [&](const std::string& m) {
    return " local " + m + " | federated " + m + " |" + (personal ? " personalised " + m + " |" : "") + " centralised* " + m + " |";
  };
  const std::string numeric(personal ? " ---: | ---: | ---: | ---: |" : " ---: | ---: | ---: |");
  std::string out = "| region | train | test (pos) |" + header("AUC") + header("acc") + "\n| --- | ---: | ---: |" + numeric + numeric + "\n";
  for (const ComparisonRow& r : c.rows) {
    out += "| " + r.region + " | " + std::to_string(r.train_examples) + " | " + std::to_string(r.test_examples) + " (" +
           std::to_string(r.test_positives) + ") |" + cells(r, [](const BinaryMetrics& m) { return m.auc; }) +
           cells(r, [](const BinaryMetrics& m) { return std::optional<double>(m.accuracy); }) + "\n";
  }
  out += "\nfederated: the global model after " + std::to_string(c.federated_rounds) + " rounds";
  if (personal) out += "; personalised: that model adapted in each region on its own data, the model the region deploys";
  out += ".\n* " + std::string(kCentralisedNote) + ".\n";
  return out;
}

}  // namespace fleetgate::learning
