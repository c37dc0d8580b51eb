#include "fleetgate/assistant/provider.h"

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

}  // namespace fleetgate::assistant
