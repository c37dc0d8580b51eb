#include "fleetgate/learning/torch_module.h"

#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>

namespace fleetgate::learning {
namespace {

Status check_spec(const ModelSpec& spec) {
  if (spec.window_steps < 1 || spec.step_dim < 1 || spec.hidden < 1) {
    return invalid_argument("model spec needs window_steps, step_dim and hidden >= 1");
  }
  return Status::ok();
}

torch::nn::Sequential build(const ModelSpec& spec) {
  return torch::nn::Sequential(torch::nn::Linear(spec.input_dim(), spec.hidden), torch::nn::ReLU(),
                               torch::nn::Linear(spec.hidden, spec.hidden), torch::nn::ReLU(),
                               torch::nn::Linear(spec.hidden, 1));
}

ModelWeights extract(const torch::nn::Sequential& net) {
  ModelWeights w;
  for (const auto& item : net->named_parameters()) {
    const torch::Tensor p = item.value().detach().contiguous();
    Tensor t{item.key(), p.sizes().vec(), {}};
    t.values.assign(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    w.tensors.push_back(std::move(t));
  }
  return w;
}

Status load(torch::nn::Sequential& net, const ModelWeights& w) {
  auto params = net->named_parameters();
  if (params.size() != w.tensors.size()) return invalid_argument("weights do not fit the model: tensor count differs");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) {
    const Tensor& t = w.tensors[i];
    torch::Tensor p = params[i].value();
    if (params[i].key() != t.name || p.sizes().vec() != t.shape) {
      return invalid_argument("weights do not fit the model at tensor '" + t.name + "'");
    }
    p.copy_(torch::from_blob(const_cast<float*>(t.values.data()), p.sizes(), torch::kFloat32));
  }
  return Status::ok();
}

// The examples as one standardised [n, input_dim] matrix, and their labels as [n, 1].
Result<std::pair<torch::Tensor, torch::Tensor>> to_tensors(const ModelSpec& spec, const std::vector<Example>& examples,
                                                           const Normaliser& normaliser) {
  const auto n = static_cast<int64_t>(examples.size());
  const int64_t dim = spec.input_dim();
  if (normaliser.mean.size() != static_cast<size_t>(spec.step_dim)) {
    return invalid_argument("normaliser has " + std::to_string(normaliser.mean.size()) + " columns, model expects " +
                            std::to_string(spec.step_dim));
  }
  torch::Tensor x = torch::empty({n, dim}, torch::kFloat32);
  torch::Tensor y = torch::empty({n, 1}, torch::kFloat32);
  float* xp = x.data_ptr<float>();
  float* yp = y.data_ptr<float>();
  std::vector<float> row;
  for (int64_t i = 0; i < n; ++i) {
    const Example& e = examples[static_cast<size_t>(i)];
    if (static_cast<int64_t>(e.features.size()) != dim) {
      return invalid_argument("example " + std::to_string(i) + " has " + std::to_string(e.features.size()) +
                              " features, model expects " + std::to_string(dim));
    }
    row = e.features;
    normaliser.apply(row);
    std::copy(row.begin(), row.end(), xp + i * dim);
    yp[i] = e.label;
  }
  return std::make_pair(x, y);
}

// Torch reports failures by exception; none may leave this module.
template <typename F>
auto guarded(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    return internal_error(std::string("torch: ") + e.what());
  }
}

Result<ModelWeights> initial_weights(const ModelSpec& spec, uint64_t seed) {
  if (Status s = check_spec(spec); !s.is_ok()) return s;
  return guarded([&]() -> Result<ModelWeights> {
    at::set_num_threads(1);
    torch::manual_seed(seed);
    return extract(build(spec));
  });
}

Result<ModelWeights> train_model(const ModelSpec& spec, const ModelWeights& init, const std::vector<Example>& train,
                                 const Normaliser& normaliser, const TrainOptions& options, const EpochProgress& progress) {
  if (Status s = check_spec(spec); !s.is_ok()) return s;
  if (train.empty()) return invalid_argument("the training split is empty");
  if (options.batch_size == 0) return invalid_argument("batch size must be >= 1");
  return guarded([&]() -> Result<ModelWeights> {
    at::set_num_threads(1);
    torch::manual_seed(options.seed);
    torch::nn::Sequential net = build(spec);
    if (Status s = load(net, init); !s.is_ok()) return s;
    auto data = to_tensors(spec, train, normaliser);
    if (!data.is_ok()) return data.status();
    const auto& [x, y] = *data;

    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(options.learning_rate));
    std::mt19937_64 rng(options.seed);
    std::vector<int64_t> order(train.size());
    std::iota(order.begin(), order.end(), 0);
    const auto batch = static_cast<size_t>(options.batch_size);
    net->train();
    for (uint32_t epoch = 1; epoch <= options.epochs; ++epoch) {
      std::shuffle(order.begin(), order.end(), rng);
      double loss_sum = 0;
      for (size_t start = 0; start < order.size(); start += batch) {
        const size_t end = std::min(order.size(), start + batch);
        const torch::Tensor idx = torch::from_blob(order.data() + start, {static_cast<int64_t>(end - start)}, torch::kInt64);
        adam.zero_grad();
        const torch::Tensor loss =
            torch::binary_cross_entropy_with_logits(net->forward(x.index_select(0, idx)), y.index_select(0, idx));
        loss.backward();
        adam.step();
        loss_sum += loss.item<double>() * static_cast<double>(end - start);
      }
      if (progress) progress(epoch, options.epochs, loss_sum / static_cast<double>(order.size()));
    }
    return extract(net);
  });
}

Result<std::vector<float>> predict(const ModelSpec& spec, const ModelWeights& weights, const std::vector<Example>& examples,
                                   const Normaliser& normaliser) {
  if (Status s = check_spec(spec); !s.is_ok()) return s;
  if (examples.empty()) return std::vector<float>{};
  return guarded([&]() -> Result<std::vector<float>> {
    at::set_num_threads(1);
    torch::nn::Sequential net = build(spec);
    if (Status s = load(net, weights); !s.is_ok()) return s;
    auto data = to_tensors(spec, examples, normaliser);
    if (!data.is_ok()) return data.status();
    torch::NoGradGuard no_grad;
    net->eval();
    const torch::Tensor p = torch::sigmoid(net->forward(data->first)).contiguous();
    return std::vector<float>(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  });
}

constexpr TorchModule kModule{kTorchModuleAbi, initial_weights, train_model, predict};

}  // namespace
}  // namespace fleetgate::learning

extern "C" __attribute__((visibility("default"))) const fleetgate::learning::TorchModule* fleetgate_torch_module() {
  return &fleetgate::learning::kModule;
}
