#include "fleetgate/assistant/usage_estimate.h"

#include "fleetgate/assistant/utf8.h"

namespace fleetgate::assistant {

namespace {

constexpr int64_t kMessageFraming = 4;

int64_t tool_call_tokens(const std::vector<ToolCall>& calls) {
  int64_t n = 0;
  for (const ToolCall& call : calls) n += estimate_tokens(call.name) + estimate_tokens(call.arguments);
  return n;
}

}  // namespace

int64_t estimate_tokens(std::string_view utf8) {
  int64_t ascii = 0, other = 0;
  for (size_t pos = 0; pos < utf8.size();) {
    CodePoint cp = utf8_at(utf8, pos);
    (cp.value < 0x80 ? ascii : other) += 1;
    pos += cp.length;
  }
  return (ascii + 3) / 4 + other;
}

Usage estimate_usage(const ChatRequest& request, const AssistantTurn& turn) {
  Usage usage;
  for (const ChatMessage& m : request.messages) {
    usage.prompt_tokens += kMessageFraming + estimate_tokens(m.text) + tool_call_tokens(m.tool_calls);
  }
  if (const boost::json::value* tools = request.body.if_contains("tools")) {
    usage.prompt_tokens += estimate_tokens(boost::json::serialize(*tools));
  }
  usage.completion_tokens = estimate_tokens(turn.content) + tool_call_tokens(turn.tool_calls);
  return usage;
}

}  // namespace fleetgate::assistant
