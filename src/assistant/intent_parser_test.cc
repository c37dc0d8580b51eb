// The intent parser, specified by the utterance corpus in testdata/utterances_{en,zh,de}.tsv (each
// request as drivers say it, and the tool call it must become) and by the cases below.
#include "fleetgate/assistant/intent_parser.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

#include "fleetgate/assistant/vehicle_tools.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

// The utterance corpus: testdata/utterances_<lang>.tsv, one request a line as drivers speak it,
// with the catalogue tool and the exact arguments it must become (the files' header says how).
struct Utterance {
  std::string where;  // "utterances_en.tsv:12", for failure messages
  std::string text;
  std::string tool;
  json::object arguments;
};

struct Corpus {
  Language lang;
  std::vector<Utterance> utterances;
  std::vector<std::string> errors;  // malformed rows, each as "file:line: why"
};

std::string corpus_file(Language lang) { return "utterances_" + std::string(to_string(lang)) + ".tsv"; }

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t begin = 0;
  for (size_t tab = line.find('\t'); tab != std::string::npos; tab = line.find('\t', begin)) {
    fields.push_back(line.substr(begin, tab - begin));
    begin = tab + 1;
  }
  fields.push_back(line.substr(begin));
  return fields;
}

// One row: utterance, catalogue tool, arguments as a JSON object; an error message when malformed.
std::variant<Utterance, std::string> parse_row(const std::string& where, const std::string& line) {
  std::vector<std::string> fields = split_tabs(line);
  if (fields.size() != 3) return "expected 3 tab-separated fields, found " + std::to_string(fields.size());
  if (fields[0].empty()) return std::string("empty utterance");
  if (find_vehicle_tool(fields[1]) == nullptr) return "\"" + fields[1] + "\" is not a catalogue tool";
  boost::system::error_code ec;
  json::value arguments = json::parse(fields[2], ec);
  if (ec) return "arguments are not JSON: " + ec.message();
  if (!arguments.is_object()) return std::string("arguments are not a JSON object");
  return Utterance{where, fields[0], fields[1], arguments.as_object()};
}

Corpus load_corpus(Language lang) {
  Corpus corpus{lang, {}, {}};
  const std::string file = corpus_file(lang);
  std::ifstream in(std::string(FLEETGATE_SOURCE_DIR) + "/src/assistant/testdata/" + file);
  if (!in) corpus.errors.push_back(file + ": cannot be read");
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.starts_with('#')) continue;
    std::string where = file + ":" + std::to_string(number);
    auto row = parse_row(where, line);
    if (auto* error = std::get_if<std::string>(&row)) {
      corpus.errors.push_back(where + ": " + *error);
    } else {
      corpus.utterances.push_back(std::move(std::get<Utterance>(row)));
    }
  }
  return corpus;
}

// Read once for all tests.
const std::vector<Corpus>& corpora() {
  static const std::vector<Corpus> kCorpora = [] {
    std::vector<Corpus> all;
    for (Language lang : kAllLanguages) all.push_back(load_corpus(lang));
    return all;
  }();
  return kCorpora;
}

TEST(IntentParser, CorpusFilesAreWellFormed) {
  for (const Corpus& corpus : corpora()) {
    for (const std::string& error : corpus.errors) ADD_FAILURE() << error;
    std::set<std::string> texts;
    for (const Utterance& u : corpus.utterances) {
      EXPECT_TRUE(texts.insert(u.text).second) << u.where << ": \"" << u.text << "\" is already in the corpus";
    }
  }
}

// What the parser made of an utterance, for failure messages: "trunk {"action":"open"} (en)".
std::string describe(const Intent& intent) {
  std::string lang = " (" + std::string(to_string(intent.lang)) + ")";
  switch (intent.kind) {
    case IntentKind::kToolCall: return intent.tool + " " + json::serialize(intent.arguments) + lang;
    case IntentKind::kNeedsValue: return intent.tool + " without " + intent.missing + lang;
    case IntentKind::kCapabilities: return "capabilities" + lang;
    case IntentKind::kGreeting: return "greeting" + lang;
    case IntentKind::kUnknown: return "unknown" + lang;
  }
  return "?";
}

// Each utterance is a call of its tool with exactly its arguments, in its file's language, and
// the arguments are valid against the catalogue's schema.
TEST(IntentParser, UtterancesMapToSchemaValidToolCalls) {
  for (const Corpus& corpus : corpora()) {
    for (const Utterance& u : corpus.utterances) {
      Intent intent = parse_intent(u.text);
      const bool as_expected = intent.kind == IntentKind::kToolCall && intent.lang == corpus.lang &&
                               intent.tool == u.tool && intent.arguments == u.arguments;
      EXPECT_TRUE(as_expected) << u.where << ": \"" << u.text << "\" -> " << describe(intent) << ", expected "
                               << u.tool << " " << json::serialize(u.arguments);
      if (!as_expected) continue;
      const VehicleTool* tool = find_vehicle_tool(intent.tool);
      ASSERT_NE(tool, nullptr) << u.where;
      EXPECT_TRUE(parse_tool_arguments(tool->parameters, json::serialize(intent.arguments)).is_ok())
          << u.where << ": \"" << u.text << "\" -> " << describe(intent) << " is not valid against the schema";
    }
  }
}

TEST(IntentParser, CorpusHasAtLeast300UtterancesPerLanguage) {
  for (const Corpus& corpus : corpora()) EXPECT_GE(corpus.utterances.size(), 300u) << corpus_file(corpus.lang);
}

TEST(IntentParser, CoversTheCatalogueInEveryLanguage) {
  for (const Corpus& corpus : corpora()) {
    std::set<std::string> tools;
    for (const Utterance& u : corpus.utterances) tools.insert(u.tool);
    for (const VehicleTool& tool : vehicle_tools()) {
      EXPECT_TRUE(tools.contains(tool.name)) << corpus_file(corpus.lang) << " never asks for " << tool.name;
    }
  }
}

TEST(IntentParser, MissingValuesAreAskedFor) {
  const std::pair<std::string, std::string> cases[] = {
      {"set the temperature", "celsius"}, {"调一下温度", "celsius"},  {"heat my seat", "level"},
      {"Sitzheizung einschalten", "level"}, {"navigate to", "destination"}, {"Lautstärke ändern", "volume"},
  };
  for (const auto& [text, missing] : cases) {
    Intent intent = parse_intent(text);
    EXPECT_EQ(intent.kind, IntentKind::kNeedsValue) << text;
    EXPECT_EQ(intent.missing, missing) << text;
  }
}

TEST(IntentParser, GreetingsCapabilitiesAndUnknownRequests) {
  const std::tuple<std::string, IntentKind, Language> cases[] = {
      {"Hello!", IntentKind::kGreeting, Language::kEn},
      {"你好", IntentKind::kGreeting, Language::kZh},
      {"Guten Morgen", IntentKind::kGreeting, Language::kDe},
      {"what can you do?", IntentKind::kCapabilities, Language::kEn},
      {"你能做什么", IntentKind::kCapabilities, Language::kZh},
      {"Was kannst du?", IntentKind::kCapabilities, Language::kDe},
      {"write me a poem about the sea", IntentKind::kUnknown, Language::kEn},
      {"今天股市怎么样", IntentKind::kUnknown, Language::kZh},
      {"Wie wird das Wetter morgen?", IntentKind::kUnknown, Language::kDe},
      {"", IntentKind::kUnknown, Language::kEn},
  };
  for (const auto& [text, kind, lang] : cases) {
    Intent intent = parse_intent(text);
    EXPECT_EQ(intent.kind, kind) << text;
    EXPECT_EQ(intent.lang, lang) << text;
  }
}

TEST(IntentParser, WordsInsideOtherWordsDoNotMatch) {
  EXPECT_EQ(parse_intent("the lights look wonderful").kind, IntentKind::kUnknown) << "'on' inside 'wonderful'";
  EXPECT_EQ(parse_intent("open the bootstrapping guide").kind, IntentKind::kUnknown) << "'boot' inside a word";
  EXPECT_EQ(parse_intent("unmute").kind, IntentKind::kUnknown) << "'mute' inside 'unmute'";
  EXPECT_EQ(parse_intent("open the hatchery gate").kind, IntentKind::kUnknown) << "'hatch' inside a word";
}

// Words the corpus taught the parser, in requests that are not about the car.
TEST(IntentParser, NewPhrasingsDoNotCatchOtherRequests) {
  const std::string_view unknown[] = {
      "turn on the reading light",  // the catalogue's lights are the exterior ones
      "打开阅读灯",
      "Innenbeleuchtung an",
      "take me seriously",  // "take me" without "to" or "home"
      "I will go home and rest",  // home is the destination only when nothing follows it
      "the price went down 20 percent",
      "what's the weather like down there",
      "cool, thanks",
      "hatch a plan",
      "unmute the music",  // the volume before the mute is not in the request
      "取消静音",
      "Stummschaltung aufheben",
  };
  for (std::string_view text : unknown) EXPECT_EQ(parse_intent(text).kind, IntentKind::kUnknown) << text;
}

TEST(Numbers, WordsFromZeroToThirtyInEachLanguage) {
  const std::vector<std::string> english = {
      "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
      "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty",
      "twenty-one", "twenty two", "twenty-three", "twenty-four", "twenty-five", "twenty-six", "twenty-seven",
      "twenty-eight", "twenty-nine", "thirty"};
  const std::vector<std::string> chinese = {
      "零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五",
      "十六", "十七", "十八", "十九", "二十", "二十一", "二十二", "二十三", "二十四", "二十五", "二十六", "二十七",
      "二十八", "二十九", "三十"};
  const std::vector<std::string> german = {
      "null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn",
      "elf", "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn", "zwanzig",
      "einundzwanzig", "zweiundzwanzig", "dreiundzwanzig", "vierundzwanzig", "fünfundzwanzig", "sechsundzwanzig",
      "siebenundzwanzig", "achtundzwanzig", "neunundzwanzig", "dreißig"};
  for (const auto& [words, lang] : {std::pair{&english, Language::kEn}, std::pair{&chinese, Language::kZh},
                                    std::pair{&german, Language::kDe}}) {
    ASSERT_EQ(words->size(), 31u);
    for (size_t n = 0; n < words->size(); ++n) {
      std::string text = lang == Language::kZh ? "调到" + (*words)[n] + "度" : "to " + (*words)[n] + " please";
      auto match = find_number(text, lang);
      ASSERT_TRUE(match.has_value()) << text;
      EXPECT_EQ(match->value, static_cast<double>(n)) << text;
      EXPECT_EQ(text.substr(match->begin, match->end - match->begin), (*words)[n]) << text;
    }
  }
}

TEST(Numbers, DigitsDecimalsAndNonNumbers) {
  EXPECT_EQ(find_number("set 21.5 now", Language::kEn)->value, 21.5);
  EXPECT_EQ(find_number("auf 22,5 grad", Language::kDe)->value, 22.5);
  EXPECT_EQ(find_number("二十一点五度", Language::kZh)->value, 21.5);
  EXPECT_EQ(find_number("两档", Language::kZh)->value, 2);
  EXPECT_FALSE(find_number("开一点", Language::kZh).has_value()) << "一点 is 'a little'";
  EXPECT_FALSE(find_number("licht ein", Language::kDe).has_value()) << "'ein' alone is an article";
  EXPECT_FALSE(find_number("someone", Language::kEn).has_value());
  EXPECT_EQ(find_number("level 3 and 2", Language::kEn, 7)->value, 2) << "search starts at `from`";
}

TEST(Numbers, SpokenDecimalsAndHalves) {
  const std::tuple<std::string, Language, double, std::string> cases[] = {
      {"to twenty-one point five please", Language::kEn, 21.5, "twenty-one point five"},
      {"to 21 point 5 degrees", Language::kEn, 21.5, "21 point 5"},
      {"make it 22 and a half", Language::kEn, 22.5, "22 and a half"},
      {"auf einundzwanzig komma fünf grad", Language::kDe, 21.5, "einundzwanzig komma fünf"},
      {"auf zweiundzwanzigeinhalb grad", Language::kDe, 22.5, "zweiundzwanzigeinhalb"},
      {"auf 22 einhalb grad", Language::kDe, 22.5, "22 einhalb"},
      {"twenty point blank", Language::kEn, 20, "twenty"},
      {"two and a halfpipe", Language::kEn, 2, "two"},
  };
  for (const auto& [text, lang, value, said] : cases) {
    auto match = find_number(text, lang);
    ASSERT_TRUE(match.has_value()) << text;
    EXPECT_EQ(match->value, value) << text;
    EXPECT_EQ(text.substr(match->begin, match->end - match->begin), said) << text;
  }
}

}  // namespace
}  // namespace fleetgate::assistant
