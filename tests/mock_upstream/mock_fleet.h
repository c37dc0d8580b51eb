// Test configs for router tests: a fleetgate config with regions cn, us and eu (markets CN, US,
// DE) whose provider chains point at mock upstreams, and the residency policy built from it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/residency/policy.h"

namespace fleetgate::mock {

struct ProviderSpec {
  std::string id;
  std::string location;     // region id, or "vehicle" for an onboard provider
  std::string base_url;     // empty for an onboard provider
  std::string api_key_env;  // may be empty
  std::vector<std::string> models = {"mock-model"};
  uint32_t max_retries = 1;
  uint32_t first_byte_timeout_ms = 5000;
  std::string ca_file = {};  // PEM CA trusted for an https base_url besides the system store
  std::string developer_jurisdiction = {};  // ISO 3166 alpha-2; empty: not declared
};

// TOML text of the config; `chains` maps region id to provider ids, first preferred;
// `endpoints` region id to its public endpoint, when it has one.
std::string fleet_config_toml(const std::vector<ProviderSpec>& providers,
                              const std::map<std::string, std::vector<std::string>>& chains,
                              const std::map<std::string, std::string>& endpoints = {});

// Parses the config text and builds its policy (fails as Policy::create does, e.g. when a chain
// names a provider located outside its region).
Result<std::shared_ptr<const residency::Policy>> fleet_policy(const std::string& toml);

}  // namespace fleetgate::mock
