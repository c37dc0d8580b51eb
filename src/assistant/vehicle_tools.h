// The catalogue of vehicle functions the assistant may call: each tool has an OpenAI function
// definition (name, description, JSON-schema parameters in the json_schema.h subset) and a short
// localized label for answers. The catalogue is fixed data, built once.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

// seat_heating's highest level ("highest", "max" in an utterance).
inline constexpr int kSeatHeatingMaxLevel = 3;
// media's loudest volume ("max volume"); 0 is mute.
inline constexpr int kMediaMaxVolume = 10;

struct VehicleTool {
  std::string name;                // e.g. "trunk"
  std::string description;         // for the model
  boost::json::object parameters;  // JSON schema of the arguments object
  Localized label;                 // "trunk" / "后备箱" / "Kofferraum"
};

// All tools, in a stable order: set_temperature, set_climate_on, seat_heating, windows, sunroof,
// trunk, frunk, charge_port, set_destination, media, lights, wipers, lock.
const std::vector<VehicleTool>& vehicle_tools();

// The tool called `name`, or nullptr when the catalogue has none (e.g. a hallucinated name).
const VehicleTool* find_vehicle_tool(std::string_view name);

// The catalogue as function definitions, as an app would offer them: what the on-board engine
// calls and the review reads calls against when a request offers no tools of its own.
const std::vector<FunctionDefinition>& vehicle_function_definitions();

// The catalogue as an OpenAI `tools` array: [{type: "function", function: {name, description,
// parameters}}], ready to inject into or advertise with a request.
boost::json::array vehicle_tools_json();

// Parses `arguments_json` (a tool call's arguments text) and validates it against `parameters`,
// a tool's schema (a catalogue tool's or an app's own). Errors are kInvalidArgument: "arguments:
// invalid JSON (...)", "arguments: duplicate key 'NAME'" (strict_json.h), "arguments: must be an
// object" or the schema checker's "PATH: reason"; kInternal when the schema uses a keyword
// json_schema.h does not check.
Result<boost::json::object> parse_tool_arguments(const boost::json::object& parameters, std::string_view arguments_json);

}  // namespace fleetgate::assistant
