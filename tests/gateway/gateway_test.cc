// The assistant gateway end to end: real HTTP server (app::Service), real vehicle tokens and
// registry, MockUpstreams as the providers of each region, the on-board engine as the last resort.
// Each test reads like a promise the gateway makes to a carmaker.
#include <gtest/gtest.h>

#include <charconv>
#include <chrono>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "fleetgate/app/vehicle_states.h"
#include "fleetgate/ledger/period.h"
#include "fleetgate/store/stalling_store.h"
#include "gateway/gateway_fleet.h"

namespace fleetgate::gwtest {
namespace {

namespace json = boost::json;
using http::testing::ClientResponse;
using http::testing::SseEvent;
using http::testing::TestClient;
using std::chrono::milliseconds;

constexpr milliseconds kWait{5000};

class GatewayTest : public ::testing::Test {
 protected:
  void start(const FleetSpec& spec = standard_fleet()) {
    auto fleet = GatewayFleet::start(spec);
    ASSERT_TRUE(fleet.is_ok()) << fleet.status().to_string();
    fleet_ = std::move(fleet).value();
    client_ = fleet_->client();
  }

  TestVehicle vehicle(std::string_view market) {
    auto v = fleet_->add_vehicle(market);
    EXPECT_TRUE(v.is_ok()) << v.status().to_string();
    return v.is_ok() ? *v : TestVehicle{};
  }

  ClientResponse chat(const TestVehicle& v, const std::string& body) {
    auto r = client_->post("/v1/chat/completions", body, bearer(v.token));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : ClientResponse{};
  }

  std::unique_ptr<http::testing::SseStream> chat_stream(const TestVehicle& v, const std::string& body) {
    http::testing::HeaderList headers = bearer(v.token);
    headers.emplace_back("Content-Type", "application/json");
    auto s = client_->stream(http::Verb::post, "/v1/chat/completions", body, headers);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? std::move(s).value() : nullptr;
  }

  ClientResponse report_state(const TestVehicle& v, const std::string& state) {
    auto r = client_->post("/v1/vehicles/" + v.vin + "/state", state, bearer(v.token));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : ClientResponse{};
  }

  std::vector<ledger::UsageRecord> usage(std::string_view region) {
    auto u = fleet_->usage(region);
    EXPECT_TRUE(u.is_ok()) << u.status().to_string();
    return u.is_ok() ? *u : std::vector<ledger::UsageRecord>{};
  }

  // The reasons of the tool-call refusals among the audit chain's last `n` entries.
  std::multiset<std::string> refusal_reasons(size_t n) {
    std::multiset<std::string> reasons;
    auto tail = fleet_->control_plane().audit->tail(n);
    EXPECT_TRUE(tail.is_ok()) << tail.status().to_string();
    if (!tail.is_ok()) return reasons;
    for (const auto& e : *tail) {
      if (e.action == "assistant.tool_call.refused") reasons.insert(std::string(e.details.at("reason").as_string()));
    }
    return reasons;
  }

  // The usage records of `region` once there are `n` (the gateway meters off the request path,
  // and after the vehicle went away), or what there is after kWait.
  std::vector<ledger::UsageRecord> wait_for_usage(std::string_view region, size_t n) {
    std::vector<ledger::UsageRecord> records = usage(region);
    for (auto deadline = std::chrono::steady_clock::now() + kWait;
         records.size() < n && std::chrono::steady_clock::now() < deadline;) {
      std::this_thread::sleep_for(milliseconds(10));
      records = usage(region);
    }
    return records;
  }

  // Every node's /metrics, one after another (samples() adds them up, as a dashboard sums a
  // counter over the nodes).
  std::string metrics() {
    std::string text;
    for (uint16_t port : fleet_->ports()) {
      auto r = TestClient("127.0.0.1", port).get("/metrics");
      EXPECT_TRUE(r.is_ok() && r->status == 200);
      if (r.is_ok()) text += r->body;
    }
    return text;
  }

  std::unique_ptr<GatewayFleet> fleet_;
  std::unique_ptr<TestClient> client_;
};

// A mock behaviour in parse_scenario's "key=value;..." form.
mock::Scenario scenario(std::string_view spec) {
  auto s = mock::parse_scenario(spec);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return s.is_ok() ? *s : mock::Scenario{};
}

// The concatenated delta.content of every chunk of a stream.
std::string streamed_content(const std::vector<SseEvent>& events) {
  std::string text;
  for (const SseEvent& e : events) {
    json::object chunk = parse_object(e.data);
    const json::value* choices = chunk.if_contains("choices");
    if (choices == nullptr || !choices->is_array()) continue;
    for (const auto& c : choices->as_array()) {
      const json::value* delta = c.as_object().if_contains("delta");
      const json::value* content = delta && delta->is_object() ? delta->as_object().if_contains("content") : nullptr;
      if (content && content->is_string()) text += content->as_string();
    }
  }
  return text;
}

// Values of one metric family's samples, keyed by the label text between the braces; samples
// with the same labels (from several nodes) are added up.
std::map<std::string, double> samples(const std::string& metrics_text, const std::string& family) {
  std::map<std::string, double> out;
  std::istringstream lines(metrics_text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(family + "{")) continue;
    const size_t close = line.find("} ");
    if (close == std::string::npos) continue;
    out[line.substr(family.size() + 1, close - family.size() - 1)] += std::stod(line.substr(close + 2));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// 1. Routing by home region.

TEST_F(GatewayTest, EachVehicleIsAnsweredByItsHomeRegionsProviderOnly) {
  ASSERT_NO_FATAL_FAILURE(start());
  const struct {
    std::string market, region, provider, model;
  } cases[] = {{"CN", "cn", "deepseek", "deepseek-chat"}, {"DE", "eu", "xai-eu", "grok-4-eu"}, {"US", "us", "xai-us", "grok-4"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.market);
    for (const auto& [id, m] : fleet_->mocks()) m->clear_records();
    TestVehicle v = vehicle(c.market);
    ASSERT_EQ(v.region, c.region);
    ClientResponse r = chat(v, chat_body("hello there", false));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.header("x-fleetgate-provider"), c.provider);
    EXPECT_EQ(r.header("x-fleetgate-region"), c.region);
    json::object body = parse_object(r.body);
    EXPECT_EQ(body["mock_identity"], json::value(c.provider));
    EXPECT_EQ(body["mock_location"], json::value(c.region));

    // The mocks' own records: exactly one request, at the home region's provider, with that
    // provider's key (never the vehicle's token) and one of its models.
    const auto requests = fleet_->mock(c.provider).requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].headers.at("authorization"), "Bearer key-" + c.provider);
    EXPECT_EQ(requests[0].body.find(v.token), std::string::npos);
    EXPECT_EQ(parse_object(requests[0].body)["model"], json::value(c.model));
    EXPECT_EQ(fleet_->requests_to_others(c.provider), 0u);
  }
}

// ---------------------------------------------------------------------------------------------
// 2. Failover stays inside the region.

TEST_F(GatewayTest, FailingRegionalProviderFailsOverToOnboardNeverAbroad) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  fleet_->mock("deepseek").set_scenario(scenario("status=503"));

  ClientResponse r = chat(v, chat_body("hello", false));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.header("x-fleetgate-provider"), "onboard");
  EXPECT_EQ(r.header("x-fleetgate-region"), "cn");
  json::object body = parse_object(r.body);
  EXPECT_EQ(body["model"], json::value("fleetgate-onboard"));
  EXPECT_FALSE(body.contains("mock_identity"));
  EXPECT_EQ(fleet_->mock("deepseek").request_count(), 1u);

  // An unreachable provider fails over the same way, streamed too.
  ASSERT_TRUE(fleet_->mock("deepseek").set_accepting(false).is_ok());
  auto stream = chat_stream(v, chat_body("hello", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  EXPECT_EQ(stream->headers()["x-fleetgate-provider"], "onboard");
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly);
  ASSERT_FALSE(read.events.empty());
  EXPECT_EQ(read.events.back().data, "[DONE]");
  EXPECT_FALSE(streamed_content(read.events).empty());

  EXPECT_EQ(fleet_->mock("xai-us").request_count(), 0u);
  EXPECT_EQ(fleet_->mock("xai-eu").request_count(), 0u);

  // Each failover is counted by region and failing provider, and every provider call by outcome.
  const std::string text = metrics();
  EXPECT_EQ(samples(text, "fleetgate_assistant_failovers_total")[R"(region="cn",provider="deepseek")"], 2);
  auto attempts = samples(text, "fleetgate_assistant_attempts_total");
  EXPECT_EQ(attempts[R"(region="cn",provider="deepseek",outcome="server_error")"], 1);
  EXPECT_GE(attempts[R"(region="cn",provider="deepseek",outcome="connect_error")"], 1);
  EXPECT_EQ(attempts[R"(region="cn",provider="onboard",outcome="ok")"], 2);
}

// One id per request, end to end: the x-request-id a car is answered with is its usage record's
// id (and the id the server's log lines about it carry), plain and streamed.
TEST_F(GatewayTest, TheAnswersRequestIdIsItsUsageRecordsId) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  ClientResponse plain = chat(v, chat_body("hello", false));
  ASSERT_EQ(plain.status, 200u) << plain.body;
  auto stream = chat_stream(v, chat_body("hello", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  EXPECT_TRUE(read_all(*stream).ended_cleanly);
  const std::set<std::string> answered{std::string(plain.header("x-request-id")), stream->headers()["x-request-id"]};
  ASSERT_EQ(answered.size(), 2u);
  for (const std::string& id : answered) EXPECT_TRUE(id.starts_with("req_")) << id;
  std::set<std::string> metered;
  for (const auto& u : wait_for_usage("cn", 2)) metered.insert(u.request_id);
  EXPECT_EQ(metered, answered);
}

TEST_F(GatewayTest, RegionWithNoWorkingProviderAnswers503InOpenAIShape) {
  FleetSpec spec = standard_fleet();
  spec.chains["cn"] = {"deepseek"};
  ASSERT_NO_FATAL_FAILURE(start(spec));
  TestVehicle v = vehicle("CN");
  fleet_->mock("deepseek").set_scenario(scenario("status=503"));

  ClientResponse r = chat(v, chat_body("hello", false));
  EXPECT_EQ(r.status, 503u);
  EXPECT_TRUE(is_openai_error(r.body));
  EXPECT_EQ(r.header("x-fleetgate-region"), "cn");

  // Streamed: still a plain JSON error, since nothing was relayed yet.
  auto stream = chat_stream(v, chat_body("hello", true));
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(stream->status(), 503u);
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.events.empty());
  EXPECT_TRUE(is_openai_error(stream->pending()));

  EXPECT_EQ(fleet_->mock("deepseek").request_count(), 2u);
  EXPECT_EQ(fleet_->requests_to_others("deepseek"), 0u);
  auto records = wait_for_usage("cn", 2);
  ASSERT_EQ(records.size(), 2u);
  for (const auto& u : records) EXPECT_EQ(u.outcome, "error");
}

// ---------------------------------------------------------------------------------------------
// 4. Streaming.

TEST_F(GatewayTest, StreamRelaysEveryChunkAndEndsWithDone) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  fleet_->mock("xai-us").set_scenario(scenario("content=the cabin is at twenty one degrees"));

  auto stream = chat_stream(v, chat_body("how warm is it", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  EXPECT_EQ(stream->headers()["content-type"], "text/event-stream");
  EXPECT_EQ(stream->headers()["x-fleetgate-provider"], "xai-us");
  EXPECT_EQ(stream->headers()["x-fleetgate-region"], "us");
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly);
  ASSERT_GE(read.events.size(), 3u);
  EXPECT_EQ(read.events.back().data, "[DONE]");
  EXPECT_EQ(streamed_content(read.events), "the cabin is at twenty one degrees ");
  for (size_t i = 0; i + 1 < read.events.size(); ++i) {
    json::object chunk = parse_object(read.events[i].data);
    EXPECT_EQ(chunk["object"], json::value("chat.completion.chunk")) << read.events[i].data;
    EXPECT_FALSE(chunk.contains("usage")) << "usage is relayed only when the vehicle asked for it";
  }
  // Upstream usage is always requested, for metering.
  json::object sent = parse_object(fleet_->mock("xai-us").requests().at(0).body);
  EXPECT_EQ(sent["stream_options"], (json::value{{"include_usage", true}}));

  // Asked for: the final chunk carries it.
  stream = chat_stream(v, chat_body("how warm is it", true, {{"stream_options", {{"include_usage", true}}}}));
  ASSERT_NE(stream, nullptr);
  read = read_all(*stream);
  ASSERT_GE(read.events.size(), 2u);
  json::object last = parse_object(read.events[read.events.size() - 2].data);
  ASSERT_TRUE(last.contains("usage")) << read.events[read.events.size() - 2].data;
  EXPECT_GT(last["usage"].as_object()["completion_tokens"].as_int64(), 0);
}

TEST_F(GatewayTest, StreamBrokenMidwayEndsWithErrorEventAndNoFailover) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  fleet_->mock("xai-us").set_scenario(scenario("break_after=2;content=one two three four five"));

  auto stream = chat_stream(v, chat_body("tell me a story", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly) << "the gateway closes the stream properly after the error event";
  ASSERT_EQ(read.events.size(), 3u);
  EXPECT_EQ(streamed_content(read.events), "one ");
  EXPECT_EQ(read.events.back().event, "error");
  EXPECT_TRUE(is_openai_error(read.events.back().data));
  for (const SseEvent& e : read.events) EXPECT_NE(e.data, "[DONE]");

  // No failover once the vehicle holds part of an answer: neither the onboard engine (usage
  // names xai-us) nor any other mock was asked.
  EXPECT_EQ(fleet_->mock("xai-us").request_count(), 1u);
  EXPECT_EQ(fleet_->requests_to_others("xai-us"), 0u);
  auto records = wait_for_usage("us", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].provider, "xai-us");
  EXPECT_EQ(records[0].outcome, "error");
}

// The integer in a header or comment value, or -1 when it is not one.
int64_t integer(std::string_view text) {
  int64_t n = -1;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && end == text.data() + text.size() ? n : -1;
}

// x-fleetgate-overhead-us is the gateway's own time: the provider's 300 ms, answering or failing
// before the next provider answers, is never in it, plain or streamed. A stream's header counts
// up to the car's first byte; the stream's last line, an SSE comment, gives the whole request's.
// (The bound is what is excluded, not a benchmark: the gateway's own time is far below it.)
TEST_F(GatewayTest, OverheadLeavesOutTheProvidersTimeOnBothPaths) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  constexpr int64_t kProviderUs = 300000;
  const std::pair<const char*, const char*> cases[] = {{"latency_ms=300", "xai-us"},
                                                       {"latency_ms=300;status=503", "onboard"}};
  for (const auto& [spec, provider] : cases) {
    SCOPED_TRACE(spec);
    fleet_->mock("xai-us").set_scenario(scenario(spec));

    ClientResponse plain = chat(v, chat_body("hello", false));
    ASSERT_EQ(plain.status, 200u) << plain.body;
    EXPECT_EQ(plain.header("x-fleetgate-provider"), provider);
    const int64_t plain_us = integer(plain.header("x-fleetgate-overhead-us"));
    EXPECT_GE(plain_us, 0) << plain.header("x-fleetgate-overhead-us");
    EXPECT_LT(plain_us, kProviderUs);

    auto stream = chat_stream(v, chat_body("hello", true));
    ASSERT_NE(stream, nullptr);
    ASSERT_EQ(stream->status(), 200u);
    EXPECT_EQ(stream->headers()["x-fleetgate-provider"], provider);
    const int64_t first_byte_us = integer(stream->headers()["x-fleetgate-overhead-us"]);
    EXPECT_GE(first_byte_us, 0) << stream->headers()["x-fleetgate-overhead-us"];
    EXPECT_LT(first_byte_us, kProviderUs);
    StreamRead read = read_all(*stream);
    EXPECT_TRUE(read.ended_cleanly);
    ASSERT_FALSE(read.events.empty());
    EXPECT_EQ(read.events.back().data, "[DONE]");
    ASSERT_FALSE(stream->comments().empty());
    const std::string_view last = stream->comments().back();
    ASSERT_TRUE(last.starts_with("x-fleetgate-overhead-us: ")) << last;
    const int64_t whole_us = integer(last.substr(std::string_view("x-fleetgate-overhead-us: ").size()));
    EXPECT_GE(whole_us, 0) << last;
    EXPECT_LT(whole_us, kProviderUs);
  }
}

// ---------------------------------------------------------------------------------------------
// 5. Tool calls pass the safety interlocks.

TEST_F(GatewayTest, TrunkOpensOnlyWhenTheVehicleIsKnownToBeParked) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  fleet_->mock("deepseek").set_scenario(
      scenario(R"(tool_call=trunk:{"action":"open"})"));
  const std::string ask = chat_body("open the trunk", false);

  auto expect_refused = [&](const ClientResponse& r) {
    ASSERT_EQ(r.status, 200u) << r.body;
    json::object choice = parse_object(r.body)["choices"].as_array().at(0).as_object();
    json::object& message = choice["message"].as_object();
    EXPECT_FALSE(message.contains("tool_calls")) << r.body;
    ASSERT_TRUE(message["content"].is_string()) << r.body;
    EXPECT_FALSE(message["content"].as_string().empty());
    EXPECT_EQ(choice["finish_reason"], json::value("stop"));
  };

  // Nothing reported yet: unknown state refuses.
  ASSERT_NO_FATAL_FAILURE(expect_refused(chat(v, ask)));

  // Parked: the call reaches the vehicle as the provider sent it.
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P"})").status, 202u);
  ClientResponse allowed = chat(v, ask);
  ASSERT_EQ(allowed.status, 200u);
  json::object choice = parse_object(allowed.body)["choices"].as_array().at(0).as_object();
  ASSERT_TRUE(choice["message"].as_object().contains("tool_calls")) << allowed.body;
  json::object call = choice["message"].as_object()["tool_calls"].as_array().at(0).as_object();
  EXPECT_EQ(call["id"], json::value("call_mock_1"));
  EXPECT_EQ(call["function"].as_object()["name"], json::value("trunk"));
  EXPECT_EQ(call["function"].as_object()["arguments"], json::value(R"({"action":"open"})"));
  EXPECT_EQ(choice["finish_reason"], json::value("tool_calls"));

  // Moving: refused.
  EXPECT_EQ(report_state(v, R"({"speed_kmh":30,"gear":"D"})").status, 202u);
  ASSERT_NO_FATAL_FAILURE(expect_refused(chat(v, ask)));

  // Streamed while moving: the held fragments never reach the vehicle, the refusal does.
  auto stream = chat_stream(v, chat_body("open the trunk", true));
  ASSERT_NE(stream, nullptr);
  StreamRead read = read_all(*stream);
  ASSERT_FALSE(read.events.empty());
  EXPECT_EQ(read.events.back().data, "[DONE]");
  bool finished_with_stop = false;
  for (const SseEvent& e : read.events) {
    EXPECT_EQ(e.data.find("tool_calls\":["), std::string::npos) << e.data;
    finished_with_stop |= e.data.find(R"("finish_reason":"stop")") != std::string::npos;
  }
  EXPECT_TRUE(finished_with_stop);
  EXPECT_FALSE(streamed_content(read.events).empty());

  // Streamed while parked: the reviewed call arrives whole in one chunk.
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P"})").status, 202u);
  stream = chat_stream(v, chat_body("open the trunk", true));
  ASSERT_NE(stream, nullptr);
  read = read_all(*stream);
  bool delivered = false;
  for (const SseEvent& e : read.events) {
    json::object chunk = parse_object(e.data);
    if (!chunk.contains("choices")) continue;
    json::object& c = chunk["choices"].as_array().at(0).as_object();
    const json::value* calls = c["delta"].as_object().if_contains("tool_calls");
    if (calls == nullptr) continue;
    const json::object& fn = calls->as_array().at(0).as_object().at("function").as_object();
    EXPECT_EQ(fn.at("name"), json::value("trunk"));
    EXPECT_EQ(fn.at("arguments"), json::value(R"({"action":"open"})"));
    EXPECT_EQ(c["finish_reason"], json::value("tool_calls"));
    delivered = true;
  }
  EXPECT_TRUE(delivered);

  // Three refusals: in the audit chain, the metrics and the usage log.
  auto tail = fleet_->control_plane().audit->tail(50);
  ASSERT_TRUE(tail.is_ok()) << tail.status().to_string();
  std::multiset<std::string> reasons;
  for (const auto& e : *tail) {
    if (e.action != "assistant.tool_call.refused") continue;
    EXPECT_EQ(e.subject, v.vin);
    EXPECT_EQ(e.details.at("tool"), json::value("trunk"));
    EXPECT_EQ(e.details.at("provider"), json::value("deepseek"));
    reasons.insert(std::string(e.details.at("reason").as_string()));
  }
  EXPECT_EQ(reasons, (std::multiset<std::string>{"vehicle_state_unknown", "vehicle_not_parked", "vehicle_not_parked"}));

  auto refused = samples(metrics(), "fleetgate_assistant_tool_calls_refused_total");
  EXPECT_EQ(refused[R"(region="cn",reason="vehicle_state_unknown")"], 1);
  EXPECT_EQ(refused[R"(region="cn",reason="vehicle_not_parked")"], 2);

  auto records = wait_for_usage("cn", 5);
  ASSERT_EQ(records.size(), 5u);
  int refused_records = 0;
  std::set<std::string> request_ids;
  for (const auto& u : records) {
    EXPECT_TRUE(u.request_id.starts_with("req_")) << u.request_id;
    EXPECT_TRUE(request_ids.insert(u.request_id).second) << u.request_id << " metered twice";
    EXPECT_EQ(u.tool_calls, 1);
    if (u.outcome == "refused") {
      ++refused_records;
      EXPECT_EQ(u.refused_tool_calls, 1);
    } else {
      EXPECT_EQ(u.outcome, "ok");
    }
  }
  EXPECT_EQ(refused_records, 3);
}

// Some providers finish a streamed choice in a chunk without a "delta": its held tool calls are
// released in that chunk, reviewed, before the car reads the finish reason; the car never sees
// "tool_calls" announced before the calls, nor two finishes.
TEST_F(GatewayTest, AStreamedChoiceFinishedWithoutADeltaReleasesItsToolCallsThere) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P","occupancy":{"driver":true}})").status, 202u);
  fleet_->mock("deepseek").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"};finish_without_delta)"));
  auto stream = chat_stream(v, chat_body("open the trunk", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly);
  int finishes = 0;
  bool calls_seen = false;
  for (const SseEvent& e : read.events) {
    if (e.data == "[DONE]") continue;
    json::object chunk = parse_object(e.data);
    const json::value* choices = chunk.if_contains("choices");
    if (choices == nullptr || !choices->is_array()) continue;
    for (const json::value& c : choices->as_array()) {
      const json::object& choice = c.as_object();
      const json::value* delta = choice.if_contains("delta");
      if (delta != nullptr && delta->is_object() && delta->as_object().contains("tool_calls")) calls_seen = true;
      const json::value* finish = choice.if_contains("finish_reason");
      if (finish == nullptr || finish->is_null()) continue;
      ++finishes;
      EXPECT_TRUE(calls_seen) << "finish_reason " << *finish << " reached the car before the tool calls";
      EXPECT_EQ(*finish, json::value("tool_calls"));
    }
  }
  EXPECT_EQ(finishes, 1);
  EXPECT_TRUE(calls_seen);
}

// A reported state is kept in the vehicle's home-region store, sealed: the nodes read it after a
// restart (in the distributed mode, whichever node is asked), and no byte of it is in clear there.
TEST_F(GatewayTest, AReportedStateOutlivesARestartAndIsSealedAtRest) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  fleet_->mock("deepseek").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"})"));
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P","occupancy":{"driver":true}})").status, 202u);
  ASSERT_TRUE(fleet_->restart().is_ok());
  client_ = fleet_->client();
  for (int i = 0; i < 2; ++i) {  // both nodes, in the distributed mode
    ClientResponse r = chat(v, chat_body("open the trunk", false));
    ASSERT_EQ(r.status, 200u) << r.body;
    EXPECT_TRUE(parse_object(r.body)["choices"].as_array().at(0).as_object()["message"].as_object().contains("tool_calls"))
        << r.body;
  }

  const transfer::RegionData cn = fleet_->service().backend().region("cn");
  int stored = 0;
  for (auto it = cn.store->scan(app::kReportedStatePrefix); it->valid(); it->next(), ++stored) {
    EXPECT_EQ(std::string(it->key()).find(v.vin), std::string::npos) << "keyed by pseudonym";
    for (std::string_view clear : {"gear", "driver", "speed"}) {
      EXPECT_EQ(it->value().find(clear), std::string_view::npos) << clear << " in clear at rest";
    }
  }
  EXPECT_EQ(stored, 1);
}

// ---------------------------------------------------------------------------------------------
// 6. Pass-through of what the gateway does not know.

TEST_F(GatewayTest, ProviderExtrasAndUnknownRequestFieldsPassThroughUntouched) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle cn = vehicle("CN");
  TestVehicle de = vehicle("DE");
  fleet_->mock("deepseek").set_scenario(scenario("deepseek"));
  fleet_->mock("xai-eu").set_scenario(scenario("xai"));
  const json::object unknown{{"x_custom", {{"nested", json::array{1, 2.5, "three"}}}}, {"logit_bias", {{"42", -100}}}};

  ClientResponse r = chat(cn, chat_body("hello", false, unknown));
  ASSERT_EQ(r.status, 200u) << r.body;
  json::object body = parse_object(r.body);
  EXPECT_EQ(body["choices"].as_array().at(0).as_object()["message"].as_object()["reasoning_content"],
            json::value("The user asked something; answer briefly."));
  json::object& usage_obj = body["usage"].as_object();
  ASSERT_TRUE(usage_obj.contains("prompt_cache_hit_tokens")) << r.body;
  ASSERT_TRUE(usage_obj.contains("prompt_cache_miss_tokens")) << r.body;
  EXPECT_EQ(usage_obj["prompt_cache_hit_tokens"].as_int64() + usage_obj["prompt_cache_miss_tokens"].as_int64(),
            usage_obj["prompt_tokens"].as_int64());
  // The mock echoes request fields it does not know: they reached it unchanged.
  EXPECT_EQ(body["mock_echo"], json::value(unknown));
  json::object sent = parse_object(fleet_->mock("deepseek").requests().at(0).body);
  EXPECT_EQ(sent["x_custom"], unknown.at("x_custom"));
  EXPECT_EQ(sent["logit_bias"], unknown.at("logit_bias"));

  // Streamed: reasoning_content arrives in its own chunk.
  auto stream = chat_stream(cn, chat_body("hello", true, unknown));
  ASSERT_NE(stream, nullptr);
  StreamRead read = read_all(*stream);
  bool reasoning = false, echoed = false;
  for (const SseEvent& e : read.events) {
    reasoning |= e.data.find(R"("reasoning_content":"The user asked something; answer briefly.")") != std::string::npos;
    echoed |= parse_object(e.data)["mock_echo"] == json::value(unknown);
  }
  EXPECT_TRUE(reasoning);
  EXPECT_TRUE(echoed);

  r = chat(de, chat_body("hello", false));
  ASSERT_EQ(r.status, 200u) << r.body;
  json::object xai_usage = parse_object(r.body)["usage"].as_object();
  EXPECT_EQ(xai_usage["completion_tokens_details"], (json::value{{"reasoning_tokens", 3}}));
  EXPECT_EQ(xai_usage["prompt_tokens_details"].as_object()["cached_tokens"].as_int64(),
            xai_usage["prompt_tokens"].as_int64() / 2);
}

// ---------------------------------------------------------------------------------------------
// 7. Errors and access.

TEST_F(GatewayTest, BadCallersAndBadRequestsGetOpenAIShapedErrors) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  const std::string good = chat_body("hello", false);

  auto r = client_->post("/v1/chat/completions", good);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
  EXPECT_TRUE(is_openai_error(r->body));

  r = client_->post("/v1/chat/completions", good, bearer("fgv_not-a-real-token"));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
  EXPECT_TRUE(is_openai_error(r->body));

  ClientResponse bad = chat(v, R"({"model":"mock-model","messages":[)");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_TRUE(is_openai_error(bad.body));

  bad = chat(v, R"({"model":"mock-model"})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_TRUE(is_openai_error(bad.body));
  EXPECT_NE(bad.body.find("messages"), std::string::npos) << bad.body;

  // People do not chat as cars: an operator of the very region gets 403.
  auto& credentials = *fleet_->control_plane().credentials;
  ASSERT_TRUE(credentials.add_user("olga", {"operator"}, {"cn"}, "test:gateway").is_ok());
  auto operator_token = credentials.issue_user_token("olga", "test:gateway");
  ASSERT_TRUE(operator_token.is_ok());
  r = client_->post("/v1/chat/completions", good, bearer(*operator_token));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 403u);
  EXPECT_TRUE(is_openai_error(r->body));

  // A vehicle reports only its own state; a bad state is a 400.
  TestVehicle other = vehicle("CN");
  r = client_->post("/v1/vehicles/" + other.vin + "/state", R"({"speed_kmh":0})", bearer(v.token));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 403u);
  EXPECT_TRUE(is_openai_error(r->body));
  bad = report_state(v, R"({"gear":"X"})");
  EXPECT_EQ(bad.status, 400u);
  EXPECT_TRUE(is_openai_error(bad.body));

  for (const auto& [id, m] : fleet_->mocks()) EXPECT_EQ(m->request_count(), 0u) << id;
}

TEST_F(GatewayTest, ModelListShowsOnlyTheHomeRegionsChain) {
  ASSERT_NO_FATAL_FAILURE(start());
  const struct {
    std::string market;
    std::set<std::string> models;
  } cases[] = {{"CN", {"deepseek-chat", "deepseek-reasoner", "fleetgate-onboard"}},
               {"US", {"grok-4", "grok-3-mini", "fleetgate-onboard"}},
               {"DE", {"grok-4-eu", "fleetgate-onboard"}}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.market);
    TestVehicle v = vehicle(c.market);
    auto r = client_->get("/v1/models", bearer(v.token));
    ASSERT_TRUE(r.is_ok());
    ASSERT_EQ(r->status, 200u) << r->body;
    std::set<std::string> listed;
    json::object list = parse_object(r->body);
    ASSERT_TRUE(list["data"].is_array()) << r->body;
    for (const auto& m : list["data"].as_array()) listed.insert(std::string(m.as_object().at("id").as_string()));
    EXPECT_EQ(listed, c.models);
    EXPECT_EQ(r->header("x-fleetgate-region"), v.region);
  }
  auto r = client_->get("/v1/models");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 401u);
}

// ---------------------------------------------------------------------------------------------
// 8. Cancellation.

// The mock would take 30 s to go on, far beyond kWait: only a cancellation passed through from
// the vehicle's connection to the upstream request gets it abandoned in time.
TEST_F(GatewayTest, VehicleHangingUpMidStreamAbandonsTheUpstreamRequest) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("DE");
  fleet_->mock("xai-eu").set_scenario(scenario("chunk_delay_ms=30000;content=a b c d e f"));

  auto stream = chat_stream(v, chat_body("read me the alphabet", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  auto first = stream->next();
  ASSERT_TRUE(first.is_ok() && first->has_value());
  stream->close();

  EXPECT_TRUE(fleet_->mock("xai-eu").wait_for_abandoned(1, kWait));
  EXPECT_EQ(fleet_->requests_to_others("xai-eu"), 0u);
  auto records = wait_for_usage("eu", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].outcome, "cancelled");
  EXPECT_EQ(records[0].provider, "xai-eu");
}

TEST_F(GatewayTest, VehicleHangingUpBeforeTheAnswerAbandonsTheUpstreamRequest) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("DE");
  fleet_->mock("xai-eu").set_scenario(scenario("latency_ms=30000"));

  TestClient impatient("127.0.0.1", fleet_->service().port(), milliseconds(300));
  auto r = impatient.post("/v1/chat/completions", chat_body("hello", false), bearer(v.token));
  ASSERT_FALSE(r.is_ok()) << "the mock answered at once: " << r->body;  // gave up, closed the connection
  ASSERT_TRUE(fleet_->mock("xai-eu").wait_for_requests(1, kWait));

  EXPECT_TRUE(fleet_->mock("xai-eu").wait_for_abandoned(1, kWait));
  auto records = wait_for_usage("eu", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].outcome, "cancelled");
  EXPECT_EQ(fleet_->requests_to_others("xai-eu"), 0u) << "a cancelled request does not fail over";
}

// ---------------------------------------------------------------------------------------------
// 9. Metering.

TEST_F(GatewayTest, EveryRequestIsMeteredInItsHomeRegionWithProviderAndTokens) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("DE");
  fleet_->mock("xai-eu").set_scenario(scenario("content=four words of answer;xai"));
  constexpr int kRequests = 4;
  std::vector<json::object> answered_usage;
  for (int i = 0; i < kRequests; ++i) {
    ClientResponse r = chat(v, chat_body("what is my range", false));
    ASSERT_EQ(r.status, 200u) << r.body;
    answered_usage.push_back(parse_object(r.body)["usage"].as_object());
  }
  // A stream is metered from the usage the gateway requested, though the vehicle did not.
  auto stream = chat_stream(v, chat_body("what is my range", true));
  ASSERT_NE(stream, nullptr);
  EXPECT_EQ(read_all(*stream).events.back().data, "[DONE]");

  auto records = wait_for_usage("eu", kRequests + 1);
  ASSERT_EQ(records.size(), static_cast<size_t>(kRequests + 1));
  std::set<std::string> request_ids;
  for (size_t i = 0; i < records.size(); ++i) {
    SCOPED_TRACE(i);
    const ledger::UsageRecord& u = records[i];
    json::object& expected = answered_usage[std::min<size_t>(i, kRequests - 1)];  // identical prompts
    EXPECT_EQ(u.provider, "xai-eu");
    EXPECT_EQ(u.model, "grok-4-eu");
    EXPECT_EQ(u.region, "eu");
    EXPECT_EQ(u.market, "DE");
    EXPECT_EQ(u.feature, "assistant");
    EXPECT_EQ(u.outcome, "ok");
    EXPECT_EQ(u.prompt_tokens, expected["prompt_tokens"].as_int64());
    EXPECT_EQ(u.completion_tokens, 4);
    EXPECT_EQ(u.cached_tokens, expected["prompt_tokens_details"].as_object()["cached_tokens"].as_int64());
    EXPECT_EQ(u.reasoning_tokens, 3);
    EXPECT_FALSE(u.vehicle_pseudonym.empty());
    EXPECT_EQ(u.vehicle_pseudonym.find(v.vin), std::string::npos) << "raw VINs stay out of the usage log";
    EXPECT_EQ(u.vehicle_pseudonym, records[0].vehicle_pseudonym);
    request_ids.insert(u.request_id);
  }
  EXPECT_EQ(request_ids.size(), records.size());
  EXPECT_TRUE(usage("cn").empty());
  EXPECT_TRUE(usage("us").empty());
}

// Sends `body` as a car's chat request on a connection of its own and hangs up as soon as
// `upstream` holds its `nth` request: the car is gone before the provider's first byte.
void hang_up_once_upstream_has_it(uint16_t port, const TestVehicle& v, const std::string& body,
                                  mock::MockUpstream& upstream, size_t nth) {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::socket car(io);
  boost::system::error_code ec;
  car.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
  ASSERT_FALSE(ec) << ec.message();
  const std::string request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                              v.token + "\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(body.size()) + "\r\n\r\n" + body;
  asio::write(car, asio::buffer(request), ec);
  ASSERT_FALSE(ec) << ec.message();
  ASSERT_TRUE(upstream.wait_for_requests(nth, kWait));
  car.close(ec);
}

// Issue "Hardening", item 7: a car streams with a model name of its own choosing and hangs up.
// What it named must not reach the ledger: the usage record names the model the provider served
// (the router sends the provider's first model in place of an unlisted name), which the shipped
// ledger.toml prices, and the month settles with that usage counted as the provider's work. The
// first hang-up comes before the provider's first byte, when the meter has no answer to take a
// model name from; the second comes after the first chunk.
TEST_F(GatewayTest, ACarStreamingAModelOfItsOwnAndHangingUpIsMeteredAsTheServedModelAndSettles) {
  FleetSpec spec = standard_fleet();
  spec.ledger = true;
  ASSERT_NO_FATAL_FAILURE(start(spec));
  TestVehicle v = vehicle("US");
  mock::MockUpstream& xai = fleet_->mock("xai-us");
  const std::string ask = chat_body("will it rain on my way home", true, {{"model", "anything"}});

  xai.set_scenario(scenario("latency_ms=30000"));
  ASSERT_NO_FATAL_FAILURE(hang_up_once_upstream_has_it(fleet_->service().port(), v, ask, xai, 1));
  EXPECT_TRUE(xai.wait_for_abandoned(1, kWait));
  EXPECT_EQ(parse_object(xai.requests().at(0).body)["model"], json::value("grok-4")) << "served: the provider's first model";

  xai.set_scenario(scenario("chunk_delay_ms=30000;content=no rain until tomorrow"));
  auto stream = chat_stream(v, ask);
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  auto first = stream->next();
  ASSERT_TRUE(first.is_ok() && first->has_value());
  stream->close();
  EXPECT_TRUE(xai.wait_for_abandoned(2, kWait));

  const std::vector<ledger::UsageRecord> records = wait_for_usage("us", 2);
  ASSERT_EQ(records.size(), 2u);
  std::set<std::string> periods;
  std::string priced_period;  // the month of the record with tokens (the second hang-up)
  for (const ledger::UsageRecord& u : records) {
    EXPECT_EQ(u.provider, "xai-us");
    EXPECT_EQ(u.model, "grok-4") << "metered as the model served, not the one the car named";
    EXPECT_EQ(u.outcome, "cancelled");
    const std::string period = ledger::Period::containing(u.time_ms).to_string();
    periods.insert(period);
    if (u.prompt_tokens > 0) priced_period = period;
  }
  ASSERT_FALSE(priced_period.empty()) << "the stream cut short after its first chunk is metered with an estimate";

  auto& credentials = *fleet_->control_plane().credentials;
  ASSERT_TRUE(credentials.add_user("ledger-admin", {"admin"}, {"*"}, "test:gateway").is_ok());
  auto admin = credentials.issue_user_token("ledger-admin", "test:gateway");
  ASSERT_TRUE(admin.is_ok()) << admin.status().to_string();
  for (const std::string& period : periods) {
    SCOPED_TRACE(period);
    const json::object event{{"id", "us-assistant-" + period}, {"time", period + "-01"}, {"type", "subscription"},
                             {"feature", "assistant"},         {"market", "US"},        {"currency", "USD"},
                             {"amount", "1000.00"}};
    auto imported = client_->post("/v1/ledger/revenue", json::serialize(json::object{{"events", json::array{event}}}),
                                  bearer(*admin));
    ASSERT_TRUE(imported.is_ok()) << imported.status().to_string();
    ASSERT_EQ(imported->status, 200u) << imported->body;

    auto settled = client_->post("/v1/ledger/settle", json::serialize(json::object{{"period", period}}), bearer(*admin));
    ASSERT_TRUE(settled.is_ok()) << settled.status().to_string();
    ASSERT_EQ(settled->status, 200u) << "the month must settle: " << settled->body;
    json::object xai_statement = parse_object(settled->body)["statements"].as_object()["xai"].as_object();
    EXPECT_TRUE(xai_statement["unpriced"].as_array().empty()) << json::serialize(xai_statement);
    for (const json::value& row : xai_statement["usage"].as_array()) {
      EXPECT_EQ(row.as_object().at("model"), json::value("grok-4")) << json::serialize(row);
    }
    if (period != priced_period) continue;
    bool pool_found = false;
    for (const json::value& pool : xai_statement["pools"].as_array()) {
      const json::object& p = pool.as_object();
      if (p.at("feature") != json::value("assistant") || p.at("market") != json::value("US")) continue;
      pool_found = true;
      EXPECT_EQ(p.at("share_minor"), json::value(30000)) << "xAI served all the priced work: 30% of 1000.00 USD";
    }
    EXPECT_TRUE(pool_found) << json::serialize(xai_statement);
  }
}

// ---------------------------------------------------------------------------------------------
// 10. A hostile upstream: whatever a provider answers, nothing unreviewed reaches the car, memory
// stays bounded and every request is metered.

// What a client library would act on in an answer: tool calls or a legacy function_call in any
// choice's message (plain) or delta (streamed); "" when nothing.
std::string actionable(const std::string& body) {
  json::object o = parse_object(body);
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array()) return "";
  std::string found;
  for (const json::value& c : choices->as_array()) {
    for (const char* holder : {"message", "delta"}) {
      const json::value* h = c.is_object() ? c.as_object().if_contains(holder) : nullptr;
      if (h == nullptr || !h->is_object()) continue;
      for (const char* key : {"tool_calls", "function_call"}) {
        if (const json::value* v = h->as_object().if_contains(key); v != nullptr && !v->is_null()) found += json::serialize(*v);
      }
    }
  }
  return found;
}

// The finish_reason of choices[0], or "" when there is none.
std::string finish_reason(const std::string& body) {
  json::object o = parse_object(body);
  const json::value* choices = o.if_contains("choices");
  if (choices == nullptr || !choices->is_array() || choices->as_array().empty()) return "";
  const json::value* f = choices->as_array()[0].as_object().if_contains("finish_reason");
  return f != nullptr && f->is_string() ? std::string(f->as_string()) : "";
}

// What a vehicle received for one question: the calls it could act on, the finish_reason, the
// text, and for a stream whether it ended with [DONE].
struct Received {
  std::string calls;
  std::string finish;
  std::string text;
  bool done = false;
};

// What the vehicle received for one request `body`, sent plain or streamed.
Received received(const std::function<ClientResponse(const std::string&)>& chat,
                  const std::function<StreamRead(const std::string&)>& stream, const std::string& body, bool streamed) {
  Received got;
  if (!streamed) {
    ClientResponse r = chat(body);
    EXPECT_EQ(r.status, 200u) << r.body;
    got.calls = actionable(r.body);
    got.finish = finish_reason(r.body);
    json::object answer = parse_object(r.body);
    const json::value* message = answer["choices"].as_array().at(0).as_object().if_contains("message");
    if (message != nullptr && message->as_object().at("content").is_string()) got.text = message->as_object().at("content").as_string();
    return got;
  }
  StreamRead read = stream(body);
  for (const SseEvent& e : read.events) {
    got.calls += actionable(e.data);
    if (std::string f = finish_reason(e.data); !f.empty()) got.finish = f;
  }
  got.text = streamed_content(read.events);
  got.done = read.ended_cleanly && !read.events.empty() && read.events.back().data == "[DONE]";
  return got;
}

TEST_F(GatewayTest, ToolCallsInEveryShapeMeetTheInterlocks) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  auto plain = [&](const std::string& body) { return chat(v, body); };
  auto streamed = [&](const std::string& body) {
    auto s = chat_stream(v, body);
    return s == nullptr ? StreamRead{} : read_all(*s);
  };
  auto ask = [&](std::string_view shape, bool stream) {
    fleet_->mock("deepseek").set_scenario(scenario(std::string(R"(tool_call=trunk:{"action":"open"};shape=)") + std::string(shape)));
    return received(plain, streamed, chat_body("open the trunk", stream), stream);
  };

  // At 80 km/h in D no shape opens the trunk: each is refused with an explanation.
  EXPECT_EQ(report_state(v, R"({"speed_kmh":80,"gear":"D"})").status, 202u);
  for (const char* shape : {"tool_calls", "function_call", "tool_calls_object"}) {
    for (bool stream : {false, true}) {
      SCOPED_TRACE(std::string(shape) + (stream ? " streamed" : " plain"));
      Received got = ask(shape, stream);
      EXPECT_EQ(got.calls, "");
      EXPECT_EQ(got.finish, "stop");
      EXPECT_FALSE(got.text.empty());
      EXPECT_EQ(got.done, stream);
    }
  }

  // Parked: the readable shapes arrive in the shape they were sent; an object where an array
  // belongs cannot be reviewed and stays refused.
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P"})").status, 202u);
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "streamed" : "plain");
    Received got = ask("tool_calls", stream);
    EXPECT_NE(got.calls.find(R"("name":"trunk")"), std::string::npos) << got.calls;
    EXPECT_TRUE(got.calls.starts_with("[")) << got.calls;
    EXPECT_EQ(got.finish, "tool_calls");
    got = ask("function_call", stream);
    EXPECT_EQ(got.calls, R"({"name":"trunk","arguments":"{\"action\":\"open\"}"})");
    EXPECT_EQ(got.finish, "function_call");
    got = ask("tool_calls_object", stream);
    EXPECT_EQ(got.calls, "");
    EXPECT_EQ(got.finish, "stop");
  }

  const std::multiset<std::string> reasons = refusal_reasons(50);
  EXPECT_EQ(reasons.count("vehicle_not_parked"), 4u);
  EXPECT_EQ(reasons.count("unreadable_tool_call"), 4u);
  auto records = wait_for_usage("cn", 12);
  ASSERT_EQ(records.size(), 12u);
  int refused = 0;
  for (const auto& u : records) refused += u.refused_tool_calls;
  EXPECT_EQ(refused, 8);
}

// ---------------------------------------------------------------------------------------------
// Apps' own tools: whatever a provider calls them, calls are reviewed by what the tool does.

json::object function_tool(std::string_view name, std::string_view parameters = R"({"type":"object","properties":{}})") {
  return json::object{{"type", "function"},
                      {"function", json::object{{"name", name}, {"parameters", json::parse(parameters)}}}};
}

const char* kWindowFraction =
    R"({"type":"object","properties":{"window":{"type":"string"},"fraction":{"type":"number","minimum":0,"maximum":1}},"required":["fraction"]})";

TEST_F(GatewayTest, RenamedBodyToolsFromAnUpstreamAreReviewedByWhatTheyDo) {
  FleetSpec spec = standard_fleet();
  spec.tool_functions = {{"acme_hatch", "trunk"}};
  ASSERT_NO_FATAL_FAILURE(start(spec));
  TestVehicle v = vehicle("CN");
  const json::array tools{function_tool("open_liftgate"), function_tool("Heckklappe_oeffnen"), function_tool("打开尾门"),
                          function_tool("setWindowPosition", kWindowFraction), function_tool("acme_hatch"),
                          function_tool("open_door"), function_tool("get_weather")};
  auto plain = [&](const std::string& body) { return chat(v, body); };
  auto streamed = [&](const std::string& body) {
    auto s = chat_stream(v, body);
    return s == nullptr ? StreamRead{} : read_all(*s);
  };
  struct Call {
    std::string name, arguments;
    std::string moving;  // the refusal at 130 km/h in D, "" when allowed
  };
  const Call calls[] = {
      {"open_liftgate", "{}", "vehicle_not_parked"},
      {"Heckklappe_oeffnen", "{}", "vehicle_not_parked"},
      {"打开尾门", "{}", "vehicle_not_parked"},
      {"setWindowPosition", R"({"window":"driver","fraction":0.5})", "speed_too_high"},
      {"acme_hatch", "{}", "vehicle_not_parked"},   // pinned to the trunk
      {"open_door", "{}", "unclassified_body_tool"},  // no function it could be: refused at any speed
      {"get_weather", R"({"city":"Shanghai"})", ""},  // not the car's: the app's own business
  };
  for (const char* state : {R"({"speed_kmh":130,"gear":"D"})", R"({"speed_kmh":0,"gear":"P"})"}) {
    const bool moving = std::string_view(state).find("130") != std::string_view::npos;
    EXPECT_EQ(report_state(v, state).status, 202u);
    for (const Call& c : calls) {
      mock::Scenario sc;
      sc.tool_call = mock::MockToolCall{"call_mock_1", c.name, c.arguments};
      fleet_->mock("deepseek").set_scenario(sc);
      const bool refused = moving ? !c.moving.empty() : c.moving == "unclassified_body_tool";
      for (bool stream : {false, true}) {
        SCOPED_TRACE(c.name + (moving ? " moving" : " parked") + (stream ? " streamed" : " plain"));
        Received got = received(plain, streamed, chat_body("do it", stream, {{"tools", tools}}), stream);
        if (refused) {
          EXPECT_EQ(got.calls, "");
          EXPECT_EQ(got.finish, "stop");
          EXPECT_FALSE(got.text.empty());
        } else {
          EXPECT_NE(got.calls.find(json::serialize(json::value(c.name))), std::string::npos) << got.calls;
          EXPECT_EQ(got.finish, "tool_calls");
        }
        EXPECT_EQ(got.done, stream);
      }
    }
  }
  const std::multiset<std::string> reasons = refusal_reasons(100);
  EXPECT_EQ(reasons.count("vehicle_not_parked"), 8u);
  EXPECT_EQ(reasons.count("speed_too_high"), 2u);
  EXPECT_EQ(reasons.count("unclassified_body_tool"), 4u);
}

TEST_F(GatewayTest, TheOnboardEngineCallsTheAppsToolsAndTheyMeetTheInterlocks) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  fleet_->mock("deepseek").set_scenario(scenario("status=503"));  // every answer comes from the on-board engine
  auto plain = [&](const std::string& body) { return chat(v, body); };
  auto streamed = [&](const std::string& body) {
    auto s = chat_stream(v, body);
    return s == nullptr ? StreamRead{} : read_all(*s);
  };
  struct Ask {
    std::string say;
    json::object tool;
    std::string name, arguments;  // the call the engine writes, as the vehicle receives it when parked
  };
  const Ask asks[] = {
      {"open the trunk", function_tool("open_liftgate"), "open_liftgate", "{}"},
      {"Heckklappe öffnen", function_tool("Heckklappe_oeffnen"), "Heckklappe_oeffnen", "{}"},
      {"打开后备箱", function_tool("打开尾门"), "打开尾门", "{}"},
      {"open the windows halfway", function_tool("setWindowPosition", kWindowFraction), "setWindowPosition",
       R"({"window":"all","fraction":0.5})"},
  };
  for (const char* state : {R"({"speed_kmh":130,"gear":"D"})", R"({"speed_kmh":0,"gear":"P"})"}) {
    const bool moving = std::string_view(state).find("130") != std::string_view::npos;
    EXPECT_EQ(report_state(v, state).status, 202u);
    for (const Ask& a : asks) {
      for (bool stream : {false, true}) {
        SCOPED_TRACE(a.say + (moving ? " moving" : " parked") + (stream ? " streamed" : " plain"));
        Received got = received(plain, streamed, chat_body(a.say, stream, {{"tools", json::array{a.tool}}}), stream);
        if (moving) {
          EXPECT_EQ(got.calls, "");
          EXPECT_EQ(got.finish, "stop");
          EXPECT_FALSE(got.text.empty());
        } else {
          const std::string function = json::serialize(json::object{{"name", a.name}, {"arguments", a.arguments}});
          EXPECT_NE(got.calls.find(function), std::string::npos) << got.calls;
          EXPECT_EQ(got.finish, "tool_calls");
        }
      }
    }
  }
}

// Arguments naming a key twice are refused, plain and streamed: a reviewer and a car could read
// different values out of them. What is allowed leaves as it was reviewed, not as it was sent.
TEST_F(GatewayTest, ToolArgumentsReachTheCarExactlyAsReviewed) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("CN");
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P"})").status, 202u);
  auto arguments_received = [&](bool stream) {
    std::string calls;
    if (!stream) return actionable(chat(v, chat_body("the trunk", false)).body);
    auto s = chat_stream(v, chat_body("the trunk", true));
    if (s == nullptr) return calls;
    for (const SseEvent& e : read_all(*s).events) calls += actionable(e.data);
    return calls;
  };
  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "streamed" : "plain");
    fleet_->mock("deepseek").set_scenario(scenario(R"(tool_call=trunk:{"action":"close","action":"open"})"));
    EXPECT_EQ(arguments_received(stream), "");
    fleet_->mock("deepseek").set_scenario(scenario(R"(tool_call=trunk:{ "action" : "\u006fpen" })"));
    std::string calls = arguments_received(stream);
    EXPECT_NE(calls.find(R"("arguments":"{\"action\":\"open\"}")"), std::string::npos) << calls;
  }
  auto tail = fleet_->control_plane().audit->tail(50);
  ASSERT_TRUE(tail.is_ok());
  int invalid = 0;
  for (const auto& e : *tail) invalid += e.action == "assistant.tool_call.refused" && e.details.at("reason") == "invalid_arguments";
  EXPECT_EQ(invalid, 2);
}

// The mock streams 1 KiB argument pieces without end: the gateway holds at most 256 KiB of tool
// calls per answer, then ends the stream with an error, closes the upstream and meters it.
TEST_F(GatewayTest, AnEndlessToolCallIsCutAtThePerRequestCap) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  fleet_->mock("xai-us").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"};endless)"));

  auto stream = chat_stream(v, chat_body("open the trunk", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly);
  ASSERT_FALSE(read.events.empty());
  EXPECT_EQ(read.events.back().event, "error");
  EXPECT_TRUE(is_openai_error(read.events.back().data));
  EXPECT_NE(read.events.back().data.find("262144 bytes"), std::string::npos) << read.events.back().data;
  for (const SseEvent& e : read.events) EXPECT_EQ(actionable(e.data), "") << e.data;

  EXPECT_TRUE(fleet_->mock("xai-us").wait_for_abandoned(1, kWait)) << "the upstream connection is closed";
  EXPECT_EQ(fleet_->requests_to_others("xai-us"), 0u);
  auto records = wait_for_usage("us", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].outcome, "error");
  EXPECT_EQ(records[0].provider, "xai-us");
  EXPECT_GT(records[0].prompt_tokens, 0) << "no usage came: what was used is estimated";
  EXPECT_GE(records[0].completion_tokens, (262144 - 1024) / 4) << "the pieces held are metered";
}

// While the gateway holds tool-call pieces it writes nothing to the car, so only the watch on
// the car's connection can notice the hang-up: the upstream request must still end at once.
TEST_F(GatewayTest, VehicleHangingUpWhileToolCallsAreHeldClosesTheUpstream) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  fleet_->mock("xai-us").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"};endless;chunk_delay_ms=100)"));

  auto stream = chat_stream(v, chat_body("open the trunk", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  auto first = stream->next();
  ASSERT_TRUE(first.is_ok() && first->has_value());
  stream->close();

  EXPECT_TRUE(fleet_->mock("xai-us").wait_for_abandoned(1, kWait));
  auto records = wait_for_usage("us", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].outcome, "cancelled");
  EXPECT_GT(records[0].prompt_tokens, 0) << "the request was sent: its prompt is metered";
}

// A provider whose stream broke after tool-call pieces only (held for review, so the car saw
// nothing) is failed over like one that never answered: the car gets one clean answer from the
// next provider of its region.
TEST_F(GatewayTest, AStreamBrokenBeforeTheCarSawAByteFailsOverWithinTheRegion) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  fleet_->mock("xai-us").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"};no_role_chunk;break_after=2)"));

  auto stream = chat_stream(v, chat_body("hello", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  EXPECT_EQ(stream->headers()["x-fleetgate-provider"], "onboard");
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly);
  ASSERT_FALSE(read.events.empty());
  EXPECT_EQ(read.events.back().data, "[DONE]");
  for (const SseEvent& e : read.events) {
    EXPECT_NE(e.event, "error") << e.data;
    EXPECT_EQ(actionable(e.data), "") << e.data;
  }
  EXPECT_FALSE(streamed_content(read.events).empty());

  EXPECT_EQ(fleet_->mock("xai-us").request_count(), 1u);
  EXPECT_EQ(fleet_->requests_to_others("xai-us"), 0u) << "failover stays in the car's region";
  auto records = wait_for_usage("us", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].provider, "onboard");
  EXPECT_EQ(records[0].outcome, "ok");
}

// Once the car has a byte of an answer (here the role chunk, before the held tool-call pieces),
// a break ends the stream with the error event: no second answer from another provider.
TEST_F(GatewayTest, AStreamBrokenAfterTheCarSawAByteEndsWithTheErrorEvent) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  fleet_->mock("xai-us").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"};break_after=3)"));

  auto stream = chat_stream(v, chat_body("hello", true));
  ASSERT_NE(stream, nullptr);
  ASSERT_EQ(stream->status(), 200u);
  EXPECT_EQ(stream->headers()["x-fleetgate-provider"], "xai-us");
  StreamRead read = read_all(*stream);
  EXPECT_TRUE(read.ended_cleanly);
  ASSERT_EQ(read.events.size(), 2u);
  EXPECT_EQ(parse_object(read.events[0].data)["mock_identity"], json::value("xai-us"));
  EXPECT_EQ(read.events[1].event, "error");
  EXPECT_TRUE(is_openai_error(read.events[1].data));
  EXPECT_EQ(parse_object(read.events[1].data)["error"].as_object()["code"], json::value("stream_interrupted"));
  ASSERT_FALSE(stream->comments().empty());
  EXPECT_TRUE(stream->comments().back().starts_with("x-fleetgate-overhead-us: ")) << "a broken stream ends with it too";

  EXPECT_EQ(fleet_->requests_to_others("xai-us"), 0u);
  auto records = wait_for_usage("us", 1);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].provider, "xai-us");
  EXPECT_EQ(records[0].outcome, "error");
}

// An index no call can have (negative, fractional, a string, beyond 64 bits or far ahead) makes
// the call unreadable: refused with an explanation, the stream ends normally, usage is metered.
TEST_F(GatewayTest, AToolCallIndexThatCannotBeReadIsRefusedAndMetered) {
  ASSERT_NO_FATAL_FAILURE(start());
  TestVehicle v = vehicle("US");
  EXPECT_EQ(report_state(v, R"({"speed_kmh":0,"gear":"P"})").status, 202u);
  const std::vector<std::string> indexes = {"-1", "1.5", R"("0")", "2147483648", "9223372036854775808",
                                            "18446744073709551616", "7"};
  for (const std::string& index : indexes) {
    SCOPED_TRACE(index);
    fleet_->mock("xai-us").set_scenario(scenario(R"(tool_call=trunk:{"action":"open"};call_index=)" + index));
    auto stream = chat_stream(v, chat_body("open the trunk", true));
    ASSERT_NE(stream, nullptr);
    ASSERT_EQ(stream->status(), 200u);
    StreamRead read = read_all(*stream);
    EXPECT_TRUE(read.ended_cleanly);
    ASSERT_FALSE(read.events.empty());
    EXPECT_EQ(read.events.back().data, "[DONE]");
    std::string calls;
    for (const SseEvent& e : read.events) calls += actionable(e.data);
    EXPECT_EQ(calls, "");
    EXPECT_FALSE(streamed_content(read.events).empty());
  }
  auto records = wait_for_usage("us", indexes.size());
  ASSERT_EQ(records.size(), indexes.size());
  for (const auto& u : records) {
    EXPECT_EQ(u.outcome, "refused");
    EXPECT_EQ(u.tool_calls, 1);
    EXPECT_EQ(u.refused_tool_calls, 1);
    EXPECT_GT(u.completion_tokens, 0);
  }
}

// ---------------------------------------------------------------------------------------------
// 6. The event loop never blocks.

// Every answer is metered. When the usage writer cannot keep up (here its disk stops answering),
// chats are turned away with 503 and Retry-After instead of waiting for the disk on the event
// loop, which would freeze every other connection on it; /healthz keeps answering throughout.
TEST_F(GatewayTest, AStalledUsageWriterShedsChatsWith503WhileTheServerKeepsAnswering) {
  // Owned by the service's options too: the writer writes what is queued when the service stops.
  auto stall = std::make_shared<store::Stall>();
  FleetSpec spec = standard_fleet();
  spec.service.usage_queue = 2;
  spec.service.usage_store = [stall](store::KvStore& region_store) -> std::unique_ptr<store::KvStore> {
    return std::make_unique<store::StallingStore>(region_store, *stall);
  };
  ASSERT_NO_FATAL_FAILURE(start(spec));
  struct Release {
    store::Stall& stall;
    ~Release() { stall.release(); }  // before the service stops, whatever failed
  } release{*stall};
  TestVehicle v = vehicle("US");
  TestClient client("127.0.0.1", fleet_->service().port(), milliseconds(3000));
  auto chat_now = [&](bool stream) {
    auto r = client.post("/v1/chat/completions", chat_body("hello", stream), bearer(v.token));
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : ClientResponse{};
  };

  stall->stall();
  EXPECT_EQ(chat_now(false).status, 200u);
  ASSERT_TRUE(stall->wait_for_held(1, kWait)) << "the writer is stuck writing the first record";
  EXPECT_EQ(chat_now(false).status, 200u);
  EXPECT_EQ(chat_now(true).status, 200u);  // two records wait now: the queue is full

  for (bool stream : {false, true}) {
    SCOPED_TRACE(stream ? "streamed" : "plain");
    ClientResponse shed = chat_now(stream);
    ASSERT_EQ(shed.status, 503u) << shed.body;
    ASSERT_TRUE(is_openai_error(shed.body));
    EXPECT_EQ(parse_object(shed.body)["error"].as_object()["code"], json::value("usage_writer_saturated"));
    EXPECT_EQ(shed.header("retry-after"), "1");
    for (int i = 0; i < 4; ++i) {
      auto health = client_->get("/healthz");
      ASSERT_TRUE(health.is_ok()) << health.status().to_string();
      EXPECT_EQ(health->status, 200u);
    }
  }
  EXPECT_EQ(fleet_->mock("xai-us").request_count(), 3u) << "a shed request reaches no provider";

  stall->release();
  EXPECT_EQ(wait_for_usage("us", 3).size(), 3u);
  EXPECT_EQ(chat_now(false).status, 200u) << "the writer caught up: chats are served again";
}

// A car's first request after a registration reads its record from the control store, which may
// wait for a disk or a database. That read waits on a worker, not on the event loop: while it is
// held here, /healthz on the server's only event loop keeps answering, and the chat is answered
// once the store answers again.
TEST_F(GatewayTest, AColdRegistryReadWaitsOnAWorkerWhileTheEventLoopKeepsAnswering) {
  auto stall = std::make_shared<store::Stall>();
  FleetSpec spec = standard_fleet();
  spec.io_threads = 1;
  spec.service.control_store = [stall](store::KvStore& opened) -> std::unique_ptr<store::KvStore> {
    return std::make_unique<store::StallingStore>(opened, *stall, "vehicle/");  // the registry's records
  };
  ASSERT_NO_FATAL_FAILURE(start(spec));
  unsigned answered = 0;
  std::jthread car;  // joined after the release below, whatever failed
  struct Release {
    store::Stall& stall;
    ~Release() { stall.release(); }
  } release{*stall};
  TestVehicle v = vehicle("US");
  vehicle("DE");  // a registration empties the registry's memory: v's record is cold again

  stall->stall();
  car = std::jthread([&, port = fleet_->service().port()] {
    TestClient client("127.0.0.1", port, milliseconds(15000));
    auto r = client.post("/v1/chat/completions", chat_body("hello", false), bearer(v.token));
    answered = r.is_ok() ? r->status : 0;
  });
  ASSERT_TRUE(stall->wait_for_held(1, kWait)) << "the chat reads the car's record";
  TestClient health_client("127.0.0.1", fleet_->service().port(), milliseconds(3000));
  for (int i = 0; i < 4; ++i) {
    auto health = health_client.get("/healthz");
    ASSERT_TRUE(health.is_ok()) << "the event loop is blocked: " << health.status().to_string();
    EXPECT_EQ(health->status, 200u);
  }
  stall->release();
  car.join();
  EXPECT_EQ(answered, 200u);
}

}  // namespace
}  // namespace fleetgate::gwtest
