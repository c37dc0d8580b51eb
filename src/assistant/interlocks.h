// Safety interlocks: every tool call from any provider passes review_tool_call() before it can
// reach a vehicle, judged by what the tool DOES. A call of a tool the request offered is read
// against the app's own definition: classify() (tool_classifier.h, config pins first) says which
// catalogue function it performs, its arguments must satisfy the app's schema, and
// catalogue_arguments() (tool_binder.h) translates them into that function's terms
// (open_liftgate() is trunk {action: open}; windows.set({fraction: 0.5}) opens windows). A call of
// a tool the request did not offer must be a catalogue tool with catalogue arguments, as when no
// tools are offered. A call is refused when the tool is unknown, its arguments fail its schema, or
// a rule of the interlock table forbids it in the vehicle's latest state:
//   trunk/frunk/charge_port open   only when stopped (0 km/h) in P          vehicle_not_parked
//   windows/sunroof open           only at or below max_open_speed_kmh      speed_too_high
//   charge_port close              not while charging                       charging_in_progress
//                                  not while the cable is connected         charge_cable_connected
//   lock {locked:false}            only when stopped (0 km/h)               vehicle_moving
//   seat_heating level > 0         not on a seat reported empty             seat_unoccupied
// Offered tools the classifier cannot place: one named or described like something that moves
// the car's body (open/close/unlock/move verbs, door/hatch/window/roof/lid nouns, in English,
// Chinese and German) is refused with unclassified_body_tool unless config pins its function
// ([assistant.tool_functions]); any other (get_weather, search_music: read-only or not the
// car's) passes unreviewed: it is the app's own business.
// Fail safe: a rule applies when the translated arguments do not say (an app's action that could
// not be read counts as open, unlock, heat); a rule that needs a fact the state lacks (no state,
// field unknown) refuses with vehicle_state_unknown; a state older than max_state_age makes every
// fact unknown and refuses with vehicle_state_stale. Only the seat rule lets unknown occupancy
// pass: heating an occupied seat is the normal case and a wrong "empty" is the only harm it
// guards against.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/assistant/vehicle_tools.h"

namespace fleetgate::assistant {

using Clock = std::chrono::system_clock;

enum class Gear { kPark, kReverse, kNeutral, kDrive };

// The gear a state report or telemetry names: "P", "R", "N" or "D"; nullopt for anything else.
std::optional<Gear> parse_gear(std::string_view name);
// The letter of `gear`, as parse_gear reads it.
std::string_view gear_name(Gear gear);

// The vehicle's latest reported state; std::nullopt means the vehicle did not report it.
struct VehicleState {
  std::optional<double> speed_kmh;
  std::optional<Gear> gear;
  std::optional<bool> charging;
  std::optional<bool> charge_cable_connected;
  // Seat -> occupied, keyed like seat_heating's `seat`: driver, passenger, rear_left, rear_right.
  // A seat not listed is unknown.
  std::map<std::string, bool, std::less<>> occupancy;
  Clock::time_point updated_at;
};

struct InterlockOptions {
  // A state older (or, through clock skew, newer) than this is stale. Vehicles report about
  // once a second while awake, so 15 s tolerates a few lost reports.
  std::chrono::milliseconds max_state_age{15000};
  // Above this speed windows and sunroof may not open (vent stays allowed): wind buffeting and
  // objects leaving the car at motorway speed.
  double max_open_speed_kmh = 120;
};

// What a call's tool name is read against: the tools the request offered (none: the catalogue
// alone) and the functions config pins to tool names.
struct OfferedTools {
  std::span<const FunctionDefinition> tools;
  const ToolPins* pins = nullptr;
};

struct InterlockDecision {
  bool allowed = false;
  std::string reason_code;          // "" when allowed, else e.g. "vehicle_not_parked"
  std::string message;              // for the user, in the requested language; "" when allowed
  boost::json::object arguments;    // the parsed, schema-valid arguments, in the tool's own terms
                                    // (empty if they were not)
};

// Checks the interlock table for a call of catalogue function `tool` with `arguments` in its
// terms (schema-valid, or translated from an app's call, where a field may be missing). `state`
// may be null (nothing known).
InterlockDecision check_interlocks(const VehicleTool& tool, const boost::json::object& arguments,
                                   const VehicleState* state, Clock::time_point now,
                                   const InterlockOptions& options = {}, Language lang = Language::kEn);

// The one entry point for a tool call coming back from a provider, as described above: the tool
// must be offered or in the catalogue ("unknown_tool"), placeable when it looks body-moving
// ("unclassified_body_tool"), its arguments text must satisfy its schema ("invalid_arguments"),
// then check_interlocks decides.
InterlockDecision review_tool_call(std::string_view name, std::string_view arguments_json,
                                   const VehicleState* state, Clock::time_point now,
                                   const InterlockOptions& options = {}, Language lang = Language::kEn,
                                   const OfferedTools& offered = {});

// The refusal of a call that could not be read at all (held_tool_calls.h): "unreadable_tool_call".
InterlockDecision refuse_unreadable_tool_call(Language lang = Language::kEn);

}  // namespace fleetgate::assistant
