// ToolCallHold: the tool calls of one answer, taken out of it as a provider sent them and held for
// review. It collects every shape a client library acts on: `tool_calls` (an array of calls) and
// the legacy `function_call` (one call), whole from a chat.completion message or in pieces from
// chat.completion.chunk deltas, so the plain and the streamed answer go through the same code.
// A part that cannot be read (tool_calls not an array, a call or function_call not an object, a
// name, id or arguments not a string, an index that is not an integer naming a begun or the next
// call) is dropped and marks its choice unreadable; the review then refuses the whole choice.
// Per answer the hold takes at most HoldLimits; past them take_from fails (kResourceExhausted).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

// The shape a call came in, which is the shape it leaves in when allowed.
enum class CallShape { kToolCall, kFunctionCall };

struct HeldCall {
  CallShape shape = CallShape::kToolCall;
  std::string id;         // tool calls only
  std::string name;
  std::string arguments;  // JSON text, as the provider sent it
};

// What one choice of an answer asks the car to do.
struct HeldChoice {
  std::vector<HeldCall> calls;  // tool calls by index, then the function_call, if any
  std::string unreadable;       // the first part that could not be read; "" when none
  bool empty() const { return calls.empty() && unreadable.empty(); }
};

struct HoldLimits {
  size_t max_calls = 128;         // calls per answer, over all its choices
  size_t max_bytes = 256 * 1024;  // bytes of call ids, names and arguments per answer
};

class ToolCallHold {
 public:
  explicit ToolCallHold(HoldLimits limits = {}) : limits_(limits) {}

  // Moves `tool_calls` and `function_call` out of `holder` (a message when `whole`, else a
  // delta) and holds them for choice `choice`. Returns whether `holder` had either member.
  // kResourceExhausted when the answer goes past the limits; nothing more is held then.
  Result<bool> take_from(size_t choice, boost::json::object& holder, bool whole);

  bool holds(size_t choice) const { return held_.contains(choice); }
  std::vector<size_t> holding() const;  // the choices holding something, in order
  // Removes and returns what `choice` holds (empty when nothing).
  HeldChoice release(size_t choice);
  // Bytes of call text taken in this answer so far, released ones included.
  size_t bytes() const { return bytes_; }

 private:
  struct Pending {
    std::vector<HeldCall> tool_calls;
    std::optional<HeldCall> function_call;
    std::string unreadable;
  };
  Status take_tool_calls(Pending& p, const boost::json::value& v, bool whole);
  Status take_tool_call(Pending& p, const boost::json::value& v, size_t position, bool whole);
  Status take_function_call(Pending& p, const boost::json::value& v, bool whole);
  Status append(std::string& to, const boost::json::value* piece);  // counts bytes against the limit
  Status new_call();                                                // counts calls against the limit

  HoldLimits limits_;
  std::map<size_t, Pending> held_;
  size_t bytes_ = 0;
  size_t calls_ = 0;
};

}  // namespace fleetgate::assistant
