#include "fleetgate/http/test_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "fleetgate/http/transport_stream.h"

namespace fleetgate::http::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// Runs one asynchronous operation, started by start(handler), to completion; past `timeout` it
// is aborted with abort() and the result is beast::error::timeout.
template <typename Start, typename Abort>
beast::error_code run_op(net::io_context& ioc, std::chrono::milliseconds timeout, Start start, Abort abort) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run_for(timeout);
  if (result) return *result;
  abort();
  ioc.restart();
  ioc.run();
  return beast::error::timeout;
}

Status io_error(std::string_view what, beast::error_code ec) {
  return unavailable(std::string(what) + ": " + ec.message());
}

Result<tcp::endpoint> endpoint(const std::string& host, uint16_t port) {
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (ec) return invalid_argument("test client needs an IP address, got " + host);
  return tcp::endpoint(address, port);
}

// One SSE block ("field: value" lines) taken from the front of `pending`; nullopt when no whole
// block is buffered. Comment lines go to `comments` (without the colon and one space); blocks
// with no fields (comments only) are no event.
std::optional<SseEvent> take_event(std::string& pending, std::vector<std::string>& comments) {
  for (;;) {
    const size_t end = pending.find("\n\n");
    if (end == std::string::npos) return std::nullopt;
    const std::string block = pending.substr(0, end + 1);
    pending.erase(0, end + 2);
    SseEvent event;
    bool any = false;
    bool has_data = false;
    size_t start = 0;
    while (start < block.size()) {
      const size_t nl = block.find('\n', start);
      std::string_view line(block.data() + start, nl - start);
      start = nl + 1;
      if (line.empty()) continue;
      if (line.front() == ':') {
        line.remove_prefix(1);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        comments.emplace_back(line);
        continue;
      }
      const size_t colon = line.find(':');
      const std::string_view field = line.substr(0, colon);
      std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      any = true;
      if (field == "data") {
        if (has_data) event.data += '\n';
        event.data += value;
        has_data = true;
      } else if (field == "event") {
        event.event = value;
      } else if (field == "id") {
        event.id = value;
      }
    }
    if (any) return event;
  }
}

// A plain or (with `tls`) TLS stream on `ioc`.
TransportStream make_stream(net::io_context& ioc, net::ssl::context* tls) {
  return tls != nullptr ? TransportStream(beast::tcp_stream(ioc), *tls) : TransportStream(beast::tcp_stream(ioc));
}

// Connects `stream` to host:port and runs the TLS handshake when it is a TLS stream.
template <typename Run>
Status connect_stream(TransportStream& stream, const std::string& host, uint16_t port, Run run) {
  Result<tcp::endpoint> ep = endpoint(host, port);
  if (!ep.is_ok()) return ep.status();
  const std::string where = host + ":" + std::to_string(port);
  beast::error_code ec = run([&](auto handler) { stream.socket().async_connect(*ep, handler); });
  if (ec) return io_error("connect to " + where, ec);
  stream.socket().set_option(tcp::no_delay(true));
  if (TransportStream::TlsStream* tls = stream.tls()) {
    if (Status s = stream.start_client_tls(host); !s.is_ok()) return s;
    ec = run([&](auto handler) { tls->async_handshake(net::ssl::stream_base::client, handler); });
    if (ec) return io_error("TLS handshake with " + where, ec);
  }
  return Status::ok();
}

}  // namespace

// One client connection with its own event loop.
class Wire {
 public:
  Wire(std::chrono::milliseconds timeout, net::ssl::context* tls) : stream(make_stream(ioc, tls)), timeout(timeout) {}

  template <typename Start>
  beast::error_code run(Start start) {
    return run_op(ioc, timeout, start, [this] { stream.close(); });
  }

  Status connect(const std::string& host, uint16_t port) {
    return connect_stream(stream, host, port, [this](auto start) { return run(start); });
  }

  Status send(Verb method, std::string_view target, std::string body, const HeaderList& headers,
              const std::string& host) {
    beast_http::request<beast_http::string_body> req{method, target, 11};
    req.set(beast_http::field::host, host);
    req.set(beast_http::field::user_agent, "fleetgate-test-client");
    for (const auto& [name, value] : headers) req.set(name, value);
    if (!body.empty() && req.find(beast_http::field::content_type) == req.end()) {
      req.set(beast_http::field::content_type, "application/json");
    }
    req.body() = std::move(body);
    req.prepare_payload();
    const beast::error_code ec = run([&](auto handler) { beast_http::async_write(stream, req, handler); });
    return ec ? io_error("send request", ec) : Status::ok();
  }

  net::io_context ioc;
  TransportStream stream;
  std::chrono::milliseconds timeout;
  beast::flat_buffer buffer;
  std::optional<beast_http::response_parser<beast_http::buffer_body>> stream_parser;
};

std::string_view ClientResponse::header(std::string_view name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string_view{} : std::string_view(it->value());
}

SseStream::SseStream(std::unique_ptr<Wire> wire) : wire_(std::move(wire)) {}
SseStream::~SseStream() = default;

unsigned SseStream::status() const { return wire_->stream_parser->get().result_int(); }
const Fields& SseStream::headers() const { return wire_->stream_parser->get().base(); }

Result<std::optional<SseEvent>> SseStream::next() {
  for (;;) {
    if (std::optional<SseEvent> event = take_event(pending_, comments_)) return event;
    if (!wire_->stream.socket().is_open()) return failed_precondition("stream closed");
    auto& parser = *wire_->stream_parser;
    if (parser.is_done()) return std::optional<SseEvent>();
    char chunk[4096];
    parser.get().body().data = chunk;
    parser.get().body().size = sizeof chunk;
    beast::error_code ec = wire_->run(
        [&](auto handler) { beast_http::async_read_some(wire_->stream, wire_->buffer, parser, handler); });
    if (ec == beast_http::error::need_buffer) ec = {};
    if (ec) return io_error("read stream", ec);
    pending_.append(chunk, sizeof chunk - parser.get().body().size);
  }
}

void SseStream::close() {
  beast::error_code ignored;
  wire_->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  wire_->stream.close();
}

TestClient::TestClient(std::string host, uint16_t port, std::chrono::milliseconds timeout,
                       std::shared_ptr<net::ssl::context> tls)
    : host_(std::move(host)), ports_{port}, timeout_(timeout), tls_(std::move(tls)) {}
TestClient::TestClient(std::string host, std::vector<uint16_t> ports, std::chrono::milliseconds timeout)
    : host_(std::move(host)), ports_(std::move(ports)), timeout_(timeout) {}
TestClient::~TestClient() = default;

uint16_t TestClient::next_port() {
  const uint16_t port = ports_[next_];
  next_ = (next_ + 1) % ports_.size();
  if (ports_.size() > 1) wire_.reset();
  return port;
}

Result<ClientResponse> TestClient::request(Verb method, std::string_view target, std::string body,
                                           const HeaderList& headers) {
  const uint16_t port = next_port();
  if (!wire_) {
    auto wire = std::make_unique<Wire>(timeout_, tls_.get());
    if (Status s = wire->connect(host_, port); !s.is_ok()) return s;
    wire_ = std::move(wire);
  }
  if (Status s = wire_->send(method, target, std::move(body), headers, host_); !s.is_ok()) {
    wire_.reset();
    return s;
  }
  beast_http::response_parser<beast_http::string_body> parser;
  parser.body_limit(boost::none);
  const beast::error_code ec =
      wire_->run([&](auto handler) { beast_http::async_read(wire_->stream, wire_->buffer, parser, handler); });
  if (ec) {
    wire_.reset();
    return io_error("read response", ec);
  }
  ClientResponse r;
  r.status = parser.get().result_int();
  r.headers = parser.get().base();
  r.body = std::move(parser.get().body());
  r.keep_alive = parser.get().keep_alive();
  if (!r.keep_alive) wire_.reset();
  return r;
}

Result<ClientResponse> TestClient::get(std::string_view target, const HeaderList& headers) {
  return request(Verb::get, target, {}, headers);
}

Result<ClientResponse> TestClient::post(std::string_view target, std::string body, const HeaderList& headers) {
  return request(Verb::post, target, std::move(body), headers);
}

Result<std::unique_ptr<SseStream>> TestClient::stream(Verb method, std::string_view target, std::string body,
                                                      const HeaderList& headers) {
  auto wire = std::make_unique<Wire>(timeout_, tls_.get());
  if (Status s = wire->connect(host_, next_port()); !s.is_ok()) return s;
  if (Status s = wire->send(method, target, std::move(body), headers, host_); !s.is_ok()) return s;
  auto& parser = wire->stream_parser.emplace();
  parser.body_limit(boost::none);
  const beast::error_code ec =
      wire->run([&](auto handler) { beast_http::async_read_header(wire->stream, wire->buffer, parser, handler); });
  if (ec) return io_error("read stream head", ec);
  return std::make_unique<SseStream>(std::move(wire));
}

void TestClient::close() { wire_.reset(); }

Result<std::string> exchange_raw(const std::string& host, uint16_t port, std::string_view bytes,
                                 std::chrono::milliseconds timeout) {
  Wire wire(timeout, nullptr);
  if (Status s = wire.connect(host, port); !s.is_ok()) return s;
  beast::error_code ec =
      wire.run([&](auto handler) { net::async_write(wire.stream, net::buffer(bytes.data(), bytes.size()), handler); });
  if (ec) return io_error("send raw bytes", ec);
  std::string received;
  ec = wire.run([&](auto handler) { net::async_read(wire.stream, net::dynamic_buffer(received), handler); });
  if (ec == net::error::eof || ec == net::error::connection_reset) return received;
  return io_error("server did not close the connection", ec ? ec : beast::error_code(net::error::fault));
}

struct TestWebSocket::State {
  State(std::chrono::milliseconds t, net::ssl::context* tls) : ws(make_stream(ioc, tls)), timeout(t) {}
  template <typename Start>
  beast::error_code run(Start start) {
    return run_op(ioc, timeout, start, [this] { ws.next_layer().close(); });
  }
  net::io_context ioc;
  websocket::stream<TransportStream> ws;
  std::chrono::milliseconds timeout;
  beast::flat_buffer buffer;
};

TestWebSocket::TestWebSocket(std::unique_ptr<State> state) : state_(std::move(state)) {}
TestWebSocket::~TestWebSocket() = default;

Result<std::unique_ptr<TestWebSocket>> TestWebSocket::connect(const std::string& host, uint16_t port,
                                                              std::string_view target, const HeaderList& headers,
                                                              std::chrono::milliseconds timeout,
                                                              std::shared_ptr<net::ssl::context> tls) {
  auto state = std::make_unique<State>(timeout, tls.get());
  State* raw = state.get();
  if (Status s = connect_stream(state->ws.next_layer(), host, port, [raw](auto start) { return raw->run(start); });
      !s.is_ok()) {
    return s;
  }
  state->ws.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  websocket::response_type response;
  const beast::error_code ec = state->run([&](auto handler) {
    state->ws.async_handshake(response, host + ":" + std::to_string(port), target, handler);
  });
  if (ec) {
    return unavailable("websocket upgrade refused with HTTP " + std::to_string(response.result_int()) + ": " +
                       ec.message());
  }
  return std::unique_ptr<TestWebSocket>(new TestWebSocket(std::move(state)));
}

Status TestWebSocket::send(std::string_view text) { return send_message(text, true); }

Status TestWebSocket::send_binary(std::string_view bytes) { return send_message(bytes, false); }

Status TestWebSocket::send_message(std::string_view payload, bool text) {
  state_->ws.text(text);
  const beast::error_code ec =
      state_->run([&](auto handler) { state_->ws.async_write(net::buffer(payload.data(), payload.size()), handler); });
  return ec ? io_error("websocket send", ec) : Status::ok();
}

Result<std::string> TestWebSocket::receive() {
  state_->buffer.clear();
  const beast::error_code ec = state_->run([&](auto handler) { state_->ws.async_read(state_->buffer, handler); });
  if (ec) return io_error("websocket receive", ec);
  return beast::buffers_to_string(state_->buffer.data());
}

std::pair<uint16_t, std::string> TestWebSocket::close_reason() const {
  const websocket::close_reason& r = state_->ws.reason();
  return {static_cast<uint16_t>(r.code), std::string(r.reason.data(), r.reason.size())};
}

Status TestWebSocket::close() {
  const beast::error_code ec =
      state_->run([&](auto handler) { state_->ws.async_close(websocket::close_code::normal, handler); });
  return ec ? io_error("websocket close", ec) : Status::ok();
}

}  // namespace fleetgate::http::testing
