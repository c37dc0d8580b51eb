// What a configuration must pass beyond load() before anything serves it: `config check` runs it,
// and so does a reload (SIGHUP) before it replaces the configuration in use.
#pragma once

#include <filesystem>
#include <optional>

#include "fleetgate/app/cli.h"
#include "fleetgate/core/result.h"

namespace fleetgate::app {

// The assistant's tool pins resolve, and the ledger terms beside the config (ledger.toml), when
// present, parse and price every model a served provider may bill. Returns the terms' path when
// it checked them; kInvalidArgument naming the file and the problem otherwise.
Result<std::optional<std::filesystem::path>> check_deployment(const LoadedConfig& loaded);

}  // namespace fleetgate::app
