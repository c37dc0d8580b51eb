#include "fleetgate/assistant/budgets.h"

#include <algorithm>
#include <cmath>

namespace fleetgate::assistant {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 86'400'000;
constexpr int64_t kNeverRefilled = std::numeric_limits<int64_t>::min();

int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Whole seconds until `ms` milliseconds have passed, at least 1 (Retry-After's unit); the
// bucket's arithmetic is in doubles, so a microsecond over a whole second is rounding.
std::chrono::seconds seconds_for(double ms) {
  return std::chrono::seconds(std::max<int64_t>(1, static_cast<int64_t>(std::ceil((ms - 1e-3) / 1000.0))));
}

}  // namespace

Budgets::Budgets(const std::vector<config::Budget>& rules, NowMs now) : now_(now ? std::move(now) : system_now_ms) {
  for (const config::Budget& b : rules) {
    const Rule rule{b.requests_per_minute, b.tokens_per_day};
    switch (b.scope) {
      case config::Budget::Scope::kVehicle: vehicle_rules_[b.region] = rule; break;
      case config::Budget::Scope::kRegion: regions_[b.region] = {rule, Meter{}}; break;
      case config::Budget::Scope::kProvider: providers_[b.provider] = {rule, Meter{}}; break;
    }
  }
}

std::optional<OverBudget> Budgets::check(Meter& m, const Rule& rule, int64_t now, std::string_view scope,
                                         std::string_view subject) {
  // The bucket refills evenly (a minute fills it); without a per-minute rule it stays empty, unread.
  const double capacity = static_cast<double>(rule.requests_per_minute);
  if (m.refilled_ms == kNeverRefilled) {
    m.requests = capacity;
  } else if (now > m.refilled_ms) {
    m.requests = std::min(capacity, m.requests + static_cast<double>(now - m.refilled_ms) * capacity / kMinuteMs);
  }
  m.refilled_ms = std::max(m.refilled_ms, now);
  if (rule.requests_per_minute > 0 && m.requests < 1) {
    return OverBudget{std::string(scope), "requests_per_minute",
                      std::string(scope) + " " + std::string(subject) + " is over its budget of " +
                          std::to_string(rule.requests_per_minute) + " requests per minute",
                      seconds_for((1 - m.requests) * kMinuteMs / capacity)};
  }
  if (rule.tokens_per_day > 0) {
    const int64_t today = now / kDayMs;
    if (m.day != today) {
      m.day = today;
      m.tokens = 0;
    }
    if (m.tokens >= static_cast<int64_t>(rule.tokens_per_day)) {
      return OverBudget{std::string(scope), "tokens_per_day",
                        std::string(scope) + " " + std::string(subject) + " has used its budget of " +
                            std::to_string(rule.tokens_per_day) + " tokens for the day (UTC)",
                        seconds_for(static_cast<double>((today + 1) * kDayMs - now))};
    }
  }
  return std::nullopt;
}

void Budgets::take(Meter& m, const Rule& rule) {
  if (rule.requests_per_minute > 0) m.requests -= 1;
}

void Budgets::add_tokens(Meter& m, int64_t now, int64_t tokens) {
  const int64_t today = now / kDayMs;
  if (m.day != today) {
    m.day = today;
    m.tokens = 0;
  }
  m.tokens += std::max<int64_t>(0, tokens);
}

const Budgets::Rule* Budgets::vehicle_rule(std::string_view region) const {
  auto it = vehicle_rules_.find(region);
  if (it == vehicle_rules_.end()) it = vehicle_rules_.find("");
  return it == vehicle_rules_.end() ? nullptr : &it->second;
}

void Budgets::forget_idle(int64_t now) {
  const int64_t today = now / kDayMs;
  // A minute refills any bucket: such a vehicle's meter is a fresh one again, unless it spent
  // tokens today.
  std::erase_if(vehicles_, [&](const auto& entry) {
    const Meter& m = entry.second;
    return now - m.refilled_ms >= kMinuteMs && (m.day != today || m.tokens == 0);
  });
  sweep_at_ = std::max<size_t>(1024, 2 * vehicles_.size());
}

std::optional<OverBudget> Budgets::admit(std::string_view vin, std::string_view region) {
  if (empty()) return std::nullopt;
  const int64_t now = now_();
  std::lock_guard lock(mu_);
  const Rule* vehicle = vehicle_rule(region);
  Meter* vehicle_meter = nullptr;
  if (vehicle != nullptr) {
    if (vehicles_.size() >= sweep_at_) forget_idle(now);
    vehicle_meter = &vehicles_[std::string(vin)];
    if (auto over = check(*vehicle_meter, *vehicle, now, "vehicle", vin)) return over;
  }
  auto r = regions_.find(region);
  if (r != regions_.end()) {
    if (auto over = check(r->second.second, r->second.first, now, "region", region)) return over;
    take(r->second.second, r->second.first);
  }
  if (vehicle_meter != nullptr) take(*vehicle_meter, *vehicle);
  return std::nullopt;
}

std::optional<OverBudget> Budgets::admit_provider(std::string_view provider) {
  if (providers_.empty()) return std::nullopt;
  const int64_t now = now_();
  std::lock_guard lock(mu_);
  auto p = providers_.find(provider);
  if (p == providers_.end()) return std::nullopt;
  if (auto over = check(p->second.second, p->second.first, now, "provider", provider)) return over;
  take(p->second.second, p->second.first);
  return std::nullopt;
}

void Budgets::spend(std::string_view vin, std::string_view region, std::string_view provider, int64_t tokens) {
  if (empty() || tokens <= 0) return;
  const int64_t now = now_();
  std::lock_guard lock(mu_);
  if (const Rule* vehicle = vehicle_rule(region); vehicle != nullptr && vehicle->tokens_per_day > 0) {
    auto [it, fresh] = vehicles_.try_emplace(std::string(vin));
    if (fresh) it->second.refilled_ms = now;  // its requests were taken before it was dropped
    add_tokens(it->second, now, tokens);
  }
  if (auto r = regions_.find(region); r != regions_.end()) add_tokens(r->second.second, now, tokens);
  if (auto p = providers_.find(provider); p != providers_.end()) add_tokens(p->second.second, now, tokens);
}

size_t Budgets::vehicles_tracked() const {
  std::lock_guard lock(mu_);
  return vehicles_.size();
}

}  // namespace fleetgate::assistant
