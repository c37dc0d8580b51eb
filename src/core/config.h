// Typed fleetgate configuration loaded from TOML. load_config() validates structure and
// cross-references (regions, markets, providers, chains) and reports the first problem as
// "FILE:LINE: KEY: reason". Residency of provider chains is checked by residency::Policy.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::config {

// Where a value came from, for error messages that point at the file.
struct SourceRef {
  std::string file;
  uint32_t line = 0;
  std::string key;  // dotted path, e.g. "regions[1].chain[0]"
  std::string describe() const;  // "FILE:LINE: KEY"
};

struct ServerOptions {
  std::string listen_address = "127.0.0.1";
  uint16_t port = 8080;
  int threads = 2;                        // I/O threads of the HTTP server
  size_t max_body_bytes = 1 << 20;        // larger request bodies get 413
  std::filesystem::path data_dir = "data";  // root of embedded stores; regions default below it
};

enum class ProviderKind { kOpenAICompatible, kOnboard };

// A location that is not a region: the vehicle itself (the on-board engine runs there).
inline constexpr std::string_view kVehicleLocation = "vehicle";

// True for a market code as config and ledger use them: ISO 3166 alpha-2, two capital letters.
bool is_market_code(std::string_view s);

struct Timeouts {
  uint32_t connect_ms = 2000;
  uint32_t first_byte_ms = 15000;
  uint32_t total_ms = 120000;
};

struct Provider {
  std::string id;
  ProviderKind kind = ProviderKind::kOpenAICompatible;
  std::string base_url;     // e.g. https://api.deepseek.com (empty for onboard)
  std::string api_key_env;  // name of the environment variable holding the key
  std::string location;     // region id where the provider processes data, or "vehicle"
  std::vector<std::string> models;
  Timeouts timeouts;
  uint32_t max_retries = 2;
  SourceRef where;
};

struct ChainEntry {
  std::string provider_id;
  SourceRef where;
};

struct Region {
  std::string id;    // short, lowercase: "cn", "us", "eu"
  std::string name;  // human-readable
  std::filesystem::path data_dir;
  std::vector<ChainEntry> chain;  // ordered assistant providers, first preferred
  // Telemetry older than this many days is deleted by compaction; nullopt keeps it forever.
  std::optional<uint32_t> retention_days;
  SourceRef where;
};

struct Config {
  std::filesystem::path source;
  ServerOptions server;
  std::vector<Region> regions;
  std::map<std::string, std::string> markets;  // ISO 3166 alpha-2 -> region id
  std::vector<Provider> providers;

  const Region* region(std::string_view id) const;
  const Provider* provider(std::string_view id) const;
  // The region a market belongs to, or nullptr when the market is not configured.
  const Region* region_for_market(std::string_view market) const;
};

// Parses and validates a config file. Relative data dirs resolve against the file's folder.
Result<Config> load_config(const std::filesystem::path& file);
// Same, from text; `source_name` names the origin in errors and anchors relative paths.
Result<Config> parse_config(std::string_view text, const std::filesystem::path& source_name);

}  // namespace fleetgate::config
