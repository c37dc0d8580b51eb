#include "fleetgate/assistant/interlocks.h"

#include <gtest/gtest.h>

namespace fleetgate::assistant {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kNow = Clock::time_point(1700000000s);

VehicleState parked() {
  VehicleState s;
  s.speed_kmh = 0;
  s.gear = Gear::kPark;
  s.charging = false;
  s.charge_cable_connected = false;
  s.occupancy = {{"driver", true}, {"passenger", false}};
  s.updated_at = kNow - 2s;
  return s;
}

VehicleState driving(double kmh) {
  VehicleState s = parked();
  s.speed_kmh = kmh;
  s.gear = Gear::kDrive;
  return s;
}

VehicleState with(VehicleState s, void (*change)(VehicleState&)) {
  change(s);
  return s;
}

struct Case {
  std::string what;
  std::string tool;
  std::string arguments;
  std::optional<VehicleState> state;
  std::string reason;  // "" = allowed
};

TEST(Interlocks, TableOfDecisions) {
  const VehicleState stopped_in_drive = with(parked(), [](VehicleState& s) { s.gear = Gear::kDrive; });
  const VehicleState charging = with(parked(), [](VehicleState& s) { s.charging = true; s.charge_cable_connected = true; });
  const VehicleState plugged = with(parked(), [](VehicleState& s) { s.charge_cable_connected = true; });
  const VehicleState stale = with(parked(), [](VehicleState& s) { s.updated_at = kNow - 16s; });
  const VehicleState from_future = with(parked(), [](VehicleState& s) { s.updated_at = kNow + 60s; });
  const VehicleState no_gear = with(parked(), [](VehicleState& s) { s.gear.reset(); });
  const VehicleState no_speed = with(driving(0), [](VehicleState& s) { s.speed_kmh.reset(); });
  const VehicleState no_charging = with(parked(), [](VehicleState& s) { s.charging.reset(); });

  const Case cases[] = {
      {"trunk at 0 km/h in P", "trunk", R"({"action":"open"})", parked(), ""},
      {"trunk at 30 km/h", "trunk", R"({"action":"open"})", driving(30), "vehicle_not_parked"},
      {"trunk stopped in D", "trunk", R"({"action":"open"})", stopped_in_drive, "vehicle_not_parked"},
      {"trunk closing while driving", "trunk", R"({"action":"close"})", driving(30), ""},
      {"trunk with stale state", "trunk", R"({"action":"open"})", stale, "vehicle_state_stale"},
      {"trunk with a state from the future", "trunk", R"({"action":"open"})", from_future, "vehicle_state_stale"},
      {"trunk without state", "trunk", R"({"action":"open"})", std::nullopt, "vehicle_state_unknown"},
      {"trunk with gear unknown", "trunk", R"({"action":"open"})", no_gear, "vehicle_state_unknown"},
      {"trunk moving, gear unknown", "trunk", R"({"action":"open"})",
       with(driving(50), [](VehicleState& s) { s.gear.reset(); }), "vehicle_not_parked"},
      {"frunk at 0 km/h in P", "frunk", R"({"action":"open"})", parked(), ""},
      {"frunk in reverse", "frunk", R"({"action":"open"})", with(driving(3), [](VehicleState& s) { s.gear = Gear::kReverse; }),
       "vehicle_not_parked"},
      {"charge port open parked", "charge_port", R"({"action":"open"})", parked(), ""},
      {"charge port open at 5 km/h", "charge_port", R"({"action":"open"})", driving(5), "vehicle_not_parked"},
      {"charge port close while charging", "charge_port", R"({"action":"close"})", charging, "charging_in_progress"},
      {"charge port close with cable in", "charge_port", R"({"action":"close"})", plugged, "charge_cable_connected"},
      {"charge port close, charging unknown", "charge_port", R"({"action":"close"})", no_charging, "vehicle_state_unknown"},
      {"charge port close unplugged", "charge_port", R"({"action":"close"})", parked(), ""},
      {"window open at 120 km/h", "windows", R"({"action":"open"})", driving(120), ""},
      {"window open at 130 km/h", "windows", R"({"action":"open","window":"driver"})", driving(130), "speed_too_high"},
      {"window open halfway at 130 km/h", "windows", R"({"action":"open","window":"all","percent":50})", driving(130),
       "speed_too_high"},
      {"window vent at 130 km/h", "windows", R"({"action":"vent"})", driving(130), ""},
      {"window close, no state", "windows", R"({"action":"close"})", std::nullopt, ""},
      {"window open, speed unknown", "windows", R"({"action":"open"})", no_speed, "vehicle_state_unknown"},
      {"sunroof open at 150 km/h", "sunroof", R"({"action":"open"})", driving(150), "speed_too_high"},
      {"sunroof open at 80 km/h", "sunroof", R"({"action":"open"})", driving(80), ""},
      {"unlock while driving", "lock", R"({"locked":false})", driving(10), "vehicle_moving"},
      {"unlock stopped in D", "lock", R"({"locked":false})", stopped_in_drive, ""},
      {"lock while driving", "lock", R"({"locked":true})", driving(10), ""},
      {"heat occupied seat", "seat_heating", R"({"seat":"driver","level":2})", driving(50), ""},
      {"heat empty seat", "seat_heating", R"({"seat":"passenger","level":2})", driving(50), "seat_unoccupied"},
      {"switch off empty seat", "seat_heating", R"({"seat":"passenger","level":0})", driving(50), ""},
      {"heat seat of unknown occupancy", "seat_heating", R"({"seat":"rear_left","level":1})", driving(50), ""},
      {"heat seat without state", "seat_heating", R"({"seat":"passenger","level":1})", std::nullopt, ""},
      {"temperature without state", "set_temperature", R"({"celsius":21})", std::nullopt, ""},
      {"destination while driving", "set_destination", R"({"destination":"Berlin"})", driving(100), ""},
      {"unknown tool", "self_destruct", R"({})", parked(), "unknown_tool"},
      {"out-of-range temperature", "set_temperature", R"({"celsius":40})", parked(), "invalid_arguments"},
      {"unknown argument", "trunk", R"({"action":"open","force":true})", parked(), "invalid_arguments"},
      {"arguments not JSON", "trunk", R"(open)", parked(), "invalid_arguments"},
  };
  for (const Case& c : cases) {
    const VehicleState* state = c.state ? &*c.state : nullptr;
    InterlockDecision d = review_tool_call(c.tool, c.arguments, state, kNow);
    EXPECT_EQ(d.allowed, c.reason.empty()) << c.what << ": " << d.reason_code << " " << d.message;
    EXPECT_EQ(d.reason_code, c.reason) << c.what;
    EXPECT_EQ(d.message.empty(), c.reason.empty()) << c.what;
  }
}

TEST(Interlocks, AllowedCallsCarryTheParsedArguments) {
  VehicleState s = parked();
  InterlockDecision d = review_tool_call("trunk", R"({"action":"open"})", &s, kNow);
  ASSERT_TRUE(d.allowed);
  EXPECT_EQ(d.arguments, boost::json::parse(R"({"action":"open"})").as_object());
}

TEST(Interlocks, OptionsMoveTheLimits) {
  VehicleState s = driving(90);
  InterlockOptions strict;
  strict.max_open_speed_kmh = 80;
  strict.max_state_age = 1s;
  EXPECT_TRUE(review_tool_call("windows", R"({"action":"open"})", &s, kNow).allowed);
  InterlockDecision d = review_tool_call("windows", R"({"action":"open"})", &s, kNow, strict);
  EXPECT_EQ(d.reason_code, "vehicle_state_stale") << "2 s old is stale under a 1 s limit";
  s.updated_at = kNow;
  d = review_tool_call("windows", R"({"action":"open"})", &s, kNow, strict);
  EXPECT_EQ(d.reason_code, "speed_too_high");
  EXPECT_NE(d.message.find("80 km/h"), std::string::npos) << d.message;
}

TEST(Interlocks, MessagesSpeakTheRequestedLanguage) {
  VehicleState s = driving(30);
  EXPECT_EQ(review_tool_call("trunk", R"({"action":"open"})", &s, kNow, {}, Language::kEn).message,
            "That only works when the vehicle is stopped in P, so the trunk stays closed.");
  EXPECT_EQ(review_tool_call("trunk", R"({"action":"open"})", &s, kNow, {}, Language::kZh).message,
            "车辆需在P挡静止时才能打开后备箱。");
  EXPECT_EQ(review_tool_call("trunk", R"({"action":"open"})", &s, kNow, {}, Language::kDe).message,
            "Kofferraum: Öffnen nur im Stand in Gang P möglich.");
  EXPECT_EQ(review_tool_call("warp_drive", "{}", &s, kNow, {}, Language::kDe).message,
            "„warp_drive“ ist keine verfügbare Fahrzeugfunktion.");
  EXPECT_EQ(review_tool_call("set_temperature", R"({"celsius":40})", &s, kNow).message,
            "That request had invalid settings (celsius: must be at most 28).");
}

FunctionDefinition tool(std::string name, std::string_view parameters = "{}", std::string description = "") {
  return {std::move(name), std::move(description), boost::json::parse(parameters).as_object()};
}

// Apps' own tools under their own names, judged by what they do: renamed trunk, window and door
// tools in three languages are refused while the car moves and allowed when it is parked.
TEST(Interlocks, AppToolsAreReviewedByWhatTheyDo) {
  const std::vector<FunctionDefinition> tools = {
      tool("open_liftgate"),
      tool("Heckklappe_oeffnen"),
      tool("打开尾门"),
      tool("setWindowPosition",
           R"({"type":"object","properties":{"window":{"type":"string"},"fraction":{"type":"number","minimum":0,"maximum":1}},"required":["fraction"]})"),
      tool("车窗控制", R"({"type":"object","properties":{"开度":{"type":"integer","minimum":0,"maximum":100}}})"),
      tool("unlockDoors"),
      tool("Zentralverriegelung", R"({"type":"object","properties":{"verriegelt":{"type":"boolean"}}})"),
      tool("chargePort", R"({"type":"object","properties":{"open":{"type":"boolean"}}})"),
      tool("trunk_control", R"({"type":"object","properties":{"cmd":{"type":"string","enum":["toggle"]}}})", "Tailgate"),
  };
  const OfferedTools offered{tools};
  struct Call {
    std::string name, arguments, moving_reason;  // refused at 130 km/h in D with this reason
  };
  const Call calls[] = {
      {"open_liftgate", "{}", "vehicle_not_parked"},
      {"Heckklappe_oeffnen", "{}", "vehicle_not_parked"},
      {"打开尾门", "{}", "vehicle_not_parked"},
      {"setWindowPosition", R"({"window":"driver","fraction":0.5})", "speed_too_high"},
      {"车窗控制", R"({"开度":80})", "speed_too_high"},
      {"unlockDoors", "{}", "vehicle_moving"},
      {"Zentralverriegelung", R"({"verriegelt":false})", "vehicle_moving"},
      {"chargePort", R"({"open":true})", "vehicle_not_parked"},
      {"trunk_control", R"({"cmd":"toggle"})", "vehicle_not_parked"},  // unreadable action: the worst is assumed
  };
  const VehicleState moving = driving(130);
  const VehicleState stopped = parked();
  for (const Call& c : calls) {
    InterlockDecision d = review_tool_call(c.name, c.arguments, &moving, kNow, {}, Language::kEn, offered);
    EXPECT_FALSE(d.allowed) << c.name;
    EXPECT_EQ(d.reason_code, c.moving_reason) << c.name;
    d = review_tool_call(c.name, c.arguments, &stopped, kNow, {}, Language::kEn, offered);
    EXPECT_TRUE(d.allowed) << c.name << ": " << d.reason_code;
    EXPECT_EQ(d.arguments, boost::json::parse(c.arguments).as_object()) << "the app's own arguments reach the car";
  }
  // What does not move the body passes at speed: closing a window, locking, a window held at 0.
  EXPECT_TRUE(review_tool_call("setWindowPosition", R"({"fraction":0})", &moving, kNow, {}, Language::kEn, offered).allowed);
  EXPECT_TRUE(review_tool_call("Zentralverriegelung", R"({"verriegelt":true})", &moving, kNow, {}, Language::kEn, offered).allowed);
  // The app's schema is the one its calls must meet.
  EXPECT_EQ(review_tool_call("setWindowPosition", R"({"fraction":2})", &stopped, kNow, {}, Language::kEn, offered).reason_code,
            "invalid_arguments");
}

TEST(Interlocks, AnUnplacedBodyToolIsRefusedUnlessPinned) {
  const std::vector<FunctionDefinition> tools = {tool("acme_hatch"), tool("open_door"), tool("get_weather"),
                                                 tool("search_music", R"({"type":"object","properties":{"q":{"type":"string"}}})")};
  const VehicleState moving = driving(50);
  const VehicleState stopped = parked();
  for (std::string_view name : {"acme_hatch", "open_door"}) {
    for (const VehicleState* s : {&moving, &stopped}) {
      InterlockDecision d = review_tool_call(name, "{}", s, kNow, {}, Language::kEn, OfferedTools{tools});
      EXPECT_EQ(d.reason_code, "unclassified_body_tool") << name;
    }
  }
  EXPECT_EQ(review_tool_call("acme_hatch", "{}", &moving, kNow, {}, Language::kDe, OfferedTools{tools}).message,
            "„acme_hatch“ scheint ein Fahrzeugteil zu bewegen, lässt sich aber keiner Fahrzeugfunktion zuordnen, daher "
            "wurde es nicht ausgeführt.");
  // Pinned, it follows the pinned function's interlocks: the trunk's.
  const ToolPins pins{{"acme_hatch", "trunk"}};
  const OfferedTools pinned{tools, &pins};
  EXPECT_EQ(review_tool_call("acme_hatch", "{}", &moving, kNow, {}, Language::kEn, pinned).reason_code, "vehicle_not_parked");
  EXPECT_TRUE(review_tool_call("acme_hatch", "{}", &stopped, kNow, {}, Language::kEn, pinned).allowed);
  // Not the car's: the app's own business, at any speed.
  EXPECT_TRUE(review_tool_call("get_weather", R"({"city":"Berlin"})", &moving, kNow, {}, Language::kEn, pinned).allowed);
  EXPECT_TRUE(review_tool_call("search_music", R"({"q":"jazz"})", nullptr, kNow, {}, Language::kEn, pinned).allowed);
  EXPECT_EQ(review_tool_call("get_weather", R"({"city":)", &moving, kNow, {}, Language::kEn, pinned).reason_code,
            "invalid_arguments") << "what cannot be read is not forwarded";
  // A tool neither offered nor in the catalogue stays unknown.
  EXPECT_EQ(review_tool_call("warp_drive", "{}", &stopped, kNow, {}, Language::kEn, pinned).reason_code, "unknown_tool");
}

// An app's set_temperature takes the app's arguments, not the catalogue's.
TEST(Interlocks, ACatalogueNameOfferedByTheAppFollowsTheAppsSchema) {
  const std::vector<FunctionDefinition> tools = {
      tool("set_temperature", R"({"type":"object","properties":{"temperature":{"type":"number"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["temperature","unit"]})")};
  const VehicleState s = parked();
  EXPECT_TRUE(review_tool_call("set_temperature", R"({"temperature":72,"unit":"fahrenheit"})", &s, kNow, {}, Language::kEn,
                               OfferedTools{tools}).allowed);
  EXPECT_EQ(review_tool_call("set_temperature", R"({"celsius":22})", &s, kNow, {}, Language::kEn, OfferedTools{tools}).reason_code,
            "invalid_arguments");
  EXPECT_TRUE(review_tool_call("set_temperature", R"({"celsius":22})", &s, kNow).allowed) << "no tools offered: the catalogue";
}

}  // namespace
}  // namespace fleetgate::assistant
