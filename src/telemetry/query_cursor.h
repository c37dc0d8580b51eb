// The opaque cursor of a telemetry query page (GET /v1/telemetry/{vin}?cursor=…): where the page
// ended (a stored_records.h RecordPosition), bound to the query it continues, i.e. the vehicle
// and the from/to bounds. A cursor presented with another VIN or other bounds is refused, never
// read elsewhere, and its position must lie inside the bounds: a cursor cannot take a caller out
// of the records the query itself names. Callers see lowercase hex; they must not rely on more.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/stored_records.h"

namespace fleetgate::telemetry {

// The cursor of `position` in the query of `vin` (canonical) over [from_ms, to_ms].
std::string encode_query_cursor(const RecordPosition& position, std::string_view vin, int64_t from_ms, int64_t to_ms);

// The position `cursor` holds. kInvalidArgument when it is not a cursor encode_query_cursor
// wrote, was issued for another vehicle or other bounds, or holds a position outside
// [from_ms, to_ms].
Result<RecordPosition> decode_query_cursor(std::string_view cursor, std::string_view vin, int64_t from_ms,
                                           int64_t to_ms);

}  // namespace fleetgate::telemetry
