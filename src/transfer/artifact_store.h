// Model artifacts (trained weights, checkpoints) kept as blobs in a region store under
// "artifact/<name>". They are model.weights homed in that region: they leave it only inside an
// approved transfer bundle. Names are 1 to 128 characters of [A-Za-z0-9._-].
#pragma once

#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::transfer {

inline constexpr std::string_view kArtifactPrefix = "artifact/";

// kInvalidArgument for a bad name.
Status check_artifact_name(std::string_view name);
// Stores (or replaces) `bytes` durably. kInvalidArgument for a bad name.
Status put_artifact(store::KvStore& store, std::string_view name, std::string_view bytes);
// kInvalidArgument for a bad name, kNotFound when absent.
Result<std::string> get_artifact(const store::KvReader& store, std::string_view name);

}  // namespace fleetgate::transfer
