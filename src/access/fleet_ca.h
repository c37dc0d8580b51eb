// The fleet's certificate authority: an EC P-256 key and a self-signed CA certificate kept in a
// directory (ca.key mode 0600, ca.crt), created at first use. It issues vehicle client
// certificates (CN = VIN, extended key usage clientAuth) and server certificates (the hosts as
// subjectAltName, serverAuth), each with a fresh EC P-256 key, signed with SHA-256 (OpenSSL 3).
// This file is key handling only; CertificateIssuer checks the registry and audits issuance.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::access {

// <server.data_dir>/fleet-ca: where a deployment keeps its fleet CA, beside the control plane.
std::filesystem::path fleet_ca_dir(const config::Config& config);

inline constexpr int kDefaultCertificateDays = 90;

// When a certificate is valid, relative to the moment of issue.
struct Validity {
  std::chrono::seconds not_before{-300};                  // a little in the past, for clock skew
  // 90 days, so a lost key is useful for a short while at most; cars renew before it expires.
  std::chrono::seconds not_after{std::chrono::hours(24 * kDefaultCertificateDays)};
};

struct IssuedCertificate {
  std::string certificate_pem;
  std::string key_pem;  // unencrypted PKCS#8; keep it 0600 (empty when signed from a request)
  std::string serial;   // uppercase hex, as http::PeerCertificate::serial shows it
  std::string subject;  // RFC 2253 one line
  int64_t not_after_ms = 0;
};

class FleetCa {
 public:
  // The CA kept in `dir`; creates the directory (0700), key and certificate when `dir` holds
  // neither. failed_precondition when only one of the two files is there; invalid_argument
  // when they do not parse or do not belong together; unavailable on I/O errors.
  static Result<FleetCa> open_or_create(const std::filesystem::path& dir);
  // A CA that lives only in memory (tests, e.g. a foreign CA).
  static Result<FleetCa> create_in_memory(std::string_view name);

  FleetCa(FleetCa&&) noexcept;
  FleetCa& operator=(FleetCa&&) noexcept;
  ~FleetCa();

  const std::string& certificate_pem() const { return certificate_pem_; }
  // dir/ca.crt; empty for an in-memory CA.
  const std::filesystem::path& certificate_file() const { return certificate_file_; }
  // RFC 2253 subject, equal to http::PeerCertificate::issuer of the certificates it signs.
  const std::string& subject() const { return subject_; }

  // A client certificate for `common_name` (1..64 bytes). invalid_argument for a bad name.
  Result<IssuedCertificate> issue_client(std::string_view common_name, const Validity& validity = {}) const;
  // A client certificate for the key of a PKCS#10 request (PEM) the car made itself, so its
  // private key never leaves it. Subject O=fleetgate, CN=`common_name`; the rest of the request's
  // subject is ignored.
  // invalid_argument when the request does not parse, is larger than kMaxRequestBytes, its
  // signature does not verify with its own key (no proof of possession), its key is not EC
  // P-256/P-384 or RSA >= 2048 bits, or it names a CN other than `common_name`.
  Result<IssuedCertificate> sign_client_request(std::string_view request_pem, std::string_view common_name,
                                                const Validity& validity = {}) const;
  static constexpr size_t kMaxRequestBytes = 64 * 1024;
  // A server certificate for `hosts` (DNS names or IP literals; the first is also the CN).
  // invalid_argument when `hosts` is empty or a name is malformed.
  Result<IssuedCertificate> issue_server(const std::vector<std::string>& hosts, const Validity& validity = {}) const;

  struct Keys;

 private:
  FleetCa(std::unique_ptr<Keys> keys, std::filesystem::path certificate_file);
  std::unique_ptr<Keys> keys_;
  std::string certificate_pem_;
  std::filesystem::path certificate_file_;
  std::string subject_;
};

// Writes NAME.crt (0644) and NAME.key (0600, never readable by others even briefly) into `dir`,
// creating it; replaces earlier files of that name. unavailable on I/O errors.
Status write_certificate_files(const IssuedCertificate& issued, const std::filesystem::path& dir, std::string_view name);

}  // namespace fleetgate::access
