// Metered usage of one period, aggregated per (feature, market, region, provider, model): the
// only form in which usage leaves its region (data class business.usage). Building it reads the
// hourly aggregates each region's usage log keeps, never its raw records.
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <span>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/allocation.h"
#include "fleetgate/ledger/ledger_config.h"
#include "fleetgate/ledger/period.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/ledger/usage_totals.h"

namespace fleetgate::ledger {

// Called with the fraction of the logs read so far (0..1), on the caller's thread.
using Progress = std::function<void(double)>;

// The usage of `period` in every log, from their hourly aggregates (UsageLog::totals): as exact
// as summing the raw records, at a cost that grows with hours times keys, not with records. The
// errors of UsageLog::totals.
Result<UsageSummary> summarise_usage(std::span<const UsageLog* const> logs, Period period,
                                     const Progress& progress = {});

// True when `feature` is metered by priced tokens, `totals` hold tokens and the price table has
// no price for key's provider/model in the feature's price currency.
bool unpriced(const UsageKey& key, const UsageTotals& totals, const Feature& feature, const LedgerConfig& config);

// The work `totals` represent under `feature`'s metric; unpriced() usage counts as none, so a
// missing price never blocks a settlement (statements list such usage under "unpriced").
Wide work_of(const UsageKey& key, const UsageTotals& totals, const Feature& feature, const LedgerConfig& config);

// Provider cost of `totals` in minor units of `price.currency`, rounded half up.
int64_t cost_minor(const UsageTotals& totals, const Price& price);

// A sorted JSON array of rows (key fields then totals) and back (kDataLoss when malformed; rows
// stored before "outliers" existed read as 0 outliers).
boost::json::value usage_to_json(const UsageSummary& summary);
Result<UsageSummary> usage_from_json(const boost::json::value& rows);

}  // namespace fleetgate::ledger
