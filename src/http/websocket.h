// WebSocketSession: what a WebSocketHandler gets once the server accepted the upgrade. The
// handler owns the stream (read/write/close with Beast's async API as coroutines) and hands any
// blocking work (storage writes) to the worker pool with run_blocking(), so I/O threads never stall.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/websocket/stream.hpp>

#include "fleetgate/http/blocking.h"
#include "fleetgate/http/transport_stream.h"

namespace fleetgate::http {

class WebSocketSession {
 public:
  // ws:// or wss://, as the connection came in.
  using Stream = boost::beast::websocket::stream<TransportStream&>;

  WebSocketSession(Stream& stream, boost::asio::any_io_executor workers) : stream_(stream), workers_(workers) {}

  Stream& stream() { return stream_; }

  // Runs `fn` on the worker pool; the awaiting handler resumes on its connection with the result.
  // See the GCC 12 caveat in blocking.h: name a capturing lambda before co_await-ing this.
  template <typename F>
  boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(F fn) {
    return http::run_blocking(workers_, std::move(fn));
  }

 private:
  Stream& stream_;
  boost::asio::any_io_executor workers_;
};

}  // namespace fleetgate::http
