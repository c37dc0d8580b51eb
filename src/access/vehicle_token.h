// The text of a vehicle bearer token: "fgv_<region>_<random>", <random> being 32 CSPRNG bytes in
// base64url (43 characters), so a car's token names its home region and any node can tell where
// it belongs without a lookup. Tokens minted before, "fgv_<random>", still authenticate (the
// credential store finds every token by its digest) but name no region.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace fleetgate::access {

// A fresh token of a vehicle homed in `region` (a config region id: [a-z0-9-], 1-16 characters).
std::string mint_vehicle_token(std::string_view region);

// The region a vehicle token names; nullopt for an old-format vehicle token, a user token and
// anything else. The length of the random part tells the two vehicle formats apart: an old
// token's random part may hold '_' but is never longer than 43 characters after the prefix.
std::optional<std::string_view> vehicle_token_region(std::string_view token);

}  // namespace fleetgate::access
