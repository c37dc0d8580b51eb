// Binds what the on-board engine understood to the app's own tool and arguments, as a model
// would, and reads an app's call back into the catalogue's terms for the interlocks.
//
// Parameters are matched by name, description, type and enum (tool_parameters.h): °C become °F
// where the parameter says Fahrenheit, a window percent a 0–1 fraction where the parameter is a
// fraction (maximum 1 or so described), a seat level 0–3 the app's enum ("off", "low", ...) or
// scale (1–5), open/close a boolean `open`, an enum, or the verb in the tool's name
// ("open_liftgate"); nested objects are filled, optional parameters it cannot fill are left out,
// and a required value is never invented: it is reported missing.
#pragma once

#include <span>
#include <string>

#include <boost/json.hpp>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/intent_parser.h"
#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/assistant/vehicle_tools.h"

namespace fleetgate::assistant {

struct Binding {
  enum class Outcome {
    kBound,         // `arguments` satisfy the tool's schema
    kDoesNotFit,    // no usable tool can express the request
    kMissingValue,  // `detail`: a required parameter nothing in the request fills ("destination.lat")
    kOutOfRange,    // `detail`: the schema checker's reason ("temp_f: must be at most 85")
  };
  Outcome outcome = Outcome::kDoesNotFit;
  const FunctionDefinition* tool = nullptr;  // the tool chosen (null when kDoesNotFit)
  const VehicleTool* function = nullptr;     // the catalogue function it performs
  boost::json::object arguments;
  std::string detail;
};

// Whether `choice` lets the engine call `tool`: not under "none", only the named one under a
// function choice.
bool usable(const FunctionDefinition& tool, const ToolChoice& choice);

// `arguments` (in `function`'s catalogue terms) written to `tool`'s parameters and validated
// against its schema. `tool` is taken to perform `function`.
Binding bind_arguments(const VehicleTool& function, const boost::json::object& arguments, const FunctionDefinition& tool);

// The offered tool that does what `intent` (a kToolCall) asks, among those `choice` lets the
// engine call: the first that performs the intent's function (classify) and binds; else the
// first such tool's failure; else kDoesNotFit.
Binding bind_intent(const Intent& intent, std::span<const FunctionDefinition> tools, const ToolChoice& choice);

// The arguments of a call of `tool` (which performs `function`; `arguments` satisfy its schema)
// in the catalogue's terms. What cannot be read is left out, and the interlocks then assume the
// worst (interlocks.h).
boost::json::object catalogue_arguments(const VehicleTool& function, const FunctionDefinition& tool,
                                        const boost::json::object& arguments);

}  // namespace fleetgate::assistant
