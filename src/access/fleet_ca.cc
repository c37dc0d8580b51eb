#include "fleetgate/access/fleet_ca.h"

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include "fleetgate/http/transport_stream.h"

namespace fleetgate::access {

namespace fs = std::filesystem;

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(X509_REQ* p) const { X509_REQ_free(p); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Free>;
using CertPtr = std::unique_ptr<X509, Free>;
using BioPtr = std::unique_ptr<BIO, Free>;

constexpr std::string_view kKeyFile = "ca.key";
constexpr std::string_view kCertFile = "ca.crt";
constexpr std::chrono::seconds kCaLifetime = std::chrono::hours(24 * 365 * 10);

Status openssl_failure(std::string_view what) {
  std::string detail = "unknown OpenSSL error";
  if (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    detail = buf;
  }
  ERR_clear_error();
  return internal_error(std::string(what) + ": " + detail);
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

Result<KeyPtr> new_ec_key() {
  KeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openssl_failure("cannot generate an EC P-256 key");
  return key;
}

Result<std::string> key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_failure("cannot encode a private key");
  }
  return bio_text(bio.get());
}

Result<std::string> cert_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return openssl_failure("cannot encode a certificate");
  return bio_text(bio.get());
}

// One extension in OpenSSL's config syntax ("critical,CA:TRUE"), with `issuer` for key identifiers.
Status add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, Free> ext(X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return openssl_failure("cannot add certificate extension " + std::string(OBJ_nid2sn(nid)) + "=" + value);
  }
  return Status::ok();
}

using Extensions = std::vector<std::pair<int, std::string>>;

// Applies `extensions` (OpenSSL config syntax) with `issuer` for key identifiers.
Status add_extensions(X509* cert, X509* issuer, const Extensions& extensions) {
  for (const auto& [nid, value] : extensions) {
    if (Status s = add_extension(cert, issuer, nid, value); !s.is_ok()) return s;
  }
  return Status::ok();
}

// A certificate for `key` named `common_name`, valid per `validity`, with a random 127-bit
// serial; issued by `issuer` (nullptr: self-signed), not yet signed.
Result<CertPtr> new_certificate(EVP_PKEY* key, std::string_view common_name, const Validity& validity, X509* issuer) {
  CertPtr cert(X509_new());
  std::unique_ptr<BIGNUM, Free> serial(BN_new());
  if (!cert || !serial || X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr ||
      X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(validity.not_before.count())) == nullptr ||
      X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.not_after.count())) == nullptr ||
      X509_set_pubkey(cert.get(), key) != 1) {
    return openssl_failure("cannot build a certificate");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("fleetgate"), -1,
                                 -1, 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.data()),
                                 static_cast<int>(common_name.size()), -1, 0) != 1) {
    return openssl_failure("cannot set the certificate's subject");
  }
  if (X509_set_issuer_name(cert.get(), issuer != nullptr ? X509_get_subject_name(issuer) : name) != 1) {
    return openssl_failure("cannot set the certificate's issuer");
  }
  return cert;
}

Status sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return openssl_failure("cannot sign a certificate");
  return Status::ok();
}

int64_t not_after_ms(const X509* cert) {
  struct tm t {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &t) != 1) return 0;
  return static_cast<int64_t>(timegm(&t)) * 1000;
}

bool valid_common_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

// "DNS:name" or "IP:literal" for one host, nullopt when it is neither.
std::optional<std::string> alt_name(const std::string& host) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (!ec) return "IP:" + host;
  if (host.empty() || host.size() > 253) return std::nullopt;
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                    c == '*';
    if (!ok) return std::nullopt;
  }
  return "DNS:" + host;
}

Result<std::string> read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return unavailable("cannot read " + file.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Writes `text` to `file` created with `mode` (so a key is never readable by others), through a
// temporary file renamed into place.
Status write_file(const fs::path& file, const std::string& text, mode_t mode) {
  const fs::path tmp = file.string() + ".tmp";
  ::unlink(tmp.c_str());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) return unavailable("cannot create " + tmp.string() + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      return unavailable("cannot write " + tmp.string() + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!synced) return unavailable("cannot sync " + tmp.string());
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) return unavailable("cannot write " + file.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace

struct FleetCa::Keys {
  KeyPtr key;
  CertPtr cert;
};

fs::path fleet_ca_dir(const config::Config& config) { return config.server.data_dir / "fleet-ca"; }

FleetCa::FleetCa(std::unique_ptr<Keys> keys, fs::path certificate_file)
    : keys_(std::move(keys)), certificate_file_(std::move(certificate_file)) {
  Result<std::string> pem = cert_pem(keys_->cert.get());
  if (pem.is_ok()) certificate_pem_ = std::move(pem).value();
  subject_ = http::describe_certificate(keys_->cert.get()).subject;
}

FleetCa::FleetCa(FleetCa&&) noexcept = default;
FleetCa& FleetCa::operator=(FleetCa&&) noexcept = default;
FleetCa::~FleetCa() = default;

Result<FleetCa> FleetCa::create_in_memory(std::string_view name) {
  if (!valid_common_name(name)) return invalid_argument("a CA name must be 1-64 printable characters");
  auto keys = std::make_unique<Keys>();
  Result<KeyPtr> key = new_ec_key();
  if (!key.is_ok()) return key.status();
  keys->key = std::move(key).value();
  Result<CertPtr> cert = new_certificate(keys->key.get(), name, {std::chrono::seconds(-300), kCaLifetime}, nullptr);
  if (!cert.is_ok()) return cert.status();
  keys->cert = std::move(cert).value();
  X509* c = keys->cert.get();
  const Extensions extensions = {{NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                 {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                 {NID_subject_key_identifier, "hash"}};
  if (Status s = add_extensions(c, c, extensions); !s.is_ok()) return s;
  if (Status s = sign(c, keys->key.get()); !s.is_ok()) return s;
  return FleetCa(std::move(keys), {});
}

Result<FleetCa> FleetCa::open_or_create(const fs::path& dir) {
  const fs::path key_file = dir / kKeyFile;
  const fs::path cert_file = dir / kCertFile;
  std::error_code ec;
  const bool has_key = fs::exists(key_file, ec);
  const bool has_cert = fs::exists(cert_file, ec);
  if (has_key != has_cert) {
    return failed_precondition("fleet CA in " + dir.string() + " is incomplete: " + (has_key ? cert_file : key_file).string() +
                               " is missing");
  }
  if (!has_key) {
    Result<FleetCa> created = create_in_memory("fleetgate fleet CA");
    if (!created.is_ok()) return created.status();
    fs::create_directories(dir, ec);
    if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
    fs::permissions(dir, fs::perms::owner_all, ec);
    Result<std::string> pem = key_pem(created->keys_->key.get());
    if (!pem.is_ok()) return pem.status();
    // The key first: a CA certificate without its key would be useless, the reverse is reported.
    if (Status s = write_file(key_file, *pem, 0600); !s.is_ok()) return s;
    if (Status s = write_file(cert_file, created->certificate_pem(), 0644); !s.is_ok()) return s;
    created->certificate_file_ = cert_file;
    return created;
  }
  Result<std::string> key_text = read_file(key_file);
  if (!key_text.is_ok()) return key_text.status();
  Result<std::string> cert_text = read_file(cert_file);
  if (!cert_text.is_ok()) return cert_text.status();
  auto keys = std::make_unique<Keys>();
  BioPtr key_bio(BIO_new_mem_buf(key_text->data(), static_cast<int>(key_text->size())));
  BioPtr cert_bio(BIO_new_mem_buf(cert_text->data(), static_cast<int>(cert_text->size())));
  if (key_bio) keys->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (cert_bio) keys->cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (!keys->key) return invalid_argument(key_file.string() + " holds no PEM private key");
  if (!keys->cert) return invalid_argument(cert_file.string() + " holds no PEM certificate");
  if (X509_check_private_key(keys->cert.get(), keys->key.get()) != 1) {
    ERR_clear_error();
    return invalid_argument(key_file.string() + " is not the key of " + cert_file.string());
  }
  return FleetCa(std::move(keys), cert_file);
}

namespace {

// A certificate for the public half of `key`, signed by `ca`; key_pem stays empty.
Result<IssuedCertificate> certify(const FleetCa::Keys& ca, EVP_PKEY* key, std::string_view common_name,
                                  const Validity& validity, Extensions extensions) {
  Result<CertPtr> cert = new_certificate(key, common_name, validity, ca.cert.get());
  if (!cert.is_ok()) return cert.status();
  X509* c = cert->get();
  extensions.insert(extensions.begin(), {{NID_basic_constraints, "critical,CA:FALSE"},
                                         {NID_key_usage, "critical,digitalSignature"},
                                         {NID_authority_key_identifier, "keyid:always"}});
  if (Status s = add_extensions(c, ca.cert.get(), extensions); !s.is_ok()) return s;
  if (Status s = sign(c, ca.key.get()); !s.is_ok()) return s;
  Result<std::string> cpem = cert_pem(c);
  if (!cpem.is_ok()) return cpem.status();
  const http::PeerCertificate described = http::describe_certificate(c);
  return IssuedCertificate{*cpem, "", described.serial, described.subject, not_after_ms(c)};
}

// A fresh key and a certificate for it, signed by `ca`.
Result<IssuedCertificate> issue_leaf(const FleetCa::Keys& ca, std::string_view common_name, const Validity& validity,
                                     Extensions extensions) {
  Result<KeyPtr> key = new_ec_key();
  if (!key.is_ok()) return key.status();
  Result<IssuedCertificate> issued = certify(ca, key->get(), common_name, validity, std::move(extensions));
  if (!issued.is_ok()) return issued.status();
  Result<std::string> kpem = key_pem(key->get());
  if (!kpem.is_ok()) return kpem.status();
  issued->key_pem = std::move(kpem).value();
  return issued;
}

// The request's subject CN, "" when it names none.
std::string request_common_name(X509_REQ* request) {
  X509_NAME* name = X509_REQ_get_subject_name(request);
  const int at = name == nullptr ? -1 : X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (at < 0) return "";
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

// invalid_argument unless `key` is EC P-256/P-384 or RSA of at least 2048 bits, what the
// server's TLS accepts from a car.
Status check_request_key(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < 2048) return invalid_argument("the request's RSA key is shorter than 2048 bits");
    return Status::ok();
  }
  if (EVP_PKEY_is_a(key, "EC")) {
    char curve[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", curve, sizeof curve, &len) == 1 &&
        (std::string_view(curve) == "prime256v1" || std::string_view(curve) == "secp384r1")) {
      return Status::ok();
    }
    return invalid_argument("the request's EC key is not on P-256 or P-384");
  }
  return invalid_argument("the request's key is neither EC (P-256, P-384) nor RSA");
}

}  // namespace

Result<IssuedCertificate> FleetCa::issue_client(std::string_view common_name, const Validity& validity) const {
  if (!valid_common_name(common_name)) return invalid_argument("a certificate name must be 1-64 printable characters");
  return issue_leaf(*keys_, common_name, validity, {{NID_ext_key_usage, "clientAuth"}});
}

Result<IssuedCertificate> FleetCa::sign_client_request(std::string_view request_pem, std::string_view common_name,
                                                      const Validity& validity) const {
  if (!valid_common_name(common_name)) return invalid_argument("a certificate name must be 1-64 printable characters");
  if (request_pem.size() > kMaxRequestBytes) return invalid_argument("the certificate request is larger than 64 KiB");
  BioPtr bio(BIO_new_mem_buf(request_pem.data(), static_cast<int>(request_pem.size())));
  std::unique_ptr<X509_REQ, Free> request(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  ERR_clear_error();
  if (!request) return invalid_argument("not a PEM certificate request (-----BEGIN CERTIFICATE REQUEST-----)");
  EVP_PKEY* key = X509_REQ_get0_pubkey(request.get());
  if (key == nullptr) return invalid_argument("the certificate request carries no public key");
  if (Status s = check_request_key(key); !s.is_ok()) return s;
  // Proof that whoever made the request holds the private key.
  const int verified = X509_REQ_verify(request.get(), key);
  ERR_clear_error();
  if (verified != 1) return invalid_argument("the certificate request's signature does not verify with its key");
  const std::string asked = request_common_name(request.get());
  if (!asked.empty() && asked != common_name) {
    return invalid_argument("the request names CN=" + asked.substr(0, 64) + ", not " + std::string(common_name));
  }
  return certify(*keys_, key, common_name, validity, {{NID_ext_key_usage, "clientAuth"}});
}

Result<IssuedCertificate> FleetCa::issue_server(const std::vector<std::string>& hosts, const Validity& validity) const {
  if (hosts.empty()) return invalid_argument("a server certificate needs at least one host name");
  std::string alt_names;
  for (const std::string& host : hosts) {
    std::optional<std::string> alt = alt_name(host);
    if (!alt) return invalid_argument("'" + host.substr(0, 64) + "' is neither a DNS name nor an IP address");
    alt_names += (alt_names.empty() ? "" : ",") + *alt;
  }
  if (!valid_common_name(hosts.front())) {
    return invalid_argument("host name '" + hosts.front().substr(0, 64) + "' is too long for a CN");
  }
  return issue_leaf(*keys_, hosts.front(), validity,
                    {{NID_ext_key_usage, "serverAuth"}, {NID_subject_alt_name, alt_names}});
}

Status write_certificate_files(const IssuedCertificate& issued, const fs::path& dir, std::string_view name) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return unavailable("cannot create " + dir.string() + ": " + ec.message());
  if (Status s = write_file(dir / (std::string(name) + ".key"), issued.key_pem, 0600); !s.is_ok()) return s;
  return write_file(dir / (std::string(name) + ".crt"), issued.certificate_pem, 0644);
}

}  // namespace fleetgate::access
