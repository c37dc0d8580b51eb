#include "fleetgate/core/config_changes.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace fleetgate::config {
namespace {

using ::testing::ElementsAre;

constexpr const char* kBefore = R"(
[server]
port = 8080
threads = 2

[[regions]]
id = "cn"
chain = ["deepseek", "onboard"]

[[regions]]
id = "eu"
chain = ["xai-eu", "onboard"]

[markets]
CN = "cn"
DE = "eu"

[[providers]]
id = "deepseek"
base_url = "https://api.deepseek.com"
)";

std::vector<std::string> changes(const std::string& after) {
  auto c = toml_changes(kBefore, after);
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  return c.is_ok() ? *c : std::vector<std::string>{};
}

std::string edit(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(TomlChanges, TheSameDocumentChangesNothingWhateverItsLayout) {
  EXPECT_TRUE(changes(kBefore).empty());
  EXPECT_TRUE(changes(edit(kBefore, "port = 8080", "port    =    8080   # the API")).empty());
}

TEST(TomlChanges, NamesTheKeysOfATableThatChanged) {
  EXPECT_THAT(changes(edit(edit(kBefore, "DE = \"eu\"", "DE = \"cn\"\nFR = \"eu\""), "port = 8080", "port = 9090")),
              ElementsAre("markets.DE: \"eu\" -> \"cn\"", "markets.FR added: \"eu\"", "server.port: 8080 -> 9090"));
}

TEST(TomlChanges, MatchesArraysOfTablesById) {
  const std::string after = edit(edit(kBefore, "chain = [\"xai-eu\", \"onboard\"]", "chain = [\"onboard\"]"),
                                 "[[providers]]", "[[regions]]\nid = \"us\"\n\n[[providers]]");
  EXPECT_THAT(changes(after), ElementsAre("regions eu changed", "regions us added"));
  EXPECT_THAT(changes(edit(kBefore, "id = \"deepseek\"", "id = \"qwen\"")),
              ElementsAre("providers deepseek removed", "providers qwen added"));
}

TEST(TomlChanges, NamesSectionsAddedAndRemoved) {
  EXPECT_THAT(changes(std::string(kBefore) + "\n[log]\nformat = \"json\"\n"), ElementsAre("log added"));
  EXPECT_THAT(changes(edit(kBefore, "[server]\nport = 8080\nthreads = 2\n", "")), ElementsAre("server removed"));
}

TEST(TomlChanges, RefusesTextThatIsNotToml) {
  EXPECT_FALSE(toml_changes(kBefore, "[server\nport = 1").is_ok());
}

}  // namespace
}  // namespace fleetgate::config
