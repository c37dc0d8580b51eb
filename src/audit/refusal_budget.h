// How many refusals of one caller (requests denied for residency or scope) reach the audit chain.
// Each entry costs an fsync, so refused requests must not be a cheap way to flood the chain: per
// caller, the first kPerMinute refusals of each clock minute are written; later ones in that
// minute are only counted, and the caller's next written refusal carries that count as
// details.suppressed. Thread-safe; memory holds only callers refused in the current minute or
// with a count still to report.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace fleetgate::audit {

class RefusalBudget {
 public:
  static constexpr uint32_t kPerMinute = 10;

  // Whether `actor`'s refusal at `now_ms` is written: nullopt when it is only counted, else how
  // many of the actor's refusals were counted without an entry since its last written one.
  std::optional<uint64_t> admit(std::string_view actor, int64_t now_ms);

 private:
  struct Caller {
    uint32_t written = 0;     // entries written in minute_
    uint64_t suppressed = 0;  // refusals counted since the last written one
  };
  // Starts minute `minute`: forgets callers with nothing left to report.
  void roll_to(int64_t minute);

  std::mutex mu_;
  int64_t minute_ = 0;
  std::unordered_map<std::string, Caller> callers_;
};

}  // namespace fleetgate::audit
