#include "fleetgate/learning/trainer.h"

#include <dlfcn.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "fleetgate/learning/torch_module.h"

namespace fleetgate::learning {
namespace {

// The module beside the running executable (an installed fleetgate), else where this build wrote it.
std::filesystem::path module_path() {
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = exe.parent_path() / FLEETGATE_TORCH_MODULE_NAME;
    if (std::filesystem::exists(beside, ec)) return beside;
  }
  return FLEETGATE_TORCH_MODULE_PATH;
}

// Opened once per process and never closed: LibTorch does not support unloading.
Result<const TorchModule*> open_module() {
  const std::filesystem::path path = module_path();
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return unavailable("training needs the Torch module " + path.string() + ": " + (why ? why : "cannot open it"));
  }
  auto* entry = reinterpret_cast<const TorchModule* (*)()>(dlsym(handle, kTorchModuleSymbol));
  const TorchModule* module = entry != nullptr ? entry() : nullptr;
  if (module == nullptr || module->abi != kTorchModuleAbi) {
    return unavailable("the Torch module " + path.string() + " is from another fleetgate build; rebuild it");
  }
  return module;
}

Result<const TorchModule*> torch_module() {
  static const Result<const TorchModule*> module = open_module();
  return module;
}

}  // namespace

Result<ModelWeights> initial_weights(const ModelSpec& spec, uint64_t seed) {
  auto m = torch_module();
  if (!m.is_ok()) return m.status();
  return (*m)->initial_weights(spec, seed);
}

Result<ModelWeights> train_model(const ModelSpec& spec, const ModelWeights& init, const std::vector<Example>& train,
                                 const Normaliser& normaliser, const TrainOptions& options, const EpochProgress& progress) {
  auto m = torch_module();
  if (!m.is_ok()) return m.status();
  return (*m)->train_model(spec, init, train, normaliser, options, progress);
}

Result<std::vector<float>> predict(const ModelSpec& spec, const ModelWeights& weights, const std::vector<Example>& examples,
                                   const Normaliser& normaliser) {
  auto m = torch_module();
  if (!m.is_ok()) return m.status();
  return (*m)->predict(spec, weights, examples, normaliser);
}

}  // namespace fleetgate::learning
