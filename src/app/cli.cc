#include "fleetgate/app/cli.h"

#include <cstdlib>
#include <iostream>

namespace fleetgate::app {

Result<LoadedConfig> load(const std::string& path) {
  auto cfg = config::load_config(path);
  if (!cfg.is_ok()) return cfg.status();
  auto shared = std::make_shared<const config::Config>(std::move(cfg).value());
  auto policy = residency::Policy::create(shared);
  if (!policy.is_ok()) return policy.status();
  return LoadedConfig{shared, std::make_shared<const residency::Policy>(std::move(policy).value())};
}

std::string cli_actor() {
  const char* user = std::getenv("USER");
  return std::string("cli:") + (user != nullptr && *user != '\0' ? user : "unknown");
}

void fail(const std::string& message, int code) {
  std::cerr << "fleetgate: " << message << "\n";
  throw CLI::RuntimeError(code);
}

}  // namespace fleetgate::app
