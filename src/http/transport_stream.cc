#include "fleetgate/http/transport_stream.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

namespace fleetgate::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;

namespace {

// TLS 1.2 and 1.3 only, no renegotiation or compression.
Status restrict_protocols(ssl::context& ctx) {
  beast::error_code ec;
  ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                      ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression,
                  ec);
  if (ec) return internal_error("cannot set TLS options: " + ec.message());
  if (SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION) != 1) {
    return internal_error("cannot require TLS 1.2 or later");
  }
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_NO_RENEGOTIATION);
  return Status::ok();
}

Status load_file_error(std::string_view what, const std::filesystem::path& file, const beast::error_code& ec) {
  return invalid_argument("cannot load TLS " + std::string(what) + " '" + file.string() + "': " + ec.message());
}

// OpenSSL's one-line RFC 2253 form of a name.
std::string name_text(const X509_NAME* name) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr) return {};
  std::string out;
  if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    if (n > 0) out.assign(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  return out;
}

std::string common_name(const X509_NAME* name) {
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return {};
  std::string out(reinterpret_cast<const char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

std::string serial_hex(const X509* cert) {
  BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  if (bn == nullptr) return {};
  char* hex = BN_bn2hex(bn);
  std::string out = hex != nullptr ? hex : "";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_server_tls_context(const TlsServerOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  if (Status s = restrict_protocols(*ctx); !s.is_ok()) return s;
  beast::error_code ec;
  ctx->use_certificate_chain_file(options.cert.string(), ec);
  if (ec) return load_file_error("certificate", options.cert, ec);
  ctx->use_private_key_file(options.key.string(), ssl::context::pem, ec);
  if (ec) return load_file_error("private key", options.key, ec);
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return invalid_argument("TLS private key '" + options.key.string() + "' does not match certificate '" +
                            options.cert.string() + "'");
  }
  // Resumed sessions need an id context once client certificates are verified.
  static constexpr unsigned char kSessionContext[] = "fleetgate";
  SSL_CTX_set_session_id_context(ctx->native_handle(), kSessionContext, sizeof kSessionContext - 1);
  if (options.client_cert == ClientCertMode::kOff) {
    ctx->set_verify_mode(ssl::verify_none, ec);
    return ctx;
  }
  if (options.client_ca.empty()) return invalid_argument("client certificates need a client CA file");
  ctx->load_verify_file(options.client_ca.string(), ec);
  if (ec) return load_file_error("client CA", options.client_ca, ec);
  // Tell clients which CAs to pick a certificate for.
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options.client_ca.string().c_str());
  if (names == nullptr) {
    ERR_clear_error();
    return invalid_argument("no CA certificate in TLS client CA '" + options.client_ca.string() + "'");
  }
  SSL_CTX_set_client_CA_list(ctx->native_handle(), names);
  ssl::verify_mode mode = ssl::verify_peer;
  if (options.client_cert == ClientCertMode::kRequire) mode |= ssl::verify_fail_if_no_peer_cert;
  ctx->set_verify_mode(mode, ec);
  if (ec) return internal_error("cannot set TLS verify mode: " + ec.message());
  return ctx;
}

Result<std::shared_ptr<ssl::context>> make_client_tls_context(const TlsClientOptions& options) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  if (Status s = restrict_protocols(*ctx); !s.is_ok()) return s;
  beast::error_code ec;
  if (options.ca_file.empty()) {
    ctx->set_default_verify_paths(ec);
    if (ec) return internal_error("cannot load the system CA store: " + ec.message());
  } else {
    ctx->load_verify_file(options.ca_file.string(), ec);
    if (ec) return load_file_error("CA", options.ca_file, ec);
  }
  if (!options.cert.empty()) {
    ctx->use_certificate_chain_file(options.cert.string(), ec);
    if (ec) return load_file_error("client certificate", options.cert, ec);
    ctx->use_private_key_file(options.key.string(), ssl::context::pem, ec);
    if (ec) return load_file_error("client key", options.key, ec);
  }
  ctx->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return internal_error("cannot enable TLS peer verification: " + ec.message());
  return ctx;
}

TransportStream::TransportStream(beast::tcp_stream tcp) : plain_(std::move(tcp)) {}

TransportStream::TransportStream(beast::tcp_stream tcp, ssl::context& context) : tls_(std::in_place, std::move(tcp), context) {}

Status TransportStream::start_client_tls(const std::string& host) {
  if (!tls_) return failed_precondition("not a TLS stream");
  beast::error_code not_ip;
  net::ip::make_address(host, not_ip);
  // Server Name Indication carries DNS names only; an IP literal is still verified below.
  if (not_ip && SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str()) != 1) {
    ERR_clear_error();
    return invalid_argument("cannot set TLS server name '" + host + "'");
  }
  tls_->set_verify_callback(ssl::host_name_verification(host));
  return Status::ok();
}

PeerCertificate describe_certificate(const X509* cert) {
  PeerCertificate peer;
  peer.common_name = common_name(X509_get_subject_name(cert));
  peer.subject = name_text(X509_get_subject_name(cert));
  peer.issuer = name_text(X509_get_issuer_name(cert));
  peer.serial = serial_hex(cert);
  return peer;
}

std::optional<PeerCertificate> TransportStream::verified_peer() const {
  if (!tls_) return std::nullopt;
  SSL* ssl = const_cast<TlsStream&>(*tls_).native_handle();
  const X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  return describe_certificate(cert);
}

void teardown(beast::role_type role, TransportStream& stream, beast::error_code& ec) {
  if (TransportStream::TlsStream* tls = stream.tls()) {
    beast::teardown(role, *tls, ec);
  } else {
    beast::teardown(role, stream.next_layer(), ec);
  }
}

}  // namespace fleetgate::http
