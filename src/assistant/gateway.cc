#include "fleetgate/assistant/gateway.h"

#include <boost/json.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "fleetgate/assistant/chat_filter.h"
#include "fleetgate/assistant/gateway_filters.h"
#include "fleetgate/assistant/onboard_provider.h"
#include "fleetgate/assistant/upstream_provider.h"
#include "fleetgate/assistant/usage_meter.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/http/error.h"
#include "fleetgate/http/json_body.h"
#include "fleetgate/http/stream_writer.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
namespace net = boost::asio;
using net::awaitable;
using http::Request;
using http::Response;
using http::StatusCode;
using SteadyClock = std::chrono::steady_clock;

int64_t micros_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t).count();
}

void set_route_headers(http::Fields& h, std::string_view provider, const std::string& region, int64_t overhead_us) {
  h.set("x-fleetgate-provider", provider.empty() ? "none" : provider);
  h.set("x-fleetgate-region", region);
  h.set("x-fleetgate-overhead-us", std::to_string(overhead_us));
}

// Relays a provider's stream to the vehicle through the request's filter chain, chunk by chunk.
// A chunk the filters emptied (a held tool-call piece) or an unreadable one is reported as kHeld:
// until a chunk reaches the car, the router may still fail over, and the car sees one answer from
// one provider. A filter's error refuses the attempt (refusal()): the router fails over, or ends
// the stream with an error event once the car has seen a byte.
class RelaySink : public StreamSink {
 public:
  RelaySink(ChatFilterChain& chain, ChatExchange& x, http::StreamWriter& writer) : chain_(chain), x_(x), writer_(writer) {}

  void attempt_started(std::string_view provider_id, std::chrono::microseconds provider_time) override {
    x_.provider = provider_id;
    attempt_start_ = SteadyClock::now();
    provider_before_ = provider_time;
    refusal_.reset();
    chain_.attempt(x_);
  }

  std::optional<std::string> refusal() const override { return refusal_; }

  // The time from the attempt's start to this event is the provider's; what relay() takes is ours.
  awaitable<Relayed> send_event(std::string_view data) override {
    const auto start = SteadyClock::now();
    provider_time_ = provider_before_ + std::chrono::duration_cast<std::chrono::microseconds>(start - attempt_start_);
    const Relayed relayed = co_await relay(data);
    relay_us_ += micros_since(start);
    co_return relayed;
  }

  awaitable<void> send_error_and_close(std::string_view error_json) override {
    if (ensure_started() && !writer_.send_event(error_json, "error").is_ok()) spdlog::debug("stream error event not delivered");
    closed_ = true;
    co_return;
  }

  // The route is over and succeeded (`provider_time`: its RouteResult::provider_time()): the
  // filters' closing event (tool calls whose stream ended without a finish_reason) goes out when
  // it carries anything. False when the car is gone.
  awaitable<bool> close(std::chrono::microseconds provider_time) {
    provider_time_ = provider_time;
    json::object closing{{"object", "chat.completion.chunk"}, {"model", x_.model}, {"choices", json::array{}}};
    AnswerEvent event{closing, false, true};
    if (Status s = co_await chain_.event(x_, event); !s.is_ok()) {
      LogScope scope(log_tags(x_));
      spdlog::warn("closing a stream: {}", s.to_string());
    }
    if (!carries_payload(event)) co_return true;
    const std::string released = json_text(closing);
    const bool sent = co_await forward(released);
    co_return sent;
  }

  // The gateway's own time on the request so far (x-fleetgate-overhead-us): all of it but
  // `provider_time` (time in provider calls and backoff waits) and the waits for a slow car to
  // read. The relay's work inside provider calls is the gateway's, so it is added back.
  int64_t overhead_us(std::chrono::microseconds provider_time) const {
    return std::max<int64_t>(0, micros_since(x_.started) - provider_time.count() + relay_us_ - car_wait_us_);
  }

  bool started() const { return started_; }

 private:
  awaitable<Relayed> relay(std::string_view data) {
    boost::system::error_code ec;
    json::value parsed = json::parse(data, ec);
    if (ec || !parsed.is_object()) {
      // An unreadable chunk cannot be reviewed, so it never reaches the vehicle.
      LogScope scope(log_tags(x_));
      spdlog::warn("dropping an unparsable stream chunk from provider {}", x_.provider);
      co_return Relayed::kHeld;
    }
    AnswerEvent event{parsed.as_object()};
    if (Status s = co_await chain_.event(x_, event); !s.is_ok()) {
      LogScope scope(log_tags(x_));
      spdlog::warn("refusing the answer of provider {}: {}", x_.provider, s.message());
      refusal_ = s.message();
      co_return Relayed::kStop;
    }
    if (event.modified && !carries_payload(event)) co_return Relayed::kHeld;
    const std::string relayed = event.modified ? json_text(event.object) : std::string(data);
    const bool sent = co_await forward(relayed);
    co_return sent ? Relayed::kToVehicle : Relayed::kStop;
  }

  bool ensure_started() {
    if (started_) return true;
    http::Fields headers;
    headers.set(boost::beast::http::field::content_type, "text/event-stream");
    headers.set(boost::beast::http::field::cache_control, "no-cache");
    // Counted up to the car's first byte; the stream's last line has the whole request's figure.
    set_route_headers(headers, x_.provider, x_.car.region, overhead_us(provider_time_));
    chain_.headers(x_, headers);
    started_ = writer_.start(StatusCode::ok, std::move(headers)).is_ok();
    return started_;
  }

  // Queues `data` for the vehicle and waits while the vehicle is slower than the provider.
  awaitable<bool> forward(const std::string& data) {
    if (closed_ || !ensure_started() || !writer_.send_event(data).is_ok()) co_return false;
    const auto waiting = SteadyClock::now();
    co_await writer_.writable();
    car_wait_us_ += micros_since(waiting);
    co_return true;
  }

  ChatFilterChain& chain_;
  ChatExchange& x_;
  http::StreamWriter& writer_;
  SteadyClock::time_point attempt_start_;
  std::chrono::microseconds provider_before_{0};  // the route's provider time before this attempt
  std::chrono::microseconds provider_time_{0};    // ... until the chunk being relayed, or the route's end
  int64_t relay_us_ = 0;     // time inside send_event: the gateway's, though within provider calls
  int64_t car_wait_us_ = 0;  // time waiting for the car to read
  std::optional<std::string> refusal_;
  bool started_ = false;
  bool closed_ = false;
};

// A token fired when the vehicle hangs up. The writer's callback owns a share of it because the
// server may cancel the writer after the handler returned (a disconnect racing the handler's
// end), when a token on the handler's stack would already be gone.
std::shared_ptr<CancelToken> cancel_on_hangup(http::StreamWriter& writer) {
  auto token = std::make_shared<CancelToken>();
  writer.on_cancel([token] { token->cancel(); });
  return token;
}

// The vehicle may be gone by now; nothing else can be done with a failed final write.
void reply(http::StreamWriter& writer, Response response) {
  if (Status s = writer.reply(std::move(response)); !s.is_ok()) spdlog::debug("reply not delivered: {}", s.to_string());
}

// The AI label rules this node applies, put in the audit chain whenever they differ from the last
// ones recorded, so which labels were in force when can be shown from the chain.
Status record_label_rules(const config::Config& config, audit::AuditLog& audit) {
  constexpr std::string_view kKey = "compliance/ai_labels";
  json::array rules;
  for (const config::AiLabelRule& r : config.ai_labels) {
    json::array markets(r.markets.begin(), r.markets.end());
    rules.push_back(json::object{{"markets", std::move(markets)},
                                 {"reference", r.reference},
                                 {"when", r.when == config::AiLabelRule::When::kFirstTurn ? "first_turn" : "every_answer"},
                                 {"notice", json::object{{"en", r.notice_en}, {"zh", r.notice_zh}, {"de", r.notice_de}}}});
  }
  const std::string text = json::serialize(rules);
  auto recorded = audit.transact([&]() -> Result<bool> {
    auto stored = audit.state().get(kKey);
    if (!stored.is_ok() && stored.status().code() != Code::kNotFound) return stored.status();
    const bool unchanged = stored.is_ok() ? *stored == text : rules.empty();
    if (unchanged) return false;
    audit::Event event{"service", "compliance.ai_labels.in_force", "ai_labels", "", {}};
    event.details["rules"] = rules;
    auto entries = audit.append_with({std::move(event)}, store::WriteBatch().put(kKey, text));
    if (!entries.is_ok()) return entries.status();
    return true;
  });
  return recorded.status();
}

Response json_error(const RouteResult& r) {
  Response resp;
  resp.status = static_cast<StatusCode>(r.http_status >= 400 && r.http_status < 600 ? r.http_status : 503);
  resp.content_type = "application/json";
  resp.body = r.body;
  if (r.retry_after.count() > 0) resp.headers.set(boost::beast::http::field::retry_after, std::to_string(r.retry_after.count()));
  return resp;
}

}  // namespace

struct Gateway::Impl {
  GatewayDeps deps;
  std::unique_ptr<UsageMeter> usage_meter;  // writes to deps.usage off the request path
  http::CounterFamily* requests = nullptr;
  http::CounterFamily* attempts = nullptr;
  http::CounterFamily* failovers = nullptr;
  http::CounterFamily* refusals = nullptr;
  http::HistogramFamily* overhead = nullptr;
  http::GaugeFamily* breaker = nullptr;
  http::CounterFamily* over_budget = nullptr;
  std::vector<ChatFilterFactory> filters;  // set by register_routes, which knows the server's workers

  void chain_filters(net::any_io_executor blocking) {
    filters.clear();
    filters.push_back(caller_filter(deps.policy, *deps.registry, blocking));
    filters.push_back(metering_filter(MeteringDeps{usage_meter.get(), deps.pseudonymisers, deps.router, requests, attempts, failovers, breaker}));
    if (deps.budgets != nullptr && !deps.budgets->empty()) filters.push_back(budget_filter(deps.budgets, *over_budget));
    filters.push_back(tool_review_filter(ToolReviewDeps{deps.states, deps.audit, blocking, deps.tool_pins, deps.interlocks, refusals}));
    filters.push_back(ai_label_filter(deps.policy));
  }

  awaitable<void> chat(const Request& req, http::StreamWriter& writer);
  awaitable<void> complete(ChatFilterChain& chain, ChatExchange& x, http::StreamWriter& writer);
  awaitable<void> stream(ChatFilterChain& chain, ChatExchange& x, http::StreamWriter& writer);
  Response models(const Request& req);
  Response report_state(const Request& req);
};

awaitable<void> Gateway::Impl::chat(const Request& req, http::StreamWriter& writer) {
  ChatExchange x;
  x.http = &req;
  x.started = SteadyClock::now();
  ChatFilterChain chain(filters);
  if (std::optional<EarlyAnswer> answered = co_await chain.request(x)) {
    RouteResult result;
    result.outcome = answered->outcome;
    result.http_status = static_cast<int>(answered->response.status);
    chain.end(x, result);
    reply(writer, std::move(answered->response));
    co_return;
  }
  if (x.streamed()) {
    co_await stream(chain, x, writer);
  } else {
    co_await complete(chain, x, writer);
  }
}

awaitable<void> Gateway::Impl::complete(ChatFilterChain& chain, ChatExchange& x, http::StreamWriter& writer) {
  const std::shared_ptr<CancelToken> cancel = cancel_on_hangup(writer);
  RouteResult result = co_await deps.router->complete(x.car, x.upstream_body, *cancel);
  Response resp;
  if (result.ok()) {
    x.provider = result.provider_id;
    boost::system::error_code ec;
    json::value completion = json::parse(result.body, ec);
    if (ec || !completion.is_object()) {
      result.outcome = Outcome::kBadResponse;
      resp = http::error_response(StatusCode::bad_gateway, "provider '" + result.provider_id + "' answered with invalid JSON",
                                  "bad_upstream_response");
    } else {
      AnswerEvent event{completion.as_object(), true, true};
      if (Status s = co_await chain.event(x, event); !s.is_ok()) {
        result.outcome = Outcome::kBadResponse;
        resp = http::error_response(StatusCode::bad_gateway, "provider '" + result.provider_id + "' answered past a limit: " +
                                    s.message(), "bad_upstream_response");
      } else {
        resp.status = StatusCode::ok;
        resp.content_type = "application/json";
        // Answers no filter changed pass back byte for byte, unknown fields and number formats intact.
        resp.body = event.modified ? json_text(event.object) : std::move(result.body);
        chain.headers(x, resp.headers);
      }
    }
  } else {
    resp = json_error(result);
  }
  const int64_t overhead_us = std::max<int64_t>(0, micros_since(x.started) - result.provider_time().count());
  overhead->with({x.car.region}).observe(static_cast<double>(overhead_us) / 1e6);
  set_route_headers(resp.headers, result.provider_id, x.car.region, overhead_us);
  chain.end(x, result);
  reply(writer, std::move(resp));
}

awaitable<void> Gateway::Impl::stream(ChatFilterChain& chain, ChatExchange& x, http::StreamWriter& writer) {
  const std::shared_ptr<CancelToken> cancel = cancel_on_hangup(writer);
  RelaySink sink(chain, x, writer);
  RouteResult result = co_await deps.router->stream(x.car, x.upstream_body, sink, *cancel);
  if (result.ok()) {
    const bool closed = co_await sink.close(result.provider_time());
    if (closed && sink.started() && !writer.send_event("[DONE]").is_ok()) spdlog::debug("[DONE] not delivered");
    if (!sink.started()) {
      // The provider finished without a single event: answer with an empty stream, still valid.
      http::Fields headers;
      set_route_headers(headers, result.provider_id, x.car.region, sink.overhead_us(result.provider_time()));
      if (writer.start(StatusCode::ok, std::move(headers)).is_ok() && !writer.send_event("[DONE]").is_ok()) spdlog::debug("[DONE] not delivered");
    }
  } else if (!sink.started()) {
    Response resp = json_error(result);
    set_route_headers(resp.headers, result.provider_id, x.car.region, sink.overhead_us(result.provider_time()));
    reply(writer, std::move(resp));
  }
  // The header of a stream could only count up to the first byte: its last line, a comment SSE
  // clients skip, has the whole request's figure.
  const int64_t overhead_us = sink.overhead_us(result.provider_time());
  if (writer.started() && !writer.send_comment("x-fleetgate-overhead-us: " + std::to_string(overhead_us)).is_ok()) {
    spdlog::debug("overhead comment not delivered");
  }
  overhead->with({x.car.region}).observe(static_cast<double>(overhead_us) / 1e6);
  chain.end(x, result);
}

Response Gateway::Impl::models(const Request& req) {
  auto caller = calling_vehicle(*deps.policy, *deps.registry, req.principal()->subject);
  if (!caller.is_ok()) return http::error_response(caller.status());
  json::array data;
  for (const config::Provider* p : deps.policy->permitted_chain(caller->car)) {
    for (const auto& m : p->models) {
      data.push_back(json::object{{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", p->id}});
    }
  }
  Response resp = Response::json(StatusCode::ok, json::object{{"object", "list"}, {"data", std::move(data)}});
  resp.headers.set("x-fleetgate-region", caller->car.region);
  return resp;
}

Response Gateway::Impl::report_state(const Request& req) {
  const http::Principal& p = *req.principal();
  const std::string vin(req.param("vin"));
  const bool person = p.has_role("operator") || p.has_role("admin");
  // Decided before the lookup, so a car learns nothing about other VINs.
  if (!person && p.subject != vin) {
    return http::error_response(StatusCode::forbidden, "a vehicle may only report its own state", "not_allowed");
  }
  auto record = deps.registry->show(vin);
  if (!record.is_ok()) return http::error_response(record.status());
  // Answered like an unregistered VIN, so other regions' fleets cannot be probed.
  if (person && !p.may_act_in(record->region)) {
    return http::error_response(vehicle::not_registered(vin));
  }
  auto body = http::json_object_body(req);
  if (!body.is_ok()) return http::error_response(body.status());
  VehicleState state;
  state.updated_at = Clock::now();
  for (const auto& [k, v] : *body) {
    if (k == "speed_kmh") {
      if (!v.is_number() || v.to_number<double>() < 0 || v.to_number<double>() > 500) {
        return http::error_response(invalid_argument("speed_kmh: must be a number between 0 and 500"));
      }
      state.speed_kmh = v.to_number<double>();
    } else if (k == "gear") {
      state.gear = v.is_string() ? parse_gear(std::string_view(v.as_string())) : std::nullopt;
      if (!state.gear) return http::error_response(invalid_argument("gear: must be one of P, R, N, D"));
    } else if (k == "charging" || k == "charge_cable_connected") {
      if (!v.is_bool()) return http::error_response(invalid_argument(std::string(k) + ": must be a boolean"));
      (k == "charging" ? state.charging : state.charge_cable_connected) = v.as_bool();
    } else if (k == "occupancy") {
      if (!v.is_object()) return http::error_response(invalid_argument("occupancy: must be an object of seat -> boolean"));
      for (const auto& [seat, occupied] : v.as_object()) {
        if (!occupied.is_bool()) return http::error_response(invalid_argument("occupancy." + std::string(seat) + ": must be a boolean"));
        state.occupancy[std::string(seat)] = occupied.as_bool();
      }
    } else {
      return http::error_response(invalid_argument("unknown field '" + std::string(k) +
                                                   "' (expected speed_kmh, gear, charging, charge_cable_connected, occupancy)"));
    }
  }
  if (Status s = deps.states->report(vin, state); !s.is_ok()) return http::error_response(s);
  return Response::json(StatusCode::accepted, json::object{{"vin", vin}, {"accepted", true}});
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;

Result<std::unique_ptr<Gateway>> Gateway::create(GatewayDeps deps, http::MetricsRegistry& metrics) {
  if (!deps.policy || deps.router == nullptr || deps.registry == nullptr || deps.audit == nullptr || deps.states == nullptr) {
    return invalid_argument("gateway dependencies are incomplete");
  }
  for (const auto& region : deps.policy->config().regions) {
    if (!deps.policy->config().serves(region.id)) continue;  // its cars are refused in caller()
    if (!deps.usage.contains(region.id) || !deps.pseudonymisers.contains(region.id)) {
      return invalid_argument("gateway needs a usage log and pseudonymiser for region '" + region.id + "'");
    }
  }
  if (Status s = record_label_rules(deps.policy->config(), *deps.audit); !s.is_ok()) return s;
  auto impl = std::make_unique<Impl>();
  impl->deps = std::move(deps);
  impl->usage_meter = std::make_unique<UsageMeter>(impl->deps.usage, served_models(impl->deps.policy->config()),
                                                   impl->deps.usage_queue);
  auto requests = metrics.counter("fleetgate_assistant_requests_total", "Assistant requests by home region, provider and outcome",
                                  {"region", "provider", "outcome"});
  auto attempts = metrics.counter("fleetgate_assistant_attempts_total",
                                  "Provider calls (and skips) by the car's home region, provider and outcome", {"region", "provider", "outcome"});
  auto failovers = metrics.counter("fleetgate_assistant_failovers_total",
                                   "Requests passed on from a failing provider to the next of the car's chain, by region and failing provider",
                                   {"region", "provider"});
  auto refusals = metrics.counter("fleetgate_assistant_tool_calls_refused_total",
                                  "Tool calls refused by schema or safety interlocks", {"region", "reason"});
  auto overhead = metrics.histogram("fleetgate_assistant_overhead_seconds",
                                    "Gateway time spent outside upstream providers per request", {"region"},
                                    {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05});
  auto breaker = metrics.gauge("fleetgate_assistant_breaker_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open",
                               {"provider"});
  auto over_budget = metrics.counter("fleetgate_assistant_over_budget_total",
                                     "Chat requests turned away (scope vehicle, region) and providers skipped (scope provider) over a budget",
                                     {"region", "scope"});
  for (const Status* s : {&requests.status(), &attempts.status(), &failovers.status(), &refusals.status(), &overhead.status(),
                          &breaker.status(), &over_budget.status()}) {
    if (!s->is_ok()) return *s;
  }
  impl->requests = *requests;
  impl->attempts = *attempts;
  impl->failovers = *failovers;
  impl->refusals = *refusals;
  impl->overhead = *overhead;
  impl->breaker = *breaker;
  impl->over_budget = *over_budget;
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Status Gateway::register_routes(http::Server& server) {
  using http::RouteOptions;
  using http::Verb;
  Impl* impl = impl_.get();
  impl->chain_filters(server.workers());
  Status s = server.async_stream_route(Verb::post, "/v1/chat/completions", RouteOptions::for_roles({"vehicle"}),
                                       [impl](const Request& r, http::StreamWriter& w) { return impl->chat(r, w); });
  if (!s.is_ok()) return s;
  s = server.route(Verb::get, "/v1/models", RouteOptions::for_roles({"vehicle"}),
                   [impl](const Request& r) { return impl->models(r); });
  if (!s.is_ok()) return s;
  return server.route(Verb::post, "/v1/vehicles/{vin}/state", RouteOptions::for_roles({"vehicle", "operator", "admin"}),
                      [impl](const Request& r) { return impl->report_state(r); });
}

std::vector<std::shared_ptr<Provider>> make_providers(const config::Config& config,
                                                      const std::shared_ptr<UpstreamClient>& client) {
  std::vector<std::shared_ptr<Provider>> out = make_upstream_providers(config, client);
  for (const config::Provider& p : config.providers) {
    if (p.kind == config::ProviderKind::kOnboard) out.push_back(std::make_shared<OnboardProvider>(p));
  }
  return out;
}

}  // namespace fleetgate::assistant
