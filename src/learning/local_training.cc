#include "fleetgate/learning/local_training.h"

namespace fleetgate::learning {

Result<RegionTrainingData> load_training_data(const store::KvReader& store,
                                              const std::shared_ptr<const privacy::RegionKeys>& keys,
                                              std::string_view version, int hidden,
                                              const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys) {
  auto dataset = load_dataset(store, keys, version, vehicle_keys);
  if (!dataset.is_ok()) return dataset.status();
  const Dataset& d = *dataset;
  if (d.region != keys->region()) {
    return failed_precondition("dataset " + d.version + " belongs to region " + d.region + ", not " + keys->region());
  }
  if (d.train.empty() || d.test.empty()) {
    return failed_precondition("dataset " + d.version + " of region " + d.region + " has an empty train or test split");
  }
  auto normaliser = Normaliser::fit(d.train, d.step_dim);
  if (!normaliser.is_ok()) return normaliser.status();
  ModelSpec spec{.window_steps = d.window_steps, .step_dim = d.step_dim, .hidden = hidden};
  return RegionTrainingData{std::move(dataset).value(), std::move(normaliser).value(), spec};
}

Result<BinaryMetrics> evaluate_model(const ModelSpec& spec, const ModelWeights& weights, const Normaliser& normaliser,
                                     const std::vector<Example>& examples) {
  auto p = predict(spec, weights, examples, normaliser);
  if (!p.is_ok()) return p.status();
  std::vector<float> labels;
  labels.reserve(examples.size());
  for (const Example& e : examples) labels.push_back(e.label);
  return binary_metrics(*p, labels);
}

Result<Checkpoint> train_local_model(const RegionTrainingData& data, const LocalTrainOptions& options,
                                     const EpochProgress& progress) {
  auto init = initial_weights(data.spec, options.train.seed);
  if (!init.is_ok()) return init.status();
  auto trained = train_model(data.spec, *init, data.dataset.train, data.normaliser, options.train, progress);
  if (!trained.is_ok()) return trained.status();
  auto test = evaluate_model(data.spec, *trained, data.normaliser, data.dataset.test);
  if (!test.is_ok()) return test.status();
  Checkpoint c;
  c.meta = ModelMeta{.kind = "local",
                     .region = data.dataset.region,
                     .dataset_version = data.dataset.version,
                     .spec = data.spec,
                     .feature_names = data.dataset.feature_names,
                     .seed = options.train.seed,
                     .epochs = options.train.epochs,
                     .rounds = 0,
                     .train_examples = data.dataset.train.size(),
                     .created_ms = options.now_ms,
                     .test = *test};
  c.normaliser = data.normaliser;
  c.weights = std::move(trained).value();
  return c;
}

Result<Checkpoint> train_and_store_local(store::KvStore& store, const std::shared_ptr<const privacy::RegionKeys>& keys,
                                         const std::shared_ptr<privacy::VehicleKeys>& vehicle_keys,
                                         const LocalTrainOptions& options, const EpochProgress& progress) {
  auto data = load_training_data(store, keys, options.dataset_version, options.hidden, vehicle_keys);
  if (!data.is_ok()) return data.status();
  auto checkpoint = train_local_model(*data, options, progress);
  if (!checkpoint.is_ok()) return checkpoint.status();
  if (Status s = save_checkpoint(store, kLocalModel, *checkpoint); !s.is_ok()) return s;
  return checkpoint;
}

}  // namespace fleetgate::learning
