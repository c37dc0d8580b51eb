#include "fleetgate/ledger/usage_totals.h"

#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::ledger {

void UsageTotals::add(const UsageRecord& r) {
  ++records;
  if (r.outcome != "ok" && r.outcome != "cancelled") return;
  ++served;
  prompt_tokens += r.prompt_tokens;
  cached_tokens += r.cached_tokens;
  completion_tokens += r.completion_tokens;
  reasoning_tokens += r.reasoning_tokens;
  tool_calls += r.tool_calls;
  refused_tool_calls += r.refused_tool_calls;
  if (r.prompt_tokens >= kMaxTokensPerRecord || r.completion_tokens >= kMaxTokensPerRecord) ++outliers;
}

void UsageTotals::merge(const UsageTotals& other) {
  const auto mine = totals_fields(*this);
  const auto theirs = totals_fields(other);
  for (size_t i = 0; i < mine.size(); ++i) *mine[i] += *theirs[i];
}

}  // namespace fleetgate::ledger
