// TransportStream: one byte stream for plain TCP and TLS connections, chosen per connection at
// runtime, so the server (and the test client) has a single code path for http/https and
// ws/wss. TLS means Beast's ssl_stream over the same tcp_stream; timeouts and socket options
// always act on that tcp_stream (next_layer()). Also the TLS settings both sides build their
// OpenSSL 3 contexts from, and the verified peer certificate as requests carry it.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <openssl/types.h>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http {

using ClientCertMode = config::ClientCertMode;

// Server side TLS, from [server.tls]. Every file is PEM.
struct TlsServerOptions {
  std::filesystem::path cert;       // the server's certificate chain, leaf first
  std::filesystem::path key;        // its private key
  std::filesystem::path client_ca;  // CAs client certificates must chain to (required unless kOff)
  ClientCertMode client_cert = ClientCertMode::kOff;
};

// A TLS 1.2+ server context: certificate, key, and client certificate verification as `options`
// ask. invalid_argument naming the file when one cannot be loaded or the key does not match.
Result<std::shared_ptr<boost::asio::ssl::context>> make_server_tls_context(const TlsServerOptions& options);

// Client side TLS: trust `ca_file` (empty: the system store), present `cert`/`key` when set.
struct TlsClientOptions {
  std::filesystem::path ca_file;
  std::filesystem::path cert;
  std::filesystem::path key;
};

// A TLS 1.2+ client context that verifies the server's chain (host names are checked per
// connection, see TransportStream::start_client_tls). invalid_argument for unreadable files.
Result<std::shared_ptr<boost::asio::ssl::context>> make_client_tls_context(const TlsClientOptions& options);

// A certificate's names and serial as PeerCertificate carries them.
PeerCertificate describe_certificate(const X509* cert);

class TransportStream {
 public:
  using executor_type = boost::beast::tcp_stream::executor_type;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  // Plain TCP.
  explicit TransportStream(boost::beast::tcp_stream tcp);
  // TLS over `tcp`; the handshake is the owner's to run (tls()->async_handshake). REQUIRES:
  // `context` outlives the stream.
  TransportStream(boost::beast::tcp_stream tcp, boost::asio::ssl::context& context);

  executor_type get_executor() noexcept { return next_layer().get_executor(); }
  // The TCP stream under either kind: timeouts, socket options, close.
  boost::beast::tcp_stream& next_layer() { return tls_ ? tls_->next_layer() : *plain_; }
  const boost::beast::tcp_stream& next_layer() const { return tls_ ? tls_->next_layer() : *plain_; }
  boost::asio::ip::tcp::socket& socket() { return next_layer().socket(); }
  void expires_after(std::chrono::steady_clock::duration d) { next_layer().expires_after(d); }
  void expires_never() { next_layer().expires_never(); }
  void close() { next_layer().close(); }
  // The TLS layer, nullptr on a plain connection.
  TlsStream* tls() { return tls_ ? &*tls_ : nullptr; }

  // Client side: sets SNI and host name verification for `host` before the handshake.
  // invalid_argument when the name cannot be set. REQUIRES: a TLS stream.
  Status start_client_tls(const std::string& host);

  // After a TLS handshake: the peer's certificate when it sent one and it verified; nullopt
  // on plain connections and when the peer sent none.
  std::optional<PeerCertificate> verified_peer() const;

  template <typename MutableBuffers, typename Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const MutableBuffers& b) {
          if (tls_) {
            tls_->async_read_some(b, std::move(handler));
          } else {
            plain_->async_read_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

  template <typename ConstBuffers, typename Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_initiate<Token, void(boost::beast::error_code, std::size_t)>(
        [this](auto handler, const ConstBuffers& b) {
          if (tls_) {
            tls_->async_write_some(b, std::move(handler));
          } else {
            plain_->async_write_some(b, std::move(handler));
          }
        },
        token, buffers);
  }

 private:
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
};

// WebSocket close over either kind (found by argument-dependent lookup from Beast's websocket
// stream): a TLS close_notify, then the TCP teardown.
void teardown(boost::beast::role_type role, TransportStream& stream, boost::beast::error_code& ec);

template <typename TeardownHandler>
void async_teardown(boost::beast::role_type role, TransportStream& stream, TeardownHandler&& handler) {
  if (TransportStream::TlsStream* tls = stream.tls()) {
    boost::beast::async_teardown(role, *tls, std::forward<TeardownHandler>(handler));
  } else {
    boost::beast::async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
  }
}

}  // namespace fleetgate::http
