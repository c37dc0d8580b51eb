#include "fleetgate/assistant/intent_parser.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "fleetgate/assistant/vehicle_tools.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;

struct Utterance {
  std::string text;
  Language lang;
  std::string tool;
  std::string arguments;
};

const Utterance kUtterances[] = {
    // English
    {"set the temperature to 21 degrees", Language::kEn, "set_temperature", R"({"celsius":21})"},
    {"Set the passenger temperature to twenty-two", Language::kEn, "set_temperature", R"({"celsius":22,"zone":"passenger"})"},
    {"make it 19.5 degrees", Language::kEn, "set_temperature", R"({"celsius":19.5})"},
    {"open the trunk", Language::kEn, "trunk", R"({"action":"open"})"},
    {"Close the boot please", Language::kEn, "trunk", R"({"action":"close"})"},
    {"pop the frunk", Language::kEn, "frunk", R"({"action":"open"})"},
    {"navigate to Berlin Hauptbahnhof", Language::kEn, "set_destination", R"({"destination":"Berlin Hauptbahnhof"})"},
    {"Take me to the airport, please.", Language::kEn, "set_destination", R"({"destination":"the airport"})"},
    {"navigate to München Marienplatz", Language::kEn, "set_destination", R"({"destination":"München Marienplatz"})"},
    {"heat my seat to level 2", Language::kEn, "seat_heating", R"({"seat":"driver","level":2})"},
    {"turn off the passenger seat heating", Language::kEn, "seat_heating", R"({"seat":"passenger","level":0})"},
    {"turn on the wipers", Language::kEn, "wipers", R"({"mode":"auto"})"},
    {"wipers fast", Language::kEn, "wipers", R"({"mode":"high"})"},
    {"play music", Language::kEn, "media", R"({"action":"play"})"},
    {"next song", Language::kEn, "media", R"({"action":"next"})"},
    {"set the volume to seven", Language::kEn, "media", R"({"volume":7})"},
    {"close all windows", Language::kEn, "windows", R"({"window":"all","action":"close"})"},
    {"open the rear left window a bit", Language::kEn, "windows", R"({"window":"rear_left","action":"vent"})"},
    {"open the sunroof", Language::kEn, "sunroof", R"({"action":"open"})"},
    {"open the charge port", Language::kEn, "charge_port", R"({"action":"open"})"},
    {"turn on the AC", Language::kEn, "set_climate_on", R"({"on":true})"},
    {"flash the lights", Language::kEn, "lights", R"({"action":"flash"})"},
    {"lock the car", Language::kEn, "lock", R"({"locked":true})"},
    {"unlock the doors", Language::kEn, "lock", R"({"locked":false})"},
    // Phrasings drivers use that were missed (issue "Assistant gateway, round 2").
    {"open the liftgate", Language::kEn, "trunk", R"({"action":"open"})"},
    {"open the windows halfway", Language::kEn, "windows", R"({"window":"all","action":"open","percent":50})"},
    {"open the driver window 30 percent", Language::kEn, "windows", R"({"window":"driver","action":"open","percent":30})"},
    {"open the passenger window a quarter", Language::kEn, "windows", R"({"window":"passenger","action":"open","percent":25})"},
    {"turn the heat up to 22", Language::kEn, "set_temperature", R"({"celsius":22})"},
    {"set the AC to 20", Language::kEn, "set_temperature", R"({"celsius":20})"},
    {"put my seat heating on the highest level", Language::kEn, "seat_heating", R"({"seat":"driver","level":3})"},
    {"passenger seat heat to max", Language::kEn, "seat_heating", R"({"seat":"passenger","level":3})"},
    {"seat heating lowest", Language::kEn, "seat_heating", R"({"seat":"driver","level":1})"},
    // Chinese
    {"把温度调到21度", Language::kZh, "set_temperature", R"({"celsius":21})"},
    {"温度调到二十一度", Language::kZh, "set_temperature", R"({"celsius":21})"},
    {"副驾温度调到二十二点五度", Language::kZh, "set_temperature", R"({"celsius":22.5,"zone":"passenger"})"},
    {"打开后备箱", Language::kZh, "trunk", R"({"action":"open"})"},
    {"关闭后备箱", Language::kZh, "trunk", R"({"action":"close"})"},
    {"打开前备箱", Language::kZh, "frunk", R"({"action":"open"})"},
    {"导航到上海虹桥站", Language::kZh, "set_destination", R"({"destination":"上海虹桥站"})"},
    {"带我去外滩吧", Language::kZh, "set_destination", R"({"destination":"外滩"})"},
    {"打开车窗", Language::kZh, "windows", R"({"window":"all","action":"open"})"},
    {"主驾车窗开一点", Language::kZh, "windows", R"({"window":"driver","action":"vent"})"},
    {"关闭天窗", Language::kZh, "sunroof", R"({"action":"close"})"},
    {"座椅加热调到二档", Language::kZh, "seat_heating", R"({"seat":"driver","level":2})"},
    {"打开空调", Language::kZh, "set_climate_on", R"({"on":true})"},
    {"打开充电口", Language::kZh, "charge_port", R"({"action":"open"})"},
    {"雨刷调到自动", Language::kZh, "wipers", R"({"mode":"auto"})"},
    {"播放音乐", Language::kZh, "media", R"({"action":"play"})"},
    {"下一首", Language::kZh, "media", R"({"action":"next"})"},
    {"音量调到五", Language::kZh, "media", R"({"volume":5})"},
    {"关灯", Language::kZh, "lights", R"({"action":"off"})"},
    {"解锁车门", Language::kZh, "lock", R"({"locked":false})"},
    {"座椅加热调到最高", Language::kZh, "seat_heating", R"({"seat":"driver","level":3})"},
    {"暖风调到22", Language::kZh, "set_temperature", R"({"celsius":22})"},
    {"打开尾箱", Language::kZh, "trunk", R"({"action":"open"})"},
    {"车窗打开一半", Language::kZh, "windows", R"({"window":"all","action":"open","percent":50})"},
    // German
    {"Temperatur auf 21 Grad", Language::kDe, "set_temperature", R"({"celsius":21})"},
    {"Stell die Temperatur auf einundzwanzig Grad", Language::kDe, "set_temperature", R"({"celsius":21})"},
    {"Beifahrer Temperatur auf 22,5 Grad", Language::kDe, "set_temperature", R"({"celsius":22.5,"zone":"passenger"})"},
    {"Kofferraum öffnen", Language::kDe, "trunk", R"({"action":"open"})"},
    {"Mach den Kofferraum zu", Language::kDe, "trunk", R"({"action":"close"})"},
    {"Ladeklappe öffnen", Language::kDe, "charge_port", R"({"action":"open"})"},
    {"Navigiere zum Münchner Hauptbahnhof", Language::kDe, "set_destination", R"({"destination":"Münchner Hauptbahnhof"})"},
    {"Sitzheizung Stufe 2", Language::kDe, "seat_heating", R"({"seat":"driver","level":2})"},
    {"Sitzheizung hinten rechts auf drei", Language::kDe, "seat_heating", R"({"seat":"rear_right","level":3})"},
    {"Alle Fenster schließen", Language::kDe, "windows", R"({"window":"all","action":"close"})"},
    {"Schiebedach auf", Language::kDe, "sunroof", R"({"action":"open"})"},
    {"Klimaanlage einschalten", Language::kDe, "set_climate_on", R"({"on":true})"},
    {"Scheibenwischer aus", Language::kDe, "wipers", R"({"mode":"off"})"},
    {"Spiele Musik", Language::kDe, "media", R"({"action":"play"})"},
    {"Lautstärke auf 4", Language::kDe, "media", R"({"volume":4})"},
    {"Licht an", Language::kDe, "lights", R"({"action":"on"})"},
    {"Auto verriegeln", Language::kDe, "lock", R"({"locked":true})"},
    {"Öffne das Beifahrerfenster", Language::kDe, "windows", R"({"window":"passenger","action":"open"})"},
    {"Fahrerfenster zu", Language::kDe, "windows", R"({"window":"driver","action":"close"})"},
    {"Fenster zur Hälfte öffnen", Language::kDe, "windows", R"({"window":"all","action":"open","percent":50})"},
    {"Heizung auf 22", Language::kDe, "set_temperature", R"({"celsius":22})"},
    {"Sitzheizung auf höchste Stufe", Language::kDe, "seat_heating", R"({"seat":"driver","level":3})"},
};

TEST(IntentParser, UtterancesMapToSchemaValidToolCalls) {
  for (const Utterance& u : kUtterances) {
    Intent intent = parse_intent(u.text);
    ASSERT_EQ(intent.kind, IntentKind::kToolCall) << u.text;
    EXPECT_EQ(intent.lang, u.lang) << u.text;
    EXPECT_EQ(intent.tool, u.tool) << u.text;
    EXPECT_EQ(intent.arguments, json::parse(u.arguments).as_object())
        << u.text << " -> " << json::serialize(intent.arguments);
    const VehicleTool* tool = find_vehicle_tool(intent.tool);
    ASSERT_NE(tool, nullptr);
    EXPECT_TRUE(parse_tool_arguments(tool->parameters, json::serialize(intent.arguments)).is_ok()) << u.text;
  }
}

TEST(IntentParser, CoversTheCatalogueInEveryLanguage) {
  for (Language lang : kAllLanguages) {
    std::set<std::string> tools;
    for (const Utterance& u : kUtterances) {
      if (u.lang == lang) tools.insert(u.tool);
    }
    EXPECT_GE(tools.size(), 11u) << to_string(lang);
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

}  // namespace
}  // namespace fleetgate::assistant
