// The tool review filter: tool calls (either shape) are taken out of an answer as they come and
// held until their choice is whole (a plain answer's message, a stream's finish_reason, or the
// stream's end), then reviewed and put back as allowed or replaced by the refusal's explanation.
// The vehicle's state is read once, before the first review; refusals are counted and audited
// before the answer carrying them leaves.
#include <spdlog/spdlog.h>

#include <optional>
#include <utility>
#include <vector>

#include "fleetgate/assistant/gateway_filters.h"
#include "fleetgate/assistant/held_tool_calls.h"
#include "fleetgate/assistant/tool_call_review.h"
#include "fleetgate/http/blocking.h"

namespace fleetgate::assistant {
namespace {

namespace json = boost::json;
using boost::asio::awaitable;

class ToolReviewFilter : public ChatFilter {
 public:
  explicit ToolReviewFilter(const ToolReviewDeps& deps) : deps_(deps) {}

  // Only an attempt of which nothing reached the car is followed by another: what it held goes.
  void on_attempt(ChatExchange& x) override {
    hold_ = ToolCallHold{};
    x.tool_call_bytes = 0;
  }

  awaitable<Status> on_event(ChatExchange& x, AnswerEvent& event) override {
    // Choices whose calls are whole now, to review once the event has been read through.
    std::vector<std::pair<size_t, json::object*>> whole;
    Status taken_all = Status::ok();
    for_each_choice(event, [&](size_t index, json::object& choice, json::object* holder) {
      if (!taken_all.is_ok()) return;
      if (holder != nullptr) {
        auto taken = hold_.take_from(index, *holder, event.whole);
        if (!taken) {
          taken_all = taken.status();
          return;
        }
        event.modified |= *taken;
      }
      // A stream's choice may finish in a chunk without a delta: what it holds is whole then too.
      const json::value* finish = choice.if_contains("finish_reason");
      if (hold_.holds(index) && (event.whole || (finish != nullptr && finish->is_string()))) whole.emplace_back(index, &choice);
    });
    x.tool_call_bytes = hold_.bytes();
    if (!taken_all.is_ok()) co_return taken_all;
    if (event.last && !event.whole) {
      // The stream ended: what its choices still hold is released in the closing event.
      json::value& choices = event.object["choices"];
      if (!choices.is_array()) choices = json::array{};
      for (size_t index : hold_.holding()) {
        choices.as_array().push_back(json::object{{"index", index}, {"delta", json::object{}}, {"finish_reason", nullptr}});
      }
      for (json::value& choice : choices.as_array()) {
        const auto index = choice_index(choice.as_object(), 0);
        if (index && hold_.holds(*index)) whole.emplace_back(*index, &choice.as_object());
      }
    }
    if (whole.empty()) co_return Status::ok();
    if (!std::exchange(state_read_, true)) {
      auto read = [this, &x] { return deps_.states->latest(x.vin); };
      state_ = co_await http::run_blocking(deps_.blocking, std::move(read));
    }
    std::vector<ToolCallReview> reviews;
    for (auto& [index, choice] : whole) {
      json::value& holder = (*choice)[event.holder_key()];
      if (!holder.is_object()) holder = json::object{};
      reviews.push_back(review(x, hold_.release(index), *choice, holder.as_object(), event.whole));
    }
    event.modified = true;
    for (const ToolCallReview& r : reviews) co_await audit_refusals(x, r);
    co_return Status::ok();
  }

 private:
  // Decides every call of one choice and writes the outcome into `holder` (its message or delta)
  // and the choice's finish_reason.
  ToolCallReview review(ChatExchange& x, const HeldChoice& held, json::object& choice, json::object& holder, bool whole) {
    LogScope scope(log_tags(x));
    if (!held.unreadable.empty()) spdlog::warn("provider {} sent an unreadable tool call: {}", x.provider, held.unreadable);
    ToolCallReview r = review_held(held, OfferedTools{x.request->tools, &deps_.pins}, state_ ? &*state_ : nullptr,
                                   Clock::now(), deps_.interlocks, x.lang);
    for (const auto& [name, d] : r.refused) {
      deps_.refusals->with({x.car.region, d.reason_code}).inc();
      spdlog::warn("assistant refused tool call {} from provider {} in region {} (request {}): {}", name, x.provider,
                   x.car.region, x.request_id, d.reason_code);
    }
    choice["finish_reason"] = apply_review(r, holder, whole);
    x.tool_calls += static_cast<int>(r.calls());
    x.refused_tool_calls += static_cast<int>(r.refused.size());
    return r;
  }

  // An audit entry per refused call, appended on a worker (the append waits for its fsync).
  awaitable<void> audit_refusals(const ChatExchange& x, const ToolCallReview& r) {
    if (r.refused.empty()) co_return;
    auto append = [&] {
      LogScope scope(log_tags(x));
      for (const auto& [tool, d] : r.refused) {
        auto logged = deps_.audit->append(audit::Event{"vehicle:" + x.vin, "assistant.tool_call.refused", x.vin, x.car.region,
                                                       json::object{{"tool", tool},
                                                                    {"reason", d.reason_code},
                                                                    {"provider", x.provider}}});
        if (!logged.is_ok()) spdlog::error("audit append failed for a refused tool call: {}", logged.status().to_string());
      }
    };
    co_await http::run_blocking(deps_.blocking, std::move(append));
  }

  const ToolReviewDeps& deps_;
  ToolCallHold hold_;
  bool state_read_ = false;
  std::optional<VehicleState> state_;  // the vehicle's latest, once read
};

}  // namespace

ChatFilterFactory tool_review_filter(ToolReviewDeps deps) {
  auto shared = std::make_shared<const ToolReviewDeps>(std::move(deps));
  return [shared] { return std::make_unique<ToolReviewFilter>(*shared); };
}

}  // namespace fleetgate::assistant
