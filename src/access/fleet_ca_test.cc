#include "fleetgate/access/fleet_ca.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json/serialize.hpp>
#include <fstream>

#include "fleetgate/access/certificate_authenticator.h"
#include "fleetgate/access/certificate_issuer.h"
#include "fleetgate/access/certificate_request_testing.h"
#include "fleetgate/access/token_authenticator.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/registry_test_env.h"

namespace fleetgate::access {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kVin = "LRW3E7EA8PC390117";

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

TEST(FleetCaTest, IsCreatedAtFirstUseWithAPrivateKeyAndReopenedAfterwards) {
  store::TestDir dir;
  auto created = FleetCa::open_or_create(dir / "ca");
  ASSERT_TRUE(created.is_ok()) << created.status().to_string();
  EXPECT_EQ(mode_of(dir / "ca/ca.key"), 0600u);
  EXPECT_EQ(mode_of(dir / "ca"), 0700u);
  EXPECT_EQ(created->certificate_file(), dir / "ca/ca.crt");
  EXPECT_NE(created->certificate_pem().find("BEGIN CERTIFICATE"), std::string::npos);

  auto reopened = FleetCa::open_or_create(dir / "ca");
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().to_string();
  EXPECT_EQ(reopened->certificate_pem(), created->certificate_pem()) << "the same CA, not a new one";
}

TEST(FleetCaTest, AnIncompleteOrDamagedCaIsRefusedNotReplaced) {
  store::TestDir dir;
  ASSERT_TRUE(FleetCa::open_or_create(dir / "ca").is_ok());
  fs::remove(dir / "ca/ca.crt");
  auto incomplete = FleetCa::open_or_create(dir / "ca");
  EXPECT_EQ(incomplete.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(dir / "ca/ca.key")) << "the key is kept";

  std::ofstream(dir / "ca/ca.crt") << "not a certificate";
  EXPECT_EQ(FleetCa::open_or_create(dir / "ca").status().code(), Code::kInvalidArgument);

  auto other = FleetCa::create_in_memory("other");
  ASSERT_TRUE(other.is_ok());
  std::ofstream(dir / "ca/ca.crt", std::ios::trunc) << other->certificate_pem();
  auto mismatch = FleetCa::open_or_create(dir / "ca");
  EXPECT_EQ(mismatch.status().code(), Code::kInvalidArgument);
  EXPECT_NE(mismatch.status().message().find("is not the key of"), std::string::npos) << mismatch.status().message();
}

TEST(FleetCaTest, IssuesClientAndServerCertificatesSignedByItself) {
  auto ca = FleetCa::create_in_memory("test fleet CA");
  ASSERT_TRUE(ca.is_ok());
  auto client = ca->issue_client(kVin);
  ASSERT_TRUE(client.is_ok()) << client.status().to_string();
  EXPECT_NE(client->subject.find("CN=" + std::string(kVin)), std::string::npos) << client->subject;
  EXPECT_NE(client->key_pem.find("PRIVATE KEY"), std::string::npos);
  EXPECT_FALSE(client->serial.empty());
  EXPECT_NE(ca->issue_client(kVin)->serial, client->serial) << "serials are random";

  auto server = ca->issue_server({"localhost", "127.0.0.1"});
  ASSERT_TRUE(server.is_ok()) << server.status().to_string();
  EXPECT_NE(server->subject.find("CN=localhost"), std::string::npos);
}

TEST(FleetCaTest, SignsACarsRequestForItsOwnKeyUnderTheGivenName) {
  auto ca = FleetCa::create_in_memory("test fleet CA");
  ASSERT_TRUE(ca.is_ok());
  for (const std::string& csr : {testing::certificate_request(kVin), testing::certificate_request(""),
                                 testing::certificate_request(kVin, "P-384"), testing::certificate_request(kVin, "", 2048)}) {
    ASSERT_FALSE(csr.empty());
    auto signed_cert = ca->sign_client_request(csr, kVin);
    ASSERT_TRUE(signed_cert.is_ok()) << signed_cert.status().to_string();
    EXPECT_TRUE(testing::certifies_key_of(signed_cert->certificate_pem, csr));
    EXPECT_TRUE(signed_cert->key_pem.empty()) << "the car keeps its key";
    EXPECT_NE(signed_cert->subject.find("CN=" + std::string(kVin)), std::string::npos) << signed_cert->subject;
    EXPECT_FALSE(signed_cert->serial.empty());
  }
  auto short_lived = ca->sign_client_request(testing::certificate_request(kVin), kVin,
                                             Validity{std::chrono::seconds(-300), std::chrono::hours(24)});
  ASSERT_TRUE(short_lived.is_ok());
  auto later = ca->sign_client_request(testing::certificate_request(kVin), kVin);
  ASSERT_TRUE(later.is_ok());
  EXPECT_LT(short_lived->not_after_ms, later->not_after_ms);
}

TEST(FleetCaTest, RequestsThatProveNothingOrAskForAnotherNameAreRefused) {
  auto ca = FleetCa::create_in_memory("test fleet CA");
  ASSERT_TRUE(ca.is_ok());
  const std::string good = testing::certificate_request(kVin);
  auto refusal = [&](std::string_view csr) {
    auto r = ca->sign_client_request(csr, kVin);
    EXPECT_FALSE(r.is_ok());
    return r.is_ok() ? std::string("signed") : r.status().message();
  };
  EXPECT_EQ(ca->sign_client_request(good, kVin).is_ok(), true);
  EXPECT_NE(refusal("").find("not a PEM certificate request"), std::string::npos);
  EXPECT_NE(refusal("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n").find("not a PEM"),
            std::string::npos);
  EXPECT_NE(refusal(ca->certificate_pem()).find("not a PEM certificate request"), std::string::npos);
  EXPECT_NE(refusal(testing::certificate_request("1HGCM82633A004352")).find("names CN=1HGCM82633A004352"),
            std::string::npos);
  EXPECT_NE(refusal(testing::certificate_request(kVin, "P-521")).find("P-256 or P-384"), std::string::npos);
  EXPECT_NE(refusal(testing::certificate_request(kVin, "", 1024)).find("shorter than 2048"), std::string::npos);
  EXPECT_NE(refusal(std::string(FleetCa::kMaxRequestBytes + 1, 'A')).find("larger than"), std::string::npos);

  // A request whose signature does not match its content: the key holder did not make it.
  std::string forged = good;
  size_t at = forged.find("-----END") - 12;  // inside the signature, the DER's last bytes
  if (forged[at] == '\n') --at;
  forged[at] = forged[at] == 'A' ? 'B' : 'A';
  EXPECT_NE(refusal(forged).find("does not verify"), std::string::npos);
}

TEST(FleetCaTest, BadNamesAreRefused) {
  auto ca = FleetCa::create_in_memory("test fleet CA");
  ASSERT_TRUE(ca.is_ok());
  EXPECT_EQ(ca->issue_client("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ca->issue_client(std::string(65, 'A')).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ca->issue_client("bad\nname").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ca->issue_server({}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(ca->issue_server({"a b"}).status().code(), Code::kInvalidArgument);
}

TEST(FleetCaTest, WritesTheKeyOwnerOnly) {
  store::TestDir dir;
  auto ca = FleetCa::create_in_memory("test fleet CA");
  ASSERT_TRUE(ca.is_ok());
  auto c = ca->issue_client(kVin);
  ASSERT_TRUE(c.is_ok());
  ASSERT_TRUE(write_certificate_files(*c, dir / "out", kVin).is_ok());
  EXPECT_EQ(mode_of(dir / ("out/" + std::string(kVin) + ".key")), 0600u);
  EXPECT_EQ(mode_of(dir / ("out/" + std::string(kVin) + ".crt")), 0644u);
}

// The control plane as the authenticator and issuer see it: a registry over an audit chain.
class CertificateAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(env_.registry().register_vehicle(kVin, "DE", "test car", "test").is_ok());
    ca_ = std::make_unique<FleetCa>(std::move(FleetCa::create_in_memory("test fleet CA")).value());
    auto revocations = CertificateRevocations::open(env_.audit());
    ASSERT_TRUE(revocations.is_ok()) << revocations.status().to_string();
    revocations_ = std::move(revocations).value();
    auth_ = std::make_unique<CertificateAuthenticator>(env_.registry(), *revocations_, ca_->subject(),
                                                       std::make_shared<TokenAuthenticator>(credentials_));
  }

  static http::Request request(std::optional<http::PeerCertificate> peer, std::string token = {}) {
    http::Request::Message m{http::Verb::post, "/v1/telemetry", 11};
    if (!token.empty()) m.set(http::beast_http::field::authorization, "Bearer " + token);
    return http::Request(std::move(m), "127.0.0.1:1", std::move(peer));
  }

  http::PeerCertificate cert_for(std::string cn) const {
    return http::PeerCertificate{cn, "CN=" + cn, ca_->subject(), "01"};
  }

  vehicle::RegistryEnv env_;
  CredentialStore credentials_{env_.audit()};
  std::unique_ptr<FleetCa> ca_;
  std::unique_ptr<CertificateRevocations> revocations_;
  std::unique_ptr<CertificateAuthenticator> auth_;
};

TEST_F(CertificateAuthTest, ARegisteredVinCertificateIsThatVehicle) {
  auto p = auth_->authenticate(request(cert_for(std::string(kVin))));
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(p->subject, kVin);
  EXPECT_EQ(p->roles, std::vector<std::string>{"vehicle"});
  EXPECT_EQ(p->regions, std::vector<std::string>{"eu"});
}

TEST_F(CertificateAuthTest, UnregisteredNamesAndForeignIssuersAreRefused) {
  EXPECT_EQ(auth_->authenticate(request(cert_for("1HGCM82633A004352"))).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(auth_->authenticate(request(cert_for("operator-alice"))).status().code(), Code::kUnauthenticated);
  http::PeerCertificate foreign = cert_for(std::string(kVin));
  foreign.issuer = "CN=someone else";
  EXPECT_EQ(auth_->authenticate(request(foreign)).status().code(), Code::kUnauthenticated);
}

TEST_F(CertificateAuthTest, TheVehicleTokenRemainsAnAlternative) {
  auto token = credentials_.issue_vehicle_token(kVin, "eu", "test");
  ASSERT_TRUE(token.is_ok());
  auto by_token = auth_->authenticate(request(std::nullopt, *token));
  ASSERT_TRUE(by_token.is_ok()) << by_token.status().to_string();
  EXPECT_EQ(by_token->subject, kVin);
  EXPECT_EQ(auth_->authenticate(request(std::nullopt)).status().code(), Code::kUnauthenticated);
  EXPECT_EQ(auth_->authenticate(request(std::nullopt, "fgv_wrong")).status().code(), Code::kUnauthenticated);
}

TEST_F(CertificateAuthTest, IssuanceNeedsARegisteredVinAndIsAudited) {
  CertificateIssuer issuer(*ca_, env_.registry(), env_.audit());
  audit::AuditLog* audit_ = &env_.audit();
  EXPECT_EQ(issuer.issue_vehicle("1HGCM82633A004352", "cli:test").status().code(), Code::kNotFound);
  const uint64_t before = audit_->size();
  auto issued = issuer.issue_vehicle(kVin, "cli:test");
  ASSERT_TRUE(issued.is_ok()) << issued.status().to_string();
  ASSERT_EQ(audit_->size(), before + 1);
  auto last = audit_->tail(1);
  ASSERT_TRUE(last.is_ok());
  EXPECT_EQ(last->front().action, "vehicle.cert.issue");
  EXPECT_EQ(last->front().subject, kVin);
  EXPECT_EQ(last->front().region, "eu");
  EXPECT_EQ(last->front().details.at("serial").as_string(), issued->serial);
  EXPECT_EQ(boost::json::serialize(last->front().details).find("PRIVATE"), std::string::npos);

  EXPECT_EQ(last->front().details.at("key").as_string(), "issued with the certificate");

  const std::string csr = testing::certificate_request(kVin);
  EXPECT_EQ(issuer.issue_vehicle_for_request("1HGCM82633A004352", csr, "cli:test").status().code(), Code::kNotFound);
  EXPECT_EQ(issuer.issue_vehicle_for_request(kVin, "not a request", "cli:test").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(audit_->size(), before + 1) << "refusals are not issuances";
  auto from_request = issuer.issue_vehicle_for_request(kVin, csr, "cli:test");
  ASSERT_TRUE(from_request.is_ok()) << from_request.status().to_string();
  EXPECT_EQ(audit_->tail(1)->front().action, "vehicle.cert.issue");
  EXPECT_EQ(audit_->tail(1)->front().details.at("serial").as_string(), from_request->serial);
  EXPECT_EQ(audit_->tail(1)->front().details.at("key").as_string(), "kept by the vehicle (signed request)");

  auto server = issuer.issue_server({"localhost"}, "cli:test");
  ASSERT_TRUE(server.is_ok());
  EXPECT_EQ(audit_->tail(1)->front().action, "server.cert.issue");
}

}  // namespace
}  // namespace fleetgate::access
