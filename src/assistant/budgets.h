// The assistant's budgets ([[assistant.budgets]]): requests per minute and tokens per UTC day,
// per vehicle, per region and per provider, counted by this node in memory. Requests per minute
// are a bucket of that many that refills evenly; tokens per day count the prompt and completion
// tokens of answered requests and start again at 00:00 UTC. A request is admitted when every
// budget it falls under has room, and then takes one request from each; a provider over its
// budget is skipped like one whose breaker is open. Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "fleetgate/core/config.h"

namespace fleetgate::assistant {

// Why a request, or a provider, is over budget, and when there is room again.
struct OverBudget {
  std::string scope;  // "vehicle", "region", "provider"
  std::string limit;  // "requests_per_minute", "tokens_per_day"
  std::string message;
  std::chrono::seconds retry_after{1};
};

class Budgets {
 public:
  using NowMs = std::function<int64_t()>;  // milliseconds since the Unix epoch (UTC days)

  explicit Budgets(const std::vector<config::Budget>& rules, NowMs now = nullptr);

  // Whether any budget is configured (none: admit() and spend() cost nothing).
  bool empty() const { return vehicle_rules_.empty() && regions_.empty() && providers_.empty(); }

  // Takes one request of vehicle `vin` homed in `region` from its vehicle and region budgets, or
  // none of them when one has no room: then says which and when to retry.
  std::optional<OverBudget> admit(std::string_view vin, std::string_view region);
  // Takes one request from `provider`'s budget, or says why not.
  std::optional<OverBudget> admit_provider(std::string_view provider);
  // Adds an answered request's tokens to the day's counts of its vehicle, region and provider.
  void spend(std::string_view vin, std::string_view region, std::string_view provider, int64_t tokens);

  // Vehicles tracked (for tests of the memory bound): idle ones are dropped as others arrive.
  size_t vehicles_tracked() const;

 private:
  // One budget's state: a request bucket and the day's tokens.
  struct Meter {
    double requests = 0;  // requests left in the bucket
    int64_t refilled_ms = std::numeric_limits<int64_t>::min();  // when `requests` was brought up to date; never
    int64_t day = -1;         // the UTC day `tokens` counts
    int64_t tokens = 0;
  };
  struct Rule {
    uint64_t requests_per_minute = 0;
    uint64_t tokens_per_day = 0;
  };

  // Why `m` (under `rule`) has no room at `now`; nullopt when it has. Brings `m` up to date.
  static std::optional<OverBudget> check(Meter& m, const Rule& rule, int64_t now, std::string_view scope,
                                         std::string_view subject);
  static void take(Meter& m, const Rule& rule);
  static void add_tokens(Meter& m, int64_t now, int64_t tokens);
  const Rule* vehicle_rule(std::string_view region) const;
  // Drops vehicles whose meters are back to fresh ones. REQUIRES: mu_ held.
  void forget_idle(int64_t now);

  NowMs now_;
  std::map<std::string, Rule, std::less<>> vehicle_rules_;  // by region; "" for every region
  std::map<std::string, std::pair<Rule, Meter>, std::less<>> regions_;
  std::map<std::string, std::pair<Rule, Meter>, std::less<>> providers_;
  mutable std::mutex mu_;  // guards the meters
  std::unordered_map<std::string, Meter> vehicles_;
  size_t sweep_at_ = 1024;  // vehicles_ size at which idle ones are dropped next
};

}  // namespace fleetgate::assistant
