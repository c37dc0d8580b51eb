#include "fleetgate/assistant/vehicle_tools.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

// One valid and one invalid call per tool, with the checker's message for the invalid one.
struct Sample {
  std::string tool;
  std::string valid;
  std::string invalid;
  std::string error;
};

const Sample kSamples[] = {
    {"set_temperature", R"({"celsius":21.5,"zone":"passenger"})", R"({"celsius":35})", "celsius: must be at most 28"},
    {"set_climate_on", R"({"on":true})", R"({"on":"yes"})", "on: must be a boolean"},
    {"seat_heating", R"({"seat":"rear_left","level":3})", R"({"seat":"driver","level":4})", "level: must be at most 3"},
    {"windows", R"({"action":"vent"})", R"({"window":"roof","action":"open"})",
     "window: must be one of driver, passenger, rear_left, rear_right, all"},
    {"sunroof", R"({"action":"close"})", R"({})", "action: is required"},
    {"trunk", R"({"action":"open"})", R"({"action":"vent"})", "action: must be one of open, close"},
    {"frunk", R"({"action":"open"})", R"({"action":"close"})", "action: must be one of open"},
    {"charge_port", R"({"action":"close"})", R"({"action":"open","force":true})", "force: is not a known property"},
    {"set_destination", R"({"destination":"上海虹桥站"})", R"({"destination":""})", "destination: must not be empty"},
    {"media", R"({"volume":0})", R"({})", "must set at least 1 of action, volume"},
    {"lights", R"({"action":"flash"})", R"({"action":"dim"})", "action: must be one of on, off, flash"},
    {"wipers", R"({"mode":"auto"})", R"({"mode":3})", "mode: must be a string"},
    {"lock", R"({"locked":false})", R"([])", "arguments: must be an object"},
};

TEST(VehicleTools, EveryToolAcceptsValidAndRejectsInvalidArguments) {
  std::set<std::string> covered;
  for (const Sample& s : kSamples) {
    const VehicleTool* tool = find_vehicle_tool(s.tool);
    ASSERT_NE(tool, nullptr) << s.tool;
    auto ok = parse_tool_arguments(tool->parameters, s.valid);
    EXPECT_TRUE(ok.is_ok()) << s.tool << ": " << ok.status().to_string();
    auto bad = parse_tool_arguments(tool->parameters, s.invalid);
    ASSERT_FALSE(bad.is_ok()) << s.tool << " accepted " << s.invalid;
    EXPECT_EQ(bad.status().code(), Code::kInvalidArgument);
    EXPECT_EQ(bad.status().message(), s.error) << s.tool;
    covered.insert(s.tool);
  }
  EXPECT_EQ(covered.size(), vehicle_tools().size()) << "every catalogue tool has a sample";
}

TEST(VehicleTools, ArgumentsMustBeJsonObjects) {
  const VehicleTool* trunk = find_vehicle_tool("trunk");
  ASSERT_NE(trunk, nullptr);
  auto r = parse_tool_arguments(trunk->parameters, "{\"action\":");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message().rfind("arguments: invalid JSON", 0), 0u) << r.status().message();
  EXPECT_FALSE(parse_tool_arguments(trunk->parameters, "").is_ok());
}

// A reviewer and a car must not read different values out of one arguments text.
TEST(VehicleTools, DuplicateKeysAreRefusedAtAnyDepth) {
  const VehicleTool* trunk = find_vehicle_tool("trunk");
  const VehicleTool* climate = find_vehicle_tool("set_temperature");
  ASSERT_NE(trunk, nullptr);
  ASSERT_NE(climate, nullptr);
  auto r = parse_tool_arguments(trunk->parameters, R"({"action":"open","action":"close"})");
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), "arguments: duplicate key 'action'");
  r = parse_tool_arguments(trunk->parameters, R"({"action":"open","\u0061ction":"close"})");
  ASSERT_FALSE(r.is_ok()) << "an escaped spelling is the same key";
  EXPECT_EQ(r.status().message(), "arguments: duplicate key 'action'");
  r = parse_tool_arguments(climate->parameters, R"({"celsius":21,"zone":"driver","celsius":28})");
  EXPECT_FALSE(r.is_ok());
}

TEST(VehicleTools, UnknownNamesAreNotFound) {
  EXPECT_EQ(find_vehicle_tool("self_destruct"), nullptr);
  EXPECT_EQ(find_vehicle_tool(""), nullptr);
  EXPECT_EQ(find_vehicle_tool("Trunk"), nullptr);
}

TEST(VehicleTools, ToolsArrayIsWhatChatRequestsCarry) {
  json::array tools = vehicle_tools_json();
  ASSERT_EQ(tools.size(), vehicle_tools().size());
  std::set<std::string> names;
  for (const json::value& t : tools) {
    EXPECT_EQ(t.at("type"), "function");
    const json::object& fn = t.at("function").as_object();
    names.insert(std::string(fn.at("name").as_string()));
    EXPECT_FALSE(fn.at("description").as_string().empty());
    EXPECT_EQ(fn.at("parameters").at("type"), "object");
    EXPECT_EQ(fn.at("parameters").at("additionalProperties"), false);
  }
  EXPECT_EQ(names.size(), tools.size()) << "names are unique";
}

TEST(VehicleTools, EveryToolHasALabelInEveryLanguage) {
  for (const VehicleTool& tool : vehicle_tools()) {
    for (Language lang : kAllLanguages) EXPECT_FALSE(tool.label.in(lang).empty()) << tool.name;
  }
}

}  // namespace
}  // namespace fleetgate::assistant

namespace fleetgate::assistant {
namespace {

// The README's catalogue table row of `tool` ("| `tool` | arguments |"), or "" when missing.
std::string readme_row(const std::string& readme, const std::string& tool) {
  const std::string start = "| `" + tool + "` |";
  const size_t at = readme.find(start);
  if (at == std::string::npos) return "";
  return readme.substr(at, readme.find('\n', at) - at);
}

// What an app developer reads is what the code checks: every tool, each argument (with * when
// required), every enum value and every range of the catalogue is in the README's table.
TEST(AssistantDocs, TheReadmeListsTheCatalogue) {
  std::ifstream in(std::string(FLEETGATE_SOURCE_DIR) + "/README.md");
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(readme.empty());
  for (const VehicleTool& tool : vehicle_tools()) {
    const std::string row = readme_row(readme, tool.name);
    ASSERT_FALSE(row.empty()) << tool.name << " has no row in the README's catalogue table";
    std::set<std::string> required;
    if (const json::value* r = tool.parameters.if_contains("required")) {
      for (const json::value& name : r->as_array()) required.insert(std::string(name.as_string()));
    }
    for (const auto& [name, schema] : tool.parameters.at("properties").as_object()) {
      const std::string arg = "`" + std::string(name) + "`" + (required.contains(std::string(name)) ? "*" : " ");
      EXPECT_NE(row.find(arg), std::string::npos) << tool.name << ": " << arg << " in " << row;
      const json::object& s = schema.as_object();
      if (const json::value* e = s.if_contains("enum")) {
        for (const json::value& v : e->as_array()) {
          EXPECT_NE(row.find("`" + std::string(v.as_string()) + "`"), std::string::npos) << tool.name << "." << name << ": " << v;
        }
      }
      if (s.contains("minimum")) {
        const std::string range = std::to_string(s.at("minimum").to_number<int64_t>()) + "–" +
                                  std::to_string(s.at("maximum").to_number<int64_t>());
        EXPECT_NE(row.find(range), std::string::npos) << tool.name << "." << name << ": " << range << " in " << row;
      }
      if (s.contains("maxLength")) {
        const std::string range = std::to_string(s.at("minLength").to_number<int64_t>()) + "–" +
                                  std::to_string(s.at("maxLength").to_number<int64_t>()) + " characters";
        EXPECT_NE(row.find(range), std::string::npos) << tool.name << "." << name << ": " << range << " in " << row;
      }
    }
  }
}

}  // namespace
}  // namespace fleetgate::assistant
