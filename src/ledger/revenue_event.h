// Revenue events: what a feature earned (or gave back) in one market and currency. Read from CSV
// (`fleetgate ledger revenue import`) or JSON (POST /v1/ledger/revenue); every bad row is
// reported with its line (or array index) and a file with any bad row yields no events at all.
//
// CSV: a header naming the columns id,time,type,feature,market,currency,amount (any order),
// then one event per line; blank lines are skipped. `amount` is a positive decimal in the
// currency's major unit ("99.00"); for type correction it may be negative.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/ledger_config.h"
#include "fleetgate/ledger/period.h"

namespace fleetgate::ledger {

enum class RevenueType {
  kSubscription,  // recognised in the month of the event
  kPurchase,      // one-time; recognised over the feature's recognition_months
  kRefund,        // money given back: recognised, negative, in the month of the event
  kCorrection,    // a signed fix of an earlier amount, recognised in the month of the event
};
std::string_view type_name(RevenueType t);
// The type type_name() calls `s`; kInvalidArgument for any other text.
Result<RevenueType> parse_revenue_type(std::string_view s);

struct RevenueEvent {
  std::string id;  // 1-128 of [A-Za-z0-9._:-]; the idempotency key
  int64_t time_ms = 0;
  RevenueType type = RevenueType::kSubscription;
  std::string feature;
  std::string market;    // ISO 3166 alpha-2
  std::string currency;  // ISO 4217
  int64_t amount_minor = 0;  // signed: refunds are stored negative

  bool operator==(const RevenueEvent&) const = default;
};

// An event and where it came from ("line 7", "events[3]") for error messages.
struct SourcedEvent {
  RevenueEvent event;
  std::string where;
};

// The months an event is recognised in and the amount recognised in each (summing exactly to
// amount_minor): one month for everything but purchases, which split evenly (earlier months
// get the smaller parts) over feature.recognition_months.
struct Recognition {
  Period month;
  int64_t amount_minor;
};
std::vector<Recognition> recognise(const RevenueEvent& e, const Feature& feature);

// Parses CSV text against `config` (features must exist). kInvalidArgument listing up to 20
// bad rows as "line N: reason" (and how many more), or the header problem.
Result<std::vector<SourcedEvent>> parse_revenue_csv(std::string_view text, const LedgerConfig& config);
// {"events":[{"id","time","type","feature","market","currency","amount"}...]} with the same
// rules; errors name "events[i]".
Result<std::vector<SourcedEvent>> parse_revenue_json(const boost::json::value& body, const LedgerConfig& config);

// The stored form (compact JSON) and back; decode yields kDataLoss for anything else.
std::string encode_event(const RevenueEvent& e);
Result<RevenueEvent> decode_event(std::string_view bytes);

}  // namespace fleetgate::ledger
