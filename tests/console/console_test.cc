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

#include "fleetgate/access/credentials.h"
#include "fleetgate/app/service.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/learning/dataset.h"
#include "fleetgate/learning/synthetic_dataset.h"
#include "fleetgate/store/test_dir.h"
#include "support/running_service.h"

namespace fleetgate {
namespace {

namespace json = boost::json;
using http::testing::HeaderList;
using http::testing::TestClient;

class ConsoleTest : public ::testing::Test {
 protected:
  void start(int session_seconds = 3600) {
    spdlog::set_level(spdlog::level::warn);
    const auto config_file = dir_ / "fleetgate.toml";
    std::ofstream(config_file) << "[server]\ndata_dir = \"data\"\n"
                               << "[console]\nsession_seconds = " << session_seconds << "\n"
                               << "[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n"
                                  "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n"
                                  "[markets]\nCN = \"cn\"\nDE = \"eu\"\n"
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

}  // namespace
}  // namespace fleetgate
