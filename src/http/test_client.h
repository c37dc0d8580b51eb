// Synchronous loopback HTTP client for tests (library fg_http_testing, never linked into the
// binary): plain requests over one kept-alive connection, Server-Sent Event streams read event by
// event, raw bytes for malformed-input tests, and a WebSocket client; HTTPS and WSS when given a
// TLS client context (make_client_tls_context). Every operation fails with unavailable after
// `timeout` instead of hanging a test.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/http/message.h"

namespace fleetgate::http::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;
inline constexpr std::chrono::milliseconds kDefaultTimeout{10'000};

struct ClientResponse {
  unsigned status = 0;
  Fields headers;
  std::string body;
  bool keep_alive = false;  // the server will keep the connection open
  std::string_view header(std::string_view name) const;
};

struct SseEvent {
  std::string event;  // "" when the event has no "event:" field
  std::string data;   // "data:" lines joined with '\n'
  std::string id;
};

class Wire;

// A streamed response on its own connection.
class SseStream {
 public:
  explicit SseStream(std::unique_ptr<Wire> wire);
  ~SseStream();
  unsigned status() const;
  const Fields& headers() const;
  // The next event; nullopt once the stream ended; unavailable on a broken connection or timeout.
  Result<std::optional<SseEvent>> next();
  // The body received so far and not yet returned as events (e.g. a non-SSE error body).
  const std::string& pending() const { return pending_; }
  // The text of every SSE comment line (": TEXT") read so far, in order; next() skips them.
  const std::vector<std::string>& comments() const { return comments_; }
  // Closes the connection: the server sees the client go away.
  void close();

 private:
  std::unique_ptr<Wire> wire_;
  std::string pending_;
  std::vector<std::string> comments_;
};

class TestClient {
 public:
  // With `tls`, connections are TLS, verifying the server's certificate for `host`.
  TestClient(std::string host, uint16_t port, std::chrono::milliseconds timeout = kDefaultTimeout,
             std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  // Spreads requests over several nodes of one service, as a round-robin load balancer would:
  // each request and each stream goes to the next of `ports` in turn (with more than one, on a
  // connection of its own). REQUIRES: `ports` is not empty.
  TestClient(std::string host, std::vector<uint16_t> ports, std::chrono::milliseconds timeout = kDefaultTimeout);
  ~TestClient();

  // Sends one request on the kept-alive connection (connecting first when needed).
  Result<ClientResponse> request(Verb method, std::string_view target, std::string body = {},
                                 const HeaderList& headers = {});
  Result<ClientResponse> get(std::string_view target, const HeaderList& headers = {});
  // Content-Type application/json unless `headers` set one.
  Result<ClientResponse> post(std::string_view target, std::string body, const HeaderList& headers = {});
  // Sends a request on a new connection and reads the response head; events follow via next().
  Result<std::unique_ptr<SseStream>> stream(Verb method, std::string_view target, std::string body = {},
                                            const HeaderList& headers = {});
  // Drops the kept-alive connection.
  void close();

 private:
  // The port of the next request's node; drops the kept-alive connection when it changes.
  uint16_t next_port();

  std::string host_;
  std::vector<uint16_t> ports_;
  size_t next_ = 0;  // index in ports_ of the next request's node
  std::chrono::milliseconds timeout_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<Wire> wire_;
};

// Writes `bytes` on a fresh connection and returns everything the server sent until it closed
// the connection; unavailable if it did not close within `timeout`.
Result<std::string> exchange_raw(const std::string& host, uint16_t port, std::string_view bytes,
                                 std::chrono::milliseconds timeout = kDefaultTimeout);

class TestWebSocket {
 public:
  // Connects (over TLS with `tls`: wss) and performs the upgrade handshake; the error carries the
  // HTTP status when refused.
  static Result<std::unique_ptr<TestWebSocket>> connect(const std::string& host, uint16_t port,
                                                        std::string_view target, const HeaderList& headers = {},
                                                        std::chrono::milliseconds timeout = kDefaultTimeout,
                                                        std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~TestWebSocket();
  Status send(std::string_view text);  // a text message
  Status send_binary(std::string_view bytes);
  // The next message; unavailable when the connection closed or timed out.
  Result<std::string> receive();
  Status close();
  // Code and reason of the close frame the server sent, once receive() failed on it ({0, ""} before).
  std::pair<uint16_t, std::string> close_reason() const;

 private:
  struct State;
  explicit TestWebSocket(std::unique_ptr<State> state);
  Status send_message(std::string_view payload, bool text);
  std::unique_ptr<State> state_;
};

}  // namespace fleetgate::http::testing
