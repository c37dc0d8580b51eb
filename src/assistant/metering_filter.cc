// The metering filter: a usage record for every request whose caller is known (answered, refused
// over a budget, failed or cancelled), queued for the region's usage log off the request path, and
// the request metrics. While the usage writer is behind, requests are turned away (503).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <vector>

#include "fleetgate/assistant/gateway_filters.h"
#include "fleetgate/assistant/usage_estimate.h"
#include "fleetgate/http/error.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

int64_t int_at(const json::object& o, std::initializer_list<std::string_view> path) {
  const json::object* cur = &o;
  const json::value* v = nullptr;
  for (auto key : path) {
    if (cur == nullptr) return 0;
    v = cur->if_contains(key);
    if (v == nullptr) return 0;
    cur = v->if_object();
  }
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  return 0;
}

Metered metered_from(const json::object& usage) {
  Metered m;
  m.prompt = int_at(usage, {"prompt_tokens"});
  m.completion = int_at(usage, {"completion_tokens"});
  m.cached = std::max(int_at(usage, {"prompt_tokens_details", "cached_tokens"}), int_at(usage, {"prompt_cache_hit_tokens"}));
  m.cached = std::min(m.cached, m.prompt);
  m.reasoning = int_at(usage, {"completion_tokens_details", "reasoning_tokens"});
  return m;
}

// Every answer is metered, and the usage writer is behind (a slow or stalled disk): turning the
// request away keeps the event loop, and every connection on it, running; a record of this one
// would only wait in memory.
http::Response usage_writer_saturated() {
  http::Response resp = http::error_response(http::StatusCode::service_unavailable,
                                             "the gateway is behind on writing usage records; retry shortly",
                                             "usage_writer_saturated");
  resp.headers.set(boost::beast::http::field::retry_after, "1");
  return resp;
}

// A provider the router passed by without calling it.
bool skipped(Outcome o) {
  return o == Outcome::kDenied || o == Outcome::kUnconfigured || o == Outcome::kOverBudget || o == Outcome::kCircuitOpen;
}

std::string_view outcome_of(const RouteResult& result, int refused) {
  if (result.outcome == Outcome::kCancelled) return "cancelled";
  if (result.http_status == 429 && !result.ok()) return "over_budget";
  if (!result.ok()) return "error";
  return refused > 0 ? "refused" : "ok";
}

class MeteringFilter : public ChatFilter {
 public:
  explicit MeteringFilter(const MeteringDeps& deps) : deps_(deps) {}

  awaitable<std::optional<EarlyAnswer>> on_request(ChatExchange& x) override {
    if (deps_.meter->saturated()) co_return EarlyAnswer{usage_writer_saturated(), Outcome::kServerError};
    admitted_ = true;
    if (x.streamed()) {
      // Usage is always requested upstream for metering; the vehicle sees it only if it asked.
      json::object options;
      if (auto* o = x.upstream_body.if_contains("stream_options"); o && o->is_object()) options = o->as_object();
      options["include_usage"] = true;
      x.upstream_body["stream_options"] = std::move(options);
    }
    co_return std::nullopt;
  }

  void on_attempt(ChatExchange&) override {
    metered_ = {};
    usage_reported_ = false;
    received_ = false;
    content_tokens_ = 0;
  }

  awaitable<Status> on_event(ChatExchange& x, AnswerEvent& event) override {
    if (event.last && !event.whole) co_return Status::ok();  // the chain's own closing event
    received_ = true;
    if (auto* u = event.object.if_contains("usage"); u && u->is_object()) {
      metered_ = metered_from(u->as_object());
      usage_reported_ = true;
      if (!event.whole && !x.request->include_usage) {
        event.object.erase("usage");
        event.modified = true;
      }
    }
    if (!event.whole) {
      for_each_choice(event, [this](size_t, json::object&, json::object* delta) {
        if (delta == nullptr) return;
        if (const json::value* content = delta->if_contains("content"); content && content->is_string()) {
          content_tokens_ += estimate_tokens(content->get_string());
        }
      });
    }
    co_return Status::ok();
  }

  void on_end(ChatExchange& x, const RouteResult& result) override {
    if (!admitted_ || !x.identified()) return;
    x.metered = metered(x);
    ledger::UsageRecord u;
    u.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    u.request_id = x.request_id;
    auto pseudonym = deps_.pseudonymisers.at(x.car.region)->pseudonym(x.vin);
    u.vehicle_pseudonym = pseudonym.is_ok() ? *pseudonym : "unknown";
    u.region = x.car.region;
    u.market = x.car.market;
    u.feature = "assistant";
    u.provider = attributed_provider(result);
    u.model = x.model.empty() ? "unknown" : x.model;
    u.prompt_tokens = x.metered.prompt;
    u.completion_tokens = x.metered.completion;
    u.cached_tokens = x.metered.cached;
    u.reasoning_tokens = x.metered.reasoning;
    u.tool_calls = x.tool_calls;
    u.refused_tool_calls = x.refused_tool_calls;
    u.outcome = outcome_of(result, x.refused_tool_calls);
    u.latency_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - x.started).count();
    deps_.requests->with({x.car.region, u.provider, u.outcome}).inc();
    count_attempts(x, result);
    for (const auto& [id, state] : deps_.router->breaker_states()) {
      deps_.breaker->with({id}).set(state == BreakerState::kClosed ? 0 : state == BreakerState::kHalfOpen ? 1 : 2);
    }
    deps_.meter->record(std::move(u));
  }

 private:
  // Every provider call by outcome, and each failover: a provider that failed while a later one
  // of the car's chain was tried, counted and logged once (a provider skipped for an open breaker
  // is not: its breaker's opening was logged by the router).
  void count_attempts(const ChatExchange& x, const RouteResult& result) const {
    const std::vector<Attempt>& attempts = result.attempts;
    for (size_t i = 0; i < attempts.size(); ++i) {
      const Attempt& a = attempts[i];
      deps_.attempts->with({x.car.region, a.provider_id, std::string(to_string(a.outcome))}).inc();
      if (!is_provider_failure(a.outcome)) continue;
      const auto next = std::find_if(attempts.begin() + static_cast<std::ptrdiff_t>(i) + 1, attempts.end(), [&](const Attempt& later) {
        return later.provider_id != a.provider_id && !skipped(later.outcome);
      });
      const bool retried = i + 1 < attempts.size() && attempts[i + 1].provider_id == a.provider_id &&
                           attempts[i + 1].outcome != Outcome::kCircuitOpen;
      if (next == attempts.end() || retried) continue;
      deps_.failovers->with({x.car.region, a.provider_id}).inc();
      LogScope scope(log_tags(x));
      spdlog::warn("assistant failover in region {} (request {}): provider {} failed ({}: {}), next in the chain: {}",
                   x.car.region, x.request_id, a.provider_id, to_string(a.outcome), a.detail, next->provider_id);
    }
  }

  // The provider's usage report. Without one, when a stream was cut short after events came, an
  // estimate of what the provider will bill: the request's prompt, the content received at
  // estimate_tokens' rates and the tool-call text at four bytes a token.
  Metered metered(const ChatExchange& x) const {
    if (usage_reported_ || !received_ || !x.streamed()) return metered_;
    Metered m;
    m.prompt = estimate_usage(*x.request, AssistantTurn{}).prompt_tokens;
    m.completion = content_tokens_ + static_cast<int64_t>((x.tool_call_bytes + 3) / 4);
    return m;
  }

  const MeteringDeps& deps_;
  bool admitted_ = false;
  Metered metered_;
  bool usage_reported_ = false;
  bool received_ = false;  // this attempt sent an event
  int64_t content_tokens_ = 0;
};

}  // namespace

ChatFilterFactory metering_filter(MeteringDeps deps) {
  auto shared = std::make_shared<const MeteringDeps>(std::move(deps));
  return [shared] { return std::make_unique<MeteringFilter>(*shared); };
}

}  // namespace fleetgate::assistant
