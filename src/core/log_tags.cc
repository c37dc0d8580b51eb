#include "fleetgate/core/log_tags.h"

#include <cstdint>

#include "fleetgate/core/digest.h"

namespace fleetgate {
namespace {

thread_local const LogTags* current = nullptr;

}  // namespace

LogScope::LogScope(const LogTags& tags) : previous_(current) { current = &tags; }
LogScope::~LogScope() { current = previous_; }

const LogTags* current_log_tags() { return current; }

std::string next_request_id() {
  thread_local const std::string prefix = "req_" + random_token(12) + "_";
  thread_local uint64_t count = 0;
  return prefix + std::to_string(++count);
}

}  // namespace fleetgate
