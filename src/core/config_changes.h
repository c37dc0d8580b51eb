// What changed between two versions of a TOML file (a config, ledger terms), as short lines for
// the log of a reload: "markets.DE: \"eu\" -> \"us\"", "providers deepseek changed",
// "regions ap added". Arrays of tables are matched by their "id" key; tables key by key, one
// level down; anything else is named as changed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::config {

// kInvalidArgument when either text is not TOML (the reload refuses it before this).
Result<std::vector<std::string>> toml_changes(std::string_view before, std::string_view after);

}  // namespace fleetgate::config
