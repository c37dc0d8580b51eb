// Router: sends a vehicle's chat request to the providers its home region may use, in the order
// of the region's chain (residency::Policy::permitted_chain), asking Policy::decide_provider for
// the car (its region, market and model year) before every attempt: a provider the policy denies,
// by location or by the origin rules of the car's market, is never contacted. Per provider it retries connect
// errors, timeouts, 429 (honouring Retry-After up to a limit) and 5xx with jittered exponential
// backoff, then fails over to the next provider. Providers whose API key is unset or whose
// circuit breaker is open are skipped. Once an event of a stream has reached the vehicle there is
// no retry and no failover: a later upstream break ends the stream with a final error event.
// Events the sink held back or dropped do not count: until the vehicle has seen a byte, a break
// fails over like any other failure.
// Calls are coroutines on the caller's single-threaded event loop (see Provider); any number of
// loops may route at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "fleetgate/assistant/budgets.h"
#include "fleetgate/assistant/circuit_breaker.h"
#include "fleetgate/assistant/provider.h"
#include "fleetgate/residency/policy.h"

namespace fleetgate::assistant {

struct RetryOptions {
  std::chrono::milliseconds base_backoff{100};     // first retry waits 50-100% of this
  std::chrono::milliseconds max_backoff{2000};     // cap of the doubling backoff
  std::chrono::milliseconds max_retry_after{5000}; // a longer Retry-After fails over instead of waiting
};

struct RouterOptions {
  RetryOptions retry;
  BreakerOptions breaker;
  SteadyNow now = std::chrono::steady_clock::now;  // clock of the circuit breakers
  // Waits `d` before a retry; returns false when `cancel` fired meanwhile. Default: a timer on the
  // caller's loop that the cancel token cuts short.
  std::function<boost::asio::awaitable<bool>(std::chrono::milliseconds d, const CancelToken& cancel)> sleep;
  uint64_t jitter_seed = 0;  // 0: seeded from std::random_device
  // Providers' budgets: one over its budget is skipped (kOverBudget); a request counts once per
  // provider it is sent to, retries included. Null: no budgets.
  std::shared_ptr<Budgets> budgets;
};

// One call to a provider, or one provider skipped (then latency is 0).
struct Attempt {
  std::string provider_id;
  Outcome outcome = Outcome::kOk;
  int http_status = 0;
  std::chrono::microseconds latency{0};  // time inside the provider call
  std::chrono::milliseconds waited{0};   // backoff slept before this attempt
  std::string detail;
};

struct RouteResult {
  // kOk; kRejected (the upstream refused the request as malformed: its status and body are
  // returned as is); kCancelled; kStreamBroken (a stream broke after events were relayed: the
  // sink already got the error event); anything else: every permitted provider failed.
  Outcome outcome = Outcome::kOk;
  int http_status = 0;      // for the vehicle: upstream status, 503 when all failed, 499 when cancelled
  std::string provider_id;  // the provider that answered (or rejected, or broke the stream)
  // complete(): the upstream's raw response body, else an OpenAI-shaped error
  // {"error":{"message","type","code","param","attempts":[...]}}. stream() on success: empty.
  std::string body;
  size_t events = 0;        // stream(): events that reached the vehicle (Relayed::kToVehicle)
  // When every provider the car may use was over its budget (http_status 429): when one has room.
  std::chrono::seconds retry_after{0};
  std::vector<Attempt> attempts;
  bool ok() const { return outcome == Outcome::kOk; }
  // Time inside provider calls and backoff waits, over every attempt: what the gateway's own
  // time (x-fleetgate-overhead-us) leaves out.
  std::chrono::microseconds provider_time() const;
};

// What became of one event handed to a StreamSink.
enum class Relayed {
  kToVehicle,  // it reached the vehicle: the answer is committed, no retry or failover from here
  kHeld,       // held back (a tool-call piece awaiting review) or dropped: the vehicle saw nothing
  kStop,       // the vehicle is gone, or the sink refused the answer (refusal() says why)
};

// Where a streamed answer goes (the gateway's SSE writer for one vehicle connection).
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // Relays one event's data (chat.completion.chunk JSON) to the vehicle. The first event that
  // reaches it is when the gateway commits to a 200 event stream; until then a failure can still
  // fail over or become a JSON error response.
  virtual boost::asio::awaitable<Relayed> send_event(std::string_view data) = 0;
  // Called before each attempt (after its backoff), so the first event that reaches the vehicle
  // can be attributed to its provider. `provider_time`: the route's time so far in provider calls
  // and backoff waits (RouteResult::provider_time() plus this attempt's backoff); the sink's own
  // work during earlier attempts is inside it.
  virtual void attempt_started(std::string_view provider_id, std::chrono::microseconds provider_time) {
    (void)provider_id;
    (void)provider_time;
  }
  // Why the sink refused the provider's answer, once send_event returned kStop for that reason
  // (e.g. it went past a limit); nullopt while the vehicle is merely gone. The router counts a
  // refused answer as kBadResponse from that provider: its breaker notes the failure, and the
  // answer fails over when nothing reached the vehicle, else ends with the error event.
  virtual std::optional<std::string> refusal() const { return std::nullopt; }
  // The upstream broke after events reached the vehicle: write `error_json` (OpenAI error shape) as a
  // final event and close the stream cleanly. Called at most once; no events follow.
  virtual boost::asio::awaitable<void> send_error_and_close(std::string_view error_json) = 0;
};

class Router {
 public:
  // `providers` are the implementations by config id (UpstreamProvider, the onboard adapter...).
  // Fails when two share an id, when an id is not in the policy's config, or when an
  // implementation reports a location other than its configured one.
  static Result<std::unique_ptr<Router>> create(std::shared_ptr<const residency::Policy> policy,
                                                std::vector<std::shared_ptr<Provider>> providers,
                                                RouterOptions options = {});

  // Non-streaming completion for `car`. REQUIRES (here and in stream): `car`, `request` and
  // `cancel` outlive the returned awaitable.
  boost::asio::awaitable<RouteResult> complete(const residency::Car& car, const boost::json::object& request,
                                               const CancelToken& cancel);

  // Streaming completion: events go to `sink`. On success the gateway ends the stream with
  // "data: [DONE]"; on kStreamBroken the sink has already closed it; otherwise nothing was sent
  // and the gateway answers http_status with body.
  boost::asio::awaitable<RouteResult> stream(const residency::Car& car, const boost::json::object& request,
                                             StreamSink& sink, const CancelToken& cancel);

  // Circuit breaker state of every configured provider, by id (for metrics).
  std::vector<std::pair<std::string, BreakerState>> breaker_states() const;

 private:
  using CallFn = std::function<boost::asio::awaitable<ProviderReply>(Provider&, const boost::json::object&, size_t& relayed)>;
  Router(std::shared_ptr<const residency::Policy> policy, RouterOptions options);
  boost::asio::awaitable<RouteResult> route(const residency::Car& car, const boost::json::object& request,
                                            const CancelToken& cancel, const CallFn& call, StreamSink* sink);
  std::chrono::milliseconds backoff(uint32_t retry);

  std::shared_ptr<const residency::Policy> policy_;
  RouterOptions options_;
  std::map<std::string, std::shared_ptr<Provider>, std::less<>> providers_;
  std::map<std::string, std::unique_ptr<CircuitBreaker>, std::less<>> breakers_;
  std::mutex rng_mu_;
  std::mt19937_64 rng_;
};

// The request as sent to `p`: its "model" is kept when `p` lists it (or lists no models), else
// replaced by p's first model, so failing over from deepseek-chat to the onboard engine works.
boost::json::object request_for(const config::Provider& p, const boost::json::object& request);

}  // namespace fleetgate::assistant
