#include "fleetgate/app/deployment_check.h"

#include "fleetgate/assistant/tool_classifier.h"
#include "fleetgate/ledger/ledger_config.h"

namespace fleetgate::app {

Result<std::optional<std::filesystem::path>> check_deployment(const LoadedConfig& loaded) {
  const config::Config& c = *loaded.config;
  if (auto pins = assistant::tool_pins(c); !pins.is_ok()) return pins.status();
  // serve settles with the terms beside the config: every model it may bill needs a price.
  const std::filesystem::path terms = c.source.parent_path() / "ledger.toml";
  if (!std::filesystem::exists(terms)) return std::optional<std::filesystem::path>();
  auto ledger = ledger::load_ledger_config(terms);
  if (!ledger.is_ok()) return ledger.status();
  if (Status s = ledger::check_prices_cover(*ledger, c); !s.is_ok()) {
    return Status(s.code(), terms.string() + ": " + s.message());
  }
  return std::optional<std::filesystem::path>(terms);
}

}  // namespace fleetgate::app
