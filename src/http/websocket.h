// WebSocketSession: what a WebSocketHandler gets once the server accepted the upgrade. The
// handler owns the stream (read/write/close with Beast's async API as coroutines) and hands any
// blocking work (storage writes) to the worker pool with run_blocking(), so I/O threads never stall.
//
// Revocation: the server registers every WebSocket in its SessionRegistry under the caller's
// credential as part of the access check, before the upgrade (a revocation running meanwhile
// either finds the session or is seen by the check). A credential revoked before the upgrade gets
// 401; one revoked later makes revoked() true at once and, on the connection's loop, runs the
// handler's on_revoked function, or without one closes the connection.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <functional>
#include <memory>

#include "fleetgate/http/blocking.h"
#include "fleetgate/http/session_registry.h"
#include "fleetgate/http/transport_stream.h"

namespace fleetgate::http {

// How the server hands one WebSocket's revocation over: made before the access check, fired from
// the registration's on_end (posted to the connection's loop, possibly after the handler
// returned). Touched on the connection's loop only.
struct WebSocketRevocation {
  bool fired = false;           // the credential was revoked
  bool live = false;            // the handler runs: fire() acts only then
  std::function<void()> hook;   // the handler's (WebSocketSession::on_revoked)
  std::function<void()> close;  // the server's, without a hook: closes the connection
  void fire();
};

class WebSocketSession {
 public:
  // ws:// or wss://, as the connection came in.
  using Stream = boost::beast::websocket::stream<TransportStream&>;

  // `registered`: the session under the caller's credential, null on public routes (never
  // revoked). REQUIRES: both outlive the handler's run.
  WebSocketSession(Stream& stream, boost::asio::any_io_executor workers, const SessionRegistry::Session* registered,
                   std::shared_ptr<WebSocketRevocation> revocation)
      : stream_(stream), workers_(workers), registered_(registered), revocation_(std::move(revocation)) {}

  Stream& stream() { return stream_; }

  // Runs `fn` on the worker pool; the awaiting handler resumes on its connection with the result.
  // See the GCC 12 caveat in blocking.h: name a capturing lambda before co_await-ing this.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(F fn) {
    return http::run_blocking(workers_, std::move(fn));
  }

  // True from the moment the credential that opened the socket was revoked: act on nothing more
  // the peer sends. Thread-safe.
  bool revoked() const { return registered_ != nullptr && registered_->ended(); }

  // Takes the revocation over from the server: `fn` runs on the connection's loop when the
  // credential is revoked (posted at once when it already was), only while the handler runs, and
  // must end the socket (say, a close frame giving the reason). Without it the server closes the
  // connection, so a handler that closes the socket itself must set one: Beast allows one close.
  // Call it on the connection's loop.
  void on_revoked(std::function<void()> fn);

 private:
  Stream& stream_;
  boost::asio::any_io_executor workers_;
  const SessionRegistry::Session* registered_;
  std::shared_ptr<WebSocketRevocation> revocation_;
};

}  // namespace fleetgate::http
