#include "fleetgate/assistant/gateway.h"

#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <spdlog/spdlog.h>

#include "fleetgate/assistant/ai_label.h"
#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/assistant/onboard_provider.h"
#include "fleetgate/assistant/held_tool_calls.h"
#include "fleetgate/assistant/tool_call_review.h"
#include "fleetgate/assistant/upstream_provider.h"
#include "fleetgate/assistant/usage_estimate.h"
#include "fleetgate/assistant/usage_meter.h"
#include "fleetgate/core/digest.h"
#include "fleetgate/core/json_text.h"
#include "fleetgate/http/blocking.h"
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

// A usage record's id, unique without a CSPRNG call per request (RAND_bytes cost ~3% of the
// gateway's CPU): 96 random bits per thread, then that thread's count.
std::string next_request_id() {
  thread_local const std::string prefix = "req_" + random_token(12) + "_";
  thread_local uint64_t count = 0;
  return prefix + std::to_string(++count);
}

int64_t micros_since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - t).count();
}

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

// Token counts of an OpenAI usage object, including the DeepSeek and xAI cache/reasoning extras.
struct Metered {
  int64_t prompt = 0, completion = 0, cached = 0, reasoning = 0;
};

Metered metered_from(const json::object& usage) {
  Metered m;
  m.prompt = int_at(usage, {"prompt_tokens"});
  m.completion = int_at(usage, {"completion_tokens"});
  m.cached = std::max(int_at(usage, {"prompt_tokens_details", "cached_tokens"}), int_at(usage, {"prompt_cache_hit_tokens"}));
  m.cached = std::min(m.cached, m.prompt);
  m.reasoning = int_at(usage, {"completion_tokens_details", "reasoning_tokens"});
  return m;
}

}  // namespace

struct Gateway::Impl {
  GatewayDeps deps;
  net::any_io_executor blocking;  // the server's workers: audit appends wait on the disk there
  std::unique_ptr<UsageMeter> usage_meter;  // writes to deps.usage off the request path
  http::CounterFamily* requests = nullptr;
  http::CounterFamily* refusals = nullptr;
  http::HistogramFamily* overhead = nullptr;
  http::GaugeFamily* breaker = nullptr;
  http::CounterFamily* over_budget = nullptr;

  // Everything one chat request needs to know about its caller: who, in which language, the
  // tools it offered (its calls are reviewed against them) and how its market labels answers.
  struct Caller {
    std::string vin;
    residency::Car car;  // its home region, market and model year
    Language lang = Language::kEn;
    std::vector<FunctionDefinition> tools;
    std::string request_id;        // its usage record's id, and its answer's content id
    std::optional<AiLabel> label;  // nullopt when no AI label rule covers its market
  };

  // The machine-readable AI label of an answer of `provider_id` in `model`.
  boost::json::object label_metadata(const AiLabel& label, std::string_view provider_id, std::string_view model) const {
    return label.metadata(deps.policy->config().provider(provider_id), model);
  }

  // Decides every call of one choice and writes the outcome into `holder` (its message or delta)
  // and the choice's finish_reason; refusals are counted here and audited by audit_refusals().
  // `state`: the vehicle's, from read_state().
  ToolCallReview review_into(const Caller& c, const std::optional<VehicleState>& state, const HeldChoice& held,
                             json::object& choice, json::object& holder, bool whole, std::string_view provider) {
    if (!held.unreadable.empty()) spdlog::warn("provider {} sent an unreadable tool call: {}", provider, held.unreadable);
    ToolCallReview r = review_held(held, OfferedTools{c.tools, &deps.tool_pins}, state ? &*state : nullptr, Clock::now(),
                                   deps.interlocks, c.lang);
    for (const auto& [name, d] : r.refused) refusals->with({c.car.region, d.reason_code}).inc();
    choice["finish_reason"] = apply_review(r, holder, whole);
    return r;
  }

  // Appends an audit entry per refused call, on a worker (the append waits for its fsync); the
  // answer leaves only after its refusals are on record.
  awaitable<void> audit_refusals(const Caller& c, const ToolCallReview& r, const std::string& provider) {
    if (r.refused.empty()) co_return;
    auto append = [&] {
      for (const auto& [tool, d] : r.refused) {
        auto logged = deps.audit->append(audit::Event{"vehicle:" + c.vin, "assistant.tool_call.refused", c.vin, c.car.region,
                                                      json::object{{"tool", tool},
                                                                   {"reason", d.reason_code},
                                                                   {"provider", provider}}});
        if (!logged.is_ok()) spdlog::error("audit append failed for a refused tool call: {}", logged.status().to_string());
      }
    };
    co_await http::run_blocking(blocking, std::move(append));
  }

  // The caller `record` (the registry's answer for `vin`) describes: kNotFound becomes
  // kPermissionDenied (the car's credentials outlived its registration).
  Result<Caller> caller_from(std::string_view vin, Result<vehicle::VehicleRecord> record) const {
    if (!record.is_ok()) {
      if (record.status().code() == Code::kNotFound) {
        return Status(Code::kPermissionDenied, "vehicle " + std::string(vin) + " is no longer registered");
      }
      return record.status();
    }
    if (!deps.policy->config().serves(record->region)) {  // e.g. a car with a certificate, which names no region
      return Status(Code::kFailedPrecondition,
                    "vehicle " + record->vin + " is homed in region " + record->region + ", which this node does not serve");
    }
    Caller c;
    c.vin = record->vin;
    c.car = {record->region, record->market, record->model_year};
    return c;
  }

  // The calling vehicle, for handlers that run on a worker.
  Result<Caller> caller_of(const Request& req) const {
    const std::string& vin = req.principal()->subject;
    return caller_from(vin, deps.registry->show(vin));
  }

  // The calling vehicle, on the event loop: from the registry's memory, or read on a worker. A cold
  // registry, or one over a shared store, reads the store, and a read that waits for a disk or a
  // database must not freeze every connection on the loop.
  awaitable<Result<Caller>> caller_on_loop(const Request& req) const {
    const std::string& vin = req.principal()->subject;
    if (auto known = deps.registry->shown(vin)) co_return caller_from(vin, std::move(*known));
    // In an optional: what run_blocking hands back must be default-constructible.
    auto lookup = [this, &req] { return std::optional<Result<Caller>>(caller_of(req)); };
    co_return *co_await http::run_blocking(blocking, std::move(lookup));
  }

  // The vehicle's latest state for the interlocks, read on a worker (it may reach the store or
  // the region's database) when a tool call is about to be reviewed: the freshest state there is.
  awaitable<void> read_state(const Caller& c, std::optional<VehicleState>& state) {
    auto read = [this, vin = c.vin] { return deps.states->latest(vin); };
    state = co_await http::run_blocking(blocking, std::move(read));
  }

  void meter(const Caller& c, const RouteResult& result, const std::string& model, const Metered& m, int tool_calls,
             int refused, int64_t latency_us) {
    ledger::UsageRecord u;
    u.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    u.request_id = c.request_id;
    auto pseudonym = deps.pseudonymisers.at(c.car.region)->pseudonym(c.vin);
    u.vehicle_pseudonym = pseudonym.is_ok() ? *pseudonym : "unknown";
    u.region = c.car.region;
    u.market = c.car.market;
    u.feature = "assistant";
    u.provider = !result.provider_id.empty() ? result.provider_id
                 : result.attempts.empty()    ? "none"
                                              : result.attempts.back().provider_id;
    u.model = model.empty() ? "unknown" : model;
    u.prompt_tokens = m.prompt;
    u.completion_tokens = m.completion;
    u.cached_tokens = m.cached;
    u.reasoning_tokens = m.reasoning;
    u.tool_calls = tool_calls;
    u.refused_tool_calls = refused;
    u.outcome = result.outcome == Outcome::kCancelled ? "cancelled"
                : result.http_status == 429 && !result.ok() ? "over_budget"
                : !result.ok()                        ? "error"
                : refused > 0                         ? "refused"
                                                      : "ok";
    u.latency_us = latency_us;
    requests->with({c.car.region, u.provider, u.outcome}).inc();
    for (const Attempt& a : result.attempts) {
      if (a.outcome == Outcome::kOverBudget) over_budget->with({c.car.region, "provider"}).inc();
    }
    if (deps.budgets != nullptr) deps.budgets->spend(c.vin, c.car.region, u.provider, m.prompt + m.completion);
    for (const auto& [id, state] : deps.router->breaker_states()) {
      breaker->with({id}).set(state == BreakerState::kClosed ? 0 : state == BreakerState::kHalfOpen ? 1 : 2);
    }
    usage_meter->record(std::move(u));
  }

  static void set_route_headers(http::Fields& h, const std::string& provider, const std::string& region, int64_t overhead_us) {
    h.set("x-fleetgate-provider", provider);
    h.set("x-fleetgate-region", region);
    h.set("x-fleetgate-overhead-us", std::to_string(overhead_us));
  }

  awaitable<void> chat(const Request& req, http::StreamWriter& writer);
  awaitable<void> chat_completed(const Caller& c, json::object body, std::string model, http::StreamWriter& writer,
                                 SteadyClock::time_point t0);
  awaitable<void> chat_streamed(const Caller& c, const ChatRequest& request, json::object body, http::StreamWriter& writer,
                                SteadyClock::time_point t0);
  Response models(const Request& req);
  Response report_state(const Request& req);
};

namespace {

// Relays a provider's stream to the vehicle: content passes through chunk by chunk; tool calls
// (either shape) are held until their choice finishes, reviewed, then sent or replaced by the
// refusal. An answer past the hold's limits, or a choice index that cannot be read, makes the
// sink refuse the attempt (refusal()): the router then ends the stream with an error event.
// Held and dropped chunks are reported as kHeld: until a chunk reaches the car, the router may
// still fail over, and the car sees one answer from one provider.
class RelaySink : public StreamSink {
 public:
  RelaySink(Gateway::Impl& gw, const Gateway::Impl::Caller& caller, http::StreamWriter& writer, bool client_wants_usage,
            SteadyClock::time_point t0)
      : gw_(gw), caller_(caller), writer_(writer), client_wants_usage_(client_wants_usage), t0_(t0) {}

  // Only an attempt of which nothing reached the car is followed by another: what it held goes.
  void attempt_started(std::string_view provider_id, std::chrono::microseconds provider_time) override {
    provider_ = provider_id;
    attempt_start_ = SteadyClock::now();
    provider_before_ = provider_time;
    hold_ = ToolCallHold{};
    refusal_.reset();
    metered_ = {};
    usage_reported_ = false;
    received_ = false;
    content_tokens_ = 0;
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

  // Tool calls whose stream ended without a finish_reason are reviewed and released here, once
  // the route is over (`provider_time`: its RouteResult::provider_time()).
  awaitable<bool> flush(std::chrono::microseconds provider_time) {
    provider_time_ = provider_time;
    const std::vector<size_t> holding = hold_.holding();
    if (holding.empty()) co_return true;
    co_await read_state();
    json::array choices;
    std::vector<ToolCallReview> reviews;
    for (size_t index : holding) {
      json::object choice{{"index", index}, {"delta", json::object{}}, {"finish_reason", nullptr}};
      reviews.push_back(release(index, choice));
      choices.push_back(std::move(choice));
    }
    for (const ToolCallReview& r : reviews) co_await gw_.audit_refusals(caller_, r, provider_);
    json::object chunk{{"object", "chat.completion.chunk"}, {"model", model_}, {"choices", std::move(choices)}};
    label(chunk);
    const std::string released = json_text(chunk);
    const bool sent = co_await forward(released);
    co_return sent;
  }

  // The gateway's own time on the request so far (x-fleetgate-overhead-us): all of it but
  // `provider_time` (time in provider calls and backoff waits) and the waits for a slow car to
  // read. The relay's work inside provider calls is the gateway's, so it is added back.
  int64_t overhead_us(std::chrono::microseconds provider_time) const {
    return std::max<int64_t>(0, micros_since(t0_) - provider_time.count() + relay_us_ - car_wait_us_);
  }

  bool started() const { return started_; }
  const std::string& model() const { return model_; }
  // The provider's usage report. Without one, when the stream was cut short after events came,
  // an estimate of what the provider will bill: the request's prompt (`estimate_prompt()`), the
  // content received at estimate_tokens' rates and the tool-call text at four bytes a token.
  template <class EstimatePrompt>
  Metered metered(const EstimatePrompt& estimate_prompt) const {
    if (usage_reported_ || !received_) return metered_;
    Metered m;
    m.prompt = estimate_prompt();
    m.completion = content_tokens_ + static_cast<int64_t>((hold_.bytes() + 3) / 4);
    return m;
  }
  int tool_calls() const { return tool_calls_; }
  int refused() const { return refused_; }

 private:
  // Choices a stream may address: far more than any request asks for (n), and a bound on what
  // a hostile index can make the hold keep apart.
  static constexpr size_t kMaxChoices = 128;

  static std::optional<size_t> choice_index(const json::object& choice, size_t position) {
    const json::value* index = choice.if_contains("index");
    if (index == nullptr) return position;
    if (index->is_int64() && index->get_int64() >= 0 && index->get_int64() < static_cast<int64_t>(kMaxChoices)) {
      return static_cast<size_t>(index->get_int64());
    }
    if (index->is_uint64() && index->get_uint64() < kMaxChoices) return static_cast<size_t>(index->get_uint64());
    return std::nullopt;
  }

  // Reviews and forwards one chunk of the provider's stream (see send_event).
  awaitable<Relayed> relay(std::string_view data) {
    received_ = true;
    boost::system::error_code ec;
    json::value parsed = json::parse(data, ec);
    if (ec || !parsed.is_object()) {
      // An unreadable chunk cannot be reviewed, so it never reaches the vehicle.
      spdlog::warn("dropping an unparsable stream chunk from provider {}", provider_);
      co_return Relayed::kHeld;
    }
    json::object& chunk = parsed.as_object();
    bool modified = false;
    if (auto* m = chunk.if_contains("model"); m && m->is_string()) model_ = m->as_string();
    if (auto* u = chunk.if_contains("usage"); u && u->is_object()) {
      metered_ = metered_from(u->as_object());
      usage_reported_ = true;
      if (!client_wants_usage_) {
        chunk.erase("usage");
        modified = true;
      }
    }
    if (auto* choices = chunk.if_contains("choices"); choices && !choices->is_array()) {
      chunk.erase("choices");  // no client reads choices that are not an array; nor can we review them
      modified = true;
    }
    bool has_payload = chunk.contains("usage");
    std::vector<ToolCallReview> reviews;
    if (auto* choices = chunk.if_contains("choices")) {
      json::array& list = choices->as_array();
      for (size_t position = 0; position < list.size(); ++position) {
        json::object* choice = list[position].if_object();
        if (choice == nullptr) continue;
        std::optional<size_t> index = choice_index(*choice, position);
        if (!index) co_return refuse("a choice's index is not an integer below " + std::to_string(kMaxChoices));
        json::value* delta = choice->if_contains("delta");
        if (delta != nullptr && delta->is_object()) {
          if (const json::value* content = delta->as_object().if_contains("content"); content && content->is_string()) {
            content_tokens_ += estimate_tokens(content->get_string());
          }
          auto taken = hold_.take_from(*index, delta->as_object(), false);
          if (!taken) co_return refuse(taken.status().message());
          modified |= *taken;
        }
        const json::value* finish = choice->if_contains("finish_reason");
        if (finish != nullptr && finish->is_string() && hold_.holds(*index)) {
          co_await read_state();
          reviews.push_back(release(*index, *choice));
          modified = true;
        }
        has_payload |= choice_has_payload(*choice);
      }
    }
    for (const ToolCallReview& r : reviews) co_await gw_.audit_refusals(caller_, r, provider_);
    if (has_payload && label(chunk)) modified = true;
    if (modified && !has_payload) co_return Relayed::kHeld;
    const std::string relayed = modified ? json_text(chunk) : std::string(data);
    const bool sent = co_await forward(relayed);
    co_return sent ? Relayed::kToVehicle : Relayed::kStop;
  }

  // The market's AI label on a chunk about to reach the car: the machine-readable label on the
  // stream's first, the notice in each choice's first delta. Only chunks that reach the car anyway
  // carry it, so an attempt the router may still fail over from stays unseen. Whether it changed
  // `chunk`.
  bool label(json::object& chunk) {
    if (!caller_.label) return false;
    bool changed = false;
    if (!labelled_) {
      chunk["fleetgate_ai_label"] = gw_.label_metadata(*caller_.label, provider_, model_);
      labelled_ = changed = true;
    }
    json::value* choices = caller_.label->notice.empty() ? nullptr : chunk.if_contains("choices");
    if (choices == nullptr || !choices->is_array()) return changed;
    json::array& list = choices->as_array();
    for (size_t position = 0; position < list.size(); ++position) {
      json::object* choice = list[position].if_object();
      json::value* delta = choice != nullptr ? choice->if_contains("delta") : nullptr;
      if (delta == nullptr || !delta->is_object()) continue;
      const std::optional<size_t> index = choice_index(*choice, position);
      if (!index || !noticed_.insert(*index).second) continue;
      put_notice(delta->as_object(), caller_.label->notice, true);
      changed = true;
    }
    return changed;
  }

  static bool choice_has_payload(const json::object& choice) {
    const json::value* finish = choice.if_contains("finish_reason");
    if (finish != nullptr && !finish->is_null()) return true;
    const json::value* delta = choice.if_contains("delta");
    return delta != nullptr && delta->is_object() && !delta->as_object().empty();
  }

  Relayed refuse(std::string why) {
    spdlog::warn("refusing the answer of provider {}: {}", provider_, why);
    refusal_ = std::move(why);
    return Relayed::kStop;
  }

  // The vehicle's state, read once per request, before its first tool call is reviewed.
  awaitable<void> read_state() {
    if (state_) co_return;
    state_ = std::make_unique<std::optional<VehicleState>>();
    co_await gw_.read_state(caller_, *state_);
  }

  // Reviews what `index` held into `choice`'s delta (after read_state()); returns the review.
  ToolCallReview release(size_t index, json::object& choice) {
    if (!choice.contains("delta") || !choice["delta"].is_object()) choice["delta"] = json::object{};
    ToolCallReview r =
        gw_.review_into(caller_, *state_, hold_.release(index), choice, choice["delta"].as_object(), false, provider_);
    tool_calls_ += static_cast<int>(r.calls());
    refused_ += static_cast<int>(r.refused.size());
    return r;
  }

  bool ensure_started() {
    if (started_) return true;
    http::Fields headers;
    headers.set(boost::beast::http::field::content_type, "text/event-stream");
    headers.set(boost::beast::http::field::cache_control, "no-cache");
    // Counted up to the car's first byte; the stream's last line has the whole request's figure.
    Gateway::Impl::set_route_headers(headers, provider_, caller_.car.region, overhead_us(provider_time_));
    if (caller_.label) headers.set("x-fleetgate-ai-label", caller_.label->header(provider_));
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

  Gateway::Impl& gw_;
  const Gateway::Impl::Caller& caller_;
  http::StreamWriter& writer_;
  const bool client_wants_usage_;
  const SteadyClock::time_point t0_;
  SteadyClock::time_point attempt_start_;
  std::chrono::microseconds provider_before_{0};  // the route's provider time before this attempt
  std::chrono::microseconds provider_time_{0};    // ... until the chunk being relayed, or the route's end
  int64_t relay_us_ = 0;     // time inside send_event: the gateway's, though within provider calls
  int64_t car_wait_us_ = 0;  // time waiting for the car to read
  std::string provider_;
  std::string model_;
  ToolCallHold hold_;
  std::optional<std::string> refusal_;
  Metered metered_;
  bool usage_reported_ = false;
  bool received_ = false;  // this attempt sent an event
  int64_t content_tokens_ = 0;
  int tool_calls_ = 0;
  int refused_ = 0;
  // The vehicle's state once read_state() ran (null before). On the heap: a larger RelaySink grows
  // chat_streamed's coroutine frame past where GCC 12 warns of a mismatched delete (a false
  // positive of -Wmismatched-new-delete).
  std::unique_ptr<std::optional<VehicleState>> state_;
  bool started_ = false;
  bool closed_ = false;
  bool labelled_ = false;         // the machine-readable AI label went out
  std::set<size_t> noticed_;      // choices whose first delta carried the AI notice
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

// Every answer is metered, and the usage writer is behind (a slow or stalled disk): turning the
// request away keeps the event loop, and every connection on it, running; a record of this one
// would only wait in memory.
Response usage_writer_saturated() {
  Response resp = http::error_response(StatusCode::service_unavailable,
                                       "the gateway is behind on writing usage records; retry shortly",
                                       "usage_writer_saturated");
  resp.headers.set(boost::beast::http::field::retry_after, "1");
  return resp;
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

// 429 in the OpenAI error shape with Retry-After: a budget has no room before `retry_after`.
Response over_budget_response(const std::string& message, std::chrono::seconds retry_after) {
  Response resp = http::error_response(StatusCode::too_many_requests, message, "rate_limit_exceeded");
  resp.headers.set(boost::beast::http::field::retry_after, std::to_string(retry_after.count()));
  return resp;
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

awaitable<void> Gateway::Impl::chat(const Request& req, http::StreamWriter& writer) {
  const auto t0 = SteadyClock::now();
  if (usage_meter->saturated()) {
    reply(writer, usage_writer_saturated());
    co_return;
  }
  auto caller = co_await caller_on_loop(req);
  if (!caller.is_ok()) {
    reply(writer, http::error_response(caller.status()));
    co_return;
  }
  auto parsed = parse_chat_request(req.body());
  if (!parsed.is_ok()) {
    reply(writer, http::error_response(parsed.status()));
    co_return;
  }
  caller->lang = detect_language(last_user_text(*parsed));
  caller->tools = parsed->tools;
  caller->request_id = next_request_id();
  if (deps.budgets != nullptr) {
    if (std::optional<OverBudget> over = deps.budgets->admit(caller->vin, caller->car.region)) {
      over_budget->with({caller->car.region, over->scope}).inc();
      RouteResult refused;
      refused.outcome = Outcome::kOverBudget;
      refused.http_status = 429;
      meter(*caller, refused, parsed->model, Metered{}, 0, 0, micros_since(t0));
      reply(writer, over_budget_response(over->message, over->retry_after));
      co_return;
    }
  }
  caller->label = ai_label_for(deps.policy->config(), caller->car.market, caller->lang, *parsed, caller->request_id);
  json::object body = parsed->body;
  if (parsed->stream) {
    // Usage is always requested upstream for metering; the vehicle sees it only if it asked.
    json::object options;
    if (auto* o = body.if_contains("stream_options"); o && o->is_object()) options = o->as_object();
    options["include_usage"] = true;
    body["stream_options"] = std::move(options);
    co_await chat_streamed(*caller, *parsed, std::move(body), writer, t0);
  } else {
    co_await chat_completed(*caller, std::move(body), parsed->model, writer, t0);
  }
}

awaitable<void> Gateway::Impl::chat_completed(const Caller& c, json::object body, std::string model,
                                              http::StreamWriter& writer, SteadyClock::time_point t0) {
  const std::shared_ptr<CancelToken> cancel = cancel_on_hangup(writer);
  RouteResult result = co_await deps.router->complete(c.car, body, *cancel);
  Metered metered;
  int tool_calls = 0, refused = 0;
  Response resp;
  if (result.ok()) {
    boost::system::error_code ec;
    json::value completion = json::parse(result.body, ec);
    if (ec || !completion.is_object()) {
      result.outcome = Outcome::kBadResponse;
      resp = http::error_response(StatusCode::bad_gateway, "provider '" + result.provider_id + "' answered with invalid JSON",
                                  "bad_upstream_response");
    } else {
      json::object& o = completion.as_object();
      if (auto* m = o.if_contains("model"); m && m->is_string()) model = m->as_string();
      if (auto* u = o.if_contains("usage"); u && u->is_object()) metered = metered_from(u->as_object());
      bool changed = false;
      Status held = Status::ok();
      ToolCallHold hold;
      std::optional<VehicleState> state;  // read before the first review
      bool state_read = false;
      if (auto* choices = o.if_contains("choices"); choices && choices->is_array()) {
        json::array& list = choices->as_array();
        for (size_t i = 0; i < list.size() && held.is_ok(); ++i) {
          json::object* choice = list[i].if_object();
          json::value* message = choice != nullptr ? choice->if_contains("message") : nullptr;
          if (message == nullptr || !message->is_object()) continue;
          auto taken = hold.take_from(i, message->as_object(), true);
          if (!taken) held = taken.status();
          if (!taken || !*taken) continue;
          changed = true;
          if (!hold.holds(i)) continue;
          if (!std::exchange(state_read, true)) co_await read_state(c, state);
          ToolCallReview r = review_into(c, state, hold.release(i), *choice, message->as_object(), true, result.provider_id);
          co_await audit_refusals(c, r, result.provider_id);
          tool_calls += static_cast<int>(r.calls());
          refused += static_cast<int>(r.refused.size());
        }
      }
      if (held.is_ok() && c.label) {
        if (!c.label->notice.empty()) {
          if (auto* choices = o.if_contains("choices"); choices && choices->is_array()) {
            for (json::value& choice : choices->as_array()) {
              json::value* message = choice.is_object() ? choice.as_object().if_contains("message") : nullptr;
              if (message != nullptr && message->is_object()) put_notice(message->as_object(), c.label->notice, false);
            }
          }
        }
        o["fleetgate_ai_label"] = label_metadata(*c.label, result.provider_id, model);
        changed = true;
      }
      if (!held.is_ok()) {
        result.outcome = Outcome::kBadResponse;
        resp = http::error_response(StatusCode::bad_gateway, "provider '" + result.provider_id + "' answered past a limit: " +
                                    held.message(), "bad_upstream_response");
      } else {
        resp.status = StatusCode::ok;
        resp.content_type = "application/json";
        // Answers without tool calls or an AI label pass back byte for byte, unknown fields and
        // number formats intact; tool calls leave as they were reviewed.
        resp.body = changed ? json_text(o) : std::move(result.body);
        if (c.label) resp.headers.set("x-fleetgate-ai-label", c.label->header(result.provider_id));
      }
    }
  } else {
    resp = json_error(result);
  }
  const int64_t total_us = micros_since(t0);
  const int64_t overhead_us = std::max<int64_t>(0, total_us - result.provider_time().count());
  overhead->with({c.car.region}).observe(static_cast<double>(overhead_us) / 1e6);
  set_route_headers(resp.headers, result.provider_id.empty() ? "none" : result.provider_id, c.car.region, overhead_us);
  meter(c, result, model, metered, tool_calls, refused, total_us);
  reply(writer, std::move(resp));
}

awaitable<void> Gateway::Impl::chat_streamed(const Caller& c, const ChatRequest& request, json::object body,
                                             http::StreamWriter& writer, SteadyClock::time_point t0) {
  const std::shared_ptr<CancelToken> cancel = cancel_on_hangup(writer);
  const std::string requested_model = body.contains("model") && body["model"].is_string() ? std::string(body["model"].as_string()) : "";
  RelaySink sink(*this, c, writer, request.include_usage, t0);
  RouteResult result = co_await deps.router->stream(c.car, body, sink, *cancel);
  if (result.ok()) {
    const bool flushed = co_await sink.flush(result.provider_time());
    if (flushed && sink.started() && !writer.send_event("[DONE]").is_ok()) spdlog::debug("[DONE] not delivered");
    if (!sink.started()) {
      // The provider finished without a single event: answer with an empty stream, still valid.
      http::Fields headers;
      set_route_headers(headers, result.provider_id, c.car.region, sink.overhead_us(result.provider_time()));
      if (writer.start(StatusCode::ok, std::move(headers)).is_ok() && !writer.send_event("[DONE]").is_ok()) spdlog::debug("[DONE] not delivered");
    }
  } else if (!sink.started()) {
    Response resp = json_error(result);
    set_route_headers(resp.headers, result.provider_id.empty() ? "none" : result.provider_id, c.car.region,
                      sink.overhead_us(result.provider_time()));
    reply(writer, std::move(resp));
  }
  // The header of a stream could only count up to the first byte: its last line, a comment SSE
  // clients skip, has the whole request's figure.
  const int64_t overhead_us = sink.overhead_us(result.provider_time());
  if (writer.started() && !writer.send_comment("x-fleetgate-overhead-us: " + std::to_string(overhead_us)).is_ok()) {
    spdlog::debug("overhead comment not delivered");
  }
  overhead->with({c.car.region}).observe(static_cast<double>(overhead_us) / 1e6);
  const int64_t total_us = micros_since(t0);
  const Metered metered = sink.metered([&] { return estimate_usage(request, AssistantTurn{}).prompt_tokens; });
  meter(c, result, sink.model().empty() ? requested_model : sink.model(), metered, sink.tool_calls(), sink.refused(), total_us);
}

Response Gateway::Impl::models(const Request& req) {
  auto caller = caller_of(req);
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
  for (const Status* s : {&requests.status(), &refusals.status(), &overhead.status(), &breaker.status(), &over_budget.status()}) {
    if (!s->is_ok()) return *s;
  }
  impl->requests = *requests;
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
  impl->blocking = server.workers();
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
