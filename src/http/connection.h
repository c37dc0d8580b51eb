// Internal to Server: one accepted TCP connection (plain or TLS) and the coroutine that serves
// HTTP/1.1 requests on it (TLS handshake, keep-alive, limits, timeouts, routing, auth, handler
// dispatch, SSE and WebSocket).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "fleetgate/http/auth.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/http/router.h"
#include "fleetgate/http/session_registry.h"
#include "fleetgate/http/transport_stream.h"

namespace fleetgate::http {

struct ServerOptions;

struct Connection {
  explicit Connection(TransportStream s);

  TransportStream stream;
  boost::beast::flat_buffer buffer;
  std::string remote;  // "ip:port"
  std::optional<PeerCertificate> peer;  // the verified client certificate, after the handshake
  // Touched only on the connection's event loop.
  bool busy = false;     // a request is being handled, or a WebSocket owns the socket
  bool closing = false;  // the server is stopping: close after the current response
};

// What every connection shares; owned by the server, outlives all connections.
struct ServerCore {
  const ServerOptions& options;
  const Router& router;
  const Authenticator& authenticator;
  SessionRegistry& sessions;  // every WebSocket, registered by its access check
  boost::asio::any_io_executor workers;
  CounterFamily* requests;
  HistogramFamily* latency;
  Gauge* in_flight;
};

// Serves requests until the peer closes, an error, a timeout, or Connection::closing.
boost::asio::awaitable<void> serve_connection(const ServerCore& core, std::shared_ptr<Connection> c);

}  // namespace fleetgate::http
