// The three kinds of route handler. Handler and StreamHandler run on the server's worker pool and
// may block (storage, upstream calls); a WebSocketHandler is a coroutine on the connection's I/O
// strand that owns the socket after the upgrade and offloads blocking work with run_blocking().
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>

#include "fleetgate/http/message.h"

namespace fleetgate::http {

class StreamWriter;
class WebSocketSession;

// An ordinary request: returns the whole response.
using Handler = std::function<Response(const Request&)>;
// A streamed response (e.g. Server-Sent Events): writes through the writer until done. Returning
// without StreamWriter::start() or StreamWriter::reply() yields a 500.
using StreamHandler = std::function<void(const Request&, StreamWriter&)>;
// A WebSocket route: runs after the handshake was accepted; the connection closes when it returns.
using WebSocketHandler = std::function<boost::asio::awaitable<void>(const Request&, WebSocketSession&)>;

}  // namespace fleetgate::http
