// Provider: one assistant backend the router can send an OpenAI-compatible chat request to.
// Implemented by UpstreamProvider (HTTP to an OpenAI-compatible API) and by the onboard engine's
// adapter. Requests are OpenAI chat-completion JSON objects; replies are forwarded as raw JSON
// text so fields we do not know (reasoning_content, prompt_cache_hit_tokens, ...) pass through.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "fleetgate/assistant/cancel_token.h"
#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

// What came of one attempt (or why a provider was skipped), in the router's retry vocabulary.
enum class Outcome {
  kOk,
  kConnectError,   // could not connect / connection reset before a response: retryable
  kTimeout,        // connect, first-byte or total deadline passed: retryable
  kRateLimited,    // HTTP 429: retryable, honouring Retry-After
  kServerError,    // HTTP 5xx (or 408): retryable
  kAuthError,      // HTTP 401/403: our credentials are wrong there, fail over
  kRejected,       // other HTTP 4xx: the request itself is bad, returned to the caller as is
  kBadResponse,    // 2xx whose body is not what the protocol promises: fail over
  kStreamBroken,   // the stream ended abnormally after it began
  kCancelled,      // the caller's cancel token fired
  kUnconfigured,   // skipped: API key env var unset or no implementation registered
  kCircuitOpen,    // skipped: the provider's circuit breaker is open
  kDenied,         // skipped: residency policy refused (never contacted)
  kOverBudget,     // skipped: the provider's budget ([[assistant.budgets]]) has no room
};

// "ok", "connect_error", "timeout", "rate_limited", "server_error", "auth_error", "rejected",
// "bad_response", "stream_broken", "cancelled", "unconfigured", "circuit_open", "denied",
// "over_budget".
std::string_view to_string(Outcome o);

// Outcomes worth another attempt at the same provider (connect, timeout, 429, 5xx).
bool is_retryable(Outcome o);
// Outcomes that count against a provider's circuit breaker.
bool is_provider_failure(Outcome o);
// The outcome an HTTP status implies (2xx -> kOk).
Outcome outcome_for_http_status(int status);

struct ProviderReply {
  Outcome outcome = Outcome::kOk;
  int http_status = 0;          // upstream HTTP status when one was received, else 0
  std::string body;             // complete(): the raw response body (success or upstream error)
  std::optional<std::chrono::milliseconds> retry_after;  // from a 429/503 Retry-After header
  std::string detail;           // human-readable reason when outcome != kOk
  size_t events = 0;            // stream(): events handed to the callback
};

// Receive one SSE event's data (a chat.completion.chunk JSON text, never "[DONE]").
// Return false when the consumer is gone; the provider then stops and reports kCancelled.
using EventCallback = std::function<bool(std::string_view data)>;
using AsyncEventCallback = std::function<boost::asio::awaitable<bool>(std::string_view data)>;

class Provider {
 public:
  virtual ~Provider() = default;

  // The configured provider this implementation serves (id, kind, location, timeouts, retries).
  virtual const config::Provider& config() const = 0;

  // OK when the provider can be called now; else why not (e.g. its API key env var is unset).
  virtual Status ready() const = 0;

  // Non-streaming chat completion of `request` (its "stream" member is ignored). A coroutine on
  // the caller's single-threaded event loop that never blocks it; returns promptly with kCancelled
  // once `cancel` fires.
  virtual boost::asio::awaitable<ProviderReply> async_complete(const boost::json::object& request,
                                                               const CancelToken& cancel) = 0;

  // Streaming chat completion: awaits `on_event` for each event until the stream's [DONE]. kOk
  // means the stream finished; any other outcome with events > 0 means it broke midway.
  virtual boost::asio::awaitable<ProviderReply> async_stream(const boost::json::object& request,
                                                             const AsyncEventCallback& on_event,
                                                             const CancelToken& cancel) = 0;
};

// A provider that computes its answer in this process without waiting on anything (the on-board
// engine, test doubles): it implements complete() and stream() as plain functions, which the
// async calls run inline on the caller's loop. A stream's events are all computed first, then
// handed to the consumer one by one; a consumer that stops makes the reply kCancelled.
class InProcessProvider : public Provider {
 public:
  virtual ProviderReply complete(const boost::json::object& request, const CancelToken& cancel) = 0;
  virtual ProviderReply stream(const boost::json::object& request, const EventCallback& on_event,
                               const CancelToken& cancel) = 0;

  boost::asio::awaitable<ProviderReply> async_complete(const boost::json::object& request,
                                                       const CancelToken& cancel) final;
  boost::asio::awaitable<ProviderReply> async_stream(const boost::json::object& request,
                                                     const AsyncEventCallback& on_event,
                                                     const CancelToken& cancel) final;
};

}  // namespace fleetgate::assistant
