// ReadThroughCache: successful loads of values that change only through their owner, which calls
// invalidate() after every write. A load that overlapped an invalidate() is returned but not kept,
// so a value read before a write never outlives that write. At `capacity` entries the cache starts
// over empty; a capacity of 0 keeps nothing (every get loads). Errors are never kept. Thread-safe;
// hits share a reader lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "fleetgate/core/result.h"

namespace fleetgate {

template <typename V>
class ReadThroughCache {
 public:
  explicit ReadThroughCache(size_t capacity) : capacity_(capacity) {}
  ReadThroughCache(const ReadThroughCache&) = delete;
  ReadThroughCache& operator=(const ReadThroughCache&) = delete;

  // The cached value of `key`, else load() (a callable returning Result<V>), kept when it
  // succeeded and nothing was invalidated while it ran.
  template <typename Load>
  Result<V> get(std::string_view key, Load&& load) {
    uint64_t generation;
    {
      std::shared_lock lock(mu_);
      if (auto it = entries_.find(key); it != entries_.end()) return it->second;
      generation = generation_;
    }
    Result<V> loaded = std::forward<Load>(load)();
    if (loaded.is_ok() && capacity_ > 0) {
      std::unique_lock lock(mu_);
      if (generation == generation_) {
        if (entries_.size() >= capacity_) entries_.clear();
        entries_.insert_or_assign(std::string(key), *loaded);
      }
    }
    return loaded;
  }

  // The cached value of `key`, nullopt when get() would have to load it. Never loads.
  std::optional<V> peek(std::string_view key) const {
    std::shared_lock lock(mu_);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
    return std::nullopt;
  }

  // Drops every entry, and every load still running when this is called.
  void invalidate() {
    std::unique_lock lock(mu_);
    ++generation_;
    entries_.clear();
  }

  size_t size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
  }

 private:
  struct Hash {  // lets find() take the string_view as it is
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  const size_t capacity_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, V, Hash, std::equal_to<>> entries_;
  uint64_t generation_ = 0;
};

}  // namespace fleetgate
