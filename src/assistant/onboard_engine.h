// The on-board engine: an offline provider that needs no model weights. It reads the last user
// message with parse_intent() and answers like any OpenAI-compatible provider:
//  - a vehicle request becomes one tool call whose arguments satisfy the catalogue schema;
//  - when the conversation ends with tool results, a short confirmation (or the failure the
//    result reports: a JSON object with "error", "ok": false or "status" error/failed/refused);
//  - greetings, "what can you do", missing values and requests it cannot serve get short
//    honest answers listing what it can control.
// Answers are in the user's language (en, zh, de). Usable tools: the catalogue tools the request
// offers in `tools`, or the whole catalogue when it offers none (the gateway advertises the
// catalogue then); only the named one under tool_choice {function}, none under "none". It never
// invents a call it did not understand, even under tool_choice "required". Usage is estimated
// with usage_estimate.h. Deterministic: the same request and meta give the same output.
#pragma once

#include <cstddef>
#include <vector>

#include <boost/json.hpp>

#include "fleetgate/assistant/chat.h"

namespace fleetgate::assistant {

struct OnboardOptions {
  size_t stream_piece_codepoints = 8;  // content and arguments per streamed chunk
};

class OnboardEngine {
 public:
  explicit OnboardEngine(OnboardOptions options = {}) : options_(options) {}

  // The answer to a parsed request. Tool call ids are "call_<meta.id>_<n>".
  AssistantTurn respond(const ChatRequest& request, const CompletionMeta& meta) const;

  // respond() as a chat.completion object with estimated usage.
  boost::json::object complete(const ChatRequest& request, const CompletionMeta& meta) const;

  // respond() as chat.completion.chunk objects (stream_turn), ending with a usage chunk when the
  // request set stream_options.include_usage.
  std::vector<boost::json::object> stream(const ChatRequest& request, const CompletionMeta& meta) const;

 private:
  OnboardOptions options_;
};

}  // namespace fleetgate::assistant
