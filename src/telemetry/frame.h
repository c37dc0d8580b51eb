// Parsing of telemetry frames as they arrive from vehicles: size limit, decoding (protobuf or
// JSON) and validation. The entry points ingest servers call; any byte string yields valid
// Records or a kInvalidArgument error saying why.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/validator.h"

namespace fleetgate::telemetry {

enum class FrameFormat { kProtobuf, kJson };

// One record: a wire.Payload or a JSON object, at most max_frame_bytes.
Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator);

// A batch: a wire.Batch or a JSON array of frames, each within max_frame_bytes, 1 to
// `max_records` of them. Errors name the record: "records[3]: …".
Result<std::vector<Record>> parse_batch(std::string_view bytes, FrameFormat format, const Validator& validator,
                                        size_t max_records);

}  // namespace fleetgate::telemetry
