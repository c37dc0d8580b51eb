// The on-board engine: an offline provider that needs no model weights. It reads the last user
// message with parse_intent() and answers like any OpenAI-compatible provider:
//  - a vehicle request becomes one call of the offered tool that does it (tool_binder.h: the
//    app's own tools under the app's own names and schemas, classified by what they do), its
//    arguments written to that tool's schema and validated against it;
//  - when the conversation ends with tool results, a short confirmation (or the failure the
//    result reports: a JSON object with "error", "ok": false or "status" error/failed/refused),
//    the call found by tool_call_id and read back into the catalogue's terms;
//  - greetings, "what can you do", missing values, requests no offered tool does and requests it
//    cannot serve get short honest answers saying what it understood or can control.
// Answers are in the user's language (en, zh, de). Tools: those the request offers in `tools`, or
// the catalogue (vehicle_tools.h) when it offers none; only the named one under tool_choice
// {function}; none under "none", where it says what it understood without calling anything. It
// never invents a call (nor a required value) it did not understand, even under tool_choice
// "required". Usage is estimated with usage_estimate.h. Deterministic: the same request and meta
// give the same output.
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
