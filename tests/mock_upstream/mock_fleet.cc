#include "mock_upstream/mock_fleet.h"

namespace fleetgate::mock {

std::string fleet_config_toml(const std::vector<ProviderSpec>& providers,
                              const std::map<std::string, std::vector<std::string>>& chains,
                              const std::map<std::string, std::string>& endpoints) {
  auto quoted_list = [](const std::vector<std::string>& items) {
    std::string s = "[";
    for (size_t i = 0; i < items.size(); ++i) s += (i ? ", \"" : "\"") + items[i] + "\"";
    return s + "]";
  };
  std::string t = "[markets]\nCN = \"cn\"\nUS = \"us\"\nDE = \"eu\"\n\n";
  for (const char* region : {"cn", "us", "eu"}) {
    auto it = chains.find(region);
    t += "[[regions]]\nid = \"" + std::string(region) + "\"\nname = \"" + region + "\"\nchain = " +
         quoted_list(it == chains.end() ? std::vector<std::string>{} : it->second) + "\n";
    if (auto e = endpoints.find(region); e != endpoints.end()) t += "endpoint = \"" + e->second + "\"\n";
    t += "\n";
  }
  for (const ProviderSpec& p : providers) {
    t += "[[providers]]\nid = \"" + p.id + "\"\nlocation = \"" + p.location + "\"\nmodels = " + quoted_list(p.models) +
         "\nmax_retries = " + std::to_string(p.max_retries) + "\nfirst_byte_timeout_ms = " +
         std::to_string(p.first_byte_timeout_ms) + "\n";
    if (!p.developer_jurisdiction.empty()) t += "developer_jurisdiction = \"" + p.developer_jurisdiction + "\"\n";
    if (p.base_url.empty()) {
      t += "kind = \"onboard\"\n\n";
    } else {
      t += "kind = \"openai-compatible\"\nbase_url = \"" + p.base_url + "\"\n";
      if (!p.api_key_env.empty()) t += "api_key_env = \"" + p.api_key_env + "\"\n";
      if (!p.ca_file.empty()) t += "ca_file = \"" + p.ca_file + "\"\n";
      t += "\n";
    }
  }
  return t;
}

Result<std::shared_ptr<const residency::Policy>> fleet_policy(const std::string& toml) {
  auto cfg = config::parse_config(toml, "mock-fleet.toml");
  if (!cfg) return cfg.status();
  auto policy = residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value()));
  if (!policy) return policy.status();
  return std::shared_ptr<const residency::Policy>(
      std::make_shared<const residency::Policy>(std::move(policy).value()));
}

}  // namespace fleetgate::mock
