#include "fleetgate/assistant/circuit_breaker.h"

#include <utility>

namespace fleetgate::assistant {

std::string_view to_string(BreakerState s) {
  switch (s) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kOpen: return "open";
    case BreakerState::kHalfOpen: return "half_open";
  }
  return "unknown";
}

CircuitBreaker::CircuitBreaker(BreakerOptions options, SteadyNow now) : options_(options), now_(std::move(now)) {}

bool CircuitBreaker::cooled_down() const { return now_() - opened_at_ >= options_.cool_down; }

bool CircuitBreaker::allow() {
  std::lock_guard lock(mu_);
  if (state_ == BreakerState::kClosed) return true;
  if (state_ == BreakerState::kOpen) {
    if (!cooled_down()) return false;
    state_ = BreakerState::kHalfOpen;
  }
  if (probe_in_flight_) return false;
  probe_in_flight_ = true;
  return true;
}

void CircuitBreaker::record_success() {
  std::lock_guard lock(mu_);
  state_ = BreakerState::kClosed;
  failures_ = 0;
  probe_in_flight_ = false;
}

bool CircuitBreaker::record_failure() {
  std::lock_guard lock(mu_);
  ++failures_;
  probe_in_flight_ = false;
  if (state_ == BreakerState::kHalfOpen || (state_ == BreakerState::kClosed && failures_ >= options_.failure_threshold)) {
    state_ = BreakerState::kOpen;
    opened_at_ = now_();
    return true;
  }
  return false;
}

void CircuitBreaker::record_abandoned() {
  std::lock_guard lock(mu_);
  probe_in_flight_ = false;
}

BreakerState CircuitBreaker::state() const {
  std::lock_guard lock(mu_);
  if (state_ == BreakerState::kOpen && cooled_down()) return BreakerState::kHalfOpen;
  return state_;
}

uint32_t CircuitBreaker::consecutive_failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace fleetgate::assistant
