// The binder and classifier of apps' own tools, specified by a table of app-style tool sets and
// utterances (testdata/app_tools.json), by what each kind of tool is classified as, and by the
// round trip: a call in the app's names is read back in the catalogue's terms and confirmed.
#include "fleetgate/assistant/tool_binder.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "fleetgate/assistant/interlocks.h"
#include "fleetgate/assistant/onboard_engine.h"
#include "fleetgate/assistant/onboard_test_request.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

const CompletionMeta kMeta{"chatcmpl-9", "fleetgate-onboard", 1700000000};

json::object table() {
  std::ifstream in(std::string(FLEETGATE_SOURCE_DIR) + "/src/assistant/testdata/app_tools.json");
  std::stringstream text;
  text << in.rdbuf();
  json::value v = json::parse(text.str());
  return v.as_object();
}

// An OpenAI `tools` array of the definitions {name, description?, parameters?}.
json::array tools_json(const json::array& definitions) {
  json::array tools;
  for (const json::value& d : definitions) tools.push_back(json::object{{"type", "function"}, {"function", d}});
  return tools;
}

FunctionDefinition definition(std::string name, std::string description, std::string_view parameters = "{}") {
  return {std::move(name), std::move(description), json::parse(parameters).as_object()};
}

TEST(ToolBinder, AppToolTable) {
  json::object t = table();
  const json::object& toolsets = t.at("toolsets").as_object();
  const json::array& cases = t.at("cases").as_array();
  ASSERT_GE(cases.size(), 40u);
  OnboardEngine engine;
  std::set<std::string> functions_called;
  for (const json::value& c : cases) {
    const json::object& row = c.as_object();
    const std::string say(row.at("say").as_string());
    SCOPED_TRACE(std::string(row.at("toolset").as_string()) + ": " + say);
    json::object extra{{"tools", tools_json(toolsets.at(row.at("toolset").as_string()).as_array())}};
    if (const json::value* choice = row.if_contains("tool_choice")) extra["tool_choice"] = *choice;
    ChatRequest r = onboard_request({json::object{{"role", "user"}, {"content", say}}}, extra);
    AssistantTurn turn = engine.respond(r, kMeta);
    const json::object& expect = row.at("expect").as_object();
    if (const json::value* call = expect.if_contains("call")) {
      ASSERT_EQ(turn.tool_calls.size(), 1u) << turn.content;
      EXPECT_EQ(turn.tool_calls[0].name, call->as_string());
      EXPECT_EQ(json::parse(turn.tool_calls[0].arguments), expect.at("arguments")) << turn.tool_calls[0].arguments;
      EXPECT_EQ(turn.finish_reason, FinishReason::kToolCalls);
      for (const FunctionDefinition& tool : r.tools) {
        if (tool.name == turn.tool_calls[0].name) functions_called.insert(classify(tool).function->name);
      }
    } else {
      EXPECT_TRUE(turn.tool_calls.empty()) << turn.tool_calls[0].name;
      EXPECT_EQ(turn.content, expect.at("content").as_string());
    }
  }
  EXPECT_EQ(functions_called.size(), vehicle_tools().size()) << "the table calls every vehicle function";
}

TEST(ToolClassifier, PlacesToolsByWhatTheyDo) {
  struct Case {
    FunctionDefinition tool;
    std::string expected;  // a catalogue function, or "read_only", "body_moving", "other"
  };
  const Case cases[] = {
      {definition("open_liftgate", ""), "trunk"},
      {definition("Heckklappe_oeffnen", ""), "trunk"},
      {definition("打开尾门", ""), "trunk"},
      {definition("bootLid", "Open or close the boot"), "trunk"},
      {definition("Kofferraum", ""), "trunk"},
      {definition("后备箱开关", ""), "trunk"},
      {definition("openFrunk", ""), "frunk"},
      {definition("front_trunk_release", ""), "frunk"},
      {definition("前备箱", ""), "frunk"},
      {definition("setWindowPosition", ""), "windows"},
      {definition("vehicle.windows.open", ""), "windows"},
      {definition("Fensterheber", ""), "windows"},
      {definition("车窗控制", ""), "windows"},
      {definition("sunroof-control", ""), "sunroof"},
      {definition("天窗", ""), "sunroof"},
      {definition("setCabinTemperature", ""), "set_temperature"},
      {definition("hvac", "HVAC", R"({"type":"object","properties":{"target":{"type":"number","description":"temperature"}}})"),
       "set_temperature"},
      {definition("hvac", "HVAC", R"({"type":"object","properties":{"on":{"type":"boolean"}}})"), "set_climate_on"},
      {definition("Klima", "Klimaanlage an oder aus"), "set_climate_on"},
      {definition("空调开关", ""), "set_climate_on"},
      {definition("seat_heater", ""), "seat_heating"},
      {definition("Sitzheizung", ""), "seat_heating"},
      {definition("座椅加热", ""), "seat_heating"},
      {definition("chargePortDoor", ""), "charge_port"},
      {definition("Ladeklappe", ""), "charge_port"},
      {definition("startNavigation", ""), "set_destination"},
      {definition("导航", ""), "set_destination"},
      {definition("play_song", ""), "media"},
      {definition("Lautstaerke", ""), "media"},
      {definition("headlights", ""), "lights"},
      {definition("车灯", ""), "lights"},
      {definition("wiper_mode", ""), "wipers"},
      {definition("lock_doors", ""), "lock"},
      {definition("Zentralverriegelung", ""), "lock"},
      {definition("do_it", "Opens the tailgate."), "trunk"},
      {definition("set_temperature", "anything at all"), "set_temperature"},
      {definition("get_temperature_outside", ""), "read_only"},
      {definition("get_weather", ""), "read_only"},
      {definition("search_music", ""), "read_only"},
      {definition("getWindowStatus", ""), "read_only"},
      {definition("查询车窗状态", ""), "read_only"},
      {definition("acme_hatch", ""), "body_moving"},
      {definition("open_door", ""), "body_moving"},
      {definition("Tuer_oeffnen", ""), "body_moving"},
      {definition("打开车门", ""), "body_moving"},
      {definition("unlatch", ""), "body_moving"},
      {definition("open_url", ""), "other"},
      {definition("openai_chat", ""), "other"},
      {definition("create_folder", ""), "other"},
      {definition("开发者模式", ""), "other"},
      {definition("closest_station", ""), "other"},
      {definition("tell_joke", ""), "other"},
  };
  for (const Case& c : cases) {
    ToolClass k = classify(c.tool);
    std::string got = k.function != nullptr ? k.function->name : k.read_only ? "read_only" : k.body_moving ? "body_moving" : "other";
    EXPECT_EQ(got, c.expected) << c.tool.name;
  }
}

TEST(ToolClassifier, APinBeatsTheClassifier) {
  ToolPins pins{{"acme_hatch", "trunk"}, {"open_liftgate", "frunk"}};
  EXPECT_EQ(classify(definition("acme_hatch", ""), pins).function->name, "trunk");
  EXPECT_EQ(classify(definition("open_liftgate", ""), pins).function->name, "frunk");
  EXPECT_EQ(classify(definition("acme_hatch", "")).function, nullptr);
}

TEST(ToolBinder, ReadsAppCallsBackInTheCataloguesTerms) {
  struct Case {
    FunctionDefinition tool;
    std::string call;      // the app's arguments
    std::string function;  // what it is classified as
    std::string expected;  // catalogue arguments
  };
  const char* kFraction =
      R"({"type":"object","properties":{"position":{"type":"string","enum":["front_left","all"]},"fraction":{"type":"number","maximum":1}}})";
  const Case cases[] = {
      {definition("open_liftgate", ""), "{}", "trunk", R"({"action":"open"})"},
      {definition("close_liftgate", ""), "{}", "trunk", R"({"action":"close"})"},
      {definition("打开尾门", ""), "{}", "trunk", R"({"action":"open"})"},
      {definition("windows.set", "", kFraction), R"({"position":"front_left","fraction":0.5})", "windows",
       R"({"window":"driver","action":"open","percent":50})"},
      {definition("windows.set", "", kFraction), R"({"position":"all","fraction":0})", "windows",
       R"({"window":"all","action":"close"})"},
      {definition("setCabinTemperature", "", R"({"type":"object","properties":{"temp_f":{"type":"number"}}})"),
       R"({"temp_f":72})", "set_temperature", R"({"celsius":22.2})"},
      {definition("set_temperature", "", R"({"type":"object","properties":{"t":{"type":"number","description":"temperature"},"unit":{"type":"string","enum":["C","F"]}}})"),
       R"({"t":68,"unit":"F"})", "set_temperature", R"({"celsius":20})"},
      {definition("chargePort", "", R"({"type":"object","properties":{"open":{"type":"boolean"}}})"), R"({"open":false})",
       "charge_port", R"({"action":"close"})"},
      {definition("door_locks", "", R"({"type":"object","properties":{"action":{"type":"string","enum":["lock","unlock"]}}})"),
       R"({"action":"unlock"})", "lock", R"({"locked":false})"},
      {definition("Sitzheizung", "", R"({"type":"object","properties":{"sitz":{"type":"string"},"stufe":{"type":"integer","minimum":1,"maximum":5}}})"),
       R"({"sitz":"beifahrer","stufe":5})", "seat_heating", R"({"seat":"passenger","level":3})"},
      {definition("trunk_control", "Tailgate", R"({"type":"object","properties":{"cmd":{"type":"string","enum":["toggle"]}}})"),
       R"({"cmd":"toggle"})", "trunk", "{}"},
  };
  for (const Case& c : cases) {
    ToolClass k = classify(c.tool);
    ASSERT_NE(k.function, nullptr) << c.tool.name;
    EXPECT_EQ(k.function->name, c.function) << c.tool.name;
    EXPECT_EQ(catalogue_arguments(*k.function, c.tool, json::parse(c.call).as_object()), json::parse(c.expected))
        << c.tool.name << " " << c.call;
  }
}

TEST(ToolBinder, NeverInventsARequiredValue) {
  const VehicleTool& nav = *find_vehicle_tool("set_destination");
  FunctionDefinition by_coordinates = definition(
      "navigate", "", R"({"type":"object","properties":{"lat":{"type":"number"},"lon":{"type":"number"},"label":{"type":"string"}},"required":["lat","lon"]})");
  Binding b = bind_arguments(nav, json::object{{"destination", "Berlin"}}, by_coordinates);
  EXPECT_EQ(b.outcome, Binding::Outcome::kMissingValue);
  EXPECT_EQ(b.detail, "lat");
  FunctionDefinition optional_extra = definition(
      "navigate", "", R"({"type":"object","properties":{"address":{"type":"string","pattern":"^.+$"},"avoid_tolls":{"type":"boolean"}},"required":["address"]})");
  b = bind_arguments(nav, json::object{{"destination", "Berlin"}}, optional_extra);
  EXPECT_EQ(b.outcome, Binding::Outcome::kOutOfRange) << "a schema keyword nobody checks is not ignored";
  optional_extra.parameters["properties"].as_object()["address"].as_object().erase("pattern");
  b = bind_arguments(nav, json::object{{"destination", "Berlin"}}, optional_extra);
  ASSERT_EQ(b.outcome, Binding::Outcome::kBound);
  EXPECT_EQ(b.arguments, json::parse(R"({"address":"Berlin"})"));
}

// A conversation where the assistant called `tool` with `arguments` and the vehicle answered.
ChatRequest after_call(std::string_view said, const json::array& tools, std::string_view tool, std::string_view arguments,
                       std::string_view result) {
  json::object call{{"id", "call_7"}, {"type", "function"}, {"function", {{"name", tool}, {"arguments", arguments}}}};
  return onboard_request({json::object{{"role", "user"}, {"content", said}},
                  json::object{{"role", "assistant"}, {"content", nullptr}, {"tool_calls", json::array{call}}},
                  json::object{{"role", "tool"}, {"tool_call_id", "call_7"}, {"content", result}}},
                 {{"tools", tools_json(tools)}});
}

TEST(ToolBinder, ResultsOfAppToolsAreConfirmedInTheUsersLanguage) {
  json::object t = table();
  const json::object& sets = t.at("toolsets").as_object();
  OnboardEngine engine;
  struct Case {
    std::string said, toolset, tool, arguments, expected;
  };
  const Case cases[] = {
      {"open the trunk", "liftgate", "open_liftgate", "{}", "Done — trunk: open."},
      {"打开尾门", "chinese", "打开尾门", "{}", "好的，后备箱已打开。"},
      {"Heckklappe öffnen", "german", "Heckklappe_oeffnen", "{}", "Erledigt: Kofferraum geöffnet."},
      {"set the temperature to 22 degrees", "openai_node_climate", "setCabinTemperature", R"({"temp_f":71.6})",
       "Done — temperature: 22 °C."},
      {"close the driver window", "vercel_windows", "vehicle.windows.close", R"({"position":"front_left"})",
       "Done — windows: closed."},
      {"Heizung aus", "german", "heizung_einstellen", R"({"stufe":"aus"})", "Erledigt: Klimaanlage aus."},
      {"get me the weather", "not_the_car", "get_weather", R"({"city":"Berlin"})", "Done."},
      {"open the trunk", "liftgate", "trunk", R"({"action":"open"})", "Done — trunk: open."},  // a catalogue call
  };
  for (const Case& c : cases) {
    AssistantTurn turn = engine.respond(after_call(c.said, sets.at(c.toolset).as_array(), c.tool, c.arguments, "{}"), kMeta);
    EXPECT_TRUE(turn.tool_calls.empty());
    EXPECT_EQ(turn.content, c.expected) << c.said;
  }
}

// Every tool of the table with bytes flipped: classifying, binding, reading back and reviewing
// never crash, whatever the definition or the call says.
TEST(ToolBinder, SurvivesMangledDefinitions) {
  json::object t = table();
  const Intent intents[] = {parse_intent("open the windows halfway"), parse_intent("set the temperature to 22 degrees"),
                            parse_intent("Sitzheizung Stufe 2"), parse_intent("打开尾门"), parse_intent("set the volume to 6")};
  VehicleState parked;
  parked.speed_kmh = 0;
  parked.gear = Gear::kPark;
  parked.updated_at = Clock::now();
  size_t tried = 0;
  for (const auto& set : t.at("toolsets").as_object()) {
    for (const json::value& d : set.value().as_array()) {
      const std::string text = json::serialize(d);
      for (size_t i = 0; i < text.size(); ++i) {
        std::string mangled = text;
        mangled[i] = static_cast<char>(mangled[i] ^ 0x20);
        boost::system::error_code ec;
        json::value v = json::parse(mangled, ec);
        if (ec || !v.is_object() || !v.as_object().contains("name") || !v.as_object().at("name").is_string()) continue;
        FunctionDefinition f{std::string(v.as_object().at("name").as_string()), "", {}};
        if (const json::value* p = v.as_object().if_contains("parameters"); p != nullptr && p->is_object()) f.parameters = p->as_object();
        const std::vector<FunctionDefinition> tools{f};
        for (const Intent& intent : intents) {
          Binding b = bind_intent(intent, tools, ToolChoice{});
          const std::string call = b.outcome == Binding::Outcome::kBound ? json::serialize(b.arguments) : "{\"x\":[1,{}]}";
          InterlockDecision d = review_tool_call(f.name, call, &parked, parked.updated_at, {}, Language::kEn, OfferedTools{tools});
          EXPECT_EQ(d.allowed, d.reason_code.empty()) << mangled;
          if (ToolClass c = classify(f); c.function != nullptr) catalogue_arguments(*c.function, f, json::parse(call).as_object());
          ++tried;
        }
      }
    }
  }
  EXPECT_GT(tried, 1000u);
}

TEST(ToolBinder, NoToolsOfferedKeepsTheCatalogue) {
  Intent intent = parse_intent("open the trunk");
  Binding b = bind_intent(intent, vehicle_function_definitions(), ToolChoice{});
  ASSERT_EQ(b.outcome, Binding::Outcome::kBound);
  EXPECT_EQ(b.tool->name, "trunk");
  EXPECT_EQ(b.arguments, json::parse(R"({"action":"open"})"));
  for (const VehicleTool& tool : vehicle_tools()) {
    EXPECT_EQ(classify(FunctionDefinition{tool.name, tool.description, tool.parameters}).function, &tool);
  }
}

}  // namespace
}  // namespace fleetgate::assistant
