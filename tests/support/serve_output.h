// Test support: reading what `fleetgate serve` prints, for tests that run the real binary.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fleetgate::testing {

// The port of serve's "fleetgate listening on SCHEME://HOST:PORT (N regions)" line in `output`,
// or nullopt until that whole line is there. Other lines (the HTTP layer's own "listening on
// HOST:PORT", timestamps with colons) never match.
inline std::optional<uint16_t> serve_port(std::string_view output) {
  const size_t at = output.find("fleetgate listening on ");
  if (at == std::string_view::npos) return std::nullopt;
  const size_t end = output.find('\n', at);
  if (end == std::string_view::npos) return std::nullopt;
  const std::string_view line = output.substr(at, end - at);
  const size_t scheme = line.find("://");
  const size_t space = line.find(' ', scheme == std::string_view::npos ? line.size() : scheme);
  if (scheme == std::string_view::npos || space == std::string_view::npos) return std::nullopt;
  const size_t colon = line.rfind(':', space);
  if (colon == std::string_view::npos || colon <= scheme) return std::nullopt;
  unsigned port = 0;
  const auto [ptr, ec] = std::from_chars(line.data() + colon + 1, line.data() + space, port);
  if (ec != std::errc() || ptr != line.data() + space || port == 0 || port > 65535) return std::nullopt;
  return static_cast<uint16_t>(port);
}

}  // namespace fleetgate::testing
