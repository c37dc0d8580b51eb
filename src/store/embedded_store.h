// The embedded KvStore: one RocksDB database in one directory, owned by one process at a time.
// Opening a directory another process holds fails with kUnavailable
// "data dir X is in use by another fleetgate process"; a damaged database yields kDataLoss.
#pragma once

#include <filesystem>
#include <memory>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

struct EmbeddedOptions {
  bool create_if_missing = true;  // create the directory (and parents) and an empty database
  bool paranoid_checks = true;    // verify checksums aggressively; corruption fails the open
};

// Opens (or creates) the RocksDB database in `dir`. The store closes when the pointer dies.
Result<std::unique_ptr<KvStore>> open_embedded(const std::filesystem::path& dir, const EmbeddedOptions& options = {});

}  // namespace fleetgate::store
