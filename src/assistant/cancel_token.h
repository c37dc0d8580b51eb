// CancelToken: a thread-safe, one-way "stop" signal a caller hands to the router and the upstream
// client (e.g. fired when the vehicle's connection goes away). Callbacks registered with
// on_cancel run exactly once, on the thread that calls cancel() (or at once if already cancelled).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace fleetgate::assistant {

class CancelToken {
 public:
  CancelToken() = default;
  CancelToken(const CancelToken&) = delete;
  CancelToken& operator=(const CancelToken&) = delete;

  // Fires the token: runs every registered callback once. Later calls do nothing.
  void cancel();
  bool cancelled() const;

  // Registers `fn` to run on cancel; runs it immediately when already cancelled. The returned
  // id removes it with forget(); callbacks must not call on_cancel/forget themselves.
  uint64_t on_cancel(std::function<void()> fn) const;
  // REQUIRES: id came from on_cancel. Once forget returns, the callback is not running and never will.
  void forget(uint64_t id) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;  // forget() waits here for a firing callback
  bool cancelled_ = false;
  bool firing_ = false;
  mutable uint64_t next_id_ = 1;
  mutable std::map<uint64_t, std::function<void()>> callbacks_;
};

// Registers a callback for the lifetime of a scope.
class CancelSubscription {
 public:
  CancelSubscription(const CancelToken& token, std::function<void()> fn);
  ~CancelSubscription();
  CancelSubscription(const CancelSubscription&) = delete;
  CancelSubscription& operator=(const CancelSubscription&) = delete;

 private:
  const CancelToken& token_;
  uint64_t id_;
};

}  // namespace fleetgate::assistant
