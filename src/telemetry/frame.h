// Parsing of telemetry frames as they arrive from vehicles: size limit, decoding (protobuf or
// JSON) and validation. The entry points ingest servers call; any byte string yields valid
// records or a kInvalidArgument error saying why.
#pragma once

#include <cstddef>
#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/validator.h"

namespace fleetgate::telemetry {

enum class FrameFormat { kProtobuf, kJson };

// One record: a wire.Payload or a JSON object, at most max_frame_bytes.
Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator);

// The records of one frame, validated, as wire.Payloads in `out` (replaced): a single record as
// for parse_frame, or with `batch` a wire.Batch or a JSON array of frames, each within
// max_frame_bytes, 1 to `max_records` of them; errors in a batch name the record: "records[3]: …".
// Ingest stores records in this form, without decoding them into Records. Every record is decoded
// before any is checked, so on an error `out` still holds the frame's records when they decoded
// (the error is about their content or number), and nothing when the frame did not decode
// (malformed, or a frame over max_frame_bytes, which is not decoded at all).
Status parse_records(std::string_view bytes, FrameFormat format, bool batch, const Validator& validator,
                     size_t max_records, wire::Batch& out);

// The seq that the ack of a frame names (wire.Ack.seq), given the records parse_records left:
// the last record's, also when the frame was refused; 0 when it did not decode.
uint64_t ack_seq(const wire::Batch& records);

}  // namespace fleetgate::telemetry
