#include "fleetgate/assistant/chat.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include <fmt/format.h>

#include "fleetgate/assistant/utf8.h"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

Status field_error(std::string_view path, std::string_view reason) {
  return invalid_argument(std::string(path) + ": " + std::string(reason));
}

std::string indexed(std::string_view path, size_t i) {
  return std::string(path) + "[" + std::to_string(i) + "]";
}

std::string member(std::string_view path, std::string_view name) {
  return std::string(path) + "." + std::string(name);
}

// A member that is present and not null.
const json::value* present(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && !v->is_null() ? v : nullptr;
}

std::optional<int64_t> as_integer(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) return static_cast<int64_t>(v.get_uint64());
  if (v.is_double()) {
    double d = v.get_double();
    // Range first: converting a double outside int64's range is undefined behaviour.
    if (d >= -9e18 && d <= 9e18 && d == std::trunc(d)) return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

Result<std::string> required_string(const json::object& o, std::string_view key, std::string_view path) {
  const json::value* v = present(o, key);
  if (v == nullptr) return field_error(member(path, key), "is required");
  if (!v->is_string()) return field_error(member(path, key), "must be a string");
  return std::string(v->get_string());
}

std::optional<Role> parse_role(std::string_view s) {
  if (s == "system" || s == "developer") return Role::kSystem;
  if (s == "user") return Role::kUser;
  if (s == "assistant") return Role::kAssistant;
  if (s == "tool") return Role::kTool;
  return std::nullopt;
}

// OpenAI's a-z, A-Z, 0-9, _ and -, plus what apps name their functions with on other providers:
// dots (Vercel AI SDK's "vehicle.windows.open") and letters beyond ASCII ("打开尾门").
bool valid_function_name(std::string_view name) {
  size_t count = 0;
  for (size_t pos = 0; pos < name.size(); ++count) {
    CodePoint cp = utf8_at(name, pos);
    char32_t c = cp.value;
    bool ascii_ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
    bool letter_ok = c >= 0x80 && c != 0xFFFD && !(c >= 0x2000 && c <= 0x206F) && c != 0x3000;
    if (!ascii_ok && !letter_ok) return false;
    pos += cp.length;
  }
  return count >= 1 && count <= 64;
}

bool offers(const ChatRequest& req, std::string_view name) {
  return std::any_of(req.tools.begin(), req.tools.end(), [&](const FunctionDefinition& f) { return f.name == name; });
}

Status parse_content_part(const json::value& part, Role role, const std::string& path, ChatMessage& out) {
  const json::object* o = part.if_object();
  if (o == nullptr) return field_error(path, "must be an object");
  auto type = required_string(*o, "type", path);
  if (!type) return type.status();
  if (*type == "text") {
    auto text = required_string(*o, "text", path);
    if (!text) return text.status();
    if (!out.text.empty()) out.text += "\n";
    out.text += *text;
    return Status::ok();
  }
  if (*type == "image_url") {
    if (role != Role::kUser) return field_error(path, "image_url parts are only allowed in user messages");
    const json::value* image = present(*o, "image_url");
    if (image == nullptr || !image->is_object()) return field_error(member(path, "image_url"), "must be an object");
    auto url = required_string(image->get_object(), "url", member(path, "image_url"));
    if (!url) return url.status();
    ++out.image_parts;
    return Status::ok();
  }
  return field_error(member(path, "type"), "unknown content part type '" + *type + "' (expected text or image_url)");
}

Status parse_content(const json::value& content, Role role, const std::string& path, ChatMessage& out) {
  if (content.is_string()) {
    out.text = std::string(content.get_string());
    return Status::ok();
  }
  const json::array* parts = content.if_array();
  if (parts == nullptr) return field_error(path, "must be a string or an array of content parts");
  for (size_t i = 0; i < parts->size(); ++i) {
    if (Status s = parse_content_part((*parts)[i], role, indexed(path, i), out); !s.is_ok()) return s;
  }
  return Status::ok();
}

Result<std::vector<ToolCall>> parse_tool_calls(const json::value& v, const std::string& path) {
  const json::array* calls = v.if_array();
  if (calls == nullptr) return field_error(path, "must be an array");
  std::vector<ToolCall> out;
  for (size_t i = 0; i < calls->size(); ++i) {
    std::string at = indexed(path, i);
    const json::object* call = (*calls)[i].if_object();
    if (call == nullptr) return field_error(at, "must be an object");
    auto id = required_string(*call, "id", at);
    if (!id) return id.status();
    if (const json::value* type = present(*call, "type"); type != nullptr && *type != "function") {
      return field_error(member(at, "type"), "must be 'function'");
    }
    const json::value* fn = present(*call, "function");
    if (fn == nullptr || !fn->is_object()) return field_error(member(at, "function"), "must be an object");
    auto name = required_string(fn->get_object(), "name", member(at, "function"));
    if (!name) return name.status();
    auto arguments = required_string(fn->get_object(), "arguments", member(at, "function"));
    if (!arguments) return arguments.status();
    out.push_back({std::move(*id), std::move(*name), std::move(*arguments)});
  }
  return out;
}

Result<ChatMessage> parse_message(const json::value& v, const std::string& path) {
  const json::object* o = v.if_object();
  if (o == nullptr) return field_error(path, "must be an object");
  auto role_name = required_string(*o, "role", path);
  if (!role_name) return role_name.status();
  std::optional<Role> role = parse_role(*role_name);
  if (!role) return field_error(member(path, "role"), "unknown role '" + *role_name + "'");
  ChatMessage m;
  m.role = *role;
  if (const json::value* calls = present(*o, "tool_calls")) {
    if (m.role != Role::kAssistant) return field_error(member(path, "tool_calls"), "only allowed in assistant messages");
    auto parsed = parse_tool_calls(*calls, member(path, "tool_calls"));
    if (!parsed) return parsed.status();
    m.tool_calls = std::move(*parsed);
  }
  const json::value* content = present(*o, "content");
  if (content != nullptr) {
    if (Status s = parse_content(*content, m.role, member(path, "content"), m); !s.is_ok()) return s;
  } else if (m.role != Role::kAssistant || m.tool_calls.empty()) {
    return field_error(member(path, "content"),
                       m.role == Role::kAssistant ? "is required unless tool_calls is set" : "is required");
  }
  if (m.role == Role::kTool) {
    auto id = required_string(*o, "tool_call_id", path);
    if (!id) return id.status();
    m.tool_call_id = std::move(*id);
  }
  return m;
}

Status parse_messages(const json::object& body, ChatRequest& req) {
  const json::value* v = present(body, "messages");
  if (v == nullptr || !v->is_array() || v->get_array().empty()) {
    return field_error("messages", "must be a non-empty array");
  }
  const json::array& messages = v->get_array();
  for (size_t i = 0; i < messages.size(); ++i) {
    auto m = parse_message(messages[i], indexed("messages", i));
    if (!m) return m.status();
    req.messages.push_back(std::move(*m));
  }
  return Status::ok();
}

Status parse_tools(const json::object& body, ChatRequest& req) {
  const json::value* v = present(body, "tools");
  if (v == nullptr) return Status::ok();
  if (!v->is_array()) return field_error("tools", "must be an array");
  const json::array& tools = v->get_array();
  for (size_t i = 0; i < tools.size(); ++i) {
    std::string at = indexed("tools", i);
    const json::object* tool = tools[i].if_object();
    if (tool == nullptr) return field_error(at, "must be an object");
    const json::value* type = present(*tool, "type");
    if (type == nullptr || *type != "function") return field_error(member(at, "type"), "must be 'function'");
    const json::value* fn = present(*tool, "function");
    if (fn == nullptr || !fn->is_object()) return field_error(member(at, "function"), "must be an object");
    auto name = required_string(fn->get_object(), "name", member(at, "function"));
    if (!name) return name.status();
    std::string name_path = member(member(at, "function"), "name");
    if (!valid_function_name(*name)) return field_error(name_path, "must be 1-64 letters, digits, _, - or .");
    if (offers(req, *name)) {
      return field_error(name_path, "duplicate function '" + *name + "'");
    }
    FunctionDefinition def{std::move(*name), "", {}};
    if (const json::value* d = present(fn->get_object(), "description")) {
      if (!d->is_string()) return field_error(member(member(at, "function"), "description"), "must be a string");
      def.description = std::string(d->get_string());
    }
    const json::value* params = present(fn->get_object(), "parameters");
    if (params != nullptr && !params->is_object()) {
      return field_error(member(member(at, "function"), "parameters"), "must be an object");
    }
    if (params != nullptr) def.parameters = params->get_object();
    req.tools.push_back(std::move(def));
  }
  return Status::ok();
}

Status parse_tool_choice(const json::object& body, ChatRequest& req) {
  const json::value* v = present(body, "tool_choice");
  if (v == nullptr) return Status::ok();
  ToolChoice& choice = req.tool_choice;
  if (v->is_string()) {
    std::string_view s = v->get_string();
    if (s == "none") {
      choice.mode = ToolChoice::Mode::kNone;
    } else if (s == "auto") {
      choice.mode = ToolChoice::Mode::kAuto;
    } else if (s == "required") {
      choice.mode = ToolChoice::Mode::kRequired;
    } else {
      return field_error("tool_choice", "must be 'none', 'auto', 'required' or a function object");
    }
    return Status::ok();
  }
  const json::object* o = v->if_object();
  const json::value* type = o != nullptr ? present(*o, "type") : nullptr;
  const json::value* fn = o != nullptr ? present(*o, "function") : nullptr;
  if (type == nullptr || *type != "function" || fn == nullptr || !fn->is_object()) {
    return field_error("tool_choice", "must be 'none', 'auto', 'required' or {type: function, function: {name}}");
  }
  auto name = required_string(fn->get_object(), "name", "tool_choice.function");
  if (!name) return name.status();
  if (!offers(req, *name)) {
    return field_error("tool_choice.function.name", "function '" + *name + "' is not in tools");
  }
  choice.mode = ToolChoice::Mode::kFunction;
  choice.function = std::move(*name);
  return Status::ok();
}

Status parse_streaming(const json::object& body, ChatRequest& req) {
  if (const json::value* v = present(body, "stream")) {
    if (!v->is_bool()) return field_error("stream", "must be a boolean");
    req.stream = v->get_bool();
  }
  const json::value* options = present(body, "stream_options");
  if (options == nullptr) return Status::ok();
  if (!req.stream) return field_error("stream_options", "only allowed when stream is true");
  if (!options->is_object()) return field_error("stream_options", "must be an object");
  if (const json::value* usage = present(options->get_object(), "include_usage")) {
    if (!usage->is_bool()) return field_error("stream_options.include_usage", "must be a boolean");
    req.include_usage = usage->get_bool();
  }
  return Status::ok();
}

Result<std::optional<double>> number_in(const json::object& body, std::string_view key, double lo, double hi) {
  const json::value* v = present(body, key);
  if (v == nullptr) return std::optional<double>();
  if (!v->is_number()) return field_error(key, "must be a number");
  double d = v->to_number<double>();
  if (d < lo || d > hi) {
    return field_error(key, fmt::format("must be between {} and {}", lo, hi));
  }
  return std::optional<double>(d);
}

Status parse_sampling(const json::object& body, ChatRequest& req) {
  for (std::string_view key : {"max_tokens", "max_completion_tokens"}) {
    const json::value* v = present(body, key);
    if (v == nullptr) continue;
    std::optional<int64_t> n = as_integer(*v);
    if (!n || *n < 1) return field_error(key, "must be a positive integer");
    if (key == "max_completion_tokens" || !req.max_tokens) req.max_tokens = n;
  }
  auto temperature = number_in(body, "temperature", 0, 2);
  if (!temperature) return temperature.status();
  req.temperature = *temperature;
  auto top_p = number_in(body, "top_p", 0, 1);
  if (!top_p) return top_p.status();
  req.top_p = *top_p;
  return Status::ok();
}

std::optional<FinishReason> parse_finish_reason(const json::value& v) {
  if (!v.is_string()) return std::nullopt;
  std::string_view s = v.get_string();
  if (s == "length") return FinishReason::kLength;
  if (s == "tool_calls" || s == "function_call") return FinishReason::kToolCalls;
  if (s == "content_filter") return FinishReason::kContentFilter;
  return FinishReason::kStop;
}

json::object usage_json(const Usage& usage) {
  return {{"prompt_tokens", usage.prompt_tokens},
          {"completion_tokens", usage.completion_tokens},
          {"total_tokens", usage.total_tokens()}};
}

json::object envelope(const CompletionMeta& meta, std::string_view object) {
  return {{"id", meta.id}, {"object", object}, {"created", meta.created}, {"model", meta.model}};
}

json::object tool_call_json(const ToolCall& call) {
  return {{"id", call.id},
          {"type", "function"},
          {"function", {{"name", call.name}, {"arguments", call.arguments}}}};
}

std::vector<std::string> split_codepoints(std::string_view text, size_t per_piece) {
  std::vector<std::string> pieces;
  size_t start = 0, pos = 0, count = 0;
  while (pos < text.size()) {
    pos += utf8_at(text, pos).length;
    if (++count == per_piece) {
      pieces.emplace_back(text.substr(start, pos - start));
      start = pos;
      count = 0;
    }
  }
  if (start < text.size()) pieces.emplace_back(text.substr(start));
  return pieces;
}

}  // namespace

std::string_view to_string(Role role) {
  switch (role) {
    case Role::kSystem: return "system";
    case Role::kUser: return "user";
    case Role::kAssistant: return "assistant";
    case Role::kTool: return "tool";
  }
  return "user";
}

std::string_view to_string(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kToolCalls: return "tool_calls";
    case FinishReason::kContentFilter: return "content_filter";
  }
  return "stop";
}

Result<ChatRequest> parse_chat_request(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return invalid_argument("request body: invalid JSON (" + ec.message() + ")");
  if (!v.is_object()) return invalid_argument("request body: must be a JSON object");
  return parse_chat_request(std::move(v.get_object()));
}

Result<ChatRequest> parse_chat_request(json::object body) {
  ChatRequest req;
  const json::value* model = present(body, "model");
  if (model == nullptr) return field_error("model", "is required");
  if (!model->is_string() || model->get_string().empty()) return field_error("model", "must be a non-empty string");
  req.model = std::string(model->get_string());
  for (auto step : {parse_messages, parse_tools, parse_tool_choice, parse_streaming, parse_sampling}) {
    if (Status s = step(body, req); !s.is_ok()) return s;
  }
  if (req.tool_choice.mode == ToolChoice::Mode::kRequired && req.tools.empty()) {
    return field_error("tool_choice", "'required' needs tools");
  }
  req.body = std::move(body);
  return req;
}

std::string_view last_user_text(const ChatRequest& request) {
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role == Role::kUser) return it->text;
  }
  return {};
}

json::object make_completion(const CompletionMeta& meta, const AssistantTurn& turn, const Usage& usage) {
  json::object message{{"role", "assistant"}};
  if (turn.content.empty() && !turn.tool_calls.empty()) {
    message["content"] = nullptr;
  } else {
    message["content"] = turn.content;
  }
  if (!turn.tool_calls.empty()) {
    json::array calls;
    for (const ToolCall& call : turn.tool_calls) calls.push_back(tool_call_json(call));
    message["tool_calls"] = std::move(calls);
  }
  json::object out = envelope(meta, "chat.completion");
  out["choices"] = json::array{json::object{{"index", 0},
                                            {"message", std::move(message)},
                                            {"logprobs", nullptr},
                                            {"finish_reason", to_string(turn.finish_reason)}}};
  out["usage"] = usage_json(usage);
  return out;
}

json::object make_chunk(const CompletionMeta& meta, const ChunkDelta& delta, std::optional<FinishReason> finish_reason) {
  json::object d;
  if (delta.role) d["role"] = "assistant";
  if (delta.content) d["content"] = *delta.content;
  if (!delta.tool_calls.empty()) {
    json::array calls;
    for (const ToolCallDelta& piece : delta.tool_calls) {
      json::object fn{{"arguments", piece.arguments}};
      json::object call{{"index", piece.index}};
      if (!piece.id.empty()) {
        call["id"] = piece.id;
        call["type"] = "function";
        fn["name"] = piece.name;
      }
      call["function"] = std::move(fn);
      calls.push_back(std::move(call));
    }
    d["tool_calls"] = std::move(calls);
  }
  json::object choice{{"index", 0}, {"delta", std::move(d)}, {"logprobs", nullptr}};
  if (finish_reason) {
    choice["finish_reason"] = to_string(*finish_reason);
  } else {
    choice["finish_reason"] = nullptr;
  }
  json::object out = envelope(meta, "chat.completion.chunk");
  out["choices"] = json::array{std::move(choice)};
  return out;
}

json::object make_usage_chunk(const CompletionMeta& meta, const Usage& usage) {
  json::object out = envelope(meta, "chat.completion.chunk");
  out["choices"] = json::array();
  out["usage"] = usage_json(usage);
  return out;
}

std::vector<json::object> stream_turn(const CompletionMeta& meta, const AssistantTurn& turn,
                                      const std::optional<Usage>& usage, size_t piece_codepoints) {
  assert(piece_codepoints > 0);
  auto content_delta = [](std::string piece) {
    ChunkDelta d;
    d.content = std::move(piece);
    return d;
  };
  auto call_delta = [](ToolCallDelta piece) {
    ChunkDelta d;
    d.tool_calls.push_back(std::move(piece));
    return d;
  };
  std::vector<json::object> chunks;
  ChunkDelta first;
  first.role = true;
  if (turn.tool_calls.empty()) first.content = "";
  chunks.push_back(make_chunk(meta, first));
  for (std::string& piece : split_codepoints(turn.content, piece_codepoints)) {
    chunks.push_back(make_chunk(meta, content_delta(std::move(piece))));
  }
  for (size_t i = 0; i < turn.tool_calls.size(); ++i) {
    const ToolCall& call = turn.tool_calls[i];
    chunks.push_back(make_chunk(meta, call_delta({i, call.id, call.name, ""})));
    for (std::string& piece : split_codepoints(call.arguments, piece_codepoints)) {
      chunks.push_back(make_chunk(meta, call_delta({i, "", "", std::move(piece)})));
    }
  }
  chunks.push_back(make_chunk(meta, ChunkDelta{}, turn.finish_reason));
  if (usage) chunks.push_back(make_usage_chunk(meta, *usage));
  return chunks;
}

Status TurnAssembler::add(const json::object& chunk) {
  const json::value* object = present(chunk, "object");
  if (object == nullptr || *object != "chat.completion.chunk") return invalid_argument("chunk: object must be 'chat.completion.chunk'");
  if (const json::value* usage = present(chunk, "usage")) {
    const json::object* u = usage->if_object();
    std::optional<int64_t> prompt = u && u->contains("prompt_tokens") ? as_integer(u->at("prompt_tokens")) : std::nullopt;
    std::optional<int64_t> completion =
        u && u->contains("completion_tokens") ? as_integer(u->at("completion_tokens")) : std::nullopt;
    if (!prompt || !completion) return invalid_argument("chunk usage: prompt_tokens and completion_tokens must be integers");
    usage_ = Usage{*prompt, *completion};
  }
  const json::value* choices = present(chunk, "choices");
  if (choices == nullptr || !choices->is_array()) return invalid_argument("chunk: choices must be an array");
  for (const json::value& c : choices->get_array()) {
    const json::object* choice = c.if_object();
    if (choice == nullptr) return invalid_argument("chunk: choices[] must be objects");
    const json::value* index = present(*choice, "index");
    if (index != nullptr && as_integer(*index) != 0) continue;  // only the first choice is assembled
    if (const json::value* delta = present(*choice, "delta"); delta != nullptr && delta->is_object()) {
      if (const json::value* content = present(delta->get_object(), "content")) {
        if (!content->is_string()) return invalid_argument("chunk: delta.content must be a string");
        turn_.content += content->get_string();
      }
      json::object pieces = delta->get_object();
      if (auto taken = calls_.take_from(0, pieces, false); !taken) return taken.status();
    }
    if (const json::value* finish = present(*choice, "finish_reason")) {
      if (auto reason = parse_finish_reason(*finish)) turn_.finish_reason = *reason;
    }
  }
  return Status::ok();
}

Result<AssistantTurn> TurnAssembler::take_turn() {
  HeldChoice held = calls_.release(0);
  if (!held.unreadable.empty()) return invalid_argument("chunk tool_calls: " + held.unreadable);
  for (HeldCall& call : held.calls) {
    if (call.shape != CallShape::kToolCall) return invalid_argument("chunk: function_call is not a tool call");
    turn_.tool_calls.push_back({std::move(call.id), std::move(call.name), std::move(call.arguments)});
  }
  return std::move(turn_);
}

Result<AssistantTurn> turn_from_completion(const json::object& completion) {
  const json::value* object = present(completion, "object");
  if (object == nullptr || *object != "chat.completion") return invalid_argument("completion: object must be 'chat.completion'");
  const json::value* choices = present(completion, "choices");
  if (choices == nullptr || !choices->is_array() || choices->get_array().empty()) {
    return invalid_argument("completion.choices: must be a non-empty array");
  }
  const json::object* choice = choices->get_array()[0].if_object();
  const json::value* message = choice != nullptr ? present(*choice, "message") : nullptr;
  if (message == nullptr || !message->is_object()) return invalid_argument("completion.choices[0].message: must be an object");
  AssistantTurn turn;
  if (const json::value* content = present(message->get_object(), "content")) {
    if (!content->is_string()) return invalid_argument("completion.choices[0].message.content: must be a string");
    turn.content = std::string(content->get_string());
  }
  if (const json::value* calls = present(message->get_object(), "tool_calls")) {
    auto parsed = parse_tool_calls(*calls, "completion.choices[0].message.tool_calls");
    if (!parsed) return parsed.status();
    turn.tool_calls = std::move(*parsed);
  }
  if (const json::value* finish = present(*choice, "finish_reason")) {
    if (auto reason = parse_finish_reason(*finish)) turn.finish_reason = *reason;
  }
  return turn;
}

}  // namespace fleetgate::assistant
