#include "fleetgate/assistant/onboard_engine.h"

#include <algorithm>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include <fmt/format.h>

#include "fleetgate/assistant/intent_parser.h"
#include "fleetgate/assistant/tool_binder.h"
#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/assistant/usage_estimate.h"
#include "fleetgate/assistant/vehicle_tools.h"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

// ---- Phrases (fmt templates) ---------------------------------------------------------------

const Localized kGreeting{"Hello! How can I help?", "你好！有什么可以帮你？", "Hallo! Wie kann ich helfen?"};
const Localized kCanControl{"Offline I can control: {list}.", "离线状态下我可以控制：{list}。",
                            "Offline kann ich steuern: {list}."};
const Localized kCanControlNothing{"Offline I can't control any vehicle functions in this conversation.",
                                   "离线状态下，本次对话中没有可用的车辆功能。",
                                   "Offline stehen in diesem Gespräch keine Fahrzeugfunktionen zur Verfügung."};
const Localized kNotUnderstood{"Sorry, I can't help with that offline.", "抱歉，离线状态下我无法处理这个请求。",
                               "Das kann ich offline leider nicht."};
const Localized kNothingFits{"I understood: {what}. None of the functions offered here does that.",
                             "我理解的是：{what}。这里提供的功能都无法做到。",
                             "Verstanden: {what}. Keine der hier angebotenen Funktionen kann das."};
const Localized kNoCallThisTurn{"I understood: {what}. I won't call a function in this reply.",
                                "我理解的是：{what}。本次回复不调用任何功能。",
                                "Verstanden: {what}. In dieser Antwort rufe ich keine Funktion auf."};
const Localized kMissingValue{"To do that with '{name}' I need a value for '{parameter}', which your request doesn't give.",
                              "要用“{name}”完成这个操作，还需要“{parameter}”的值，你的请求中没有提供。",
                              "Für „{name}“ fehlt mir dazu ein Wert für „{parameter}“, den deine Anfrage nicht nennt."};
const Localized kOutOfRange{"Sorry, I can't set the {tool} like that ({detail}).", "抱歉，{tool}无法这样设置（{detail}）。",
                            "{tool}: So lässt sich das nicht einstellen ({detail})."};
const Localized kDone{"Done — {tool}: {value}.", "好的，{tool}已{value}。", "Erledigt: {tool} {value}."};
const Localized kDoneGeneric{"Done.", "好的，已完成。", "Erledigt."};
const Localized kFailed{"That didn't work: {error}", "操作未完成：{error}", "Das hat nicht geklappt: {error}"};

struct Question {
  std::string_view missing;
  Localized text;  // {min} and {max} come from the tool's schema
};

constexpr Question kQuestions[] = {
    {"celsius",
     {"What temperature would you like? I can set {min} to {max} °C.", "要调到多少度？可设置{min}到{max}度。",
      "Welche Temperatur hättest du gern? Möglich sind {min} bis {max} °C."}},
    {"level",
     {"Which seat heating level would you like, {min} to {max}?", "座椅加热要调到几档？可选{min}到{max}档。",
      "Welche Stufe der Sitzheizung, {min} bis {max}?"}},
    {"destination", {"Where would you like to go?", "你想去哪里？", "Wohin möchtest du fahren?"}},
    {"volume",
     {"Which volume would you like, {min} to {max}?", "音量要调到多少？可选{min}到{max}。",
      "Welche Lautstärke, {min} bis {max}?"}},
};

// How a confirmation names an argument's value. tool "" matches any tool; match monostate
// matches any value, which the text shows as {v}.
struct ValueText {
  std::string_view tool;
  std::string_view field;
  std::variant<std::monostate, std::string_view, bool> match;
  Localized text;
};

const ValueText kValueTexts[] = {
    {"lights", "action", "on", {"on", "打开", "an"}},
    {"lights", "action", "off", {"off", "关闭", "aus"}},
    {"lights", "action", "flash", {"flashed", "闪烁", "Lichthupe gegeben"}},
    {"media", "action", "play", {"playing", "开始播放", "Wiedergabe läuft"}},
    {"media", "action", "pause", {"paused", "暂停", "pausiert"}},
    {"media", "action", "next", {"next track", "切到下一首", "nächster Titel"}},
    {"media", "action", "previous", {"previous track", "切到上一首", "vorheriger Titel"}},
    {"media", "volume", {}, {"volume {v}", "音量设为{v}", "Lautstärke {v}"}},
    {"", "action", "open", {"open", "打开", "geöffnet"}},
    {"", "action", "close", {"closed", "关闭", "geschlossen"}},
    {"", "action", "vent", {"vented", "通风", "gelüftet"}},
    {"wipers", "mode", "off", {"off", "关闭", "aus"}},
    {"wipers", "mode", "auto", {"auto", "设为自动", "Automatik"}},
    {"wipers", "mode", "low", {"low", "设为低速", "langsam"}},
    {"wipers", "mode", "high", {"high", "设为高速", "schnell"}},
    {"set_climate_on", "on", true, {"on", "开启", "an"}},
    {"set_climate_on", "on", false, {"off", "关闭", "aus"}},
    {"lock", "locked", true, {"locked", "锁定", "verriegelt"}},
    {"lock", "locked", false, {"unlocked", "解锁", "entriegelt"}},
    {"set_temperature", "celsius", {}, {"{v} °C", "设为{v}度", "{v} °C"}},
    {"seat_heating", "level", {}, {"level {v}", "设为{v}档", "Stufe {v}"}},
    {"set_destination", "destination", {}, {"route to {v} started", "开始前往{v}", "Route nach {v} gestartet"}},
};

std::string_view list_separator(Language lang) { return lang == Language::kZh ? "、" : ", "; }
std::string_view value_separator(Language lang) { return lang == Language::kZh ? "，" : ", "; }
std::string_view sentence_separator(Language lang) { return lang == Language::kZh ? "" : " "; }

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const std::string& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::string scalar_text(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_double()) return fmt::format("{}", v.get_double());
  return json_text(v);
}

// ---- What the engine may call --------------------------------------------------------------

// The app's own tools, or the catalogue when the request offers none.
std::span<const FunctionDefinition> offered(const ChatRequest& request) {
  if (request.tools.empty()) return vehicle_function_definitions();
  return request.tools;
}

// The catalogue functions the usable offered tools perform, each once, in the order offered.
std::vector<const VehicleTool*> usable_functions(const ChatRequest& request) {
  std::vector<const VehicleTool*> functions;
  for (const FunctionDefinition& tool : offered(request)) {
    const VehicleTool* f = usable(tool, request.tool_choice) ? classify(tool).function : nullptr;
    if (f != nullptr && std::find(functions.begin(), functions.end(), f) == functions.end()) functions.push_back(f);
  }
  return functions;
}

std::string capabilities(const std::vector<const VehicleTool*>& tools, Language lang) {
  if (tools.empty()) return std::string(kCanControlNothing.in(lang));
  std::vector<std::string> labels;
  for (const VehicleTool* tool : tools) labels.emplace_back(tool->label.in(lang));
  return fmt::format(fmt::runtime(kCanControl.in(lang)), fmt::arg("list", join(labels, list_separator(lang))));
}

// ---- Answers -------------------------------------------------------------------------------

std::string question(const Intent& intent) {
  const VehicleTool* tool = find_vehicle_tool(intent.tool);
  const json::value* property = nullptr;
  if (tool != nullptr) {
    if (const json::value* props = tool->parameters.if_contains("properties"); props != nullptr && props->is_object()) {
      property = props->get_object().if_contains(intent.missing);
    }
  }
  auto bound = [&](std::string_view key) {
    const json::value* v = property != nullptr && property->is_object() ? property->get_object().if_contains(key) : nullptr;
    return v != nullptr ? scalar_text(*v) : std::string();
  };
  for (const Question& q : kQuestions) {
    if (q.missing == intent.missing) {
      return fmt::format(fmt::runtime(q.text.in(intent.lang)), fmt::arg("min", bound("minimum")),
                         fmt::arg("max", bound("maximum")));
    }
  }
  return std::string(kNotUnderstood.in(intent.lang));
}

AssistantTurn text_turn(std::string content) {
  AssistantTurn turn;
  turn.content = std::move(content);
  return turn;
}

bool value_matches(const ValueText& entry, const json::value& v) {
  return std::visit(
      [&](const auto& expected) {
        using T = std::decay_t<decltype(expected)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return true;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v.is_bool() && v.get_bool() == expected;
        } else {
          return v.is_string() && v.get_string() == expected;
        }
      },
      entry.match);
}

std::string describe_arguments(std::string_view tool, const json::object& args, Language lang) {
  std::vector<std::string> parts;
  for (const auto& kv : args) {
    for (const ValueText& entry : kValueTexts) {
      if ((entry.tool.empty() || entry.tool == tool) && entry.field == kv.key() && value_matches(entry, kv.value())) {
        parts.push_back(fmt::format(fmt::runtime(entry.text.in(lang)), fmt::arg("v", scalar_text(kv.value()))));
        break;
      }
    }
  }
  return join(parts, value_separator(lang));
}

// What the engine understood, for answers that do not act on it: "trunk, open".
std::string understood(const Intent& intent) {
  const VehicleTool* tool = find_vehicle_tool(intent.tool);
  std::string what(tool != nullptr ? tool->label.in(intent.lang) : std::string_view(intent.tool));
  std::string value = describe_arguments(intent.tool, intent.arguments, intent.lang);
  if (!value.empty()) what += std::string(value_separator(intent.lang)) + value;
  return what;
}

AssistantTurn answer_tool_intent(const Intent& intent, const ChatRequest& request, const CompletionMeta& meta) {
  const Language lang = intent.lang;
  auto say = [&](const Localized& text) {
    return text_turn(fmt::format(fmt::runtime(text.in(lang)), fmt::arg("what", understood(intent))));
  };
  // Under "none" nothing is called, and nothing is claimed about what the app offers.
  if (request.tool_choice.mode == ToolChoice::Mode::kNone) return say(kNoCallThisTurn);
  if (intent.kind == IntentKind::kNeedsValue) {
    const std::vector<const VehicleTool*> functions = usable_functions(request);
    const bool offered_here = std::any_of(functions.begin(), functions.end(),
                                          [&](const VehicleTool* f) { return f->name == intent.tool; });
    return offered_here ? text_turn(question(intent)) : say(kNothingFits);
  }
  Binding b = bind_intent(intent, offered(request), request.tool_choice);
  switch (b.outcome) {
    case Binding::Outcome::kBound: {
      AssistantTurn turn;
      turn.tool_calls.push_back({"call_" + meta.id + "_0", b.tool->name, json_text(b.arguments)});
      turn.finish_reason = FinishReason::kToolCalls;
      return turn;
    }
    case Binding::Outcome::kMissingValue:
      return text_turn(fmt::format(fmt::runtime(kMissingValue.in(lang)), fmt::arg("name", b.tool->name),
                                   fmt::arg("parameter", b.detail)));
    case Binding::Outcome::kOutOfRange:
      return text_turn(fmt::format(fmt::runtime(kOutOfRange.in(lang)), fmt::arg("tool", b.function->label.in(lang)),
                                   fmt::arg("detail", b.detail)));
    case Binding::Outcome::kDoesNotFit: break;
  }
  return say(kNothingFits);
}

// ---- Confirmations after tool results ------------------------------------------------------

// The failure a tool result reports, if any.
std::optional<std::string> reported_failure(std::string_view content) {
  boost::system::error_code ec;
  json::value v = json::parse(content, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const json::object& o = v.get_object();
  const json::value* error = o.if_contains("error");
  const json::value* ok = o.if_contains("ok");
  const json::value* status = o.if_contains("status");
  bool failed = (error != nullptr && !error->is_null() && *error != false) || (ok != nullptr && *ok == false) ||
                (status != nullptr && (*status == "error" || *status == "failed" || *status == "refused"));
  if (!failed) return std::nullopt;
  for (const json::value* candidate : {o.if_contains("message"), error, status}) {
    if (candidate == nullptr) continue;
    if (candidate->is_string()) return std::string(candidate->get_string());
    if (const json::object* nested = candidate->if_object()) {
      if (const json::value* m = nested->if_contains("message"); m != nullptr && m->is_string()) {
        return std::string(m->get_string());
      }
    }
  }
  return std::string("error");
}

const ToolCall* find_call(const std::vector<ChatMessage>& messages, size_t before, std::string_view id) {
  for (size_t i = before; i-- > 0;) {
    for (const ToolCall& call : messages[i].tool_calls) {
      if (call.id == id) return &call;
    }
  }
  return nullptr;
}

// The definition of the tool a call names: what the request offered, else the catalogue's (the
// review lets catalogue calls through under their own names too).
const FunctionDefinition* called_tool(const ChatRequest& request, std::string_view name) {
  for (std::span<const FunctionDefinition> tools : {std::span<const FunctionDefinition>(request.tools),
                                                    std::span<const FunctionDefinition>(vehicle_function_definitions())}) {
    for (const FunctionDefinition& tool : tools) {
      if (tool.name == name) return &tool;
    }
  }
  return nullptr;
}

std::string confirmation(const ChatRequest& request, const ChatMessage& result, const ToolCall* call, Language lang) {
  if (auto failure = reported_failure(result.text)) {
    return fmt::format(fmt::runtime(kFailed.in(lang)), fmt::arg("error", *failure));
  }
  const FunctionDefinition* tool = call != nullptr ? called_tool(request, call->name) : nullptr;
  const VehicleTool* function = tool != nullptr ? classify(*tool).function : nullptr;
  if (function == nullptr) return std::string(kDoneGeneric.in(lang));
  boost::system::error_code ec;
  json::value args = json::parse(call->arguments, ec);
  std::string value = !ec && args.is_object()
                          ? describe_arguments(function->name, catalogue_arguments(*function, *tool, args.get_object()), lang)
                          : "";
  if (value.empty()) return std::string(kDoneGeneric.in(lang));
  return fmt::format(fmt::runtime(kDone.in(lang)), fmt::arg("tool", function->label.in(lang)), fmt::arg("value", value));
}

AssistantTurn confirm_tool_results(const ChatRequest& request) {
  Language lang = parse_intent(last_user_text(request)).lang;
  const auto& messages = request.messages;
  size_t first = messages.size();
  while (first > 0 && messages[first - 1].role == Role::kTool) --first;
  std::vector<std::string> sentences;
  for (size_t i = first; i < messages.size(); ++i) {
    sentences.push_back(confirmation(request, messages[i], find_call(messages, first, messages[i].tool_call_id), lang));
  }
  return text_turn(join(sentences, sentence_separator(lang)));
}

}  // namespace

AssistantTurn OnboardEngine::respond(const ChatRequest& request, const CompletionMeta& meta) const {
  if (!request.messages.empty() && request.messages.back().role == Role::kTool) return confirm_tool_results(request);
  Intent intent = parse_intent(last_user_text(request));
  std::vector<const VehicleTool*> tools = usable_functions(request);
  switch (intent.kind) {
    case IntentKind::kToolCall:
    case IntentKind::kNeedsValue: return answer_tool_intent(intent, request, meta);
    case IntentKind::kGreeting: return text_turn(std::string(kGreeting.in(intent.lang)));
    case IntentKind::kCapabilities: return text_turn(capabilities(tools, intent.lang));
    case IntentKind::kUnknown: break;
  }
  return text_turn(std::string(kNotUnderstood.in(intent.lang)) + std::string(sentence_separator(intent.lang)) +
                   capabilities(tools, intent.lang));
}

json::object OnboardEngine::complete(const ChatRequest& request, const CompletionMeta& meta) const {
  AssistantTurn turn = respond(request, meta);
  return make_completion(meta, turn, estimate_usage(request, turn));
}

std::vector<json::object> OnboardEngine::stream(const ChatRequest& request, const CompletionMeta& meta) const {
  AssistantTurn turn = respond(request, meta);
  std::optional<Usage> usage;
  if (request.include_usage) usage = estimate_usage(request, turn);
  return stream_turn(meta, turn, usage, options_.stream_piece_codepoints);
}

}  // namespace fleetgate::assistant
