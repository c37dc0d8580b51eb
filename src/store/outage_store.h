// For tests: a KvStore over another whose reads of keys under a prefix fail with kUnavailable once
// fail() is called, as a control database that goes down in the middle of a request does. It
// reports itself shared(), as the database several nodes use, so callers do not cache around it.
#pragma once

#include <atomic>
#include <string>

#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

class OutageStore final : public KvStore {
 public:
  OutageStore(KvStore& inner, std::string prefix) : inner_(inner), prefix_(std::move(prefix)) {}
  void fail() { failing_ = true; }

  Result<std::string> get(std::string_view key) const override {
    if (failing_ && key.starts_with(prefix_)) return unavailable("postgres: server closed the connection unexpectedly");
    return inner_.get(key);
  }
  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return inner_.scan(prefix, start);
  }
  Status write(const WriteBatch& batch, WriteOptions options) override { return inner_.write(batch, options); }
  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    return inner_.write_if(key, expected, batch);
  }
  std::unique_ptr<KvReader> snapshot() const override { return inner_.snapshot(); }
  bool shared() const override { return true; }

 private:
  KvStore& inner_;
  const std::string prefix_;
  std::atomic<bool> failing_ = false;
};

}  // namespace fleetgate::store
