// Which catalogue vehicle function (vehicle_tools.h) an app's own tool performs, or that it
// performs none and whether it then looks like it moves the car's body.
//
// Read the way a language model reads it: the name split into words (snake_case, camelCase,
// dotted, kebab), then the description, in English, Chinese and German ("open_liftgate",
// "Heckklappe_oeffnen" and "打开尾门" are the trunk); the climate is set_temperature when the tool
// takes a temperature, else set_climate_on. A tool named like a catalogue function is that
// function (its arguments still follow the app's schema). Config can pin a function to a name
// ([assistant.tool_functions]), which beats the classifier.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/vehicle_tools.h"
#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

// Tool name -> catalogue function name.
using ToolPins = std::map<std::string, std::string, std::less<>>;

struct ToolClass {
  const VehicleTool* function = nullptr;  // what it performs; null: unknown
  // Unknown tools only. read_only: its name reads or reports and sets nothing ("get_", "fetch",
  // "query", "查询", "abfragen"; weather). body_moving: it is named or described like something
  // that moves the car's body (open/close/unlock/move verbs, door/hatch/window/roof/lid nouns, in
  // the three languages), unless it names a thing that is clearly not the car (url, file, app...).
  bool read_only = false;
  bool body_moving = false;
};

ToolClass classify(const FunctionDefinition& tool, const ToolPins& pins = {});

// The pins of config's [assistant.tool_functions], each function checked against the catalogue:
// kInvalidArgument "FILE:LINE: assistant.tool_functions.NAME: unknown vehicle function 'X'
// (expected one of set_temperature, ...)".
Result<ToolPins> tool_pins(const config::Config& config);

}  // namespace fleetgate::assistant
