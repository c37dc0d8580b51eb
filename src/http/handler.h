// The four kinds of route handler. Handler and StreamHandler run on the server's worker pool and
// may block (storage, upstream calls); an AsyncStreamHandler and a WebSocketHandler are coroutines
// on the connection's event loop that must never block it (they offload blocking work with
// run_blocking()). The async kinds save the two thread hand-offs of a worker per request.
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
// A streamed (or plain, via StreamWriter::reply) response written by a coroutine on the
// connection's loop; its access check runs on the loop too, so the route's Authenticator must not
// block for long. It awaits StreamWriter::writable() after writing to respect a slow client.
using AsyncStreamHandler = std::function<boost::asio::awaitable<void>(const Request&, StreamWriter&)>;
// A WebSocket route: runs after the handshake was accepted; the connection closes when it returns.
using WebSocketHandler = std::function<boost::asio::awaitable<void>(const Request&, WebSocketSession&)>;

}  // namespace fleetgate::http
