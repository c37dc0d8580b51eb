// For tests: an in-memory keyring whose key bytes are all `fill`, holding data keys 1..`newest`
// with `newest` active, so tests need no files and can build known-answer vectors.
#pragma once

#include <memory>
#include <string>

#include "fleetgate/privacy/keyring.h"

namespace fleetgate::privacy {

inline std::shared_ptr<const RegionKeys> fixed_keys(std::string region, uint8_t fill, uint32_t newest = 1) {
  RegionKeys::Key k{};
  k.fill(fill);
  std::map<uint32_t, RegionKeys::Key> ring;
  for (uint32_t id = 1; id <= newest; ++id) {
    RegionKeys::Key data = k;
    data[0] = static_cast<uint8_t>(data[0] ^ id);
    ring.emplace(id, data);
  }
  return std::make_shared<const RegionKeys>(std::move(region), k, newest, std::move(ring));
}

}  // namespace fleetgate::privacy
