// The console's server side through the real service: assets and their headers, sign-in and its
// cookie, the cookie as an API credential with the CSRF defence, expiry and sign-out, and the
// overview (plain and streamed) cut to the caller's regions. On both control-plane backends: a
// session lives in the control store, so every node on a shared PostgreSQL honours it.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <thread>

#include "fleetgate/access/certificate_request_testing.h"
#include "fleetgate/access/credentials.h"
#include "fleetgate/app/service.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/learning/checkpoint.h"
#include "fleetgate/learning/checkpoint_fixture.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/synthetic_dataset.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/vin.h"
#include "support/running_service.h"

namespace fleetgate {
namespace {

namespace json = boost::json;
using http::testing::HeaderList;
using http::testing::TestClient;

constexpr std::string_view kEuCar = "LRW3E7EA8PC390117";

// A valid VIN (check digit included) of a Shanghai-built car with its own serial.
std::string test_vin(int serial) {
  std::string digits = std::to_string(serial);
  std::string vin = "LRW3E7EK0RC" + std::string(6 - digits.size(), '0') + digits;
  vin[8] = vehicle::check_digit(vin).value_or('0');
  return vin;
}

class ConsoleTest : public ::testing::Test {
 protected:
  void start(int session_seconds = 3600) {
    spdlog::set_level(spdlog::level::warn);
    const auto config_file = dir_ / "fleetgate.toml";
    std::ofstream(config_file) << "[server]\ndata_dir = \"data\"\n"
                               << "[console]\nsession_seconds = " << session_seconds << "\n"
                               << "[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n"
                                  "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n"
                                  "[markets]\nCN = \"cn\"\nDE = \"eu\"\nFR = \"eu\"\n"
                                  "[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = \"vehicle\"\n"
                                  "models = [\"fleetgate-onboard\"]\n";
    auto service = fleetgate::testing::start_service(config_file);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
    client_ = std::make_unique<TestClient>("127.0.0.1", service_->port());
    auto& creds = *service_->control_plane().credentials;
    ASSERT_TRUE(creds.add_user("eve", {"operator"}, {"eu"}, "test").is_ok());
    ASSERT_TRUE(creds.add_user("ada", {"admin", "auditor"}, {"*"}, "test").is_ok());
    eve_ = *creds.issue_user_token("eve", "test");
    ada_ = *creds.issue_user_token("ada", "test");
  }
  void TearDown() override {
    if (service_) service_->stop();
  }

  struct Session {
    std::string cookie;  // "fleetgate_session=..."
    std::string csrf;
  };
  Session sign_in(const std::string& token) {
    auto r = client_->post("/console/session", json::serialize(json::object{{"token", token}}),
                           {{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "same-origin"}});
    EXPECT_TRUE(r.is_ok());
    if (!r.is_ok()) return {};
    EXPECT_EQ(r->status, 201u) << r->body;
    const std::string set_cookie(r->header("Set-Cookie"));
    return Session{set_cookie.substr(0, set_cookie.find(';')),
                   std::string(json::parse(r->body).at("csrf_token").as_string())};
  }
  unsigned status(http::Verb verb, const std::string& target, HeaderList headers, std::string body = {}) {
    client_->close();
    auto r = client_->request(verb, target, std::move(body), headers);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? r->status : 0;
  }
  // Status and parsed body (null when it is not JSON) of one request as `token`'s user.
  std::pair<unsigned, json::value> as(const std::string& token, http::Verb verb, const std::string& target,
                                      std::string body = {}) {
    client_->close();
    HeaderList headers{{"Authorization", "Bearer " + token}};
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    auto r = client_->request(verb, target, std::move(body), headers);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    if (!r.is_ok()) return {0u, nullptr};
    boost::system::error_code ec;
    json::value v = json::parse(r->body, ec);
    return {r->status, ec ? json::value(nullptr) : v};
  }
  // Registers the car in `market` (eu: DE, FR; cn: CN).
  void register_car(std::string_view vin, const char* market) {
    ASSERT_TRUE(service_->control_plane().registry->register_vehicle(vin, market, "", "test").is_ok());
  }
  std::string last_audit_action() {
    auto tail = service_->control_plane().audit->tail(1);
    return tail.is_ok() && !tail->empty() ? tail->front().action : "";
  }

  std::vector<std::string> overview_regions(const HeaderList& headers) {
    auto r = client_->get("/v1/console/overview", headers);
    EXPECT_TRUE(r.is_ok());
    std::vector<std::string> ids;
    if (!r.is_ok()) return ids;
    EXPECT_EQ(r->status, 200u) << r->body;
    const json::value body = json::parse(r->body);
    for (const auto& region : body.at("regions").as_array()) ids.emplace_back(region.at("id").as_string());
    return ids;
  }

  store::TestDir dir_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<TestClient> client_;
  std::string eve_, ada_;
};

TEST_F(ConsoleTest, AssetsCarryAStrictPolicyAndNothingElseIsServed) {
  start();
  auto page = client_->get("/console");
  ASSERT_TRUE(page.is_ok());
  EXPECT_EQ(page->status, 200u);
  EXPECT_EQ(page->header("Content-Type"), "text/html; charset=utf-8");
  const std::string csp(page->header("Content-Security-Policy"));
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
  EXPECT_EQ(page->header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page->header("Cache-Control"), "no-cache");
  EXPECT_NE(page->body.find("/console/app.js"), std::string::npos);
  const std::string etag(page->header("ETag"));
  ASSERT_FALSE(etag.empty());
  auto again = client_->get("/console", {{"If-None-Match", etag}});
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(again->status, 304u);
  EXPECT_TRUE(again->body.empty());

  auto script = client_->get("/console/app.js");
  ASSERT_TRUE(script.is_ok());
  EXPECT_EQ(script->status, 200u);
  EXPECT_EQ(script->header("Content-Type"), "text/javascript; charset=utf-8");
  auto style = client_->get("/console/app.css");
  ASSERT_TRUE(style.is_ok());
  EXPECT_EQ(style->header("Content-Type"), "text/css; charset=utf-8");

  for (const char* target : {"/console/../CMakeLists.txt", "/console/%2e%2e/%2e%2e/etc/passwd", "/console/..%2fconfig/fleetgate.toml",
                             "/console//etc/passwd", "/console/missing.js", "/console/app.js/"}) {
    EXPECT_EQ(status(http::Verb::get, target, {}), 404u) << target;
  }
}

TEST_F(ConsoleTest, SignInSetsAHardenedCookieAndRefusesWhatIsNotAUsersSignIn) {
  start(5400);
  auto r = client_->post("/console/session", R"({"token":")" + eve_ + R"("})", {{"Content-Type", "application/json"}});
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->status, 201u) << r->body;
  const std::string cookie(r->header("Set-Cookie"));
  for (const char* flag : {"fleetgate_session=", "; Path=/", "; HttpOnly", "; SameSite=Strict", "; Max-Age=5400"}) {
    EXPECT_NE(cookie.find(flag), std::string::npos) << cookie;
  }
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: a Secure cookie would never come back";
  EXPECT_EQ(r->header("Cache-Control"), "no-store");
  const json::value body = json::parse(r->body);
  EXPECT_EQ(body.at("user").as_string(), "eve");
  EXPECT_EQ(body.at("regions").as_array(), json::array{"eu"});
  EXPECT_EQ(body.at("csrf_token").as_string().size(), 64u);

  const std::string id_cookie = cookie.substr(0, cookie.find(';'));
  auto current = client_->get("/console/session", {{"Cookie", id_cookie}});
  ASSERT_TRUE(current.is_ok());
  EXPECT_EQ(json::parse(current->body).at("csrf_token"), body.at("csrf_token"));
  auto none = client_->get("/console/session");
  ASSERT_TRUE(none.is_ok());
  EXPECT_EQ(none->status, 200u);
  EXPECT_EQ(json::parse(none->body).at("signed_in"), false);

  const HeaderList json_type{{"Content-Type", "application/json"}};
  EXPECT_EQ(status(http::Verb::post, "/console/session", json_type, R"({"token":"fgu_wrong"})"), 401u);
  EXPECT_EQ(status(http::Verb::post, "/console/session", json_type, R"({"token":5})"), 400u);
  EXPECT_EQ(status(http::Verb::post, "/console/session", json_type, "not json"), 400u);
  EXPECT_EQ(status(http::Verb::post, "/console/session", {{"Content-Type", "application/x-www-form-urlencoded"}},
                   "token=" + eve_),
            415u)
      << "a cross-site form cannot sign a browser in";
  EXPECT_EQ(status(http::Verb::post, "/console/session", {{"Content-Type", "application/json"}, {"Sec-Fetch-Site", "cross-site"}},
                   R"({"token":")" + eve_ + R"("})"),
            403u);
  EXPECT_EQ(status(http::Verb::post, "/console/session", {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}},
                   R"({"token":")" + eve_ + R"("})"),
            403u);
}

TEST_F(ConsoleTest, TheCookieIsACredentialForReadsAndForWritesOnlyWithTheCsrfHeader) {
  start();
  const Session s = sign_in(eve_);
  EXPECT_EQ(status(http::Verb::get, "/v1/transfers", {{"Cookie", s.cookie}}), 200u);
  EXPECT_EQ(status(http::Verb::get, "/v1/vehicles", {{"Cookie", s.cookie}}), 200u);
  EXPECT_EQ(status(http::Verb::get, "/v1/vehicles?region=cn", {{"Cookie", s.cookie}}), 403u) << "eve's grant is eu";
  const std::string car = R"({"vin":"LRW3E7EA8PC390117","market":"DE"})";
  const HeaderList no_csrf{{"Cookie", s.cookie}, {"Content-Type", "application/json"}};
  EXPECT_EQ(status(http::Verb::post, "/v1/vehicles", no_csrf, car), 403u);
  EXPECT_EQ(status(http::Verb::delete_, "/console/session", {{"Cookie", s.cookie}}), 403u);
  HeaderList cross_site = no_csrf;
  cross_site.emplace_back("x-fleetgate-csrf", s.csrf);
  cross_site.emplace_back("Sec-Fetch-Site", "cross-site");
  EXPECT_EQ(status(http::Verb::post, "/v1/vehicles", cross_site, car), 403u);
  HeaderList with_csrf = no_csrf;
  with_csrf.emplace_back("x-fleetgate-csrf", s.csrf);
  EXPECT_EQ(status(http::Verb::post, "/v1/vehicles", with_csrf, car), 201u);

  auto out = client_->request(http::Verb::delete_, "/console/session", "", {{"Cookie", s.cookie}, {"x-fleetgate-csrf", s.csrf}});
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(out->status, 204u);
  EXPECT_NE(std::string(out->header("Set-Cookie")).find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(status(http::Verb::get, "/v1/transfers", {{"Cookie", s.cookie}}), 401u) << "signed out";

  auto tail = service_->control_plane().audit->tail(8);
  ASSERT_TRUE(tail.is_ok());
  std::vector<std::string> actions;
  for (const auto& e : *tail) actions.push_back(e.action);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "console.session.start"), actions.end());
  EXPECT_EQ(actions.back(), "console.session.end");
}

TEST_F(ConsoleTest, ASessionEndsWhenItsLifetimeIsOver) {
  start(1);
  const Session s = sign_in(eve_);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  unsigned last = 0;
  while ((last = status(http::Verb::get, "/v1/transfers", {{"Cookie", s.cookie}})) == 200u &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_EQ(last, 401u);
  auto current = client_->get("/console/session", {{"Cookie", s.cookie}});
  ASSERT_TRUE(current.is_ok());
  EXPECT_EQ(json::parse(current->body).at("signed_in"), false);
}

TEST_F(ConsoleTest, TheOverviewShowsOnlyTheCallersRegions) {
  start();
  EXPECT_EQ(overview_regions({{"Authorization", "Bearer " + eve_}}), std::vector<std::string>{"eu"});
  EXPECT_EQ(overview_regions({{"Cookie", sign_in(ada_).cookie}}), (std::vector<std::string>{"cn", "eu"}));
  auto r = client_->get("/v1/console/overview", {{"Authorization", "Bearer " + eve_}});
  ASSERT_TRUE(r.is_ok());
  const json::value body = json::parse(r->body);
  const json::object& eu = body.at("regions").as_array().at(0).as_object();
  EXPECT_EQ(eu.at("providers").as_array(), json::array{"onboard"});
  EXPECT_EQ(eu.at("breakers").at("onboard").as_string(), "closed");
  EXPECT_EQ(eu.at("pending_transfers").as_int64(), 0);
  for (const char* figure : {"cars_connected", "telemetry_records_total", "telemetry_records_per_s", "assistant_requests_per_s",
                             "failovers_total", "refused_tool_calls_total"}) {
    EXPECT_TRUE(eu.contains(figure)) << figure;
  }
}

// Polls the overview as eve (eu) until `figure` of eu is `want`, for at most 30 s; the last value.
double eu_figure(TestClient& client, const std::string& token, const char* figure, double want) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  double value = -1;
  do {
    auto r = client.get("/v1/console/overview", {{"Authorization", "Bearer " + token}});
    if (!r.is_ok() || r->status != 200u) return -1;
    const json::value body = json::parse(r->body);
    value = body.at("regions").at(0).at(figure).to_number<double>();
    if (value == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < give_up);
  return value;
}

TEST_F(ConsoleTest, TheOverviewCountsConnectedCarsAndTheirRecords) {
  start();
  const std::string vin = "LRW3E7EA8PC390117";
  auto& cp = service_->control_plane();
  ASSERT_TRUE(cp.registry->register_vehicle(vin, "DE", "", "test").is_ok());
  const std::string car = *cp.credentials->issue_vehicle_token(vin, "eu", "test");
  EXPECT_EQ(eu_figure(*client_, eve_, "cars_connected", 0), 0);
  auto ws = http::testing::TestWebSocket::connect("127.0.0.1", service_->port(), "/v1/telemetry/ws",
                                                  {{"Authorization", "Bearer " + car}});
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  EXPECT_EQ(eu_figure(*client_, eve_, "cars_connected", 1), 1);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  ASSERT_TRUE((*ws)->send(R"({"vin":")" + vin + R"(","created_at":)" + std::to_string(now) +
                          R"(,"seq":1,"data":[{"field":"speed","value":12.5}]})").is_ok());
  ASSERT_TRUE((*ws)->receive().is_ok()) << "the ack";
  EXPECT_EQ(eu_figure(*client_, eve_, "telemetry_records_total", 1), 1);
  ASSERT_TRUE((*ws)->close().is_ok());
  EXPECT_EQ(eu_figure(*client_, eve_, "cars_connected", 0), 0);
}

TEST_F(ConsoleTest, TheOverviewStreamEndsWithTheSession) {
  start();
  const Session s = sign_in(eve_);
  TestClient streamer("127.0.0.1", service_->port());
  auto stream = streamer.stream(http::Verb::get, "/v1/console/overview/stream", {}, {{"Cookie", s.cookie}});
  ASSERT_TRUE(stream.is_ok()) << stream.status().to_string();
  ASSERT_EQ((*stream)->status(), 200u);
  auto first = (*stream)->next();
  ASSERT_TRUE(first.is_ok() && first->has_value());
  EXPECT_EQ((*first)->event, "overview");
  EXPECT_EQ(json::parse((*first)->data).at("regions").as_array().size(), 1u);
  EXPECT_EQ(status(http::Verb::delete_, "/console/session", {{"Cookie", s.cookie}, {"x-fleetgate-csrf", s.csrf}}), 204u);
  for (;;) {
    auto event = (*stream)->next();
    ASSERT_TRUE(event.is_ok() && event->has_value()) << "the stream ended without its end event";
    if ((*event)->event == "overview") continue;  // sent before the sign-out
    EXPECT_EQ((*event)->event, "end");
    EXPECT_EQ(json::parse((*event)->data).at("error").at("code").as_string(), "unauthenticated");
    break;
  }
}

TEST_F(ConsoleTest, AuditorsVerifyTheChainOverHttp) {
  start();
  auto r = client_->get("/v1/audit/verify", {{"Authorization", "Bearer " + ada_}});
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->status, 200u) << r->body;
  const json::value v = json::parse(r->body);
  EXPECT_EQ(v.at("intact"), true);
  EXPECT_EQ(v.at("bad_seq"), nullptr);
  EXPECT_EQ(static_cast<uint64_t>(v.at("entries").as_int64()), service_->control_plane().audit->size());
  EXPECT_EQ(status(http::Verb::get, "/v1/audit/verify", {{"Authorization", "Bearer " + eve_}}), 403u);
}

// The console's audit filter: the server keeps the entries whose action starts with `action` and
// whose actor, subject and region are the ones asked for, and pages through them by next_seq.
TEST_F(ConsoleTest, AuditorsFilterTheChainAndPageThroughWhatMatches) {
  start();
  auto page = [&](const std::string& query) {
    auto r = client_->get("/v1/audit?" + query, {{"Authorization", "Bearer " + ada_}});
    EXPECT_TRUE(r.is_ok());
    EXPECT_EQ(r->status, 200u) << query << ": " << r->body;
    return r.is_ok() ? json::parse(r->body).as_object() : json::object{};
  };
  const json::array all = page("from_seq=1&limit=1000").at("entries").as_array();
  ASSERT_GE(all.size(), 3u);
  std::vector<json::value> users;  // what a filter on the "user." actions must give, in order
  for (const auto& e : all) {
    if (e.at("action").as_string().starts_with("user.")) users.push_back(e);
  }
  ASSERT_GE(users.size(), 2u) << "the fixture adds users";
  // One page with all of them, and the same entries one at a time.
  const json::array filtered = page("from_seq=1&limit=1000&action=user.").at("entries").as_array();
  EXPECT_EQ(std::vector<json::value>(filtered.begin(), filtered.end()), users);
  std::vector<json::value> walked;
  for (int64_t from = 1; walked.size() < users.size() + 1;) {
    const json::object p = page("limit=1&action=user.&from_seq=" + std::to_string(from));
    if (p.at("entries").as_array().empty()) break;
    walked.push_back(p.at("entries").as_array().at(0));
    from = p.at("next_seq").as_int64();
  }
  EXPECT_EQ(walked, users);
  // Filters combine; one that matches nothing answers an empty page, not an error.
  const std::string actor(users.front().at("actor").as_string());
  const json::object by_actor = page("from_seq=1&limit=1000&action=user.&actor=" + actor);
  for (const auto& e : by_actor.at("entries").as_array()) {
    EXPECT_EQ(e.at("actor").as_string(), actor);
    EXPECT_TRUE(e.at("action").as_string().starts_with("user."));
  }
  EXPECT_TRUE(page("from_seq=1&limit=1000&subject=nobody-at-all").at("entries").as_array().empty());
  EXPECT_EQ(status(http::Verb::get, "/v1/audit?action=", {{"Authorization", "Bearer " + ada_}}), 400u);
}

TEST_F(ConsoleTest, DatasetsAreListedOnlyForTheCallersServedRegions) {
  start();
  for (const char* region : {"cn", "eu"}) {
    const transfer::RegionData home = service_->backend().region(region);
    ASSERT_TRUE(learning::save_dataset(*home.store, home.keys, learning::synthetic_dataset(region, 20, 5, 1)).is_ok());
  }
  auto r = client_->get("/v1/learning/datasets", {{"Authorization", "Bearer " + eve_}});
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->status, 200u) << r->body;
  const json::value eves = json::parse(r->body);
  ASSERT_EQ(eves.at("data").as_array().size(), 1u);
  EXPECT_EQ(eves.at("data").at(0).at("region"), "eu");
  EXPECT_EQ(eves.at("data").at(0).at("train_examples"), 20);
  auto all = client_->get("/v1/learning/datasets", {{"Authorization", "Bearer " + ada_}});
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(json::parse(all->body).at("data").as_array().size(), 2u);
  EXPECT_EQ(status(http::Verb::get, "/v1/learning/datasets?region=cn", {{"Authorization", "Bearer " + eve_}}), 403u);
  EXPECT_EQ(status(http::Verb::get, "/v1/learning/datasets?region=mars", {{"Authorization", "Bearer " + ada_}}), 404u);
  EXPECT_EQ(status(http::Verb::get, "/v1/learning/datasets?region=eu", {{"Authorization", "Bearer " + ada_}}), 200u);
}

TEST_F(ConsoleTest, AnyGrantDecodesAVinWhetherRegisteredOrNot) {
  start();
  auto r = client_->get("/v1/vin/LRW3E7FA0SC518230", {{"Authorization", "Bearer " + eve_}});
  ASSERT_TRUE(r.is_ok());
  ASSERT_EQ(r->status, 200u) << r->body;
  const json::value v = json::parse(r->body);
  EXPECT_EQ(v.at("object"), "vehicle.vin");
  EXPECT_EQ(v.at("wmi"), "LRW");
  EXPECT_EQ(v.at("plant"), "Shanghai");
  auto bad = client_->get("/v1/vin/LRW3E7FA0SC51823O", {{"Authorization", "Bearer " + eve_}});
  ASSERT_TRUE(bad.is_ok());
  EXPECT_EQ(bad->status, 400u);
  EXPECT_NE(bad->body.find("position 17"), std::string::npos) << bad->body;
  EXPECT_EQ(json::parse(bad->body).at("error").at("type"), "invalid_request_error");
}

TEST_F(ConsoleTest, OperatorsRehomeCarsOnlyWithinTheirGrantAndTheAuditSaysWhy) {
  start();
  const std::string cn_car = test_vin(1);
  register_car(kEuCar, "DE");
  register_car(cn_car, "CN");
  const std::string eu_target = "/v1/vehicles/" + std::string(kEuCar) + "/rehome";

  auto [moved_status, moved] = as(eve_, http::Verb::post, eu_target, R"({"market":"fr","reason":"sold to a French fleet"})");
  ASSERT_EQ(moved_status, 200u) << moved;
  EXPECT_EQ(moved.at("object"), "vehicle.rehome");
  EXPECT_EQ(moved.at("from_market"), "DE");
  EXPECT_EQ(moved.at("vehicle").at("market"), "FR");
  EXPECT_EQ(moved.at("vehicle").at("region"), "eu");
  EXPECT_EQ(moved.at("data_stays_in"), nullptr) << "same region: nothing is left behind";
  auto entry = service_->control_plane().audit->tail(1);
  ASSERT_TRUE(entry.is_ok());
  EXPECT_EQ(entry->front().action, "vehicle.rehome");
  EXPECT_EQ(entry->front().actor, "user:eve");
  EXPECT_EQ(entry->front().details.at("reason"), "sold to a French fleet");

  auto [out_status, out] = as(eve_, http::Verb::post, eu_target, R"({"market":"CN","reason":"export"})");
  EXPECT_EQ(out_status, 403u) << "eve may not place a car in cn";
  EXPECT_EQ(out.at("error").at("code"), "region_out_of_scope");
  EXPECT_EQ(service_->control_plane().registry->show(kEuCar)->market, "FR") << "a refusal changes nothing";
  auto [foreign_status, foreign] = as(eve_, http::Verb::post, "/v1/vehicles/" + cn_car + "/rehome", R"({"market":"DE","reason":"r"})");
  EXPECT_EQ(foreign_status, 404u) << "a cn car does not exist for eve";
  EXPECT_EQ(as(eve_, http::Verb::post, eu_target, R"({"market":"FR","reason":"again"})").first, 409u);
  for (const char* bad : {R"({"market":"DE"})", R"({"market":"DE","reason":""})", R"({"market":"XX","reason":"r"})",
                          R"({"market":"DE","reason":"r","label":"x"})", R"({"market":7,"reason":"r"})", "[]"}) {
    auto [status, body] = as(eve_, http::Verb::post, eu_target, bad);
    EXPECT_EQ(status, 400u) << bad;
    EXPECT_EQ(body.at("error").at("type"), "invalid_request_error") << bad;
  }

  auto [admin_status, admin] = as(ada_, http::Verb::post, eu_target, R"({"market":"CN","reason":"moved to Shanghai"})");
  ASSERT_EQ(admin_status, 200u) << admin;
  EXPECT_EQ(admin.at("vehicle").at("region"), "cn");
  EXPECT_EQ(admin.at("data_stays_in"), "eu") << "what the car stored in eu stays in eu";
  EXPECT_EQ(as(eve_, http::Verb::get, "/v1/vehicles/" + std::string(kEuCar)).first, 404u) << "now out of eve's grant";
}

TEST_F(ConsoleTest, OperatorsSignACarsOwnCertificateRequestAndRevokeTheCertificate) {
  start();
  const std::string cn_car = test_vin(2);
  register_car(kEuCar, "DE");
  register_car(cn_car, "CN");
  const std::string csr = access::testing::certificate_request(kEuCar);
  const std::string target = "/v1/vehicles/" + std::string(kEuCar) + "/certificates";
  const std::string ask = json::serialize(json::object{{"csr", csr}, {"days", 30}});

  const int64_t before = service_->control_plane().audit->now_ms();
  auto [status, issued] = as(eve_, http::Verb::post, target, ask);
  ASSERT_EQ(status, 201u) << issued;
  EXPECT_EQ(issued.at("object"), "vehicle.certificate");
  EXPECT_EQ(issued.at("region"), "eu");
  const std::string serial(issued.at("serial").as_string());
  EXPECT_TRUE(access::testing::certifies_key_of(issued.at("certificate").as_string(), csr));
  EXPECT_NE(std::string(issued.at("subject").as_string()).find("CN=" + std::string(kEuCar)), std::string::npos);
  const int64_t expires = issued.at("expires_ms").as_int64();
  EXPECT_GT(expires, before + 29LL * 86'400'000);
  EXPECT_LT(expires, before + 31LL * 86'400'000);
  EXPECT_EQ(json::serialize(issued).find("PRIVATE"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data/fleet-ca/ca.crt")) << "the fleet CA is created at first use";
  EXPECT_EQ(last_audit_action(), "vehicle.cert.issue");

  EXPECT_EQ(as(eve_, http::Verb::post, "/v1/vehicles/" + cn_car + "/certificates",
               json::serialize(json::object{{"csr", access::testing::certificate_request(cn_car)}}))
                .first,
            404u);
  auto [bad_status, bad] = as(eve_, http::Verb::post, target, R"({"csr":"-----BEGIN NONSENSE-----"})");
  EXPECT_EQ(bad_status, 400u);
  EXPECT_NE(std::string(bad.at("error").at("message").as_string()).find("not a PEM certificate request"), std::string::npos);
  auto [other_status, other] =
      as(eve_, http::Verb::post, target, json::serialize(json::object{{"csr", access::testing::certificate_request(cn_car)}}));
  EXPECT_EQ(other_status, 400u) << "a request for another car's name";
  EXPECT_NE(std::string(other.at("error").at("message").as_string()).find("names CN=" + cn_car), std::string::npos);
  for (const std::string& body : {std::string("{}"), json::serialize(json::object{{"csr", csr}, {"days", 0}}),
                                  json::serialize(json::object{{"csr", csr}, {"days", 3651}}),
                                  json::serialize(json::object{{"csr", csr}, {"key", "x"}})}) {
    EXPECT_EQ(as(eve_, http::Verb::post, target, body).first, 400u) << body;
  }

  const std::string revoke = "/v1/vehicles/" + std::string(kEuCar) + "/certificates/" + serial;
  EXPECT_EQ(as(eve_, http::Verb::delete_, revoke).first, 204u);
  EXPECT_EQ(last_audit_action(), "vehicle.cert.revoke");
  EXPECT_EQ(as(eve_, http::Verb::delete_, revoke).first, 409u) << "revoked before";
}

TEST_F(ConsoleTest, ADamagedFleetCaIsTheServersFaultNotTheCallers) {
  start();
  register_car(kEuCar, "DE");
  std::filesystem::create_directories(dir_ / "data/fleet-ca");
  std::ofstream(dir_ / "data/fleet-ca/ca.key") << "not a key\n";
  std::ofstream(dir_ / "data/fleet-ca/ca.crt") << "not a certificate\n";
  auto [status, body] = as(eve_, http::Verb::post, "/v1/vehicles/" + std::string(kEuCar) + "/certificates",
                           json::serialize(json::object{{"csr", access::testing::certificate_request(kEuCar)}}));
  EXPECT_EQ(status, 500u) << body;
  EXPECT_EQ(body.at("error").at("type"), "server_error");
  EXPECT_NE(std::string(body.at("error").at("message").as_string()).find("the fleet CA"), std::string::npos) << body;
  EXPECT_EQ(std::ifstream(dir_ / "data/fleet-ca/ca.key").rdbuf()->sgetc(), 'n') << "a damaged CA is never replaced";
}

TEST_F(ConsoleTest, TrainedModelsAreListedOnlyForTheCallersRegionsWithTheirEvaluation) {
  start();
  for (const char* region : {"cn", "eu"}) {
    learning::Checkpoint c = learning::testing::sample_checkpoint(region);
    const transfer::RegionData home = service_->backend().region(region);
    ASSERT_TRUE(learning::save_checkpoint(*home.store, "local", c).is_ok());
    c.meta.kind = "global";
    c.meta.rounds = 3;
    c.meta.test->auc.reset();  // one class only in that split
    ASSERT_TRUE(learning::save_checkpoint(*home.store, "federated-global", c).is_ok());
  }
  auto [status, eves] = as(eve_, http::Verb::get, "/v1/learning/models");
  ASSERT_EQ(status, 200u) << eves;
  const json::array& models = eves.at("data").as_array();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models.at(0).at("name"), "federated-global");
  EXPECT_EQ(models.at(0).at("rounds"), 3);
  EXPECT_EQ(models.at(0).at("test").at("auc"), nullptr);
  EXPECT_EQ(models.at(1).at("name"), "local");
  for (const auto& m : models) EXPECT_EQ(m.at("region"), "eu");
  EXPECT_EQ(models.at(1).at("train_examples"), 100);
  EXPECT_EQ(models.at(1).at("dataset_version"), "v17");
  EXPECT_EQ(models.at(1).at("test").at("auc").as_double(), 0.8125);
  EXPECT_EQ(models.at(1).at("test").at("examples"), 10);
  EXPECT_FALSE(models.at(1).as_object().contains("weights")) << "metadata only";

  EXPECT_EQ(as(ada_, http::Verb::get, "/v1/learning/models").second.at("data").as_array().size(), 4u);
  EXPECT_EQ(as(eve_, http::Verb::get, "/v1/learning/models?region=cn").first, 403u);
  EXPECT_EQ(as(ada_, http::Verb::get, "/v1/learning/models?region=mars").first, 404u);
  EXPECT_EQ(as(ada_, http::Verb::get, "/v1/learning/models?region=cn").second.at("data").as_array().size(), 2u);
}

TEST_F(ConsoleTest, ACarsTrackIsCoarsenedToOnePointPerCell) {
  start();
  register_car(kEuCar, "DE");
  auto& cp = service_->control_plane();
  const std::string car = *cp.credentials->issue_vehicle_token(kEuCar, "eu", "test");
  // An hour ago, on a 15-minute boundary (ingest refuses records older than a week).
  const int64_t t0 = cp.audit->now_ms() / 900'000 * 900'000 - 3'600'000;
  auto frame = [&](int seq, int64_t at, const char* data) {
    return std::string(R"({"vin":")") + std::string(kEuCar) + R"(","created_at":)" + std::to_string(at) +
           R"(,"seq":)" + std::to_string(seq) + R"(,"data":)" + data + "}";
  };
  const std::string batch = "[" + frame(1, t0 + 1000, R"([{"field":"location","value":{"lat":52.52012,"lon":13.40494}}])") +
                            "," + frame(2, t0 + 2000, R"([{"field":"location","value":{"lat":52.52189,"lon":13.40101}}])") +
                            "," + frame(3, t0 + 3000, R"([{"field":"speed","value":30}])") + "," +
                            frame(4, t0 + 16 * 60'000, R"([{"field":"location","value":{"lat":52.53071,"lon":13.41532}}])") + "]";
  client_->close();
  auto posted = client_->post("/v1/telemetry", batch, {{"Authorization", "Bearer " + car}, {"Content-Type", "application/json"}});
  ASSERT_TRUE(posted.is_ok());
  ASSERT_EQ(posted->status, 200u) << posted->body;

  auto [status, track] = as(eve_, http::Verb::get, "/v1/telemetry/" + std::string(kEuCar) + "/track");
  ASSERT_EQ(status, 200u) << track;
  EXPECT_EQ(track.at("grid_degrees").as_double(), 0.01);
  EXPECT_EQ(track.at("records"), 4) << "every record of the window is read; one without a location adds no point";
  const json::array& points = track.at("points").as_array();
  ASSERT_EQ(points.size(), 2u) << track << ": the first two fixes share a cell";
  EXPECT_NEAR(points.at(0).at("lat").as_double(), 52.525, 1e-9);
  EXPECT_NEAR(points.at(0).at("lon").as_double(), 13.405, 1e-9);
  EXPECT_EQ(points.at(0).at("time_ms").as_int64(), t0) << "the bucket's start, not the fix's time";
  EXPECT_NEAR(points.at(1).at("lat").as_double(), 52.535, 1e-9);
  EXPECT_EQ(points.at(1).at("time_ms").as_int64(), t0 + 15 * 60'000);
  EXPECT_EQ(track.at("next_cursor"), nullptr);
  EXPECT_EQ(json::serialize(track).find("52.52012"), std::string::npos) << "no raw position";

  EXPECT_EQ(as(eve_, http::Verb::get, "/v1/telemetry/" + std::string(kEuCar) + "/track?fields=speed").first, 400u);
  EXPECT_EQ(as(eve_, http::Verb::get, "/v1/telemetry/" + std::string(kEuCar) + "/track?from=x").first, 400u);
  EXPECT_EQ(as(eve_, http::Verb::get, "/v1/telemetry/" + test_vin(3) + "/track").first, 404u);
  EXPECT_EQ(as(ada_, http::Verb::get, "/v1/telemetry/" + std::string(kEuCar) + "/track?limit=1").second.at("points").as_array().size(),
            1u);
}

}  // namespace
}  // namespace fleetgate
