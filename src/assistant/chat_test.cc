#include "fleetgate/assistant/chat.h"

#include <gtest/gtest.h>

#include "fleetgate/assistant/utf8.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

constexpr std::string_view kFullRequest = R"({
  "model": "deepseek-chat",
  "messages": [
    {"role": "system", "content": "You are a car assistant."},
    {"role": "user", "content": [{"type": "text", "text": "open"}, {"type": "image_url", "image_url": {"url": "data:x"}},
                                 {"type": "text", "text": "the trunk"}], "name": "driver"},
    {"role": "assistant", "content": null,
     "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "trunk", "arguments": "{\"action\":\"open\"}"}}],
     "reasoning_content": "kept"},
    {"role": "tool", "tool_call_id": "call_1", "content": "{\"ok\":true}"},
    {"role": "developer", "content": "be brief"}
  ],
  "tools": [{"type": "function", "function": {"name": "trunk", "parameters": {"type": "object"}}},
            {"type": "function", "function": {"name": "lock"}}],
  "tool_choice": {"type": "function", "function": {"name": "lock"}},
  "stream": true,
  "stream_options": {"include_usage": true},
  "max_tokens": 100,
  "max_completion_tokens": 50,
  "temperature": 0.7,
  "top_p": 1,
  "reasoning_effort": "low",
  "metadata": {"vin": "pseudonym"}
})";

TEST(ChatRequest, ParsesEveryFieldTheGatewayUses) {
  auto r = parse_chat_request(kFullRequest);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  const ChatRequest& req = *r;
  EXPECT_EQ(req.model, "deepseek-chat");
  ASSERT_EQ(req.messages.size(), 5u);
  EXPECT_EQ(req.messages[0].role, Role::kSystem);
  EXPECT_EQ(req.messages[1].text, "open\nthe trunk");
  EXPECT_EQ(req.messages[1].image_parts, 1u);
  ASSERT_EQ(req.messages[2].tool_calls.size(), 1u);
  EXPECT_EQ(req.messages[2].tool_calls[0], (ToolCall{"call_1", "trunk", R"({"action":"open"})"}));
  EXPECT_EQ(req.messages[3].tool_call_id, "call_1");
  EXPECT_EQ(req.messages[4].role, Role::kSystem) << "developer is the system role";
  ASSERT_EQ(req.tools.size(), 2u);
  EXPECT_EQ(req.tools[0].name, "trunk");
  EXPECT_EQ(req.tools[1].name, "lock");
  EXPECT_EQ(req.tool_choice.mode, ToolChoice::Mode::kFunction);
  EXPECT_EQ(req.tool_choice.function, "lock");
  EXPECT_TRUE(req.stream);
  EXPECT_TRUE(req.include_usage);
  EXPECT_EQ(req.max_tokens, 50) << "max_completion_tokens wins over the legacy max_tokens";
  EXPECT_DOUBLE_EQ(req.temperature.value(), 0.7);
  EXPECT_DOUBLE_EQ(req.top_p.value(), 1.0);
}

TEST(ChatRequest, KeepsUnknownFieldsForUpstream) {
  auto r = parse_chat_request(kFullRequest);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->body.at("reasoning_effort"), "low");
  EXPECT_EQ(r->body.at("metadata").at("vin"), "pseudonym");
  EXPECT_EQ(r->body.at("messages").at(2).at("reasoning_content"), "kept");
  EXPECT_EQ(r->body, json::parse(kFullRequest).as_object()) << "the body is passed on exactly as received";
}

TEST(ChatRequest, DefaultsWhenOptionalFieldsAreAbsentOrNull) {
  auto r = parse_chat_request(R"({"model":"m","messages":[{"role":"user","content":"hi"}],"tools":null,"temperature":null})");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_FALSE(r->stream);
  EXPECT_FALSE(r->include_usage);
  EXPECT_TRUE(r->tools.empty());
  EXPECT_EQ(r->tool_choice.mode, ToolChoice::Mode::kAuto);
  EXPECT_FALSE(r->max_tokens.has_value());
  EXPECT_FALSE(r->temperature.has_value());
}

struct BadRequest {
  std::string body;
  std::string error;
};

std::string with_messages(const std::string& messages, const std::string& extra = "") {
  return R"({"model":"m","messages":)" + messages + extra + "}";
}

const std::string kHello = R"([{"role":"user","content":"hi"}])";

TEST(ChatRequest, RejectsBadInputWithThePathAndReason) {
  const BadRequest cases[] = {
      {"{", "request body: invalid JSON"},
      {"[1]", "request body: must be a JSON object"},
      {R"({"messages":[]})", "model: is required"},
      {R"({"model":"","messages":[]})", "model: must be a non-empty string"},
      {R"({"model":"m"})", "messages: must be a non-empty array"},
      {with_messages("[]"), "messages: must be a non-empty array"},
      {with_messages(R"("hi")"), "messages: must be a non-empty array"},
      {with_messages("[1]"), "messages[0]: must be an object"},
      {with_messages(R"([{"content":"x"}])"), "messages[0].role: is required"},
      {with_messages(R"([{"role":"user","content":"a"},{"role":"user","content":"b"},{"role":"robot","content":"c"}])"),
       "messages[2].role: unknown role 'robot'"},
      {with_messages(R"([{"role":"user"}])"), "messages[0].content: is required"},
      {with_messages(R"([{"role":"user","content":5}])"), "messages[0].content: must be a string or an array of content parts"},
      {with_messages(R"([{"role":"user","content":[{"type":"text","text":"a"},{"type":"video"}]}])"),
       "messages[0].content[1].type: unknown content part type 'video' (expected text or image_url)"},
      {with_messages(R"([{"role":"user","content":[{"type":"text"}]}])"), "messages[0].content[0].text: is required"},
      {with_messages(R"([{"role":"user","content":[{"type":"image_url","image_url":{}}]}])"),
       "messages[0].content[0].image_url.url: is required"},
      {with_messages(R"([{"role":"system","content":[{"type":"image_url","image_url":{"url":"u"}}]}])"),
       "messages[0].content[0]: image_url parts are only allowed in user messages"},
      {with_messages(R"([{"role":"user","content":"a"},{"role":"assistant"}])"),
       "messages[1].content: is required unless tool_calls is set"},
      {with_messages(R"([{"role":"user","content":"a","tool_calls":[]}])"), "messages[0].tool_calls: only allowed in assistant messages"},
      {with_messages(R"([{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f"}}]}])"),
       "messages[0].tool_calls[0].function.arguments: is required"},
      {with_messages(R"([{"role":"tool","content":"ok"}])"), "messages[0].tool_call_id: is required"},
      {with_messages(kHello, R"(,"tools":{})"), "tools: must be an array"},
      {with_messages(kHello, R"(,"tools":[{"type":"code","function":{"name":"f"}}])"), "tools[0].type: must be 'function'"},
      {with_messages(kHello, R"(,"tools":[{"type":"function","function":{"name":"open trunk"}}])"),
       "tools[0].function.name: must be 1-64 letters, digits, _, - or ."},
      {with_messages(kHello, R"(,"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"f"}}])"),
       "tools[1].function.name: duplicate function 'f'"},
      {with_messages(kHello, R"(,"tools":[{"type":"function","function":{"name":"f","parameters":[]}}])"),
       "tools[0].function.parameters: must be an object"},
      {with_messages(kHello, R"(,"tool_choice":"maybe")"), "tool_choice: must be 'none', 'auto', 'required' or a function object"},
      {with_messages(kHello, R"(,"tool_choice":"required")"), "tool_choice: 'required' needs tools"},
      {with_messages(kHello, R"(,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}})"),
       "tool_choice.function.name: function 'g' is not in tools"},
      {with_messages(kHello, R"(,"stream":"yes")"), "stream: must be a boolean"},
      {with_messages(kHello, R"(,"stream_options":{"include_usage":true})"), "stream_options: only allowed when stream is true"},
      {with_messages(kHello, R"(,"stream":true,"stream_options":{"include_usage":1})"),
       "stream_options.include_usage: must be a boolean"},
      {with_messages(kHello, R"(,"max_tokens":0)"), "max_tokens: must be a positive integer"},
      {with_messages(kHello, R"(,"max_completion_tokens":1.5)"), "max_completion_tokens: must be a positive integer"},
      // Found by chat_request_fuzz: converting these to an integer was undefined behaviour (UBSan).
      {with_messages(kHello, R"(,"max_tokens":1e300)"), "max_tokens: must be a positive integer"},
      {with_messages(kHello, R"(,"max_completion_tokens":-9.3e18)"), "max_completion_tokens: must be a positive integer"},
      {with_messages(kHello, R"(,"temperature":3)"), "temperature: must be between 0 and 2"},
      {with_messages(kHello, R"(,"top_p":"high")"), "top_p: must be a number"},
  };
  for (const BadRequest& c : cases) {
    auto r = parse_chat_request(c.body);
    ASSERT_FALSE(r.is_ok()) << c.body;
    EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(r.status().message().substr(0, c.error.size()), c.error) << c.body;
  }
}

TEST(ChatRequest, LastUserTextSkipsLaterAssistantAndToolMessages) {
  auto r = parse_chat_request(kFullRequest);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(last_user_text(*r), "open\nthe trunk");
  auto none = parse_chat_request(with_messages(R"([{"role":"system","content":"s"}])"));
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(last_user_text(*none), "");
}

bool valid_utf8(std::string_view s) {
  for (size_t pos = 0; pos < s.size(); pos += utf8_at(s, pos).length) {
    if (utf8_at(s, pos).value == 0xFFFD) return false;
  }
  return true;
}

TEST(JsonText, WritesDoublesPlainly) {
  EXPECT_EQ(json_text(json::parse(R"({"celsius":21.5,"zone":"all","n":[1,0.25,true,null],"s":"\"q\""})")),
            R"({"celsius":21.5,"zone":"all","n":[1,0.25,true,null],"s":"\"q\""})");
  EXPECT_EQ(json_text(json::value(1e300)), "1e+300");
  EXPECT_EQ(json::parse(json_text(json::value(-0.1))), json::value(-0.1));
}

const CompletionMeta kMeta{"chatcmpl-42", "fleetgate-onboard", 1700000000};

TEST(Completion, HasTheOpenAIShape) {
  AssistantTurn turn;
  turn.content = "Done.";
  json::object c = make_completion(kMeta, turn, Usage{10, 3});
  EXPECT_EQ(c.at("id"), "chatcmpl-42");
  EXPECT_EQ(c.at("object"), "chat.completion");
  EXPECT_EQ(c.at("created"), 1700000000);
  EXPECT_EQ(c.at("model"), "fleetgate-onboard");
  const json::object& choice = c.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("index"), 0);
  EXPECT_EQ(choice.at("message").at("role"), "assistant");
  EXPECT_EQ(choice.at("message").at("content"), "Done.");
  EXPECT_FALSE(choice.at("message").as_object().contains("tool_calls"));
  EXPECT_EQ(choice.at("finish_reason"), "stop");
  EXPECT_EQ(c.at("usage"), json::parse(R"({"prompt_tokens":10,"completion_tokens":3,"total_tokens":13})"));
}

TEST(Completion, ToolCallsHaveNullContentAndRoundTrip) {
  AssistantTurn turn;
  turn.tool_calls = {{"call_a", "trunk", R"({"action":"open"})"}, {"call_b", "lock", R"({"locked":true})"}};
  turn.finish_reason = FinishReason::kToolCalls;
  json::object c = make_completion(kMeta, turn, Usage{});
  const json::object& message = c.at("choices").at(0).at("message").as_object();
  EXPECT_TRUE(message.at("content").is_null());
  EXPECT_EQ(message.at("tool_calls").at(1),
            json::parse(R"({"id":"call_b","type":"function","function":{"name":"lock","arguments":"{\"locked\":true}"}})"));
  auto back = turn_from_completion(c);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->tool_calls, turn.tool_calls);
  EXPECT_EQ(back->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(back->content, "");
}

TEST(Completion, ReadingBackRejectsWhatIsNotACompletion) {
  EXPECT_FALSE(turn_from_completion(json::parse(R"({"object":"chat.completion.chunk"})").as_object()).is_ok());
  EXPECT_FALSE(turn_from_completion(json::parse(R"({"object":"chat.completion","choices":[]})").as_object()).is_ok());
  auto bad_call = turn_from_completion(json::parse(
      R"({"object":"chat.completion","choices":[{"message":{"tool_calls":[{"id":"x","function":{"name":"f","arguments":{}}}]}}]})").as_object());
  ASSERT_FALSE(bad_call.is_ok());
  EXPECT_EQ(bad_call.status().message(), "completion.choices[0].message.tool_calls[0].function.arguments: must be a string");
}

TEST(Stream, ChunksReassembleIntoTheSameTurnWithoutSplittingCharacters) {
  AssistantTurn turn;
  turn.content = "好的，后备箱已打开。Erledigt: Kofferraum geöffnet.";
  turn.tool_calls = {{"call_x", "set_destination", R"({"destination":"上海虹桥站"})"}};
  turn.finish_reason = FinishReason::kToolCalls;
  auto chunks = stream_turn(kMeta, turn, Usage{7, 9}, 3);
  ASSERT_GE(chunks.size(), 4u);
  EXPECT_EQ(chunks.front().at("choices").at(0).at("delta").at("role"), "assistant");
  EXPECT_EQ(chunks[chunks.size() - 2].at("choices").at(0).at("finish_reason"), "tool_calls");
  EXPECT_TRUE(chunks.back().at("choices").as_array().empty());
  TurnAssembler assembler;
  for (const json::object& chunk : chunks) {
    EXPECT_EQ(chunk.at("object"), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("id"), "chatcmpl-42");
    const json::array& choices = chunk.at("choices").as_array();
    if (!choices.empty()) {
      if (const json::value* content = choices[0].at("delta").as_object().if_contains("content")) {
        EXPECT_LE(utf8_count(content->as_string()), 3u);
        EXPECT_TRUE(valid_utf8(content->as_string())) << content->as_string();
      }
    }
    ASSERT_TRUE(assembler.add(chunk).is_ok());
  }
  auto assembled = assembler.take_turn();
  ASSERT_TRUE(assembled.is_ok()) << assembled.status().to_string();
  EXPECT_EQ(assembled->content, turn.content);
  EXPECT_EQ(assembled->tool_calls, turn.tool_calls);
  EXPECT_EQ(assembled->finish_reason, FinishReason::kToolCalls);
  ASSERT_TRUE(assembler.usage().has_value());
  EXPECT_EQ(assembler.usage()->total_tokens(), 16);
}

TEST(Stream, NoUsageChunkUnlessAsked) {
  AssistantTurn turn;
  turn.content = "hi";
  auto chunks = stream_turn(kMeta, turn, std::nullopt);
  EXPECT_EQ(chunks.size(), 3u) << "role, content, finish";
  EXPECT_EQ(chunks.back().at("choices").at(0).at("finish_reason"), "stop");
}

TEST(Stream, AssemblerRejectsMalformedChunks) {
  TurnAssembler a;
  EXPECT_FALSE(a.add(json::parse(R"({"object":"chat.completion"})").as_object()).is_ok());
  const std::pair<const char*, const char*> broken[] = {
      {R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"c","function":{"name":"f"}}]}}]})",
       "index 1 before index 0"},
      {R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]})",
       "a new call without id and name"},
  };
  for (const auto& [chunk, why] : broken) {
    TurnAssembler b;
    ASSERT_TRUE(b.add(json::parse(chunk).as_object()).is_ok()) << why;
    EXPECT_FALSE(b.take_turn().is_ok()) << why;
  }
  EXPECT_TRUE(a.add(json::parse(R"({"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":"insufficient_system_resource"}]})").as_object()).is_ok());
  auto turn = a.take_turn();
  ASSERT_TRUE(turn.is_ok());
  EXPECT_EQ(turn->content, "ok");
  EXPECT_EQ(turn->finish_reason, FinishReason::kStop);
}

}  // namespace
}  // namespace fleetgate::assistant
