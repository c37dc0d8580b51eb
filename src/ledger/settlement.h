// The settlement computation of one period, pure and deterministic: revenue lines grouped into
// pools per (feature, market, currency, adjusted period), each pool split between the partners
// whose contracts apply and the owner (who gets the rest) by exact rational weights with
// largest-remainder rounding, and one statement per partner (canonical JSON and CSV) carrying
// the evidence: revenue lines, metered usage and the weights used. Inputs are aggregates, so
// the order in which events arrived cannot change a byte of the output.
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
#include "fleetgate/ledger/usage_summary.h"

namespace fleetgate::ledger {

// Recognised revenue of one kind, from events of one month, for one pool.
struct LineKey {
  std::string feature;
  std::string market;
  std::string currency;
  std::optional<Period> adjusts;  // set for late events of a closed period (adjustment lines)
  RevenueType type = RevenueType::kSubscription;
  Period event_month;
  auto operator<=>(const LineKey&) const = default;
};
struct LineTotals {
  int64_t events = 0;
  int64_t amount_minor = 0;
};
using RevenueLines = std::map<LineKey, LineTotals>;

// Adds `add` (events and the amount they recognise in the settled period) to the line `key`.
// kInvalidArgument on int64 overflow.
Status add_line(RevenueLines& lines, const LineKey& key, LineTotals add);

struct SettlementInput {
  Period period;
  bool closed = false;  // written into the statements as "status"
  const LedgerConfig* config = nullptr;
  const UsageSummary* usage = nullptr;            // metered usage of `period`
  std::map<Period, UsageSummary> adjusted_usage;  // of every period an adjustment line adjusts
  RevenueLines lines;
};

struct Statement {
  std::string partner;
  std::string json;  // canonical: fixed key order, sorted arrays, no wall-clock times
  std::string csv;   // one row per pool, header first
};

// One statement per configured partner, sorted by partner id. Usage without a price counts as no
// work and is listed under "unpriced"; "outlier_records" counts the records whose token claims
// the meter bounded. kFailedPrecondition when the contracts of a pool allot more than all of it,
// or when the period's rate table lacks a currency of its revenue (without a rate table every
// currency is a pool of its own, never mixed); kInvalidArgument on arithmetic overflow.
Result<std::vector<Statement>> settle_statements(const SettlementInput& input);

}  // namespace fleetgate::ledger
