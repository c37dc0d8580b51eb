#include "fleetgate/http/server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <fcntl.h>
#include <unistd.h>

#include <csignal>
#include <utility>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fleetgate/http/connection.h"
#include "fleetgate/http/error.h"

namespace fleetgate::http {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

ServerOptions ServerOptions::from_config(const config::ServerOptions& server) {
  ServerOptions o;
  o.listen_address = server.listen_address;
  o.port = server.port;
  o.io_threads = server.threads;
  o.max_body_bytes = server.max_body_bytes;
  o.max_connections = server.max_connections;
  if (server.tls) o.tls = TlsServerOptions{server.tls->cert, server.tls->key, server.tls->client_ca, server.tls->client_cert};
  return o;
}

struct Server::Impl {
  enum class State { kNew, kRunning, kStopped };

  Impl(ServerOptions o, std::shared_ptr<MetricsRegistry> m, std::shared_ptr<const Authenticator> a)
      : options(std::move(o)),
        registry(m ? std::move(m) : std::make_shared<MetricsRegistry>()),
        authenticator(a ? std::move(a) : std::make_shared<DenyAllAuthenticator>()),
        readiness([] { return Status::ok(); }),
        loops(make_loops(options.io_threads)),
        workers(std::make_unique<net::thread_pool>(static_cast<size_t>(std::max(1, options.worker_threads)))),
        acceptor(loops.front()->get_executor()) {}

  // One single-threaded io_context per I/O thread (each connection lives on one of them), so an
  // event never wakes a second thread: no hand-off between I/O threads, no strand to take.
  static std::vector<std::unique_ptr<net::io_context>> make_loops(int threads) {
    std::vector<std::unique_ptr<net::io_context>> out;
    for (int i = 0; i < std::max(1, threads); ++i) out.push_back(std::make_unique<net::io_context>(1));
    return out;
  }

  Status register_metrics();
  void add_builtin_routes();
  net::awaitable<void> accept_loop();
  void admit(tcp::socket socket);
  // Runs fn(connection) on each live connection's event loop.
  void for_each_connection(const std::function<void(Connection&)>& fn);
  // Waits until no connection is left, or until `deadline` when given; true when none is left.
  bool wait_for_connections(std::optional<std::chrono::steady_clock::time_point> deadline);

  SessionRegistry sessions;  // first: outlives every connection's session
  ServerOptions options;
  std::shared_ptr<MetricsRegistry> registry;
  std::shared_ptr<const Authenticator> authenticator;
  std::function<Status()> readiness;
  Router router;
  Status setup_error;
  CounterFamily* requests = nullptr;
  HistogramFamily* latency = nullptr;
  Gauge* in_flight = nullptr;
  Counter* connections_refused = nullptr;

  std::vector<std::unique_ptr<net::io_context>> loops;
  size_t next_loop = 0;  // accept loop only: where the next connection goes (round robin)
  std::vector<net::executor_work_guard<net::io_context::executor_type>> work;
  std::unique_ptr<net::thread_pool> workers;
  std::optional<ServerCore> core;
  std::shared_ptr<net::ssl::context> tls_context;  // set by start() when options.tls
  tcp::acceptor acceptor;
  std::vector<std::thread> io_threads;
  uint16_t bound_port = 0;

  std::mutex mu;  // guards everything below
  std::condition_variable drained;
  State state = State::kNew;
  bool stopping = false;
  std::set<std::shared_ptr<Connection>> connections;
};

Status Server::Impl::register_metrics() {
  Result<CounterFamily*> r = registry->counter("http_requests_total", "HTTP requests served, by route pattern.",
                                               {"method", "route", "status"});
  if (!r.is_ok()) return r.status();
  requests = *r;
  Result<HistogramFamily*> h = registry->histogram("http_request_duration_seconds",
                                                   "Time from request head to the end of the response.",
                                                   {"method", "route"}, default_latency_buckets());
  if (!h.is_ok()) return h.status();
  latency = *h;
  Result<GaugeFamily*> g = registry->gauge("http_requests_in_flight", "Requests being served.");
  if (!g.is_ok()) return g.status();
  in_flight = &(*g)->with({});
  Result<CounterFamily*> refused = registry->counter(
      "http_connections_refused_total", "Connections closed on accept because max_connections were open.", {});
  if (!refused.is_ok()) return refused.status();
  connections_refused = &(*refused)->with({});
  return Status::ok();
}

void Server::Impl::add_builtin_routes() {
  auto ok_json = [](std::string_view status) {
    boost::json::object body;
    body["status"] = status;
    return Response::json(StatusCode::ok, body);
  };
  const std::vector<Route> builtins = {
      {Verb::get, "/healthz", RouteOptions::public_access(), Handler([ok_json](const Request&) { return ok_json("ok"); })},
      {Verb::get, "/readyz", RouteOptions::public_access(), Handler([this, ok_json](const Request&) {
         const Status s = readiness();
         if (s.is_ok()) return ok_json("ready");
         return error_response(StatusCode::service_unavailable, s.message(), "not_ready");
       })},
      {Verb::get, "/metrics", options.metrics_access, Handler([this](const Request&) {
         Response r = Response::text(StatusCode::ok, registry->render());
         r.content_type = "text/plain; version=0.0.4; charset=utf-8";
         return r;
       })},
  };
  for (const Route& route : builtins) {
    Status s = router.add(route);
    if (!s.is_ok() && setup_error.is_ok()) setup_error = s;
  }
}

net::awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    net::io_context& loop = *loops[next_loop++ % loops.size()];
    auto [ec, socket] = co_await acceptor.async_accept(loop.get_executor(), net::as_tuple(net::use_awaitable));
    if (!acceptor.is_open()) co_return;
    if (ec) {
      // Typically out of file descriptors: back off instead of spinning.
      spdlog::warn("http accept failed: {}", ec.message());
      net::steady_timer pause(acceptor.get_executor(), std::chrono::milliseconds(50));
      co_await pause.async_wait(net::as_tuple(net::use_awaitable));
      continue;
    }
    admit(std::move(socket));
  }
}

void Server::Impl::admit(tcp::socket socket) {
  beast::tcp_stream accepted(std::move(socket));
  auto c = std::make_shared<Connection>(tls_context ? TransportStream(std::move(accepted), *tls_context)
                                                    : TransportStream(std::move(accepted)));
  // Room for a whole head and one read of a body beyond it: bodies go straight to the parser.
  c->buffer.max_size(options.max_header_bytes + (16 << 10));
  {
    std::lock_guard lock(mu);
    if (stopping) return;  // the socket closes with `c`
    if (connections.size() >= options.max_connections) {
      connections_refused->inc();
      return;
    }
    connections.insert(c);
  }
  net::co_spawn(c->stream.get_executor(), serve_connection(*core, c), [this, c](std::exception_ptr e) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("http connection {} failed: {}", c->remote, ex.what());
      }
    }
    c->stream.close();
    std::lock_guard lock(mu);
    connections.erase(c);
    drained.notify_all();
  });
}

void Server::Impl::for_each_connection(const std::function<void(Connection&)>& fn) {
  std::lock_guard lock(mu);
  for (const auto& c : connections) net::post(c->stream.get_executor(), [c, fn] { fn(*c); });
}

bool Server::Impl::wait_for_connections(std::optional<std::chrono::steady_clock::time_point> deadline) {
  std::unique_lock lock(mu);
  auto none_left = [this] { return connections.empty(); };
  if (!deadline) {
    drained.wait(lock, none_left);
    return true;
  }
  return drained.wait_until(lock, *deadline, none_left);
}

Server::Server(ServerOptions options, std::shared_ptr<MetricsRegistry> metrics,
               std::shared_ptr<const Authenticator> authenticator)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(metrics), std::move(authenticator))) {
  impl_->setup_error = impl_->register_metrics();
  impl_->add_builtin_routes();
}

Server::~Server() {
  stop();
  if (impl_->options.listen_fd >= 0) ::close(impl_->options.listen_fd);  // handed over, never started
}

namespace {
Status not_before_start(bool started) {
  return started ? failed_precondition("routes must be registered before the server starts") : Status::ok();
}
}  // namespace

Status Server::route(Verb method, std::string_view pattern, RouteOptions access, Handler handler) {
  if (Status s = not_before_start(impl_->state != Impl::State::kNew); !s.is_ok()) return s;
  return impl_->router.add({method, std::string(pattern), std::move(access), std::move(handler)});
}

Status Server::stream_route(Verb method, std::string_view pattern, RouteOptions access, StreamHandler handler) {
  if (Status s = not_before_start(impl_->state != Impl::State::kNew); !s.is_ok()) return s;
  return impl_->router.add({method, std::string(pattern), std::move(access), std::move(handler)});
}

Status Server::async_stream_route(Verb method, std::string_view pattern, RouteOptions access,
                                  AsyncStreamHandler handler) {
  if (Status s = not_before_start(impl_->state != Impl::State::kNew); !s.is_ok()) return s;
  return impl_->router.add({method, std::string(pattern), std::move(access), std::move(handler)});
}

Status Server::websocket_route(std::string_view pattern, RouteOptions access, WebSocketHandler handler) {
  if (Status s = not_before_start(impl_->state != Impl::State::kNew); !s.is_ok()) return s;
  return impl_->router.add({Verb::get, std::string(pattern), std::move(access), std::move(handler)});
}

void Server::set_readiness_check(std::function<Status()> check) { impl_->readiness = std::move(check); }

Status Server::start() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.state != Impl::State::kNew) return failed_precondition("server already started");
  }
  if (!d.setup_error.is_ok()) return d.setup_error;
  if (d.options.tls) {
    auto ctx = make_server_tls_context(*d.options.tls);
    if (!ctx.is_ok()) return ctx.status();
    d.tls_context = std::move(ctx).value();
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(d.options.listen_address, ec);
  if (ec) return invalid_argument("bad listen address: " + d.options.listen_address);
  const tcp::endpoint endpoint(address, d.options.port);
  const std::string where = d.options.listen_address + ":" + std::to_string(d.options.port);
  if (d.options.listen_fd >= 0) {
    const int fd = std::exchange(d.options.listen_fd, -1);
    d.acceptor.assign(endpoint.protocol(), fd, ec);
    if (ec) ::close(fd);
  } else {
    d.acceptor.open(endpoint.protocol(), ec);
    if (!ec) d.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) d.acceptor.bind(endpoint, ec);
    if (!ec) d.acceptor.listen(net::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    beast::error_code ignored;
    d.acceptor.close(ignored);
    return unavailable("cannot listen on " + where + ": " + ec.message());
  }
  d.bound_port = d.acceptor.local_endpoint().port();

  d.core.emplace(ServerCore{d.options, d.router, *d.authenticator, d.sessions, d.workers->get_executor(), d.requests,
                            d.latency, d.in_flight});
  for (auto& loop : d.loops) d.work.emplace_back(loop->get_executor());
  net::co_spawn(d.acceptor.get_executor(), d.accept_loop(), [](std::exception_ptr e) {
    if (e) spdlog::error("http accept loop ended by an exception");
  });
  for (auto& loop : d.loops) d.io_threads.emplace_back([&loop = *loop] { loop.run(); });
  {
    std::lock_guard lock(d.mu);
    d.state = Impl::State::kRunning;
  }
  spdlog::info("{} listening on {}:{}", d.tls_context ? "https" : "http", d.options.listen_address, d.bound_port);
  return Status::ok();
}

uint16_t Server::port() const { return impl_->bound_port; }

void Server::stop() {
  Impl& d = *impl_;
  {
    std::lock_guard lock(d.mu);
    if (d.state != Impl::State::kRunning) return;
    d.stopping = true;
  }
  net::post(d.acceptor.get_executor(), [&d] {
    beast::error_code ignored;
    d.acceptor.close(ignored);
  });
  d.for_each_connection([](Connection& c) {
    c.closing = true;
    if (!c.busy) c.stream.close();
  });
  if (!d.wait_for_connections(std::chrono::steady_clock::now() + d.options.shutdown_grace)) {
    spdlog::warn("http shutdown deadline passed: closing connections still in flight");
    d.for_each_connection([](Connection& c) { c.stream.close(); });
    d.wait_for_connections(std::nullopt);
  }
  d.work.clear();
  for (auto& loop : d.loops) loop->stop();
  for (std::thread& t : d.io_threads) t.join();
  d.io_threads.clear();
  d.workers->join();
  std::lock_guard lock(d.mu);
  d.state = Impl::State::kStopped;
  spdlog::info("http server stopped");
}

Status Server::run(const std::function<void()>& on_started) {
  // Signals are caught from before the server starts, so an early SIGTERM is not lost.
  net::io_context signals_context;
  auto signals = std::make_unique<net::signal_set>(signals_context, SIGINT, SIGTERM, SIGHUP);
  if (Status s = start(); !s.is_ok()) return s;
  if (on_started) on_started();
  bool handing_over = false;  // on_hangup took SIGHUP: the caller serves on after this run
  int stop_signal = 0;        // SIGINT or SIGTERM that arrived while handing over
  // SIGHUP is caught even without on_hangup: its default action would end the process.
  std::function<void(const beast::error_code&, int)> on_signal = [&](const beast::error_code& ec, int signal) {
    if (ec) return;
    if (handing_over) {  // a stop asked for while draining for the next server
      if (signal == SIGHUP) signals->async_wait(on_signal);
      else stop_signal = signal;
      return;
    }
    if (signal == SIGHUP) {
      if (impl_->options.on_hangup && impl_->options.on_hangup()) {
        handing_over = true;
        return;
      }
      if (!impl_->options.on_hangup) spdlog::warn("http received SIGHUP: ignored");
      signals->async_wait(on_signal);
      return;
    }
    spdlog::info("http received signal {}: shutting down", signal);
  };
  signals->async_wait(on_signal);
  signals_context.run();
  if (!handing_over) {
    stop();
    return Status::ok();
  }
  // Draining for the next server: a SIGINT or SIGTERM meanwhile must not be lost. It ends the
  // process once the drain is over, by the signal's own default action (which service managers
  // count as a clean stop), before a next server could start.
  signals->async_wait(on_signal);
  signals_context.restart();
  std::thread watcher([&signals_context] { signals_context.run(); });
  stop();
  signals->cancel();
  watcher.join();
  signals.reset();  // the signals' default actions are back
  if (stop_signal != 0) {
    spdlog::info("http received signal {} while handing over: stopping", stop_signal);
    spdlog::default_logger()->flush();
    ::raise(stop_signal);
  }
  return Status::ok();
}

int Server::duplicate_listener() const {
  if (port() == 0) return -1;
  return ::fcntl(impl_->acceptor.native_handle(), F_DUPFD_CLOEXEC, 0);
}

MetricsRegistry& Server::metrics() { return *impl_->registry; }
SessionRegistry& Server::sessions() { return impl_->sessions; }
boost::asio::any_io_executor Server::workers() const { return impl_->workers->get_executor(); }
std::vector<const Route*> Server::routes() const { return impl_->router.routes(); }

}  // namespace fleetgate::http
