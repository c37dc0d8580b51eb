// For TLS tests: certificates made at test time by our own issuance code (no private key is
// committed). A fleet CA (or a foreign one) writes PEM files into a test directory and builds the
// TLS client contexts a test connects with.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "fleetgate/access/fleet_ca.h"
#include "fleetgate/http/transport_stream.h"

namespace fleetgate::tlstest {

class TestPki {
 public:
  // Uses `ca`; files go to `dir`.
  TestPki(access::FleetCa ca, std::filesystem::path dir) : ca_(std::move(ca)), dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }

  access::FleetCa& ca() { return ca_; }

  // Writes the CA certificate as NAME.crt; returns its path.
  std::filesystem::path write_ca(const std::string& name) {
    const std::filesystem::path file = dir_ / (name + ".crt");
    std::ofstream(file) << ca_.certificate_pem();
    return file;
  }

  // A server certificate for 127.0.0.1 and localhost written as NAME.crt/NAME.key.
  http::TlsServerOptions server(const std::string& name = "server") {
    auto issued = ca_.issue_server({"127.0.0.1", "localhost"});
    EXPECT_TRUE(issued.is_ok()) << issued.status().to_string();
    EXPECT_TRUE(access::write_certificate_files(*issued, dir_, name).is_ok());
    return {dir_ / (name + ".crt"), dir_ / (name + ".key"), {}, http::ClientCertMode::kOff};
  }

  // A client certificate named `cn`; its files in a TlsClientOptions that trusts `server_ca`.
  http::TlsClientOptions client(const std::string& cn, const std::filesystem::path& server_ca,
                                const access::Validity& validity = {}) {
    auto issued = ca_.issue_client(cn, validity);
    EXPECT_TRUE(issued.is_ok()) << issued.status().to_string();
    const std::string name = "client-" + std::to_string(++clients_);
    EXPECT_TRUE(access::write_certificate_files(*issued, dir_, name).is_ok());
    last_serial_ = issued.is_ok() ? issued->serial : "";
    return {server_ca, dir_ / (name + ".crt"), dir_ / (name + ".key")};
  }
  // The serial of the client certificate client() issued last.
  const std::string& last_serial() const { return last_serial_; }

 private:
  access::FleetCa ca_;
  std::filesystem::path dir_;
  int clients_ = 0;
  std::string last_serial_;
};

inline std::shared_ptr<boost::asio::ssl::context> client_context(const http::TlsClientOptions& options) {
  auto ctx = http::make_client_tls_context(options);
  EXPECT_TRUE(ctx.is_ok()) << ctx.status().to_string();
  return ctx.is_ok() ? *ctx : nullptr;
}

}  // namespace fleetgate::tlstest
