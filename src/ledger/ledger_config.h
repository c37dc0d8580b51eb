// The commercial terms settlement applies, loaded from a TOML file (config/ledger.toml):
// partners, features (how their work is metered and their one-time revenue recognised),
// contracts (a partner's share of a feature's revenue, fixed or measured, with floor, cap,
// effective periods and markets), the provider price table and optional per-period currency
// rates. Errors point at "FILE:LINE: KEY: reason" like the main config.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/config.h"
#include "fleetgate/core/result.h"
#include "fleetgate/ledger/period.h"

namespace fleetgate::ledger {

inline constexpr int64_t kPpm = 1'000'000;  // shares are parts per million of a pool

struct Partner {
  std::string id;  // [a-z0-9-], 1-32 chars
  std::string name;
};

// How a feature's work is measured for measured contracts.
enum class Metric {
  kRequests,      // served requests (outcome ok or cancelled)
  kTokens,        // prompt + completion tokens of served requests
  kPricedTokens,  // tokens weighted by the price table in the feature's price_currency
};
std::string_view metric_name(Metric m);

struct Feature {
  std::string id;  // "fsd", "assistant", ...
  Metric metric = Metric::kTokens;
  std::string price_currency;  // required for kPricedTokens
  // One-time purchases are recognised in equal monthly parts over this many months starting
  // with the purchase month (1 = all at once); subscriptions, refunds and corrections at once.
  int recognition_months = 1;
};

struct Contract {
  std::string id;
  std::string partner;
  std::string feature;
  bool measured = false;
  // Fixed: the partner's share of the pool. Measured: the share of the pool that follows the
  // work, multiplied by the fraction of the feature's work served by `providers`.
  int64_t share_ppm = 0;
  int64_t floor_ppm = 0;     // the result is clamped into [floor, cap]
  int64_t cap_ppm = kPpm;
  std::vector<std::string> providers;  // measured: whose traffic counts (default: the partner id)
  std::vector<std::string> markets;    // ISO 3166 codes; empty = every market
  Period effective_from;
  std::optional<Period> effective_to;  // inclusive; none = open-ended

  bool applies(Period period, std::string_view market) const;
};

// Per million tokens, in micro-units of the currency's major unit (1 USD = 1'000'000).
struct Price {
  std::string provider;
  std::string model;
  std::string currency;
  int64_t input_micro = 0;
  int64_t cached_input_micro = 0;
  int64_t output_micro = 0;
};

// Exchange rates for one period: 1 unit of `from` = rate / 10^8 units of `target`.
struct RateTable {
  Period period;
  std::string target;
  std::map<std::string, int64_t> rate_e8;  // by source currency
};

struct LedgerConfig {
  std::string owner;  // the partner that receives whatever the contracts leave of a pool
  std::vector<Partner> partners;
  std::vector<Feature> features;
  std::vector<Contract> contracts;
  std::vector<Price> prices;
  std::vector<RateTable> rates;

  const Feature* feature(std::string_view id) const;
  const Price* price(std::string_view provider, std::string_view model, std::string_view currency) const;
  const RateTable* rates_for(Period period) const;
};

// Validates structure and cross-references (partners, features, currencies, periods).
Result<LedgerConfig> load_ledger_config(const std::filesystem::path& file);
Result<LedgerConfig> parse_ledger_config(std::string_view text, const std::filesystem::path& source_name);

// OK when `ledger` prices every model each provider of `deployment` serves, in the price currency
// of every feature metered by priced tokens. kFailedPrecondition naming every missing price
// otherwise (such usage would settle as unpriced, no work for its provider).
Status check_prices_cover(const LedgerConfig& ledger, const config::Config& deployment);

}  // namespace fleetgate::ledger
