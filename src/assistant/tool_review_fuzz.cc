// libFuzzer target: review_tool_call(), the one check every provider tool call passes before it may
// reach a vehicle: the offered tool or catalogue lookup, classification by what the tool does, the
// arguments JSON against the tool's schema, translation into the catalogue's terms, the interlocks
// against the vehicle's state. Input parts (fuzz_input.h): tool name, arguments text, vehicle
// state bytes, language, and an offered function definition as JSON ({name, description,
// parameters}; anything else offers none). Properties: a refusal names its reason and explains
// it; an allowed call's reviewed arguments are what the forwarded arguments text reads as,
// satisfy the schema of the tool it names (the offered one, else the catalogue's), and are
// allowed again when reviewed in their re-serialised form.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/assistant/interlocks.h"
#include "fleetgate/assistant/json_schema.h"
#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/assistant/vehicle_tools.h"
#include "fuzz_input.h"

namespace {

using namespace fleetgate::assistant;
using fleetgate::json_text;

uint8_t at(std::string_view bytes, size_t i) { return i < bytes.size() ? static_cast<uint8_t>(bytes[i]) : 0; }

// Byte 0 says which facts are known (bit 0 a state at all, 1 speed, 2 gear, 3 charging, 4 cable,
// 5 stale); byte 1 is the speed in km/h plus 1, byte 2 the gear (P R N D, modulo 4), byte 3
// charging (bit 0) and cable (bit 1), byte 4 which seats are known (low nibble) and occupied (high
// nibble). A NUL ends the part, so seeds write 0 as 1 + 0 (speed) or 4 (gear) or set bit 2 (byte 3).
std::optional<VehicleState> state_of(std::string_view bytes, Clock::time_point now) {
  const uint8_t known = at(bytes, 0);
  if ((known & 1) == 0) return std::nullopt;
  VehicleState s;
  s.updated_at = (known & 32) != 0 ? now - std::chrono::minutes(5) : now;
  if ((known & 2) != 0) s.speed_kmh = std::max(0, at(bytes, 1) - 1);
  if ((known & 4) != 0) s.gear = static_cast<Gear>(at(bytes, 2) % 4);
  if ((known & 8) != 0) s.charging = (at(bytes, 3) & 1) != 0;
  if ((known & 16) != 0) s.charge_cable_connected = (at(bytes, 3) & 2) != 0;
  const char* seats[] = {"driver", "passenger", "rear_left", "rear_right"};
  for (int i = 0; i < 4; ++i) {
    if ((at(bytes, 4) >> i & 1) != 0) s.occupancy[seats[i]] = (at(bytes, 4) >> (4 + i) & 1) != 0;
  }
  return s;
}

// The function definition `text` describes, if it is a JSON object with a string name.
std::vector<FunctionDefinition> offered_in(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec);
  const boost::json::object* o = ec ? nullptr : v.if_object();
  const boost::json::value* name = o != nullptr ? o->if_contains("name") : nullptr;
  if (name == nullptr || !name->is_string()) return {};
  FunctionDefinition f{std::string(name->get_string()), "", {}};
  if (const auto* d = o->if_contains("description"); d != nullptr && d->is_string()) f.description = d->get_string();
  if (const auto* p = o->if_contains("parameters"); p != nullptr && p->is_object()) f.parameters = p->get_object();
  return {std::move(f)};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fleetgate::fuzz::FuzzInput input(data, size);
  const std::string_view name = input.part();
  const std::string_view arguments = input.part();
  const Clock::time_point now = Clock::time_point(std::chrono::seconds(1'700'000'000));
  const std::optional<VehicleState> state = state_of(input.part(), now);
  const Language lang = kAllLanguages[input.choice() % 3];
  const std::vector<FunctionDefinition> tools = offered_in(input.part());
  const ToolPins pins;
  const OfferedTools offered{tools, &pins};
  const VehicleState* s = state ? &*state : nullptr;

  const InterlockDecision d = review_tool_call(name, arguments, s, now, {}, lang, offered);
  if (!d.allowed) {
    if (d.reason_code.empty() || d.message.empty()) __builtin_trap();
    return 0;
  }
  const bool is_offered = !tools.empty() && tools[0].name == name;
  const VehicleTool* tool = find_vehicle_tool(name);
  if ((!is_offered && tool == nullptr) || !d.reason_code.empty()) __builtin_trap();
  boost::system::error_code ec;
  const boost::json::value forwarded = boost::json::parse(arguments, ec);
  if (ec || !forwarded.is_object() || forwarded.as_object() != d.arguments) __builtin_trap();
  if (!is_offered && !validate_json(tool->parameters, d.arguments).is_ok()) __builtin_trap();
  if (is_offered && classify(tools[0]).function != nullptr && !validate_json(tools[0].parameters, d.arguments).is_ok()) {
    __builtin_trap();
  }
  if (!review_tool_call(name, json_text(d.arguments), s, now, {}, lang, offered).allowed) __builtin_trap();
  return 0;
}
