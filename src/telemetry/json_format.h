// The JSON encodings of a telemetry frame, the same payload as wire.Payload. Two forms are read:
// - the short form, which encode_json writes and queries answer with:
//   {"vin": "WVWZZZ1JZXW000001", "created_at": 1700000000000, "seq": 42,
//    "data": [{"field": "speed", "value": 42.5},
//             {"field": "location", "value": {"lat": 52.52, "lon": 13.40, "heading": 90}}]}
//   Fields are named as in the catalogue. Numbers convert to the field's type when that loses
//   nothing (7 for a double field, 7.0 for an int field); other mismatches are left to Validator.
// - the proto3 JSON mapping of wire.Payload, as protobuf libraries write it:
//   {"vin": "…", "createdAt": "1700000000000", "seq": "42",
//    "data": [{"field": "FIELD_SPEED", "doubleValue": 42.5}]}
//   chosen when a frame has "createdAt", created_at or seq as a string, or a datum keyed by a
//   member of Datum.value ("doubleValue" or "double_value", …); read by protobuf's JSON parser.
// Numbers are read exactly (core/json_text.h) and written as people write them.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry {

// Either form. kInvalidArgument naming the offending key, e.g. "data[2].field: unknown field
// 'sped'", or protobuf's reason for a frame in the proto3 mapping.
Result<Record> decode_json(std::string_view text);

// The JSON of `record` (its vin, created_at, seq and data; not the pseudonym).
boost::json::object to_json(const Record& record);
std::string encode_json(const Record& record);

}  // namespace fleetgate::telemetry
