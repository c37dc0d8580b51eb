// Revenue totals of one month: what its events add up to per (type, feature, market, currency,
// recognition months), kept in the control plane beside the events and written in the same atomic
// batch as their import, so settling reads a few rows instead of decoding every event of the
// months it recognises.
//
// Store keys: ledger/revtot/<YYYY-MM> marks a month whose totals hold every event stored under
// ledger/rev/<YYYY-MM>/; the rows are ledger/revtot/<YYYY-MM>/<type>/<months>/<feature>/<market>/
// <currency>, each a JSON object with the key's fields, "events" and "parts" (the amount
// recognised k months after the event's month, k = 0..months-1, summed over the events).
// A month without the mark (written before totals existed, or with an event of a feature the
// config no longer defines) is settled from its events.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/ledger_config.h"
#include "fleetgate/ledger/period.h"
#include "fleetgate/ledger/revenue_event.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::ledger {

struct RevenueTotalsKey {
  RevenueType type = RevenueType::kSubscription;
  int months = 1;  // recognition months the events were split over (1 unless a purchase)
  std::string feature;
  std::string market;
  std::string currency;
  auto operator<=>(const RevenueTotalsKey&) const = default;
};

struct RevenueTotals {
  int64_t events = 0;
  std::vector<int64_t> parts;  // size months: the sum of recognise(e)[k].amount_minor
};

using MonthRevenue = std::map<RevenueTotalsKey, RevenueTotals>;

// Adds `e`, recognised under `feature`, to `totals`. kInvalidArgument when a sum would overflow
// int64 (nothing is added then).
Status add_event(MonthRevenue& totals, const RevenueEvent& e, const Feature& feature);

// The totals of `month` when the store keeps them complete, else nullopt. kDataLoss for a
// damaged row.
Result<std::optional<MonthRevenue>> read_month_revenue(const store::KvReader& view, Period month);

// The totals of `month` added up from its stored events; nullopt when one of them is for a
// feature `config` no longer defines. kDataLoss for a damaged event.
Result<std::optional<MonthRevenue>> sum_month_events(const store::KvReader& view, Period month,
                                                     const LedgerConfig& config);

// Puts every row of `totals` and the month's mark into `batch`. Rows only grow in number (an
// event is never removed), so rewriting all of them leaves no stale row behind.
void write_month_revenue(store::WriteBatch& batch, Period month, const MonthRevenue& totals);

// ledger/rev/<YYYY-MM>/: where the events of `month` are stored.
std::string revenue_month_prefix(Period month);

}  // namespace fleetgate::ledger
