#include "fleetgate/telemetry/fleet_sim.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>

#include <algorithm>
#include <cstdio>
#include <charconv>
#include <deque>
#include <optional>
#include <fstream>
#include <memory>

#include "fleetgate/core/percentile.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/http/transport_stream.h"
#include "fleetgate/telemetry/sim_tls.h"
#include "fleetgate/telemetry/sim_vehicle.h"
#include "fleetgate/telemetry/validator.h"

namespace fleetgate::telemetry {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using namespace net::experimental::awaitable_operators;
constexpr auto kTuple = net::as_tuple(net::use_awaitable);
using SteadyClock = std::chrono::steady_clock;

// Shared by every vehicle coroutine; all run on one thread.
struct Run {
  explicit Run(const FleetSimOptions& o) : options(o) {}
  const FleetSimOptions& options;
  const std::string target = options.records_per_frame > 1
                                 ? options.target + (options.target.find('?') == std::string::npos ? "?" : "&") + "batch=1"
                                 : options.target;
  SteadyClock::time_point start = SteadyClock::now();
  SteadyClock::time_point deadline = start + options.duration;
  SteadyClock::time_point drain_deadline = deadline + std::chrono::seconds(10);  // for outstanding acks
  FleetSimProgress progress;
  std::vector<std::shared_ptr<net::ssl::context>> tls;  // per vehicle, when options.tls
  std::FILE* acked_log = nullptr;
  size_t running = 0;
  std::vector<uint32_t> ack_us;  // each acked frame's latency
};

// A frame awaiting its ack: its exact bytes (resent as they are after a reconnect) and the
// consecutive seqs of its records.
struct Pending {
  std::shared_ptr<const std::string> bytes;
  uint64_t first_seq = 0;
  size_t records = 0;
  SteadyClock::time_point sent_at{};  // its last send
};

// One simulated vehicle across its connections.
struct Vehicle {
  Vehicle(size_t i, SimCredential c, uint64_t seed) : index(i), cred(std::move(c)), model(cred.vin, seed, cred.region) {}
  size_t index;  // in FleetSimOptions::vehicles
  SimCredential cred;
  SimVehicle model;
  std::deque<Pending> unacked;  // frame order; acks arrive in this order
  SteadyClock::time_point last_step = SteadyClock::now();
};

// One connection of a vehicle.
struct Link {
  Link(net::io_context& ioc, net::ssl::context* tls)
      : ws(tls != nullptr ? http::TransportStream(beast::tcp_stream(ioc), *tls) : http::TransportStream(beast::tcp_stream(ioc))),
        wake(ioc) {
    wake.expires_at(net::steady_timer::time_point::max());
  }
  websocket::stream<http::TransportStream> ws;
  net::steady_timer wake;  // the sender waits here for the window to open
  size_t sent = 0;         // the first `sent` frames of Vehicle::unacked went out on this link
  bool sending_done = false;
  bool broken = false;
};

// The vehicle's next frame: records_per_frame records, from the options' source when it has one
// (nullopt once that has no more), else from the drive model spread over the time since the last frame.
std::optional<Pending> next_frame(const Run& run, Vehicle& v) {
  const auto n = static_cast<int64_t>(run.options.records_per_frame);
  std::vector<Record> records;
  if (run.options.records) {
    records = run.options.records(v.index, run.options.records_per_frame);
    if (records.empty()) return std::nullopt;
  } else {
    const SteadyClock::time_point now = SteadyClock::now();
    const int64_t elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - v.last_step).count();
    const int64_t step_ms = std::max<int64_t>(elapsed_ms / n, 1);
    v.last_step = now;
    const int64_t now_ms = system_clock_ms();
    for (int64_t k = 0; k < n; ++k) records.push_back(v.model.step(step_ms, now_ms - (n - 1 - k) * step_ms));
  }
  std::string bytes = n == 1 ? encode_protobuf(records.front()) : encode_protobuf_batch(records);
  return Pending{std::make_shared<const std::string>(std::move(bytes)), records.front().seq, records.size()};
}

void log_ack(Run& run, const Pending& frame, const wire::Ack& ack, const std::string& vin) {
  if (!ack.ok()) {
    if (run.progress.refused == 0) {
      std::fprintf(stderr, "sim: %s seq %llu refused: %s\n", vin.c_str(), static_cast<unsigned long long>(ack.seq()),
                   ack.error().c_str());
    }
    run.progress.refused += frame.records;
    return;
  }
  run.progress.acked += frame.records;
  if (run.acked_log == nullptr) return;
  for (uint64_t seq = frame.first_seq; seq < frame.first_seq + frame.records; ++seq) {
    std::fprintf(run.acked_log, "%s %llu\n", vin.c_str(), static_cast<unsigned long long>(seq));
  }
}

net::awaitable<void> read_acks(Run& run, Link& link, Vehicle& v) {
  beast::flat_buffer buffer;
  while (!(link.sending_done && link.sent == 0)) {
    buffer.clear();
    auto [ec, n] = co_await link.ws.async_read(buffer, kTuple);
    if (ec) {
      // The sender's close handshake ends reading once every frame was acknowledged.
      link.broken = !(ec == websocket::error::closed && link.sending_done && link.sent == 0);
      break;
    }
    wire::Ack ack;
    if (link.sent == 0 || !ack.ParseFromArray(buffer.data().data(), static_cast<int>(buffer.size())) ||
        (ack.ok() && ack.seq() != v.unacked.front().first_seq + v.unacked.front().records - 1)) {
      link.broken = true;  // not the ack of the oldest unacknowledged frame
      break;
    }
    log_ack(run, v.unacked.front(), ack, v.cred.vin);
    const auto waited = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - v.unacked.front().sent_at);
    run.ack_us.push_back(static_cast<uint32_t>(std::min<int64_t>(waited.count(), UINT32_MAX)));
    v.unacked.pop_front();
    --link.sent;
    link.wake.cancel();
  }
  link.wake.cancel();
}

// Writes the vehicle's next unsent frame on the link; false when the link broke.
net::awaitable<bool> write_next(Run& run, Link& link, Vehicle& v) {
  const std::shared_ptr<const std::string> bytes = v.unacked[link.sent].bytes;
  v.unacked[link.sent].sent_at = SteadyClock::now();
  ++link.sent;
  auto [ec, n] = co_await link.ws.async_write(net::buffer(*bytes), kTuple);
  if (ec) link.broken = true;
  run.progress.bytes_sent += n;
  co_return !link.broken;
}

net::awaitable<void> send_frames(Run& run, Link& link, Vehicle& v) {
  const double frames_per_second = run.options.rate / static_cast<double>(run.options.records_per_frame);
  const auto interval = run.options.rate > 0 ? std::chrono::duration_cast<SteadyClock::duration>(
                                                   std::chrono::duration<double>(1.0 / frames_per_second))
                                             : SteadyClock::duration::zero();
  net::steady_timer tick(link.ws.get_executor());
  SteadyClock::time_point next = SteadyClock::now();
  link.ws.binary(true);
  // Frames a broken connection left unacknowledged go first, in their order.
  while (link.sent < v.unacked.size() && !link.broken) {
    ++run.progress.resent;
    co_await write_next(run, link, v);
  }
  while (!link.broken && SteadyClock::now() < run.deadline) {
    while (link.sent >= run.options.window && !link.broken) co_await link.wake.async_wait(kTuple);
    if (link.broken) break;
    if (interval > SteadyClock::duration::zero()) {
      next += interval;
      tick.expires_at(next);
      co_await tick.async_wait(kTuple);
    }
    std::optional<Pending> frame = next_frame(run, v);
    if (!frame) break;
    v.unacked.push_back(std::move(*frame));
    run.progress.sent += v.unacked.back().records;
    co_await write_next(run, link, v);
  }
  link.sending_done = true;
  // Give outstanding acks a bounded time, then stop the reader by closing the socket.
  while (link.sent > 0 && !link.broken && SteadyClock::now() < run.drain_deadline) {
    link.wake.expires_at(run.drain_deadline);
    co_await link.wake.async_wait(kTuple);
  }
  if (link.broken) co_return;
  if (link.sent > 0) {
    link.broken = true;  // acks overdue: give up on them
    beast::get_lowest_layer(link.ws).close();
    co_return;
  }
  auto [ec] = co_await link.ws.async_close(websocket::close_code::normal, kTuple);
  if (ec) link.broken = true;
}

// Opens the vehicle's WebSocket: TCP connect, bearer token, upgrade on the run's target.
net::awaitable<beast::error_code> connect(const Run& run, Link& link, const SimCredential& cred) {
  tcp::resolver resolver(link.ws.get_executor());
  auto [ec, endpoints] = co_await resolver.async_resolve(run.options.host, std::to_string(run.options.port), kTuple);
  if (!ec) std::tie(ec, std::ignore) = co_await beast::get_lowest_layer(link.ws).async_connect(endpoints, kTuple);
  if (ec) co_return ec;
  beast::get_lowest_layer(link.ws).socket().set_option(tcp::no_delay(true), ec);
  if (http::TransportStream::TlsStream* tls = link.ws.next_layer().tls()) {
    if (!link.ws.next_layer().start_client_tls(run.options.host).is_ok()) co_return net::error::invalid_argument;
    std::tie(ec) = co_await tls->async_handshake(net::ssl::stream_base::client, kTuple);
    if (ec) co_return ec;
  }
  link.ws.set_option(websocket::stream_base::decorator([token = cred.token](websocket::request_type& req) {
    if (!token.empty()) req.set(beast::http::field::authorization, "Bearer " + token);
  }));
  std::tie(ec) = co_await link.ws.async_handshake(run.options.host, run.target, kTuple);
  co_return ec;
}

net::awaitable<void> drive(Run& run, size_t index, uint64_t seed) {
  auto ex = co_await net::this_coro::executor;
  auto& ioc = static_cast<net::io_context&>(net::query(ex, net::execution::context));
  Vehicle v(index, run.options.vehicles[index], seed);
  net::steady_timer pause(ex);
  auto backoff = std::chrono::milliseconds(100);
  for (size_t retries = 0;; ++retries) {
    Link link(ioc, run.tls.empty() ? nullptr : run.tls[index].get());
    if (beast::error_code ec = co_await connect(run, link, v.cred); ec) {
      if (run.progress.errors++ == 0) std::fprintf(stderr, "sim: %s cannot connect: %s\n", v.cred.vin.c_str(), ec.message().c_str());
    } else {
      if (retries > 0) ++run.progress.reconnects;
      retries = 0;
      backoff = std::chrono::milliseconds(100);
      co_await (send_frames(run, link, v) && read_acks(run, link, v));
      if (!link.broken) break;
      ++run.progress.errors;
    }
    const SteadyClock::time_point now = SteadyClock::now();
    const bool work_left = now < run.deadline || (!v.unacked.empty() && now < run.drain_deadline);
    if (!work_left || retries == run.options.max_retries) break;
    pause.expires_after(backoff);
    co_await pause.async_wait(kTuple);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
  --run.running;
}

net::awaitable<void> report(Run& run, const std::function<void(const FleetSimProgress&)>& on_progress) {
  net::steady_timer t(co_await net::this_coro::executor);
  while (run.running > 0) {
    t.expires_after(std::chrono::seconds(1));
    co_await t.async_wait(kTuple);
    run.progress.seconds = std::chrono::duration<double>(SteadyClock::now() - run.start).count();
    if (run.acked_log != nullptr) std::fflush(run.acked_log);
    if (on_progress && run.running > 0) on_progress(run.progress);
  }
}

}  // namespace

Result<FleetSimProgress> run_fleet(const FleetSimOptions& options,
                                   const std::function<void(const FleetSimProgress&)>& on_progress) {
  if (options.vehicles.empty()) return invalid_argument("the simulated fleet has no vehicles");
  if (options.window == 0) return invalid_argument("window must be at least 1");
  if (options.records_per_frame == 0) return invalid_argument("records per frame must be at least 1");
  Run run(options);
  auto tls = sim_tls_contexts(options);
  if (!tls.is_ok()) return tls.status();
  run.tls = std::move(tls).value();
  if (!options.acked_log.empty()) {
    run.acked_log = std::fopen(options.acked_log.c_str(), "w");
    if (run.acked_log == nullptr) return unavailable("cannot write " + options.acked_log.string());
  }
  net::io_context ioc(1);
  run.running = options.vehicles.size();
  for (size_t i = 0; i < options.vehicles.size(); ++i) {
    net::co_spawn(ioc, drive(run, i, options.seed * 1'000'003 + i), net::detached);
  }
  net::co_spawn(ioc, report(run, on_progress), net::detached);
  ioc.run();
  run.progress.seconds = std::chrono::duration<double>(SteadyClock::now() - run.start).count();
  run.progress.ack_p50_us = percentile(run.ack_us, 0.50);
  run.progress.ack_p99_us = percentile(run.ack_us, 0.99);
  if (run.acked_log != nullptr && std::fclose(run.acked_log) != 0) {
    return unavailable("cannot write " + options.acked_log.string());
  }
  if (on_progress) on_progress(run.progress);
  return run.progress;
}

Status set_endpoint(FleetSimOptions& o, std::string_view url) {
  const bool tls = url.rfind("wss://", 0) == 0;
  if (!tls && url.rfind("ws://", 0) != 0) return invalid_argument("the URL must start with ws:// or wss://");
  const std::string_view rest = url.substr(tls ? 6 : 5);
  const size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const size_t colon = authority.rfind(':');
  uint16_t port = tls ? 443 : 80;
  if (colon != std::string_view::npos) {
    const std::string_view digits = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty()) {
      return invalid_argument("bad port in " + std::string(url));
    }
  }
  if (authority.substr(0, colon).empty()) return invalid_argument("no host in " + std::string(url));
  o.tls = tls;
  o.host = std::string(authority.substr(0, colon));
  o.port = port;
  o.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  return Status::ok();
}

Result<std::vector<SimCredential>> read_credentials(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return not_found("cannot read " + file.string());
  std::vector<SimCredential> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    if (space == 0 || space + 1 == line.size()) {
      return invalid_argument(file.string() + ":" + std::to_string(n) + ": expected \"VIN TOKEN\" or \"VIN\"");
    }
    if (space == std::string::npos) {
      out.push_back({line, ""});
    } else {
      out.push_back({line.substr(0, space), line.substr(space + 1)});
    }
  }
  return out;
}

}  // namespace fleetgate::telemetry
