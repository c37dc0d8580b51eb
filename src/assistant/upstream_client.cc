#include "fleetgate/assistant/upstream_client.h"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace fleetgate::assistant {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
namespace { using SteadyClock = std::chrono::steady_clock; }

std::string_view to_string(ClientFailure f) {
  switch (f) {
    case ClientFailure::kNone: return "none";
    case ClientFailure::kConnect: return "connect";
    case ClientFailure::kTimeout: return "timeout";
    case ClientFailure::kCancelled: return "cancelled";
    case ClientFailure::kProtocol: return "protocol";
    case ClientFailure::kStreamBroken: return "stream_broken";
  }
  return "unknown";
}

namespace {

struct Url {
  bool tls = false;
  std::string host;       // without brackets for IPv6 literals
  std::string port;
  std::string authority;  // host[:port] as written, for the Host header
  std::string prefix;     // path of the base URL without a trailing '/'
  std::string origin() const { return (tls ? "https://" : "http://") + host + ":" + port; }
};

Result<Url> parse_url(std::string_view base) {
  Url u;
  std::string_view rest;
  if (base.starts_with("https://")) {
    u.tls = true;
    rest = base.substr(8);
  } else if (base.starts_with("http://")) {
    rest = base.substr(7);
  } else {
    return invalid_argument("base URL '" + std::string(base) + "' must start with http:// or https://");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument("base URL '" + std::string(base) + "': unclosed '['");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid_argument("base URL '" + std::string(base) + "': junk after ']'");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return invalid_argument("base URL '" + std::string(base) + "' has no host");
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
      return invalid_argument("base URL '" + std::string(base) + "' has a bad port");
    }
  }
  u.host = std::string(host);
  u.port = port.empty() ? (u.tls ? "443" : "80") : std::string(port);
  u.authority = std::string(authority);
  u.prefix = std::string(path);
  return u;
}

// Retry-After as a delay in seconds (what OpenAI-compatible APIs send); HTTP dates are ignored.
std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view v) {
  unsigned seconds = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return std::chrono::milliseconds(std::min(seconds, 86400u) * 1000LL);
}

struct Connection {
  std::string origin;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
  void close() { tcp().close(); }
  // An idle keep-alive connection is usable when the peer has neither closed it nor sent bytes.
  bool looks_alive() {
    char byte;
    ssize_t n = ::recv(tcp().socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

ClientReply failure(ClientFailure kind, std::string error) {
  ClientReply r;
  r.failure = kind;
  r.error = std::move(error);
  return r;
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::bad_version).category();
}

bool is_stale_connection_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe;
}

}  // namespace

namespace {

// An idle connection in a pool, counted in its client's idle count for as long as it is pooled.
struct Pooled {
  Pooled(std::unique_ptr<Connection> c, std::shared_ptr<std::atomic<size_t>> n) : conn(std::move(c)), count(std::move(n)) {
    ++*count;
  }
  ~Pooled() {
    if (count) --*count;
  }
  Pooled(Pooled&& o) noexcept = default;
  Pooled& operator=(Pooled&&) = delete;
  std::unique_ptr<Connection> conn;
  std::shared_ptr<std::atomic<size_t>> count;
};

// The idle keep-alive connections of one event loop. It is a service of that loop's io_context, so
// the sockets close with their loop whichever of the loop and the client goes first. Keys name
// the client too: clients never share connections (their trust settings may differ).
class IdlePool : public asio::execution_context::service {
 public:
  static inline asio::execution_context::id id;
  static constexpr size_t kMaxPerKey = 256;  // more idle connections to one origin are closed

  explicit IdlePool(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  std::unique_ptr<Connection> take(const std::string& key) {
    std::unique_ptr<Connection> c;
    {
      std::lock_guard lock(mu_);
      auto it = idle_.find(key);
      if (it == idle_.end() || it->second.empty()) return nullptr;
      c = std::move(it->second.back().conn);
      it->second.pop_back();
    }
    return c->looks_alive() ? std::move(c) : nullptr;  // the probe is a syscall: outside the lock
  }

  void give_back(const std::string& key, std::unique_ptr<Connection> c, const std::shared_ptr<std::atomic<size_t>>& count) {
    c->tcp().expires_never();
    std::lock_guard lock(mu_);
    auto& list = idle_[key];
    if (list.size() < kMaxPerKey) list.emplace_back(std::move(c), count);
  }

 private:
  void shutdown() override {
    std::lock_guard lock(mu_);
    idle_.clear();
  }

  std::mutex mu_;
  std::map<std::string, std::vector<Pooled>> idle_;  // most recently used last
};

std::atomic<uint64_t> next_client_id{1};

}  // namespace

struct UpstreamClient::Impl {
  explicit Impl(ClientOptions opts) : options(std::move(opts)) {}

  // The context for https calls trusting `ca_file` besides the system store and
  // options.extra_ca_file (the shared default context when empty); made at first use.
  Result<asio::ssl::context*> context_for(const std::string& ca_file) {
    if (ca_file.empty()) return &tls_context;
    std::lock_guard lock(contexts_mu);
    auto& ctx = contexts[ca_file];
    if (!ctx) {
      auto made = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      if (Status s = trust(*made, {options.extra_ca_file, ca_file}); !s.is_ok()) {
        contexts.erase(ca_file);
        return s;
      }
      ctx = std::move(made);
    }
    return ctx.get();
  }

  // Verification on: the system store plus each non-empty PEM file of `ca_files`.
  static Status trust(asio::ssl::context& ctx, const std::vector<std::string>& ca_files) {
    beast::error_code ec;
    ctx.set_default_verify_paths(ec);
    if (ec) return internal_error("cannot load the system CA store: " + ec.message());
    for (const std::string& file : ca_files) {
      if (file.empty()) continue;
      ctx.load_verify_file(file, ec);
      if (ec) return invalid_argument("cannot load CA file '" + file + "': " + ec.message());
    }
    ctx.set_verify_mode(asio::ssl::verify_peer, ec);
    if (ec) return internal_error("cannot enable TLS peer verification: " + ec.message());
    return Status::ok();
  }

  ClientOptions options;
  const std::string pool_prefix = "client " + std::to_string(next_client_id++) + " ";
  const std::shared_ptr<std::atomic<size_t>> idle_count = std::make_shared<std::atomic<size_t>>(0);
  asio::ssl::context tls_context{asio::ssl::context::tls_client};
  std::mutex contexts_mu;
  std::map<std::string, std::unique_ptr<asio::ssl::context>> contexts;  // by ca_file
};

namespace {

// One request in flight, on its caller's event loop: everything here runs on that loop, except
// request_stop(), which the cancel token may call from any thread and which posts to the loop.
struct Call {
  Call(UpstreamClient::Impl& client, asio::any_io_executor loop, const ClientRequest& req, Url u,
       asio::ssl::context* tls, const AsyncSseHandler* handler)
      : impl(client),
        ex(std::move(loop)),
        pool(asio::use_service<IdlePool>(asio::query(ex, asio::execution::context))),
        url(std::move(u)),
        tls_context(tls),
        pool_key(client.pool_prefix + url.origin() + (req.ca_file.empty() ? "" : " trusting " + req.ca_file)),
        method(req.method),
        body(req.body),
        bearer(req.bearer_token),
        extra_headers(req.extra_headers),
        timeouts(req.timeouts),
        on_event(handler),
        deadline(SteadyClock::now() + std::chrono::milliseconds(req.timeouts.total_ms)),
        resolver(ex),
        sse(client.options.max_event_bytes) {}

  void request_stop(const std::shared_ptr<Call>& self) {
    asio::post(ex, [self] {
      self->stop = true;
      self->resolver.cancel();
      if (self->conn) self->conn->close();
    });
  }

  // Hands one event to the caller's handler; false when the handler wants no more (or threw).
  awaitable<bool> deliver(const SseEvent& ev) {
    ++delivered;
    bool more = false;
    try {
      more = co_await (*on_event)(ev);
    } catch (...) {
      handler_error = std::current_exception();
    }
    if (!more) handler_stopped = stop = true;
    co_return more;
  }

  UpstreamClient::Impl& impl;
  const asio::any_io_executor ex;
  IdlePool& pool;
  const Url url;
  asio::ssl::context* const tls_context;  // for https URLs: trusts the system store and req.ca_file
  const std::string pool_key;             // connections are reused only with the same trust
  const Method method;
  const std::string body;
  const std::string bearer;
  const std::vector<std::pair<std::string, std::string>> extra_headers;
  const config::Timeouts timeouts;
  const AsyncSseHandler* const on_event;   // set for streaming calls
  const SteadyClock::time_point deadline;  // total timeout

  tcp::resolver resolver;
  std::unique_ptr<Connection> conn;
  bool stop = false;
  SseParser sse;
  size_t delivered = 0;         // events handed to on_event
  bool handler_stopped = false;  // on_event returned false or threw
  std::exception_ptr handler_error;
};

using asio::redirect_error;
using asio::use_awaitable;

SteadyClock::time_point earlier(SteadyClock::time_point a, SteadyClock::time_point b) { return std::min(a, b); }

std::string ms_text(uint32_t ms) { return std::to_string(ms) + " ms"; }

// Opens c.conn (TCP, then TLS for https). Returns a failure, or nullopt when connected.
awaitable<std::optional<ClientReply>> connect(std::shared_ptr<Call> self) {
  Call& c = *self;
  const auto limit = earlier(SteadyClock::now() + std::chrono::milliseconds(c.timeouts.connect_ms), c.deadline);
  const std::string where = c.url.host + ":" + c.url.port;
  auto describe = [&](const beast::error_code& ec) -> ClientReply {
    if (c.stop) return failure(ClientFailure::kCancelled, "cancelled while connecting to " + where);
    if (ec == beast::error::timeout || SteadyClock::now() >= limit) {
      return failure(ClientFailure::kTimeout, "connecting to " + where + " took longer than " + ms_text(c.timeouts.connect_ms));
    }
    return failure(ClientFailure::kConnect, "cannot connect to " + where + ": " + ec.message());
  };

  beast::error_code ec;
  asio::steady_timer guard(c.ex, limit);
  guard.async_wait([self](const beast::error_code& e) {
    if (!e) self->resolver.cancel();
  });
  auto endpoints = co_await c.resolver.async_resolve(c.url.host, c.url.port, redirect_error(use_awaitable, ec));
  guard.cancel();
  if (ec || c.stop) co_return describe(ec);

  auto conn = std::make_unique<Connection>();
  conn->origin = c.pool_key;
  if (c.url.tls) {
    conn->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c.ex, *c.tls_context);
    if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), c.url.host.c_str())) {
      co_return failure(ClientFailure::kConnect, "cannot set TLS server name '" + c.url.host + "'");
    }
    conn->tls->set_verify_callback(asio::ssl::host_name_verification(c.url.host));
  } else {
    conn->plain = std::make_unique<beast::tcp_stream>(c.ex);
  }
  c.conn = std::move(conn);
  c.conn->tcp().expires_at(limit);
  co_await c.conn->tcp().async_connect(endpoints, redirect_error(use_awaitable, ec));
  if (!ec) c.conn->tcp().socket().set_option(tcp::no_delay(true), ec);  // small requests go out at once
  if (!ec && !c.stop && c.conn->tls) {
    co_await c.conn->tls->async_handshake(asio::ssl::stream_base::client, redirect_error(use_awaitable, ec));
  }
  if (ec || c.stop) {
    ClientReply r = describe(ec);
    c.conn.reset();
    co_return r;
  }
  co_return std::nullopt;
}

http::request<http::string_body> build_request(const Call& c, std::string_view path) {
  http::request<http::string_body> req{c.method == Method::kPost ? http::verb::post : http::verb::get,
                                       c.url.prefix + std::string(path), 11};
  req.set(http::field::host, c.url.authority);
  req.set(http::field::user_agent, c.impl.options.user_agent);
  req.set(http::field::accept, c.on_event ? "text/event-stream" : "application/json");
  if (!c.bearer.empty()) req.set(http::field::authorization, "Bearer " + c.bearer);
  for (const auto& [name, value] : c.extra_headers) req.set(name, value);
  if (c.method == Method::kPost) {
    req.set(http::field::content_type, "application/json");
    req.body() = c.body;
  }
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// Sends the request over c.conn and reads the response. `stale` is set when a reused connection
// turned out to be closed by the server before any response byte: the caller retries afresh.
template <class Stream>
awaitable<ClientReply> exchange(Call& c, Stream& stream, std::string_view path, bool reused, bool& stale) {
  beast::error_code ec;
  auto& tcp = c.conn->tcp();
  auto header_failure = [&](const char* phase) -> ClientReply {
    if (c.stop) return failure(ClientFailure::kCancelled, std::string("cancelled while ") + phase);
    if (ec == beast::error::timeout) {
      return failure(ClientFailure::kTimeout, "no response header within " +
                                                  ms_text(std::min(c.timeouts.first_byte_ms, c.timeouts.total_ms)));
    }
    stale = reused && is_stale_connection_error(ec);
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset) {
      return failure(ClientFailure::kConnect, std::string("connection closed by upstream while ") + phase);
    }
    return failure(is_http_parse_error(ec) ? ClientFailure::kProtocol : ClientFailure::kConnect,
                   std::string(phase) + ": " + ec.message());
  };

  auto request = build_request(c, path);
  tcp.expires_at(earlier(SteadyClock::now() + std::chrono::milliseconds(c.timeouts.first_byte_ms), c.deadline));
  co_await http::async_write(stream, request, redirect_error(use_awaitable, ec));
  if (ec || c.stop) co_return header_failure("sending the request");

  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  co_await http::async_read_header(stream, c.conn->buffer, parser, redirect_error(use_awaitable, ec));
  if (ec || c.stop) co_return header_failure("waiting for the response header");

  ClientReply r;
  r.reused_connection = reused;
  r.status = static_cast<int>(parser.get().result_int());
  if (auto it = parser.get().find(http::field::retry_after); it != parser.get().end()) {
    r.retry_after = parse_retry_after(it->value());
  }
  const bool sse = c.on_event && r.status >= 200 && r.status < 300;
  bool done = false;
  std::vector<SseEvent> parsed;  // the events of one read, handed over before the next read
  auto collect = [&](const SseEvent& ev) {
    if (ev.data == "[DONE]") {
      done = true;
      return false;
    }
    parsed.push_back(ev);
    return true;
  };

  tcp.expires_at(c.deadline);
  char buf[8192];
  while (!parser.is_done()) {
    parser.get().body().data = buf;
    parser.get().body().size = sizeof buf;
    co_await http::async_read_some(stream, c.conn->buffer, parser, redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    const size_t n = sizeof buf - parser.get().body().size;
    if (ec || c.stop) {
      if (c.stop) co_return failure(ClientFailure::kCancelled, "cancelled while reading the response");
      if (ec == beast::error::timeout) {
        co_return failure(ClientFailure::kTimeout, "response took longer than " + ms_text(c.timeouts.total_ms));
      }
      co_return failure(c.delivered > 0 ? ClientFailure::kStreamBroken : ClientFailure::kConnect,
                        "upstream connection broke during the response: " + ec.message());
    }
    if (sse) {
      Status st = c.sse.feed(std::string_view(buf, n), collect);
      for (const SseEvent& ev : parsed) {
        if (c.stop || !co_await c.deliver(ev)) break;  // a cancel between two events ends the call too
      }
      parsed.clear();
      if (c.handler_stopped) co_return failure(ClientFailure::kCancelled, "stopped by the event handler");
      if (!st.is_ok()) co_return failure(ClientFailure::kProtocol, st.message());
    } else {
      if (r.body.size() + n > c.impl.options.max_response_bytes) {
        co_return failure(ClientFailure::kProtocol, "response body exceeds " +
                                                        std::to_string(c.impl.options.max_response_bytes) + " bytes");
      }
      r.body.append(buf, n);
    }
  }
  r.saw_done = done;
  if (parser.keep_alive()) {
    c.pool.give_back(c.pool_key, std::move(c.conn), c.impl.idle_count);
  } else {
    c.conn.reset();
  }
  co_return r;
}

awaitable<ClientReply> perform(std::shared_ptr<Call> self, std::string path) {
  Call& c = *self;
  for (int attempt = 0;; ++attempt) {
    c.conn = c.pool.take(c.pool_key);
    const bool reused = c.conn != nullptr;
    if (!reused) {
      std::optional<ClientReply> f = co_await connect(self);
      if (f) co_return std::move(*f);
    }
    bool stale = false;
    // (GCC 12 miscompiles co_await inside ?:, hence the if.)
    ClientReply r;
    if (c.conn->tls) {
      r = co_await exchange(c, *c.conn->tls, path, reused, stale);
    } else {
      r = co_await exchange(c, *c.conn->plain, path, reused, stale);
    }
    c.conn.reset();  // still set only when the exchange failed: never pool a broken connection
    if (stale && attempt == 0 && !c.stop) continue;
    co_return r;
  }
}

}  // namespace

Result<std::shared_ptr<UpstreamClient>> UpstreamClient::create(ClientOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (Status s = Impl::trust(impl->tls_context, {impl->options.extra_ca_file}); !s.is_ok()) return s;
  return std::shared_ptr<UpstreamClient>(new UpstreamClient(std::move(impl)));
}

UpstreamClient::UpstreamClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UpstreamClient::~UpstreamClient() = default;

namespace {

// One call on the calling coroutine's event loop; the handler's exception, if any, is rethrown.
awaitable<ClientReply> call_here(UpstreamClient::Impl& impl, const ClientRequest& request, const AsyncSseHandler* on_event,
                                 const CancelToken& cancel) {
  auto url = parse_url(request.base_url);
  if (!url) co_return failure(ClientFailure::kProtocol, url.status().message());
  asio::ssl::context* tls = nullptr;
  if (url->tls) {
    auto ctx = impl.context_for(request.ca_file);
    if (!ctx.is_ok()) co_return failure(ClientFailure::kProtocol, ctx.status().message());
    tls = *ctx;
  }
  const asio::any_io_executor loop = co_await asio::this_coro::executor;
  auto c = std::make_shared<Call>(impl, loop, request, std::move(url).value(), tls, on_event);
  CancelSubscription stop_on_cancel(cancel, [c] { c->request_stop(c); });
  ClientReply r;
  try {
    r = co_await perform(c, request.path);
  } catch (const std::exception& ex) {
    r = failure(ClientFailure::kProtocol, std::string("upstream call failed: ") + ex.what());
  }
  if (c->handler_error) std::rethrow_exception(c->handler_error);
  r.events = c->delivered;
  co_return r;
}

}  // namespace

awaitable<ClientReply> UpstreamClient::async_call(const ClientRequest& request, const CancelToken& cancel) {
  return call_here(*impl_, request, nullptr, cancel);
}

awaitable<ClientReply> UpstreamClient::async_call_stream(const ClientRequest& request, const AsyncSseHandler& on_event,
                                                         const CancelToken& cancel) {
  return call_here(*impl_, request, &on_event, cancel);
}

size_t UpstreamClient::idle_connections() const { return *impl_->idle_count; }

}  // namespace fleetgate::assistant
