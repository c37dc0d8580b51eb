// Vehicles send telemetry over WSS with client certificates from the fleet CA: the whole service
// in-process with [server.tls] client_cert = "optional", the fleet CA at its default place under
// the data dir. A certificate is the vehicle named by its CN; the bearer token stays an
// alternative; a frame for another VIN is refused whichever credential was used.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <fstream>

#include "fleetgate/access/certificate_revocations.h"
#include "fleetgate/access/fleet_ca.h"
#include "fleetgate/app/service.h"
#include "support/running_service.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/fleet_sim.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/vehicle/vin.h"
#include "mock_upstream/mock_fleet.h"
#include "tls/test_pki.h"

namespace fleetgate::tlstest {
namespace {

using http::testing::TestClient;
using http::testing::TestWebSocket;
namespace json = boost::json;

// A valid VIN (check digit included) with serial number `serial`.
std::string test_vin(int serial) {
  std::string vin = "LRW3E7EK0RC00000" + std::to_string(serial);
  vin[8] = vehicle::check_digit(vin).value_or('0');
  return vin;
}

const std::string kVinA = test_vin(1);
const std::string kVinB = test_vin(2);
const std::string kUnregistered = test_vin(3);

std::string frame(std::string_view vin, uint64_t seq) {
  telemetry::Record r;
  r.vin = std::string(vin);
  r.created_at_ms = audit::system_clock_ms();
  r.seq = seq;
  r.data = {{telemetry::Field::kSpeed, 42.5}};
  return telemetry::encode_json(r);
}

class MtlsIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The service's own fleet CA (created here first, reopened by the service).
    auto ca = access::FleetCa::open_or_create(dir_ / "data/fleet-ca");
    ASSERT_TRUE(ca.is_ok()) << ca.status().to_string();
    pki_ = std::make_unique<TestPki>(std::move(ca).value(), dir_ / "pki");
    ca_file_ = pki_->write_ca("ca");
    const http::TlsServerOptions server = pki_->server();
    {
      std::ofstream out(dir_ / "fleetgate.toml");
      out << "[server]\ndata_dir = \"data\"\nthreads = 2\n\n[server.tls]\ncert = \"" << server.cert.string()
          << "\"\nkey = \"" << server.key.string() << "\"\nclient_cert = \"optional\"\n\n"
          << mock::fleet_config_toml({{"onboard", "vehicle", "", "", {"fleetgate-onboard"}}},
                                     {{"cn", {"onboard"}}, {"us", {"onboard"}}, {"eu", {"onboard"}}});
    }
    auto service = fleetgate::testing::start_service(dir_ / "fleetgate.toml");
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
    for (const std::string& vin : {kVinA, kVinB}) {
      auto r = service_->control_plane().registry->register_vehicle(vin, "DE", "mtls test", "test:mtls");
      ASSERT_TRUE(r.is_ok()) << r.status().to_string();
    }
  }

  void TearDown() override {
    if (service_) service_->stop();
  }

  Result<std::unique_ptr<TestWebSocket>> connect(std::shared_ptr<boost::asio::ssl::context> tls,
                                                 const http::testing::HeaderList& headers = {}) {
    return TestWebSocket::connect("127.0.0.1", service_->port(), "/v1/telemetry/ws", headers,
                                  http::testing::kDefaultTimeout, std::move(tls));
  }

  std::shared_ptr<boost::asio::ssl::context> vehicle_tls(std::string_view vin) {
    return client_context(pki_->client(std::string(vin), ca_file_));
  }

  // Sends one JSON frame and returns its ack.
  static json::object send(TestWebSocket& ws, const std::string& text) {
    EXPECT_TRUE(ws.send(text).is_ok());
    auto ack = ws.receive();
    EXPECT_TRUE(ack.is_ok()) << ack.status().to_string();
    return ack.is_ok() ? json::parse(*ack).as_object() : json::object{};
  }

  // Calls the service over HTTPS as an admin (no client certificate); the status.
  unsigned as_admin(http::Verb method, const std::string& target) {
    if (admin_token_.empty()) {
      auto& credentials = *service_->control_plane().credentials;
      EXPECT_TRUE(credentials.add_user("root", {"admin"}, {"*"}, "test:mtls").is_ok());
      auto token = credentials.issue_user_token("root", "test:mtls");
      EXPECT_TRUE(token.is_ok()) << token.status().to_string();
      if (token.is_ok()) admin_token_ = *token;
    }
    TestClient client("127.0.0.1", service_->port(), http::testing::kDefaultTimeout, client_context({ca_file_, {}, {}}));
    auto r = client.request(method, target, "", {{"Authorization", "Bearer " + admin_token_}});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    last_body_ = r.is_ok() ? r->body : "";
    return r.is_ok() ? r->status : 0;
  }

  // How many records of `vin` are stored.
  int64_t stored(const std::string& vin) {
    EXPECT_EQ(as_admin(http::Verb::get, "/v1/telemetry/" + vin), 200u) << last_body_;
    return json::parse(last_body_).as_object().at("count").as_int64();
  }

  // Sends frames after the socket's credential was revoked: the server closes the socket, saying
  // why, and stores none of them.
  static void expect_closed_as_revoked(TestWebSocket& ws, std::string_view vin) {
    for (uint64_t seq = 2; seq <= 3; ++seq) (void)ws.send(frame(vin, seq));
    EXPECT_FALSE(ws.receive().is_ok()) << "no ack after revocation";
    EXPECT_EQ(ws.close_reason(), (std::pair<uint16_t, std::string>{1008, "credential revoked"}));
  }

  store::TestDir dir_;
  std::string admin_token_;
  std::string last_body_;
  std::unique_ptr<TestPki> pki_;
  std::filesystem::path ca_file_;
  std::unique_ptr<app::Service> service_;
};

TEST_F(MtlsIngestTest, AVehicleCertificateSendsTelemetryOverWss) {
  auto ws = connect(vehicle_tls(kVinA));
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  json::object ack = send(**ws, frame(kVinA, 1));
  EXPECT_EQ(ack["ok"], true) << json::serialize(ack);
  EXPECT_EQ(ack["seq"], 1);
}

TEST_F(MtlsIngestTest, AFrameForAnotherVinIsRefused) {
  auto ws = connect(vehicle_tls(kVinA));
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  json::object ack = send(**ws, frame(kVinB, 1));
  EXPECT_EQ(ack["ok"], false) << json::serialize(ack);
  EXPECT_EQ(ack["code"], "permission_denied") << json::serialize(ack);
  EXPECT_EQ(send(**ws, frame(kVinA, 2))["ok"], true) << "its own frames still go through";
}

TEST_F(MtlsIngestTest, ACertificateForAnUnregisteredVinIsRefused) {
  auto ws = connect(vehicle_tls(kUnregistered));
  ASSERT_FALSE(ws.is_ok());
  EXPECT_NE(ws.status().message().find("401"), std::string::npos) << ws.status().message();
}

TEST_F(MtlsIngestTest, TheVehicleTokenRemainsAnAlternative) {
  auto token = service_->control_plane().credentials->issue_vehicle_token(kVinB, "eu", "test:mtls");
  ASSERT_TRUE(token.is_ok());
  auto ws = connect(client_context({ca_file_, {}, {}}), {{"Authorization", "Bearer " + *token}});
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  EXPECT_EQ(send(**ws, frame(kVinB, 1))["ok"], true);
  EXPECT_EQ(send(**ws, frame(kVinA, 2))["ok"], false) << "a token holder cannot send for another VIN either";

  auto anonymous = connect(client_context({ca_file_, {}, {}}));
  EXPECT_FALSE(anonymous.is_ok()) << "neither certificate nor token";
}

TEST_F(MtlsIngestTest, RevokingAVehicleTokenEndsTheSocketItOpened) {
  auto token = service_->control_plane().credentials->issue_vehicle_token(kVinB, "eu", "test:mtls");
  ASSERT_TRUE(token.is_ok());
  auto ws = connect(client_context({ca_file_, {}, {}}), {{"Authorization", "Bearer " + *token}});
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  EXPECT_EQ(send(**ws, frame(kVinB, 1))["ok"], true);

  EXPECT_EQ(as_admin(http::Verb::delete_, "/v1/vehicles/" + kVinB + "/token"), 204u) << last_body_;
  expect_closed_as_revoked(**ws, kVinB);
  EXPECT_EQ(stored(kVinB), 1) << "only the frame acknowledged before the revocation";
}

TEST_F(MtlsIngestTest, ARevokedCertificateIsRefusedAndTheSocketItOpenedEnds) {
  auto revoked_tls = vehicle_tls(kVinA);
  const std::string serial = pki_->last_serial();
  auto renewed_tls = vehicle_tls(kVinA);
  auto ws = connect(revoked_tls);
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  EXPECT_EQ(send(**ws, frame(kVinA, 1))["ok"], true);

  std::string lower = serial;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::string target = "/v1/vehicles/" + kVinA + "/certificates/" + lower;
  EXPECT_EQ(as_admin(http::Verb::delete_, target), 204u) << last_body_;
  expect_closed_as_revoked(**ws, kVinA);
  EXPECT_EQ(stored(kVinA), 1) << "only the frame acknowledged before the revocation";

  auto again = connect(revoked_tls);
  ASSERT_FALSE(again.is_ok()) << "refused at authentication from now on";
  EXPECT_NE(again.status().message().find("401"), std::string::npos) << again.status().message();
  TestClient https("127.0.0.1", service_->port(), http::testing::kDefaultTimeout, revoked_tls);
  auto batch = https.post("/v1/telemetry", "[" + frame(kVinA, 4) + "]");
  ASSERT_TRUE(batch.is_ok()) << batch.status().to_string();
  EXPECT_EQ(batch->status, 401u) << batch->body;
  auto renewed = connect(renewed_tls);
  ASSERT_TRUE(renewed.is_ok()) << "the car's other certificate still works: " << renewed.status().to_string();
  EXPECT_EQ(send(**renewed, frame(kVinA, 5))["ok"], true);

  const audit::Entry entry = service_->control_plane().audit->tail(1).value().front();
  EXPECT_EQ(entry.action, "vehicle.cert.revoke");
  EXPECT_EQ(entry.subject, kVinA);
  EXPECT_EQ(entry.region, "eu");
  auto canonical = access::canonical_serial(serial);
  ASSERT_TRUE(canonical.is_ok()) << canonical.status().to_string();
  EXPECT_EQ(entry.details.at("serial").as_string(), *canonical);
  EXPECT_EQ(entry.actor, "user:root");

  EXPECT_EQ(as_admin(http::Verb::delete_, target), 409u) << "already revoked";
  EXPECT_EQ(as_admin(http::Verb::delete_, "/v1/vehicles/" + kVinA + "/certificates/not-hex"), 400u);
  EXPECT_EQ(as_admin(http::Verb::delete_, "/v1/vehicles/" + kUnregistered + "/certificates/AB"), 404u);
}

TEST_F(MtlsIngestTest, HttpsBatchesAuthenticateByCertificateToo) {
  TestClient client("127.0.0.1", service_->port(), http::testing::kDefaultTimeout, vehicle_tls(kVinA));
  auto ok = client.post("/v1/telemetry", "[" + frame(kVinA, 5) + "]");
  ASSERT_TRUE(ok.is_ok()) << ok.status().to_string();
  EXPECT_EQ(ok->status, 200u) << ok->body;
  auto other = client.post("/v1/telemetry", "[" + frame(kVinB, 6) + "]");
  ASSERT_TRUE(other.is_ok()) << other.status().to_string();
  EXPECT_EQ(other->status, 403u) << other->body;
}

TEST_F(MtlsIngestTest, TheSimulatorDrivesOverWssWithPerVehicleCertificates) {
  for (const std::string& vin : {kVinA, kVinB}) {
    auto issued = pki_->ca().issue_client(vin);
    ASSERT_TRUE(issued.is_ok());
    ASSERT_TRUE(access::write_certificate_files(*issued, dir_ / "sim", vin).is_ok());
  }
  telemetry::FleetSimOptions o;
  o.port = service_->port();
  o.vehicles = {{kVinA, ""}, {kVinB, ""}};
  o.rate = 0;
  o.duration = std::chrono::milliseconds(300);
  o.max_retries = 0;
  o.tls = true;
  o.ca_file = ca_file_;
  o.client_cert = (dir_ / "sim/{vin}.crt").string();
  o.client_key = (dir_ / "sim/{vin}.key").string();
  auto p = telemetry::run_fleet(o);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_GT(p->acked, 0u);
  EXPECT_EQ(p->refused, 0u);
  EXPECT_EQ(p->errors, 0u);

  o.client_key = (dir_ / "sim/missing.key").string();
  EXPECT_EQ(telemetry::run_fleet(o).status().code(), Code::kInvalidArgument) << "a bad key file fails at once";
}

}  // namespace
}  // namespace fleetgate::tlstest
