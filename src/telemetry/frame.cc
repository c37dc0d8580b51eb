#include "fleetgate/telemetry/frame.h"

#include <climits>

#include "fleetgate/core/json_text.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto_format.h"

namespace fleetgate::telemetry {
namespace {

Status check_size(size_t size, const Validator& validator) {
  const size_t limit = validator.options().max_frame_bytes;
  if (size <= limit) return Status::ok();
  return invalid_argument("frame of " + std::to_string(size) + " bytes exceeds the limit of " + std::to_string(limit) +
                          " bytes");
}

Status check_count(size_t n, size_t max_records) {
  if (n == 0) return invalid_argument("empty batch");
  if (n <= max_records) return Status::ok();
  return invalid_argument("batch of " + std::to_string(n) + " records exceeds the limit of " +
                          std::to_string(max_records));
}

Status at_record(size_t i, const Status& s) {
  return Status(s.code(), "records[" + std::to_string(i) + "]: " + s.message());
}

// One record (a frame's bytes) into `out`: size and decoding, not validation.
Status decode_one(std::string_view bytes, FrameFormat format, const Validator& validator, wire::Payload& out) {
  if (Status s = check_size(bytes.size(), validator); !s.is_ok()) return s;
  if (format == FrameFormat::kProtobuf) return parse_payload(bytes, out);
  Result<Record> r = decode_json(bytes);
  if (!r.is_ok()) return r.status();
  to_payload(*r, out);
  return Status::ok();
}

Status decode_protobuf_batch(std::string_view bytes, wire::Batch& out) {
  if (bytes.size() > INT_MAX || !out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("malformed protobuf batch (" + std::to_string(bytes.size()) + " bytes)");
  }
  return Status::ok();
}

Status decode_json_batch(std::string_view bytes, const Validator& validator, wire::Batch& out) {
  std::error_code ec;
  const boost::json::value doc = parse_json(bytes, ec);
  if (ec) return invalid_argument("malformed JSON batch: " + ec.message());
  if (!doc.is_array()) return invalid_argument("a JSON batch is an array of frames");
  const boost::json::array& frames = doc.get_array();
  for (size_t i = 0; i < frames.size(); ++i) {
    // Written again as text to be measured and decoded like a frame of its own: json_text keeps
    // every number exact.
    Status s = decode_one(json_text(frames[i]), FrameFormat::kJson, validator, *out.add_records());
    if (!s.is_ok()) return at_record(i, s);
  }
  return Status::ok();
}

// The limits and validation of decoded records. A protobuf batch within the frame limit holds
// records within it too; only a larger one (`measure`) has each record's size measured.
Status check_records(const wire::Batch& records, bool batch, bool measure, const Validator& validator,
                     size_t max_records) {
  if (batch) {
    if (Status s = check_count(static_cast<size_t>(records.records_size()), max_records); !s.is_ok()) return s;
  }
  for (int i = 0; i < records.records_size(); ++i) {
    const wire::Payload& p = records.records(i);
    Status s = measure ? check_size(p.ByteSizeLong(), validator) : Status::ok();
    if (s.is_ok()) s = validator.validate(p);
    if (!s.is_ok()) return batch ? at_record(static_cast<size_t>(i), s) : s;
  }
  return Status::ok();
}

}  // namespace

Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator) {
  wire::Batch records;
  if (Status s = parse_records(bytes, format, false, validator, 1, records); !s.is_ok()) return s;
  return decode_payload(records.records(0));
}

Status parse_records(std::string_view bytes, FrameFormat format, bool batch, const Validator& validator,
                     size_t max_records, wire::Batch& out) {
  out.Clear();
  Status decoded = !batch                               ? decode_one(bytes, format, validator, *out.add_records())
                   : format == FrameFormat::kProtobuf ? decode_protobuf_batch(bytes, out)
                                                      : decode_json_batch(bytes, validator, out);
  if (!decoded.is_ok()) {
    out.Clear();
    return decoded;
  }
  const bool measure = batch && format == FrameFormat::kProtobuf && bytes.size() > validator.options().max_frame_bytes;
  return check_records(out, batch, measure, validator, max_records);
}

uint64_t ack_seq(const wire::Batch& records) {
  return records.records_size() == 0 ? 0 : records.records(records.records_size() - 1).seq();
}

}  // namespace fleetgate::telemetry
