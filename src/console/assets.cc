#include "fleetgate/console/assets.h"

namespace fleetgate::console {

const Asset* find_asset(std::string_view path) {
  for (const Asset& a : console_assets()) {
    if (a.path == path) return &a;
  }
  return nullptr;
}

}  // namespace fleetgate::console
