// `fleetgate bench-client`: an open-loop load generator for OpenAI-compatible chat endpoints
// (the gateway benchmark, bench/scenarios/gateway.sh). Request i is due at start + i/rate
// whatever the responses do; a free keep-alive connection takes the next due request, and its
// latency counts from the due time, so time spent queued behind a slow server is included
// (no coordinated omission). Reports achieved requests per second, errors, latency percentiles
// from the sorted samples and, for streams, time to first token (the first body bytes).
// --header-stat NAME adds the percentiles of a numeric response header over the answered
// requests (fleetgate's x-fleetgate-overhead-us: the gateway's own time per request).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include "fleetgate/app/cli.h"
#include "fleetgate/core/json_text.h"

namespace fleetgate::app {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kTuple = net::as_tuple(net::use_awaitable);

struct Args {
  std::string url = "http://127.0.0.1:8080/v1/chat/completions";
  std::string token;
  std::vector<std::string> headers;  // "Name: value"
  std::string model = "mock-model";
  std::string prompt = "Set the cabin temperature to 21 degrees";
  double rate = 1000;
  double duration_s = 5;
  int connections = 64;
  int threads = 1;
  uint32_t timeout_ms = 10'000;
  bool stream = false;
  bool json = false;
  std::string header_stat;  // a numeric response header to report percentiles of
};

struct Target {
  std::string host, port, path;
};

// http://HOST[:PORT]/PATH only: the benchmark talks plain HTTP on loopback.
Result<Target> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) return invalid_argument("--url must start with http:// (got '" + std::string(url) + "')");
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  Target t;
  t.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  t.host = std::string(authority.substr(0, colon));
  t.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
  if (t.host.empty() || t.port.empty() || !std::all_of(t.port.begin(), t.port.end(), ::isdigit)) {
    return invalid_argument("--url needs a host and a numeric port (got '" + std::string(authority) + "')");
  }
  return t;
}

Result<bhttp::request<bhttp::string_body>> build_request(const Args& a, const Target& t) {
  bhttp::request<bhttp::string_body> req{bhttp::verb::post, t.path, 11};
  req.set(bhttp::field::host, t.host + ":" + t.port);
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::user_agent, "fleetgate-bench-client");
  if (!a.token.empty()) req.set(bhttp::field::authorization, "Bearer " + a.token);
  for (const std::string& h : a.headers) {
    const size_t colon = h.find(':');
    if (colon == std::string::npos || colon == 0) return invalid_argument("--header must be 'Name: value' (got '" + h + "')");
    std::string_view value = std::string_view(h).substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.set(h.substr(0, colon), value);
  }
  json::object body{{"model", a.model},
                    {"messages", json::array{json::object{{"role", "user"}, {"content", a.prompt}}}}};
  if (a.stream) body["stream"] = true;
  req.body() = json::serialize(body);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

// What one connection saw; merged after the run.
struct Tally {
  std::vector<int64_t> latency_ns;
  std::vector<int64_t> ttft_ns;
  std::vector<int64_t> header_values;  // of --header-stat, from answered requests that carried it
  uint64_t ok = 0;
  std::map<std::string, uint64_t> errors;  // by kind: "connect", "io", "timeout", "http_503"...
};

// The schedule every connection draws from.
struct Schedule {
  SteadyClock::time_point start;
  double interval_ns;
  uint64_t total;               // requests due within the duration
  SteadyClock::time_point cutoff;  // past this, due requests are no longer sent (counted "unsent")
  std::atomic<uint64_t> next{0};
};

std::string error_kind(const beast::error_code& ec) {
  return ec == beast::error::timeout ? "timeout" : "io";
}

// One keep-alive connection taking due requests until the schedule is exhausted.
net::awaitable<void> drive(const Args& a, const tcp::resolver::results_type& endpoints,
                           const bhttp::request<bhttp::string_body>& request, Schedule& s, Tally& tally) {
  auto executor = co_await net::this_coro::executor;
  beast::tcp_stream stream(executor);
  net::steady_timer timer(executor);
  beast::flat_buffer buffer;
  bool connected = false;
  const auto timeout = std::chrono::milliseconds(a.timeout_ms);
  for (;;) {
    const uint64_t i = s.next.fetch_add(1, std::memory_order_relaxed);
    if (i >= s.total) break;
    const auto due = s.start + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * s.interval_ns));
    if (due > SteadyClock::now()) {
      timer.expires_at(due);
      co_await timer.async_wait(kTuple);
    } else if (SteadyClock::now() > s.cutoff) {
      ++tally.errors["unsent"];
      continue;
    }
    if (!connected) {
      stream.expires_after(timeout);
      auto [ec, ep] = co_await stream.async_connect(endpoints, kTuple);
      if (ec) {
        ++tally.errors["connect"];
        stream.close();
        continue;
      }
      beast::error_code ignored;
      stream.socket().set_option(tcp::no_delay(true), ignored);
      buffer.clear();
      connected = true;
    }
    stream.expires_after(timeout);
    auto [wec, wn] = co_await bhttp::async_write(stream, request, kTuple);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64u << 20);
    beast::error_code ec = wec;
    if (!ec) std::tie(ec, std::ignore) = co_await bhttp::async_read_header(stream, buffer, parser, kTuple);
    std::optional<SteadyClock::time_point> first_byte;
    while (!ec && !parser.is_done()) {
      std::tie(ec, std::ignore) = co_await bhttp::async_read_some(stream, buffer, parser, kTuple);
      if (!first_byte && !parser.get().body().empty()) first_byte = SteadyClock::now();
    }
    const auto done = SteadyClock::now();
    if (ec) {
      ++tally.errors[error_kind(ec)];
      stream.close();
      connected = false;
      continue;
    }
    const unsigned status = parser.get().result_int();
    if (status < 200 || status > 299) {
      ++tally.errors["http_" + std::to_string(status)];
    } else {
      ++tally.ok;
      tally.latency_ns.push_back((done - due).count());
      if (a.stream && first_byte) tally.ttft_ns.push_back((*first_byte - due).count());
      if (!a.header_stat.empty()) {
        const auto field = parser.get().find(a.header_stat);
        int64_t v = 0;
        if (field != parser.get().end()) {
          const std::string_view text = field->value();
          const auto [end, err] = std::from_chars(text.data(), text.data() + text.size(), v);
          if (err == std::errc() && end == text.data() + text.size()) tally.header_values.push_back(v);
        }
      }
    }
    if (!parser.get().keep_alive()) {
      stream.close();
      connected = false;
    }
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

// Percentiles of samples divided by `unit` (1e6: nanoseconds in milliseconds), rounded to
// thousandths.
json::object summarize(std::vector<int64_t>& samples, double unit = 1e6) {
  json::object out;
  if (samples.empty()) return out;
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return static_cast<double>(samples[std::clamp<size_t>(rank, 1, samples.size()) - 1]) / unit;
  };
  double sum = 0;
  for (int64_t v : samples) sum += static_cast<double>(v);
  auto thousandths = [](double v) { return std::round(v * 1000) / 1000; };
  out["p50"] = thousandths(at(0.50));
  out["p90"] = thousandths(at(0.90));
  out["p99"] = thousandths(at(0.99));
  out["p999"] = thousandths(at(0.999));
  out["max"] = thousandths(static_cast<double>(samples.back()) / unit);
  out["mean"] = thousandths(sum / static_cast<double>(samples.size()) / unit);
  return out;
}

json::object run(const Args& a) {
  const Target target = must(parse_url(a.url));
  const auto request = must(build_request(a, target));
  net::io_context io(a.threads);
  tcp::resolver resolver(io);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(target.host, target.port, ec);
  if (ec) fail("cannot resolve " + target.host + ": " + ec.message());

  Schedule s;
  s.interval_ns = 1e9 / a.rate;
  s.total = static_cast<uint64_t>(std::llround(a.rate * a.duration_s));
  // Connections set up before the clock starts; the first request is due shortly after.
  s.start = SteadyClock::now() + std::chrono::milliseconds(50);
  const auto planned_end = s.start + std::chrono::nanoseconds(static_cast<int64_t>(a.duration_s * 1e9));
  // An overloaded server must not stretch the run without bound: what is still unsent one
  // timeout after the planned end is given up.
  s.cutoff = planned_end + std::chrono::milliseconds(a.timeout_ms);
  std::vector<Tally> tallies(static_cast<size_t>(a.connections));
  for (auto& tally : tallies) {
    net::co_spawn(net::make_strand(io), drive(a, endpoints, request, s, tally), net::detached);
  }
  std::vector<std::thread> extra;
  for (int i = 1; i < a.threads; ++i) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& th : extra) th.join();
  const double elapsed = std::max(std::chrono::duration<double>(SteadyClock::now() - s.start).count(), a.duration_s);

  Tally all;
  for (auto& tally : tallies) {
    all.ok += tally.ok;
    all.latency_ns.insert(all.latency_ns.end(), tally.latency_ns.begin(), tally.latency_ns.end());
    all.ttft_ns.insert(all.ttft_ns.end(), tally.ttft_ns.begin(), tally.ttft_ns.end());
    all.header_values.insert(all.header_values.end(), tally.header_values.begin(), tally.header_values.end());
    for (const auto& [kind, n] : tally.errors) all.errors[kind] += n;
  }
  uint64_t errors = 0;
  json::object by_kind;
  for (const auto& [kind, n] : all.errors) {
    errors += n;
    by_kind[kind] = n;
  }
  json::object out{{"url", a.url},
                   {"stream", a.stream},
                   {"offered_rps", a.rate},
                   {"duration_s", a.duration_s},
                   {"connections", a.connections},
                   {"requests", s.total},
                   {"ok", all.ok},
                   {"errors", errors},
                   {"errors_by_kind", std::move(by_kind)},
                   {"achieved_rps", std::round(static_cast<double>(all.ok) / elapsed)},
                   {"latency_ms", summarize(all.latency_ns)}};
  if (a.stream) out["ttft_ms"] = summarize(all.ttft_ns);
  if (!a.header_stat.empty()) {
    // "missing": answered requests without the header or with a value that is not an integer.
    json::object stat{{"name", a.header_stat}, {"count", all.header_values.size()}, {"missing", all.ok - all.header_values.size()}};
    for (auto& [q, v] : summarize(all.header_values, 1)) stat[q] = v;
    out["header_stat"] = std::move(stat);
  }
  return out;
}

void print_text(const json::object& r) {
  std::cout << "offered " << r.at("offered_rps").to_number<double>() << " req/s for " << r.at("duration_s").to_number<double>()
            << " s over " << r.at("connections").as_int64() << " connections" << (r.at("stream").as_bool() ? " (stream)" : "")
            << "\nachieved " << r.at("achieved_rps").to_number<double>() << " req/s, " << r.at("ok").to_number<uint64_t>()
            << " ok, " << r.at("errors").to_number<uint64_t>() << " errors " << json_text(r.at("errors_by_kind")) << "\n";
  for (const char* key : {"latency_ms", "ttft_ms", "header_stat"}) {
    const json::value* v = r.if_contains(key);
    if (v == nullptr || !v->as_object().contains("p50")) continue;
    const json::object& p = v->as_object();
    std::cout << (p.contains("name") ? p.at("name").as_string().c_str() : key) << ":";
    for (const char* q : {"p50", "p90", "p99", "p999", "max", "mean"}) std::cout << " " << q << "=" << p.at(q).to_number<double>();
    std::cout << "\n";
  }
}

}  // namespace

void add_bench_client_command(CLI::App& app, Cli& /*cli*/) {
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("bench-client", "Open-loop load generator for an OpenAI-compatible chat endpoint");
  cmd->add_option("--url", a->url, "Chat completions URL (http:// only)")->capture_default_str();
  cmd->add_option("--token", a->token, "Bearer token sent with every request");
  cmd->add_option("--header", a->headers, "Extra request header 'Name: value' (repeatable)");
  cmd->add_option("--model", a->model, "Model named in the request")->capture_default_str();
  cmd->add_option("--prompt", a->prompt, "User message of the request")->capture_default_str();
  cmd->add_option("--rate", a->rate, "Requests per second, on a fixed schedule")->check(CLI::Range(1.0, 1e6))->capture_default_str();
  cmd->add_option("--duration", a->duration_s, "Seconds of scheduled requests")->check(CLI::Range(0.1, 3600.0))->capture_default_str();
  cmd->add_option("--connections", a->connections, "Keep-alive connections")->check(CLI::Range(1, 10000))->capture_default_str();
  cmd->add_option("--threads", a->threads, "Client I/O threads")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--timeout-ms", a->timeout_ms, "Per connect, write and response")->check(CLI::Range(1, 600000))->capture_default_str();
  cmd->add_flag("--stream", a->stream, "Ask for an SSE stream and measure time to first token");
  cmd->add_flag("--json", a->json, "Print the summary as one JSON object");
  cmd->add_option("--header-stat", a->header_stat, "Also report percentiles of this integer response header");
  cmd->callback([a] {
    const json::object result = run(*a);
    if (a->json) {
      std::cout << json_text(result) << "\n";
    } else {
      print_text(result);
    }
  });
}

}  // namespace fleetgate::app
