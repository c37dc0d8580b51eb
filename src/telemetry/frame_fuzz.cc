// libFuzzer target: any byte string, read as a protobuf frame and as a JSON frame, yields a valid
// Record or an error with a message; a valid Record re-encodes to a frame that parses back equal.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fleetgate/telemetry/frame.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto_format.h"

namespace {

using namespace fleetgate::telemetry;

// A clock far from any realistic value, so created_at checks are exercised without wall time.
const Validator kValidator(ValidationOptions{}, [] { return int64_t{1'700'000'000'000}; });

void check(std::string_view bytes, FrameFormat format) {
  auto record = parse_frame(bytes, format, kValidator);
  if (!record.is_ok()) {
    if (record.status().message().empty()) __builtin_trap();
    return;
  }
  const std::string again = format == FrameFormat::kProtobuf ? encode_protobuf(*record) : encode_json(*record);
  auto back = parse_frame(again, format, kValidator);
  if (!back.is_ok() || !(*back == *record)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  check(bytes, FrameFormat::kProtobuf);
  check(bytes, FrameFormat::kJson);
  return 0;
}
