#include "fleetgate/assistant/interlocks.h"

#include <algorithm>
#include <utility>
#include <variant>

#include <fmt/format.h>

#include "fleetgate/assistant/tool_binder.h"

namespace fleetgate::assistant {

namespace {
constexpr std::pair<std::string_view, Gear> kGearNames[] = {
    {"P", Gear::kPark}, {"R", Gear::kReverse}, {"N", Gear::kNeutral}, {"D", Gear::kDrive}};
}  // namespace

std::optional<Gear> parse_gear(std::string_view name) {
  for (const auto& [letter, gear] : kGearNames) {
    if (letter == name) return gear;
  }
  return std::nullopt;
}

std::string_view gear_name(Gear gear) {
  for (const auto& [letter, g] : kGearNames) {
    if (g == gear) return letter;
  }
  return "";
}


namespace json = boost::json;

namespace {

// Which calls a rule applies to: arguments[field] equals (or, negated, differs from) value.
struct When {
  std::string_view field;
  std::variant<std::string_view, bool, int> value;
  bool negate = false;
};

// What a rule needs to be true of the vehicle.
enum class Fact { kStoppedInPark, kStopped, kSlowEnoughToOpen, kNotCharging, kCableUnplugged, kSeatNotEmpty };

struct Rule {
  std::string_view tool;
  When when;
  Fact needs;
  std::string_view reason_code;  // when the fact is false
  bool unknown_allows = false;   // when the fact cannot be known
};

constexpr Rule kRules[] = {
    {"trunk", {"action", "open"}, Fact::kStoppedInPark, "vehicle_not_parked"},
    {"frunk", {"action", "open"}, Fact::kStoppedInPark, "vehicle_not_parked"},
    {"charge_port", {"action", "open"}, Fact::kStoppedInPark, "vehicle_not_parked"},
    {"charge_port", {"action", "close"}, Fact::kNotCharging, "charging_in_progress"},
    {"charge_port", {"action", "close"}, Fact::kCableUnplugged, "charge_cable_connected"},
    {"windows", {"action", "open"}, Fact::kSlowEnoughToOpen, "speed_too_high"},
    {"sunroof", {"action", "open"}, Fact::kSlowEnoughToOpen, "speed_too_high"},
    {"lock", {"locked", false}, Fact::kStopped, "vehicle_moving"},
    {"seat_heating", {"level", 0, true}, Fact::kSeatNotEmpty, "seat_unoccupied", true},
};

struct Message {
  std::string_view reason_code;
  Localized text;  // fmt template; {tool} label, {limit} km/h, {name} tool name, {detail}
};

constexpr Message kMessages[] = {
    {"vehicle_not_parked",
     {"That only works when the vehicle is stopped in P, so the {tool} stays closed.",
      "车辆需在P挡静止时才能打开{tool}。", "{tool}: Öffnen nur im Stand in Gang P möglich."}},
    {"speed_too_high",
     {"The {tool} can't be opened above {limit} km/h; venting still works.",
      "车速超过{limit}公里/小时时不能打开{tool}，可以改为通风。",
      "{tool}: Öffnen über {limit} km/h nicht möglich, Lüften geht."}},
    {"charging_in_progress",
     {"The {tool} can't be closed while the vehicle is charging.", "充电过程中不能关闭{tool}。",
      "{tool}: Schließen während des Ladens nicht möglich."}},
    {"charge_cable_connected",
     {"The {tool} can't be closed while the charging cable is plugged in.", "充电枪未拔出时不能关闭{tool}。",
      "{tool}: Schließen bei eingestecktem Ladekabel nicht möglich."}},
    {"vehicle_moving",
     {"The doors can only be unlocked when the vehicle is stopped.", "车辆静止时才能解锁车门。",
      "{tool}: Entriegeln nur im Stand möglich."}},
    {"seat_unoccupied",
     {"That seat is empty, so I won't heat it.", "该座椅无人乘坐，不会开启加热。",
      "{tool}: Der Sitz ist nicht belegt, die Heizung bleibt aus."}},
    {"vehicle_state_unknown",
     {"I can't do that safely right now because the vehicle's current state is unknown.",
      "当前无法获取车辆状态，为安全起见暂不执行。", "Das ist gerade nicht sicher möglich: der Fahrzeugzustand ist unbekannt."}},
    {"vehicle_state_stale",
     {"I can't do that safely right now because the vehicle's status is out of date.",
      "车辆状态信息已过期，为安全起见暂不执行。", "Das ist gerade nicht sicher möglich: der Fahrzeugzustand ist veraltet."}},
    {"unknown_tool",
     {"'{name}' is not a vehicle function I can use.", "“{name}”不是可用的车辆功能。",
      "„{name}“ ist keine verfügbare Fahrzeugfunktion."}},
    {"unclassified_body_tool",
     {"'{name}' looks like it moves part of the vehicle, but I can't tell which function it is, so I didn't carry it out.",
      "“{name}”看起来会移动车身部件，但无法确定它对应哪项车辆功能，因此未执行。",
      "„{name}“ scheint ein Fahrzeugteil zu bewegen, lässt sich aber keiner Fahrzeugfunktion zuordnen, daher wurde es nicht ausgeführt."}},
    {"unreadable_tool_call",
     {"That request came back in a form I can't check, so I didn't carry it out.", "该请求的格式无法核验，因此未执行。",
      "Die Anfrage kam in einer Form zurück, die ich nicht prüfen kann, daher wurde sie nicht ausgeführt."}},
    {"invalid_arguments",
     {"That request had invalid settings ({detail}).", "请求的参数无效（{detail}）。", "Ungültige Einstellungen ({detail})."}},
};

enum class Truth { kYes, kNo, kUnknown };

Truth truth(std::optional<bool> b) { return !b ? Truth::kUnknown : *b ? Truth::kYes : Truth::kNo; }

bool applies(const When& when, const json::object& args) {
  const json::value* v = args.if_contains(when.field);
  if (v == nullptr) return true;  // an app's call whose meaning could not be read: assume the worst
  bool equal = std::visit(
      [&](const auto& expected) {
        using T = std::decay_t<decltype(expected)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          return v->is_string() && v->get_string() == expected;
        } else if constexpr (std::is_same_v<T, bool>) {
          return v->is_bool() && v->get_bool() == expected;
        } else {
          return v->is_number() && v->to_number<double>() == expected;
        }
      },
      when.value);
  return equal != when.negate;
}

// A fresh state, or nullptr when there is none or it is too old (or too far ahead) to trust.
const VehicleState* fresh(const VehicleState* state, Clock::time_point now, const InterlockOptions& options) {
  if (state == nullptr) return nullptr;
  auto age = now - state->updated_at;
  return age > options.max_state_age || -age > options.max_state_age ? nullptr : state;
}

Truth evaluate(Fact fact, const VehicleState* s, const json::object& args, const InterlockOptions& options) {
  if (s == nullptr) return Truth::kUnknown;
  std::optional<bool> stopped;
  if (s->speed_kmh) stopped = *s->speed_kmh == 0;
  switch (fact) {
    case Fact::kStopped: return truth(stopped);
    case Fact::kStoppedInPark:
      if (stopped == false || (s->gear && *s->gear != Gear::kPark)) return Truth::kNo;
      return stopped && s->gear ? Truth::kYes : Truth::kUnknown;
    case Fact::kSlowEnoughToOpen:
      return s->speed_kmh ? truth(*s->speed_kmh <= options.max_open_speed_kmh) : Truth::kUnknown;
    case Fact::kNotCharging: return s->charging ? truth(!*s->charging) : Truth::kUnknown;
    case Fact::kCableUnplugged:
      return s->charge_cable_connected ? truth(!*s->charge_cable_connected) : Truth::kUnknown;
    case Fact::kSeatNotEmpty: {
      const json::value* seat = args.if_contains("seat");
      if (seat == nullptr || !seat->is_string()) return Truth::kUnknown;
      auto it = s->occupancy.find(std::string_view(seat->get_string()));
      return it == s->occupancy.end() ? Truth::kUnknown : truth(it->second);
    }
  }
  return Truth::kUnknown;
}

std::string_view template_for(std::string_view reason_code, Language lang) {
  for (const Message& m : kMessages) {
    if (m.reason_code == reason_code) return m.text.in(lang);
  }
  return reason_code;
}

InterlockDecision refuse(std::string_view reason_code, Language lang, std::string_view tool_label,
                         std::string_view name = {}, std::string_view detail = {}, double limit = 0) {
  InterlockDecision d;
  d.reason_code = std::string(reason_code);
  d.message = fmt::format(fmt::runtime(template_for(reason_code, lang)), fmt::arg("tool", tool_label),
                          fmt::arg("limit", limit), fmt::arg("name", name), fmt::arg("detail", detail));
  return d;
}

}  // namespace

InterlockDecision check_interlocks(const VehicleTool& tool, const json::object& arguments, const VehicleState* state,
                                   Clock::time_point now, const InterlockOptions& options, Language lang) {
  const VehicleState* current = fresh(state, now, options);
  for (const Rule& rule : kRules) {
    if (rule.tool != tool.name || !applies(rule.when, arguments)) continue;
    Truth t = evaluate(rule.needs, current, arguments, options);
    if (t == Truth::kYes || (t == Truth::kUnknown && rule.unknown_allows)) continue;
    std::string_view label = tool.label.in(lang);
    if (t == Truth::kNo) return refuse(rule.reason_code, lang, label, {}, {}, options.max_open_speed_kmh);
    return refuse(state != nullptr && current == nullptr ? "vehicle_state_stale" : "vehicle_state_unknown", lang, label);
  }
  InterlockDecision allow;
  allow.allowed = true;
  allow.arguments = arguments;
  return allow;
}

InterlockDecision review_tool_call(std::string_view name, std::string_view arguments_json, const VehicleState* state,
                                   Clock::time_point now, const InterlockOptions& options, Language lang,
                                   const OfferedTools& offered) {
  auto it = std::find_if(offered.tools.begin(), offered.tools.end(), [&](const FunctionDefinition& f) { return f.name == name; });
  if (it == offered.tools.end()) {
    const VehicleTool* tool = find_vehicle_tool(name);
    if (tool == nullptr) return refuse("unknown_tool", lang, {}, name);
    auto arguments = parse_tool_arguments(tool->parameters, arguments_json);
    if (!arguments) return refuse("invalid_arguments", lang, tool->label.in(lang), name, arguments.status().message());
    return check_interlocks(*tool, *arguments, state, now, options, lang);
  }
  static const ToolPins kNoPins;
  const ToolClass c = classify(*it, offered.pins != nullptr ? *offered.pins : kNoPins);
  if (c.function == nullptr && c.body_moving) return refuse("unclassified_body_tool", lang, {}, name);
  auto arguments = parse_tool_arguments(c.function != nullptr ? it->parameters : json::object{}, arguments_json);
  if (!arguments) {
    return refuse("invalid_arguments", lang, c.function != nullptr ? c.function->label.in(lang) : name, name,
                  arguments.status().message());
  }
  InterlockDecision d;
  if (c.function != nullptr) {
    d = check_interlocks(*c.function, catalogue_arguments(*c.function, *it, *arguments), state, now, options, lang);
    if (!d.allowed) return d;
  }
  d.allowed = true;
  d.arguments = std::move(*arguments);
  return d;
}

InterlockDecision refuse_unreadable_tool_call(Language lang) { return refuse("unreadable_tool_call", lang, {}); }

}  // namespace fleetgate::assistant
