// The HTTP/1.1 server every feature registers its routes on. It knows nothing about features.
//
// Threading: `io_threads` run all socket I/O, each its own single-threaded event loop (one
// coroutine per connection, which stays on the loop that accepted it);
// Handler and StreamHandler calls, and their Authenticator calls, run on a separate pool of
// `worker_threads` so blocking work (RocksDB, upstream HTTP) never stalls I/O; AsyncStreamHandlers
// (and their Authenticator calls) run on the connection's loop. A request waits in
// the pool's queue when every worker is busy. WebSocketHandlers are coroutines on the connection's loop
// and use WebSocketSession::run_blocking for blocking work.
//
// Built-in routes: GET /healthz (public, 200 while the process is up), GET /readyz (public, 200
// when the readiness check returns OK, else 503), GET /metrics (ServerOptions::metrics_access;
// Prometheus text). Requests counted as http_requests_total{method,route,status},
// http_request_duration_seconds{method,route} and http_requests_in_flight; `route` is the
// matched pattern, or "unmatched".
#pragma once

#include <spdlog/common.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/auth.h"
#include "fleetgate/http/handler.h"
#include "fleetgate/http/message.h"
#include "fleetgate/http/metrics.h"
#include "fleetgate/http/session_registry.h"
#include "fleetgate/http/router.h"
#include "fleetgate/http/transport_stream.h"

namespace fleetgate::http {

struct ServerOptions {
  std::string listen_address = "127.0.0.1";  // an IPv4 or IPv6 literal
  uint16_t port = 8080;                      // 0 picks an ephemeral port, see Server::port()
  int io_threads = 2;
  int worker_threads = 4;                    // run handlers and authenticators, which may block
  size_t max_body_bytes = 1 << 20;           // larger bodies get 413 (RouteOptions may override)
  size_t max_header_bytes = 16 << 10;        // larger request heads get 431
  // Open connections at most; a connection accepted beyond it is closed at once (and counted in
  // http_connections_refused_total). Bodies are read only once the route admitted the caller, so
  // a connection that has not authenticated holds at most its head plus a 16 KiB read buffer.
  size_t max_connections = 4096;
  // The whole request head must arrive within this, counted from the end of the previous
  // response on a kept-alive connection (so idle connections close too): slowloris-safe.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{30'000};   // the whole body must arrive within this
  std::chrono::milliseconds write_timeout{30'000};  // each response write (or stream chunk)
  // stop() lets in-flight requests finish for this long, then closes every connection.
  std::chrono::milliseconds shutdown_grace{10'000};
  spdlog::level::level_enum access_log_level = spdlog::level::info;  // one line per request
  RouteOptions metrics_access = RouteOptions::public_access();       // who may GET /metrics
  // HTTPS and WSS on the port instead of plain HTTP; the handshake must finish within
  // header_timeout. Requests carry the verified client certificate (Request::peer_certificate).
  std::optional<TlsServerOptions> tls = {};
  // Turns away a request this node should not serve (e.g. a car whose home region is served
  // elsewhere): runs on the connection's loop for every routed request, from its head alone,
  // before the access check and before a byte of the body is read, and must not block. The
  // response it returns is the answer (the body stays unread); nullopt lets the request proceed.
  std::function<std::optional<Response>(const Request&)> misdirected = {};
  // Called by run() on SIGHUP, on run()'s thread; true makes run() stop the server and return as
  // after SIGTERM (e.g. to serve a reloaded configuration). Without it SIGHUP is ignored.
  std::function<bool()> on_hangup = {};
  // A listening TCP socket to accept on instead of binding listen_address:port (the server takes
  // ownership): one an earlier Server of this process handed over (duplicate_listener()), so
  // connections that arrive in between wait in its backlog instead of being refused.
  int listen_fd = -1;

  // Address, port, I/O threads, body and connection limits and TLS from the [server] config section (a TLS
  // client_ca left empty stays empty: the caller fills in its default).
  static ServerOptions from_config(const config::ServerOptions& server);
};

class Server {
 public:
  // A null registry gets a private one; a null authenticator denies every non-public route.
  explicit Server(ServerOptions options, std::shared_ptr<MetricsRegistry> metrics = nullptr,
                  std::shared_ptr<const Authenticator> authenticator = nullptr);
  ~Server();  // stop()s if running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Route registration, REQUIRED before start() (failed_precondition after). Errors as
  // Router::add: invalid_argument for a bad pattern, already_exists for a clash.
  Status route(Verb method, std::string_view pattern, RouteOptions access, Handler handler);
  Status stream_route(Verb method, std::string_view pattern, RouteOptions access, StreamHandler handler);
  Status async_stream_route(Verb method, std::string_view pattern, RouteOptions access, AsyncStreamHandler handler);
  // A GET route that upgrades to WebSocket; a plain GET to it gets 426.
  Status websocket_route(std::string_view pattern, RouteOptions access, WebSocketHandler handler);
  // Decides /readyz; called on a worker thread. Default: always ready. REQUIRES: before start().
  void set_readiness_check(std::function<Status()> check);

  // Binds, listens and starts the threads. invalid_argument for a bad address or TLS files that
  // cannot be loaded, unavailable when the port cannot be bound, failed_precondition when
  // already started (or stopped).
  Status start();
  // The bound port (the ephemeral one when ServerOptions::port was 0); 0 before start().
  uint16_t port() const;
  // Graceful stop: no new connections, idle ones closed, in-flight requests finish up to
  // shutdown_grace, then every connection is closed (streams see cancellation). Blocks until the
  // threads are joined; handlers still running past the deadline are waited for. Idempotent.
  void stop();
  // start(), call `on_started` (e.g. to log the bound port), block until SIGINT or SIGTERM (or a
  // SIGHUP that on_hangup answers with true), then stop().
  Status run(const std::function<void()>& on_started = {});
  // A new descriptor of the listening socket, which the caller owns (for ServerOptions::listen_fd
  // of the next Server); -1 before start() and when the system refuses one.
  int duplicate_listener() const;

  MetricsRegistry& metrics();
  // The open WebSockets by credential: the server registers each one with its access check
  // (websocket.h), revoking a credential ends them (SessionRegistry::end).
  SessionRegistry& sessions();
  // The worker pool, where async handlers run their blocking work (run_blocking()).
  boost::asio::any_io_executor workers() const;
  // Every registered route, built-in ones included, in registration order.
  std::vector<const Route*> routes() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetgate::http
