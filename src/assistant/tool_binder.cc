#include "fleetgate/assistant/tool_binder.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>
#include <vector>

#include "fleetgate/assistant/json_schema.h"
#include "fleetgate/assistant/keywords.h"
#include "fleetgate/assistant/tool_parameters.h"
#include "fleetgate/assistant/vehicle_lexicon.h"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

using namespace lexicon;

// ---- What each catalogue argument looks like in an app's parameters (data) -------------------

enum class Kind {
  kTemperature,  // a number in °C, or °F when the parameter (or a unit parameter) says so
  kUnit,         // the unit of the temperature: "celsius" / "F" / ...
  kPlace,        // driver, passenger, rear_left, rear_right, all
  kChoice,       // one of `choices`, as an enum value, a free string, a boolean or the tool's verb
  kPercent,      // how far a window opens: 0-100, or a 0-1 fraction
  kLevel,        // seat heating 0-3: a number on the app's scale, an enum of levels, or on/off
  kVolume,       // 0-10 on the app's scale
  kText,         // a destination
};

struct Choice {
  json::value value;      // the catalogue's value
  const Words* words;     // how apps (and their names) say it
  std::string_view text;  // how to say it in a free-string parameter
};

struct Field {
  std::string_view function;
  std::string_view name;             // the catalogue argument ("" for the unit)
  Kind kind;
  const Words* names;                // the names of parameters that hold it
  std::vector<Choice> choices = {};  // kChoice and kPlace
  const Words* flag = nullptr;       // kChoice: a boolean parameter so named ...
  int when_true = -1;                // ... means choices[when_true] when true
  int when_false = -1;               // ... and choices[when_false] when false
  bool essential = false;            // a tool that cannot express it does not do what was asked
  std::string_view carried_by = {};  // ... unless it holds this argument, which says it too
};

std::vector<Choice> places() {
  return {{"rear_left", &kRearLeftValue, "rear_left"},
          {"rear_right", &kRearRightValue, "rear_right"},
          {"driver", &kFrontLeft, "driver"},
          {"passenger", &kFrontRight, "passenger"},
          {"all", &kAllValue, "all"}};
}

std::vector<Choice> open_close(bool vent) {
  std::vector<Choice> c;
  if (vent) c.push_back({"vent", &kVent, "vent"});
  c.push_back({"close", &kClose, "close"});
  c.push_back({"close", &kUpValue, "close"});
  c.push_back({"open", &kOpen, "open"});
  c.push_back({"open", &kDownValue, "open"});
  return c;
}

// A boolean `open` parameter: true opens, false closes (indices into open_close()).
Field door(std::string_view function, bool vent, std::string_view carried_by = {}) {
  const int close = vent ? 1 : 0;
  return {function, "action", Kind::kChoice, &kActionParam, open_close(vent), &kOpenParam, close + 2, close, true, carried_by};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> kFields = [] {
    std::vector<Field> f;
    f.push_back({"set_temperature", "celsius", Kind::kTemperature, &kTemperatureParam, {}, nullptr, -1, -1, true});
    f.push_back({"set_temperature", "", Kind::kUnit, &kUnitParam});
    f.push_back({"set_temperature", "zone", Kind::kPlace, &kPlaceParam, places()});
    f.push_back({"set_climate_on", "on", Kind::kChoice, &kOnParam,
                 {{false, &kOff, "off"}, {true, &kOn, "on"}}, &kOnParam, 1, 0, true});
    f.push_back({"seat_heating", "seat", Kind::kPlace, &kPlaceParam, places()});
    f.push_back({"seat_heating", "level", Kind::kLevel, &kLevelParam, {}, nullptr, -1, -1, true});
    f.push_back({"windows", "window", Kind::kPlace, &kPlaceParam, places()});
    f.push_back(door("windows", true, "percent"));  // how far open says open, or closed at 0
    f.push_back({"windows", "percent", Kind::kPercent, &kPercentParam});
    f.push_back(door("sunroof", true));
    f.push_back(door("trunk", false));
    f.push_back({"frunk", "action", Kind::kChoice, &kActionParam, {{"open", &kOpen, "open"}}, &kOpenParam, 0, -1, true});
    f.push_back(door("charge_port", false));
    f.push_back({"set_destination", "destination", Kind::kText, &kDestinationParam, {}, nullptr, -1, -1, true});
    f.push_back({"media", "action", Kind::kChoice, &kActionParam,
                 {{"previous", &kPreviousValue, "previous"},
                  {"next", &kNextValue, "next"},
                  {"pause", &kPauseValue, "pause"},
                  {"play", &kPlayValue, "play"}}});
    f.push_back({"media", "volume", Kind::kVolume, &kVolumeParam, {}, nullptr, -1, -1, true});
    f.push_back({"lights", "action", Kind::kChoice, &kActionParam,
                 {{"flash", &kFlashValue, "flash"}, {"off", &kOff, "off"}, {"on", &kOn, "on"}}, &kOnParam, 2, 1, true});
    f.push_back({"wipers", "mode", Kind::kChoice, &kLevelParam,
                 {{"off", &kOffValue, "off"}, {"auto", &kAutoValue, "auto"}, {"high", &kHighValue, "high"},
                  {"low", &kLowValue, "low"}},
                 nullptr, -1, -1, true});
    f.push_back({"lock", "locked", Kind::kChoice, &kLockedParam, {{false, &kUnlock, "unlock"}, {true, &kLock, "lock"}},
                 &kLockedParam, 1, 0, true});
    return f;
  }();
  return kFields;
}

std::vector<const Field*> fields_of(std::string_view function) {
  std::vector<const Field*> out;
  for (const Field& f : fields()) {
    if (f.function == function) out.push_back(&f);
  }
  return out;
}

// The field of `function` for catalogue argument `name`, if it has one.
const Field* field_named(std::string_view function, std::string_view name) {
  if (name.empty()) return nullptr;
  for (const Field& f : fields()) {
    if (f.function == function && f.name == name) return &f;
  }
  return nullptr;
}

// ---- Reading parameters -----------------------------------------------------------------------

bool says(std::string_view text, const Words& words) { return mentions_in_any_language(text, words); }
bool is_numeric(const Parameter& p) { return p.type == "number" || p.type == "integer"; }
bool is_free_string(const Parameter& p) { return p.type == "string" && p.enum_values.empty(); }

std::optional<double> number_in(const Parameter& p, std::string_view key) {
  const json::value* v = p.schema->if_contains(key);
  return v != nullptr && v->is_number() ? std::optional<double>(v->to_number<double>()) : std::nullopt;
}

// The choice an app's word ("closed", "front_left", "打开") names, if any.
const Choice* choice_named(const Field& field, std::string_view text) {
  const std::string words = identifier_words(text);
  for (const Choice& c : field.choices) {
    if (says(words, *c.words)) return &c;
  }
  return nullptr;
}

bool some_value_names_a_choice(const Field& field, const Parameter& p) {
  return std::any_of(p.enum_values.begin(), p.enum_values.end(),
                     [&](const std::string& v) { return choice_named(field, v) != nullptr; });
}

// An enum of levels: at least two of off / low / medium / high, in any of the languages.
bool is_level_enum(const Parameter& p) {
  int levels = 0;
  for (const std::string& v : p.enum_values) {
    const std::string w = identifier_words(v);
    levels += says(w, kOffValue) || says(w, kLowValue) || says(w, kHighValue) || says(w, kMediumValue);
  }
  return levels >= 2;
}

bool names_the_unit(const Parameter& p) {
  if (p.type != "string") return false;
  if (says(p.name_words, kUnitParam)) return true;
  return std::any_of(p.enum_values.begin(), p.enum_values.end(), [](const std::string& v) {
    const std::string w = identifier_words(v);
    return says(w, kCelsius) || says(w, kFahrenheit);
  });
}

// Whether `p` holds `field`, on the evidence of its words or values (strict), or of its type
// alone (loose, for what is left once the strict pass is done).
bool holds(const Field& field, const Parameter& p, bool strict) {
  switch (field.kind) {
    case Kind::kTemperature: return is_numeric(p) && (!strict || says(p.words, *field.names));
    case Kind::kUnit: return strict && names_the_unit(p);
    case Kind::kPlace:
      if (p.type != "string" || !strict) return false;
      return p.enum_values.empty() ? says(p.name_words, *field.names) : some_value_names_a_choice(field, p);
    case Kind::kChoice:
      if (!strict) return false;
      if (p.type == "boolean") return field.flag != nullptr && says(p.name_words, *field.flag);
      if (p.type != "string") return false;
      return p.enum_values.empty() ? says(p.name_words, *field.names) : some_value_names_a_choice(field, p);
    case Kind::kPercent:
      return is_numeric(p) && (!strict || says(p.words, *field.names) || says(p.words, kFraction));
    case Kind::kLevel:
      if (!strict) return is_numeric(p);
      if (p.type == "boolean") return says(p.name_words, kOnParam);
      if (p.type == "string") return is_level_enum(p);
      return is_numeric(p) && says(p.words, *field.names);
    case Kind::kVolume: return is_numeric(p) && (!strict || says(p.words, *field.names));
    case Kind::kText: return is_free_string(p) && (!strict || says(p.words, *field.names));
  }
  return false;
}

struct Holding {
  const Parameter* param;
  const Field* field;
};

// Which parameter holds which catalogue argument: each parameter and each field at most once,
// strict evidence first.
std::vector<Holding> roles_of(const std::vector<Parameter>& params, const std::vector<const Field*>& fields) {
  std::vector<Holding> roles;
  auto taken = [&](const Parameter* p, const Field* f) {
    return std::any_of(roles.begin(), roles.end(), [&](const Holding& r) { return r.param == p || r.field == f; });
  };
  for (bool strict : {true, false}) {
    for (const Parameter& p : params) {
      for (const Field* f : fields) {
        if (!taken(&p, f) && holds(*f, p, strict)) {
          roles.push_back({&p, f});
          break;
        }
      }
    }
  }
  return roles;
}

const Holding* role_for(const std::vector<Holding>& roles, Kind kind) {
  auto it = std::find_if(roles.begin(), roles.end(), [&](const Holding& r) { return r.field->kind == kind; });
  return it == roles.end() ? nullptr : &*it;
}

bool held(const std::vector<Holding>& roles, const Field* field) {
  if (field == nullptr) return false;
  return std::any_of(roles.begin(), roles.end(), [&](const Holding& r) { return r.field == field; });
}

// The choice the tool's name says ("open_liftgate": open), for a field no parameter holds.
const Choice* verb_of(const Field& field, const FunctionDefinition& tool) {
  return field.kind == Kind::kChoice ? choice_named(field, tool.name) : nullptr;
}

// ---- Numbers on the app's scale ---------------------------------------------------------------

// `v` to `decimals` places, as a person would write it (71.6, not 71.60000000000001).
double round_to(double v, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(v * scale) / scale;
}

// 22 rather than 22.0, as providers write whole numbers.
json::value plain_number(double v) {
  if (v == std::trunc(v) && std::fabs(v) < 1e15) return static_cast<int64_t>(v);
  return v;
}

json::value number_for(const Parameter& p, double v) {
  if (p.type == "integer") return static_cast<int64_t>(std::llround(v));
  return plain_number(round_to(v, 2));
}

bool is_fahrenheit(const Parameter& temperature, const Holding* unit, const json::object* call) {
  if (unit != nullptr) {
    if (call != nullptr) {
      // Reading a call: the unit it gives, else the parameter's own words.
      const json::value* v = call->if_contains(unit->param->path.back());
      if (v != nullptr && v->is_string()) return says(identifier_words(v->get_string()), kFahrenheit);
    } else {
      // Writing one: Celsius when the unit parameter offers it.
      const auto& values = unit->param->enum_values;
      return !values.empty() && std::none_of(values.begin(), values.end(), [](const std::string& v) {
        return says(identifier_words(v), kCelsius);
      });
    }
  }
  return says(temperature.words, kFahrenheit);
}

bool is_fraction(const Parameter& p) {
  auto max = number_in(p, "maximum");
  return (max && *max <= 1) || says(p.words, kFraction);
}

// Seat heating levels 1..3 spread over the app's scale from its lowest level above 0.
struct Scale {
  double lo, hi;
};

Scale level_scale(const Parameter& p) {
  return {std::max(number_in(p, "minimum").value_or(0), 1.0), number_in(p, "maximum").value_or(kSeatHeatingMaxLevel)};
}

double level_to_app(const Parameter& p, double level) {
  if (level <= 0) return number_in(p, "minimum").value_or(0) <= 0 ? 0 : -1;  // -1: the schema refuses it
  Scale s = level_scale(p);
  return s.lo + std::round((level - 1) / (kSeatHeatingMaxLevel - 1) * (s.hi - s.lo));
}

double level_from_app(const Parameter& p, double v) {
  if (v <= 0) return 0;
  Scale s = level_scale(p);
  if (s.hi <= s.lo) return kSeatHeatingMaxLevel;
  return std::clamp(1 + std::round((v - s.lo) / (s.hi - s.lo) * (kSeatHeatingMaxLevel - 1)), 1.0,
                    double(kSeatHeatingMaxLevel));
}

// An enum of levels as off (when it has one) and the others in the order given.
struct Levels {
  std::optional<std::string> off;
  std::vector<std::string> on;
};

Levels levels_of(const Parameter& p) {
  Levels l;
  for (const std::string& v : p.enum_values) {
    if (!l.off && says(identifier_words(v), kOffValue)) {
      l.off = v;
    } else {
      l.on.push_back(v);
    }
  }
  return l;
}

constexpr double kVolumeMax = 10;

// The app's volume units per catalogue step (10 for a 0-100 volume); 1 when its maximum makes no sense.
double volume_scale(const Parameter& p) {
  const double max = number_in(p, "maximum").value_or(kVolumeMax);
  return max > 0 ? max / kVolumeMax : 1;
}

// A window opened "a crack" when the tool can only take how far.
constexpr int kVentPercent = 10;

// ---- Writing a call ---------------------------------------------------------------------------

void put(json::object& root, const std::vector<std::string>& path, json::value v) {
  json::object* at = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    json::value& next = (*at)[path[i]];
    if (!next.is_object()) next = json::object{};
    at = &next.get_object();
  }
  (*at)[path.back()] = std::move(v);
}

const json::value* get(const json::object& root, const std::vector<std::string>& path) {
  const json::object* at = &root;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const json::value* next = at->if_contains(path[i]);
    if (next == nullptr || !next->is_object()) return nullptr;
    at = &next->get_object();
  }
  return at->if_contains(path.back());
}

// The value for a choice-like parameter: the enum value that names `value`, true/false for a flag,
// the choice's text for a free string. An enum without it gets the text, which its schema refuses
// with the values it does take.
json::value choice_for(const Field& field, const Parameter& p, const json::value& value) {
  if (p.type == "boolean") {
    if (field.when_true >= 0 && field.choices[field.when_true].value == value) return true;
    if (field.when_false >= 0 && field.choices[field.when_false].value == value) return false;
    return value;
  }
  auto it = std::find_if(field.choices.begin(), field.choices.end(), [&](const Choice& c) { return c.value == value; });
  const json::value text = it != field.choices.end() ? json::value(it->text) : value;
  for (const std::string& v : p.enum_values) {
    const Choice* named = choice_named(field, v);
    if (named != nullptr && named->value == value) return json::value(v);
  }
  return text;
}

std::optional<json::value> level_for(const Parameter& p, double level) {
  if (p.type == "boolean") return json::value(level > 0);
  if (p.type == "string") {
    Levels l = levels_of(p);
    if (level <= 0) return l.off ? std::optional<json::value>(json::value(*l.off)) : std::nullopt;
    if (l.on.empty()) return std::nullopt;
    const double spread = (level - 1) / (kSeatHeatingMaxLevel - 1) * double(l.on.size() - 1);
    return json::value(l.on[std::min(l.on.size() - 1, size_t(std::lround(spread)))]);
  }
  return number_for(p, level_to_app(p, level));
}

// The value parameter `r` gets for the request's `args`, if it gets one.
std::optional<json::value> value_for(const Holding& r, const json::object& args, const std::vector<Holding>& roles) {
  const Parameter& p = *r.param;
  const Field& f = *r.field;
  const json::value* v = f.name.empty() ? nullptr : args.if_contains(f.name);
  switch (f.kind) {
    case Kind::kTemperature:
      if (v == nullptr || !v->is_number()) return std::nullopt;
      return number_for(p, is_fahrenheit(p, role_for(roles, Kind::kUnit), nullptr) ? v->to_number<double>() * 9 / 5 + 32
                                                                                    : v->to_number<double>());
    case Kind::kUnit: {
      const bool f_only = is_fahrenheit(p, &r, nullptr);
      for (const std::string& value : p.enum_values) {
        if (says(identifier_words(value), f_only ? kFahrenheit : kCelsius)) return json::value(value);
      }
      return json::value("celsius");
    }
    case Kind::kPlace:
      // The catalogue's omitted zone or window is all of them.
      if (v == nullptr && p.required) return choice_for(f, p, "all");
      if (v == nullptr) return std::nullopt;
      return choice_for(f, p, *v);
    case Kind::kChoice: return v == nullptr ? std::nullopt : std::optional<json::value>(choice_for(f, p, *v));
    case Kind::kPercent: {
      std::optional<double> percent;
      if (v != nullptr && v->is_number()) percent = v->to_number<double>();
      const json::value* action = args.if_contains("action");
      // How far follows from the action when no parameter says what to do, or this one must be given.
      if (!percent && action != nullptr && (!held(roles, field_named(f.function, "action")) || p.required)) {
        percent = *action == "open" ? 100 : *action == "vent" ? kVentPercent : 0;
      }
      if (!percent) return std::nullopt;
      return number_for(p, is_fraction(p) ? *percent / 100 : *percent);
    }
    case Kind::kLevel:
      if (v == nullptr || !v->is_number()) return std::nullopt;
      return level_for(p, v->to_number<double>());
    case Kind::kVolume:
      if (v == nullptr || !v->is_number()) return std::nullopt;
      return number_for(p, v->to_number<double>() * volume_scale(p));
    case Kind::kText: return v == nullptr ? std::nullopt : std::optional<json::value>(*v);
  }
  return std::nullopt;
}

// What a required parameter no argument fills gets: its default, or its only allowed value.
std::optional<json::value> given_by_schema(const Parameter& p) {
  if (const json::value* d = p.schema->if_contains("default")) return *d;
  if (const json::value* c = p.schema->if_contains("const")) return *c;
  const json::value* e = p.schema->if_contains("enum");
  if (e != nullptr && e->is_array() && e->get_array().size() == 1) return e->get_array()[0];
  return std::nullopt;
}

Binding outcome(Binding::Outcome o, std::string detail = {}) {
  Binding b;
  b.outcome = o;
  b.detail = std::move(detail);
  return b;
}

}  // namespace

Binding bind_arguments(const VehicleTool& function, const json::object& arguments, const FunctionDefinition& tool) {
  const std::vector<Parameter> params = parameters_of(tool.parameters);
  const std::vector<const Field*> fields = fields_of(function.name);
  const std::vector<Holding> roles = roles_of(params, fields);
  bool expressed = false;
  for (const Field* f : fields) {
    const json::value* asked = f->name.empty() ? nullptr : arguments.if_contains(f->name);
    if (asked == nullptr || held(roles, f)) continue;
    if (const Choice* verb = verb_of(*f, tool)) {
      if (verb->value != *asked) return outcome(Binding::Outcome::kDoesNotFit);  // close_x cannot open
      expressed = true;
    } else if (f->essential && !held(roles, field_named(function.name, f->carried_by))) {
      return outcome(Binding::Outcome::kDoesNotFit);
    }
  }
  json::object built;
  for (const Parameter& p : params) {
    auto role = std::find_if(roles.begin(), roles.end(), [&](const Holding& r) { return r.param == &p; });
    std::optional<json::value> v;
    if (role != roles.end()) v = value_for(*role, arguments, roles);
    if (v) {
      expressed |= role->field->kind != Kind::kUnit;
    } else if (p.required) {
      v = given_by_schema(p);
      // A parameter for something else than was asked (a volume when asked to play) does not fit;
      // one the request cannot speak to at all (a song's title) is missing.
      if (!v && role != roles.end()) return outcome(Binding::Outcome::kDoesNotFit);
      if (!v) return outcome(Binding::Outcome::kMissingValue, p.dotted());
    }
    if (v) put(built, p.path, std::move(*v));
  }
  if (!expressed) return outcome(Binding::Outcome::kDoesNotFit);
  if (Status s = validate_json(tool.parameters, built); !s.is_ok()) return outcome(Binding::Outcome::kOutOfRange, s.message());
  Binding b = outcome(Binding::Outcome::kBound);
  b.arguments = std::move(built);
  return b;
}

bool usable(const FunctionDefinition& tool, const ToolChoice& choice) {
  if (choice.mode == ToolChoice::Mode::kNone) return false;
  return choice.mode != ToolChoice::Mode::kFunction || tool.name == choice.function;
}

Binding bind_intent(const Intent& intent, std::span<const FunctionDefinition> tools, const ToolChoice& choice) {
  Binding first_failure;
  const VehicleTool* function = find_vehicle_tool(intent.tool);
  if (function == nullptr) return first_failure;
  for (const FunctionDefinition& tool : tools) {
    if (!usable(tool, choice) || classify(tool).function != function) continue;
    Binding b = bind_arguments(*function, intent.arguments, tool);
    b.tool = &tool;
    b.function = function;
    if (b.outcome == Binding::Outcome::kBound) return b;
    if (first_failure.tool == nullptr || first_failure.outcome == Binding::Outcome::kDoesNotFit) first_failure = std::move(b);
  }
  if (first_failure.outcome == Binding::Outcome::kDoesNotFit) first_failure.tool = nullptr;
  return first_failure;
}

json::object catalogue_arguments(const VehicleTool& function, const FunctionDefinition& tool, const json::object& arguments) {
  const std::vector<Parameter> params = parameters_of(tool.parameters);
  const std::vector<const Field*> fields = fields_of(function.name);
  const std::vector<Holding> roles = roles_of(params, fields);
  // In the order the call names them, so a confirmation reads like the call.
  std::vector<const Holding*> ordered;
  for (const auto& kv : arguments) {
    for (const Holding& r : roles) {
      if (r.param->path.front() == kv.key()) ordered.push_back(&r);
    }
  }
  json::object out;
  for (const Holding* role : ordered) {
    const Holding& r = *role;
    const json::value* v = get(arguments, r.param->path);
    if (v == nullptr) continue;
    const Parameter& p = *r.param;
    const Field& f = *r.field;
    switch (f.kind) {
      case Kind::kTemperature:
        if (!v->is_number()) break;
        out["celsius"] = is_fahrenheit(p, role_for(roles, Kind::kUnit), &arguments)
                             ? plain_number(round_to((v->to_number<double>() - 32) * 5 / 9, 1))
                             : *v;
        break;
      case Kind::kUnit: break;
      case Kind::kPlace:
      case Kind::kChoice: {
        const Choice* c = nullptr;
        if (v->is_bool()) {
          const int index = v->get_bool() ? f.when_true : f.when_false;
          c = index >= 0 ? &f.choices[index] : nullptr;
        } else if (v->is_string()) {
          c = choice_named(f, v->get_string());
        }
        if (c != nullptr) out[f.name] = c->value;
        break;
      }
      case Kind::kPercent: {
        if (!v->is_number()) break;
        const double percent = std::clamp(v->to_number<double>() * (is_fraction(p) ? 100 : 1), 0.0, 100.0);
        if (!out.contains("action") && !held(roles, field_named(f.function, "action"))) {
          out["action"] = percent > 0 ? "open" : "close";
        }
        if (percent >= 1) out["percent"] = std::llround(percent);
        break;
      }
      case Kind::kLevel:
        if (v->is_bool() && !v->get_bool()) out["level"] = 0;
        if (v->is_number()) out["level"] = std::llround(level_from_app(p, v->to_number<double>()));
        if (v->is_string()) {
          Levels l = levels_of(p);
          auto at = std::find(l.on.begin(), l.on.end(), std::string(v->get_string()));
          if (l.off && *l.off == v->get_string()) out["level"] = 0;
          if (at != l.on.end()) {
            const double spread = l.on.size() == 1 ? 0 : double(at - l.on.begin()) / double(l.on.size() - 1);
            out["level"] = 1 + std::llround(spread * (kSeatHeatingMaxLevel - 1));
          }
        }
        break;
      case Kind::kVolume:
        if (v->is_number()) out["volume"] = std::llround(v->to_number<double>() / volume_scale(p));
        break;
      case Kind::kText: out[f.name] = *v; break;
    }
  }
  for (const Field* f : fields) {
    if (f->name.empty() || out.contains(f->name) || held(roles, f)) continue;
    if (const Choice* verb = verb_of(*f, tool)) out[f->name] = verb->value;
  }
  return out;
}

}  // namespace fleetgate::assistant
