#include "fleetgate/transfer/artifact_store.h"

#include <algorithm>

namespace fleetgate::transfer {

Status check_artifact_name(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 128 && name != "." && name != ".." &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                           c == '_' || c == '-';
                  });
  if (!ok) return invalid_argument("artifact name '" + std::string(name) + "' must be 1-128 characters of [A-Za-z0-9._-]");
  return Status::ok();
}

Status put_artifact(store::KvStore& store, std::string_view name, std::string_view bytes) {
  if (Status s = check_artifact_name(name); !s.is_ok()) return s;
  return store.put(std::string(kArtifactPrefix) + std::string(name), bytes);
}

Result<std::string> get_artifact(const store::KvReader& store, std::string_view name) {
  if (Status s = check_artifact_name(name); !s.is_ok()) return s;
  auto bytes = store.get(std::string(kArtifactPrefix) + std::string(name));
  if (!bytes.is_ok() && bytes.status().code() == Code::kNotFound) {
    return not_found("no artifact '" + std::string(name) + "'");
  }
  return bytes;
}

}  // namespace fleetgate::transfer
