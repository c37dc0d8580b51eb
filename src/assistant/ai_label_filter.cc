// The AI label filter ([[compliance.ai_labels]]): the answer of a car whose market a rule covers
// carries the notice in the user's language (before each choice's text) and the machine-readable
// label (the `fleetgate_ai_label` field of the completion or of a stream's first chunk, and the
// x-fleetgate-ai-label header). A stream is labelled only on chunks that reach the car anyway, so
// an attempt the router may still fail over from stays unseen.
#include <optional>
#include <set>

#include "fleetgate/assistant/ai_label.h"
#include "fleetgate/assistant/gateway_filters.h"

namespace fleetgate::assistant {
namespace {

using boost::asio::awaitable;

class AiLabelFilter : public ChatFilter {
 public:
  explicit AiLabelFilter(const residency::Policy& policy) : policy_(policy) {}

  awaitable<std::optional<EarlyAnswer>> on_request(ChatExchange& x) override {
    label_ = ai_label_for(policy_.config(), x.car.market, x.lang, *x.request, x.request_id);
    co_return std::nullopt;
  }

  awaitable<Status> on_event(ChatExchange& x, AnswerEvent& event) override {
    if (!label_ || (!event.whole && !carries_payload(event))) co_return Status::ok();
    if (!labelled_) {
      event.object["fleetgate_ai_label"] = label_->metadata(policy_.config().provider(x.provider), x.model);
      labelled_ = event.modified = true;
    }
    if (label_->notice.empty()) co_return Status::ok();
    for_each_choice(event, [&](size_t index, boost::json::object&, boost::json::object* holder) {
      if (holder == nullptr || !noticed_.insert(index).second) return;
      put_notice(*holder, label_->notice, !event.whole);
      event.modified = true;
    });
    co_return Status::ok();
  }

  void on_headers(ChatExchange& x, http::Fields& headers) override {
    if (label_) headers.set("x-fleetgate-ai-label", label_->header(x.provider));
  }

 private:
  const residency::Policy& policy_;
  std::optional<AiLabel> label_;  // nullopt when no rule covers the car's market
  bool labelled_ = false;         // the machine-readable label went out
  std::set<size_t> noticed_;      // choices whose first message or delta carried the notice
};

}  // namespace

ChatFilterFactory ai_label_filter(std::shared_ptr<const residency::Policy> policy) {
  return [policy = std::move(policy)] { return std::make_unique<AiLabelFilter>(*policy); };
}

}  // namespace fleetgate::assistant
