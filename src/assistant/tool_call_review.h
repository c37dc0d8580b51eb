// review_held: the one review of what an answer asks the car to do, for plain and streamed
// answers alike. Each held call passes review_tool_call (the request's offered tools or the
// catalogue, schema, interlocks by what the tool does); an unreadable choice is refused whole. Allowed calls leave with their arguments re-serialised from
// the parsed object that was reviewed, never as the provider's text, so the car reads exactly
// what was checked. apply_review writes the outcome back into the message or delta.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "fleetgate/assistant/held_tool_calls.h"
#include "fleetgate/assistant/interlocks.h"

namespace fleetgate::assistant {

struct ToolCallReview {
  std::vector<HeldCall> allowed;                                  // arguments re-serialised
  std::vector<std::pair<std::string, InterlockDecision>> refused;  // tool name, decision
  size_t calls() const { return allowed.size() + refused.size(); }
  std::string explanation() const;  // the refusals' messages, for the user
};

ToolCallReview review_held(const HeldChoice& held, const OfferedTools& offered, const VehicleState* state,
                           Clock::time_point now, const InterlockOptions& options, Language lang);

// Puts the allowed calls into `holder` (a message when `whole`, else a delta, whose calls then
// carry their "index") in the shape each came in, and the explanation of any refusal as its
// content. Returns the finish_reason the choice now has: "tool_calls" when a tool call is
// allowed, else "function_call" when the legacy call is, else "stop".
std::string_view apply_review(const ToolCallReview& review, boost::json::object& holder, bool whole);

}  // namespace fleetgate::assistant
