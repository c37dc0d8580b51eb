#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::ledger {

Status validate(const UsageRecord& r) {
  const std::pair<const char*, const std::string*> required[] = {
      {"region", &r.region},     {"market", &r.market}, {"feature", &r.feature},
      {"provider", &r.provider}, {"model", &r.model},   {"outcome", &r.outcome}};
  for (const auto& [name, value] : required) {
    if (value->empty()) return invalid_argument(std::string("usage record: missing ") + name);
  }
  if (r.outcome != "ok" && r.outcome != "error" && r.outcome != "refused" && r.outcome != "cancelled" &&
      r.outcome != "over_budget") {
    return invalid_argument("usage record: outcome '" + r.outcome + "' is not ok, error, refused, cancelled or over_budget");
  }
  const std::pair<const char*, int64_t> counts[] = {
      {"prompt_tokens", r.prompt_tokens},       {"completion_tokens", r.completion_tokens},
      {"cached_tokens", r.cached_tokens},       {"reasoning_tokens", r.reasoning_tokens},
      {"tool_calls", r.tool_calls},             {"refused_tool_calls", r.refused_tool_calls},
      {"latency_us", r.latency_us}};
  for (const auto& [name, value] : counts) {
    if (value < 0) return invalid_argument(std::string("usage record: negative ") + name);
  }
  for (const auto& [name, value] : {std::pair{"prompt_tokens", r.prompt_tokens}, std::pair{"completion_tokens", r.completion_tokens}}) {
    if (value > kMaxTokensPerRecord) {
      return invalid_argument(std::string("usage record: ") + name + " above " + std::to_string(kMaxTokensPerRecord));
    }
  }
  if (r.cached_tokens > r.prompt_tokens) return invalid_argument("usage record: cached_tokens > prompt_tokens");
  if (r.refused_tool_calls > r.tool_calls) {
    return invalid_argument("usage record: refused_tool_calls > tool_calls");
  }
  return Status::ok();
}

Status UsageLog::check(const UsageRecord& r) const {
  if (auto s = validate(r); !s.is_ok()) return s;
  if (r.region != region()) {
    return invalid_argument("usage record of region '" + r.region + "' does not belong in the " + region() +
                            " usage log");
  }
  return Status::ok();
}

Status UsageLog::append(UsageRecord record) { return append_all(std::span<const UsageRecord>(&record, 1)); }

}  // namespace fleetgate::ledger
