// For tests: a KvStore over another whose writes wait while a WriteStall holds them, as a disk
// that stops answering does; reads pass. One WriteStall may hold the writes of several stores.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>

#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

class WriteStall {
 public:
  // From now on writes wait, until release().
  void stall() {
    std::lock_guard lock(mu_);
    stalled_ = true;
  }
  // Lets every waiting and later write through.
  void release() {
    {
      std::lock_guard lock(mu_);
      stalled_ = false;
    }
    cv_.notify_all();
  }
  // Waits until `n` writes are held; false when `limit` passed first.
  bool wait_for_held(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return held_ >= n; });
  }
  // Called by a write: returns once the writes are not stalled.
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
  // REQUIRES: `inner` and `stall` outlive the store and everything that writes through it.
  StallingStore(KvStore& inner, WriteStall& stall) : inner_(inner), stall_(stall) {}

  Result<std::string> get(std::string_view key) const override { return inner_.get(key); }
  std::unique_ptr<KvIterator> scan(std::string_view prefix, std::string_view start) const override {
    return inner_.scan(prefix, start);
  }
  Status write(const WriteBatch& batch, WriteOptions options) override {
    stall_.pass();
    return inner_.write(batch, options);
  }
  Status write_if(std::string_view key, const std::optional<std::string>& expected, const WriteBatch& batch) override {
    stall_.pass();
    return inner_.write_if(key, expected, batch);
  }
  std::unique_ptr<KvReader> snapshot() const override { return inner_.snapshot(); }

 private:
  KvStore& inner_;
  WriteStall& stall_;
};

}  // namespace fleetgate::store
