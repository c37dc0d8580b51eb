// Walks the route table of the real service (every feature registered) and checks, for each
// route: no token -> 401; a token of a role the route does not accept -> 403; each accepted
// person role granted only in the wrong region -> 403. Routes that cannot be scoped to a region
// are listed in kNotRegionScoped with the reason; a route with neither a probe nor an exemption
// fails the test, so a new route must declare how its region scope is checked.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "fleetgate/access/credentials.h"
#include "fleetgate/app/service.h"
#include "support/running_service.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate {
namespace {

namespace json = boost::json;
using http::testing::HeaderList;
using http::testing::TestClient;

// A valid VIN (check digit included) of a Shanghai-built car with its own serial.
std::string test_vin(int serial) {
  std::string digits = std::to_string(serial);
  std::string vin = "LRW3E7EK0RC" + std::string(6 - digits.size(), '0') + digits;
  vin[8] = vehicle::check_digit(vin).value_or('0');
  return vin;
}

// Why a route has no wrong-region case. Public routes are listed too: they take no token at all.
const std::map<std::string, std::string> kNotRegionScoped = {
    {"GET /healthz", "public: a liveness probe, carries no data"},
    {"GET /readyz", "public: a readiness probe, carries no data"},
    {"GET /metrics", "public by default (ServerOptions::metrics_access): request counters, no region data"},
    {"GET /openapi.json", "public: the API's description, carries no data"},
    {"POST /v1/chat/completions", "vehicle only: the region is the vehicle's home, bound to its token"},
    {"GET /v1/models", "vehicle only: the region is the vehicle's home, bound to its token"},
    {"POST /v1/telemetry", "vehicle only: records are stored in the token's home region"},
    {"GET /v1/telemetry/ws", "vehicle only: records are stored in the token's home region"},
    {"POST /v1/ledger/revenue", "revenue events are per market, settled across all regions (business.usage may cross)"},
    {"POST /v1/ledger/settle", "settlement sums business.usage of every region, which residency lets cross"},
    {"GET /v1/ledger/statements/{period}/{partner}", "a partner statement spans every region's usage"},
    {"GET /v1/directory/{vin}", "the global VIN directory names only a region, what any operator needs to know where to ask"},
    {"GET /v1/vin/{vin}", "decodes the VIN itself, a computation that reads no record of any region"},
    {"GET /console", "public: the console's page, which holds no data (the API routes it calls decide what it shows)"},
    {"GET /console/{file...}", "public: the console's scripts and styles, which hold no data"},
    {"POST /console/session", "public: signing in takes a user token in the body and answers with that user's own session"},
    {"GET /console/session", "public: answers only about the session cookie it is sent, nothing of a region"},
    {"DELETE /console/session", "ends the caller's own session"},
    {"POST /v1/vehicles/{vin}/grants", "owner only: the owner's token is bound to one VIN, another answers 404 (vehicle_data_test)"},
    {"GET /v1/vehicles/{vin}/grants", "owner only: the owner's token is bound to one VIN, another answers 404 (vehicle_data_test)"},
    {"DELETE /v1/vehicles/{vin}/grants/{id}", "owner only: the owner's token is bound to one VIN, another answers 404 (vehicle_data_test)"},
    {"GET /v1/console/overview", "filtered, not refused: it shows only the regions of the caller's grant (console_test)"},
    {"GET /v1/console/overview/stream", "filtered, not refused: it shows only the regions of the caller's grant (console_test)"},
};

// Routes that answer a wrong-region caller with something other than 403, and why.
const std::map<std::string, unsigned> kOutOfScopeStatus = {
    // registry_routes.cc: out-of-scope records answer like absent ones so callers cannot probe
    // other regions' fleets.
    {"GET /v1/vehicles/{vin}", 404},
    // token_routes.cc: the same, for minting and revoking a vehicle's token.
    {"POST /v1/vehicles/{vin}/token", 404},
    {"DELETE /v1/vehicles/{vin}/token", 404},
    // certificate_routes.cc: the same, for signing and revoking a vehicle's certificate.
    {"POST /v1/vehicles/{vin}/certificates", 404},
    {"DELETE /v1/vehicles/{vin}/certificates/{serial}", 404},
    // registry_routes.cc: the same for rehoming a vehicle (a target market outside the grant: 403).
    {"POST /v1/vehicles/{vin}/rehome", 404},
    // ingest_service.cc, gateway.cc: the same for reading a vehicle's telemetry and reporting its state.
    {"GET /v1/telemetry/{vin}", 404},
    {"GET /v1/telemetry/{vin}/track", 404},
    {"POST /v1/vehicles/{vin}/state", 404},
    // registry_routes.cc, vehicle_data_routes.cc: the same for erasing a vehicle, its owner's
    // token and reading its data.
    {"POST /v1/vehicles/{vin}/erase", 404},
    {"POST /v1/vehicles/{vin}/owner-token", 404},
    {"DELETE /v1/vehicles/{vin}/owner-token", 404},
    {"GET /v1/vehicles/{vin}/data", 404},
};

const std::vector<std::string> kPersonRoles(std::begin(access::kUserRoles), std::end(access::kUserRoles));

class RouteAccessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spdlog::set_level(spdlog::level::warn);
    const auto config_file = dir_ / "fleetgate.toml";
    std::ofstream(config_file) << "[server]\ndata_dir = \"data\"\n"
                                  "[[regions]]\nid = \"cn\"\nchain = [\"onboard\"]\n"
                                  "[[regions]]\nid = \"us\"\nchain = [\"onboard\"]\n"
                                  "[[regions]]\nid = \"eu\"\nchain = [\"onboard\"]\n"
                                  "[markets]\nCN = \"cn\"\nUS = \"us\"\nDE = \"eu\"\n"
                                  "[[providers]]\nid = \"onboard\"\nkind = \"onboard\"\nlocation = \"vehicle\"\n"
                                  "models = [\"fleetgate-onboard\"]\n";
    // The ledger (and its routes) runs when its terms sit beside the config.
    std::filesystem::copy_file(std::string(FLEETGATE_SOURCE_DIR) + "/config/ledger.toml", dir_ / "ledger.toml");
    auto service = fleetgate::testing::start_service(config_file);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
    client_ = std::make_unique<TestClient>("127.0.0.1", service_->port());

    app::ControlPlane& cp = service_->control_plane();
    cn_vin_ = test_vin(1);
    ASSERT_TRUE(cp.registry->register_vehicle(cn_vin_, "CN", "route test car", "test").is_ok());
    vehicle_token_ = *cp.credentials->issue_vehicle_token(cn_vin_, "cn", "test");
    for (const auto& role : kPersonRoles) {
      ASSERT_TRUE(cp.credentials->add_user(role + "-all", {role}, {"*"}, "test").is_ok());
      ASSERT_TRUE(cp.credentials->add_user(role + "-us", {role}, {"us"}, "test").is_ok());
      all_[role] = *cp.credentials->issue_user_token(role + "-all", "test");
      us_[role] = *cp.credentials->issue_user_token(role + "-us", "test");
    }
    transfer::TransferRequest req;
    req.source_region = "cn";
    req.dest_region = "eu";
    req.fields = {"speed"};
    req.selection = {0, 1, {}};
    req.purpose = "route test";
    req.legal_basis = "test";
    req.assessment_ref = "SA-0";
    req.expires_at_ms = cp.audit->now_ms() + 86'400'000;
    auto id = service_->transfers().request(http::Principal{"olga", {"operator"}, {"cn"}}, req);
    ASSERT_TRUE(id.is_ok()) << id.status().to_string();
    transfer_id_ = *id;
  }

  void TearDown() override {
    if (service_) service_->stop();
  }

  // A request aimed at region cn for each route that is region-scoped: target and body.
  std::optional<std::pair<std::string, std::string>> cn_probe(const std::string& key) const {
    const std::string transfer = "/v1/transfers/" + transfer_id_;
    const std::map<std::string, std::pair<std::string, std::string>> probes = {
        {"POST /v1/vehicles", {"/v1/vehicles", R"({"vin":")" + test_vin(2) + R"(","market":"CN"})"}},
        {"GET /v1/vehicles", {"/v1/vehicles?region=cn", ""}},
        {"GET /v1/vehicles/{vin}", {"/v1/vehicles/" + cn_vin_, ""}},
        {"POST /v1/vehicles/{vin}/state", {"/v1/vehicles/" + cn_vin_ + "/state", R"({"speed_kmh":0,"gear":"P"})"}},
        {"POST /v1/vehicles/{vin}/token", {"/v1/vehicles/" + cn_vin_ + "/token", ""}},
        {"DELETE /v1/vehicles/{vin}/token", {"/v1/vehicles/" + cn_vin_ + "/token", ""}},
        {"POST /v1/vehicles/{vin}/certificates", {"/v1/vehicles/" + cn_vin_ + "/certificates", R"({"csr":"x"})"}},
        {"DELETE /v1/vehicles/{vin}/certificates/{serial}", {"/v1/vehicles/" + cn_vin_ + "/certificates/AB12", ""}},
        {"POST /v1/vehicles/{vin}/rehome", {"/v1/vehicles/" + cn_vin_ + "/rehome", R"({"market":"US","reason":"r"})"}},
        {"POST /v1/vehicles/{vin}/erase", {"/v1/vehicles/" + cn_vin_ + "/erase", R"({"reason":"r"})"}},
        {"POST /v1/vehicles/{vin}/owner-token", {"/v1/vehicles/" + cn_vin_ + "/owner-token", ""}},
        {"DELETE /v1/vehicles/{vin}/owner-token", {"/v1/vehicles/" + cn_vin_ + "/owner-token", ""}},
        {"GET /v1/vehicles/{vin}/data", {"/v1/vehicles/" + cn_vin_ + "/data", ""}},
        {"GET /v1/telemetry/{vin}", {"/v1/telemetry/" + cn_vin_, ""}},
        {"GET /v1/telemetry/{vin}/track", {"/v1/telemetry/" + cn_vin_ + "/track", ""}},
        {"POST /v1/transfers",
         {"/v1/transfers", R"({"source_region":"cn","dest_region":"eu","data_class":"desensitised","fields":["speed"],)"
                           R"("purpose":"p","legal_basis":"b","assessment_ref":"a","expires_at_ms":4102444800000})"}},
        {"GET /v1/transfers", {"/v1/transfers?region=cn", ""}},
        {"GET /v1/transfers/{id}", {transfer, ""}},
        {"POST /v1/transfers/{id}/approve", {transfer + "/approve", ""}},
        {"POST /v1/transfers/{id}/reject", {transfer + "/reject", R"({"reason":"no"})"}},
        {"POST /v1/transfers/{id}/export", {transfer + "/export", ""}},
        {"GET /v1/audit", {"/v1/audit?from_seq=1&limit=5", ""}},
        {"GET /v1/audit/verify", {"/v1/audit/verify", ""}},
        {"GET /v1/learning/datasets", {"/v1/learning/datasets?region=cn", ""}},
        {"GET /v1/learning/models", {"/v1/learning/models?region=cn", ""}},
    };
    auto it = probes.find(key);
    if (it == probes.end()) return std::nullopt;
    return it->second;
  }

  // The target of an unscoped route: its parameters filled with plausible values.
  std::string fill_params(std::string pattern) const {
    for (const auto& [param, value] : {std::pair<std::string, std::string>{"{period}", "2026-11"},
                                       {"{partner}", "acme"}, {"{vin}", cn_vin_}, {"{id}", "g_AAAAAAAAAAAAAAAA"}}) {
      if (auto at = pattern.find(param); at != std::string::npos) pattern.replace(at, param.size(), value);
    }
    return pattern;
  }

  // Status and body of one request.
  std::pair<unsigned, std::string> answer(http::Verb verb, const std::string& target, const std::string& body,
                                          const std::string& token) {
    HeaderList headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (verb == http::Verb::post) headers.emplace_back("Content-Type", "application/json");
    client_->close();  // a refused request may close the connection
    auto r = client_->request(verb, target, body, headers);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? std::pair{r->status, r->body} : std::pair{0u, std::string()};
  }
  unsigned call(http::Verb verb, const std::string& target, const std::string& body, const std::string& token) {
    return answer(verb, target, body, token).first;
  }

  store::TestDir dir_;
  std::unique_ptr<app::Service> service_;
  std::unique_ptr<TestClient> client_;
  std::string cn_vin_, vehicle_token_, transfer_id_;
  std::map<std::string, std::string> all_, us_;  // role -> token: granted everywhere, only in us
};

TEST_F(RouteAccessTest, EveryRouteRefusesWrongCallers) {
  const auto routes = service_->routes();
  ASSERT_GT(routes.size(), 10u);
  std::set<std::string> seen;
  for (const http::Route* route : routes) {
    const std::string key = std::string(http::beast_http::to_string(route->method)) + " " + route->pattern;
    SCOPED_TRACE(key);
    seen.insert(key);
    const auto probe = cn_probe(key);
    const auto exemption = kNotRegionScoped.find(key);
    if (!probe && exemption == kNotRegionScoped.end()) {
      ADD_FAILURE() << "no access probe for " << key << ": add a cn_probe() or a kNotRegionScoped reason";
      continue;
    }
    if (route->options.is_public) {
      EXPECT_NE(exemption, kNotRegionScoped.end()) << "public route without a documented reason";
      continue;
    }
    const std::string target = probe ? probe->first : fill_params(route->pattern);
    const std::string body = probe ? probe->second : "{}";
    const auto& roles = route->options.roles;
    EXPECT_EQ(call(route->method, target, body, ""), 401u) << "no token";

    std::string wrong_role;
    for (const auto& r : kPersonRoles) {
      if (std::find(roles.begin(), roles.end(), r) == roles.end()) wrong_role = r;
    }
    const bool vehicle_allowed = std::find(roles.begin(), roles.end(), "vehicle") != roles.end();
    if (!vehicle_allowed) {
      EXPECT_EQ(call(route->method, target, body, vehicle_token_), 403u) << "vehicle token";
    }
    if (wrong_role.empty()) {
      // Open to every person role (e.g. reading transfers): then the region scope is its only
      // fence, unless the route answers only about the caller or filters to their grant (reasons above).
      EXPECT_TRUE(probe.has_value() || exemption != kNotRegionScoped.end())
          << "a route open to every person role must be region-scoped";
    } else {
      EXPECT_EQ(call(route->method, target, body, all_.at(wrong_role)), 403u) << "role " << wrong_role;
    }

    if (!probe) continue;  // exempt from the region check, reason in kNotRegionScoped
    const auto expected = kOutOfScopeStatus.contains(key) ? kOutOfScopeStatus.at(key) : 403u;
    int scoped_roles = 0;
    for (const auto& role : roles) {
      if (!us_.contains(role)) continue;
      ++scoped_roles;
      EXPECT_EQ(call(route->method, target, body, us_.at(role)), expected) << "role " << role << " granted only in us";
    }
    EXPECT_GT(scoped_roles, 0) << "a region-scoped route must accept some person role";
  }
  for (const auto& [key, reason] : kNotRegionScoped) {
    EXPECT_TRUE(seen.contains(key)) << "stale exemption " << key << " (" << reason << ")";
  }
  EXPECT_TRUE(seen.contains("POST /v1/transfers/{id}/approve"));
  EXPECT_TRUE(seen.contains("GET /v1/audit"));
}

// docs/openapi.json, the contract independent clients are written from, names exactly the routes
// the service registers (method and path template), each with the access the route enforces; and
// GET /openapi.json serves that document.
TEST_F(RouteAccessTest, TheApiDescriptionDocumentsEveryRouteAndNoOther) {
  std::ifstream file(std::string(FLEETGATE_SOURCE_DIR) + "/docs/openapi.json");
  ASSERT_TRUE(file.good());
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const json::object doc = json::parse(text).as_object();
  std::map<std::string, const json::object*> documented;  // "METHOD /path" -> operation
  for (const auto& [path, item] : doc.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      std::string verb(method);
      std::transform(verb.begin(), verb.end(), verb.begin(), [](unsigned char c) { return std::toupper(c); });
      documented[verb + " " + std::string(path)] = &operation.as_object();
    }
  }
  for (const http::Route* route : service_->routes()) {
    const std::string key = std::string(http::beast_http::to_string(route->method)) + " " + route->pattern;
    SCOPED_TRACE(key);
    auto it = documented.find(key);
    if (it == documented.end()) {
      ADD_FAILURE() << "registered but not in docs/openapi.json";
      continue;
    }
    std::vector<std::string> roles;
    for (const json::value& r : it->second->at("x-fleetgate-roles").as_array()) roles.emplace_back(r.as_string());
    std::vector<std::string> enforced = route->options.roles;
    std::sort(roles.begin(), roles.end());
    std::sort(enforced.begin(), enforced.end());
    EXPECT_EQ(roles, enforced) << "x-fleetgate-roles";
    EXPECT_EQ(it->second->at("x-fleetgate-access") == "public", route->options.is_public) << "x-fleetgate-access";
    documented.erase(it);
  }
  for (const auto& [key, operation] : documented) ADD_FAILURE() << key << " is documented but not registered";

  auto served = client_->request(http::Verb::get, "/openapi.json", "", {});
  ASSERT_TRUE(served.is_ok()) << served.status().to_string();
  EXPECT_EQ(served->status, 200u);
  EXPECT_EQ(served->body, text) << "the binary serves the document it was built with";
}

// Every route that answers out-of-scope VINs with 404 answers exactly as for an unregistered VIN
// (the VIN itself blanked), so no answer tells another region's fleet apart.
TEST_F(RouteAccessTest, OtherRegionsVehiclesAnswerLikeUnregisteredOnes) {
  const std::string unregistered = test_vin(9);
  auto blanked = [](std::pair<unsigned, std::string> a, const std::string& vin) {
    for (size_t at = a.second.find(vin); at != std::string::npos; at = a.second.find(vin)) a.second.replace(at, vin.size(), "<VIN>");
    return a;
  };
  // A person role each route accepts, granted only in us: the operator where it may call.
  std::map<std::string, std::string> caller;
  for (const http::Route* route : service_->routes()) {
    const std::string key = std::string(http::beast_http::to_string(route->method)) + " " + route->pattern;
    const auto& roles = route->options.roles;
    std::string role = "operator";
    if (std::find(roles.begin(), roles.end(), role) == roles.end()) {
      auto it = std::find_if(roles.begin(), roles.end(), [&](const std::string& r) { return us_.contains(r); });
      if (it != roles.end()) role = *it;
    }
    caller[key] = role;
  }
  for (const auto& [key, status] : kOutOfScopeStatus) {
    SCOPED_TRACE(key);
    const auto probe = cn_probe(key);
    ASSERT_TRUE(probe.has_value());
    const http::Verb verb = http::beast_http::string_to_verb(key.substr(0, key.find(' ')));
    std::string absent_target = probe->first;
    absent_target.replace(absent_target.find(cn_vin_), cn_vin_.size(), unregistered);
    const std::string& token = us_.at(caller.at(key));
    const auto foreign = blanked(answer(verb, probe->first, probe->second, token), cn_vin_);
    const auto absent = blanked(answer(verb, absent_target, probe->second, token), unregistered);
    EXPECT_EQ(foreign.first, status);
    EXPECT_EQ(foreign, absent);
  }
}

TEST_F(RouteAccessTest, RightRoleInTheRightRegionGetsThrough) {
  // The probes above are not refused for some unrelated reason: an approver of cn may approve.
  auto& cp = service_->control_plane();
  ASSERT_TRUE(cp.credentials->add_user("abe", {"approver"}, {"cn"}, "test").is_ok());
  EXPECT_EQ(call(http::Verb::post, "/v1/transfers/" + transfer_id_ + "/approve", "", *cp.credentials->issue_user_token("abe", "test")),
            200u);
  auto page = client_->get("/v1/audit?from_seq=1&limit=2", {{"Authorization", "Bearer " + all_.at("auditor")}});
  ASSERT_TRUE(page.is_ok());
  EXPECT_EQ(page->status, 200u) << page->body;
  const json::value v = json::parse(page->body);
  EXPECT_EQ(v.at("entries").as_array().size(), 2u);
  EXPECT_EQ(v.at("next_seq").as_int64(), 3);
}

// A car registered and given its token over HTTP while the service runs, then re-keyed and
// revoked: each token works until the next change, and every change is audited.
TEST_F(RouteAccessTest, OperatorsIssueAndRevokeVehicleTokensWhileServing) {
  const std::string op = all_.at("operator");
  const std::string vin = test_vin(3);
  auto as = [&](const std::string& token) { return HeaderList{{"Authorization", "Bearer " + token}}; };
  auto models_status = [&](const std::string& token) {
    client_->close();
    auto r = client_->get("/v1/models", as(token));
    EXPECT_TRUE(r.is_ok());
    return r.is_ok() ? r->status : 0u;
  };
  auto mint = [&]() -> std::string {
    client_->close();
    auto r = client_->request(http::Verb::post, "/v1/vehicles/" + vin + "/token", "", as(op));
    EXPECT_TRUE(r.is_ok());
    if (!r.is_ok()) return "";
    EXPECT_EQ(r->status, 201u) << r->body;
    EXPECT_EQ(r->header("cache-control"), "no-store");
    const json::value v = json::parse(r->body);
    EXPECT_EQ(v.at("object").as_string(), "vehicle.token");
    EXPECT_EQ(v.at("vin").as_string(), vin);
    EXPECT_EQ(v.at("region").as_string(), "cn");
    return std::string(v.at("token").as_string());
  };

  EXPECT_EQ(call(http::Verb::post, "/v1/vehicles/" + vin + "/token", "", op), 404u) << "not registered yet";
  EXPECT_EQ(call(http::Verb::post, "/v1/vehicles", R"({"vin":")" + vin + R"(","market":"CN"})", op), 201u);
  const std::string first = mint();
  EXPECT_EQ(models_status(first), 200u);
  const std::string second = mint();
  EXPECT_EQ(models_status(first), 401u) << "a new token replaces the previous one";
  EXPECT_EQ(models_status(second), 200u);

  EXPECT_EQ(call(http::Verb::delete_, "/v1/vehicles/" + vin + "/token", "", op), 204u);
  EXPECT_EQ(models_status(second), 401u) << "revoked";
  EXPECT_EQ(call(http::Verb::delete_, "/v1/vehicles/" + vin + "/token", "", op), 404u) << "nothing left to revoke";
  EXPECT_EQ(call(http::Verb::post, "/v1/vehicles/NOT-A-VIN/token", "", op), 400u);

  auto tail = service_->control_plane().audit->tail(3);
  ASSERT_TRUE(tail.is_ok());
  std::vector<std::string> actions;
  for (const auto& e : *tail) {
    actions.push_back(e.action);
    EXPECT_EQ(e.actor, "user:operator-all");
    EXPECT_EQ(e.subject, vin);
    EXPECT_EQ(e.region, "cn");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"vehicle.token.issue", "vehicle.token.issue", "vehicle.token.revoke"}));
}

}  // namespace
}  // namespace fleetgate
