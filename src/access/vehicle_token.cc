#include "fleetgate/access/vehicle_token.h"

#include <algorithm>

#include "fleetgate/core/digest.h"

namespace fleetgate::access {
namespace {

constexpr std::string_view kPrefix = "fgv_";
constexpr size_t kRandomBytes = 32;
constexpr size_t kRandomChars = 43;  // base64url of 32 bytes, unpadded
constexpr size_t kMaxRegionChars = 16;

bool is_region_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }

}  // namespace

std::string mint_vehicle_token(std::string_view region) {
  return std::string(kPrefix) + std::string(region) + "_" + random_token(kRandomBytes);
}

std::optional<std::string_view> vehicle_token_region(std::string_view token) {
  if (!token.starts_with(kPrefix)) return std::nullopt;
  token.remove_prefix(kPrefix.size());
  if (token.size() <= kRandomChars + 1) return std::nullopt;
  const std::string_view region = token.substr(0, token.size() - kRandomChars - 1);
  if (token[region.size()] != '_' || region.size() > kMaxRegionChars ||
      !std::all_of(region.begin(), region.end(), is_region_char)) {
    return std::nullopt;
  }
  return region;
}

}  // namespace fleetgate::access
