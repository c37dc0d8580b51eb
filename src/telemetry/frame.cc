#include "fleetgate/telemetry/frame.h"

#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto_format.h"

namespace fleetgate::telemetry {

Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator) {
  const size_t limit = validator.options().max_frame_bytes;
  if (bytes.size() > limit) {
    return invalid_argument("frame of " + std::to_string(bytes.size()) + " bytes exceeds the limit of " +
                            std::to_string(limit) + " bytes");
  }
  auto record = format == FrameFormat::kProtobuf ? decode_protobuf(bytes) : decode_json(bytes);
  if (!record) return record;
  if (Status s = validator.validate(*record); !s.is_ok()) return s;
  return record;
}

}  // namespace fleetgate::telemetry
