#include "fleetgate/assistant/tool_call_review.h"

#include "fleetgate/assistant/chat.h"

namespace fleetgate::assistant {

namespace json = boost::json;

std::string ToolCallReview::explanation() const {
  std::string text;
  for (const auto& [name, d] : refused) text += (text.empty() ? "" : " ") + d.message;
  return text;
}

ToolCallReview review_held(const HeldChoice& held, const OfferedTools& offered, const VehicleState* state,
                           Clock::time_point now, const InterlockOptions& options, Language lang) {
  ToolCallReview r;
  if (!held.unreadable.empty()) {
    r.refused.emplace_back("", refuse_unreadable_tool_call(lang));
    return r;
  }
  for (const HeldCall& call : held.calls) {
    InterlockDecision d = review_tool_call(call.name, call.arguments, state, now, options, lang, offered);
    if (!d.allowed) {
      r.refused.emplace_back(call.name, std::move(d));
      continue;
    }
    r.allowed.push_back({call.shape, call.id, call.name, json_text(d.arguments)});
  }
  return r;
}

std::string_view apply_review(const ToolCallReview& review, json::object& holder, bool whole) {
  json::array tool_calls;
  std::string_view finish = "stop";
  for (const HeldCall& call : review.allowed) {
    json::object fn{{"name", call.name}, {"arguments", call.arguments}};
    if (call.shape == CallShape::kFunctionCall) {
      holder["function_call"] = std::move(fn);
      if (tool_calls.empty()) finish = "function_call";
      continue;
    }
    json::object out;
    if (!whole) out["index"] = tool_calls.size();
    out["id"] = call.id;
    out["type"] = "function";
    out["function"] = std::move(fn);
    tool_calls.push_back(std::move(out));
    finish = "tool_calls";
  }
  if (!tool_calls.empty()) holder["tool_calls"] = std::move(tool_calls);
  if (!review.refused.empty()) holder["content"] = review.explanation();
  return finish;
}

}  // namespace fleetgate::assistant
