// A trained model as stored in a region and as a model.weights artifact: metadata, the
// normaliser fitted on the region's training split, and the parameters. Encoded as the magic
// "FGMODEL1", a little-endian u32 header length, a JSON header (metadata, normaliser, tensor
// names and shapes) and the parameters as little-endian float32 in tensor order. Checkpoints
// live in the region store under "model/<name>".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/learning/metrics.h"
#include "fleetgate/learning/model_weights.h"
#include "fleetgate/learning/normaliser.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::learning {

inline constexpr std::string_view kModelKeyPrefix = "model/";

struct ModelMeta {
  std::string kind;             // "local", "federated", "personalised", or "update"/"global" inside a federation
  std::string region;           // region whose data trained it (the aggregator for "global")
  std::string dataset_version;  // dataset of `region` it trained on ("" for "global")
  ModelSpec spec;
  std::vector<std::string> feature_names;  // step_dim names
  uint64_t seed = 0;
  uint32_t epochs = 0;           // local epochs (per round when federated)
  uint32_t rounds = 0;           // federated rounds behind it, 0 for a local model
  uint64_t train_examples = 0;   // examples behind it (all regions' for a federated model)
  int64_t created_ms = 0;
  std::optional<BinaryMetrics> test;  // on `region`'s held-out split
  bool operator==(const ModelMeta&) const = default;
};

struct Checkpoint {
  ModelMeta meta;
  // Present in a region's own checkpoints; absent in artifacts that cross a border, which carry
  // parameters and metadata only.
  std::optional<Normaliser> normaliser;
  ModelWeights weights;
  bool operator==(const Checkpoint&) const = default;
};

std::string encode_checkpoint(const Checkpoint& c);
// kDataLoss naming the problem for truncated, malformed or non-finite content.
Result<Checkpoint> decode_checkpoint(std::string_view bytes);

// Stores `c` durably under "model/<name>". kInvalidArgument for an empty name.
Status save_checkpoint(store::KvStore& store, std::string_view name, const Checkpoint& c);
// kNotFound when absent, kDataLoss when it does not decode.
Result<Checkpoint> load_checkpoint(const store::KvReader& store, std::string_view name);

// A checkpoint's name in its region store ("local", "federated", ...) and what it says of itself.
struct StoredModel {
  std::string name;
  ModelMeta meta;
};
// Every checkpoint of `store`, in name order; kDataLoss naming the first that does not decode.
Result<std::vector<StoredModel>> list_models(const store::KvReader& store);

// Deletes the checkpoint `name`. kNotFound when there is none.
Status delete_checkpoint(store::KvStore& store, std::string_view name);

}  // namespace fleetgate::learning
