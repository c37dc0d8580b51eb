// Finding the home region, end to end: a node serving only cn sends other regions' cars to their
// own endpoint (307) or refuses them as misdirected (421), from the request head and the token's
// region prefix alone, on every route; it serves cn cars (old-format tokens included) as before
// and takes no other region's vehicle; operators find a VIN's region in the global directory.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <filesystem>
#include <sstream>

#include "fleetgate/access/vehicle_token.h"
#include "fleetgate/app/backend.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/vehicle/vin_directory.h"
#include "fleetgate/core/digest.h"
#include "fleetgate/http/test_client.h"
#include "gateway/gateway_fleet.h"

namespace fleetgate::gwtest {
namespace {

namespace json = boost::json;
using http::testing::ClientResponse;

constexpr std::string_view kEuEndpoint = "https://eu.fleet.example";
constexpr const char* kBerlin = "XP7YGCEK7PB021447";

class CnNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    FleetSpec spec = standard_fleet();
    spec.served = {"cn"};
    spec.endpoints = {{"eu", std::string(kEuEndpoint)}};  // us has none
    auto fleet = GatewayFleet::start(spec);
    ASSERT_TRUE(fleet.is_ok()) << fleet.status().to_string();
    fleet_ = std::move(fleet).value();
  }

  // The head of a POST announcing a body it never sends: an answer proves the body was not read
  // (the server would wait for it for its 30 s body timeout, past the client's 10 s).
  Result<std::string> head_only(std::string_view target, const std::string& token) {
    const std::string head = "POST " + std::string(target) + " HTTP/1.1\r\nHost: cn.fleet.example\r\n" +
                             "Authorization: Bearer " + token + "\r\nContent-Type: application/json\r\n" +
                             "Content-Length: 500000\r\n\r\n";
    return http::testing::exchange_raw("127.0.0.1", fleet_->service().port(), head);
  }

  std::string operator_token() {
    auto& creds = *fleet_->control_plane().credentials;
    EXPECT_TRUE(creds.add_user("ops", {"operator"}, {"*"}, "test:region").is_ok());
    auto token = creds.issue_user_token("ops", "test:region");
    EXPECT_TRUE(token.is_ok()) << token.status().to_string();
    return token.is_ok() ? *token : "";
  }

  std::unique_ptr<GatewayFleet> fleet_;
};

// The JSON body of a raw HTTP/1.1 response.
json::object body_of(const std::string& raw) { return parse_object(raw.substr(raw.find("\r\n\r\n") + 4)); }

TEST_F(CnNodeTest, AnEuCarIsRedirectedToItsRegionBeforeTheBodyIsRead) {
  const std::string eu_token = access::mint_vehicle_token("eu");  // minted by an eu node: unknown here
  for (std::string_view target : {"/v1/chat/completions", "/v1/telemetry?format=json"}) {
    SCOPED_TRACE(target);
    Result<std::string> out = head_only(target, eu_token);
    ASSERT_TRUE(out.is_ok()) << out.status().to_string();
    EXPECT_TRUE(out->starts_with("HTTP/1.1 307 Temporary Redirect\r\n")) << *out;
    EXPECT_NE(out->find("\r\nLocation: " + std::string(kEuEndpoint) + std::string(target) + "\r\n"), std::string::npos)
        << *out;
    json::object body = body_of(*out);
    EXPECT_TRUE(is_openai_error(json::serialize(body))) << *out;
    EXPECT_EQ(body["error"].at("code"), "wrong_region");
    EXPECT_EQ(body["error"].at("type"), "invalid_request_error");
    EXPECT_NE(std::string(body["error"].at("message").as_string()).find("'eu'"), std::string::npos) << *out;
  }
  auto ws = http::testing::TestWebSocket::connect("127.0.0.1", fleet_->service().port(), "/v1/telemetry/ws",
                                                   bearer(eu_token));
  ASSERT_FALSE(ws.is_ok());
  EXPECT_NE(ws.status().message().find("HTTP 307"), std::string::npos) << ws.status().to_string();
  EXPECT_EQ(fleet_->mock("xai-eu").request_count(), 0u);
  EXPECT_EQ(fleet_->mock("deepseek").request_count(), 0u);
}

TEST_F(CnNodeTest, ACarOfARegionWithoutEndpointGets421) {
  Result<std::string> out = head_only("/v1/chat/completions", access::mint_vehicle_token("us"));
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_TRUE(out->starts_with("HTTP/1.1 421 Misdirected Request\r\n")) << *out;
  EXPECT_EQ(out->find("Location:"), std::string::npos) << *out;
  json::object body = body_of(*out);
  EXPECT_EQ(body["error"].at("code"), "wrong_region");
  EXPECT_NE(std::string(body["error"].at("message").as_string()).find("'us'"), std::string::npos) << *out;
}

TEST_F(CnNodeTest, CnCarsAreServedWithNewAndOldTokens) {
  auto car = fleet_->add_vehicle("CN");
  ASSERT_TRUE(car.is_ok()) << car.status().to_string();
  EXPECT_EQ(access::vehicle_token_region(car->token), "cn");
  auto client = fleet_->client();
  Result<ClientResponse> r = client->post("/v1/chat/completions", chat_body("hello", false), bearer(car->token));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200u) << r->body;
  EXPECT_EQ(r->header("x-fleetgate-provider"), "deepseek");

  // A token the previous release minted ("fgv_" + random) names no region: looked up as before.
  const std::string old_token = "fgv_" + random_token(32);
  store::WriteBatch legacy;
  legacy.put("cred/token/" + sha256_hex(old_token),
             json::serialize(json::object{{"kind", "vehicle"}, {"subject", car->vin}, {"region", "cn"}, {"issued_ms", 1}}));
  ASSERT_TRUE(fleet_->control_plane().store->write(legacy).is_ok());
  r = client->post("/v1/chat/completions", chat_body("hello again", false), bearer(old_token));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 200u) << r->body;
}

TEST_F(CnNodeTest, RegisteringAnEuVehicleIsRefusedAndWritesNothing) {
  const std::string ops = operator_token();
  auto client = fleet_->client();
  Result<ClientResponse> r = client->post("/v1/vehicles", R"({"vin":")" + std::string(kBerlin) + R"(","market":"DE"})",
                                          bearer(ops));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->status, 421u) << r->body;
  EXPECT_TRUE(is_openai_error(r->body)) << r->body;
  json::object body = parse_object(r->body);
  EXPECT_EQ(body["error"].at("code"), "wrong_region");
  const std::string message(body["error"].at("message").as_string());
  EXPECT_NE(message.find("region 'eu'"), std::string::npos) << message;
  EXPECT_NE(message.find(kEuEndpoint), std::string::npos) << message;

  store::KvStore& control = *fleet_->control_plane().store;
  for (auto it = control.scan(""); it->valid(); it->next()) {
    EXPECT_EQ(it->key().find(kBerlin), std::string_view::npos) << it->key();
    EXPECT_EQ(it->value().find(kBerlin), std::string_view::npos) << it->key();
  }
  EXPECT_EQ(fleet_->add_vehicle("DE").status().code(), Code::kFailedPrecondition);
}

// A node keeps nothing of the regions it does not serve: no store and no keys of theirs on its
// disk (it would create both on first open), no usage log.
TEST_F(CnNodeTest, HoldsNoStoreOrKeysOfTheRegionsItDoesNotServe) {
  const config::Config& cfg = *fleet_->service().backend().loaded().config;
  ASSERT_EQ(cfg.regions.size(), 3u);
  for (const config::Region& r : cfg.regions) {
    EXPECT_EQ(std::filesystem::exists(r.data_dir), r.id == "cn") << r.data_dir;
  }
  EXPECT_NE(fleet_->service().usage_log("cn"), nullptr);
  EXPECT_EQ(fleet_->service().usage_log("eu"), nullptr);
}

TEST_F(CnNodeTest, OperatorsLocateVinsInTheDirectoryWhichHoldsNoVin) {
  constexpr const char* kCnVin = "LJ1EEASP2P4030915";
  const std::string ops = operator_token();
  auto client = fleet_->client();
  Result<ClientResponse> r =
      client->post("/v1/vehicles", R"({"vin":")" + std::string(kCnVin) + R"(","market":"CN"})", bearer(ops));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->status, 201u) << r->body;

  r = client->get(std::string("/v1/directory/") + kCnVin, bearer(ops));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  ASSERT_EQ(r->status, 200u) << r->body;
  json::object located = parse_object(r->body);
  EXPECT_EQ(located["object"], "vehicle.location");
  EXPECT_EQ(located["vin"], kCnVin);
  EXPECT_EQ(located["region"], "cn");
  EXPECT_TRUE(located["endpoint"].is_null()) << r->body;
  r = client->get(std::string("/v1/directory/") + kBerlin, bearer(ops));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 404u) << r->body;
  EXPECT_TRUE(is_openai_error(r->body)) << r->body;
  r = client->get("/v1/directory/NOT-A-VIN", bearer(ops));
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->status, 400u) << r->body;

  // The CLI asks the same directory, here through the running service as the admin socket would.
  std::ostringstream out;
  app::Cli cli;
  cli.served = &fleet_->service().backend();
  cli.out_stream = &out;
  EXPECT_EQ(app::run_command({"vin", "locate", kCnVin}, cli), 0);
  EXPECT_EQ(out.str(), std::string(kCnVin) + ": region cn, endpoint not configured\n");

  size_t entries = 0;
  for (auto it = fleet_->control_plane().store->scan(vehicle::kDirectoryPrefix); it->valid(); it->next(), ++entries) {
    EXPECT_EQ(it->key().find(kCnVin), std::string_view::npos) << it->key();
    EXPECT_EQ(it->value().find(kCnVin), std::string_view::npos) << it->key();
  }
  EXPECT_EQ(entries, 1u);
}

}  // namespace
}  // namespace fleetgate::gwtest
