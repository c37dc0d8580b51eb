// The stored form of a UsageRecord: version byte 1, time_ms as 8 bytes little-endian, then the
// text fields as (varint length, bytes) and the counts as varints, in declaration order.
// Compact and cheap to decode, which is what a settlement over millions of records needs.
#pragma once

#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::ledger {

// REQUIRES: validate(r) is OK (counts non-negative).
std::string encode_usage(const UsageRecord& r);
// Decodes into `out`, reusing its string capacity. kDataLoss when `bytes` is not an encoding
// made by encode_usage (truncated, trailing bytes, unknown version, oversize varint).
Status decode_usage(std::string_view bytes, UsageRecord& out);

}  // namespace fleetgate::ledger
