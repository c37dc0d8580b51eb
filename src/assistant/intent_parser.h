// Understands short vehicle requests in English, Chinese and German without a language model:
// keyword lexicons per language (vehicle_lexicon.h), numbers in digits or words (0..99), and one
// extractor per catalogue tool that turns the utterance into schema-shaped arguments. The
// utterance is read in its detected language first, then in the other two (so "navigate to
// München" is English).
// One request per utterance; the first tool in this order wins: set_destination,
// set_temperature, seat_heating, set_climate_on, frunk, trunk, charge_port, sunroof, windows,
// wipers, lights, lock, media. Defaults: windows -> "all", seat -> "driver", wipers "on" -> auto.
// Named amounts map onto the catalogue's scales: windows "down"/"up" open/close, "a crack" vents,
// "halfway"/"a quarter"/"three quarters"/"30 percent"/"百分之三十"/"三成" set percent; seat heating
// "low"/"medium"/"high" are 1/2/3 and "max" 3; "mute" is volume 0 and "max volume" 10; "take me
// home" goes home. Relative requests without a value ("a bit warmer", "louder", "unmute") are
// not tool calls: the catalogue sets absolute values. testdata/utterances_{en,zh,de}.tsv holds
// the requests the parser is specified by.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "fleetgate/assistant/language.h"

namespace fleetgate::assistant {

enum class IntentKind {
  kToolCall,      // tool + arguments (not yet checked against the schema)
  kNeedsValue,    // tool understood, `missing` names the argument the user did not give
  kCapabilities,  // "what can you do", "help"
  kGreeting,      // "hello"
  kUnknown,
};

struct Intent {
  IntentKind kind = IntentKind::kUnknown;
  Language lang = Language::kEn;  // the language it was understood in, else the detected one
  std::string tool;
  boost::json::object arguments;
  std::string missing;            // kNeedsValue: "celsius", "level", "destination" or "volume"
};

Intent parse_intent(std::string_view utterance);

struct NumberMatch {
  double value = 0;
  size_t begin = 0;  // byte range in the text
  size_t end = 0;
};

// The first number at or after byte `from` of `folded` (fold_case()d text): digits with an
// optional decimal part ("21.5", "21,5"), or number words of `lang` from 0 to 99: "twenty-one",
// "einundzwanzig", "二十一" (also "两", and "点" for a decimal digit). A decimal digit or a half
// may be spoken after it: "twenty-one point five", "einundzwanzig Komma fünf", "22 and a half",
// "zweiundzwanzigeinhalb".
std::optional<NumberMatch> find_number(std::string_view folded, Language lang, size_t from = 0);

}  // namespace fleetgate::assistant
