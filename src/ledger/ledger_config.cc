#include "fleetgate/ledger/ledger_config.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "fleetgate/core/money.h"
#include "fleetgate/core/toml_fields.h"

namespace fleetgate::ledger {
namespace {

using namespace config::toml_fields;

bool is_partner_id(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// "50%", "12.5%", "0.0001%" -> parts per million.
int64_t as_percent_ppm(const TomlValue& v, const std::string& key) {
  const std::string text = as_string(v, key);
  auto ppm = text.size() > 1 && text.back() == '%' ? money::parse_scaled(text.substr(0, text.size() - 1), 4)
                                                   : Result<int64_t>(invalid_argument("missing '%'"));
  if (!ppm.is_ok() || *ppm < 0 || *ppm > kPpm) fail(ref_of(v, key), "expected a percentage from \"0%\" to \"100%\"");
  return *ppm;
}

std::string as_currency(const TomlValue& v, const std::string& key) {
  std::string c = as_string(v, key);
  if (auto d = money::minor_digits(c); !d.is_ok()) fail(ref_of(v, key), d.status().message());
  return c;
}

Period as_period(const TomlValue& v, const std::string& key) {
  auto p = Period::parse(as_string(v, key));
  if (!p.is_ok()) fail(ref_of(v, key), p.status().message());
  return *p;
}

int64_t as_decimal(const TomlValue& v, const std::string& key, int scale) {
  auto d = money::parse_scaled(as_string(v, key), scale);
  if (!d.is_ok() || *d < 0) fail(ref_of(v, key), "expected a non-negative decimal string with at most " +
                                                       std::to_string(scale) + " decimal places");
  return *d;
}

std::vector<std::string> as_strings(const TomlValue& v, const std::string& key) {
  std::vector<std::string> out;
  const auto& list = as_array(v, key);
  for (size_t i = 0; i < list.size(); ++i) out.push_back(as_nonempty_string(list[i], key + "[" + std::to_string(i) + "]"));
  return out;
}

template <typename T, typename Parse>
std::vector<T> parse_list(const TomlValue& root, const std::string& name, Parse parse) {
  std::vector<T> out;
  if (const TomlValue* v = optional_field(root, name)) {
    const auto& list = as_array(*v, name);
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string key = name + "[" + std::to_string(i) + "]";
      as_table(list[i], key);
      out.push_back(parse(list[i], key));
    }
  }
  return out;
}

Partner parse_partner(const TomlValue& t, const std::string& key) {
  reject_unknown_keys(t, key, {"id", "name"});
  Partner p;
  const TomlValue& id = required_field(t, key, "id");
  p.id = as_string(id, key + ".id");
  if (!is_partner_id(p.id)) fail(ref_of(id, key + ".id"), "partner id '" + p.id + "' must be 1-32 of [a-z0-9-]");
  p.name = p.id;
  if (auto* v = optional_field(t, "name")) p.name = as_nonempty_string(*v, key + ".name");
  return p;
}

Feature parse_feature(const TomlValue& t, const std::string& key) {
  reject_unknown_keys(t, key, {"id", "metric", "price_currency", "recognition_months"});
  Feature f;
  f.id = as_nonempty_string(required_field(t, key, "id"), key + ".id");
  if (auto* v = optional_field(t, "metric")) {
    const std::string m = as_string(*v, key + ".metric");
    if (m == "requests") f.metric = Metric::kRequests;
    else if (m == "tokens") f.metric = Metric::kTokens;
    else if (m == "priced_tokens") f.metric = Metric::kPricedTokens;
    else fail(ref_of(*v, key + ".metric"), "unknown metric '" + m + "' (expected requests, tokens or priced_tokens)");
  }
  if (auto* v = optional_field(t, "price_currency")) f.price_currency = as_currency(*v, key + ".price_currency");
  if (f.metric == Metric::kPricedTokens && f.price_currency.empty()) {
    fail(ref_of(t, key), "metric priced_tokens needs price_currency");
  }
  if (auto* v = optional_field(t, "recognition_months")) {
    f.recognition_months = static_cast<int>(as_int_in(*v, key + ".recognition_months", 1, 120));
  }
  return f;
}

Contract parse_contract(const TomlValue& t, const std::string& key) {
  reject_unknown_keys(t, key, {"id", "partner", "feature", "basis", "share", "floor", "cap", "providers", "markets",
                               "effective_from", "effective_to"});
  Contract c;
  c.id = as_nonempty_string(required_field(t, key, "id"), key + ".id");
  c.partner = as_nonempty_string(required_field(t, key, "partner"), key + ".partner");
  c.feature = as_nonempty_string(required_field(t, key, "feature"), key + ".feature");
  const TomlValue& basis = required_field(t, key, "basis");
  const std::string b = as_string(basis, key + ".basis");
  if (b != "fixed" && b != "measured") fail(ref_of(basis, key + ".basis"), "basis must be \"fixed\" or \"measured\"");
  c.measured = b == "measured";
  c.share_ppm = as_percent_ppm(required_field(t, key, "share"), key + ".share");
  if (auto* v = optional_field(t, "floor")) c.floor_ppm = as_percent_ppm(*v, key + ".floor");
  if (auto* v = optional_field(t, "cap")) c.cap_ppm = as_percent_ppm(*v, key + ".cap");
  if (c.floor_ppm > c.cap_ppm) fail(ref_of(t, key), "floor is above cap");
  if (auto* v = optional_field(t, "providers")) {
    if (!c.measured) fail(ref_of(*v, key + ".providers"), "providers only apply to a measured basis");
    c.providers = as_strings(*v, key + ".providers");
  } else if (c.measured) {
    c.providers = {c.partner};
  }
  if (auto* v = optional_field(t, "markets")) {
    c.markets = as_strings(*v, key + ".markets");
    for (const auto& m : c.markets) {
      if (!config::is_market_code(m)) fail(ref_of(*v, key + ".markets"), "market '" + m + "' is not an ISO 3166 alpha-2 code");
    }
  }
  c.effective_from = as_period(required_field(t, key, "effective_from"), key + ".effective_from");
  if (auto* v = optional_field(t, "effective_to")) {
    c.effective_to = as_period(*v, key + ".effective_to");
    if (*c.effective_to < c.effective_from) fail(ref_of(*v, key + ".effective_to"), "ends before effective_from");
  }
  return c;
}

Price parse_price(const TomlValue& t, const std::string& key) {
  reject_unknown_keys(t, key, {"provider", "model", "currency", "input", "cached_input", "output"});
  Price p;
  p.provider = as_nonempty_string(required_field(t, key, "provider"), key + ".provider");
  p.model = as_nonempty_string(required_field(t, key, "model"), key + ".model");
  p.currency = as_currency(required_field(t, key, "currency"), key + ".currency");
  p.input_micro = as_decimal(required_field(t, key, "input"), key + ".input", 6);
  p.output_micro = as_decimal(required_field(t, key, "output"), key + ".output", 6);
  p.cached_input_micro = p.input_micro;
  if (auto* v = optional_field(t, "cached_input")) p.cached_input_micro = as_decimal(*v, key + ".cached_input", 6);
  return p;
}

RateTable parse_rates(const TomlValue& t, const std::string& key) {
  RateTable r;
  r.period = as_period(required_field(t, key, "period"), key + ".period");
  r.target = as_currency(required_field(t, key, "target"), key + ".target");
  for (const auto& [k, v] : t.as_table()) {
    if (k == "period" || k == "target") continue;
    if (auto d = money::minor_digits(k); !d.is_ok()) fail(ref_of(v, key + "." + k), "unknown key or currency");
    if (k == r.target) fail(ref_of(v, key + "." + k), "the target currency needs no rate");
    const int64_t rate = as_decimal(v, key + "." + k, 8);
    if (rate == 0) fail(ref_of(v, key + "." + k), "a rate must be positive");
    r.rate_e8.emplace(k, rate);
  }
  return r;
}

template <typename T, typename Id>
void reject_duplicates(const TomlValue& root, const std::string& name, const std::vector<T>& items, Id id) {
  std::set<std::string> seen;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!seen.insert(id(items[i])).second) {
      const std::string key = name + "[" + std::to_string(i) + "]";
      fail(ref_of(root.as_table().at(name).as_array()[i], key), "duplicate " + id(items[i]));
    }
  }
}

LedgerConfig parse_document(const TomlValue& root) {
  reject_unknown_keys(root, "", {"owner", "partners", "features", "contracts", "prices", "rates"});
  LedgerConfig c;
  c.partners = parse_list<Partner>(root, "partners", parse_partner);
  c.features = parse_list<Feature>(root, "features", parse_feature);
  c.contracts = parse_list<Contract>(root, "contracts", parse_contract);
  c.prices = parse_list<Price>(root, "prices", parse_price);
  c.rates = parse_list<RateTable>(root, "rates", parse_rates);
  reject_duplicates(root, "partners", c.partners, [](const Partner& p) { return "partner '" + p.id + "'"; });
  reject_duplicates(root, "features", c.features, [](const Feature& f) { return "feature '" + f.id + "'"; });
  reject_duplicates(root, "contracts", c.contracts, [](const Contract& k) { return "contract '" + k.id + "'"; });
  reject_duplicates(root, "prices", c.prices, [](const Price& p) {
    return "price for " + p.provider + "/" + p.model + " in " + p.currency;
  });
  reject_duplicates(root, "rates", c.rates, [](const RateTable& r) { return "rate table for " + r.period.to_string(); });

  const TomlValue& owner = required_field(root, "", "owner");
  c.owner = as_string(owner, "owner");
  const auto is_partner = [&](std::string_view id) {
    return std::any_of(c.partners.begin(), c.partners.end(), [&](const Partner& p) { return p.id == id; });
  };
  if (!is_partner(c.owner)) fail(ref_of(owner, "owner"), "unknown partner '" + c.owner + "'");
  const auto& contract_list = c.contracts.empty() ? toml::array{} : root.as_table().at("contracts").as_array();
  for (size_t i = 0; i < c.contracts.size(); ++i) {
    const Contract& k = c.contracts[i];
    const std::string key = "contracts[" + std::to_string(i) + "]";
    if (!is_partner(k.partner)) fail(ref_of(contract_list[i], key + ".partner"), "unknown partner '" + k.partner + "'");
    if (k.partner == c.owner) {
      fail(ref_of(contract_list[i], key + ".partner"), "the owner receives the remainder of every pool and has no contracts");
    }
    if (c.feature(k.feature) == nullptr) fail(ref_of(contract_list[i], key + ".feature"), "unknown feature '" + k.feature + "'");
  }
  return c;
}

}  // namespace

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::kRequests: return "requests";
    case Metric::kTokens: return "tokens";
    case Metric::kPricedTokens: return "priced_tokens";
  }
  return "unknown";
}

bool Contract::applies(Period period, std::string_view market) const {
  if (period < effective_from || (effective_to && *effective_to < period)) return false;
  return markets.empty() || std::find(markets.begin(), markets.end(), market) != markets.end();
}

const Feature* LedgerConfig::feature(std::string_view id) const {
  for (const auto& f : features) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

const Price* LedgerConfig::price(std::string_view provider, std::string_view model, std::string_view currency) const {
  for (const auto& p : prices) {
    if (p.provider == provider && p.model == model && p.currency == currency) return &p;
  }
  return nullptr;
}

const RateTable* LedgerConfig::rates_for(Period period) const {
  for (const auto& r : rates) {
    if (r.period == period) return &r;
  }
  return nullptr;
}

Status check_prices_cover(const LedgerConfig& ledger, const config::Config& deployment) {
  std::set<std::string> currencies;
  for (const auto& f : ledger.features) {
    if (f.metric == Metric::kPricedTokens) currencies.insert(f.price_currency);
  }
  std::string missing;
  for (const auto& currency : currencies) {
    for (const auto& p : deployment.providers) {
      for (const auto& model : p.models) {
        if (ledger.price(p.id, model, currency) == nullptr) {
          missing += (missing.empty() ? "" : ", ") + p.id + "/" + model + " in " + currency;
        }
      }
    }
  }
  if (missing.empty()) return Status::ok();
  return failed_precondition("the ledger has no price for served models: " + missing);
}

Result<LedgerConfig> parse_ledger_config(std::string_view text, const std::filesystem::path& source_name) {
  std::istringstream in{std::string(text)};
  LedgerConfig c;
  Status s = config::toml_fields::parse_toml(in, source_name, [&](const TomlValue& root) { c = parse_document(root); });
  if (!s.is_ok()) return s;
  return c;
}

Result<LedgerConfig> load_ledger_config(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return not_found(file.string() + ": cannot open ledger config file");
  std::stringstream text;
  text << in.rdbuf();
  return parse_ledger_config(text.str(), file);
}

}  // namespace fleetgate::ledger
