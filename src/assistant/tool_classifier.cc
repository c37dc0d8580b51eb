#include "fleetgate/assistant/tool_classifier.h"

#include <string_view>

#include "fleetgate/assistant/keywords.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/assistant/tool_parameters.h"
#include "fleetgate/assistant/vehicle_lexicon.h"

namespace fleetgate::assistant {

namespace {

using namespace lexicon;

// Functions by the words that name them, in the order they are tried: where names overlap, the
// more specific first (the front trunk is not the trunk, seat heating not the climate, the
// sunroof not a window, the charge port's door not a door lock).
struct Naming {
  std::string_view function;
  const Words* nouns;
  const Words* also = nullptr;  // a second word the text needs as well (seat + heat)
};

const Naming kNamings[] = {
    {"frunk", &kFrunkNouns},       {"charge_port", &kChargePort}, {"seat_heating", &kSeat, &kHeat},
    {"sunroof", &kSunroof},        {"trunk", &kTrunk},            {"wipers", &kWipers},
    {"windows", &kWindows},        {"set_destination", &kNavigation}, {"set_temperature", &kTemperature},
    {"climate", &kClimate},        {"lights", &kLights},          {"lock", &kDoorLocks},
    {"media", &kMediaNouns},
};

bool says(std::string_view text, const Words& words) { return mentions_in_any_language(text, words); }

bool takes_temperature(const std::vector<Parameter>& params) {
  for (const Parameter& p : params) {
    if ((p.type == "number" || p.type == "integer") && says(p.words, kTemperatureParam)) return true;
  }
  return false;
}

// The function `text` names, if any. "climate" is set_temperature when the tool takes a
// temperature, else set_climate_on.
const VehicleTool* named_function(std::string_view text, const std::vector<Parameter>& params) {
  for (const Naming& n : kNamings) {
    if (!says(text, *n.nouns) || (n.also != nullptr && !says(text, *n.also))) continue;
    if (n.function == "climate") return find_vehicle_tool(takes_temperature(params) ? "set_temperature" : "set_climate_on");
    return find_vehicle_tool(n.function);
  }
  return nullptr;
}

}  // namespace

ToolClass classify(const FunctionDefinition& tool, const ToolPins& pins) {
  ToolClass c;
  if (auto pin = pins.find(tool.name); pin != pins.end()) {
    c.function = find_vehicle_tool(pin->second);
    return c;
  }
  if ((c.function = find_vehicle_tool(tool.name)) != nullptr) return c;
  const std::string name = identifier_words(tool.name);
  if (says(name, kReadOnly) && !says(name, kWriteVerbs)) {
    c.read_only = true;
    return c;
  }
  const std::vector<Parameter> params = parameters_of(tool.parameters);
  const std::string description = fold_case(tool.description);
  for (std::string_view text : {std::string_view(name), std::string_view(description)}) {
    if ((c.function = named_function(text, params)) != nullptr) return c;
  }
  for (std::string_view text : {std::string_view(name), std::string_view(description)}) {
    c.body_moving |= says(text, kBodyParts) || (says(text, kBodyVerbs) && !says(text, kNotTheCar));
  }
  return c;
}

Result<ToolPins> tool_pins(const config::Config& config) {
  ToolPins pins;
  for (const config::ToolFunctionPin& pin : config.assistant.tool_functions) {
    if (find_vehicle_tool(pin.function) == nullptr) {
      std::string names;
      for (const VehicleTool& t : vehicle_tools()) names += (names.empty() ? "" : ", ") + t.name;
      return invalid_argument(pin.where.describe() + ": unknown vehicle function '" + pin.function + "' (expected one of " +
                              names + ")");
    }
    pins.emplace(pin.tool, pin.function);
  }
  return pins;
}

}  // namespace fleetgate::assistant
