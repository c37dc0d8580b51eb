#include "fleetgate/core/config.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

namespace fleetgate::config {
namespace {

const char* kValid = R"(
[server]
port = 9000
[[regions]]
id = "cn"
chain = ["deepseek", "onboard"]
[[regions]]
id = "eu"
data_dir = "/srv/eu"
retention_days = 30
chain = ["grok-eu"]
[markets]
CN = "cn"
DE = "eu"
[[providers]]
id = "deepseek"
kind = "openai-compatible"
base_url = "https://api.deepseek.com"
api_key_env = "DEEPSEEK_API_KEY"
location = "cn"
models = ["deepseek-chat"]
[[providers]]
id = "grok-eu"
kind = "openai-compatible"
base_url = "https://api.x.ai"
location = "eu"
models = ["grok-4"]
[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  auto pos = text.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return text.replace(pos, from.size(), to);
}

// One way to break a section appended to kValid, and the error it must give.
struct Broken {
  std::string from, to, expect;
};

// Each of `cases` applied to `section` on its own is refused with its error.
void expect_refused(const std::string& section, std::initializer_list<Broken> cases) {
  for (const Broken& b : cases) {
    auto broken = parse_config(std::string(kValid) + replace(section, b.from, b.to), "broken.toml");
    ASSERT_FALSE(broken.is_ok()) << b.expect;
    EXPECT_NE(broken.status().message().find(b.expect), std::string::npos) << broken.status().message();
  }
}

TEST(Config, ParsesValidDocument) {
  auto c = parse_config(kValid, "/etc/fleetgate/test.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->server.port, 9000);
  ASSERT_EQ(c->regions.size(), 2u);
  EXPECT_EQ(c->regions[0].data_dir, "/etc/fleetgate/data/cn");
  EXPECT_EQ(c->regions[1].data_dir, "/srv/eu");
  EXPECT_EQ(c->regions[0].retention_days, std::nullopt);
  EXPECT_EQ(c->regions[1].retention_days, 30u);
  EXPECT_EQ(c->region_for_market("DE")->id, "eu");
  EXPECT_EQ(c->region_for_market("US"), nullptr);
  EXPECT_EQ(c->provider("onboard")->kind, ProviderKind::kOnboard);
  EXPECT_EQ(c->regions[0].chain[1].provider_id, "onboard");
  EXPECT_EQ(c->regions[0].chain[1].where.line, 6u);
}

TEST(Config, NodeServesEveryRegionByDefault) {
  auto c = parse_config(kValid, "t.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->served_regions, (std::vector<std::string>{"cn", "eu"}));
  EXPECT_TRUE(c->serves("eu"));
  EXPECT_EQ(c->regions[0].endpoint, "");
  EXPECT_EQ(c->directory.dsn_env, "");
  EXPECT_EQ(c->directory.key_env, "FLEETGATE_DIRECTORY_KEY");
}

TEST(Config, NodeRegionsEndpointsAndDirectory) {
  std::string text = replace(kValid, "retention_days = 30", "retention_days = 30\nendpoint = \"https://eu.fleet.example\"");
  text += "[node]\nregions = [\"cn\"]\n[directory]\ndsn_env = \"DIR_DSN\"\nkey_file = \"keys/dir.key\"\n";
  auto c = parse_config(text, "/etc/fleetgate/t.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->served_regions, std::vector<std::string>{"cn"});
  EXPECT_TRUE(c->serves("cn"));
  EXPECT_FALSE(c->serves("eu"));
  EXPECT_EQ(c->region("eu")->endpoint, "https://eu.fleet.example");
  EXPECT_EQ(c->directory.dsn_env, "DIR_DSN");
  EXPECT_EQ(c->directory.key_file, "/etc/fleetgate/keys/dir.key");
}

TEST(Config, ConsoleSessionLifetimeIsConfigurableAndBounded) {
  auto defaults = parse_config(kValid, "t.toml");
  ASSERT_TRUE(defaults.is_ok()) << defaults.status().to_string();
  EXPECT_EQ(defaults->console.session_seconds, 28'800);
  auto c = parse_config(std::string(kValid) + "[console]\nsession_seconds = 30\n", "t.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->console.session_seconds, 30);
  expect_refused("[console]\nsession_seconds = 30\n",
                 {{"= 30", "= 0", "console.session_seconds"},
                  {"= 30", "= 604801", "console.session_seconds"},
                  {"session_seconds", "lifetime", "console.lifetime"}});
}

TEST(Config, LogFormatAndLevelAreConfigurable) {
  auto defaults = parse_config(kValid, "t.toml");
  ASSERT_TRUE(defaults.is_ok()) << defaults.status().to_string();
  EXPECT_EQ(defaults->log.format, LogSettings::Format::kText);
  EXPECT_EQ(defaults->log.level, LogSettings::Level::kInfo);
  auto c = parse_config(std::string(kValid) + "[log]\nformat = \"json\"\nlevel = \"warn\"\n", "t.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->log.format, LogSettings::Format::kJson);
  EXPECT_EQ(c->log.level, LogSettings::Level::kWarn);
  expect_refused("[log]\nformat = \"json\"\nlevel = \"warn\"\n",
                 {{"\"json\"", "\"xml\"", "log.format"},
                  {"\"warn\"", "\"warning\"", "log.level"},
                  {"level", "verbosity", "log.verbosity"}});
}

TEST(Config, RegionTelemetryIsEmbeddedByDefaultAndNamesItsEnvironment) {
  std::string text = replace(kValid, "id = \"eu\"", "id = \"eu-west\"");
  text = replace(text, "DE = \"eu\"", "DE = \"eu-west\"");
  text = replace(text, "location = \"eu\"", "location = \"eu-west\"");
  text = replace(text, "chain = [\"grok-eu\"]",
                 "chain = [\"grok-eu\"]\n[regions.telemetry]\nlog = \"jetstream\"\nack = \"replicated\"\nshards = 8\n"
                 "replicas = 1\nmaterialize = false");
  auto c = parse_config(text, "t.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  const RegionTelemetrySettings& cn = c->regions[0].telemetry;
  EXPECT_EQ(cn.log, RegionTelemetrySettings::Log::kEmbedded);
  EXPECT_EQ(cn.ack, RegionTelemetrySettings::Ack::kPersisted);
  EXPECT_EQ(cn.nats_env, "FLEETGATE_NATS_CN");
  EXPECT_EQ(cn.dsn_env, "FLEETGATE_REGION_DSN_CN");
  const RegionTelemetrySettings& eu = c->regions[1].telemetry;
  EXPECT_EQ(eu.log, RegionTelemetrySettings::Log::kJetStream);
  EXPECT_EQ(eu.ack, RegionTelemetrySettings::Ack::kReplicated);
  EXPECT_EQ(eu.nats_env, "FLEETGATE_NATS_EU_WEST");
  EXPECT_EQ(eu.dsn_env, "FLEETGATE_REGION_DSN_EU_WEST");
  EXPECT_EQ(eu.shards, 8);
  EXPECT_EQ(eu.replicas, 1);
  EXPECT_FALSE(eu.materialize);
}

TEST(Config, DefaultConfigInRepoLoads) {
  auto c = load_config(std::string(FLEETGATE_SOURCE_DIR) + "/config/fleetgate.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->regions.size(), 3u);
  EXPECT_EQ(c->server.max_connections, 4096u);
  EXPECT_EQ(c->region_for_market("CN")->id, "cn");
  EXPECT_EQ(c->region_for_market("DE")->id, "eu");
}

struct BadCase {
  std::string from, to, expect;
  friend std::ostream& operator<<(std::ostream& os, const BadCase& c) { return os << c.expect; }
};

class BadConfig : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadConfig, NamesFileLineAndKey) {
  const auto& p = GetParam();
  auto c = parse_config(replace(kValid, p.from, p.to), "bad.toml");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  EXPECT_NE(c.status().message().find(p.expect), std::string::npos) << c.status().message();
  EXPECT_EQ(c.status().message().rfind("bad.toml:", 0), 0u) << c.status().message();
  EXPECT_EQ(c.status().message().find('\n'), std::string::npos) << "errors fit on one line";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, BadConfig,
    ::testing::Values(
        BadCase{"DE = \"eu\"", "DE = \"mars\"", "bad.toml:14: markets.DE: unknown region 'mars'"},
        BadCase{"DE = \"eu\"", "Germany = \"eu\"", "not an ISO 3166"},
        BadCase{"id = \"eu\"", "id = \"cn\"", "bad.toml:7: regions[1].id: duplicate region id 'cn'"},
        BadCase{"id = \"grok-eu\"", "id = \"deepseek\"", "duplicate provider id 'deepseek'"},
        BadCase{"chain = [\"grok-eu\"]", "chain = []", "region 'eu' has no provider"},
        BadCase{"chain = [\"grok-eu\"]", "chain = [\"nope\"]", "regions[1].chain[0]: unknown provider 'nope'"},
        BadCase{"chain = [\"grok-eu\"]", "chain = [\"grok-eu\", \"grok-eu\"]", "listed twice"},
        BadCase{"location = \"eu\"", "location = \"moon\"", "unknown region 'moon'"},
        BadCase{"kind = \"onboard\"", "kind = \"magic\"", "unknown provider kind 'magic'"},
        BadCase{"port = 9000", "port = 99999", "server.port: must be between 0 and 65535"},
        BadCase{"port = 9000", "prot = 9000", "server.prot: unknown key"},
        BadCase{"port = 9000", "max_connections = 0", "server.max_connections: must be between 1 and 1000000"},
        BadCase{"port = 9000", "port = \"x\"", "server.port: expected an integer"},
        BadCase{"models = [\"grok-4\"]", "models = []", "at least one model"},
        BadCase{"base_url = \"https://api.x.ai\"", "base_url = \"ftp://x\"", "must start with http"},
        BadCase{"location = \"vehicle\"", "location = \"cn\"", "location must be \"vehicle\""},
        BadCase{"retention_days = 30", "retention_days = 0", "regions[1].retention_days: must be between 1 and 36500"},
        BadCase{"retention_days = 30", "retention_days = \"30d\"", "regions[1].retention_days: expected an integer"},
        BadCase{"[markets]", "[node]\nregions = [\"mars\"]\n[markets]", "node.regions[0]: unknown region 'mars'"},
        BadCase{"[markets]", "[node]\nregions = []\n[markets]", "node.regions: a node serves at least one region"},
        BadCase{"[markets]", "[node]\nregions = [\"cn\", \"cn\"]\n[markets]", "region 'cn' listed twice"},
        BadCase{"[markets]", "[node]\nregion = [\"cn\"]\n[markets]", "node.region: unknown key"},
        BadCase{"retention_days = 30", "endpoint = \"ftp://eu\"", "regions[1].endpoint: must start with http"},
        BadCase{"retention_days = 30", "endpoint = \"https://\"", "regions[1].endpoint: has no host"},
        BadCase{"retention_days = 30", "endpoint = \"https://eu.example/\"", "must not end with '/'"},
        BadCase{"retention_days = 30", "endpoint = \"https://eu.example?a=1\"", "query or fragment"},
        BadCase{"retention_days = 30", "endpoint = \"https://eu.example\\r\\nX: 1\"", "control characters"},
        BadCase{"[markets]", "[directory]\nkey = \"00\"\n[markets]", "directory.key: unknown key"},
        BadCase{"chain = [\"grok-eu\"]", "chain = [\"grok-eu\"]\n[regions.telemetry]\nlog = \"kafka\"",
                "regions[1].telemetry.log: must be \"embedded\" or \"jetstream\""},
        BadCase{"chain = [\"grok-eu\"]", "chain = [\"grok-eu\"]\n[regions.telemetry]\nack = \"fsync\"",
                "regions[1].telemetry.ack: must be \"persisted\" or \"replicated\""},
        BadCase{"chain = [\"grok-eu\"]", "chain = [\"grok-eu\"]\n[regions.telemetry]\nshards = 0",
                "regions[1].telemetry.shards: must be between 1 and 256"},
        BadCase{"chain = [\"grok-eu\"]", "chain = [\"grok-eu\"]\n[regions.telemetry]\nurls = \"nats://x\"",
                "regions[1].telemetry.urls: unknown key"},
        BadCase{"[markets]", "[assistant]\ntool_function = 1\n[markets]", "assistant.tool_function: unknown key"},
        BadCase{"[markets]", "[assistant.tool_functions]\nacme_hatch = 3\n[markets]", "assistant.tool_functions.acme_hatch"},
        BadCase{"[markets]", "[markets\n", "syntax error"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return "case" + std::to_string(info.index); });

TEST(Config, AssistantToolFunctionsPinNamesToFunctions) {
  auto c = parse_config(replace(kValid, "[markets]", "[assistant.tool_functions]\nacme_hatch = \"trunk\"\n\"舱门\" = \"frunk\"\n[markets]"),
                        "pins.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_EQ(c->assistant.tool_functions.size(), 2u);
  EXPECT_EQ(c->assistant.tool_functions[0].tool, "acme_hatch");
  EXPECT_EQ(c->assistant.tool_functions[0].function, "trunk");
  EXPECT_EQ(c->assistant.tool_functions[0].where.key, "assistant.tool_functions.acme_hatch");
  EXPECT_EQ(c->assistant.tool_functions[1].tool, "舱门");
  auto none = parse_config(kValid, "plain.toml");
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->assistant.tool_functions.empty());
}

const char* kLabels = R"(
[[compliance.ai_labels]]
markets = ["CN"]
reference = "CAC labelling measures"
when = "every_answer"
notice = { en = "[AI-generated]", zh = "【AI生成】", de = "[KI-generiert]" }
)";

TEST(Config, AiLabelRulesAreKeptPerMarket) {
  auto c = parse_config(std::string(kValid) + kLabels, "labels.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  const AiLabelRule* cn = c->ai_label_rule("CN");
  ASSERT_NE(cn, nullptr);
  EXPECT_EQ(cn->when, AiLabelRule::When::kEveryAnswer);
  EXPECT_EQ(cn->notice_zh, "【AI生成】");
  EXPECT_EQ(cn->reference, "CAC labelling measures");
  EXPECT_EQ(c->ai_label_rule("DE"), nullptr) << "a market without a rule is not labelled";

  expect_refused(kLabels, {
      {"markets = [\"CN\"]", "markets = [\"US\"]", "compliance.ai_labels[0].markets: unknown market 'US'"},
      {"when = \"every_answer\"", "when = \"sometimes\"", "must be \"first_turn\" or \"every_answer\""},
      {", de = \"[KI-generiert]\"", "", "compliance.ai_labels[0].notice: missing required key 'de'"},
      {"when = \"every_answer\"", "when = \"every_answer\"\nlabel = 1", "compliance.ai_labels[0].label: unknown key"},
      {"reference = \"CAC labelling measures\"", "reference = \"\"", "compliance.ai_labels[0].reference"},
  });
  auto twice = parse_config(std::string(kValid) + kLabels + kLabels, "labels.toml");
  ASSERT_FALSE(twice.is_ok());
  EXPECT_NE(twice.status().message().find("market 'CN' has an AI label rule already"), std::string::npos)
      << twice.status().message();
}

TEST(Config, AssistantBudgetsNameTheirScope) {
  const std::string budgets = R"(
[[assistant.budgets]]
scope = "vehicle"
requests_per_minute = 20
tokens_per_day = 200000
[[assistant.budgets]]
scope = "vehicle"
region = "cn"
requests_per_minute = 10
[[assistant.budgets]]
scope = "region"
region = "eu"
tokens_per_day = 50000000
[[assistant.budgets]]
scope = "provider"
provider = "deepseek"
requests_per_minute = 3000
)";
  auto c = parse_config(std::string(kValid) + budgets, "budgets.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  ASSERT_EQ(c->assistant.budgets.size(), 4u);
  EXPECT_EQ(c->assistant.budgets[0].scope, Budget::Scope::kVehicle);
  EXPECT_EQ(c->assistant.budgets[0].tokens_per_day, 200000u);
  EXPECT_EQ(c->assistant.budgets[1].region, "cn");
  EXPECT_EQ(c->assistant.budgets[2].scope, Budget::Scope::kRegion);
  EXPECT_EQ(c->assistant.budgets[3].provider, "deepseek");

  expect_refused(budgets, {
      {"scope = \"region\"", "scope = \"fleet\"", "assistant.budgets[2].scope: must be \"vehicle\", \"region\" or \"provider\""},
      {"region = \"eu\"", "region = \"mars\"", "assistant.budgets[2].region: unknown region 'mars'"},
      {"region = \"eu\"\n", "", "assistant.budgets[2]: missing required key 'region'"},
      {"provider = \"deepseek\"", "provider = \"openai\"", "unknown provider 'openai'"},
      {"requests_per_minute = 3000", "requests_per_minute = 0", "assistant.budgets[3].requests_per_minute: must be between 1"},
      {"region = \"cn\"\nrequests_per_minute = 10", "region = \"cn\"", "assistant.budgets[1]: sets neither"},
      {"region = \"cn\"", "", "the same scope has a budget already (assistant.budgets[0])"},
      {"provider = \"deepseek\"", "provider = \"deepseek\"\nregion = \"cn\"", "a provider's budget has no region"},
  });
}

TEST(Config, ProcessingPurposesAreDeclaredPerDataClassAndRegion) {
  const std::string processing = R"toml(
[[compliance.processing]]
data_class = "telemetry"
purpose = "safety"
legal_basis = "GDPR Art. 6(1)(f)"
[[compliance.processing]]
data_class = "telemetry"
regions = ["cn"]
purpose = "safety and training in China"
legal_basis = "PIPL Art. 13(1)"
)toml";
  auto c = parse_config(std::string(kValid) + processing, "records.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->processing_purpose("telemetry", "cn")->legal_basis, "PIPL Art. 13(1)") << "the region's own entry first";
  EXPECT_EQ(c->processing_purpose("telemetry", "eu")->purpose, "safety");
  EXPECT_EQ(c->processing_purpose("audit", "eu"), nullptr);

  expect_refused(processing, {
      {"data_class = \"telemetry\"\nregions", "data_class = \"gps\"\nregions", "compliance.processing[1].data_class: unknown data class 'gps'"},
      {"regions = [\"cn\"]", "regions = [\"mars\"]", "compliance.processing[1].regions: unknown region 'mars'"},
      {"regions = [\"cn\"]\n", "", "data class 'telemetry' is declared already for these regions (compliance.processing[0])"},
      {"legal_basis = \"GDPR Art. 6(1)(f)\"", "", "compliance.processing[0]: missing required key 'legal_basis'"},
  });
}

TEST(Config, RetentionIsPerDataClassMarketAndRegionAndTheShortestPeriodApplies) {
  const std::string retention = R"toml(
[[compliance.retention]]
data_class = "telemetry"
days = 365
reference = "fleet policy"
[[compliance.retention]]
data_class = "telemetry"
days = 90
markets = ["DE"]
reference = "GDPR Art. 5(1)(e)"
[[compliance.retention]]
data_class = "datasets"
days = 180
regions = ["cn"]
reference = "PIPL Art. 19"
)toml";
  auto c = parse_config(std::string(kValid) + retention, "retention.toml");
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->retention_for("telemetry", "eu", "DE")->first, 90u) << "the shortest of the rules covering it";
  EXPECT_EQ(c->retention_for("telemetry", "eu", "DE")->second->reference, "GDPR Art. 5(1)(e)");
  EXPECT_EQ(c->retention_for("telemetry", "cn", "CN")->first, 365u);
  EXPECT_EQ(c->retention_for("datasets", "cn", "")->first, 180u);
  EXPECT_EQ(c->retention_for("datasets", "eu", ""), std::nullopt);
  EXPECT_EQ(c->retention_for("assistant_usage", "eu", "DE"), std::nullopt);

  expect_refused(retention, {
      {"data_class = \"datasets\"", "data_class = \"audit\"", "compliance.retention[2].data_class: unknown data class 'audit'"},
      {"days = 90", "days = 0", "compliance.retention[1].days"},
      {"markets = [\"DE\"]", "markets = [\"FR\"]", "compliance.retention[1].markets: unknown market 'FR'"},
      {"regions = [\"cn\"]", "regions = [\"cn\"]\nmarkets = [\"CN\"]", "only telemetry and assistant_usage belong to a vehicle's market"},
      {"regions = [\"cn\"]", "regions = [\"mars\"]", "compliance.retention[2].regions: unknown region 'mars'"},
      {"reference = \"fleet policy\"", "", "compliance.retention[0]: missing required key 'reference'"},
  });
}

TEST(Config, MissingFileIsNotFound) {
  auto c = load_config("/nonexistent/fleetgate.toml");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace fleetgate::config

namespace fleetgate::config {
namespace {

// config_fuzz found that toml11 3.7 overflows a heap buffer reporting invalid UTF-8 in a literal
// string; such input must be refused before it reaches the parser.
TEST(Config, InvalidUtf8IsRefusedWithItsLine) {
  std::ifstream in(FLEETGATE_SOURCE_DIR "/tests/fuzz-seeds/config_fuzz/toml11-invalid-utf8-literal-string", std::ios::binary);
  std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_FALSE(text.empty());
  auto c = parse_config(text, "bad.toml");
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().message(), "bad.toml:7: syntax error: invalid UTF-8 (TOML files are UTF-8)");
  for (std::string bad : {std::string("a = \"\xC0\xAF\"\n"), std::string("a = 1\nb = '\xED\xA0\x80'\n"),
                          std::string("a = \"\xF4\x90\x80\x80\"\n"), std::string("x = \"\xE2\x82\"")}) {
    EXPECT_NE(parse_config(bad, "b.toml").status().message().find("invalid UTF-8"), std::string::npos) << bad;
  }
  EXPECT_EQ(parse_config("# \xE4\xB8\xAD\xE5\x9B\xBD \xF0\x9F\x9A\x97\n", "ok.toml").status().message().find("UTF-8"),
            std::string::npos);
}

}  // namespace
}  // namespace fleetgate::config
