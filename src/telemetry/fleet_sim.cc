#include "fleetgate/telemetry/fleet_sim.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
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
  SteadyClock::time_point start = SteadyClock::now();
  SteadyClock::time_point deadline = start + options.duration;
  FleetSimProgress progress;
  std::FILE* acked_log = nullptr;
  size_t running = 0;
};

struct Link {
  explicit Link(net::io_context& ioc) : ws(ioc), wake(ioc) { wake.expires_at(net::steady_timer::time_point::max()); }
  websocket::stream<beast::tcp_stream> ws;
  net::steady_timer wake;  // the sender waits here for the window to open
  size_t in_flight = 0;
  bool sending_done = false;
  bool broken = false;
};

net::awaitable<void> read_acks(Run& run, Link& link, const std::string& vin) {
  beast::flat_buffer buffer;
  while (!(link.sending_done && link.in_flight == 0)) {
    buffer.clear();
    auto [ec, n] = co_await link.ws.async_read(buffer, kTuple);
    if (ec) {
      // The sender's close handshake ends reading once every frame was acknowledged.
      link.broken = !(ec == websocket::error::closed && link.sending_done && link.in_flight == 0);
      break;
    }
    wire::Ack ack;
    if (!ack.ParseFromString(beast::buffers_to_string(buffer.data()))) {
      link.broken = true;
      break;
    }
    --link.in_flight;
    if (ack.ok()) {
      ++run.progress.acked;
      if (run.acked_log != nullptr) std::fprintf(run.acked_log, "%s %llu\n", vin.c_str(), static_cast<unsigned long long>(ack.seq()));
    } else {
      if (run.progress.refused++ == 0) std::fprintf(stderr, "sim: %s seq %llu refused: %s\n", vin.c_str(),
                                                    static_cast<unsigned long long>(ack.seq()), ack.error().c_str());
    }
    link.wake.cancel();
  }
  link.wake.cancel();
}

net::awaitable<void> send_frames(Run& run, Link& link, SimVehicle& vehicle) {
  const auto interval = run.options.rate > 0 ? std::chrono::duration_cast<SteadyClock::duration>(std::chrono::duration<double>(1.0 / run.options.rate))
                                             : SteadyClock::duration::zero();
  net::steady_timer tick(link.ws.get_executor());
  SteadyClock::time_point next = SteadyClock::now();
  SteadyClock::time_point last = next;
  link.ws.binary(true);
  while (!link.broken && SteadyClock::now() < run.deadline) {
    while (link.in_flight >= run.options.window && !link.broken) co_await link.wake.async_wait(kTuple);
    if (link.broken) break;
    if (interval > SteadyClock::duration::zero()) {
      next += interval;
      tick.expires_at(next);
      co_await tick.async_wait(kTuple);
    }
    const SteadyClock::time_point now = SteadyClock::now();
    const int64_t dt_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - last).count();
    last = now;
    const std::string frame = encode_protobuf(vehicle.step(std::max<int64_t>(dt_ms, 1), system_clock_ms()));
    ++link.in_flight;
    auto [ec, n] = co_await link.ws.async_write(net::buffer(frame), kTuple);
    if (ec) {
      link.broken = true;
      break;
    }
    ++run.progress.sent;
    run.progress.bytes_sent += n;
  }
  link.sending_done = true;
  // Give outstanding acks a bounded time, then stop the reader by closing the socket.
  net::steady_timer grace(link.ws.get_executor(), std::chrono::seconds(10));
  while (link.in_flight > 0 && !link.broken && SteadyClock::now() < grace.expiry()) {
    link.wake.expires_at(grace.expiry());
    co_await link.wake.async_wait(kTuple);
  }
  if (link.broken) co_return;
  if (link.in_flight > 0) {
    link.broken = true;  // acks overdue: give up on them
    beast::get_lowest_layer(link.ws).close();
    co_return;
  }
  auto [ec] = co_await link.ws.async_close(websocket::close_code::normal, kTuple);
  if (ec) link.broken = true;
}

net::awaitable<void> drive(Run& run, SimCredential cred, uint64_t seed) {
  auto ex = co_await net::this_coro::executor;
  auto& ioc = static_cast<net::io_context&>(net::query(ex, net::execution::context));
  Link link(ioc);
  SimVehicle vehicle(cred.vin, seed);
  tcp::resolver resolver(ex);
  auto [rec, endpoints] = co_await resolver.async_resolve(run.options.host, std::to_string(run.options.port), kTuple);
  beast::error_code ec = rec;
  if (!ec) std::tie(ec, std::ignore) = co_await beast::get_lowest_layer(link.ws).async_connect(endpoints, kTuple);
  if (!ec) {
    beast::get_lowest_layer(link.ws).socket().set_option(tcp::no_delay(true), ec);
    link.ws.set_option(websocket::stream_base::decorator([token = cred.token](websocket::request_type& req) {
      req.set(beast::http::field::authorization, "Bearer " + token);
    }));
    std::tie(ec) = co_await link.ws.async_handshake(run.options.host, run.options.target, kTuple);
  }
  if (ec) {
    if (run.progress.errors++ == 0) std::fprintf(stderr, "sim: %s cannot connect: %s\n", cred.vin.c_str(), ec.message().c_str());
  } else {
    co_await (send_frames(run, link, vehicle) && read_acks(run, link, cred.vin));
    if (link.broken) ++run.progress.errors;
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
  Run run(options);
  if (!options.acked_log.empty()) {
    run.acked_log = std::fopen(options.acked_log.c_str(), "w");
    if (run.acked_log == nullptr) return unavailable("cannot write " + options.acked_log.string());
  }
  net::io_context ioc(1);
  run.running = options.vehicles.size();
  for (size_t i = 0; i < options.vehicles.size(); ++i) {
    net::co_spawn(ioc, drive(run, options.vehicles[i], options.seed * 1'000'003 + i), net::detached);
  }
  net::co_spawn(ioc, report(run, on_progress), net::detached);
  ioc.run();
  run.progress.seconds = std::chrono::duration<double>(SteadyClock::now() - run.start).count();
  if (run.acked_log != nullptr && std::fclose(run.acked_log) != 0) {
    return unavailable("cannot write " + options.acked_log.string());
  }
  if (on_progress) on_progress(run.progress);
  return run.progress;
}

Result<std::vector<SimCredential>> read_credentials(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return not_found("cannot read " + file.string());
  std::vector<SimCredential> out;
  std::string line;
  for (size_t n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    const size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size()) {
      return invalid_argument(file.string() + ":" + std::to_string(n) + ": expected \"VIN TOKEN\"");
    }
    out.push_back({line.substr(0, space), line.substr(space + 1)});
  }
  return out;
}

}  // namespace fleetgate::telemetry
