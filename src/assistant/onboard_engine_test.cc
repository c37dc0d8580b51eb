#include "fleetgate/assistant/onboard_engine.h"

#include <gtest/gtest.h>

#include "fleetgate/assistant/interlocks.h"
#include "fleetgate/assistant/usage_estimate.h"
#include "fleetgate/assistant/vehicle_tools.h"
#include "fleetgate/assistant/onboard_test_request.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

const CompletionMeta kMeta{"chatcmpl-7", "fleetgate-onboard", 1700000000};

json::object user(std::string_view text) { return {{"role", "user"}, {"content", text}}; }

ChatRequest ask(std::string_view text, json::object extra = {}) { return onboard_request({user(text)}, std::move(extra)); }

json::array offered(std::initializer_list<std::string_view> names) {
  json::array tools;
  for (const json::value& t : vehicle_tools_json()) {
    for (std::string_view name : names) {
      if (t.at("function").at("name").as_string() == name) tools.push_back(t);
    }
  }
  return tools;
}

// A conversation where the assistant called `tool` with `arguments` and the vehicle answered.
ChatRequest after_tool(std::string_view said, std::string_view tool, std::string_view arguments, std::string_view result) {
  json::object call{{"id", "call_1"}, {"type", "function"}, {"function", {{"name", tool}, {"arguments", arguments}}}};
  return onboard_request({user(said),
                  json::object{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array{call}}},
                  json::object{{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", result}}});
}

TEST(OnboardEngine, VehicleRequestsBecomeToolCallsThatPassReview) {
  OnboardEngine engine;
  VehicleState parked;
  parked.speed_kmh = 0;
  parked.gear = Gear::kPark;
  parked.updated_at = Clock::now();
  for (std::string_view text : {"open the trunk", "打开后备箱", "Kofferraum öffnen"}) {
    AssistantTurn turn = engine.respond(ask(text), kMeta);
    ASSERT_EQ(turn.tool_calls.size(), 1u) << text;
    EXPECT_EQ(turn.tool_calls[0].id, "call_chatcmpl-7_0");
    EXPECT_EQ(turn.tool_calls[0].name, "trunk");
    EXPECT_EQ(json::parse(turn.tool_calls[0].arguments), json::parse(R"({"action":"open"})"));
    EXPECT_EQ(turn.finish_reason, FinishReason::kToolCalls);
    EXPECT_TRUE(turn.content.empty());
    EXPECT_TRUE(review_tool_call(turn.tool_calls[0].name, turn.tool_calls[0].arguments, &parked, parked.updated_at).allowed);
  }
}

TEST(OnboardEngine, ArgumentsAreWrittenAsProvidersWriteThem) {
  AssistantTurn turn = OnboardEngine().respond(ask("set the passenger temperature to 21.5 degrees"), kMeta);
  ASSERT_EQ(turn.tool_calls.size(), 1u);
  EXPECT_EQ(turn.tool_calls[0].arguments, R"({"celsius":21.5,"zone":"passenger"})");
}

// Every prefix and a sweep of byte flips of a valid body: parsing never crashes, and whatever
// parses gets an answer.
TEST(OnboardEngine, SurvivesMangledInput) {
  const std::string body = json::serialize(json::object{
      {"model", "m"},
      {"messages", json::array{user("打开后备箱 and open the Kofferraum bitte 二十一度"),
                               json::object{{"role", "assistant"}, {"content", nullptr},
                                            {"tool_calls", json::array{json::object{
                                                {"id", "c"}, {"type", "function"},
                                                {"function", {{"name", "trunk"}, {"arguments", "{\"action\":1}"}}}}}}},
                               json::object{{"role", "tool"}, {"tool_call_id", "c"}, {"content", "{\"error\":true}"}}}},
      {"tools", offered({"trunk"})}});
  OnboardEngine engine;
  size_t answered = 0;
  auto attempt = [&](const std::string& text) {
    auto r = parse_chat_request(text);
    if (!r.is_ok()) {
      EXPECT_FALSE(r.status().message().empty());
      return;
    }
    engine.stream(*r, kMeta);
    ++answered;
  };
  for (size_t n = 0; n <= body.size(); ++n) attempt(body.substr(0, n));
  for (size_t i = 0; i < body.size(); ++i) {
    for (unsigned char flip : {0x01, 0x20, 0x80}) {
      std::string mangled = body;
      mangled[i] = static_cast<char>(mangled[i] ^ flip);
      attempt(mangled);
    }
  }
  EXPECT_GT(answered, 0u);
}

TEST(OnboardEngine, OnlyCallsToolsTheClientOffers) {
  OnboardEngine engine;
  ChatRequest r = ask("open the trunk", {{"tools", offered({"lock", "lights"})}});
  AssistantTurn turn = engine.respond(r, kMeta);
  EXPECT_TRUE(turn.tool_calls.empty());
  EXPECT_EQ(turn.content, "I understood: trunk, open. None of the functions offered here does that.");
  turn = engine.respond(ask("lock the car", {{"tools", offered({"lock", "lights"})}}), kMeta);
  ASSERT_EQ(turn.tool_calls.size(), 1u);
  EXPECT_EQ(turn.tool_calls[0].name, "lock");
}

TEST(OnboardEngine, ToolChoiceNoneAndNamedFunction) {
  OnboardEngine engine;
  AssistantTurn none = engine.respond(ask("打开后备箱", {{"tool_choice", "none"}}), kMeta);
  EXPECT_TRUE(none.tool_calls.empty());
  EXPECT_EQ(none.content, "我理解的是：后备箱，打开。本次回复不调用任何功能。") << "under none, nothing is claimed unavailable";
  json::object forced{{"tools", offered({"trunk", "lock"})},
                      {"tool_choice", {{"type", "function"}, {"function", {{"name", "lock"}}}}}};
  EXPECT_TRUE(engine.respond(ask("open the trunk", forced), kMeta).tool_calls.empty());
  EXPECT_EQ(engine.respond(ask("unlock the car", forced), kMeta).tool_calls.size(), 1u);
}

TEST(OnboardEngine, ConfirmsToolResultsInTheUsersLanguage) {
  OnboardEngine engine;
  const std::tuple<std::string, std::string, std::string, std::string> cases[] = {
      {"open the trunk", "trunk", R"({"action":"open"})", "Done — trunk: open."},
      {"打开后备箱", "trunk", R"({"action":"open"})", "好的，后备箱已打开。"},
      {"Kofferraum öffnen", "trunk", R"({"action":"open"})", "Erledigt: Kofferraum geöffnet."},
      {"set the temperature to 21.5 degrees", "set_temperature", R"({"celsius":21.5})", "Done — temperature: 21.5 °C."},
      {"把温度调到21度", "set_temperature", R"({"celsius":21})", "好的，温度已设为21度。"},
      {"Sitzheizung Stufe 2", "seat_heating", R"({"seat":"driver","level":2})", "Erledigt: Sitzheizung Stufe 2."},
      {"导航到上海虹桥站", "set_destination", R"({"destination":"上海虹桥站"})", "好的，导航已开始前往上海虹桥站。"},
      {"navigate to Berlin Hauptbahnhof", "set_destination", R"({"destination":"Berlin Hauptbahnhof"})",
       "Done — navigation: route to Berlin Hauptbahnhof started."},
      {"Auto verriegeln", "lock", R"({"locked":true})", "Erledigt: Türverriegelung verriegelt."},
      {"play music louder, volume 6", "media", R"({"volume":6,"action":"play"})", "Done — media: volume 6, playing."},
  };
  for (const auto& [said, tool, arguments, expected] : cases) {
    AssistantTurn turn = engine.respond(after_tool(said, tool, arguments, R"({"ok":true})"), kMeta);
    EXPECT_TRUE(turn.tool_calls.empty());
    EXPECT_EQ(turn.content, expected) << said;
    EXPECT_EQ(turn.finish_reason, FinishReason::kStop);
  }
}

TEST(OnboardEngine, ReportsFailedToolResults) {
  OnboardEngine engine;
  AssistantTurn turn = engine.respond(
      after_tool("open the trunk", "trunk", R"({"action":"open"})",
                 R"({"error":{"code":"vehicle_not_parked","message":"That only works when the vehicle is stopped in P."}})"),
      kMeta);
  EXPECT_EQ(turn.content, "That didn't work: That only works when the vehicle is stopped in P.");
  turn = engine.respond(after_tool("打开后备箱", "trunk", R"({"action":"open"})", R"({"ok":false,"message":"车门未关"})"), kMeta);
  EXPECT_EQ(turn.content, "操作未完成：车门未关");
  turn = engine.respond(after_tool("Kofferraum öffnen", "trunk", R"({"action":"open"})", "plain text result"), kMeta);
  EXPECT_EQ(turn.content, "Erledigt: Kofferraum geöffnet.") << "a result that is not a JSON failure is success";
}

TEST(OnboardEngine, HonestAnswersWhenNotUnderstood) {
  OnboardEngine engine;
  std::string en = engine.respond(ask("write me a poem"), kMeta).content;
  EXPECT_EQ(en.rfind("Sorry, I can't help with that offline. Offline I can control: temperature, climate control", 0), 0u) << en;
  EXPECT_NE(en.find("door locks"), std::string::npos);
  std::string zh = engine.respond(ask("今天股市怎么样"), kMeta).content;
  EXPECT_EQ(zh.rfind("抱歉，离线状态下我无法处理这个请求。离线状态下我可以控制：温度、空调", 0), 0u) << zh;
  std::string de = engine.respond(ask("Wie wird das Wetter morgen?"), kMeta).content;
  EXPECT_EQ(de.rfind("Das kann ich offline leider nicht. Offline kann ich steuern: Temperatur, Klimaanlage", 0), 0u) << de;
  std::string limited = engine.respond(ask("write me a poem", {{"tools", offered({"lock", "lights"})}}), kMeta).content;
  EXPECT_EQ(limited, "Sorry, I can't help with that offline. Offline I can control: lights, door locks.");
  std::string nothing = engine.respond(ask("write me a poem", {{"tool_choice", "none"}}), kMeta).content;
  EXPECT_EQ(nothing, "Sorry, I can't help with that offline. Offline I can't control any vehicle functions in this conversation.");
}

TEST(OnboardEngine, GreetingsQuestionsAndOutOfRangeValues) {
  OnboardEngine engine;
  EXPECT_EQ(engine.respond(ask("Hallo"), kMeta).content, "Hallo! Wie kann ich helfen?");
  EXPECT_EQ(engine.respond(ask("你能做什么"), kMeta).content.rfind("离线状态下我可以控制：温度", 0), 0u);
  EXPECT_EQ(engine.respond(ask("set the temperature"), kMeta).content,
            "What temperature would you like? I can set 16 to 28 °C.");
  EXPECT_EQ(engine.respond(ask("座椅加热"), kMeta).content, "座椅加热要调到几档？可选0到3档。");
  EXPECT_EQ(engine.respond(ask("set the temperature to 35 degrees"), kMeta).content,
            "Sorry, I can't set the temperature like that (celsius: must be at most 28).");
  EXPECT_EQ(engine.respond(ask("close the frunk"), kMeta).content,
            "Sorry, I can't set the front trunk like that (action: must be one of open).");
}

TEST(OnboardEngine, StreamingMatchesTheCompletion) {
  OnboardEngine engine(OnboardOptions{5});
  std::vector<ChatRequest> requests;
  for (std::string_view text : {"write me a poem", "今天股市怎么样", "Guten Morgen", "导航到上海虹桥站", "Temperatur auf 21 Grad"}) {
    requests.push_back(ask(text, {{"stream", true}, {"stream_options", {{"include_usage", true}}}}));
  }
  requests.push_back(after_tool("把温度调到21度", "set_temperature", R"({"celsius":21})", "{}"));
  for (const ChatRequest& r : requests) {
    json::object completion = engine.complete(r, kMeta);
    auto whole = turn_from_completion(completion);
    ASSERT_TRUE(whole.is_ok());
    TurnAssembler assembled;
    auto chunks = engine.stream(r, kMeta);
    EXPECT_GT(chunks.size(), 2u);
    for (const json::object& chunk : chunks) ASSERT_TRUE(assembled.add(chunk).is_ok());
    auto turn = assembled.take_turn();
    ASSERT_TRUE(turn.is_ok()) << turn.status().to_string();
    EXPECT_EQ(turn->content, whole->content);
    EXPECT_EQ(turn->tool_calls, whole->tool_calls);
    EXPECT_EQ(turn->finish_reason, whole->finish_reason);
    const json::object& usage = completion.at("usage").as_object();
    if (r.include_usage) {
      ASSERT_TRUE(assembled.usage().has_value());
      EXPECT_EQ(assembled.usage()->prompt_tokens, usage.at("prompt_tokens").as_int64());
      EXPECT_EQ(assembled.usage()->completion_tokens, usage.at("completion_tokens").as_int64());
    } else {
      EXPECT_FALSE(assembled.usage().has_value());
    }
  }
}

TEST(UsageEstimate, CountsCodePoints) {
  EXPECT_EQ(estimate_tokens(""), 0);
  EXPECT_EQ(estimate_tokens("abcd"), 1);
  EXPECT_EQ(estimate_tokens("abcde"), 2);
  EXPECT_EQ(estimate_tokens("打开后备箱"), 5);
  EXPECT_EQ(estimate_tokens("öffnen"), 3) << "5 ASCII letters round up to 2, plus ö";
  AssistantTurn turn;
  turn.content = "好的";
  Usage u = estimate_usage(ask("打开后备箱"), turn);
  EXPECT_EQ(u.prompt_tokens, 4 + 5);
  EXPECT_EQ(u.completion_tokens, 2);
}

}  // namespace
}  // namespace fleetgate::assistant
