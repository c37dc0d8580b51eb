// Residency property: whatever outages happen, a vehicle's conversation reaches only providers
// located in its home region (or the onboard engine in the vehicle), and every request ends with
// an answer or a clear error.
//
// Split, to stay fast on two shared cores:
//  - 100,000 routed requests against in-process fake providers (one per configured provider, each
//    knowing its location), with outages toggled at random between requests;
//  - 2,000 routed requests over real HTTP against one MockUpstream per provider, with outages
//    toggled on the mocks (HTTP errors, 429, connection resets, refused connections); the
//    mocks' own request records are the evidence.
// Both use the same config, chains and checks; the fixed seeds make failures reproducible.
#include "fleetgate/assistant/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <random>

#include <boost/json.hpp>

#include "fleetgate/assistant/upstream_provider.h"
#include "fleetgate/http/blocking.h"
#include "mock_upstream/mock_fleet.h"
#include "mock_upstream/mock_upstream.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using std::chrono::milliseconds;
using http::await_blocking;

const std::vector<std::string> kRegions = {"cn", "us", "eu"};
const std::vector<std::string> kUpstreams = {"cn-1", "cn-2", "us-1", "us-2", "eu-1", "eu-2"};
const std::map<std::string, std::vector<std::string>> kChains = {
    {"cn", {"cn-1", "cn-2", "onboard"}}, {"us", {"us-1", "us-2", "onboard"}}, {"eu", {"eu-1", "eu-2", "onboard"}}};

std::string location_of(const std::string& id) { return id == "onboard" ? "vehicle" : id.substr(0, 2); }

std::vector<mock::ProviderSpec> specs(const std::function<std::string(const std::string&)>& base_url) {
  std::vector<mock::ProviderSpec> out;
  for (const auto& id : kUpstreams) out.push_back({id, location_of(id), base_url(id), "", {"mock-model"}, 1});
  out.push_back({"onboard", "vehicle", "", "", {"mock-model"}, 0});
  return out;
}

std::shared_ptr<const residency::Policy> policy_for(const std::vector<mock::ProviderSpec>& providers) {
  auto p = mock::fleet_policy(mock::fleet_config_toml(providers, kChains));
  EXPECT_TRUE(p.is_ok()) << p.status().to_string();
  return std::move(p).value();
}

json::object vehicle_request(const std::string& region, bool stream) {
  return {{"model", "mock-model"},
          {"stream", stream},
          {"messages", json::array{json::object{{"role", "user"}, {"content", "open the window a bit"}}}},
          {"x_vehicle_region", region}};
}

// What a fake does on its next call.
enum class Mode { kOk, kServerError, kRateLimited, kConnectError, kBadResponse, kBreakMidStream };
constexpr Mode kModes[] = {Mode::kOk,           Mode::kServerError, Mode::kRateLimited,
                           Mode::kConnectError, Mode::kBadResponse, Mode::kBreakMidStream};

// A provider in-process: checks every request against its own location.
class FakeRegionalProvider : public InProcessProvider {
 public:
  explicit FakeRegionalProvider(config::Provider cfg) : cfg_(std::move(cfg)) {}
  const config::Provider& config() const override { return cfg_; }
  Status ready() const override { return Status::ok(); }

  ProviderReply complete(const json::object& request, const CancelToken&) override {
    observe(request);
    if (Mode m = mode; m != Mode::kOk && m != Mode::kBreakMidStream) return failure(m);
    return {Outcome::kOk, 200, R"({"object":"chat.completion","served_by":")" + cfg_.id + "\"}", {}, "", 0};
  }

  ProviderReply stream(const json::object& request, const EventCallback& on_event, const CancelToken&) override {
    observe(request);
    const Mode m = mode;
    if (m != Mode::kOk && m != Mode::kBreakMidStream) return failure(m);
    if (!on_event(R"({"object":"chat.completion.chunk","served_by":")" + cfg_.id + "\"}")) {
      return {Outcome::kCancelled, 200, "", {}, "vehicle gone", 1};
    }
    if (m == Mode::kBreakMidStream) return {Outcome::kStreamBroken, 200, "", {}, "connection reset", 1};
    return {Outcome::kOk, 200, "", {}, "", 1};
  }

  std::atomic<Mode> mode{Mode::kOk};
  std::atomic<uint64_t> calls{0};
  std::atomic<uint64_t> foreign{0};  // requests from vehicles homed outside this provider's location
  std::atomic<uint64_t> covered{0};  // requests marked "x_covered": from cars an origin rule covers

 private:
  void observe(const json::object& request) {
    ++calls;
    if (const json::value* c = request.if_contains("x_covered"); c != nullptr && c->is_bool() && c->as_bool()) ++covered;
    const std::string region(request.at("x_vehicle_region").as_string());
    if (cfg_.location != config::kVehicleLocation && cfg_.location != region) ++foreign;
  }
  static ProviderReply failure(Mode m) {
    switch (m) {
      case Mode::kServerError: return {Outcome::kServerError, 503, "", {}, "HTTP 503", 0};
      case Mode::kRateLimited: return {Outcome::kRateLimited, 429, "", milliseconds(1000), "HTTP 429", 0};
      case Mode::kConnectError: return {Outcome::kConnectError, 0, "", {}, "connection refused", 0};
      default: return {Outcome::kBadResponse, 200, "", {}, "not JSON", 0};
    }
  }

  config::Provider cfg_;
};

struct NullSink : StreamSink {
  boost::asio::awaitable<Relayed> send_event(std::string_view) override {
    ++events;
    co_return Relayed::kToVehicle;
  }
  boost::asio::awaitable<void> send_error_and_close(std::string_view error_json) override {
    errors.emplace_back(error_json);
    co_return;
  }
  size_t events = 0;
  std::vector<std::string> errors;
};

// The property for one routed request; counts what happened.
struct Tally {
  uint64_t answered = 0, all_failed = 0, broken_streams = 0;
};

void check_result(const std::string& region, bool stream, const RouteResult& r, const NullSink& sink,
                  const residency::Policy& policy, Tally& tally) {
  for (const Attempt& a : r.attempts) {
    if (a.outcome == Outcome::kDenied) continue;  // recorded but never contacted
    const config::Provider* p = policy.config().provider(a.provider_id);
    ASSERT_NE(p, nullptr);
    ASSERT_TRUE(p->location == region || p->location == config::kVehicleLocation)
        << "vehicle of " << region << " routed to " << a.provider_id;
  }
  if (r.ok()) {
    ++tally.answered;
    ASSERT_TRUE(location_of(r.provider_id) == region || r.provider_id == "onboard");
    if (stream) {
      ASSERT_GT(sink.events, 0u);
    } else {
      ASSERT_FALSE(r.body.empty());
    }
  } else if (r.outcome == Outcome::kStreamBroken) {
    ++tally.broken_streams;
    ASSERT_TRUE(stream);
    ASSERT_EQ(sink.errors.size(), 1u) << "a broken stream ends with one error event";
  } else {
    ++tally.all_failed;
    ASSERT_EQ(r.http_status, 503) << r.body;
    json::value body = json::parse(r.body);
    ASSERT_EQ(body.at("error").at("code"), "all_providers_failed");
    ASSERT_FALSE(body.at("error").at("attempts").as_array().empty());
  }
}

RouterOptions fast_options(std::chrono::steady_clock::time_point& now) {
  RouterOptions o;
  o.sleep = [](milliseconds, const CancelToken&) -> boost::asio::awaitable<bool> { co_return true; };  // not slept here
  o.now = [&now] { return now; };
  o.breaker.failure_threshold = 3;
  o.breaker.cool_down = milliseconds(5000);
  o.jitter_seed = 7;
  return o;
}


// One request from a vehicle of a random region, streamed half the time, routed and checked.
// Draws the region, then the mode, from `rng` (the tests' fixed seeds depend on that order).
void route_random_request(Router& router, std::mt19937_64& rng, const residency::Policy& policy,
                          const CancelToken& cancel, Tally& tally) {
  std::uniform_int_distribution<size_t> pick_region(0, kRegions.size() - 1);
  std::bernoulli_distribution streaming(0.5);
  const std::string& region = kRegions[pick_region(rng)];
  const bool stream = streaming(rng);
  NullSink sink;
  json::object request = vehicle_request(region, stream);
  RouteResult r = stream ? await_blocking(router.stream(residency::Car{region}, request, sink, cancel))
                         : await_blocking(router.complete(residency::Car{region}, request, cancel));
  check_result(region, stream, r, sink, policy, tally);
}

TEST(RouterResidency, HundredThousandRequestsWithRandomOutagesStayInRegion) {
  auto policy = policy_for(specs([](const std::string& id) { return "http://" + id + ".invalid"; }));
  std::map<std::string, std::shared_ptr<FakeRegionalProvider>> fakes;
  std::vector<std::shared_ptr<Provider>> impls;
  for (const config::Provider& p : policy->config().providers) {
    fakes[p.id] = std::make_shared<FakeRegionalProvider>(p);
    impls.push_back(fakes[p.id]);
  }
  std::chrono::steady_clock::time_point now{};
  auto router = Router::create(policy, impls, fast_options(now));
  ASSERT_TRUE(router.is_ok()) << router.status().to_string();

  std::mt19937_64 rng(20240601);
  std::uniform_int_distribution<size_t> pick_mode(0, std::size(kModes) - 1),
      pick_fake(0, kUpstreams.size());  // the last index is the onboard engine
  std::bernoulli_distribution toggle(0.05), heal(0.3);
  Tally tally;
  CancelToken cancel;
  constexpr int kRequests = 100000;
  for (int i = 0; i < kRequests; ++i) {
    if (toggle(rng)) {
      const size_t k = pick_fake(rng);
      const std::string id = k == kUpstreams.size() ? "onboard" : kUpstreams[k];
      fakes[id]->mode = heal(rng) ? Mode::kOk : kModes[pick_mode(rng)];
    }
    now += milliseconds(100);
    ASSERT_NO_FATAL_FAILURE(route_random_request(**router, rng, *policy, cancel, tally)) << "request " << i;
  }
  uint64_t contacted = 0;
  for (const auto& [id, fake] : fakes) {
    EXPECT_EQ(fake->foreign.load(), 0u) << id << " received a conversation from another region";
    EXPECT_GT(fake->calls.load(), 0u) << id << " was never used: the test would prove little";
    contacted += fake->calls.load();
  }
  EXPECT_EQ(tally.answered + tally.all_failed + tally.broken_streams, static_cast<uint64_t>(kRequests));
  EXPECT_GT(tally.all_failed, 0u) << "outages should sometimes take a whole chain down";
  EXPECT_GT(tally.answered, tally.all_failed);
  std::cout << "[residency] fakes: " << tally.answered << " answered, " << tally.all_failed << " all-failed (503), "
            << tally.broken_streams << " broken streams, " << contacted << " provider calls\n";
}

TEST(RouterResidency, TwoThousandRequestsOverHttpMocksStayInRegion) {
  std::map<std::string, std::unique_ptr<mock::MockUpstream>> mocks;
  for (const auto& id : kUpstreams) {
    mock::MockOptions o;
    o.identity = id;
    o.location = location_of(id);
    auto m = mock::MockUpstream::start(o);
    ASSERT_TRUE(m.is_ok()) << m.status().to_string();
    mocks[id] = std::move(m).value();
  }
  auto policy = policy_for(specs([&](const std::string& id) { return mocks.at(id)->base_url(); }));
  auto client = UpstreamClient::create();
  ASSERT_TRUE(client.is_ok());
  std::vector<std::shared_ptr<Provider>> impls = make_upstream_providers(policy->config(), *client);
  auto onboard = std::make_shared<FakeRegionalProvider>(*policy->config().provider("onboard"));
  impls.push_back(onboard);
  std::chrono::steady_clock::time_point now{};
  auto router = Router::create(policy, impls, fast_options(now));
  ASSERT_TRUE(router.is_ok()) << router.status().to_string();

  const char* outages[] = {"status=500", "status=502", "status=503", "status=429;retry_after=1", "reset",
                           "content=a b c;break_after=1"};
  std::mt19937_64 rng(99);
  std::uniform_int_distribution<size_t> pick_mock(0, kUpstreams.size() - 1),
      pick_outage(0, std::size(outages) - 1);
  std::bernoulli_distribution toggle(0.1), heal(0.4), refuse(0.1), onboard_down(0.02);
  std::map<std::string, bool> refusing;
  Tally tally;
  CancelToken cancel;
  constexpr int kRequests = 2000;
  for (int i = 0; i < kRequests; ++i) {
    if (toggle(rng)) {
      auto& m = *mocks[kUpstreams[pick_mock(rng)]];
      const bool down = refuse(rng);
      if (down != refusing[m.identity()]) {
        ASSERT_TRUE(m.set_accepting(!down).is_ok());
        refusing[m.identity()] = down;
      }
      m.set_scenario(*mock::parse_scenario(heal(rng) ? "ok" : outages[pick_outage(rng)]));
    }
    if (onboard_down(rng)) onboard->mode = onboard->mode == Mode::kOk ? Mode::kServerError : Mode::kOk;
    now += milliseconds(100);
    ASSERT_NO_FATAL_FAILURE(route_random_request(**router, rng, *policy, cancel, tally)) << "request " << i;
  }
  size_t recorded = 0;
  for (const auto& [id, m] : mocks) {
    auto seen = m->requests();
    EXPECT_FALSE(seen.empty()) << id << " was never contacted: the test would prove little";
    for (const auto& req : seen) {
      ASSERT_EQ(std::string(json::parse(req.body).at("x_vehicle_region").as_string()), m->location())
          << id << " (" << m->location() << ") received a conversation from another region";
    }
    recorded += seen.size();
  }
  EXPECT_EQ(onboard->foreign.load(), 0u);
  EXPECT_EQ(tally.answered + tally.all_failed + tally.broken_streams, static_cast<uint64_t>(kRequests));
  std::cout << "[residency] http mocks: " << tally.answered << " answered, " << tally.all_failed
            << " all-failed (503), " << tally.broken_streams << " broken streams, " << recorded
            << " upstream requests recorded\n";
}

// The origin rule (15 CFR part 791 subpart D style) over a generated fleet: US cars of model year
// 2027 on, and US cars whose model year is unknown, never reach the provider developed in CN that
// the us region's chain prefers, whatever outages happen; older US cars and cn's cars still use
// CN-developed providers, so the rule is the only thing keeping the covered ones away.
TEST(RouterResidency, AGeneratedFleetNeverReachesAProviderOfAnOriginItsMarketProhibits) {
  std::vector<mock::ProviderSpec> providers = {
      {"cn-1", "cn", "http://cn-1.invalid", "", {"mock-model"}, 1, 5000, "", "CN"},
      {"us-cn", "us", "http://us-cn.invalid", "", {"mock-model"}, 1, 5000, "", "CN"},
      {"us-1", "us", "http://us-1.invalid", "", {"mock-model"}, 1, 5000, "", "US"},
      {"eu-1", "eu", "http://eu-1.invalid", "", {"mock-model"}, 1, 5000, "", "US"},
      {"onboard", "vehicle", "", "", {"mock-model"}, 0, 5000, "", "DE"}};
  const std::map<std::string, std::vector<std::string>> chains = {
      {"cn", {"cn-1", "onboard"}}, {"us", {"us-cn", "us-1", "onboard"}}, {"eu", {"eu-1", "onboard"}}};
  auto policy = mock::fleet_policy(mock::fleet_config_toml(providers, chains) +
                                   "[[compliance.prohibited_origins]]\nmarkets = [\"US\"]\norigins = [\"CN\", \"RU\"]\n"
                                   "from_model_year = 2027\nreference = \"15 CFR 791 subpart D\"\n");
  ASSERT_TRUE(policy.is_ok()) << policy.status().to_string();
  std::map<std::string, std::shared_ptr<FakeRegionalProvider>> fakes;
  std::vector<std::shared_ptr<Provider>> impls;
  for (const config::Provider& p : (*policy)->config().providers) {
    fakes[p.id] = std::make_shared<FakeRegionalProvider>(p);
    impls.push_back(fakes[p.id]);
  }
  std::chrono::steady_clock::time_point now{};
  auto router = Router::create(*policy, impls, fast_options(now));
  ASSERT_TRUE(router.is_ok()) << router.status().to_string();

  const std::vector<std::pair<std::string, std::string>> markets = {{"US", "us"}, {"US", "us"}, {"CN", "cn"}, {"DE", "eu"}};
  std::mt19937_64 rng(791);
  std::uniform_int_distribution<size_t> pick_market(0, markets.size() - 1), pick_mode(0, std::size(kModes) - 1);
  std::uniform_int_distribution<int> pick_year(2014, 2031);  // 2014 stands for "the VIN does not tell"
  std::bernoulli_distribution toggle(0.05), heal(0.3), streaming(0.5);
  uint64_t covered_total = 0, covered_answered = 0, covered_denied_seen = 0;
  CancelToken cancel;
  for (int i = 0; i < 20000; ++i) {
    if (toggle(rng)) {
      auto it = std::next(fakes.begin(), static_cast<long>(rng() % fakes.size()));
      it->second->mode = heal(rng) ? Mode::kOk : kModes[pick_mode(rng)];
    }
    now += milliseconds(100);
    const auto& [market, region] = markets[pick_market(rng)];
    const int drawn = pick_year(rng);
    const std::optional<int> year = drawn == 2014 ? std::nullopt : std::optional<int>(drawn);
    const bool covered = market == "US" && (!year || *year >= 2027);
    const bool stream = streaming(rng);
    json::object request = vehicle_request(region, stream);
    request["x_covered"] = covered;
    NullSink sink;
    const residency::Car car{region, market, year};
    RouteResult r = stream ? await_blocking((*router)->stream(car, request, sink, cancel))
                           : await_blocking((*router)->complete(car, request, cancel));
    if (!covered) continue;
    ++covered_total;
    if (r.ok()) ++covered_answered;
    ASSERT_NE(r.provider_id, "us-cn") << "request " << i;
    ASSERT_FALSE(r.attempts.empty());
    const Attempt& first = r.attempts.front();
    ASSERT_EQ(first.provider_id, "us-cn");
    ASSERT_EQ(first.outcome, Outcome::kDenied) << "request " << i;
    if (first.detail.find("15 CFR 791 subpart D") != std::string::npos) ++covered_denied_seen;
  }
  EXPECT_EQ(fakes["us-cn"]->covered.load(), 0u) << "a covered car reached the CN-developed provider";
  EXPECT_GT(fakes["us-cn"]->calls.load(), 1000u) << "older US cars should still use it: the test would prove little";
  EXPECT_GT(fakes["cn-1"]->calls.load(), 1000u);
  EXPECT_GT(covered_answered, 1000u);
  EXPECT_EQ(covered_denied_seen, covered_total) << "every refusal names the rule";
}

}  // namespace
}  // namespace fleetgate::assistant
