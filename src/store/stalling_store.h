// For tests: a KvStore over another whose writes, or point reads of keys under a prefix, wait
// while a Stall holds them, as a disk that stops answering does; everything else passes. One
// Stall may hold the operations of several stores.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <utility>

#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

class Stall {
 public:
  // From now on the operations it guards wait, until release().
  void stall() {
    std::lock_guard lock(mu_);
    stalled_ = true;
  }
  // Lets every waiting and later operation through.
  void release() {
    {
      std::lock_guard lock(mu_);
      stalled_ = false;
    }
    cv_.notify_all();
  }
  // Waits until `n` operations are held; false when `limit` passed first.
  bool wait_for_held(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return held_ >= n; });
  }
  // Called by a guarded operation: returns once they are not stalled.
  void pass() {
    std::unique_lock lock(mu_);
    if (!stalled_) return;
    ++held_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !stalled_; });
    --held_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  size_t held_ = 0;
};

class StallingStore final : public KvStore {
 public:
  // Writes wait on `stall`. REQUIRES: `inner` and `stall` outlive the store and its users.
  StallingStore(KvStore& inner, Stall& stall) : inner_(inner), writes_(&stall) {}
  // Point reads of keys starting with `read_prefix` wait on `stall`; writes pass.
  StallingStore(KvStore& inner, Stall& stall, std::string read_prefix)
      : inner_(inner), reads_(&stall), read_prefix_(std::move(read_prefix)) {}

  Result<std::string> get(std::string_view key) const override {
    if (reads_ != nullptr && key.starts_with(read_prefix_)) reads_->pass();
    return inner_.get(key);
  }
  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return inner_.scan(prefix, start);
  }
  Status write(const WriteBatch& batch, WriteOptions options) override {
    if (writes_ != nullptr) writes_->pass();
    return inner_.write(batch, options);
  }
  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    if (writes_ != nullptr) writes_->pass();
    return inner_.write_if(key, expected, batch);
  }
  std::unique_ptr<KvReader> snapshot() const override { return inner_.snapshot(); }
  Result<std::unique_ptr<KvLock>> lock(std::string_view name) override { return inner_.lock(name); }
  void begin_deferred_sync() override { inner_.begin_deferred_sync(); }
  Status end_deferred_sync() override { return inner_.end_deferred_sync(); }
  bool shared() const override { return inner_.shared(); }

 private:
  KvStore& inner_;
  Stall* writes_ = nullptr;
  Stall* reads_ = nullptr;
  const std::string read_prefix_;
};

}  // namespace fleetgate::store
