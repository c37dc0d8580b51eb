// OpenAI Chat Completions types, thin over Boost.JSON. parse_chat_request() validates the fields
// the gateway relies on and reports the first problem as "PATH: reason" (kInvalidArgument); the
// original body is kept whole, so fields it does not know pass through to upstream untouched.
// make_completion/make_chunk/stream_turn build chat.completion and chat.completion.chunk objects;
// TurnAssembler and turn_from_completion read them back strictly (the tests of what the on-board
// engine and the gateway send); streamed tool calls are put together by ToolCallHold, the
// gateway's own reader of providers' answers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fleetgate/assistant/held_tool_calls.h"
#include "fleetgate/core/json_text.h"  // json_text: tool-call arguments as providers write them
#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

// "developer" is OpenAI's newer name for the system role and is accepted as such.
enum class Role { kSystem, kUser, kAssistant, kTool };
std::string_view to_string(Role role);  // "system", "user", "assistant", "tool"

// A function call the assistant asks for; `arguments` is JSON text, exactly as a provider sent it.
struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments;
  bool operator==(const ToolCall&) const = default;
};

struct ChatMessage {
  Role role = Role::kUser;
  std::string text;                  // string content, or the text parts joined by "\n"
  size_t image_parts = 0;            // image_url parts (user messages only)
  std::vector<ToolCall> tool_calls;  // assistant messages only
  std::string tool_call_id;          // tool messages only: the call this result answers
};

// A function the client offers in `tools`, as it describes it.
struct FunctionDefinition {
  std::string name;
  std::string description;         // "" when absent
  boost::json::object parameters;  // its JSON schema; {} when absent
  bool operator==(const FunctionDefinition&) const = default;
};

struct ToolChoice {
  enum class Mode { kAuto, kNone, kRequired, kFunction };
  Mode mode = Mode::kAuto;
  std::string function;  // kFunction only
};

struct ChatRequest {
  boost::json::object body;               // the request as received, unknown fields included
  std::string model;
  std::vector<ChatMessage> messages;      // never empty after a successful parse
  std::vector<FunctionDefinition> tools;  // from `tools`, in order; may be empty
  ToolChoice tool_choice;
  bool stream = false;
  bool include_usage = false;             // stream_options.include_usage
  std::optional<int64_t> max_tokens;      // max_completion_tokens, else max_tokens
  std::optional<double> temperature;      // 0..2
  std::optional<double> top_p;            // 0..1
};

// Parses and validates a request body (JSON text) or an already parsed object.
Result<ChatRequest> parse_chat_request(std::string_view text);
Result<ChatRequest> parse_chat_request(boost::json::object body);

// The text of the last user message (text parts joined by "\n"), or "" when there is none.
std::string_view last_user_text(const ChatRequest& request);

// Read back from providers, "function_call" counts as kToolCalls and any other reason (e.g.
// DeepSeek's "insufficient_system_resource") as kStop.
enum class FinishReason { kStop, kLength, kToolCalls, kContentFilter };
std::string_view to_string(FinishReason reason);  // "stop", "length", "tool_calls", "content_filter"

// One assistant answer: text, tool calls, or both.
struct AssistantTurn {
  std::string content;
  std::vector<ToolCall> tool_calls;
  FinishReason finish_reason = FinishReason::kStop;
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t total_tokens() const { return prompt_tokens + completion_tokens; }
};

// What identifies one completion: set by whoever serves it.
struct CompletionMeta {
  std::string id;       // "chatcmpl-..."
  std::string model;
  int64_t created = 0;  // Unix seconds
};

// A whole chat.completion object with one choice.
boost::json::object make_completion(const CompletionMeta& meta, const AssistantTurn& turn, const Usage& usage);

// One piece of a streamed tool call. id and name are set on the first piece of a call only.
struct ToolCallDelta {
  size_t index = 0;
  std::string id;
  std::string name;
  std::string arguments;
};

struct ChunkDelta {
  bool role = false;                   // announce role "assistant" (first chunk)
  std::optional<std::string> content;
  std::vector<ToolCallDelta> tool_calls;
};

// One chat.completion.chunk with one choice; finish_reason is null unless given.
boost::json::object make_chunk(const CompletionMeta& meta, const ChunkDelta& delta,
                               std::optional<FinishReason> finish_reason = std::nullopt);

// The final chunk of a stream with stream_options.include_usage: empty choices and the usage.
boost::json::object make_usage_chunk(const CompletionMeta& meta, const Usage& usage);

// A complete turn as the chunks a provider would stream: the role, the content in pieces of at
// most `piece_codepoints` code points (never splitting a character), each tool call (its
// arguments in pieces too), the finish chunk, and the usage chunk when `usage` is given.
// REQUIRES: piece_codepoints > 0.
std::vector<boost::json::object> stream_turn(const CompletionMeta& meta, const AssistantTurn& turn,
                                             const std::optional<Usage>& usage,
                                             size_t piece_codepoints = 8);

// Rebuilds the turn of choice 0 from streamed chunks, in order. add() rejects a chunk that is not
// a chat.completion.chunk object; take_turn() rejects tool-call pieces that do not fit together.
class TurnAssembler {
 public:
  Status add(const boost::json::object& chunk);
  // The turn so far, its tool calls released from the hold. Once.
  Result<AssistantTurn> take_turn();
  const std::optional<Usage>& usage() const { return usage_; }

 private:
  AssistantTurn turn_;
  ToolCallHold calls_;
  std::optional<Usage> usage_;
};

// The turn of choices[0] of a chat.completion object.
Result<AssistantTurn> turn_from_completion(const boost::json::object& completion);

}  // namespace fleetgate::assistant
