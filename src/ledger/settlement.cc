#include "fleetgate/ledger/settlement.h"

#include <algorithm>
#include <boost/json.hpp>
#include <set>

#include "fleetgate/core/csv_text.h"
#include "fleetgate/core/money.h"
#include "fleetgate/ledger/allocation.h"

namespace fleetgate::ledger {
namespace {

namespace json = boost::json;

struct PoolKey {
  std::string feature;
  std::string market;
  std::string currency;
  std::optional<Period> adjusts;
  auto operator<=>(const PoolKey&) const = default;
};

struct Party {
  std::string partner;
  Wide numerator = 0;
  std::vector<std::string> contracts;
  std::set<std::string> providers;  // whose work counted for this party (measured contracts)
  Wide work = 0;
};

struct Pool {
  std::map<std::string, int64_t> by_currency;  // revenue before conversion, by source currency
  std::vector<std::pair<LineKey, LineTotals>> lines;
  int64_t amount = 0;  // in the pool currency
  Metric metric = Metric::kTokens;
  Wide total_work = 0;
  Wide denominator = 0;
  std::vector<Party> parties;  // sorted by partner id; the owner is one of them
  std::vector<int64_t> shares;
};

Result<int64_t> convert(int64_t amount, const std::string& from, const RateTable& rates) {
  if (from == rates.target) return amount;
  auto it = rates.rate_e8.find(from);
  if (it == rates.rate_e8.end()) {
    return failed_precondition("the rate table of " + rates.period.to_string() + " has no rate for " + from + " to " +
                               rates.target);
  }
  // amount * rate / 10^8, rescaled from the source's minor digits to the target's, half away from zero.
  __int128 num = static_cast<__int128>(amount) * it->second;
  __int128 den = 100'000'000;
  const int shift = *money::minor_digits(rates.target) - *money::minor_digits(from);
  for (int i = 0; i < shift; ++i) num *= 10;
  for (int i = 0; i > shift; --i) den *= 10;
  const __int128 magnitude = (num < 0 ? -num : num) * 2 + den;
  const __int128 rounded = magnitude / (2 * den);
  if (rounded > INT64_MAX) return invalid_argument("currency conversion overflows");
  return static_cast<int64_t>(num < 0 ? -rounded : rounded);
}

// Weights of every party of `pool` under the contracts of `as_of` and the usage of that period.
Status weigh(const PoolKey& key, Pool& pool, Period as_of, const UsageSummary& usage, const LedgerConfig& config) {
  const Feature& feature = *config.feature(key.feature);
  pool.metric = feature.metric;
  std::vector<const Contract*> contracts;
  for (const auto& c : config.contracts) {
    if (c.feature == key.feature && c.applies(as_of, key.market)) contracts.push_back(&c);
  }
  std::map<std::string, Wide> work_by_provider;
  const bool any_measured = std::any_of(contracts.begin(), contracts.end(), [](const Contract* c) { return c->measured; });
  if (any_measured) {
    for (auto it = usage.lower_bound(UsageKey{key.feature, key.market, "", "", ""});
         it != usage.end() && it->first.feature == key.feature && it->first.market == key.market; ++it) {
      const Wide w = work_of(it->first, it->second, feature, config);
      work_by_provider[it->first.provider] += w;
      pool.total_work += w;
    }
  }
  // No metered work at all: measured partners served none of it (W = 1, their work 0).
  const Wide W = pool.total_work == 0 ? 1 : pool.total_work;
  std::map<std::string, Party> parties;
  parties[config.owner].partner = config.owner;
  Wide allotted = 0;
  for (const Contract* c : contracts) {
    Party& p = parties[c->partner];
    p.partner = c->partner;
    p.contracts.push_back(c->id);
    Wide n = static_cast<Wide>(c->share_ppm) * W;
    if (c->measured) {
      Wide served = 0;
      for (const auto& provider : c->providers) {
        p.providers.insert(provider);
        if (auto it = work_by_provider.find(provider); it != work_by_provider.end()) served += it->second;
      }
      p.work += served;
      n = static_cast<Wide>(c->share_ppm) * served;
    }
    n = std::clamp(n, static_cast<Wide>(c->floor_ppm) * W, static_cast<Wide>(c->cap_ppm) * W);
    p.numerator += n;
    allotted += n;
  }
  pool.denominator = static_cast<Wide>(kPpm) * W;
  if (allotted > pool.denominator) {
    return failed_precondition("contracts of feature " + key.feature + " in market " + key.market + " for " +
                               as_of.to_string() + " allot more than 100% of the revenue");
  }
  parties[config.owner].numerator += pool.denominator - allotted;
  Wide g = pool.denominator;
  for (const auto& [id, p] : parties) g = gcd(g, p.numerator);
  pool.denominator /= g;
  std::vector<Wide> numerators;
  for (auto& [id, p] : parties) {
    p.numerator /= g;
    numerators.push_back(p.numerator);
    pool.parties.push_back(std::move(p));
  }
  auto shares = split_largest_remainder(pool.amount, numerators);
  if (!shares.is_ok()) return shares.status();
  pool.shares = std::move(shares).value();
  return Status::ok();
}

json::object money_json(int64_t minor, const std::string& currency) {
  json::object o;
  o["currency"] = currency;
  o["amount_minor"] = minor;
  o["amount"] = money::format_amount(minor, currency);
  return o;
}

json::object pool_json(const PoolKey& key, const Pool& pool, const Party& party, int64_t share) {
  json::object o;
  o["feature"] = key.feature;
  o["market"] = key.market;
  o["currency"] = key.currency;
  o["kind"] = key.adjusts ? "adjustment" : "period";
  if (key.adjusts) o["adjusts"] = key.adjusts->to_string();
  o["pool_minor"] = pool.amount;
  o["share_minor"] = share;
  o["share"] = money::format_amount(share, key.currency);
  json::array contracts;
  for (const auto& c : party.contracts) contracts.push_back(json::string(c));
  o["contracts"] = std::move(contracts);
  o["weight"] = {{"numerator", wide_to_string(party.numerator)}, {"denominator", wide_to_string(pool.denominator)}};
  json::object work;
  work["metric"] = metric_name(pool.metric);
  work["partner"] = wide_to_string(party.work);
  work["total"] = wide_to_string(pool.total_work);
  json::array providers;
  for (const auto& p : party.providers) providers.push_back(json::string(p));
  work["providers"] = std::move(providers);
  o["work"] = std::move(work);
  json::array conversions;
  for (const auto& [currency, amount] : pool.by_currency) {
    if (currency != key.currency) conversions.push_back(money_json(amount, currency));
  }
  if (!conversions.empty()) o["converted_from"] = std::move(conversions);
  json::array lines;
  for (const auto& [line, totals] : pool.lines) {
    json::object l;
    l["type"] = type_name(line.type);
    l["event_period"] = line.event_month.to_string();
    l["currency"] = line.currency;
    l["events"] = totals.events;
    l["amount_minor"] = totals.amount_minor;
    lines.push_back(std::move(l));
  }
  o["revenue"] = std::move(lines);
  return o;
}

struct UsageRows {
  json::array all;       // every usage row of the statement's (feature, market) pairs
  json::array unpriced;  // the rows among them whose tokens had no price (counted as no work)
  int64_t outliers = 0;  // records among them with token claims at the meter's bound
};

// Usage rows of the period for the (feature, market) pairs of `pools`, with what counted for
// the partner and the provider cost per configured price.
UsageRows usage_json(const std::set<std::pair<std::string, std::string>>& feature_markets,
                     const std::map<std::pair<std::string, std::string>, std::set<std::string>>& counted,
                     const UsageSummary& usage, const LedgerConfig& config) {
  UsageRows out;
  for (const auto& [key, totals] : usage) {
    const auto fm = std::make_pair(key.feature, key.market);
    if (!feature_markets.contains(fm)) continue;
    json::object row = usage_to_json(UsageSummary{{key, totals}}).as_array().front().as_object();
    out.outliers += totals.outliers;
    if (const Feature* f = config.feature(key.feature); f != nullptr && unpriced(key, totals, *f, config)) {
      out.unpriced.push_back(row);
    }
    const auto it = counted.find(fm);
    row["counted_for_partner"] = it != counted.end() && it->second.contains(key.provider);
    json::array cost;
    for (const auto& price : config.prices) {
      if (price.provider == key.provider && price.model == key.model) {
        cost.push_back(money_json(cost_minor(totals, price), price.currency));
      }
    }
    row["cost"] = std::move(cost);
    out.all.push_back(std::move(row));
  }
  return out;
}

}  // namespace

Status add_line(RevenueLines& lines, const LineKey& key, LineTotals add) {
  LineTotals& t = lines[key];
  if (__builtin_add_overflow(t.amount_minor, add.amount_minor, &t.amount_minor) ||
      __builtin_add_overflow(t.events, add.events, &t.events)) {
    return invalid_argument("revenue of " + key.feature + " in " + key.market + " overflows int64 " + key.currency);
  }
  return Status::ok();
}

Result<std::vector<Statement>> settle_statements(const SettlementInput& in) {
  const LedgerConfig& config = *in.config;
  const RateTable* rates = config.rates_for(in.period);
  std::map<PoolKey, Pool> pools;
  for (const auto& [line, totals] : in.lines) {
    Pool& pool = pools[PoolKey{line.feature, line.market, rates ? rates->target : line.currency, line.adjusts}];
    pool.lines.emplace_back(line, totals);
    if (__builtin_add_overflow(pool.by_currency[line.currency], totals.amount_minor, &pool.by_currency[line.currency])) {
      return invalid_argument("revenue of " + line.feature + " in " + line.market + " overflows int64");
    }
  }
  for (auto& [key, pool] : pools) {
    for (const auto& [currency, amount] : pool.by_currency) {
      auto converted = rates ? convert(amount, currency, *rates) : Result<int64_t>(amount);
      if (!converted.is_ok()) return converted.status();
      if (__builtin_add_overflow(pool.amount, *converted, &pool.amount)) return invalid_argument("pool overflows int64");
    }
    const Period as_of = key.adjusts.value_or(in.period);
    const UsageSummary& usage = key.adjusts ? in.adjusted_usage.at(*key.adjusts) : *in.usage;
    if (auto s = weigh(key, pool, as_of, usage, config); !s.is_ok()) return s;
  }

  std::vector<Partner> partners = config.partners;
  std::sort(partners.begin(), partners.end(), [](const Partner& a, const Partner& b) { return a.id < b.id; });
  std::vector<Statement> out;
  for (const Partner& partner : partners) {
    json::array pool_rows;
    std::map<std::string, int64_t> totals;
    std::set<std::pair<std::string, std::string>> feature_markets;
    std::map<std::pair<std::string, std::string>, std::set<std::string>> counted;
    std::string csv = "period,partner,feature,market,currency,kind,adjusts,contracts,weight,pool_minor,share_minor,share\n";
    for (const auto& [key, pool] : pools) {
      for (size_t i = 0; i < pool.parties.size(); ++i) {
        const Party& party = pool.parties[i];
        if (party.partner != partner.id) continue;
        const int64_t share = pool.shares[i];
        pool_rows.push_back(pool_json(key, pool, party, share));
        if (__builtin_add_overflow(totals[key.currency], share, &totals[key.currency])) {
          return invalid_argument("statement total overflows int64");
        }
        if (!key.adjusts) {
          feature_markets.emplace(key.feature, key.market);
          counted[{key.feature, key.market}].insert(party.providers.begin(), party.providers.end());
        }
        std::string contracts;
        for (const auto& c : party.contracts) contracts += (contracts.empty() ? "" : ";") + c;
        csv += in.period.to_string() + "," + partner.id + "," + csv_field(key.feature) + "," + key.market + "," +
               key.currency + "," + (key.adjusts ? "adjustment," + key.adjusts->to_string() : "period,") + "," +
               csv_field(contracts) + "," + wide_to_string(party.numerator) + "/" + wide_to_string(pool.denominator) +
               "," + std::to_string(pool.amount) + "," + std::to_string(share) + "," +
               money::format_amount(share, key.currency) + "\n";
      }
    }
    json::object statement;
    statement["partner"] = partner.id;
    statement["name"] = partner.name;
    statement["period"] = in.period.to_string();
    statement["status"] = in.closed ? "closed" : "open";
    statement["owner"] = partner.id == config.owner;
    json::array total_rows;
    for (const auto& [currency, amount] : totals) total_rows.push_back(money_json(amount, currency));
    statement["totals"] = std::move(total_rows);
    statement["pools"] = std::move(pool_rows);
    UsageRows rows = usage_json(feature_markets, counted, *in.usage, config);
    statement["usage"] = std::move(rows.all);
    statement["unpriced"] = std::move(rows.unpriced);
    statement["outlier_records"] = rows.outliers;
    out.push_back({partner.id, json::serialize(statement), std::move(csv)});
  }
  return out;
}

}  // namespace fleetgate::ledger
