// The protobuf encoding of a telemetry frame (wire.Payload in proto/telemetry.proto) to and from
// Record. Decoding checks structure only (well-formed bytes, known field numbers, a value present);
// Validator checks the content.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"

namespace fleetgate::telemetry::wire {
class Payload;
}

namespace fleetgate::telemetry {

// kInvalidArgument for malformed bytes, "data[i].field: unknown field number N", a missing field
// or a missing value.
Result<Record> decode_protobuf(std::string_view bytes);
// The same for a payload already parsed (one of a wire.Batch), without copying it.
Result<Record> decode_payload(const wire::Payload& payload);
// Parses the bytes of a wire.Payload into `out`, checking only that they are well formed:
// kInvalidArgument "malformed protobuf frame (N bytes)" otherwise.
Status parse_payload(std::string_view bytes, wire::Payload& out);

// Sets `out` to the wire.Payload of `record` (its vin, created_at, seq and data; not the pseudonym).
void to_payload(const Record& record, wire::Payload& out);
// The wire.Payload of `record`, serialized.
std::string encode_protobuf(const Record& record);
// The wire.Batch of `records`, in order.
std::string encode_protobuf_batch(const std::vector<Record>& records);

}  // namespace fleetgate::telemetry
