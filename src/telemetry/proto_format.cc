#include "fleetgate/telemetry/proto_format.h"

#include <climits>

#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/wire_datum.h"

namespace fleetgate::telemetry {

Status parse_payload(std::string_view bytes, wire::Payload& out) {
  if (bytes.size() > INT_MAX || !out.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return invalid_argument("malformed protobuf frame (" + std::to_string(bytes.size()) + " bytes)");
  }
  return Status::ok();
}

Result<Record> decode_protobuf(std::string_view bytes) {
  wire::Payload payload;
  if (Status s = parse_payload(bytes, payload); !s.is_ok()) return s;
  return decode_payload(payload);
}

Result<Record> decode_payload(const wire::Payload& payload) {
  Record r;
  r.vin = payload.vin();
  r.created_at_ms = payload.created_at();
  r.seq = payload.seq();
  r.data.reserve(static_cast<size_t>(payload.data_size()));
  for (int i = 0; i < payload.data_size(); ++i) {
    auto d = from_wire(payload.data(i), static_cast<size_t>(i));
    if (!d) return d.status();
    r.data.push_back(std::move(d).value());
  }
  return r;
}

void to_payload(const Record& record, wire::Payload& out) {
  out.Clear();
  out.set_vin(record.vin);
  out.set_created_at(record.created_at_ms);
  out.set_seq(record.seq);
  for (const Datum& d : record.data) to_wire(d, *out.add_data());
}

std::string encode_protobuf(const Record& record) {
  wire::Payload payload;
  to_payload(record, payload);
  return payload.SerializeAsString();
}

std::string encode_protobuf_batch(const std::vector<Record>& records) {
  // Per thread and reused: cleared repeated fields keep their messages, so a simulator sending
  // frame after frame does not allocate every payload and datum again (it was 40% of its CPU).
  thread_local wire::Batch batch;
  batch.Clear();
  for (const Record& r : records) to_payload(r, *batch.add_records());
  return batch.SerializeAsString();
}

}  // namespace fleetgate::telemetry
