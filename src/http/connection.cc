#include "fleetgate/http/connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <spdlog/spdlog.h>

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <mutex>
#include <string>
#include <optional>

#include "fleetgate/http/blocking.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/server.h"
#include "fleetgate/http/stream_writer.h"
#include "fleetgate/http/websocket.h"

namespace fleetgate::http {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

Connection::Connection(TransportStream s) : stream(std::move(s)) {
  beast::error_code ec;
  const tcp::endpoint peer = stream.socket().remote_endpoint(ec);
  remote = ec ? "?" : peer.address().to_string() + ":" + std::to_string(peer.port());
  // Each SSE event must leave at once rather than wait for Nagle's algorithm.
  stream.socket().set_option(tcp::no_delay(true), ec);
}

namespace {

constexpr auto kTuple = net::as_tuple(net::use_awaitable);
constexpr std::string_view kServerName = "fleetgate";
constexpr std::string_view kRequestIdHeader = "x-request-id";

using Parser = beast_http::request_parser<beast_http::string_body>;

// Bookkeeping for one request: its access log line and metrics.
struct Exchange {
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string method = "-";
  std::string route = "unmatched";
  unsigned status = 0;
  size_t bytes = 0;
  const LogTags* tags = &kNoTags;  // the request's, once its head was read
  static inline const LogTags kNoTags{};
};

// Counts a request in http_requests_in_flight from its head until its response (or the upgrade).
class InFlight {
 public:
  explicit InFlight(Gauge& g) : gauge_(&g) { gauge_->inc(); }
  ~InFlight() { release(); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  void release() {
    if (gauge_ != nullptr) gauge_->dec();
    gauge_ = nullptr;
  }

 private:
  Gauge* gauge_;
};

std::string method_label(Verb v) {
  return v == Verb::unknown ? "OTHER" : std::string(beast_http::to_string(v));
}

void finish(const ServerCore& core, const Connection& c, const Exchange& x) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - x.start).count();
  core.requests->with({x.method, x.route, std::to_string(x.status)}).inc();
  core.latency->with({x.method, x.route}).observe(seconds);
  LogScope scope(*x.tags);
  spdlog::log(core.options.access_log_level, "http {} {} {} {} {}B {:.3f}ms", c.remote, x.method, x.route,
              x.status, x.bytes, seconds * 1e3);
}

template <typename Message>
void apply_headers(Message& m, const Fields& headers, bool keep_alive, std::string_view request_id) {
  for (const auto& f : headers) m.insert(f.name_string(), f.value());
  m.set(beast_http::field::server, kServerName);
  if (!request_id.empty()) m.set(kRequestIdHeader, request_id);
  m.keep_alive(keep_alive);
}

// Writes `r`; keep-alive is also dropped when the server began stopping during the request.
net::awaitable<bool> write_response(const ServerCore& core, Connection& c, Exchange& x, Response r,
                                    bool keep_alive) {
  keep_alive = keep_alive && !c.closing;
  beast_http::response<beast_http::string_body> m{r.status, 11};
  apply_headers(m, r.headers, keep_alive, x.tags->request_id);
  if (m.find(beast_http::field::content_type) == m.end()) m.set(beast_http::field::content_type, r.content_type);
  m.body() = std::move(r.body);
  m.prepare_payload();
  x.status = static_cast<unsigned>(r.status);
  c.stream.expires_after(core.options.write_timeout);
  auto [ec, n] = co_await beast_http::async_write(c.stream, m, kTuple);
  x.bytes = n;
  co_return !ec;
}

// Writes `r`, logs and counts the exchange; true when the connection may serve another request.
net::awaitable<bool> reply(const ServerCore& core, Connection& c, Exchange& x, Response r, bool keep_alive) {
  const bool written = co_await write_response(core, c, x, std::move(r), keep_alive);
  finish(core, c, x);
  co_return written && keep_alive && !c.closing;
}

Response internal_error(std::string_view what) {
  spdlog::error("http handler failed: {}", what);
  return error_response(StatusCode::internal_server_error, "internal error", "internal");
}

// The answer to a request that could not be read, or nullopt to close quietly (peer gone, timeout).
std::optional<Response> unreadable_response(beast::error_code ec) {
  if (ec == beast_http::error::body_limit) {
    return error_response(StatusCode::payload_too_large, "request body too large", "request_too_large");
  }
  if (ec == beast_http::error::header_limit) {
    return error_response(StatusCode::request_header_fields_too_large, "request header too large",
                          "header_too_large");
  }
  if (ec == beast_http::error::end_of_stream || ec == beast_http::error::partial_message) return std::nullopt;
  if (ec.category() == beast_http::make_error_code(beast_http::error::bad_method).category()) {
    return error_response(StatusCode::bad_request, "malformed HTTP request: " + ec.message(), "malformed_request");
  }
  return std::nullopt;
}

// The 401/403 response when the caller may not use the route, else nullopt (and the request
// carries the caller). Runs the Authenticator, which may block.
std::optional<Response> check_access(const ServerCore& core, const Route& route, Request& req) {
  Result<std::optional<Principal>> who = authorize(route.options, core.authenticator, req);
  if (!who.is_ok()) {
    Response r = error_response(who.status());
    if (r.status == StatusCode::unauthorized) r.headers.set(beast_http::field::www_authenticate, "Bearer");
    return r;
  }
  if (*who) {
    // A caller of one region (a vehicle, a regional operator) acts in it.
    if ((*who)->regions.size() == 1 && (*who)->regions[0] != "*") req.note_region((*who)->regions[0]);
    req.set_principal(std::move(**who));
  }
  return std::nullopt;
}

// Runs `fn` (returning a Response or optional<Response>) on the worker pool, its log lines
// tagged with `req`'s; an exception becomes a 500.
template <typename F>
net::awaitable<std::optional<Response>> on_worker(const ServerCore& core, const Request& req, F fn) {
  co_return co_await run_blocking(core.workers, [&req, fn = std::move(fn)]() mutable -> std::optional<Response> {
    LogScope scope(req.log_tags());
    try {
      return fn();
    } catch (const std::exception& e) {
      return internal_error(e.what());
    }
  });
}

// Writes a StreamWriter's head and chunks to the connection. chunk() queues the chunk and
// returns: one writer coroutine on the connection's loop sends whatever is queued, so a handler
// never waits for a write to complete and chunks that pile up meanwhile go out as one write.
// While more than kHighWater bytes wait, chunk() from a worker blocks, and a handler on the loop
// awaits room() instead (a slow client slows its handler down instead of growing memory); a failed
// write fails the next chunk(). The head goes out with the first chunk, or at drain() when the
// stream ends without one.
class ConnectionSink : public StreamSink, public std::enable_shared_from_this<ConnectionSink> {
 public:
  static constexpr size_t kHighWater = 256 << 10;

  // `on_loop`: the handler runs on the connection's loop, where chunk() must never block.
  ConnectionSink(std::shared_ptr<Connection> c, std::chrono::milliseconds timeout, bool keep_alive, bool on_loop,
                 std::string request_id)
      : c_(std::move(c)),
        request_id_(std::move(request_id)),
        timeout_(timeout),
        keep_alive_(keep_alive),
        on_loop_(on_loop),
        idle_(c_->stream.get_executor()),
        room_timer_(c_->stream.get_executor()) {}

  Status begin(StatusCode status, const Fields& headers) override {
    std::lock_guard lock(mu_);
    status_ = status;
    head_.emplace(status, 11);
    apply_headers(*head_, headers, keep_alive_, request_id_);
    head_->chunked(true);
    return Status::ok();
  }

  Status chunk(std::string_view data) override {
    bool spawn = false;
    {
      std::unique_lock lock(mu_);
      if (error_) return lost(error_);
      char size[20];
      auto [end, ec] = std::to_chars(size, size + sizeof size, data.size(), 16);
      pending_.append(size, end).append("\r\n").append(data).append("\r\n");
      spawn = !std::exchange(writing_, true);
      if (!spawn) {
        if (on_loop_) return Status::ok();
        room_.wait(lock, [&] { return pending_.size() <= kHighWater || error_; });
        return error_ ? lost(error_) : Status::ok();
      }
    }
    net::co_spawn(c_->stream.get_executor(), write_queued(shared_from_this()), net::detached);
    return Status::ok();
  }

  // On the loop: until the queue is below kHighWater or a write failed.
  net::awaitable<void> room() override {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (pending_.size() <= kHighWater || error_) co_return;
      }
      room_timer_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await room_timer_.async_wait(kTuple);
    }
  }

  // On the loop, once the handler returned: waits until everything queued was written, then
  // writes the head if no chunk carried it. Returns the first write error.
  net::awaitable<beast::error_code> drain() {
    for (;;) {
      {
        std::lock_guard lock(mu_);
        if (!writing_) break;
      }
      idle_.expires_at(std::chrono::steady_clock::time_point::max());
      co_await idle_.async_wait(kTuple);
    }
    std::optional<beast_http::response<beast_http::empty_body>> head;
    {
      std::lock_guard lock(mu_);
      if (error_) co_return error_;
      head.swap(head_);
    }
    if (!head) co_return beast::error_code{};
    co_return co_await write_head(*head);
  }

  // Read on the loop after drain().
  StatusCode status() const { return status_; }
  size_t bytes() const { return bytes_; }

 private:
  static Status lost(const beast::error_code& ec) { return unavailable("client connection lost: " + ec.message()); }

  net::awaitable<beast::error_code> write_head(beast_http::response<beast_http::empty_body>& head) {
    beast_http::response_serializer<beast_http::empty_body> serializer{head};
    c_->stream.expires_after(timeout_);
    auto [ec, n] = co_await beast_http::async_write_header(c_->stream, serializer, kTuple);
    bytes_ += n;
    co_return ec;
  }

  // The writer: on the loop until the queue is empty or a write failed.
  static net::awaitable<void> write_queued(std::shared_ptr<ConnectionSink> self) {
    ConnectionSink& s = *self;
    std::string batch;
    for (;;) {
      std::optional<beast_http::response<beast_http::empty_body>> head;
      {
        std::lock_guard lock(s.mu_);
        if (s.pending_.empty()) {
          s.writing_ = false;
          break;
        }
        batch.swap(s.pending_);
        head.swap(s.head_);
      }
      s.room_.notify_all();
      s.room_timer_.cancel();
      beast::error_code ec;
      if (head) ec = co_await s.write_head(*head);
      if (!ec) {
        s.c_->stream.expires_after(s.timeout_);
        auto [e, n] = co_await net::async_write(s.c_->stream, net::buffer(batch), kTuple);
        s.bytes_ += n;
        ec = e;
      }
      batch.clear();
      if (ec) {
        std::lock_guard lock(s.mu_);
        s.error_ = ec;
        s.writing_ = false;
        break;
      }
    }
    s.room_.notify_all();
    s.room_timer_.cancel();
    s.idle_.cancel();
  }

  std::shared_ptr<Connection> c_;
  const std::string request_id_;  // answered in x-request-id
  const std::chrono::milliseconds timeout_;
  const bool keep_alive_;
  const bool on_loop_;
  net::steady_timer idle_;        // drain() waits here for the writer to finish
  net::steady_timer room_timer_;  // room() waits here for the queue to shrink
  mutable std::mutex mu_;
  std::condition_variable room_;  // chunk() waits here for the queue to shrink
  std::optional<beast_http::response<beast_http::empty_body>> head_;  // begun, not yet written
  std::string pending_;                                                // framed chunks not yet written
  bool writing_ = false;                                               // a writer coroutine runs
  beast::error_code error_;
  StatusCode status_ = StatusCode::ok;
  size_t bytes_ = 0;  // loop only
};

// Cancels `writer` when the peer closes (or the socket is closed under it) while the stream
// handler runs. Data arriving instead (a pipelined request) ends the watch without cancelling.
// The reactor can report readability for bytes already consumed (a stale edge), so the peek must
// not block: nothing to read means watch again.
void watch_disconnect(const std::shared_ptr<Connection>& c, std::shared_ptr<StreamWriter> writer,
                      std::shared_ptr<bool> handler_done) {
  c->stream.socket().async_wait(tcp::socket::wait_read, [c, writer, handler_done](beast::error_code ec) {
    if (*handler_done) return;
    if (!ec) {
      char byte;
      const ssize_t n = ::recv(c->stream.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n > 0) return;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        watch_disconnect(c, writer, handler_done);
        return;
      }
    }
    writer->cancel();
  });
}

net::awaitable<bool> serve_plain(const ServerCore& core, Connection& c, Exchange& x, const Handler& handler,
                                 Request& req, bool keep_alive) {
  std::optional<Response> r = co_await on_worker(core, req, [&]() -> Response { return handler(req); });
  co_return co_await reply(core, c, x, std::move(*r), keep_alive);
}

// A StreamHandler (on a worker) or an AsyncStreamHandler (on the loop).
net::awaitable<bool> serve_stream(const ServerCore& core, const std::shared_ptr<Connection>& c, Exchange& x,
                                  const Route& route, Request& req, bool keep_alive) {
  const auto* blocking = std::get_if<StreamHandler>(&route.handler);
  auto sink = std::make_shared<ConnectionSink>(c, core.options.write_timeout, keep_alive, blocking == nullptr,
                                               req.request_id());
  auto writer = std::make_shared<StreamWriter>(sink);
  auto handler_done = std::make_shared<bool>(false);
  watch_disconnect(c, writer, handler_done);
  std::optional<Response> early;  // the 500 of a handler that threw
  if (blocking != nullptr) {
    early = co_await on_worker(core, req, [&]() -> std::optional<Response> {
      (*blocking)(req, *writer);
      return std::nullopt;
    });
  } else {
    try {
      co_await std::get<AsyncStreamHandler>(route.handler)(req, *writer);
    } catch (const std::exception& e) {
      early = internal_error(e.what());
    }
  }
  *handler_done = true;
  beast::error_code ignored;
  c->stream.socket().cancel(ignored);

  if (writer->started()) {
    x.status = static_cast<unsigned>(sink->status());
    const bool written = !co_await sink->drain();
    bool intact = written && !early;  // a handler that threw mid-stream leaves it cut short
    if (intact) {
      c->stream.expires_after(core.options.write_timeout);
      auto [ec, n] = co_await net::async_write(c->stream, beast_http::make_chunk_last(), kTuple);
      intact = !ec;
    }
    x.bytes = sink->bytes();
    finish(core, *c, x);
    co_return intact && keep_alive && !c->closing;
  }
  std::optional<Response> answer = early ? std::move(early) : writer->take_reply();
  if (!answer) answer = internal_error("stream handler for " + route.pattern + " produced no response");
  co_return co_await reply(core, *c, x, std::move(*answer), keep_alive);
}

// The 401 of a credential revoked after the access check passed, like the check's own refusal.
Response revoked_response() {
  Response r = error_response(Status(Code::kUnauthenticated, "the credential was revoked"));
  r.headers.set(beast_http::field::www_authenticate, "Bearer");
  return r;
}

// `registered` (null on public routes) and `revocation` come from admit_websocket.
net::awaitable<bool> serve_websocket(const ServerCore& core, Connection& c, Exchange& x, InFlight& in_flight,
                                     const Route& route, const WebSocketHandler& handler, Request& req,
                                     bool keep_alive, const SessionRegistry::Session* registered,
                                     std::shared_ptr<WebSocketRevocation> revocation) {
  if (!websocket::is_upgrade(req.message())) {
    Response r = error_response(StatusCode::upgrade_required, "this route needs a WebSocket upgrade",
                                "upgrade_required");
    r.headers.set(beast_http::field::upgrade, "websocket");
    co_return co_await reply(core, c, x, std::move(r), keep_alive);
  }
  if (registered != nullptr && registered->ended()) {
    co_return co_await reply(core, c, x, revoked_response(), keep_alive);
  }
  c.stream.expires_never();  // the WebSocket stream keeps its own timeouts
  WebSocketSession::Stream ws(c.stream);
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
  ws.set_option(websocket::stream_base::decorator(
      [id = req.request_id()](websocket::response_type& res) {
        res.set(beast_http::field::server, kServerName);
        res.set(kRequestIdHeader, id);
      }));
  auto [ec] = co_await ws.async_accept(req.message(), kTuple);
  x.status = ec ? static_cast<unsigned>(StatusCode::bad_request) : static_cast<unsigned>(StatusCode::switching_protocols);
  finish(core, c, x);
  in_flight.release();
  if (ec) co_return false;
  if (registered != nullptr && registered->ended()) {  // revoked during the handshake: no handler runs
    co_await ws.async_close(websocket::close_reason(websocket::close_code::policy_error, "credential revoked"), kTuple);
    co_return false;
  }
  // From here to the handler's first suspension nothing else runs on the loop, so a revocation
  // from now on finds the handler running.
  revocation->close = [&c] { c.stream.close(); };
  revocation->live = true;
  WebSocketSession session(ws, core.workers, registered, revocation);
  try {
    co_await handler(req, session);
  } catch (const std::exception& e) {
    LogScope scope(req.log_tags());
    spdlog::debug("websocket {} {} ended: {}", c.remote, route.pattern, e.what());
  }
  revocation->live = false;
  co_return false;
}

// The answer to a request no route takes (404, 405, or 400 for a malformed %-escape).
Response routing_refusal(const Router::Match& match, const Request& req) {
  switch (match.outcome) {
    case Router::Outcome::kMethodNotAllowed: {
      Response r = error_response(StatusCode::method_not_allowed,
                                  "method " + std::string(req.method_string()) + " not allowed here",
                                  "method_not_allowed");
      r.headers.set(beast_http::field::allow, allow_header(match.allowed));
      return r;
    }
    case Router::Outcome::kBadPath:
      return error_response(StatusCode::bad_request, "malformed %-escape in path", "invalid_argument");
    case Router::Outcome::kNotFound:
    case Router::Outcome::kFound:
      break;
  }
  return error_response(StatusCode::not_found, "no such route", "not_found");
}

// The 401/403 for a caller the route refuses, decided from the request head alone: on the loop for
// an AsyncStreamHandler (whose contract says its authenticator must not block), else on a worker.
net::awaitable<std::optional<Response>> refuse_access(const ServerCore& core, const Route& route, Request& req) {
  if (route.options.is_public) co_return std::nullopt;
  if (std::holds_alternative<AsyncStreamHandler>(route.handler)) {
    LogScope scope(req.log_tags());
    co_return check_access(core, route, req);
  }
  co_return co_await on_worker(core, req, [&] { return check_access(core, route, req); });
}

// The access check of a WebSocket route, with the connection's session registered under the
// caller's credential before the answer is final: a revocation running meanwhile either finds the
// session or is seen by a check. One that began between the check and the registration may have
// done neither, so then the check runs again (SessionRegistry::ends_begun). On a worker, like
// refuse_access for routes that are not async.
struct WebSocketAdmission {
  std::optional<Response> denied;
  std::unique_ptr<SessionRegistry::Session> registered;  // null on public routes
};

net::awaitable<WebSocketAdmission> admit_websocket(const ServerCore& core, const Route& route, Request& req,
                                                   std::function<void()> on_end) {
  if (route.options.is_public) co_return WebSocketAdmission{};
  auto admit = [&core, &route, &req, &on_end]() -> WebSocketAdmission {
    LogScope scope(req.log_tags());
    try {
      const uint64_t ends = core.sessions.ends_begun();
      if (std::optional<Response> denied = check_access(core, route, req)) return {std::move(denied), nullptr};
      WebSocketAdmission admitted{std::nullopt, core.sessions.open(req.principal()->credential, std::move(on_end))};
      if (core.sessions.ends_begun() != ends) {
        if (std::optional<Response> denied = check_access(core, route, req)) return {std::move(denied), nullptr};
      }
      return admitted;
    } catch (const std::exception& e) {
      return {internal_error(e.what()), nullptr};
    }
  };
  co_return co_await run_blocking(core.workers, std::move(admit));
}

// What reading a request body came to: `read`, or else the answer to give before closing (none
// when the peer is gone or too slow).
struct BodyRead {
  bool read = false;
  std::optional<Response> answer;
};

// Reads the body of an admitted request into `req`, refusing one over the route's limit (413)
// before a byte of it is read when Content-Length announces it, else as soon as it passes.
net::awaitable<BodyRead> read_body(const ServerCore& core, Connection& c, const Route& route, Parser& parser,
                                   Request& req) {
  const size_t limit = route.options.max_body_bytes.value_or(core.options.max_body_bytes);
  if (parser.content_length() && *parser.content_length() > limit) {
    co_return BodyRead{false, unreadable_response(beast_http::error::body_limit)};
  }
  parser.body_limit(limit);
  if (beast::iequals(parser.get()[beast_http::field::expect], "100-continue")) {
    beast_http::response<beast_http::empty_body> go_on{StatusCode::continue_, 11};
    c.stream.expires_after(core.options.write_timeout);
    auto [ec, n] = co_await beast_http::async_write(c.stream, go_on, kTuple);
    if (ec) co_return BodyRead{};
  }
  c.stream.expires_after(core.options.body_timeout);
  auto [ec, n] = co_await beast_http::async_read(c.stream, c.buffer, parser, kTuple);
  if (ec) co_return BodyRead{false, unreadable_response(ec)};
  req.set_body(std::move(parser.get().body()));
  co_return BodyRead{true, std::nullopt};
}

// Serves one request; true when the connection may serve another. Routing, the misdirection
// check and the access check use the head alone, so a body is read only for a caller the route admits, up to the route's
// limit: an unauthenticated connection never holds more than its head.
net::awaitable<bool> serve_request(const ServerCore& core, const std::shared_ptr<Connection>& c) {
  Parser parser;
  parser.header_limit(static_cast<uint32_t>(core.options.max_header_bytes));
  // The body limit depends on the route, known only once the head is in: Beast's default (1 MB)
  // would refuse a larger Content-Length before routing.
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  c->stream.expires_after(core.options.header_timeout);
  auto [ec, n] = co_await beast_http::async_read_header(c->stream, c->buffer, parser, kTuple);
  Exchange x;
  if (ec) {
    std::optional<Response> r = unreadable_response(ec);
    if (r) {
      InFlight counted(*core.in_flight);
      co_await reply(core, *c, x, std::move(*r), false);
    }
    co_return false;
  }
  c->busy = true;
  InFlight in_flight(*core.in_flight);
  x.method = method_label(parser.get().method());
  Request::Message head;
  head.base() = parser.get().base();
  Request req(std::move(head), c->remote, c->peer);
  req.set_request_id(next_request_id());
  x.tags = &req.log_tags();
  // A refusal leaves an unread body on the wire, so the connection cannot serve another request.
  const bool body_pending = !parser.is_done();
  const bool keep_alive = req.message().keep_alive() && !c->closing;
  const bool keep_alive_unread = keep_alive && !body_pending;

  Router::Match match = core.router.find(req.method(), req.path());
  if (match.outcome != Router::Outcome::kFound) {
    co_return co_await reply(core, *c, x, routing_refusal(match, req), keep_alive_unread);
  }
  const Route& route = *match.route;
  x.route = route.pattern;
  req.set_route(route.pattern);
  req.set_params(std::move(match.params));
  if (core.options.misdirected) {
    if (std::optional<Response> elsewhere = core.options.misdirected(req)) {
      co_return co_await reply(core, *c, x, std::move(*elsewhere), keep_alive_unread);
    }
  }
  const auto* ws_handler = std::get_if<WebSocketHandler>(&route.handler);
  std::shared_ptr<WebSocketRevocation> revocation;
  std::unique_ptr<SessionRegistry::Session> registered;
  std::optional<Response> denied;
  if (ws_handler != nullptr) {
    revocation = std::make_shared<WebSocketRevocation>();
    std::function<void()> on_end = [revocation, loop = c->stream.get_executor()] {
      net::post(loop, [revocation] { revocation->fire(); });
    };
    WebSocketAdmission admitted = co_await admit_websocket(core, route, req, std::move(on_end));
    denied = std::move(admitted.denied);
    registered = std::move(admitted.registered);
  } else {
    denied = co_await refuse_access(core, route, req);
  }
  if (denied) co_return co_await reply(core, *c, x, std::move(*denied), keep_alive_unread);
  if (body_pending) {
    BodyRead body = co_await read_body(core, *c, route, parser, req);
    if (!body.read) {
      if (body.answer) co_await reply(core, *c, x, std::move(*body.answer), false);
      co_return false;
    }
  }

  if (const auto* h = std::get_if<Handler>(&route.handler)) {
    co_return co_await serve_plain(core, *c, x, *h, req, keep_alive);
  }
  if (ws_handler == nullptr) co_return co_await serve_stream(core, c, x, route, req, keep_alive);
  co_return co_await serve_websocket(core, *c, x, in_flight, route, *ws_handler, req, keep_alive, registered.get(),
                                     std::move(revocation));
}

// The TLS handshake, bounded by the header timeout; true when the connection may serve requests.
net::awaitable<bool> handshake(const ServerCore& core, Connection& c) {
  TransportStream::TlsStream* tls = c.stream.tls();
  if (tls == nullptr) co_return true;
  c.stream.expires_after(core.options.header_timeout);
  auto [ec] = co_await tls->async_handshake(net::ssl::stream_base::server, kTuple);
  if (ec) {
    spdlog::log(core.options.access_log_level, "http {} TLS handshake refused: {}", c.remote, ec.message());
    co_return false;
  }
  c.peer = c.stream.verified_peer();
  co_return true;
}

}  // namespace

net::awaitable<void> serve_connection(const ServerCore& core, std::shared_ptr<Connection> c) {
  const bool secured = co_await handshake(core, *c);
  while (secured && !c->closing) {
    const bool again = co_await serve_request(core, c);
    c->busy = false;
    if (!again) break;
  }
  beast::error_code ignored;
  if (TransportStream::TlsStream* tls = c->stream.tls(); tls != nullptr && secured) {
    // close_notify, so the client can tell the end from a truncation; bounded like a write.
    c->stream.expires_after(core.options.write_timeout);
    co_await tls->async_shutdown(net::redirect_error(net::use_awaitable, ignored));
  }
  c->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace fleetgate::http
