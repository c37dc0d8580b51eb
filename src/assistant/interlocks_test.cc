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

}  // namespace
}  // namespace fleetgate::assistant
