// libFuzzer target: the gateway's reading of a vehicle's POST /v1/chat/completions body, as
// Gateway::chat runs it: parse_chat_request() (messages, tools, tool_choice, limits) and the
// language detection of the last user message. Properties: a refusal says why; an accepted request
// has messages, a tool_choice naming an offered function, limits in range, and reads back the same
// from its own JSON text.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/assistant/language.h"

namespace {

using namespace fleetgate::assistant;
using fleetgate::json_text;

bool same_request(const ChatRequest& a, const ChatRequest& b) {
  if (a.model != b.model || a.tools != b.tools || a.stream != b.stream ||
      a.include_usage != b.include_usage || a.max_tokens != b.max_tokens || a.temperature != b.temperature ||
      a.top_p != b.top_p || a.tool_choice.mode != b.tool_choice.mode || a.tool_choice.function != b.tool_choice.function ||
      a.messages.size() != b.messages.size()) {
    return false;
  }
  for (size_t i = 0; i < a.messages.size(); ++i) {
    const ChatMessage& x = a.messages[i];
    const ChatMessage& y = b.messages[i];
    if (x.role != y.role || x.text != y.text || x.image_parts != y.image_parts || x.tool_calls != y.tool_calls ||
        x.tool_call_id != y.tool_call_id) {
      return false;
    }
  }
  return true;
}

void check_accepted(const ChatRequest& r) {
  if (r.messages.empty()) __builtin_trap();
  if (r.temperature && !(*r.temperature >= 0 && *r.temperature <= 2)) __builtin_trap();
  if (r.top_p && !(*r.top_p >= 0 && *r.top_p <= 1)) __builtin_trap();
  if (r.tool_choice.mode == ToolChoice::Mode::kFunction &&
      std::none_of(r.tools.begin(), r.tools.end(), [&](const FunctionDefinition& f) { return f.name == r.tool_choice.function; })) {
    __builtin_trap();
  }
  auto again = parse_chat_request(json_text(r.body));
  if (!again.is_ok() || !same_request(r, *again)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto request = parse_chat_request(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!request.is_ok()) {
    if (request.status().message().empty()) __builtin_trap();
    return 0;
  }
  check_accepted(*request);
  (void)to_string(detect_language(last_user_text(*request)));
  return 0;
}
