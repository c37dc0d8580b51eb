#include "fleetgate/residency/policy.h"

#include <algorithm>

namespace fleetgate::residency {

std::string_view to_string(DataClass c) {
  switch (c) {
    case DataClass::kPersonalTelemetry: return "personal.telemetry";
    case DataClass::kPersonalConversation: return "personal.conversation";
    case DataClass::kDesensitised: return "desensitised";
    case DataClass::kModelWeights: return "model.weights";
    case DataClass::kBusinessUsage: return "business.usage";
    case DataClass::kAudit: return "audit";
  }
  return "unknown";
}

Result<DataClass> parse_data_class(std::string_view s) {
  for (DataClass c : kAllDataClasses) {
    if (to_string(c) == s) return c;
  }
  return invalid_argument("unknown data class '" + std::string(s) +
                          "' (expected personal.telemetry, personal.conversation, desensitised, "
                          "model.weights, business.usage or audit)");
}

Result<Policy> Policy::create(std::shared_ptr<const config::Config> shared) {
  Policy policy(shared);
  const config::Config& cfg = *shared;
  for (const auto& region : cfg.regions) {
    for (const auto& entry : region.chain) {
      const config::Provider* p = cfg.provider(entry.provider_id);
      if (p == nullptr) return invalid_argument(entry.where.describe() + ": unknown provider '" + entry.provider_id + "'");
      Decision d = policy.decide(DataClass::kPersonalConversation, region.id, p->location);
      if (!d.allowed) {
        return permission_denied(entry.where.describe() + ": provider '" + p->id + "' may not serve region '" +
                                 region.id + "': " + d.reason);
      }
    }
  }
  for (const auto& rule : cfg.prohibited_origins) {
    for (const auto& market : rule.markets) {
      const config::Region* region = cfg.region_for_market(market);
      const Car covered{region->id, market, rule.from_model_year};
      if (policy.permitted_chain(covered).empty()) {
        return failed_precondition(rule.where.describe() + ": cars of market " + market + " from model year " +
                                   std::to_string(rule.from_model_year) + " would have no assistant provider left: " +
                                   "every provider of region '" + region->id + "''s chain is of a prohibited origin (" +
                                   rule.reference + ")");
      }
    }
  }
  return policy;
}

Decision Policy::decide(DataClass data_class, std::string_view home, std::string_view destination,
                        Channel channel) const {
  const std::string cls(to_string(data_class));
  const std::string from(home);
  const std::string to(destination);
  if (!known_region(home)) return {false, "unknown home region '" + from + "'"};
  if (destination == config::kVehicleLocation) {
    // The vehicle is the data subject's own car, living in its home region.
    return {true, cls + " may return to the vehicle it belongs to"};
  }
  if (!known_region(destination)) return {false, "unknown destination region '" + to + "'"};
  if (home == destination) return {true, cls + " stays in its home region '" + from + "'"};

  const std::string crossing = cls + " homed in '" + from + "' may not leave for '" + to + "'";
  switch (data_class) {
    case DataClass::kPersonalTelemetry:
      return {false, crossing + ": raw personal telemetry never leaves its region; export it as "
                                "desensitised through an approved transfer"};
    case DataClass::kPersonalConversation:
      return {false, crossing + ": conversations go only to providers located in the vehicle's region"};
    case DataClass::kDesensitised:
    case DataClass::kModelWeights:
      if (channel == Channel::kApprovedTransfer) return {true, cls + " crosses from '" + from + "' to '" + to + "' under an approved transfer"};
      return {false, crossing + " except through an approved transfer"};
    case DataClass::kBusinessUsage:
      return {true, "business usage aggregates may cross regions"};
    case DataClass::kAudit:
      if (channel == Channel::kReadOnlyReplica) return {true, "the audit chain is replicated read-only for auditors"};
      return {false, crossing + " except as a read-only replica"};
  }
  return {false, "unknown data class"};
}

Decision Policy::decide_provider(const Car& car, const config::Provider& provider) const {
  Decision located = decide(DataClass::kPersonalConversation, car.region, provider.location);
  if (!located.allowed) return located;
  for (const auto& rule : cfg_->prohibited_origins) {
    if (std::find(rule.markets.begin(), rule.markets.end(), car.market) == rule.markets.end()) continue;
    if (car.model_year && *car.model_year < rule.from_model_year) continue;
    if (std::find(rule.origins.begin(), rule.origins.end(), provider.developer_jurisdiction) == rule.origins.end()) continue;
    const std::string year = car.model_year ? "model year " + std::to_string(*car.model_year)
                                            : "unknown model year (counted as covered)";
    return {false, "provider '" + provider.id + "' is developed in " + provider.developer_jurisdiction + ", an origin " +
                       rule.reference + " prohibits for cars of market " + car.market + " from model year " +
                       std::to_string(rule.from_model_year) + " (this car: " + year + ")"};
  }
  return located;
}

std::vector<const config::Provider*> Policy::permitted_chain(const Car& car) const {
  std::vector<const config::Provider*> out;
  for (const config::Provider* p : permitted_chain(car.region)) {
    if (decide_provider(car, *p).allowed) out.push_back(p);
  }
  return out;
}

std::vector<const config::Provider*> Policy::permitted_chain(std::string_view region) const {
  std::vector<const config::Provider*> out;
  const config::Region* r = cfg_->region(region);
  if (r == nullptr) return out;
  for (const auto& entry : r->chain) {
    const config::Provider* p = cfg_->provider(entry.provider_id);
    if (p != nullptr && decide(DataClass::kPersonalConversation, region, p->location).allowed) out.push_back(p);
  }
  return out;
}

}  // namespace fleetgate::residency
