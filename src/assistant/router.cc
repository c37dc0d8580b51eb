#include "fleetgate/assistant/router.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "fleetgate/core/log_tags.h"

namespace fleetgate::assistant {

namespace asio = boost::asio;
namespace json = boost::json;
using asio::awaitable;
using std::chrono::milliseconds;

std::chrono::microseconds RouteResult::provider_time() const {
  std::chrono::microseconds t(0);
  for (const Attempt& a : attempts) t += a.latency + a.waited;
  return t;
}

json::object request_for(const config::Provider& p, const json::object& request) {
  json::object out = request;
  if (p.models.empty()) return out;
  const json::value* model = request.if_contains("model");
  const bool listed = model && model->is_string() &&
                      std::find(p.models.begin(), p.models.end(), model->get_string().subview()) != p.models.end();
  if (!listed) out["model"] = p.models.front();
  return out;
}

Result<std::unique_ptr<Router>> Router::create(std::shared_ptr<const residency::Policy> policy,
                                               std::vector<std::shared_ptr<Provider>> providers,
                                               RouterOptions options) {
  std::unique_ptr<Router> router(new Router(policy, std::move(options)));
  for (auto& p : providers) {
    const std::string& id = p->config().id;
    const config::Provider* configured = policy->config().provider(id);
    if (configured == nullptr) return invalid_argument("provider '" + id + "' is not in the config");
    if (configured->location != p->config().location) {
      return invalid_argument("provider '" + id + "' reports location '" + p->config().location +
                              "' but is configured in '" + configured->location + "'");
    }
    if (!router->providers_.emplace(id, std::move(p)).second) {
      return invalid_argument("provider '" + id + "' is registered twice");
    }
  }
  return router;
}

namespace {

awaitable<bool> sleep_unless_cancelled(milliseconds d, const CancelToken& cancel) {
  // Shared with the cancel callback, which may run on another thread after this frame is gone.
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, d);
  CancelSubscription wake(cancel, [timer] { asio::post(timer->get_executor(), [timer] { timer->cancel(); }); });
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !cancel.cancelled();
}

}  // namespace

Router::Router(std::shared_ptr<const residency::Policy> policy, RouterOptions options)
    : policy_(std::move(policy)), options_(std::move(options)) {
  if (!options_.sleep) options_.sleep = sleep_unless_cancelled;
  rng_.seed(options_.jitter_seed != 0 ? options_.jitter_seed : std::random_device{}());
  for (const config::Provider& p : policy_->config().providers) {
    breakers_.emplace(p.id, std::make_unique<CircuitBreaker>(options_.breaker, options_.now));
  }
}

milliseconds Router::backoff(uint32_t retry) {
  const auto base = options_.retry.base_backoff.count();
  const auto cap = options_.retry.max_backoff.count();
  const auto full = std::min<int64_t>(cap, base << std::min<uint32_t>(retry, 20));
  if (full <= 0) return milliseconds(0);
  std::lock_guard lock(rng_mu_);
  return milliseconds(full / 2 + std::uniform_int_distribution<int64_t>(0, full - full / 2)(rng_));
}

namespace {

json::object error_body(std::string_view message, std::string_view type, std::string_view code) {
  return {{"error", {{"message", message}, {"type", type}, {"code", code}, {"param", nullptr}}}};
}

std::string describe(const Attempt& a) {
  std::string s = a.provider_id + ": " + std::string(to_string(a.outcome));
  if (!a.detail.empty()) s += " (" + a.detail + ")";
  return s;
}

// The answer when no permitted provider produced one, naming every provider tried and why: 503,
// or 429 when every provider the car could have used was over its budget (`retry_after` set).
RouteResult all_failed(std::string_view region, RouteResult r) {
  const bool only_budgets = r.retry_after.count() > 0 && std::all_of(r.attempts.begin(), r.attempts.end(), [](const Attempt& a) {
    return a.outcome == Outcome::kOverBudget || a.outcome == Outcome::kDenied;
  });
  std::string message = only_budgets ? "every assistant provider permitted for region '" + std::string(region) + "' is over its budget"
                                     : "no assistant provider permitted for region '" + std::string(region) + "' could answer";
  json::array attempts;
  std::string sep = ": ";
  for (const Attempt& a : r.attempts) {
    message += sep + describe(a);
    sep = "; ";
    attempts.push_back({{"provider", a.provider_id}, {"outcome", to_string(a.outcome)},
                        {"http_status", a.http_status}, {"detail", a.detail}});
  }
  json::object body = only_budgets ? error_body(message, "rate_limit_error", "rate_limit_exceeded")
                                    : error_body(message, "upstream_unavailable", "all_providers_failed");
  body["error"].get_object()["attempts"] = std::move(attempts);
  if (r.attempts.empty()) r.outcome = Outcome::kDenied;  // the region permits no provider at all
  r.http_status = only_budgets ? 429 : 503;
  if (!only_budgets) r.retry_after = std::chrono::seconds(0);
  r.body = json::serialize(body);
  return r;
}

RouteResult cancelled(RouteResult r) {
  r.outcome = Outcome::kCancelled;
  r.http_status = 499;
  r.body = json::serialize(error_body("the request was cancelled", "cancelled", "client_closed_request"));
  return r;
}

// Whether `id`'s budget has no room: then the skip is recorded in `result` with the soonest time
// a skipped provider has room. Not a coroutine, so what it holds stays off route()'s frame.
bool skipped_over_budget(Budgets* budgets, const std::string& id, RouteResult& result) {
  if (budgets == nullptr) return false;
  const std::optional<OverBudget> over = budgets->admit_provider(id);
  if (!over) return false;
  result.attempts.push_back({id, Outcome::kOverBudget, 0, milliseconds(0), milliseconds(0), over->message});
  result.outcome = Outcome::kOverBudget;
  if (result.retry_after.count() == 0 || over->retry_after < result.retry_after) result.retry_after = over->retry_after;
  return true;
}

void record(CircuitBreaker& breaker, const std::string& provider, const std::string& region, const ProviderReply& reply) {
  const Outcome o = reply.outcome;
  if (o == Outcome::kOk || o == Outcome::kRejected) {
    breaker.record_success();
  } else if (is_provider_failure(o)) {
    if (breaker.record_failure()) {
      const LogTags tags{.request_id = "", .route = "", .region = region};
      LogScope scope(tags);
      spdlog::warn("assistant provider {}: circuit breaker opened after {} consecutive failures, the last {}: {}", provider,
                   breaker.consecutive_failures(), to_string(o), reply.detail);
    }
  } else {
    breaker.record_abandoned();
  }
}

}  // namespace

awaitable<RouteResult> Router::route(const residency::Car& car, const json::object& request, const CancelToken& cancel,
                                     const CallFn& call, StreamSink* sink) {
  const std::string_view region = car.region;
  RouteResult result;
  auto skip = [&](const std::string& id, Outcome why, std::string detail) {
    result.attempts.push_back({id, why, 0, milliseconds(0), milliseconds(0), std::move(detail)});
    result.outcome = why;
  };
  for (const config::Provider* configured : policy_->permitted_chain(region)) {
    const std::string& id = configured->id;
    residency::Decision decision = policy_->decide_provider(car, *configured);
    auto impl = providers_.find(id);
    if (decision.allowed && impl != providers_.end()) decision = policy_->decide_provider(car, impl->second->config());
    if (!decision.allowed) {
      skip(id, Outcome::kDenied, decision.reason);
      continue;
    }
    if (impl == providers_.end()) {
      skip(id, Outcome::kUnconfigured, "no implementation registered");
      continue;
    }
    Provider& provider = *impl->second;
    if (Status ready = provider.ready(); !ready.is_ok()) {
      skip(id, Outcome::kUnconfigured, ready.message());
      continue;
    }
    if (skipped_over_budget(options_.budgets.get(), id, result)) continue;
    CircuitBreaker& breaker = *breakers_.at(id);
    const json::object sent = request_for(*configured, request);
    milliseconds wait(0);
    for (uint32_t n = 0; n <= configured->max_retries; ++n) {
      if (wait.count() > 0) {
        const bool slept = co_await options_.sleep(wait, cancel);
        if (!slept) co_return cancelled(std::move(result));
      }
      if (cancel.cancelled()) co_return cancelled(std::move(result));
      if (!breaker.allow()) {
        skip(id, Outcome::kCircuitOpen, "circuit breaker open");
        break;
      }
      size_t relayed = 0;
      if (sink != nullptr) sink->attempt_started(id, result.provider_time() + wait);
      const auto start = std::chrono::steady_clock::now();
      ProviderReply reply = co_await call(provider, sent, relayed);
      if (std::optional<std::string> refused = sink != nullptr ? sink->refusal() : std::nullopt) {
        reply.outcome = Outcome::kBadResponse;
        reply.detail = std::move(*refused);
      }
      const auto latency = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start);
      record(breaker, id, car.region, reply);
      result.attempts.push_back({id, reply.outcome, reply.http_status, latency, wait, reply.detail});
      result.outcome = reply.outcome;
      result.events = relayed;
      if (reply.outcome == Outcome::kOk || reply.outcome == Outcome::kRejected) {
        result.provider_id = id;
        result.http_status = reply.http_status;
        result.body = std::move(reply.body);
        co_return result;
      }
      if (reply.outcome == Outcome::kCancelled || cancel.cancelled()) co_return cancelled(std::move(result));
      if (relayed > 0 && sink != nullptr) {
        // The vehicle already has part of this answer: no retry, no failover.
        result.outcome = Outcome::kStreamBroken;
        result.provider_id = id;
        result.http_status = 200;
        co_await sink->send_error_and_close(json::serialize(
            error_body("provider '" + id + "' broke off the answer: " + reply.detail, "upstream_error",
                       "stream_interrupted")));
        co_return result;
      }
      if (!is_retryable(reply.outcome)) break;
      wait = backoff(n);
      if (reply.retry_after) {
        if (*reply.retry_after > options_.retry.max_retry_after) break;
        wait = std::max(wait, *reply.retry_after);
      }
    }
  }
  co_return all_failed(region, std::move(result));
}

awaitable<RouteResult> Router::complete(const residency::Car& car, const json::object& request, const CancelToken& cancel) {
  const CallFn call = [&cancel](Provider& p, const json::object& req, size_t&) { return p.async_complete(req, cancel); };
  co_return co_await route(car, request, cancel, call, nullptr);
}

awaitable<RouteResult> Router::stream(const residency::Car& car, const json::object& request, StreamSink& sink,
                                      const CancelToken& cancel) {
  size_t* relayed_by_attempt = nullptr;  // the current attempt's events that reached the vehicle
  const AsyncEventCallback relay = [&sink, &relayed_by_attempt](std::string_view data) -> awaitable<bool> {
    const Relayed relayed = co_await sink.send_event(data);
    if (relayed == Relayed::kToVehicle) ++*relayed_by_attempt;
    co_return relayed != Relayed::kStop;
  };
  const CallFn call = [&](Provider& p, const json::object& req, size_t& relayed) {
    relayed_by_attempt = &relayed;
    return p.async_stream(req, relay, cancel);
  };
  co_return co_await route(car, request, cancel, call, &sink);
}

std::vector<std::pair<std::string, BreakerState>> Router::breaker_states() const {
  std::vector<std::pair<std::string, BreakerState>> out;
  for (const auto& [id, breaker] : breakers_) out.emplace_back(id, breaker->state());
  return out;
}

}  // namespace fleetgate::assistant
