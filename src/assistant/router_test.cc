#include "fleetgate/assistant/router.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

#include <boost/json.hpp>

#include "fleetgate/assistant/upstream_provider.h"
#include "fleetgate/http/blocking.h"
#include "mock_upstream/mock_fleet.h"
#include "mock_upstream/mock_upstream.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using mock::MockUpstream;
using std::chrono::milliseconds;
using http::await_blocking;

constexpr milliseconds kPatience(10000);

// Stands in for the onboard engine: answers every request from the vehicle itself.
class FakeOnboard : public InProcessProvider {
 public:
  explicit FakeOnboard(config::Provider cfg) : cfg_(std::move(cfg)) {}
  const config::Provider& config() const override { return cfg_; }
  Status ready() const override { return Status::ok(); }
  ProviderReply complete(const json::object& request, const CancelToken&) override {
    ++calls;
    std::this_thread::sleep_for(think);
    last_model = request.at("model").as_string().c_str();
    return {Outcome::kOk, 200, R"({"object":"chat.completion","mock_identity":"onboard"})", {}, "", 0};
  }
  ProviderReply stream(const json::object&, const EventCallback& on_event, const CancelToken&) override {
    ++calls;
    bool open = on_event(R"({"object":"chat.completion.chunk","mock_identity":"onboard"})");
    return {open ? Outcome::kOk : Outcome::kCancelled, 200, "", {}, "", 1};
  }
  int calls = 0;
  std::string last_model;
  std::chrono::microseconds think{0};  // how long complete() takes

 private:
  config::Provider cfg_;
};

// Records what the router relays to the vehicle.
struct RecordingSink : StreamSink {
  boost::asio::awaitable<Relayed> send_event(std::string_view data) override {
    events.emplace_back(data);
    co_return Relayed::kToVehicle;
  }
  boost::asio::awaitable<void> send_error_and_close(std::string_view error_json) override {
    errors.emplace_back(error_json);
    co_return;
  }
  std::vector<std::string> events;
  std::vector<std::string> errors;
};

// Two cn mocks (ds-a, ds-b), one us and one eu mock, and the onboard fake in every chain.
class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto [id, location] : {std::pair{"ds-a", "cn"}, {"ds-b", "cn"}, {"xai-us", "us"}, {"xai-eu", "eu"}}) {
      mock::MockOptions o;
      o.identity = id;
      o.location = location;
      auto m = MockUpstream::start(o);
      ASSERT_TRUE(m.is_ok()) << m.status().to_string();
      mocks[id] = std::move(m).value();
    }
    ::setenv("FG_ROUTER_TEST_KEY", "sk-router", 1);
    auto c = UpstreamClient::create();
    ASSERT_TRUE(c.is_ok());
    client = std::move(c).value();
  }
  void TearDown() override { ::unsetenv("FG_ROUTER_TEST_KEY"); }

  std::vector<mock::ProviderSpec> specs(uint32_t max_retries = 2) {
    std::vector<mock::ProviderSpec> out;
    for (auto& [id, m] : mocks) {
      out.push_back({id, m->location(), m->base_url(), "FG_ROUTER_TEST_KEY", {"deepseek-chat", "grok-4"}, max_retries});
    }
    out.push_back({"onboard", "vehicle", "", "", {"fleetgate-onboard"}, 0});
    return out;
  }

  const std::map<std::string, std::vector<std::string>> kChains = {
      {"cn", {"ds-a", "ds-b", "onboard"}}, {"us", {"xai-us", "onboard"}}, {"eu", {"xai-eu", "onboard"}}};

  void build(std::vector<mock::ProviderSpec> providers, RouterOptions options = {}) {
    auto p = mock::fleet_policy(mock::fleet_config_toml(providers, kChains));
    ASSERT_TRUE(p.is_ok()) << p.status().to_string();
    policy = std::move(p).value();
    auto impls = make_upstream_providers(policy->config(), client);
    onboard = std::make_shared<FakeOnboard>(*policy->config().provider("onboard"));
    impls.push_back(onboard);
    options.now = [this] { return now; };
    options.sleep = [this](milliseconds d, const CancelToken&) -> boost::asio::awaitable<bool> {
      slept.push_back(d);
      if (on_sleep) on_sleep();
      co_return true;
    };
    options.breaker.failure_threshold = 3;
    options.breaker.cool_down = milliseconds(30000);
    auto r = Router::create(policy, impls, options);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    router = std::move(r).value();
  }

  void set(const std::string& id, const char* scenario) { mocks.at(id)->set_scenario(*mock::parse_scenario(scenario)); }

  BreakerState breaker(const std::string& id) {
    for (auto& [pid, state] : router->breaker_states()) {
      if (pid == id) return state;
    }
    ADD_FAILURE() << "no breaker for " << id;
    return BreakerState::kClosed;
  }

  // Providers of other regions were never contacted.
  void expect_untouched(std::initializer_list<const char*> ids) {
    for (const char* id : ids) EXPECT_EQ(mocks.at(id)->request_count(), 0u) << id;
  }

  std::map<std::string, std::unique_ptr<MockUpstream>> mocks;
  std::shared_ptr<UpstreamClient> client;
  std::shared_ptr<const residency::Policy> policy;
  std::shared_ptr<FakeOnboard> onboard;
  std::unique_ptr<Router> router;
  std::chrono::steady_clock::time_point now{};
  std::vector<milliseconds> slept;
  std::function<void()> on_sleep;
  CancelToken cancel;
  const json::object request = json::parse(R"({"model":"deepseek-chat","messages":[{"role":"user","content":"hi"}],"vendor_opt":1})").as_object();
};

std::string identity_of(std::string_view body) {
  return std::string(json::parse(body).as_object().at("mock_identity").as_string());
}

TEST_F(RouterTest, FirstProviderAnswersAndOthersAreUntouched) {
  build(specs());
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-a");
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(identity_of(r.body), "ds-a");
  ASSERT_EQ(r.attempts.size(), 1u);
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kOk);
  EXPECT_EQ(mocks["ds-a"]->requests().at(0).headers["authorization"], "Bearer sk-router");
  expect_untouched({"ds-b", "xai-us", "xai-eu"});
}

TEST_F(RouterTest, ServerErrorsAreRetriedThenFailOverInChainOrder) {
  build(specs(/*max_retries=*/2));
  set("ds-a", "status=500");
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-b");
  EXPECT_EQ(mocks["ds-a"]->request_count(), 3u) << "one try and two retries";
  ASSERT_EQ(r.attempts.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(r.attempts[i].provider_id, "ds-a");
    EXPECT_EQ(r.attempts[i].outcome, Outcome::kServerError);
    EXPECT_EQ(r.attempts[i].http_status, 500);
  }
  EXPECT_EQ(r.attempts[3].provider_id, "ds-b");
  EXPECT_EQ(slept.size(), 2u) << "backoff before each retry";
  expect_untouched({"xai-us", "xai-eu"});
}

TEST_F(RouterTest, RateLimitIsRetriedAfterRetryAfter) {
  build(specs());
  set("ds-a", "status=429;retry_after=2");
  on_sleep = [&] { set("ds-a", "ok"); };  // the limit lifts while the router waits
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-a");
  ASSERT_EQ(slept.size(), 1u);
  EXPECT_GE(slept[0], milliseconds(2000));
  ASSERT_EQ(r.attempts.size(), 2u);
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kRateLimited);
  EXPECT_EQ(r.attempts[1].waited, slept[0]);
  expect_untouched({"ds-b"});
}

TEST_F(RouterTest, RetryAfterBeyondTheLimitFailsOverAtOnce) {
  RouterOptions o;
  o.retry.max_retry_after = milliseconds(1000);
  build(specs(), o);
  set("ds-a", "status=429;retry_after=60");
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-b");
  EXPECT_EQ(mocks["ds-a"]->request_count(), 1u);
  EXPECT_TRUE(slept.empty());
}

TEST_F(RouterTest, ConnectFailuresFailOverToTheOnboardEngineWithItsModel) {
  build(specs(/*max_retries=*/1));
  ASSERT_TRUE(mocks["ds-a"]->set_accepting(false).is_ok());
  set("ds-b", "reset");
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "onboard");
  EXPECT_EQ(onboard->last_model, "fleetgate-onboard") << "the onboard engine gets a model it serves";
  ASSERT_EQ(r.attempts.size(), 5u);
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kConnectError);
  EXPECT_EQ(r.attempts[2].outcome, Outcome::kConnectError);
  expect_untouched({"xai-us", "xai-eu"});
}

// The gateway's overhead header subtracts this from its own time: whole milliseconds would
// count most of a sub-millisecond provider call as gateway overhead.
TEST_F(RouterTest, AttemptLatencyKeepsMicroseconds) {
  build(specs(/*max_retries=*/0));
  ASSERT_TRUE(mocks["ds-a"]->set_accepting(false).is_ok());
  ASSERT_TRUE(mocks["ds-b"]->set_accepting(false).is_ok());
  onboard->think = std::chrono::microseconds(1500);
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  ASSERT_EQ(r.provider_id, "onboard");
  EXPECT_GE(r.attempts.back().latency, std::chrono::microseconds(1500));
}

TEST_F(RouterTest, MalformedRequestIsReturnedWithoutFailover) {
  build(specs());
  set("ds-a", "status=400");
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  EXPECT_EQ(r.outcome, Outcome::kRejected);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(r.provider_id, "ds-a");
  EXPECT_NE(r.body.find("invalid_request_error"), std::string::npos);
  expect_untouched({"ds-b"});
  EXPECT_EQ(breaker("ds-a"), BreakerState::kClosed);
}

TEST_F(RouterTest, AllFailingIsA503NamingEveryProviderAndReason) {
  auto providers = specs(/*max_retries=*/0);
  build(providers);
  set("xai-us", "status=502");
  // Without the onboard engine the us chain has only xai-us.
  auto p = mock::fleet_policy(
      mock::fleet_config_toml(providers, {{"cn", {"ds-a"}}, {"us", {"xai-us"}}, {"eu", {"xai-eu"}}}));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  auto only_upstream = Router::create(*p, make_upstream_providers((*p)->config(), client));
  ASSERT_TRUE(only_upstream.is_ok());
  RouteResult r = await_blocking((*only_upstream)->complete(residency::Car{"us"}, request, cancel));
  EXPECT_EQ(r.outcome, Outcome::kServerError);
  EXPECT_EQ(r.http_status, 503);
  json::object err = json::parse(r.body).as_object().at("error").as_object();
  EXPECT_EQ(err.at("code"), "all_providers_failed");
  EXPECT_NE(std::string(err.at("message").as_string()).find("xai-us: server_error (HTTP 502"), std::string::npos)
      << err.at("message");
  EXPECT_EQ(err.at("attempts").as_array().size(), 1u);

  RouteResult nowhere = await_blocking(router->complete(residency::Car{"mars"}, request, cancel));
  EXPECT_EQ(nowhere.http_status, 503);
  EXPECT_EQ(nowhere.outcome, Outcome::kDenied);
}

TEST_F(RouterTest, UnconfiguredProviderIsSkippedWithoutContact) {
  auto providers = specs();
  providers[0].api_key_env = "FG_ROUTER_TEST_UNSET_KEY";  // ds-a
  ASSERT_EQ(providers[0].id, "ds-a");
  ::unsetenv("FG_ROUTER_TEST_UNSET_KEY");
  build(providers);
  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-b");
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kUnconfigured);
  EXPECT_NE(r.attempts[0].detail.find("FG_ROUTER_TEST_UNSET_KEY"), std::string::npos);
  expect_untouched({"ds-a"});
}

TEST_F(RouterTest, BreakerOpensAfterFailuresAndHalfOpensAfterCoolDown) {
  build(specs(/*max_retries=*/2));  // threshold 3: one routed request opens it
  set("ds-a", "status=503");
  ASSERT_TRUE(await_blocking(router->complete(residency::Car{"cn"}, request, cancel)).ok());
  EXPECT_EQ(breaker("ds-a"), BreakerState::kOpen);
  EXPECT_EQ(mocks["ds-a"]->request_count(), 3u);

  RouteResult r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kCircuitOpen);
  EXPECT_EQ(mocks["ds-a"]->request_count(), 3u) << "an open breaker keeps the provider uncontacted";

  now += milliseconds(30000);
  EXPECT_EQ(breaker("ds-a"), BreakerState::kHalfOpen);
  set("ds-a", "ok");
  r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.provider_id, "ds-a") << "the half-open probe goes through";
  EXPECT_EQ(breaker("ds-a"), BreakerState::kClosed);
}

TEST_F(RouterTest, StreamFailsOverBeforeTheFirstEvent) {
  build(specs());
  set("ds-a", "status=503");
  RecordingSink sink;
  RouteResult r = await_blocking(router->stream(residency::Car{"cn"}, request, sink, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-b");
  ASSERT_FALSE(sink.events.empty());
  EXPECT_EQ(identity_of(sink.events[0]), "ds-b");
  EXPECT_EQ(r.events, sink.events.size());
  EXPECT_TRUE(sink.errors.empty());
}

// Before each attempt the sink learns the route's time so far in provider calls and backoff, so
// the gateway can leave it out of its own (x-fleetgate-overhead-us).
TEST_F(RouterTest, EachStreamAttemptStartsWithTheProviderTimeSoFar) {
  build(specs(1));
  set("ds-a", "status=503");
  struct TimingSink : RecordingSink {
    void attempt_started(std::string_view, std::chrono::microseconds provider_time) override {
      provider_times.push_back(provider_time);
    }
    std::vector<std::chrono::microseconds> provider_times;
  } sink;
  RouteResult r = await_blocking(router->stream(residency::Car{"cn"}, request, sink, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  ASSERT_EQ(r.attempts.size(), 3u);  // ds-a, ds-a after a backoff, ds-b
  ASSERT_EQ(sink.provider_times.size(), 3u);
  std::chrono::microseconds before(0);
  for (size_t i = 0; i < r.attempts.size(); ++i) {
    EXPECT_EQ(sink.provider_times[i], before + r.attempts[i].waited) << "attempt " << i;
    before += r.attempts[i].latency + r.attempts[i].waited;
  }
  EXPECT_GT(r.attempts[1].waited.count(), 0);
  EXPECT_EQ(r.provider_time(), before);
}

TEST_F(RouterTest, MidStreamBreakEndsWithAnErrorEventAndNoFailover) {
  build(specs());
  set("ds-a", "content=a b c d e;break_after=2");
  RecordingSink sink;
  RouteResult r = await_blocking(router->stream(residency::Car{"cn"}, request, sink, cancel));
  EXPECT_EQ(r.outcome, Outcome::kStreamBroken);
  EXPECT_EQ(r.provider_id, "ds-a");
  EXPECT_EQ(sink.events.size(), 2u);
  ASSERT_EQ(sink.errors.size(), 1u);
  EXPECT_EQ(json::parse(sink.errors[0]).at("error").at("code"), "stream_interrupted");
  EXPECT_EQ(mocks["ds-a"]->request_count(), 1u) << "no retry once the vehicle has part of the answer";
  expect_untouched({"ds-b"});
  EXPECT_EQ(onboard->calls, 0);
}

// A sink that holds back every event of one provider (as the gateway holds tool-call pieces):
// the vehicle sees nothing of that provider's answer.
struct HoldingSink : RecordingSink {
  explicit HoldingSink(std::string held_from) : held_from(std::move(held_from)) {}
  boost::asio::awaitable<Relayed> send_event(std::string_view data) override {
    if (provider != held_from) co_return co_await RecordingSink::send_event(data);
    ++held;
    co_return Relayed::kHeld;
  }
  void attempt_started(std::string_view id, std::chrono::microseconds) override { provider = id; }
  std::string held_from;
  std::string provider;
  size_t held = 0;
};

TEST_F(RouterTest, AStreamThatBrokeWhileEverythingWasHeldFailsOver) {
  build(specs());
  set("ds-a", "content=a b c d e;break_after=2");
  HoldingSink sink("ds-a");
  RouteResult r = await_blocking(router->stream(residency::Car{"cn"}, request, sink, cancel));
  ASSERT_TRUE(r.ok()) << r.body;
  EXPECT_EQ(r.provider_id, "ds-b");
  EXPECT_EQ(sink.held, 2u);
  ASSERT_FALSE(sink.events.empty());
  EXPECT_EQ(identity_of(sink.events[0]), "ds-b");
  EXPECT_EQ(r.events, sink.events.size()) << "only what reached the vehicle counts";
  EXPECT_TRUE(sink.errors.empty());
  ASSERT_EQ(r.attempts.size(), 2u);
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kStreamBroken);
  EXPECT_EQ(mocks["ds-a"]->request_count(), 1u);
  expect_untouched({"xai-us", "xai-eu"});
  EXPECT_EQ(onboard->calls, 0);
}

// A sink that refuses an answer after `accept` events, saying why (as the gateway does for an
// answer past its limits).
struct RefusingSink : RecordingSink {
  explicit RefusingSink(size_t accept) : accept(accept) {}
  boost::asio::awaitable<Relayed> send_event(std::string_view data) override {
    if (events.size() == accept) {
      why = "too much";
      co_return Relayed::kStop;
    }
    co_return co_await RecordingSink::send_event(data);
  }
  void attempt_started(std::string_view, std::chrono::microseconds) override { why.reset(); }
  std::optional<std::string> refusal() const override { return why; }
  size_t accept;
  std::optional<std::string> why;
};

TEST_F(RouterTest, AnAnswerTheSinkRefusesIsABadResponseFromItsProvider) {
  build(specs(0));
  set("ds-a", "content=a b c d e;chunk_delay_ms=50");  // the mock is still answering when refused
  RefusingSink midway(2);
  RouteResult r = await_blocking(router->stream(residency::Car{"cn"}, request, midway, cancel));
  EXPECT_EQ(r.outcome, Outcome::kStreamBroken);
  EXPECT_EQ(r.provider_id, "ds-a");
  ASSERT_EQ(r.attempts.size(), 1u);
  EXPECT_EQ(r.attempts[0].outcome, Outcome::kBadResponse);
  EXPECT_EQ(r.attempts[0].detail, "too much");
  ASSERT_EQ(midway.errors.size(), 1u);
  EXPECT_NE(midway.errors[0].find("too much"), std::string::npos) << midway.errors[0];
  EXPECT_TRUE(mocks["ds-a"]->wait_for_abandoned(1, kPatience)) << "the refused stream is not read on";
  expect_untouched({"ds-b"});

  // Refused before anything was relayed: the next provider of the chain answers.
  RefusingSink at_once(0);
  r = await_blocking(router->stream(residency::Car{"cn"}, request, at_once, cancel));
  EXPECT_EQ(r.outcome, Outcome::kBadResponse) << "every attempt refused, the onboard one too";
  for (const Attempt& a : r.attempts) EXPECT_EQ(a.outcome, Outcome::kBadResponse) << a.provider_id;
  EXPECT_EQ(mocks["ds-b"]->request_count(), 1u);
  EXPECT_TRUE(at_once.errors.empty());
}

TEST_F(RouterTest, CancelStopsRoutingAndClosesTheUpstreamConnection) {
  build(specs());
  set("ds-a", "latency_ms=60000");
  RouteResult r;
  std::thread vehicle([&] { r = await_blocking(router->complete(residency::Car{"cn"}, request, cancel)); });
  ASSERT_TRUE(mocks["ds-a"]->wait_for_requests(1, kPatience));
  cancel.cancel();
  vehicle.join();
  EXPECT_EQ(r.outcome, Outcome::kCancelled);
  EXPECT_EQ(r.http_status, 499);
  EXPECT_TRUE(mocks["ds-a"]->wait_for_abandoned(1, kPatience));
  expect_untouched({"ds-b"});
  EXPECT_EQ(onboard->calls, 0);
  EXPECT_EQ(breaker("ds-a"), BreakerState::kClosed) << "a cancelled call says nothing about the provider";
}

TEST_F(RouterTest, ForeignProviderInAChainIsRejectedAtLoad) {
  auto providers = specs();
  auto chains = kChains;
  chains["cn"] = {"ds-a", "xai-us"};
  auto p = mock::fleet_policy(mock::fleet_config_toml(providers, chains));
  ASSERT_FALSE(p.is_ok());
  EXPECT_EQ(p.status().code(), Code::kPermissionDenied);
  EXPECT_NE(p.status().message().find("xai-us"), std::string::npos);
}

// An implementation claiming a location other than its configured one cannot be registered.
TEST_F(RouterTest, ImplementationWithAnotherLocationIsRefused) {
  build(specs());
  config::Provider moved = *policy->config().provider("ds-a");
  moved.location = "us";
  auto r = Router::create(policy, {std::make_shared<FakeOnboard>(moved)});
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("ds-a"), std::string::npos);
}

TEST_F(RouterTest, EveryAttemptIsToAProviderThePolicyAllows) {
  build(specs(/*max_retries=*/0));
  for (const auto& [id, m] : mocks) m->set_scenario(*mock::parse_scenario("status=503"));
  for (const char* region : {"cn", "us", "eu"}) {
    for (const config::Provider* p : policy->permitted_chain(region)) {
      EXPECT_TRUE(policy->decide(residency::DataClass::kPersonalConversation, region, p->location).allowed);
    }
    json::object tagged = request;
    tagged["x_vehicle_region"] = region;
    RouteResult r = await_blocking(router->complete(residency::Car{region}, tagged, cancel));
    ASSERT_TRUE(r.ok()) << r.body;
    EXPECT_EQ(r.provider_id, "onboard");
    for (const Attempt& a : r.attempts) {
      const config::Provider* p = policy->config().provider(a.provider_id);
      ASSERT_NE(p, nullptr);
      EXPECT_TRUE(p->location == region || p->location == config::kVehicleLocation) << region << " -> " << a.provider_id;
    }
  }
  for (const auto& [id, m] : mocks) {
    EXPECT_EQ(m->request_count(), 1u) << id;
    for (const auto& req : m->requests()) {
      EXPECT_EQ(std::string(json::parse(req.body).at("x_vehicle_region").as_string()), m->location()) << id << " saw a foreign vehicle";
    }
  }
}

}  // namespace
}  // namespace fleetgate::assistant
