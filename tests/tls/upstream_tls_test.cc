// The gateway reaches upstream providers over HTTPS and verifies them: a provider whose private
// CA is configured (providers[].ca_file) is served; one whose certificate nothing trusts is never
// sent the request (verification is always on). The mock upstream serves TLS with a certificate
// from a CA made by the test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "fleetgate/app/service.h"
#include "support/running_service.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/vin.h"
#include "mock_upstream/mock_fleet.h"
#include "mock_upstream/mock_upstream.h"
#include "tls/test_pki.h"

namespace fleetgate::tlstest {
namespace {

std::string chat(std::string_view text) {
  return R"({"model":"mock-model","messages":[{"role":"user","content":")" + std::string(text) + R"("}]})";
}

class UpstreamTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_ = std::make_unique<TestPki>(std::move(access::FleetCa::create_in_memory("upstream test CA")).value(), dir_ / "pki");
    const std::filesystem::path ca_file = pki_->write_ca("upstream-ca");
    const http::TlsServerOptions cert = pki_->server("upstream");
    ::setenv("FG_TLSTEST_KEY", "key-mock", 1);
    for (const char* location : {"cn", "us"}) {
      mock::MockOptions options;
      options.identity = std::string("mock-") + location;
      options.location = location;
      options.expected_api_key = "key-mock";
      options.tls_cert = cert.cert.string();
      options.tls_key = cert.key.string();
      auto m = mock::MockUpstream::start(options);
      ASSERT_TRUE(m.is_ok()) << m.status().to_string();
      mocks_.push_back(std::move(m).value());
    }
    ASSERT_EQ(mocks_[0]->base_url().rfind("https://", 0), 0u);
    // cn trusts the test CA; us relies on the system store, which does not know it.
    std::vector<mock::ProviderSpec> providers = {
        {"trusting", "cn", mocks_[0]->base_url(), "FG_TLSTEST_KEY", {"mock-model"}, 0, 5000, ca_file.string()},
        {"system-store", "us", mocks_[1]->base_url(), "FG_TLSTEST_KEY", {"mock-model"}, 0, 5000},
        {"onboard", "vehicle", "", "", {"fleetgate-onboard"}}};
    {
      std::ofstream out(dir_ / "fleetgate.toml");
      out << "[server]\ndata_dir = \"data\"\nthreads = 2\n\n"
          << mock::fleet_config_toml(providers, {{"cn", {"trusting"}}, {"us", {"system-store"}}, {"eu", {"onboard"}}});
    }
    auto service = fleetgate::testing::start_service(dir_ / "fleetgate.toml");
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
  }

  void TearDown() override {
    if (service_) service_->stop();
  }

  // Registers a vehicle sold in `market` and posts a chat for it; the response.
  http::testing::ClientResponse chat_from(std::string_view market, int serial) {
    std::string vin = "LRW3E7EK0RC00001" + std::to_string(serial);
    vin[8] = vehicle::check_digit(vin).value_or('0');
    auto& cp = service_->control_plane();
    auto record = cp.registry->register_vehicle(vin, market, "tls test", "test:tls");
    EXPECT_TRUE(record.is_ok()) << record.status().to_string();
    if (!record.is_ok()) return {};
    auto token = cp.credentials->issue_vehicle_token(vin, record->region, "test:tls");
    EXPECT_TRUE(token.is_ok()) << token.status().to_string();
    http::testing::TestClient client("127.0.0.1", service_->port());
    auto r = client.post("/v1/chat/completions", chat("hello"), {{"Authorization", "Bearer " + *token}});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : http::testing::ClientResponse{};
  }

  store::TestDir dir_;
  std::unique_ptr<TestPki> pki_;
  std::vector<std::unique_ptr<mock::MockUpstream>> mocks_;
  std::unique_ptr<app::Service> service_;
};

TEST_F(UpstreamTlsTest, AProviderWithItsCaConfiguredIsReachedOverVerifiedTls) {
  http::testing::ClientResponse r = chat_from("CN", 1);
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.body.find("answer from mock-cn"), std::string::npos) << r.body;
  ASSERT_EQ(mocks_[0]->request_count(), 1u);
  EXPECT_EQ(mocks_[0]->requests()[0].headers["authorization"], "Bearer key-mock");
}

TEST_F(UpstreamTlsTest, AnUntrustedUpstreamCertificateIsNeverSentTheRequest) {
  http::testing::ClientResponse r = chat_from("US", 2);
  EXPECT_GE(r.status, 500u) << r.body;
  EXPECT_EQ(mocks_[1]->request_count(), 0u) << "the prompt must not reach an unverified server";
}

}  // namespace
}  // namespace fleetgate::tlstest
