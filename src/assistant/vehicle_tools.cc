#include "fleetgate/assistant/vehicle_tools.h"

#include <initializer_list>
#include <utility>

#include "fleetgate/assistant/json_schema.h"
#include "fleetgate/assistant/strict_json.h"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

using Property = std::pair<std::string_view, json::value>;

json::object closed_object(std::initializer_list<Property> properties, std::initializer_list<std::string_view> required,
                           int min_properties = 0) {
  json::object props;
  for (const auto& [name, schema] : properties) props[name] = schema;
  json::array req;
  for (std::string_view name : required) req.emplace_back(name);
  json::object schema{{"type", "object"}, {"properties", std::move(props)}, {"additionalProperties", false}};
  if (!req.empty()) schema["required"] = std::move(req);
  if (min_properties > 0) schema["minProperties"] = min_properties;
  return schema;
}

json::value one_of(std::string_view description, std::initializer_list<std::string_view> values) {
  json::array options;
  for (std::string_view v : values) options.emplace_back(v);
  return json::object{{"type", "string"}, {"enum", std::move(options)}, {"description", description}};
}

json::value ranged(std::string_view type, std::string_view description, int lo, int hi) {
  return json::object{{"type", type}, {"minimum", lo}, {"maximum", hi}, {"description", description}};
}

json::value flag(std::string_view description) {
  return json::object{{"type", "boolean"}, {"description", description}};
}

json::value text(std::string_view description, int max_length) {
  return json::object{{"type", "string"}, {"minLength", 1}, {"maxLength", max_length}, {"description", description}};
}

std::vector<VehicleTool> build_catalogue() {
  return {
      {"set_temperature", "Set the cabin temperature of a climate zone.",
       closed_object({{"celsius", ranged("number", "Target temperature in degrees Celsius", 16, 28)},
                      {"zone", one_of("Climate zone; all when omitted", {"driver", "passenger", "all"})}},
                     {"celsius"}),
       {"temperature", "温度", "Temperatur"}},
      {"set_climate_on", "Switch the climate control (air conditioning and heating) on or off.",
       closed_object({{"on", flag("true to switch on, false to switch off")}}, {"on"}),
       {"climate control", "空调", "Klimaanlage"}},
      {"seat_heating", "Set the heating level of a seat (0 is off).",
       closed_object({{"seat", one_of("Seat to heat", {"driver", "passenger", "rear_left", "rear_right"})},
                      {"level", ranged("integer", "Heating level, 0 (off) to 3 (highest)", 0, kSeatHeatingMaxLevel)}},
                     {"seat", "level"}),
       {"seat heating", "座椅加热", "Sitzheizung"}},
      {"windows", "Open, close or vent (open a crack) side windows.",
       closed_object({{"window", one_of("Window; all when omitted", {"driver", "passenger", "rear_left", "rear_right", "all"})},
                      {"action", one_of("What to do", {"open", "close", "vent"})},
                      {"percent", ranged("integer", "How far to open, in percent of full travel (action open); fully when omitted", 1, 100)}},
                     {"action"}),
       {"windows", "车窗", "Fenster"}},
      {"sunroof", "Open, close or vent the sunroof.",
       closed_object({{"action", one_of("What to do", {"open", "close", "vent"})}}, {"action"}),
       {"sunroof", "天窗", "Schiebedach"}},
      {"trunk", "Open or close the rear trunk (tailgate).",
       closed_object({{"action", one_of("What to do", {"open", "close"})}}, {"action"}),
       {"trunk", "后备箱", "Kofferraum"}},
      {"frunk", "Open the front trunk (it is closed by hand).",
       closed_object({{"action", one_of("What to do", {"open"})}}, {"action"}),
       {"front trunk", "前备箱", "Frunk"}},
      {"charge_port", "Open or close the charge port door.",
       closed_object({{"action", one_of("What to do", {"open", "close"})}}, {"action"}),
       {"charge port", "充电口", "Ladeklappe"}},
      {"set_destination", "Start navigation to a destination (address, place or point of interest).",
       closed_object({{"destination", text("Destination as spoken or written", 200)}}, {"destination"}),
       {"navigation", "导航", "Navigation"}},
      {"media", "Control media playback and/or set the volume; give at least one of action and volume.",
       closed_object({{"action", one_of("Playback command", {"play", "pause", "next", "previous"})},
                      {"volume", ranged("integer", "Volume, 0 (mute) to 10 (loudest)", 0, kMediaMaxVolume)}},
                     {}, 1),
       {"media", "媒体", "Medien"}},
      {"lights", "Switch the exterior lights on or off, or flash the headlights.",
       closed_object({{"action", one_of("What to do", {"on", "off", "flash"})}}, {"action"}),
       {"lights", "车灯", "Licht"}},
      {"wipers", "Set the windscreen wiper mode.",
       closed_object({{"mode", one_of("Wiper mode", {"off", "auto", "low", "high"})}}, {"mode"}),
       {"wipers", "雨刷", "Scheibenwischer"}},
      {"lock", "Lock or unlock all doors.",
       closed_object({{"locked", flag("true to lock, false to unlock")}}, {"locked"}),
       {"door locks", "车门锁", "Türverriegelung"}},
  };
}

}  // namespace

const std::vector<VehicleTool>& vehicle_tools() {
  static const std::vector<VehicleTool> kCatalogue = build_catalogue();
  return kCatalogue;
}

const VehicleTool* find_vehicle_tool(std::string_view name) {
  for (const VehicleTool& tool : vehicle_tools()) {
    if (tool.name == name) return &tool;
  }
  return nullptr;
}

const std::vector<FunctionDefinition>& vehicle_function_definitions() {
  static const std::vector<FunctionDefinition> kDefinitions = [] {
    std::vector<FunctionDefinition> defs;
    for (const VehicleTool& tool : vehicle_tools()) defs.push_back({tool.name, tool.description, tool.parameters});
    return defs;
  }();
  return kDefinitions;
}

json::array vehicle_tools_json() {
  json::array tools;
  for (const FunctionDefinition& f : vehicle_function_definitions()) {
    tools.push_back(json::object{
        {"type", "function"}, {"function", {{"name", f.name}, {"description", f.description}, {"parameters", f.parameters}}}});
  }
  return tools;
}

Result<json::object> parse_tool_arguments(const json::object& parameters, std::string_view arguments_json) {
  auto parsed = parse_strict_json(arguments_json);
  if (!parsed) return invalid_argument("arguments: " + parsed.status().message());
  json::value& v = *parsed;
  if (!v.is_object()) return invalid_argument("arguments: must be an object");
  if (Status s = validate_json(parameters, v); !s.is_ok()) return s;
  return std::move(v.get_object());
}

}  // namespace fleetgate::assistant
