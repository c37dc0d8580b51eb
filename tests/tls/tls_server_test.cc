// The HTTP server over TLS: HTTPS and WSS on one port, TLS 1.2+ only, and client certificates
// verified against the configured client CA in the three client_cert modes. Certificates come
// from in-memory CAs made by the test.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "fleetgate/http/server.h"
#include "fleetgate/http/test_client.h"
#include "fleetgate/http/websocket.h"
#include "fleetgate/store/test_dir.h"
#include "tls/test_pki.h"

namespace fleetgate::tlstest {
namespace {

using http::testing::TestClient;
using http::testing::TestWebSocket;
namespace net = boost::asio;

constexpr std::string_view kVin = "LRW3E7EA8PC390117";

bool refused(const std::string& answer) { return answer.rfind("refused: ", 0) == 0; }

std::string peer_name(const http::Request& req) {
  return req.peer_certificate() ? req.peer_certificate()->common_name : "none";
}

// The client's certificate name as the server saw it, per request and per WebSocket message.
net::awaitable<void> echo_peer(const http::Request& req, http::WebSocketSession& session) {
  boost::beast::flat_buffer buffer;
  auto [ec, n] = co_await session.stream().async_read(buffer, net::as_tuple(net::use_awaitable));
  if (ec) co_return;
  const std::string reply = boost::beast::buffers_to_string(buffer.data()) + " from " + peer_name(req);
  co_await session.stream().async_write(net::buffer(reply), net::as_tuple(net::use_awaitable));
}

class TlsServerTest : public ::testing::Test {
 protected:
  TlsServerTest()
      : fleet_(std::move(access::FleetCa::create_in_memory("test fleet CA")).value(), dir_ / "fleet"),
        foreign_(std::move(access::FleetCa::create_in_memory("foreign CA")).value(), dir_ / "foreign") {}

  void start(http::ClientCertMode mode) {
    http::ServerOptions options;
    options.port = 0;
    options.worker_threads = 2;
    options.tls = fleet_.server();
    options.tls->client_cert = mode;
    options.tls->client_ca = fleet_ca_;
    server_ = std::make_unique<http::Server>(options);
    ASSERT_TRUE(server_->route(http::Verb::get, "/whoami", http::RouteOptions::public_access(), [](const http::Request& r) {
                  return http::Response::text(http::StatusCode::ok, peer_name(r));
                }).is_ok());
    ASSERT_TRUE(server_->websocket_route("/echo", http::RouteOptions::public_access(), echo_peer).is_ok());
    ASSERT_TRUE(server_->start().is_ok());
  }

  // GET /whoami over TLS with `client`: the body, or "refused: REASON".
  std::string whoami(const http::TlsClientOptions& client) {
    return get_whoami(client_context(client));
  }

  std::string get_whoami(std::shared_ptr<boost::asio::ssl::context> tls) {
    TestClient c("127.0.0.1", server_->port(), http::testing::kDefaultTimeout, std::move(tls));
    auto r = c.get("/whoami");
    return r.is_ok() ? r->body : "refused: " + r.status().message();
  }

  store::TestDir dir_;
  TestPki fleet_;
  TestPki foreign_;
  std::filesystem::path fleet_ca_ = fleet_.write_ca("fleet-ca");
  std::unique_ptr<http::Server> server_;
};

TEST_F(TlsServerTest, ServesHttpsAndShowsHandlersTheVerifiedClientCertificate) {
  start(http::ClientCertMode::kOptional);
  EXPECT_EQ(whoami({fleet_ca_, {}, {}}), "none");
  EXPECT_EQ(whoami(fleet_.client(std::string(kVin), fleet_ca_)), kVin);
}

TEST_F(TlsServerTest, OffModeNeverAsksForACertificate) {
  start(http::ClientCertMode::kOff);
  EXPECT_EQ(whoami(fleet_.client(std::string(kVin), fleet_ca_)), "none");
}

TEST_F(TlsServerTest, WebSocketOverTlsCarriesTheCertificate) {
  start(http::ClientCertMode::kRequire);
  auto ws = TestWebSocket::connect("127.0.0.1", server_->port(), "/echo", {}, http::testing::kDefaultTimeout,
                                   client_context(fleet_.client(std::string(kVin), fleet_ca_)));
  ASSERT_TRUE(ws.is_ok()) << ws.status().to_string();
  ASSERT_TRUE((*ws)->send("hello").is_ok());
  auto echoed = (*ws)->receive();
  ASSERT_TRUE(echoed.is_ok()) << echoed.status().to_string();
  EXPECT_EQ(*echoed, "hello from " + std::string(kVin));
}

TEST_F(TlsServerTest, RequireModeRefusesAClientWithoutCertificate) {
  start(http::ClientCertMode::kRequire);
  EXPECT_TRUE(refused(whoami({fleet_ca_, {}, {}})));
  EXPECT_EQ(whoami(fleet_.client(std::string(kVin), fleet_ca_)), kVin) << "a good one still works";
}

TEST_F(TlsServerTest, CertificatesOfAnotherCaAreRefused) {
  start(http::ClientCertMode::kOptional);
  EXPECT_TRUE(refused(whoami(foreign_.client(std::string(kVin), fleet_ca_))));
}

TEST_F(TlsServerTest, ExpiredAndNotYetValidCertificatesAreRefused) {
  start(http::ClientCertMode::kOptional);
  const access::Validity expired{-std::chrono::hours(48), -std::chrono::hours(24)};
  EXPECT_TRUE(refused(whoami(fleet_.client(std::string(kVin), fleet_ca_, expired))));
  const access::Validity future{std::chrono::hours(24), std::chrono::hours(48)};
  EXPECT_TRUE(refused(whoami(fleet_.client(std::string(kVin), fleet_ca_, future))));
}

TEST_F(TlsServerTest, ClientsVerifyTheServerAgainstTheirCa) {
  start(http::ClientCertMode::kOff);
  EXPECT_TRUE(refused(whoami({foreign_.write_ca("foreign-ca"), {}, {}})));
  EXPECT_TRUE(refused(whoami({}))) << "the system store does not know the test CA";
}

TEST_F(TlsServerTest, PlainHttpAndOldTlsVersionsGetNoAnswer) {
  start(http::ClientCertMode::kOff);
  auto raw = http::testing::exchange_raw("127.0.0.1", server_->port(), "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n");
  if (raw.is_ok()) {
    EXPECT_EQ(raw->find("HTTP/1.1 200"), std::string::npos) << *raw;
  }

  auto old = client_context({fleet_ca_, {}, {}});
  ASSERT_NE(old, nullptr);
  SSL_CTX_set_min_proto_version(old->native_handle(), 0);
  SSL_CTX_set_max_proto_version(old->native_handle(), TLS1_1_VERSION);
  EXPECT_TRUE(refused(get_whoami(old)));
}

TEST_F(TlsServerTest, UnloadableTlsFilesFailStartWithTheFileName) {
  http::ServerOptions options;
  options.port = 0;
  options.tls = http::TlsServerOptions{dir_ / "missing.crt", dir_ / "missing.key", {}, http::ClientCertMode::kOff};
  http::Server server(options);
  Status s = server.start();
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_NE(s.message().find("missing.crt"), std::string::npos) << s.message();

  options.tls = fleet_.server();
  options.tls->client_cert = http::ClientCertMode::kRequire;
  http::Server no_ca(options);
  EXPECT_EQ(no_ca.start().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::tlstest
