#include "fleetgate/telemetry/frame.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <climits>

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

// One record (a frame's bytes) into `out`: size, decoding, validation.
Status parse_one(std::string_view bytes, FrameFormat format, const Validator& validator, wire::Payload& out) {
  if (Status s = check_size(bytes.size(), validator); !s.is_ok()) return s;
  if (format == FrameFormat::kProtobuf) {
    if (Status s = parse_payload(bytes, out); !s.is_ok()) return s;
  } else {
    Result<Record> r = decode_json(bytes);
    if (!r.is_ok()) return r.status();
    to_payload(*r, out);
  }
  return validator.validate(out);
}

Status parse_protobuf_batch(std::string_view bytes, const Validator& validator, size_t max_records, wire::Batch& out) {
  if (bytes.size() > INT_MAX || !out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("malformed protobuf batch (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (Status s = check_count(static_cast<size_t>(out.records_size()), max_records); !s.is_ok()) return s;
  // A payload of a batch within the frame limit is within it too, and skips measuring its size.
  const bool fits = bytes.size() <= validator.options().max_frame_bytes;
  for (int i = 0; i < out.records_size(); ++i) {
    const wire::Payload& p = out.records(i);
    Status s = fits ? Status::ok() : check_size(p.ByteSizeLong(), validator);
    if (s.is_ok()) s = validator.validate(p);
    if (!s.is_ok()) return at_record(static_cast<size_t>(i), s);
  }
  return Status::ok();
}

Status parse_json_batch(std::string_view bytes, const Validator& validator, size_t max_records, wire::Batch& out) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(bytes, ec);
  if (ec) return invalid_argument("malformed JSON batch: " + ec.message());
  if (!doc.is_array()) return invalid_argument("a JSON batch is an array of frames");
  const boost::json::array& frames = doc.as_array();
  if (Status s = check_count(frames.size(), max_records); !s.is_ok()) return s;
  for (size_t i = 0; i < frames.size(); ++i) {
    Status s = parse_one(boost::json::serialize(frames[i]), FrameFormat::kJson, validator, *out.add_records());
    if (!s.is_ok()) return at_record(i, s);
  }
  return Status::ok();
}

}  // namespace

Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator) {
  wire::Payload payload;
  if (Status s = parse_one(bytes, format, validator, payload); !s.is_ok()) return s;
  return decode_payload(payload);
}

Status parse_records(std::string_view bytes, FrameFormat format, bool batch, const Validator& validator,
                     size_t max_records, wire::Batch& out) {
  out.Clear();
  if (!batch) return parse_one(bytes, format, validator, *out.add_records());
  return format == FrameFormat::kProtobuf ? parse_protobuf_batch(bytes, validator, max_records, out)
                                          : parse_json_batch(bytes, validator, max_records, out);
}

}  // namespace fleetgate::telemetry
