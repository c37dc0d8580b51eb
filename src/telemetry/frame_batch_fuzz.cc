// libFuzzer target: parse_records(), what ingest runs on every WebSocket frame and HTTP batch. The
// first byte picks the form ('0' JSON frame, '1' JSON batch, '2' protobuf frame, '3' protobuf
// batch, by its two low bits); the rest is the frame. Properties: an accepted frame's records pass
// validation again, decode, and survive a trip through either encoding unchanged (JSON numbers
// included); a refused one says why.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fleetgate/telemetry/frame.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto_format.h"

namespace {

using namespace fleetgate::telemetry;

const Validator kValidator(ValidationOptions{}, [] { return int64_t{1'700'000'000'000}; });
constexpr size_t kMaxRecords = 64;

void check_round_trips(const std::vector<Record>& records) {
  for (const Record& r : records) {
    auto back = parse_frame(encode_json(r), FrameFormat::kJson, kValidator);
    if (!back.is_ok() || !(*back == r)) __builtin_trap();
  }
  fleetgate::telemetry::wire::Batch again;
  if (!parse_records(encode_protobuf_batch(records), FrameFormat::kProtobuf, true, kValidator, kMaxRecords, again).is_ok()) {
    __builtin_trap();
  }
  if (static_cast<size_t>(again.records_size()) != records.size()) __builtin_trap();
  for (int i = 0; i < again.records_size(); ++i) {
    auto back = decode_payload(again.records(i));
    if (!back.is_ok() || !(*back == records[static_cast<size_t>(i)])) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const FrameFormat format = (data[0] & 2) != 0 ? FrameFormat::kProtobuf : FrameFormat::kJson;
  const bool batch = (data[0] & 1) != 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  fleetgate::telemetry::wire::Batch out;
  const fleetgate::Status s = parse_records(bytes, format, batch, kValidator, kMaxRecords, out);
  if (!s.is_ok()) {
    if (s.message().empty()) __builtin_trap();
    return 0;
  }
  if (out.records_size() < 1 || static_cast<size_t>(out.records_size()) > (batch ? kMaxRecords : 1)) __builtin_trap();
  std::vector<Record> records;
  for (const auto& payload : out.records()) {
    if (!kValidator.validate(payload).is_ok()) __builtin_trap();
    auto record = decode_payload(payload);
    if (!record.is_ok() || !kValidator.validate(*record).is_ok()) __builtin_trap();
    records.push_back(std::move(record).value());
  }
  check_round_trips(records);
  return 0;
}
