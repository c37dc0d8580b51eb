#include "fleetgate/assistant/intent_parser.h"

#include <initializer_list>
#include <utility>
#include <vector>

#include "fleetgate/assistant/keywords.h"
#include "fleetgate/assistant/utf8.h"
#include "fleetgate/assistant/vehicle_lexicon.h"
#include "fleetgate/assistant/vehicle_tools.h"

namespace fleetgate::assistant {

namespace json = boost::json;

namespace {

using namespace lexicon;

// ---- Matching ------------------------------------------------------------------------------

struct Utterance {
  std::string_view original;
  std::string_view folded;
  Language lang;
};

std::optional<Hit> find_any(const Utterance& u, const Words& words) { return assistant::find_any(u.folded, words, u.lang); }

bool mentions(const Utterance& u, const Words& words) { return find_any(u, words).has_value(); }

// The value of the first option whose words the utterance mentions.
template <typename T>
std::optional<T> pick(const Utterance& u, std::initializer_list<std::pair<const Words*, T>> options) {
  for (const auto& [words, value] : options) {
    if (mentions(u, *words)) return value;
  }
  return std::nullopt;
}

// ---- Numbers -------------------------------------------------------------------------------

struct NumberWord {
  std::string_view word;
  int value;
};

constexpr NumberWord kEnglishUnits[] = {
    {"zero", 0},     {"one", 1},       {"two", 2},       {"three", 3},     {"four", 4},
    {"five", 5},     {"six", 6},       {"seven", 7},     {"eight", 8},     {"nine", 9},
    {"ten", 10},     {"eleven", 11},   {"twelve", 12},   {"thirteen", 13}, {"fourteen", 14},
    {"fifteen", 15}, {"sixteen", 16},  {"seventeen", 17}, {"eighteen", 18}, {"nineteen", 19}};
constexpr NumberWord kEnglishTens[] = {{"twenty", 20}, {"thirty", 30}, {"forty", 40}, {"fifty", 50},
                                       {"sixty", 60},  {"seventy", 70}, {"eighty", 80}, {"ninety", 90}};
constexpr NumberWord kGermanUnits[] = {
    {"null", 0},      {"eins", 1},      {"zwei", 2},       {"zwo", 2},       {"drei", 3},
    {"vier", 4},      {"fünf", 5},      {"sechs", 6},      {"sieben", 7},    {"acht", 8},
    {"neun", 9},      {"zehn", 10},     {"elf", 11},       {"zwölf", 12},    {"dreizehn", 13},
    {"vierzehn", 14}, {"fünfzehn", 15}, {"sechzehn", 16},  {"siebzehn", 17}, {"achtzehn", 18},
    {"neunzehn", 19}};
// In "einundzwanzig" the unit is "ein", not "eins".
constexpr NumberWord kGermanCompoundUnits[] = {{"ein", 1},  {"zwei", 2},  {"drei", 3}, {"vier", 4}, {"fünf", 5},
                                               {"sechs", 6}, {"sieben", 7}, {"acht", 8}, {"neun", 9}};
constexpr NumberWord kGermanTens[] = {{"zwanzig", 20}, {"dreißig", 30}, {"dreissig", 30}, {"vierzig", 40},
                                      {"fünfzig", 50}, {"sechzig", 60}, {"siebzig", 70},  {"achtzig", 80},
                                      {"neunzig", 90}};

template <size_t N>
std::optional<int> lookup(const NumberWord (&table)[N], std::string_view word) {
  for (const NumberWord& w : table) {
    if (w.word == word) return w.value;
  }
  return std::nullopt;
}

size_t word_end(std::string_view text, size_t pos) {
  while (pos < text.size() && is_word_byte(text[pos])) ++pos;
  return pos;
}

std::optional<NumberMatch> english_number(std::string_view text, size_t pos) {
  size_t end = word_end(text, pos);
  std::string_view word = text.substr(pos, end - pos);
  if (auto v = lookup(kEnglishUnits, word)) return NumberMatch{double(*v), pos, end};
  auto tens = lookup(kEnglishTens, word);
  if (!tens) return std::nullopt;
  if (end < text.size() && (text[end] == '-' || text[end] == ' ')) {
    size_t unit_end = word_end(text, end + 1);
    auto unit = lookup(kEnglishUnits, text.substr(end + 1, unit_end - end - 1));
    if (unit && *unit >= 1 && *unit <= 9) return NumberMatch{double(*tens + *unit), pos, unit_end};
  }
  return NumberMatch{double(*tens), pos, end};
}

std::optional<NumberMatch> german_number(std::string_view text, size_t pos) {
  size_t end = word_end(text, pos);
  std::string_view word = text.substr(pos, end - pos);
  // "zweiundzwanzigeinhalb": the number ends where "einhalb" begins (with_spoken_fraction adds it).
  if (word.size() > 7 && word.ends_with("einhalb")) {
    end -= 7;
    word.remove_suffix(7);
  }
  if (auto v = lookup(kGermanUnits, word)) return NumberMatch{double(*v), pos, end};
  if (auto v = lookup(kGermanTens, word)) return NumberMatch{double(*v), pos, end};
  size_t und = word.find("und");
  if (und == std::string_view::npos) return std::nullopt;
  auto unit = lookup(kGermanCompoundUnits, word.substr(0, und));
  auto tens = lookup(kGermanTens, word.substr(und + 3));
  if (!unit || !tens) return std::nullopt;
  return NumberMatch{double(*tens + *unit), pos, end};
}

std::optional<int> chinese_digit(char32_t cp) {
  switch (cp) {
    case U'零': case U'〇': return 0;
    case U'一': return 1;
    case U'二': case U'两': return 2;
    case U'三': return 3;
    case U'四': return 4;
    case U'五': return 5;
    case U'六': return 6;
    case U'七': return 7;
    case U'八': return 8;
    case U'九': return 9;
    default: return std::nullopt;
  }
}

// d, 十, 十d, d十, d十d, optionally followed by 点d.
std::optional<NumberMatch> chinese_number(std::string_view text, size_t pos) {
  size_t at = pos;
  auto next = [&] { return utf8_at(text, at); };
  std::optional<int> tens_digit, unit;
  bool ten = false;
  if (auto d = chinese_digit(next().value)) {
    unit = d;
    at += next().length;
  }
  if (next().value == U'十') {
    ten = true;
    tens_digit = unit.value_or(1);
    unit.reset();
    at += next().length;
    if (auto d = chinese_digit(next().value)) {
      unit = d;
      at += next().length;
    }
  }
  if (!ten && !unit) return std::nullopt;
  // "一点" / "一下" / "一些" mean "a little", not the number one.
  char32_t after = next().value;
  if (!ten && unit == 1 && (after == U'点' || after == U'下' || after == U'些')) return std::nullopt;
  double value = (ten ? *tens_digit * 10 : 0) + unit.value_or(0);
  if (after == U'点') {
    size_t decimal_at = at + next().length;
    if (auto d = chinese_digit(utf8_at(text, decimal_at).value)) {
      value += *d / 10.0;
      at = decimal_at + utf8_at(text, decimal_at).length;
    }
  }
  return NumberMatch{value, pos, at};
}

// Said after a whole number: a decimal digit ("twenty-one point five", "einundzwanzig Komma fünf")
// or a half ("22 and a half"; German writes it on to the word: "zweiundzwanzigeinhalb").
const Localized kDecimalWord{" point ", "", " komma "};
const Localized kHalfWord{" and a half", "", "einhalb"};

// The digit 0..9 in the word at `pos` ("five", "fünf", "5"); `end` is set to the word's end.
std::optional<int> digit_word(std::string_view text, size_t pos, Language lang, size_t& end) {
  end = word_end(text, pos);
  std::string_view word = text.substr(pos, end - pos);
  if (word.size() == 1 && word[0] >= '0' && word[0] <= '9') return word[0] - '0';
  auto v = lang == Language::kDe ? lookup(kGermanUnits, word) : lookup(kEnglishUnits, word);
  if (v && *v <= 9) return v;
  return std::nullopt;
}

NumberMatch with_spoken_fraction(std::string_view text, NumberMatch n, Language lang) {
  if (n.value != static_cast<double>(static_cast<int64_t>(n.value))) return n;
  std::string_view rest = text.substr(n.end);
  std::string_view decimal = kDecimalWord.in(lang);
  if (!decimal.empty() && rest.starts_with(decimal)) {
    size_t end = 0;
    if (auto d = digit_word(text, n.end + decimal.size(), lang, end)) return {n.value + *d / 10.0, n.begin, end};
  }
  std::string_view half = kHalfWord.in(lang);
  size_t at = rest.starts_with(' ') && !half.starts_with(' ') ? 1 : 0;  // "22 einhalb"
  if (!half.empty() && rest.substr(at).starts_with(half)) {
    size_t end = n.end + at + half.size();
    if (end == text.size() || !is_word_byte(text[end])) return {n.value + 0.5, n.begin, end};
  }
  return n;
}

std::optional<NumberMatch> digits_number(std::string_view text, size_t pos) {
  auto is_digit = [&](size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  size_t end = pos;
  double value = 0;
  while (is_digit(end) && end - pos < 9) value = value * 10 + (text[end++] - '0');
  if (end < text.size() && (text[end] == '.' || text[end] == ',') && is_digit(end + 1)) {
    double scale = 0.1;
    for (++end; is_digit(end) && scale > 1e-6; ++end, scale /= 10) value += (text[end] - '0') * scale;
  }
  return NumberMatch{value, pos, end};
}

// ---- Extractors ------------------------------------------------------------------------------

Intent tool_call(const Utterance& u, std::string_view tool, json::object arguments) {
  Intent intent;
  intent.kind = IntentKind::kToolCall;
  intent.lang = u.lang;
  intent.tool = std::string(tool);
  intent.arguments = std::move(arguments);
  return intent;
}

Intent needs_value(const Utterance& u, std::string_view tool, std::string_view missing) {
  Intent intent;
  intent.kind = IntentKind::kNeedsValue;
  intent.lang = u.lang;
  intent.tool = std::string(tool);
  intent.missing = std::string(missing);
  return intent;
}

json::value number_value(double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) return static_cast<int64_t>(v);
  return v;
}

bool unit_follows(const Utterance& u, const NumberMatch& n, const Words& units) {
  size_t pos = n.end;
  while (pos < u.folded.size() && u.folded[pos] == ' ') ++pos;
  for (std::string_view unit : units.in(u.lang)) {
    std::string_view stem = unit.back() == '*' ? unit.substr(0, unit.size() - 1) : unit;
    if (u.folded.substr(pos, stem.size()) == stem) return true;
  }
  return false;
}

// Trims spaces, punctuation and a trailing "please" from a destination.
std::string_view trim_destination(const Utterance& u, std::string_view text) {
  constexpr std::string_view kAsciiTrim = " \t\r\n,.!?;:";
  constexpr std::string_view kWideTrim[] = {"。", "！", "？", "，", "；"};
  bool changed = true;
  while (changed && !text.empty()) {
    changed = false;
    size_t first = text.find_first_not_of(kAsciiTrim);
    size_t last = text.find_last_not_of(kAsciiTrim);
    std::string_view trimmed = first == std::string_view::npos ? std::string_view() : text.substr(first, last - first + 1);
    changed = trimmed.size() != text.size();
    text = trimmed;
    for (std::string_view wide : kWideTrim) {
      if (text.ends_with(wide)) {
        text.remove_suffix(wide.size());
        changed = true;
      }
    }
    std::string folded = fold_case(text);
    for (std::string_view polite : kPolite.in(u.lang)) {
      bool at_word_end = u.lang == Language::kZh || folded.size() == polite.size() ||
                         (folded.size() > polite.size() && !is_word_byte(folded[folded.size() - polite.size() - 1]));
      if (folded.ends_with(polite) && at_word_end) {
        text.remove_suffix(polite.size());
        changed = true;
        break;
      }
    }
  }
  return text;
}

// "Take me home", "导航回家", "nach Hause": home is the whole destination, named in the driver's
// language.
std::optional<Intent> home(const Utterance& u) {
  auto hit = find_any(u, kGoHome);
  if (!hit || !trim_destination(u, u.original.substr(hit->end)).empty()) return std::nullopt;
  return tool_call(u, "set_destination", {{"destination", kHome.in(u.lang)}});
}

std::optional<Intent> destination(const Utterance& u) {
  if (auto intent = home(u)) return intent;
  auto hit = find_any(u, kNavigate);
  if (!hit) return std::nullopt;
  std::string_view place = trim_destination(u, u.original.substr(hit->end));
  if (place.empty()) return needs_value(u, "set_destination", "destination");
  return tool_call(u, "set_destination", {{"destination", place}});
}

// Cabin temperatures a driver names without saying "degrees" ("turn the heat up to 22"); a number
// outside them with "heat" is something else (a seat heating level, a fan speed).
constexpr double kCabinMinC = 15, kCabinMaxC = 30;

// Chinese says the half after the unit: "二十一度半" is 21.5 degrees.
double with_half_degree(const Utterance& u, const NumberMatch& n) {
  return u.lang == Language::kZh && u.folded.substr(n.end).starts_with("度半") ? n.value + 0.5 : n.value;
}

std::optional<Intent> temperature(const Utterance& u) {
  auto n = find_number(u.folded, u.lang);
  const bool heat_to = n && n->value >= kCabinMinC && n->value <= kCabinMaxC && !mentions(u, kSeat) &&
                       (mentions(u, kHeat) || mentions(u, kCool) || mentions(u, kClimate));
  bool asked = mentions(u, kTemperature) || (n && unit_follows(u, *n, kDegrees)) || heat_to;
  if (!asked) return std::nullopt;
  if (!n) return needs_value(u, "set_temperature", "celsius");
  json::object args{{"celsius", number_value(with_half_degree(u, *n))}};
  if (auto zone = pick<std::string_view>(u, {{&kPassenger, "passenger"}, {&kDriver, "driver"}})) args["zone"] = *zone;
  return tool_call(u, "set_temperature", std::move(args));
}

std::optional<Intent> seat_heating(const Utterance& u) {
  if (!mentions(u, kSeat) || !mentions(u, kHeat)) return std::nullopt;
  std::optional<double> level;
  if (mentions(u, kOff)) {
    level = 0;
  } else if (auto n = find_number(u.folded, u.lang)) {
    level = n->value;
  } else if (mentions(u, kHighest)) {
    level = kSeatHeatingMaxLevel;
  } else if (mentions(u, kLowest)) {
    level = 1;
  } else if (auto named = pick<int>(u, {{&kHighLevel, kSeatHeatingMaxLevel}, {&kMediumLevel, 2}, {&kLowLevel, 1}})) {
    level = *named;
  }
  if (!level) return needs_value(u, "seat_heating", "level");
  std::string_view seat = pick<std::string_view>(u, {{&kRearLeft, "rear_left"},
                                                     {&kRearRight, "rear_right"},
                                                     {&kPassenger, "passenger"}})
                              .value_or("driver");
  return tool_call(u, "seat_heating", {{"seat", seat}, {"level", number_value(*level)}});
}

std::optional<Intent> climate(const Utterance& u) {
  if (!mentions(u, kClimate) && !mentions(u, kHeatSwitch)) return std::nullopt;
  auto on = pick<bool>(u, {{&kOff, false}, {&kOn, true}});
  if (!on) return std::nullopt;
  return tool_call(u, "set_climate_on", {{"on", *on}});
}

// Tools whose only argument is an `action` chosen from the utterance's verbs.
std::optional<Intent> action_tool(const Utterance& u, std::string_view tool, const Words& object,
                                  std::initializer_list<std::pair<const Words*, std::string_view>> actions) {
  if (!mentions(u, object)) return std::nullopt;
  auto action = pick<std::string_view>(u, actions);
  if (!action) return std::nullopt;
  return tool_call(u, tool, {{"action", *action}});
}

std::optional<Intent> frunk(const Utterance& u) {
  return action_tool(u, "frunk", kFrunk, {{&kClose, "close"}, {&kOpen, "open"}});
}

std::optional<Intent> trunk(const Utterance& u) {
  const Words& object = mentions(u, kHatch) ? kHatch : kTrunk;
  return action_tool(u, "trunk", object, {{&kClose, "close"}, {&kOpen, "open"}});
}

std::optional<Intent> charge_port(const Utterance& u) {
  return action_tool(u, "charge_port", kChargePort, {{&kClose, "close"}, {&kOpen, "open"}});
}

std::optional<Intent> sunroof(const Utterance& u) {
  return action_tool(u, "sunroof", kSunroof, {{&kVent, "vent"}, {&kClose, "close"}, {&kOpen, "open"}});
}

// True when a word of `units` ends right where the number begins ("百分之" in "百分之三十").
bool unit_precedes(const Utterance& u, const NumberMatch& n, const Words& units) {
  for (std::string_view unit : units.in(u.lang)) {
    if (u.folded.substr(0, n.begin).ends_with(unit)) return true;
  }
  return false;
}

// A percentage said with its number: "30 percent", "30%", "百分之三十", "三成" (tenths).
std::optional<int> said_percent(const Utterance& u) {
  auto n = find_number(u.folded, u.lang);
  if (!n) return std::nullopt;
  double percent = n->value;
  if (unit_follows(u, *n, kTenths)) {
    percent *= 10;
  } else if (!unit_follows(u, *n, kPercent) && !unit_precedes(u, *n, kPercentBefore)) {
    return std::nullopt;
  }
  if (percent < 1 || percent > 100) return std::nullopt;
  return static_cast<int>(percent);
}

// How far "open" opens: "halfway" 50, "a quarter" 25, "three quarters" 75, "30 percent" 30;
// nullopt: fully.
std::optional<int> open_percent(const Utterance& u) {
  if (auto percent = said_percent(u)) return percent;
  if (mentions(u, kThreeQuarters)) return 75;
  if (mentions(u, kQuarter)) return 25;
  if (mentions(u, kHalf)) return 50;
  return std::nullopt;
}

std::optional<Intent> windows(const Utterance& u) {
  auto intent = action_tool(u, "windows", kWindows,
                            {{&kVent, "vent"},
                             {&kClose, "close"},
                             {&kOpen, "open"},
                             {&kWindowDown, "open"},
                             {&kWindowUp, "close"}});
  if (!intent) return std::nullopt;
  if (intent->arguments["action"] == "open") {
    if (auto percent = open_percent(u)) intent->arguments["percent"] = *percent;
  }
  intent->arguments["window"] = pick<std::string_view>(u, {{&kRearLeft, "rear_left"},
                                                           {&kRearRight, "rear_right"},
                                                           {&kPassenger, "passenger"},
                                                           {&kDriver, "driver"}})
                                    .value_or("all");
  return intent;
}

std::optional<Intent> wipers(const Utterance& u) {
  if (!mentions(u, kWipers)) return std::nullopt;
  auto mode = pick<std::string_view>(
      u, {{&kOff, "off"}, {&kAuto, "auto"}, {&kFast, "high"}, {&kSlow, "low"}, {&kOn, "auto"}});
  if (!mode) return std::nullopt;
  return tool_call(u, "wipers", {{"mode", *mode}});
}

std::optional<Intent> lights(const Utterance& u) {
  if (mentions(u, kInteriorLights)) return std::nullopt;
  return action_tool(u, "lights", kLights, {{&kFlash, "flash"}, {&kOff, "off"}, {&kOn, "on"}});
}

std::optional<Intent> lock(const Utterance& u) {
  auto locked = pick<bool>(u, {{&kUnlock, false}, {&kLock, true}});
  if (!locked) return std::nullopt;
  return tool_call(u, "lock", {{"locked", *locked}});
}

std::optional<Intent> media(const Utterance& u) {
  if (!mentions(u, kMedia) || mentions(u, kUnmute)) return std::nullopt;
  json::object args;
  if (mentions(u, kMute)) {
    args["volume"] = 0;
  } else if (auto volume_word = find_any(u, kVolume)) {
    if (auto n = find_number(u.folded, u.lang, volume_word->end)) {
      args["volume"] = number_value(n->value);
    } else if (mentions(u, kHighest)) {
      args["volume"] = kMediaMaxVolume;
    } else {
      return needs_value(u, "media", "volume");
    }
  }
  // "Turn the music off" pauses it: the catalogue has no stop.
  if (auto action = pick<std::string_view>(u, {{&kPrevious, "previous"},
                                               {&kNext, "next"},
                                               {&kPause, "pause"},
                                               {&kOff, "pause"},
                                               {&kPlay, "play"}})) {
    args["action"] = *action;
  }
  if (args.empty()) return std::nullopt;
  return tool_call(u, "media", std::move(args));
}

using Extractor = std::optional<Intent> (*)(const Utterance&);

// Order matters where words overlap: a destination may contain any word, "seat heating" is not
// the climate's heating, the front trunk is not the trunk, the sunroof is not a window.
constexpr Extractor kExtractors[] = {destination, temperature, seat_heating, climate, frunk, trunk, charge_port,
                                     sunroof,     windows,     wipers,       lights,  lock,  media};

}  // namespace

std::optional<NumberMatch> find_number(std::string_view folded, Language lang, size_t from) {
  for (size_t pos = from; pos < folded.size();) {
    CodePoint cp = utf8_at(folded, pos);
    if (cp.value >= '0' && cp.value <= '9') return with_spoken_fraction(folded, *digits_number(folded, pos), lang);
    std::optional<NumberMatch> word;
    bool word_start = pos == 0 || !is_word_byte(folded[pos - 1]);
    if (lang == Language::kZh) {
      word = chinese_number(folded, pos);
    } else if (word_start && is_word_byte(folded[pos])) {
      word = lang == Language::kDe ? german_number(folded, pos) : english_number(folded, pos);
    }
    if (word) return with_spoken_fraction(folded, *word, lang);
    pos += cp.length;
  }
  return std::nullopt;
}

Intent parse_intent(std::string_view utterance) {
  std::string folded = fold_case(utterance);
  Language detected = detect_language(utterance);
  std::vector<Language> order{detected};
  for (Language lang : kAllLanguages) {
    if (lang != detected) order.push_back(lang);
  }
  for (Language lang : order) {
    Utterance u{utterance, folded, lang};
    for (Extractor extract : kExtractors) {
      if (auto intent = extract(u)) return *intent;
    }
  }
  for (auto [words, kind] : {std::pair{&kCapabilities, IntentKind::kCapabilities}, std::pair{&kGreeting, IntentKind::kGreeting}}) {
    for (Language lang : order) {
      if (mentions(Utterance{utterance, folded, lang}, *words)) {
        Intent intent;
        intent.kind = kind;
        intent.lang = lang;
        return intent;
      }
    }
  }
  Intent unknown;
  unknown.lang = detected;
  return unknown;
}

}  // namespace fleetgate::assistant
