// Parsing of one telemetry frame as it arrives from a vehicle: size limit, decoding (protobuf or
// JSON) and validation. The single entry point ingest servers call; any byte string yields a
// valid Record or a kInvalidArgument error saying why.
#pragma once

#include <string_view>

#include "fleetgate/core/result.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/validator.h"

namespace fleetgate::telemetry {

enum class FrameFormat { kProtobuf, kJson };

Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator);

}  // namespace fleetgate::telemetry
