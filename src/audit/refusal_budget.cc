#include "fleetgate/audit/refusal_budget.h"

#include <iterator>

namespace fleetgate::audit {

void RefusalBudget::roll_to(int64_t minute) {
  minute_ = minute;
  for (auto it = callers_.begin(); it != callers_.end();) {
    it->second.written = 0;
    it = it->second.suppressed == 0 ? callers_.erase(it) : std::next(it);
  }
}

std::optional<uint64_t> RefusalBudget::admit(std::string_view actor, int64_t now_ms) {
  const int64_t minute = now_ms / 60'000;
  std::lock_guard lock(mu_);
  if (minute != minute_) roll_to(minute);
  Caller& c = callers_[std::string(actor)];
  if (c.written >= kPerMinute) {
    ++c.suppressed;
    return std::nullopt;
  }
  ++c.written;
  const uint64_t suppressed = c.suppressed;
  c.suppressed = 0;
  return suppressed;
}

}  // namespace fleetgate::audit
