// The budget filter ([[assistant.budgets]]): a car over its vehicle or region budget is answered
// 429 with Retry-After before any provider is asked; every answer's tokens are spent from its
// vehicle's, region's and provider's budgets. Providers' own budgets are the router's to check.
#include <optional>

#include "fleetgate/assistant/gateway_filters.h"
#include "fleetgate/http/error.h"

namespace fleetgate::assistant {
namespace {

using boost::asio::awaitable;

class BudgetFilter : public ChatFilter {
 public:
  struct Shared {
    std::shared_ptr<Budgets> budgets;
    http::CounterFamily& over_budget;
  };
  explicit BudgetFilter(const Shared& shared) : shared_(shared) {}

  awaitable<std::optional<EarlyAnswer>> on_request(ChatExchange& x) override {
    std::optional<OverBudget> over = shared_.budgets->admit(x.vin, x.car.region);
    if (!over) co_return std::nullopt;
    shared_.over_budget.with({x.car.region, over->scope}).inc();
    http::Response resp = http::error_response(http::StatusCode::too_many_requests, over->message, "rate_limit_exceeded");
    resp.headers.set(boost::beast::http::field::retry_after, std::to_string(over->retry_after.count()));
    co_return EarlyAnswer{std::move(resp), Outcome::kOverBudget};
  }

  void on_end(ChatExchange& x, const RouteResult& result) override {
    for (const Attempt& a : result.attempts) {
      if (a.outcome == Outcome::kOverBudget) shared_.over_budget.with({x.car.region, "provider"}).inc();
    }
    shared_.budgets->spend(x.vin, x.car.region, attributed_provider(result), x.metered.prompt + x.metered.completion);
  }

 private:
  const Shared& shared_;
};

}  // namespace

ChatFilterFactory budget_filter(std::shared_ptr<Budgets> budgets, http::CounterFamily& over_budget) {
  auto shared = std::make_shared<const BudgetFilter::Shared>(BudgetFilter::Shared{std::move(budgets), over_budget});
  return [shared] { return std::make_unique<BudgetFilter>(*shared); };
}

}  // namespace fleetgate::assistant
