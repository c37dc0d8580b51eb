#include "fleetgate/assistant/gateway.h"

#include <boost/json.hpp>
#include <chrono>
#include <spdlog/spdlog.h>

#include "fleetgate/assistant/chat.h"
#include "fleetgate/assistant/language.h"
#include "fleetgate/assistant/onboard_provider.h"
#include "fleetgate/assistant/upstream_provider.h"
#include "fleetgate/assistant/usage_meter.h"
#include "fleetgate/core/digest.h"
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

// The reviewed form of a set of tool calls: the calls that may reach the vehicle and, for the
// refused ones, the explanation the vehicle's user gets instead.
struct Review {
  json::array allowed;
  std::vector<std::pair<std::string, InterlockDecision>> refused;  // tool name, decision
  std::string explanation() const {
    std::string text;
    for (const auto& [name, d] : refused) text += (text.empty() ? "" : " ") + d.message;
    return text;
  }
};

struct PendingCall {
  std::string id, name, arguments;
};

}  // namespace

struct Gateway::Impl {
  GatewayDeps deps;
  net::any_io_executor blocking;  // the server's workers: audit appends wait on the disk there
  std::unique_ptr<UsageMeter> usage_meter;  // writes to deps.usage off the request path
  http::CounterFamily* requests = nullptr;
  http::CounterFamily* refusals = nullptr;
  http::HistogramFamily* overhead = nullptr;
  http::GaugeFamily* breaker = nullptr;

  // Everything one chat request needs to know about its caller.
  struct Caller {
    std::string vin, region, market;
    Language lang = Language::kEn;
    std::optional<VehicleState> state;
  };

  // Decides every call; refusals are counted here and audited by audit_refusals().
  Review review(const Caller& c, const std::vector<PendingCall>& calls) {
    Review r;
    const auto now = Clock::now();
    for (size_t i = 0; i < calls.size(); ++i) {
      const PendingCall& call = calls[i];
      InterlockDecision d = review_tool_call(call.name, call.arguments, c.state ? &*c.state : nullptr, now,
                                             deps.interlocks, c.lang);
      if (d.allowed) {
        r.allowed.push_back(json::object{{"index", r.allowed.size()},
                                         {"id", call.id},
                                         {"type", "function"},
                                         {"function", json::object{{"name", call.name}, {"arguments", call.arguments}}}});
        continue;
      }
      refusals->with({c.region, d.reason_code}).inc();
      r.refused.emplace_back(call.name, std::move(d));
    }
    return r;
  }

  // Appends an audit entry per refused call, on a worker (the append waits for its fsync); the
  // answer leaves only after its refusals are on record.
  awaitable<void> audit_refusals(const Caller& c, const Review& r, const std::string& provider) {
    if (r.refused.empty()) co_return;
    auto append = [&] {
      for (const auto& [tool, d] : r.refused) {
        auto logged = deps.audit->append(audit::Event{"vehicle:" + c.vin, "assistant.tool_call.refused", c.vin, c.region,
                                                      json::object{{"tool", tool},
                                                                   {"reason", d.reason_code},
                                                                   {"provider", provider}}});
        if (!logged.is_ok()) spdlog::error("audit append failed for a refused tool call: {}", logged.status().to_string());
      }
    };
    co_await http::run_blocking(blocking, std::move(append));
  }

  // Applies a review to a non-streamed assistant message in place; returns the review.
  Review review_message(const Caller& c, json::object& choice) {
    json::object* message = choice.contains("message") ? choice["message"].if_object() : nullptr;
    if (message == nullptr) return {};
    json::array* calls = message->contains("tool_calls") ? (*message)["tool_calls"].if_array() : nullptr;
    if (calls == nullptr || calls->empty()) return {};
    std::vector<PendingCall> pending;
    for (const auto& v : *calls) {
      PendingCall p;
      if (const auto* o = v.if_object()) {
        if (auto* id = o->if_contains("id"); id && id->is_string()) p.id = id->as_string();
        if (auto* f = o->if_contains("function"); f && f->is_object()) {
          if (auto* n = f->as_object().if_contains("name"); n && n->is_string()) p.name = n->as_string();
          if (auto* a = f->as_object().if_contains("arguments"); a && a->is_string()) p.arguments = a->as_string();
        }
      }
      pending.push_back(std::move(p));
    }
    Review r = review(c, pending);
    if (r.refused.empty()) return r;
    if (r.allowed.empty()) {
      message->erase("tool_calls");
      choice["finish_reason"] = "stop";
    } else {
      for (auto& call : r.allowed) call.as_object().erase("index");
      (*message)["tool_calls"] = r.allowed;
    }
    (*message)["content"] = r.explanation();
    return r;
  }

  Result<Caller> caller_of(const Request& req) {
    const http::Principal& p = *req.principal();
    auto record = deps.registry->show(p.subject);
    if (!record.is_ok()) {
      if (record.status().code() == Code::kNotFound) {
        return Status(Code::kPermissionDenied, "vehicle " + p.subject + " is no longer registered");
      }
      return record.status();
    }
    Caller c;
    c.vin = record->vin;
    c.region = record->region;
    c.market = record->market;
    c.state = deps.states->latest(c.vin);
    return c;
  }

  void meter(const Caller& c, const RouteResult& result, const std::string& model, const Metered& m, int tool_calls,
             int refused, int64_t latency_us) {
    ledger::UsageRecord u;
    u.time_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    u.request_id = next_request_id();
    auto pseudonym = deps.pseudonymisers.at(c.region)->pseudonym(c.vin);
    u.vehicle_pseudonym = pseudonym.is_ok() ? *pseudonym : "unknown";
    u.region = c.region;
    u.market = c.market;
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
                : !result.ok()                        ? "error"
                : refused > 0                         ? "refused"
                                                      : "ok";
    u.latency_us = latency_us;
    requests->with({c.region, u.provider, u.outcome}).inc();
    for (const auto& [id, state] : deps.router->breaker_states()) {
      breaker->with({id}).set(state == BreakerState::kClosed ? 0 : state == BreakerState::kHalfOpen ? 1 : 2);
    }
    usage_meter->record(std::move(u));
  }

  static int64_t upstream_micros(const RouteResult& r) {
    int64_t us = 0;
    for (const Attempt& a : r.attempts) us += (a.latency + a.waited).count();
    return us;
  }

  static void set_route_headers(http::Fields& h, const std::string& provider, const std::string& region, int64_t overhead_us) {
    h.set("x-fleetgate-provider", provider);
    h.set("x-fleetgate-region", region);
    h.set("x-fleetgate-overhead-us", std::to_string(overhead_us));
  }

  awaitable<void> chat(const Request& req, http::StreamWriter& writer);
  awaitable<void> chat_completed(const Caller& c, json::object body, std::string model, http::StreamWriter& writer,
                                 SteadyClock::time_point t0);
  awaitable<void> chat_streamed(const Caller& c, json::object body, bool client_wants_usage, http::StreamWriter& writer,
                                SteadyClock::time_point t0);
  Response models(const Request& req);
  Response report_state(const Request& req);
};

namespace {

// Relays a provider's stream to the vehicle: content passes through chunk by chunk; tool-call
// fragments are held until the call is complete, reviewed, then sent or replaced by the refusal.
class RelaySink : public StreamSink {
 public:
  RelaySink(Gateway::Impl& gw, const Gateway::Impl::Caller& caller, http::StreamWriter& writer, bool client_wants_usage,
            SteadyClock::time_point t0)
      : gw_(gw), caller_(caller), writer_(writer), client_wants_usage_(client_wants_usage), t0_(t0) {}

  void attempt_started(std::string_view provider_id) override { provider_ = provider_id; }

  awaitable<bool> send_event(std::string_view data) override {
    boost::system::error_code ec;
    json::value parsed = json::parse(data, ec);
    if (ec || !parsed.is_object()) {
      // An unreadable chunk cannot be reviewed, so it never reaches the vehicle.
      spdlog::warn("dropping an unparsable stream chunk from provider {}", provider_);
      co_return true;
    }
    json::object& chunk = parsed.as_object();
    bool modified = false;
    if (auto* m = chunk.if_contains("model"); m && m->is_string()) model_ = m->as_string();
    if (auto* u = chunk.if_contains("usage"); u && u->is_object()) {
      metered_ = metered_from(u->as_object());
      if (!client_wants_usage_) {
        chunk.erase("usage");
        modified = true;
      }
    }
    bool has_payload = chunk.contains("usage");
    std::vector<Review> reviews;
    if (auto* choices = chunk.if_contains("choices"); choices && choices->is_array()) {
      for (auto& cv : choices->as_array()) {
        if (!cv.is_object()) continue;
        json::object& choice = cv.as_object();
        modified |= hold_tool_calls(choice);
        const json::value* finish = choice.if_contains("finish_reason");
        if (finish != nullptr && finish->is_string() && !pending_.empty()) {
          reviews.push_back(release_reviewed(choice));
          modified = true;
        }
        has_payload |= choice_has_payload(choice);
      }
    }
    for (const Review& r : reviews) co_await gw_.audit_refusals(caller_, r, provider_);
    if (modified && !has_payload) co_return true;
    const std::string relayed = modified ? json::serialize(chunk) : std::string(data);
    const bool sent = co_await forward(relayed);
    co_return sent;
  }

  awaitable<void> send_error_and_close(std::string_view error_json) override {
    if (ensure_started() && !writer_.send_event(error_json, "error").is_ok()) spdlog::debug("stream error event not delivered");
    closed_ = true;
    co_return;
  }

  // Tool calls whose stream ended without a finish_reason are reviewed and released here.
  awaitable<bool> flush() {
    if (pending_.empty()) co_return true;
    json::object choice{{"index", 0}, {"delta", json::object{}}, {"finish_reason", nullptr}};
    const Review r = release_reviewed(choice);
    co_await gw_.audit_refusals(caller_, r, provider_);
    json::array choices;
    choices.push_back(std::move(choice));
    const std::string released = json::serialize(
        json::object{{"object", "chat.completion.chunk"}, {"model", model_}, {"choices", std::move(choices)}});
    const bool sent = co_await forward(released);
    co_return sent;
  }

  bool started() const { return started_; }
  const std::string& model() const { return model_; }
  const Metered& metered() const { return metered_; }
  int tool_calls() const { return tool_calls_; }
  int refused() const { return refused_; }

 private:
  static bool choice_has_payload(const json::object& choice) {
    const json::value* finish = choice.if_contains("finish_reason");
    if (finish != nullptr && !finish->is_null()) return true;
    const json::value* delta = choice.if_contains("delta");
    return delta != nullptr && delta->is_object() && !delta->as_object().empty();
  }

  // Moves tool-call fragments out of the delta into pending_; true when the delta changed.
  bool hold_tool_calls(json::object& choice) {
    json::value* delta = choice.if_contains("delta");
    if (delta == nullptr || !delta->is_object()) return false;
    json::value* calls = delta->as_object().if_contains("tool_calls");
    if (calls == nullptr) return false;
    if (calls->is_array()) {
      for (const auto& fragment : calls->as_array()) {
        if (!fragment.is_object()) continue;
        const auto& f = fragment.as_object();
        size_t index = pending_.size();
        if (auto* i = f.if_contains("index"); i && (i->is_int64() || i->is_uint64())) index = static_cast<size_t>(i->to_number<int64_t>());
        if (index > 127) continue;  // a hostile index must not grow memory without bound
        if (pending_.size() <= index) pending_.resize(index + 1);
        PendingCall& p = pending_[index];
        if (auto* id = f.if_contains("id"); id && id->is_string()) p.id += id->as_string();
        if (auto* fn = f.if_contains("function"); fn && fn->is_object()) {
          if (auto* n = fn->as_object().if_contains("name"); n && n->is_string()) p.name += n->as_string();
          if (auto* a = fn->as_object().if_contains("arguments"); a && a->is_string()) p.arguments += a->as_string();
        }
      }
    }
    delta->as_object().erase("tool_calls");
    return true;
  }

  // Reviews the held calls into `choice`; returns the review for the audit.
  Review release_reviewed(json::object& choice) {
    Review r = gw_.review(caller_, pending_);
    tool_calls_ += static_cast<int>(pending_.size());
    refused_ += static_cast<int>(r.refused.size());
    pending_.clear();
    if (!choice.contains("delta") || !choice["delta"].is_object()) choice["delta"] = json::object{};
    json::object& delta = choice["delta"].as_object();
    if (!r.allowed.empty()) delta["tool_calls"] = r.allowed;
    if (!r.refused.empty()) delta["content"] = r.explanation();
    choice["finish_reason"] = r.allowed.empty() ? "stop" : "tool_calls";
    return r;
  }

  bool ensure_started() {
    if (started_) return true;
    http::Fields headers;
    headers.set(boost::beast::http::field::content_type, "text/event-stream");
    headers.set(boost::beast::http::field::cache_control, "no-cache");
    Gateway::Impl::set_route_headers(headers, provider_, caller_.region, micros_since(t0_));
    started_ = writer_.start(StatusCode::ok, std::move(headers)).is_ok();
    return started_;
  }

  // Queues `data` for the vehicle and waits while the vehicle is slower than the provider.
  awaitable<bool> forward(const std::string& data) {
    if (closed_ || !ensure_started() || !writer_.send_event(data).is_ok()) co_return false;
    co_await writer_.writable();
    co_return true;
  }

  Gateway::Impl& gw_;
  const Gateway::Impl::Caller& caller_;
  http::StreamWriter& writer_;
  const bool client_wants_usage_;
  const SteadyClock::time_point t0_;
  std::string provider_;
  std::string model_;
  std::vector<PendingCall> pending_;
  Metered metered_;
  int tool_calls_ = 0;
  int refused_ = 0;
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

Response json_error(const RouteResult& r) {
  Response resp;
  resp.status = static_cast<StatusCode>(r.http_status >= 400 && r.http_status < 600 ? r.http_status : 503);
  resp.content_type = "application/json";
  resp.body = r.body;
  return resp;
}

}  // namespace

awaitable<void> Gateway::Impl::chat(const Request& req, http::StreamWriter& writer) {
  const auto t0 = SteadyClock::now();
  auto caller = caller_of(req);
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
  json::object body = parsed->body;
  if (parsed->stream) {
    // Usage is always requested upstream for metering; the vehicle sees it only if it asked.
    json::object options;
    if (auto* o = body.if_contains("stream_options"); o && o->is_object()) options = o->as_object();
    options["include_usage"] = true;
    body["stream_options"] = std::move(options);
    co_await chat_streamed(*caller, std::move(body), parsed->include_usage, writer, t0);
  } else {
    co_await chat_completed(*caller, std::move(body), parsed->model, writer, t0);
  }
}

awaitable<void> Gateway::Impl::chat_completed(const Caller& c, json::object body, std::string model,
                                              http::StreamWriter& writer, SteadyClock::time_point t0) {
  const std::shared_ptr<CancelToken> cancel = cancel_on_hangup(writer);
  RouteResult result = co_await deps.router->complete(c.region, body, *cancel);
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
      if (auto* choices = o.if_contains("choices"); choices && choices->is_array()) {
        for (auto& choice : choices->as_array()) {
          if (!choice.is_object()) continue;
          if (auto* msg = choice.as_object().if_contains("message"); msg && msg->is_object()) {
            if (auto* tc = msg->as_object().if_contains("tool_calls"); tc && tc->is_array()) tool_calls += static_cast<int>(tc->as_array().size());
          }
          Review r = review_message(c, choice.as_object());
          co_await audit_refusals(c, r, result.provider_id);
          refused += static_cast<int>(r.refused.size());
          changed |= !r.refused.empty();
        }
      }
      resp.status = StatusCode::ok;
      resp.content_type = "application/json";
      // Unchanged answers pass back byte for byte, unknown fields and number formats intact.
      resp.body = changed ? json::serialize(o) : std::move(result.body);
    }
  } else {
    resp = json_error(result);
  }
  const int64_t total_us = micros_since(t0);
  const int64_t overhead_us = std::max<int64_t>(0, total_us - upstream_micros(result));
  overhead->with({c.region}).observe(static_cast<double>(overhead_us) / 1e6);
  set_route_headers(resp.headers, result.provider_id.empty() ? "none" : result.provider_id, c.region, overhead_us);
  meter(c, result, model, metered, tool_calls, refused, total_us);
  reply(writer, std::move(resp));
}

awaitable<void> Gateway::Impl::chat_streamed(const Caller& c, json::object body, bool client_wants_usage,
                                             http::StreamWriter& writer, SteadyClock::time_point t0) {
  const std::shared_ptr<CancelToken> cancel = cancel_on_hangup(writer);
  const std::string requested_model = body.contains("model") && body["model"].is_string() ? std::string(body["model"].as_string()) : "";
  RelaySink sink(*this, c, writer, client_wants_usage, t0);
  RouteResult result = co_await deps.router->stream(c.region, body, sink, *cancel);
  if (result.ok()) {
    const bool flushed = co_await sink.flush();
    if (flushed && sink.started() && !writer.send_event("[DONE]").is_ok()) spdlog::debug("[DONE] not delivered");
    if (!sink.started()) {
      // The provider finished without a single event: answer with an empty stream, still valid.
      http::Fields headers;
      set_route_headers(headers, result.provider_id, c.region, micros_since(t0));
      if (writer.start(StatusCode::ok, std::move(headers)).is_ok() && !writer.send_event("[DONE]").is_ok()) spdlog::debug("[DONE] not delivered");
    }
  } else if (!sink.started()) {
    Response resp = json_error(result);
    set_route_headers(resp.headers, result.provider_id.empty() ? "none" : result.provider_id, c.region, micros_since(t0));
    reply(writer, std::move(resp));
  }
  const int64_t total_us = micros_since(t0);
  overhead->with({c.region}).observe(static_cast<double>(std::max<int64_t>(0, total_us - upstream_micros(result))) / 1e6);
  meter(c, result, sink.model().empty() ? requested_model : sink.model(), sink.metered(), sink.tool_calls(), sink.refused(),
        total_us);
}

Response Gateway::Impl::models(const Request& req) {
  auto caller = caller_of(req);
  if (!caller.is_ok()) return http::error_response(caller.status());
  json::array data;
  for (const config::Provider* p : deps.policy->permitted_chain(caller->region)) {
    for (const auto& m : p->models) {
      data.push_back(json::object{{"id", m}, {"object", "model"}, {"created", 0}, {"owned_by", p->id}});
    }
  }
  Response resp = Response::json(StatusCode::ok, json::object{{"object", "list"}, {"data", std::move(data)}});
  resp.headers.set("x-fleetgate-region", caller->region);
  return resp;
}

Response Gateway::Impl::report_state(const Request& req) {
  const http::Principal& p = *req.principal();
  const std::string vin(req.param("vin"));
  auto record = deps.registry->show(vin);
  if (!record.is_ok()) return http::error_response(record.status());
  const bool own = p.has_role("vehicle") && p.subject == vin;
  if (!own && !((p.has_role("operator") || p.has_role("admin")) && p.may_act_in(record->region))) {
    return http::error_response(StatusCode::forbidden, "only the vehicle itself or an operator of its region may report its state",
                                "not_allowed");
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
      static const std::map<std::string, Gear, std::less<>> kGears = {
          {"P", Gear::kPark}, {"R", Gear::kReverse}, {"N", Gear::kNeutral}, {"D", Gear::kDrive}};
      auto it = v.is_string() ? kGears.find(std::string_view(v.as_string())) : kGears.end();
      if (it == kGears.end()) return http::error_response(invalid_argument("gear: must be one of P, R, N, D"));
      state.gear = it->second;
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
  deps.states->report(vin, state);
  return Response::json(StatusCode::accepted, json::object{{"vin", vin}, {"accepted", true}});
}

Gateway::Gateway(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Gateway::~Gateway() = default;

Result<std::unique_ptr<Gateway>> Gateway::create(GatewayDeps deps, http::MetricsRegistry& metrics) {
  if (!deps.policy || deps.router == nullptr || deps.registry == nullptr || deps.audit == nullptr || deps.states == nullptr) {
    return invalid_argument("gateway dependencies are incomplete");
  }
  for (const auto& region : deps.policy->config().regions) {
    if (!deps.usage.contains(region.id) || !deps.pseudonymisers.contains(region.id)) {
      return invalid_argument("gateway needs a usage log and pseudonymiser for region '" + region.id + "'");
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->deps = std::move(deps);
  impl->usage_meter = std::make_unique<UsageMeter>(impl->deps.usage, served_models(impl->deps.policy->config()));
  auto requests = metrics.counter("fleetgate_assistant_requests_total", "Assistant requests by home region, provider and outcome",
                                  {"region", "provider", "outcome"});
  auto refusals = metrics.counter("fleetgate_assistant_tool_calls_refused_total",
                                  "Tool calls refused by schema or safety interlocks", {"region", "reason"});
  auto overhead = metrics.histogram("fleetgate_assistant_overhead_seconds",
                                    "Gateway time spent outside upstream providers per request", {"region"},
                                    {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05});
  auto breaker = metrics.gauge("fleetgate_assistant_breaker_state", "Circuit breaker per provider: 0 closed, 1 half-open, 2 open",
                               {"provider"});
  for (const Status* s : {&requests.status(), &refusals.status(), &overhead.status(), &breaker.status()}) {
    if (!s->is_ok()) return *s;
  }
  impl->requests = *requests;
  impl->refusals = *refusals;
  impl->overhead = *overhead;
  impl->breaker = *breaker;
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
