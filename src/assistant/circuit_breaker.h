// CircuitBreaker: per-provider failure gate. Closed lets everything through; `failure_threshold`
// consecutive failures open it; while open nothing goes out until `cool_down` has passed, then it
// is half-open and admits one probe at a time: a success closes it, a failure opens it again.
// Thread-safe. The clock is injectable so tests can move time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>

namespace fleetgate::assistant {

enum class BreakerState { kClosed, kOpen, kHalfOpen };
std::string_view to_string(BreakerState s);  // "closed", "open", "half_open"

struct BreakerOptions {
  uint32_t failure_threshold = 5;               // consecutive failures that open the circuit
  std::chrono::milliseconds cool_down{30000};   // time open before a probe is let through
};

using SteadyNow = std::function<std::chrono::steady_clock::time_point()>;

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerOptions options = {}, SteadyNow now = std::chrono::steady_clock::now);

  // May a request go out now? When true in the half-open state the caller holds the single probe
  // slot and must report back with record_success, record_failure or record_abandoned.
  bool allow();
  void record_success();
  // Whether this failure opened the circuit (it was closed or half-open): the caller logs that.
  bool record_failure();
  // The admitted request ended without a verdict on the provider (e.g. cancelled by the caller).
  void record_abandoned();

  // The current state; an open circuit whose cool-down has passed reports kHalfOpen.
  BreakerState state() const;
  uint32_t consecutive_failures() const;

 private:
  bool cooled_down() const;

  const BreakerOptions options_;
  const SteadyNow now_;
  mutable std::mutex mu_;
  BreakerState state_ = BreakerState::kClosed;
  uint32_t failures_ = 0;
  bool probe_in_flight_ = false;
  std::chrono::steady_clock::time_point opened_at_{};
};

}  // namespace fleetgate::assistant
