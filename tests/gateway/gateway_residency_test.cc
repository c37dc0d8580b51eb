// Residency property, through the whole gateway: 3,000 requests (a quarter streamed) from random
// vehicles of the CN, US and DE markets while the two upstream mocks of every region fail at
// random (HTTP 503, 429, connection resets, refused connections, streams cut after one chunk).
// Whatever the outages, no mock ever receives a request from a vehicle homed outside its
// region (each request carries its home region in an unknown field, which passes through to the
// mock's records), and every request ends with a 200 answer or a well-formed OpenAI error.
// The seed is fixed, so a failure reproduces.
#include <gtest/gtest.h>

#include <array>
#include <iostream>
#include <map>
#include <random>
#include <set>

#include <boost/json.hpp>

#include "gateway/gateway_fleet.h"

namespace fleetgate::gwtest {
namespace {

namespace json = boost::json;

constexpr int kRequests = 3000;
constexpr int kVehiclesPerMarket = 10;
constexpr double kHealthy = 0.85;  // chance that a mock works for the next request
const std::map<std::string, std::string> kMarkets = {{"CN", "cn"}, {"US", "us"}, {"DE", "eu"}};

FleetSpec two_upstreams_per_region() {
  FleetSpec spec;
  for (const auto& [market, region] : kMarkets) {
    spec.upstreams.push_back({region + "-1", region});
    spec.upstreams.push_back({region + "-2", region});
    spec.chains[region] = {region + "-1", region + "-2", "onboard"};
  }
  return spec;
}

enum class Outage { kNone, kServerError, kRateLimited, kReset, kRefusing, kBreaksStreams };
constexpr std::array kOutages = {Outage::kServerError, Outage::kRateLimited, Outage::kReset, Outage::kRefusing,
                                 Outage::kBreaksStreams};

Status apply(mock::MockUpstream& m, Outage o) {
  mock::Scenario s;
  if (o == Outage::kServerError) s.status = 503;
  if (o == Outage::kRateLimited) s.status = 429;
  if (o == Outage::kReset) s.reset = true;
  if (o == Outage::kBreaksStreams) s.break_after = 1;
  m.set_scenario(s);
  return m.set_accepting(o != Outage::kRefusing);
}

struct Tally {
  std::map<std::string, int> answered_by;  // provider -> requests it answered
  int errors = 0;                          // non-200 answers
  int broken_streams = 0;                  // streams that ended with an error event
};

// Checks one answer to a vehicle homed in `region`; records it in `tally`.
void check_answer(const std::string& region, unsigned status, const std::string& provider,
                  const std::string& body, Tally& tally) {
  if (status != 200) {
    EXPECT_GE(status, 400u);
    EXPECT_LT(status, 600u);
    EXPECT_TRUE(is_openai_error(body));
    ++tally.errors;
    return;
  }
  const std::set<std::string> permitted = {region + "-1", region + "-2", "onboard"};
  EXPECT_TRUE(permitted.contains(provider)) << "region " << region << " answered by '" << provider << "'";
  ++tally.answered_by[provider];
}

TEST(GatewayResidencyTest, NoRequestEverLeavesItsHomeRegionWhateverFails) {
  auto started = GatewayFleet::start(two_upstreams_per_region());
  ASSERT_TRUE(started.is_ok()) << started.status().to_string();
  GatewayFleet& fleet = **started;
  std::vector<TestVehicle> vehicles;
  for (const auto& [market, region] : kMarkets) {
    for (int i = 0; i < kVehiclesPerMarket; ++i) {
      auto v = fleet.add_vehicle(market);
      ASSERT_TRUE(v.is_ok()) << v.status().to_string();
      ASSERT_EQ(v->region, region);
      vehicles.push_back(*v);
    }
  }
  auto client = fleet.client();
  std::mt19937_64 rng(20250601);
  std::bernoulli_distribution healthy(kHealthy), streamed(0.25);
  std::uniform_int_distribution<size_t> pick_vehicle(0, vehicles.size() - 1), pick_outage(0, kOutages.size() - 1);
  std::map<std::string, Outage> outage;
  for (const auto& [id, m] : fleet.mocks()) outage[id] = Outage::kNone;

  Tally tally;
  for (int n = 0; n < kRequests; ++n) {
    for (const auto& [id, m] : fleet.mocks()) {
      const Outage next = healthy(rng) ? Outage::kNone : kOutages[pick_outage(rng)];
      if (next == outage[id]) continue;
      ASSERT_TRUE(apply(*m, next).is_ok());
      outage[id] = next;
    }
    const TestVehicle& v = vehicles[pick_vehicle(rng)];
    const std::string body = chat_body("hello", streamed(rng), {{"x_test_home_region", v.region}, {"x_test_request", n}});
    SCOPED_TRACE("request " + std::to_string(n) + " from " + v.market);
    if (parse_object(body)["stream"].as_bool()) {
      http::testing::HeaderList headers = bearer(v.token);
      headers.emplace_back("Content-Type", "application/json");
      auto stream = client->stream(http::Verb::post, "/v1/chat/completions", body, headers);
      ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
      StreamRead read = read_all(**stream);
      ASSERT_TRUE(read.ended_cleanly);
      const unsigned status = (*stream)->status();
      check_answer(v.region, status, std::string((*stream)->headers()["x-fleetgate-provider"]),
                   status == 200 ? "" : (*stream)->pending(), tally);
      if (status != 200) continue;
      ASSERT_FALSE(read.events.empty());
      for (size_t i = 0; i + 1 < read.events.size(); ++i) {
        EXPECT_TRUE(read.events[i].event.empty());
        EXPECT_FALSE(parse_object(read.events[i].data).empty()) << read.events[i].data;
      }
      if (read.events.back().event == "error") {
        EXPECT_TRUE(is_openai_error(read.events.back().data));
        ++tally.broken_streams;
      } else {
        EXPECT_EQ(read.events.back().data, "[DONE]");
      }
    } else {
      auto r = client->post("/v1/chat/completions", body, bearer(v.token));
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
      const std::string provider(r->header("x-fleetgate-provider"));
      check_answer(v.region, r->status, provider, r->body, tally);
      if (r->status == 200 && provider != "onboard") {
        EXPECT_EQ(parse_object(r->body)["mock_location"], json::value(v.region)) << r->body;
      }
    }
    if (HasFailure()) break;  // one clear failure, not thousands
  }

  // The mocks' own evidence: every request they saw came from a vehicle of their region.
  size_t upstream_requests = 0;
  for (const auto& [id, m] : fleet.mocks()) {
    const auto requests = m->requests();
    EXPECT_GT(requests.size(), 0u) << id << " was never asked: the test exercised nothing";
    upstream_requests += requests.size();
    for (const auto& r : requests) {
      json::object sent = parse_object(r.body);
      ASSERT_TRUE(sent["x_test_home_region"].is_string()) << id << " got " << r.body;
      EXPECT_EQ(sent["x_test_home_region"].as_string(), m->location())
          << "request " << sent["x_test_request"] << " of a vehicle homed in " << sent["x_test_home_region"]
          << " reached " << id << " in " << m->location();
    }
  }
  // The onboard engine ends every chain, so outages cost an answer from it, never an error.
  EXPECT_EQ(tally.errors, 0);
  EXPECT_GT(tally.answered_by["onboard"], 0);
  EXPECT_GT(tally.broken_streams, 0);
  int answered = tally.errors;
  for (const auto& [provider, n] : tally.answered_by) answered += n;
  EXPECT_EQ(answered, kRequests);
  std::cout << "residency property: " << kRequests << " requests, " << upstream_requests << " upstream calls, "
            << tally.answered_by["onboard"] << " answered on board, " << tally.broken_streams << " broken streams\n";
}

// The origin rule through the gateway: the us chain prefers a provider hosted in the US but
// developed in CN. A US car of model year 2024 is answered by it; one of 2027 never reaches it,
// not when the next provider answers, not when that one is down too (the on-board engine
// answers), streamed or not, and its model list and registry record do not offer it.
TEST(GatewayResidencyTest, AUsCarOfModelYear2027NeverReachesAProviderOfAProhibitedOrigin) {
  FleetSpec spec;
  spec.upstreams = {{"hosted-cn", "us", {"cn-model"}, "CN"}, {"xai-us", "us", {"grok-4"}, "US"}};
  spec.chains = {{"us", {"hosted-cn", "xai-us", "onboard"}}, {"cn", {"onboard"}}, {"eu", {"onboard"}}};
  spec.extra_toml =
      "[[compliance.prohibited_origins]]\nmarkets = [\"US\"]\norigins = [\"CN\", \"RU\"]\n"
      "from_model_year = 2027\nreference = \"15 CFR 791 subpart D\"\n";
  auto started = GatewayFleet::start(spec);
  ASSERT_TRUE(started.is_ok()) << started.status().to_string();
  GatewayFleet& fleet = **started;
  auto older = fleet.add_vehicle("US", 'R');
  auto covered = fleet.add_vehicle("US", 'V');
  ASSERT_TRUE(older.is_ok() && covered.is_ok());
  auto client = fleet.client();

  auto ask = [&](const TestVehicle& v, bool stream) -> std::string {
    const std::string body = chat_body("hello", stream);
    if (!stream) {
      auto r = client->post("/v1/chat/completions", body, bearer(v.token));
      EXPECT_TRUE(r.is_ok() && r->status == 200) << (r.is_ok() ? r->body : r.status().to_string());
      return r.is_ok() ? std::string(r->header("x-fleetgate-provider")) : "";
    }
    http::testing::HeaderList headers = bearer(v.token);
    headers.emplace_back("Content-Type", "application/json");
    auto s = client->stream(http::Verb::post, "/v1/chat/completions", body, headers);
    EXPECT_TRUE(s.is_ok() && (*s)->status() == 200);
    if (!s.is_ok()) return "";
    StreamRead read = read_all(**s);
    EXPECT_TRUE(read.ended_cleanly);
    return std::string((*s)->headers()["x-fleetgate-provider"]);
  };
  EXPECT_EQ(ask(*older, false), "hosted-cn") << "the rule covers model year 2027 on only";
  const size_t before = fleet.mock("hosted-cn").request_count();
  for (bool stream : {false, true}) {
    EXPECT_EQ(ask(*covered, stream), "xai-us");
    fleet.mock("xai-us").set_scenario(*mock::parse_scenario("status=503"));
    EXPECT_EQ(ask(*covered, stream), "onboard") << "failover skips the prohibited provider too";
    fleet.mock("xai-us").set_scenario(*mock::parse_scenario("ok"));
  }
  EXPECT_EQ(fleet.mock("hosted-cn").request_count(), before) << "the model year 2027 car reached a CN-developed provider";

  auto models = client->get("/v1/models", bearer(covered->token));
  ASSERT_TRUE(models.is_ok() && models->status == 200);
  EXPECT_EQ(models->body.find("cn-model"), std::string::npos) << models->body;
  EXPECT_NE(models->body.find("grok-4"), std::string::npos) << models->body;
  auto record = fleet.control_plane().registry->show(covered->vin);
  ASSERT_TRUE(record.is_ok());
  EXPECT_EQ(record->model_year, 2027);
  EXPECT_EQ(record->providers, (std::vector<std::string>{"xai-us", "onboard"}));
}

}  // namespace
}  // namespace fleetgate::gwtest
