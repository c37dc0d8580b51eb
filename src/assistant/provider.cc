#include "fleetgate/assistant/provider.h"

#include <vector>

namespace fleetgate::assistant {

std::string_view to_string(Outcome o) {
  switch (o) {
    case Outcome::kOk: return "ok";
    case Outcome::kConnectError: return "connect_error";
    case Outcome::kTimeout: return "timeout";
    case Outcome::kRateLimited: return "rate_limited";
    case Outcome::kServerError: return "server_error";
    case Outcome::kAuthError: return "auth_error";
    case Outcome::kRejected: return "rejected";
    case Outcome::kBadResponse: return "bad_response";
    case Outcome::kStreamBroken: return "stream_broken";
    case Outcome::kCancelled: return "cancelled";
    case Outcome::kUnconfigured: return "unconfigured";
    case Outcome::kCircuitOpen: return "circuit_open";
    case Outcome::kOverBudget: return "over_budget";
    case Outcome::kDenied: return "denied";
  }
  return "unknown";
}

bool is_retryable(Outcome o) {
  return o == Outcome::kConnectError || o == Outcome::kTimeout || o == Outcome::kRateLimited ||
         o == Outcome::kServerError;
}

bool is_provider_failure(Outcome o) {
  return is_retryable(o) || o == Outcome::kAuthError || o == Outcome::kBadResponse ||
         o == Outcome::kStreamBroken;
}

Outcome outcome_for_http_status(int status) {
  if (status >= 200 && status < 300) return Outcome::kOk;
  if (status == 429) return Outcome::kRateLimited;
  if (status == 408 || status >= 500) return Outcome::kServerError;
  if (status == 401 || status == 403) return Outcome::kAuthError;
  if (status >= 400) return Outcome::kRejected;
  return Outcome::kBadResponse;  // 1xx/3xx: an OpenAI-compatible API never answers that way
}

boost::asio::awaitable<ProviderReply> InProcessProvider::async_complete(const boost::json::object& request,
                                                                       const CancelToken& cancel) {
  co_return complete(request, cancel);
}

boost::asio::awaitable<ProviderReply> InProcessProvider::async_stream(const boost::json::object& request,
                                                                     const AsyncEventCallback& on_event,
                                                                     const CancelToken& cancel) {
  std::vector<std::string> events;
  ProviderReply reply = stream(
      request,
      [&events](std::string_view data) {
        events.emplace_back(data);
        return true;
      },
      cancel);
  reply.events = 0;
  for (const std::string& data : events) {
    const bool more = co_await on_event(data);
    if (!more) {
      reply.outcome = Outcome::kCancelled;
      reply.detail = "the consumer went away";
      break;
    }
    ++reply.events;
  }
  co_return reply;
}

}  // namespace fleetgate::assistant
