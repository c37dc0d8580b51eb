// The residency policy: the one place that decides whether data of a class, homed in a region,
// may reach a destination. Every path that moves a prompt, a record or a model across a region
// boundary asks Policy::decide and carries the reason of a Deny into its error and audit entry.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"

namespace fleetgate::residency {

enum class DataClass {
  kPersonalTelemetry,     // VIN, GPS trace, speed, cabin events
  kPersonalConversation,  // assistant prompts and answers
  kDesensitised,          // pseudonymised, coarsened records
  kModelWeights,          // trained parameters
  kBusinessUsage,         // token counts, settlement aggregates
  kAudit,                 // audit chain
};

inline constexpr DataClass kAllDataClasses[] = {
    DataClass::kPersonalTelemetry, DataClass::kPersonalConversation, DataClass::kDesensitised,
    DataClass::kModelWeights,      DataClass::kBusinessUsage,        DataClass::kAudit};

// "personal.telemetry", "personal.conversation", "desensitised", "model.weights",
// "business.usage", "audit".
std::string_view to_string(DataClass c);
Result<DataClass> parse_data_class(std::string_view s);

// How the data would travel. Crossing a border is only ever possible through an approved
// transfer (transfer module) or, for the audit chain, as a read-only replica.
enum class Channel { kDirect, kApprovedTransfer, kReadOnlyReplica };

struct Decision {
  bool allowed = false;
  std::string reason;  // why, for errors and the audit chain (also set when allowed)
};

// The vehicle a conversation comes from, as the rules on providers see it: its home region, the
// market it is registered in, and its model year (nullopt when its VIN does not tell).
struct Car {
  std::string region;
  std::string market = {};  // ISO 3166 alpha-2; no market rule applies to ""
  std::optional<int> model_year = {};
};

class Policy {
 public:
  // Builds the policy from a loaded config and checks that every region's provider chain
  // names only providers the region may send conversations to, and that the cars every
  // prohibited-origin rule covers keep at least one provider; the error names file and line.
  static Result<Policy> create(std::shared_ptr<const config::Config> cfg);

  // May data of `data_class` whose home is `home_region` reach `destination` (a region id or
  // config::kVehicleLocation) over `channel`? Unknown regions are always denied.
  Decision decide(DataClass data_class, std::string_view home_region, std::string_view destination,
                  Channel channel = Channel::kDirect) const;

  // The providers of `region`'s chain that conversations homed there may reach, in order.
  std::vector<const config::Provider*> permitted_chain(std::string_view region) const;

  // May `car`'s conversations reach `provider`? Its location must be allowed (decide), and no
  // [[compliance.prohibited_origins]] rule of the car's market may cover the car's model year and
  // the provider's developer_jurisdiction. A car of a market with such a rule whose model year is
  // unknown counts as covered (fail closed). The reason names the rule's reference.
  Decision decide_provider(const Car& car, const config::Provider& provider) const;

  // The providers of the car's region chain that decide_provider allows, in order.
  std::vector<const config::Provider*> permitted_chain(const Car& car) const;

  const config::Config& config() const { return *cfg_; }
  const std::shared_ptr<const config::Config>& shared_config() const { return cfg_; }

 private:
  explicit Policy(std::shared_ptr<const config::Config> cfg) : cfg_(std::move(cfg)) {}
  bool known_region(std::string_view id) const { return cfg_->region(id) != nullptr; }

  std::shared_ptr<const config::Config> cfg_;
};

}  // namespace fleetgate::residency
