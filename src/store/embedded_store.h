// The embedded KvStore: one RocksDB database in one directory, owned by one process at a time.
// Opening a directory another process holds fails with kUnavailable
// "data dir X is in use by another fleetgate process"; a damaged database yields kDataLoss.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

struct EmbeddedOptions {
  bool create_if_missing = true;  // create the directory (and parents) and an empty database
  bool paranoid_checks = true;    // verify checksums aggressively; corruption fails the open
  // Retention: when both are set, compaction drops every entry whose key_time(key) (ms since the
  // Unix epoch) is older than clock() - retention; keys without a time (nullopt) are kept.
  // Compaction runs as RocksDB sees fit, at least daily, and on KvStore::compact().
  std::optional<std::chrono::milliseconds> retention{};
  std::function<std::optional<int64_t>(std::string_view key)> key_time{};
  std::function<int64_t()> clock{};  // default: the system clock
};

// Opens (or creates) the RocksDB database in `dir`. The store closes when the pointer dies.
Result<std::unique_ptr<KvStore>> open_embedded(const std::filesystem::path& dir, const EmbeddedOptions& options = {});

}  // namespace fleetgate::store
