// The stored form of a UsageRecord: version byte 1, time_ms as 8 bytes little-endian, then the
// text fields as (varint length, bytes) and the counts as varints, in declaration order.
// Compact and cheap to decode. Also the parts of the log's aggregate rows (usage_aggregates.h).
#pragma once

#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/ledger/usage_totals.h"

namespace fleetgate::ledger {

// REQUIRES: validate(r) is OK (counts non-negative).
std::string encode_usage(const UsageRecord& r);
// Decodes into `out`, reusing its string capacity. kDataLoss when `bytes` is not an encoding
// made by encode_usage (truncated, trailing bytes, unknown version, oversize varint).
Status decode_usage(std::string_view bytes, UsageRecord& out);

// Appends the UsageKey of `r` (its feature, market, region, provider and model) as
// (varint length, bytes) each; decode_key reads exactly that back, kDataLoss otherwise.
void append_key(std::string& out, const UsageRecord& r);
Status decode_key(std::string_view bytes, UsageKey& out);

// Version byte 1, then the counts as varints in totals_fields order; decode_totals reads exactly
// that back, kDataLoss otherwise. REQUIRES: every count non-negative (sums of valid records).
std::string encode_totals(const UsageTotals& t);
Status decode_totals(std::string_view bytes, UsageTotals& out);

}  // namespace fleetgate::ledger
