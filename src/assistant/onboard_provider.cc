#include "fleetgate/assistant/onboard_provider.h"

#include <boost/json.hpp>
#include <chrono>

#include "fleetgate/core/digest.h"
#include "fleetgate/core/json_text.h"

namespace fleetgate::assistant {
namespace {

CompletionMeta meta_for(const ChatRequest& request) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return CompletionMeta{"chatcmpl-onboard-" + random_token(12), request.model,
                        std::chrono::duration_cast<std::chrono::seconds>(now).count()};
}

// The engine validates like an upstream would: a request it cannot read is a 400, not a failover.
ProviderReply rejected(const Status& s) {
  ProviderReply r;
  r.outcome = Outcome::kRejected;
  r.http_status = 400;
  r.detail = s.message();
  r.body = json_text(boost::json::object{
      {"error", boost::json::object{{"message", s.message()}, {"type", "invalid_request_error"}, {"code", "invalid_request"}}}});
  return r;
}

}  // namespace

OnboardProvider::OnboardProvider(config::Provider config, OnboardOptions options)
    : config_(std::move(config)), engine_(options) {}

ProviderReply OnboardProvider::complete(const boost::json::object& request, const CancelToken& cancel) {
  if (cancel.cancelled()) return ProviderReply{Outcome::kCancelled, 0, {}, std::nullopt, "cancelled", 0};
  auto parsed = parse_chat_request(request);
  if (!parsed.is_ok()) return rejected(parsed.status());
  ProviderReply r;
  r.http_status = 200;
  r.body = json_text(engine_.complete(*parsed, meta_for(*parsed)));
  return r;
}

ProviderReply OnboardProvider::stream(const boost::json::object& request, const EventCallback& on_event,
                                      const CancelToken& cancel) {
  auto parsed = parse_chat_request(request);
  if (!parsed.is_ok()) return rejected(parsed.status());
  ProviderReply r;
  r.http_status = 200;
  for (const auto& chunk : engine_.stream(*parsed, meta_for(*parsed))) {
    if (cancel.cancelled()) {
      r.outcome = Outcome::kCancelled;
      r.detail = "cancelled";
      return r;
    }
    if (!on_event(json_text(chunk))) {
      r.outcome = Outcome::kCancelled;
      r.detail = "the vehicle went away";
      return r;
    }
    ++r.events;
  }
  return r;
}

}  // namespace fleetgate::assistant
