// AI labels through the whole gateway ([[compliance.ai_labels]]): a CN car's every answer opens
// with the notice, a DE car's first turn only; both carry the machine-readable label (the
// completion's or first chunk's `fleetgate_ai_label`, the x-fleetgate-ai-label header) naming the
// provider that answered and the usage record of the answer; a US car, whose market has no rule,
// gets the provider's answer byte for byte. Streamed and not, from a mock upstream and from the
// on-board engine.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "gateway/gateway_fleet.h"

namespace fleetgate::gwtest {
namespace {

namespace json = boost::json;

constexpr std::string_view kLabelRules = R"(
[[compliance.ai_labels]]
markets = ["CN"]
reference = "CAC Measures for Labelling AI-Generated Synthetic Content (2025) Art. 4, 5"
when = "every_answer"
notice = { en = "[AI-generated]", zh = "【AI生成】", de = "[KI-generiert]" }

[[compliance.ai_labels]]
markets = ["DE"]
reference = "EU AI Act Art. 50"
when = "first_turn"
notice = { en = "You are talking to an AI assistant.", zh = "您正在与人工智能助手对话。", de = "Sie sprechen mit einem KI-Assistenten." }
)";

constexpr std::string_view kAnswer = "the cabin is at twenty one degrees";
// What the mock answers with kAnswer, plain or streamed: each word followed by a space.
const std::string kSaid = std::string(kAnswer) + " ";

class GatewayLabelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FleetSpec spec = standard_fleet();
    spec.extra_toml = std::string(kLabelRules);
    auto fleet = GatewayFleet::start(spec);
    ASSERT_TRUE(fleet.is_ok()) << fleet.status().to_string();
    fleet_ = std::move(fleet).value();
    client_ = fleet_->client();
    for (const auto& [id, mock] : fleet_->mocks()) {
      auto s = mock::parse_scenario("content=" + std::string(kAnswer));
      ASSERT_TRUE(s.is_ok());
      mock->set_scenario(*s);
    }
  }

  TestVehicle vehicle(std::string_view market) {
    auto v = fleet_->add_vehicle(market);
    EXPECT_TRUE(v.is_ok()) << v.status().to_string();
    return v.is_ok() ? *v : TestVehicle{};
  }

  // The answer's text, its label field, its x-fleetgate-ai-label header and its raw body.
  struct Answer {
    std::string text;
    json::object label;
    std::string header;
    std::string body;
  };

  Answer ask(const TestVehicle& v, const json::array& messages) {
    const std::string body = chat_body("", false, {{"messages", messages}});
    auto r = client_->post("/v1/chat/completions", body, bearer(v.token));
    EXPECT_TRUE(r.is_ok() && r->status == 200) << (r.is_ok() ? r->body : r.status().to_string());
    if (!r.is_ok()) return {};
    json::object o = parse_object(r->body);
    Answer a{"", {}, std::string(r->header("x-fleetgate-ai-label")), r->body};
    const json::value& content = o["choices"].as_array().at(0).as_object().at("message").as_object().at("content");
    if (content.is_string()) a.text = content.as_string();
    if (auto* l = o.if_contains("fleetgate_ai_label"); l && l->is_object()) a.label = l->as_object();
    return a;
  }

  Answer ask_streamed(const TestVehicle& v, const json::array& messages) {
    const std::string body = chat_body("", true, {{"messages", messages}});
    http::testing::HeaderList headers = bearer(v.token);
    headers.emplace_back("Content-Type", "application/json");
    auto s = client_->stream(http::Verb::post, "/v1/chat/completions", body, headers);
    EXPECT_TRUE(s.is_ok() && (*s)->status() == 200);
    if (!s.is_ok()) return {};
    Answer a{"", {}, std::string((*s)->headers()["x-fleetgate-ai-label"]), ""};
    StreamRead read = read_all(**s);
    EXPECT_TRUE(read.ended_cleanly);
    for (size_t i = 0; i < read.events.size(); ++i) {
      if (read.events[i].data == "[DONE]") continue;
      json::object chunk = parse_object(read.events[i].data);
      if (auto* l = chunk.if_contains("fleetgate_ai_label")) {
        EXPECT_EQ(i, 0u) << "the label rides on the stream's first chunk only";
        a.label = l->as_object();
      }
      const json::value* choices = chunk.if_contains("choices");
      if (choices == nullptr || !choices->is_array()) continue;
      for (const auto& c : choices->as_array()) {
        const json::value* delta = c.as_object().if_contains("delta");
        const json::value* content = delta && delta->is_object() ? delta->as_object().if_contains("content") : nullptr;
        if (content && content->is_string()) a.text += content->as_string();
      }
    }
    return a;
  }

  static json::array first_turn(std::string_view text) {
    return json::array{json::object{{"role", "user"}, {"content", text}}};
  }
  static json::array second_turn(std::string_view text) {
    return json::array{json::object{{"role", "user"}, {"content", text}},
                       json::object{{"role", "assistant"}, {"content", "earlier answer"}},
                       json::object{{"role", "user"}, {"content", text}}};
  }

  // The request id of the usage records of `region`, in time order, once there are `n`.
  std::vector<std::string> request_ids(std::string_view region, size_t n) {
    std::vector<std::string> ids;
    for (int tries = 0; tries < 500 && ids.size() < n; ++tries) {
      auto records = fleet_->usage(region);
      EXPECT_TRUE(records.is_ok());
      if (!records.is_ok()) break;
      ids.clear();
      for (const auto& r : *records) ids.push_back(r.request_id);
      if (ids.size() < n) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return ids;
  }

  std::unique_ptr<GatewayFleet> fleet_;
  std::unique_ptr<http::testing::TestClient> client_;
};

void expect_label(const json::object& label, std::string_view provider, std::string_view developer,
                  std::string_view reference) {
  EXPECT_EQ(label.at("ai_generated"), json::value(true));
  EXPECT_EQ(label.at("provider").as_string(), provider);
  EXPECT_EQ(label.at("developer_jurisdiction").as_string(), developer);
  EXPECT_EQ(label.at("reference").as_string(), reference);
  EXPECT_FALSE(label.at("model").as_string().empty());
}

TEST_F(GatewayLabelsTest, EveryAnswerToACnCarOpensWithTheNoticeAndCarriesTheLabel) {
  const TestVehicle car = vehicle("CN");
  const std::string reference = "CAC Measures for Labelling AI-Generated Synthetic Content (2025) Art. 4, 5";
  const std::string expected = "[AI-generated]\n\n" + kSaid;
  Answer plain = ask(car, first_turn("how warm is it"));
  EXPECT_EQ(plain.text, expected);
  expect_label(plain.label, "deepseek", "US", reference);
  Answer streamed = ask_streamed(car, first_turn("how warm is it"));
  EXPECT_EQ(streamed.text, expected);
  expect_label(streamed.label, "deepseek", "US", reference);
  Answer later = ask(car, second_turn("车里多少度"));
  EXPECT_EQ(later.text, "【AI生成】\n\n" + kSaid) << "every answer, in the user's language";

  // Content id and header name the answer's usage record.
  const std::vector<std::string> ids = request_ids("cn", 3);
  ASSERT_EQ(ids.size(), 3u);
  std::set<std::string> labelled;
  for (const Answer* a : {&plain, &streamed, &later}) {
    const std::string id(a->label.at("content_id").as_string());
    labelled.insert(id);
    EXPECT_EQ(a->header, "ai-generated; provider=deepseek; content-id=" + id);
  }
  EXPECT_EQ(labelled, std::set<std::string>(ids.begin(), ids.end()));
}

TEST_F(GatewayLabelsTest, ADeCarIsToldOnTheFirstTurnAndEveryAnswerIsMarked) {
  const TestVehicle car = vehicle("DE");
  const std::string expected = "Sie sprechen mit einem KI-Assistenten.\n\n" + kSaid;
  for (bool streamed : {false, true}) {
    SCOPED_TRACE(streamed ? "streamed" : "plain");
    Answer first = streamed ? ask_streamed(car, first_turn("Wie warm ist es bitte?")) : ask(car, first_turn("Wie warm ist es bitte?"));
    EXPECT_EQ(first.text, expected);
    expect_label(first.label, "xai-eu", "US", "EU AI Act Art. 50");
    Answer later = streamed ? ask_streamed(car, second_turn("Und jetzt?")) : ask(car, second_turn("Und jetzt?"));
    EXPECT_EQ(later.text, kSaid) << "no notice after the first turn";
    expect_label(later.label, "xai-eu", "US", "EU AI Act Art. 50");
    EXPECT_TRUE(later.header.starts_with("ai-generated; provider=xai-eu; content-id=")) << later.header;
  }
}

TEST_F(GatewayLabelsTest, TheOnboardEngineIsLabelledAsTheProviderThatAnswered) {
  const TestVehicle car = vehicle("CN");
  fleet_->mock("deepseek").set_scenario(*mock::parse_scenario("status=503"));
  Answer a = ask(car, first_turn("how warm is it"));
  EXPECT_TRUE(a.text.starts_with("[AI-generated]\n\n")) << a.text;
  EXPECT_GT(a.text.size(), std::string_view("[AI-generated]\n\n").size()) << "the engine's own answer follows";
  expect_label(a.label, "onboard", "DE", "CAC Measures for Labelling AI-Generated Synthetic Content (2025) Art. 4, 5");
  Answer s = ask_streamed(car, first_turn("how warm is it"));
  EXPECT_TRUE(s.text.starts_with("[AI-generated]\n\n")) << s.text;
  EXPECT_EQ(s.label.at("provider").as_string(), "onboard");
}

TEST_F(GatewayLabelsTest, ACarOfAMarketWithoutARuleGetsTheProvidersAnswerByteForByte) {
  const TestVehicle car = vehicle("US");
  Answer a = ask(car, first_turn("how warm is it"));
  EXPECT_EQ(a.text, kSaid);
  EXPECT_TRUE(a.label.empty());
  EXPECT_EQ(a.header, "");
  EXPECT_EQ(a.body.find("fleetgate_ai_label"), std::string::npos);
  Answer s = ask_streamed(car, first_turn("how warm is it"));
  EXPECT_TRUE(s.label.empty());
  EXPECT_EQ(s.header, "");
}

TEST_F(GatewayLabelsTest, TheRulesInForceAreRecordedInTheAuditChainOnce) {
  auto recorded = [&] {
    std::vector<json::object> rules;
    auto tail = fleet_->control_plane().audit->tail(1000);
    EXPECT_TRUE(tail.is_ok());
    if (!tail.is_ok()) return rules;
    for (const auto& e : *tail) {
      if (e.action == "compliance.ai_labels.in_force") rules.push_back(e.details);
    }
    return rules;
  };
  std::vector<json::object> entries = recorded();
  ASSERT_EQ(entries.size(), 1u);
  const json::array& rules = entries[0].at("rules").as_array();
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0].as_object().at("when"), json::value("every_answer"));
  EXPECT_EQ(rules[1].as_object().at("markets"), (json::array{"DE"}));
  EXPECT_EQ(rules[1].as_object().at("notice").as_object().at("de"), json::value("Sie sprechen mit einem KI-Assistenten."));
  ASSERT_TRUE(fleet_->restart().is_ok());
  EXPECT_EQ(recorded().size(), 1u) << "the same rules again are not recorded again";
}

}  // namespace
}  // namespace fleetgate::gwtest
