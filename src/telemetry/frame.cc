#include "fleetgate/telemetry/frame.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <climits>

#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
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

// The record of one wire.Payload of a batch: size, decoding, validation as for a frame. A payload
// of a batch within the frame limit is within it too, and skips measuring its size.
Result<Record> parse_payload(const wire::Payload& p, const Validator& validator, bool fits) {
  if (!fits) {
    if (Status s = check_size(p.ByteSizeLong(), validator); !s.is_ok()) return s;
  }
  Result<Record> r = decode_payload(p);
  if (!r) return r;
  if (Status s = validator.validate(*r); !s.is_ok()) return s;
  return r;
}

Result<std::vector<Record>> parse_protobuf_batch(std::string_view bytes, const Validator& validator,
                                                 size_t max_records) {
  // One message per thread, reused: parsing into it keeps the element objects and string buffers
  // of earlier frames, so a frame allocates little beyond its Records.
  thread_local wire::Batch batch;
  if (bytes.size() > INT_MAX || !batch.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("malformed protobuf batch (" + std::to_string(bytes.size()) + " bytes)");
  }
  if (Status s = check_count(static_cast<size_t>(batch.records_size()), max_records); !s.is_ok()) return s;
  const bool fits = bytes.size() <= validator.options().max_frame_bytes;
  std::vector<Record> records;
  records.reserve(static_cast<size_t>(batch.records_size()));
  for (int i = 0; i < batch.records_size(); ++i) {
    Result<Record> r = parse_payload(batch.records(i), validator, fits);
    if (!r.is_ok()) return at_record(static_cast<size_t>(i), r.status());
    records.push_back(std::move(r).value());
  }
  return records;
}

Result<std::vector<Record>> parse_json_batch(std::string_view bytes, const Validator& validator, size_t max_records) {
  boost::system::error_code ec;
  boost::json::value doc = boost::json::parse(bytes, ec);
  if (ec) return invalid_argument("malformed JSON batch: " + ec.message());
  if (!doc.is_array()) return invalid_argument("a JSON batch is an array of frames");
  const boost::json::array& frames = doc.as_array();
  if (Status s = check_count(frames.size(), max_records); !s.is_ok()) return s;
  std::vector<Record> records;
  records.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    Result<Record> r = parse_frame(boost::json::serialize(frames[i]), FrameFormat::kJson, validator);
    if (!r.is_ok()) return at_record(i, r.status());
    records.push_back(std::move(r).value());
  }
  return records;
}

}  // namespace

Result<Record> parse_frame(std::string_view bytes, FrameFormat format, const Validator& validator) {
  if (Status s = check_size(bytes.size(), validator); !s.is_ok()) return s;
  auto record = format == FrameFormat::kProtobuf ? decode_protobuf(bytes) : decode_json(bytes);
  if (!record) return record;
  if (Status s = validator.validate(*record); !s.is_ok()) return s;
  return record;
}

Result<std::vector<Record>> parse_batch(std::string_view bytes, FrameFormat format, const Validator& validator,
                                        size_t max_records) {
  return format == FrameFormat::kProtobuf ? parse_protobuf_batch(bytes, validator, max_records)
                                          : parse_json_batch(bytes, validator, max_records);
}

}  // namespace fleetgate::telemetry
