#include "fleetgate/telemetry/record_codec.h"

#include <google/protobuf/arena.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <algorithm>
#include <climits>

#include "fleetgate/telemetry/columnar_block.h"
#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/wire_datum.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate::telemetry {
namespace {

constexpr uint32_t kRecordFormat = 1;    // stored.StoredRecord
constexpr uint32_t kBlockFormat = 2;     // stored.StoredBlock of ClearBlock and SealedBlock
constexpr uint32_t kColumnarFormat = 3;  // stored.StoredBlock of ColumnarBlock and SealedColumns
constexpr uint32_t kVinFieldId = 0;      // format 1: wire.FIELD_UNSPECIFIED binds the sealed VIN

// Stored values of a field are of the kind the catalogue gives it: the encoder writes no other.
Status check_kind(const FieldSpec& s, const Value& v, std::string_view at) {
  if (value_type(v) == s.type) return Status::ok();
  return corrupt_at_rest(std::string(at) + " holds a " + std::string(to_string(value_type(v))) + " value where the catalogue says " +
                         std::string(to_string(s.type)));
}

// A datum in clear (or opened); format 1's per-field envelopes are opened by the caller.
Result<Datum> from_stored(const stored::StoredDatum& sd, std::string_view at) {
  const FieldSpec* s = find_field(sd.field());
  if (s == nullptr) return corrupt_at_rest(std::string(at) + " has unknown field number " + std::to_string(sd.field()));
  if (sd.value_case() == stored::StoredDatum::kSealed) {
    return corrupt_at_rest(std::string(at) + " holds an envelope where a value belongs");
  }
  std::optional<Value> v = value_of(sd);
  if (!v) return corrupt_at_rest(std::string(at) + " has no value");
  if (Status k = check_kind(*s, *v, at); !k.is_ok()) return k;
  return Datum{s->field, std::move(*v)};
}

std::string at(size_t record, size_t datum) {
  return "records[" + std::to_string(record) + "].data[" + std::to_string(datum) + "]";
}

bool parse(google::protobuf::MessageLite& m, std::string_view bytes) {
  return bytes.size() <= INT_MAX && m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

constexpr size_t kMaxFieldHeader = 1 + 10;  // the tag of a field below 16, a varint length

// Appends field `number` of a serialized message to `out`: `size` bytes, written by `write` to a
// CodedOutputStream straight into `out`. Returns where those bytes start.
template <typename Write>
size_t append_field(std::string& out, int number, size_t size, Write write) {
  using google::protobuf::internal::WireFormatLite;
  {
    google::protobuf::io::StringOutputStream sink(&out);
    google::protobuf::io::CodedOutputStream os(&sink);
    os.WriteTag(WireFormatLite::MakeTag(number, WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    os.WriteVarint64(size);
    write(os);
  }
  return out.size() - size;
}

}  // namespace

RecordCodec::RecordCodec(std::shared_ptr<const privacy::RegionKeys> keys, std::shared_ptr<privacy::VehicleKeys> vehicle_keys)
    : keys_(keys), vehicle_keys_(std::move(vehicle_keys)), pseudonymiser_(keys), cipher_(std::move(keys)) {}

Result<StoredForm> RecordCodec::encode(const Record& record) const {
  auto pseudonym = pseudonymiser_.pseudonym(record.vin);
  if (!pseudonym) return pseudonym.status();
  return encode(record, *pseudonym);
}

Result<StoredForm> RecordCodec::encode(const Record& record, std::string_view pseudonym) const {
  std::vector<StoredForm> out;
  if (Status s = encode(std::span(&record, 1), pseudonym, out); !s.is_ok()) return s;
  return std::move(out.front());
}

Status RecordCodec::encode(std::span<const Record> records, std::string_view pseudonym, std::vector<StoredForm>& out) const {
  wire::Batch batch;
  for (const Record& r : records) to_payload(r, *batch.add_records());
  return encode(batch, pseudonym, out);
}

Status RecordCodec::encode(const wire::Batch& records, std::string_view pseudonym, std::vector<StoredForm>& out) const {
  thread_local std::vector<const wire::Payload*> order;
  order.assign(records.records().pointer_begin(), records.records().pointer_end());
  std::sort(order.begin(), order.end(), [](const wire::Payload* a, const wire::Payload* b) {
    return a->created_at() != b->created_at() ? a->created_at() < b->created_at() : a->seq() < b->seq();
  });
  for (size_t begin = 0; begin < order.size();) {
    const int64_t first = order[begin]->created_at();
    size_t end = begin + 1;
    // Unsigned difference: exact for sorted times, and free of overflow at the int64 extremes.
    while (end < order.size() && end - begin < kMaxBlockRecords &&
           static_cast<uint64_t>(order[end]->created_at()) - static_cast<uint64_t>(first) <= kMaxBlockSpanMs) {
      ++end;
    }
    if (Status s = encode_block(std::span(order).subspan(begin, end - begin), pseudonym, out); !s.is_ok()) return s;
    begin = end;
  }
  return Status::ok();
}

Status RecordCodec::encode_block(std::span<const wire::Payload* const> block, std::string_view pseudonym,
                                 std::vector<StoredForm>& out) const {
  // Per-thread messages, reused: cleared repeated fields keep their capacity, so sealing a block
  // allocates little beyond its output.
  thread_local stored::ColumnarBlock clear;
  thread_local stored::SealedColumns sealed;
  thread_local stored::StoredBlock head;
  thread_local std::string plain;
  if (Status s = write_columns(block, clear, sealed); !s.is_ok()) return s;
  sealed.SerializeToString(&plain);
  // The StoredBlock is written field by field into the value, so the clear part is serialized
  // once, in place, and sealed with the value's own bytes as its associated data.
  head.set_format(kColumnarFormat);
  head.set_pseudonym(pseudonym.data(), pseudonym.size());
  const size_t clear_size = clear.ByteSizeLong();
  std::string value;
  value.reserve(head.ByteSizeLong() + clear_size + plain.size() + privacy::kEnvelopeOverhead + 2 * kMaxFieldHeader);
  head.AppendToString(&value);
  const size_t clear_at = append_field(value, stored::StoredBlock::kClearFieldNumber, clear_size,
                                       [&](auto& os) { clear.SerializeWithCachedSizes(&os); });
  const privacy::FieldBinding binding{pseudonym, kBlockBinding, std::string_view(value).substr(clear_at, clear_size)};
  Result<std::string> envelope = std::string();
  if (vehicle_keys_) {
    auto key = vehicle_keys_->for_sealing(pseudonym);
    if (!key) return key.status();
    envelope = cipher_.seal(plain, binding, *key);
  } else {
    envelope = cipher_.seal(plain, binding);
  }
  if (!envelope) return envelope.status();
  append_field(value, stored::StoredBlock::kSealedFieldNumber, envelope->size(),
               [&](auto& os) { os.WriteRaw(envelope->data(), static_cast<int>(envelope->size())); });
  out.push_back({encode_store_key(pseudonym, block.front()->created_at(), block.front()->seq()), std::move(value)});
  return Status::ok();
}

Status RecordCodec::decode(std::string_view value, std::vector<Record>& out) const {
  stored::StoredBlock head;
  if (!parse(head, value)) return corrupt_at_rest("not a stored telemetry value");
  const size_t start = out.size();
  Status s = head.format() == kRecordFormat      ? decode_format1(value, out)
             : head.format() == kBlockFormat     ? decode_block(head, out)
             : head.format() == kColumnarFormat  ? decode_columnar(head, out)
                                                 : corrupt_at_rest("unknown format " + std::to_string(head.format()));
  // A sealed VIN is authenticated but was never checked on its way out of the envelope: one that
  // is not 17 VIN characters (the check digit aside, whose rules vary) is no record of ours.
  for (size_t i = start; s.is_ok() && i < out.size(); ++i) {
    if (!vehicle::check_digit(out[i].vin)) s = corrupt_at_rest("the sealed VIN is not 17 VIN characters");
  }
  if (!s.is_ok()) out.resize(start);
  return s;
}

Status RecordCodec::open_block(const stored::StoredBlock& block, google::protobuf::MessageLite& clear,
                               google::protobuf::MessageLite& sealed) const {
  const privacy::FieldBinding binding{block.pseudonym(), kBlockBinding, block.clear()};
  Result<std::string> plain = std::string();
  if (auto generation = privacy::FieldCipher::vehicle_key_generation(block.sealed())) {
    if (!vehicle_keys_) return data_loss("stored telemetry block is sealed under a vehicle's own key, and no vehicle key store is open");
    auto key = vehicle_keys_->for_opening(block.pseudonym(), *generation);
    if (!key) return key.status();
    plain = cipher_.open(block.sealed(), binding, *key);
  } else {
    plain = cipher_.open(block.sealed(), binding);
  }
  if (!plain) return data_loss("stored telemetry block: " + plain.status().message());
  if (!parse(sealed, *plain)) return corrupt_at_rest("the sealed part of a block is not a " + sealed.GetTypeName());
  if (!parse(clear, block.clear())) return corrupt_at_rest("the clear part of a block is not a " + clear.GetTypeName());
  return Status::ok();
}

Status RecordCodec::decode_columnar(const stored::StoredBlock& block, std::vector<Record>& out) const {
  google::protobuf::Arena arena;
  auto* clear = google::protobuf::Arena::CreateMessage<stored::ColumnarBlock>(&arena);
  auto* sealed = google::protobuf::Arena::CreateMessage<stored::SealedColumns>(&arena);
  if (Status s = open_block(block, *clear, *sealed); !s.is_ok()) return s;
  return read_columns(*clear, *sealed, block.pseudonym(), out);
}

Status RecordCodec::decode_block(const stored::StoredBlock& block, std::vector<Record>& out) const {
  google::protobuf::Arena arena;
  auto* clear = google::protobuf::Arena::CreateMessage<stored::ClearBlock>(&arena);
  auto* sealed = google::protobuf::Arena::CreateMessage<stored::SealedBlock>(&arena);
  if (Status s = open_block(block, *clear, *sealed); !s.is_ok()) return s;
  if (clear->records_size() == 0) return corrupt_at_rest("a block holds no records");
  int next_sealed = 0;
  for (int i = 0; i < clear->records_size(); ++i) {
    const stored::StoredBlockRecord& sr = clear->records(i);
    Record& r = out.emplace_back();
    r.vin = sealed->vin();
    r.pseudonym = block.pseudonym();
    r.created_at_ms = sr.created_at();
    r.seq = sr.seq();
    r.data.reserve(static_cast<size_t>(sr.data_size()));
    for (int j = 0; j < sr.data_size(); ++j) {
      const stored::StoredDatum* sd = &sr.data(j);
      if (sd->value_case() == stored::StoredDatum::VALUE_NOT_SET) {
        if (next_sealed == sealed->data_size() || sealed->data(next_sealed).field() != sd->field()) {
          return corrupt_at_rest(at(i, j) + " has no sealed value of its field");
        }
        sd = &sealed->data(next_sealed++);
      }
      auto d = from_stored(*sd, at(i, j));
      if (!d) return d.status();
      r.data.push_back(std::move(d).value());
    }
  }
  if (next_sealed != sealed->data_size()) return corrupt_at_rest("a block holds sealed values no record refers to");
  return Status::ok();
}

Status RecordCodec::decode_format1(std::string_view value, std::vector<Record>& out) const {
  stored::StoredRecord in;
  if (!parse(in, value)) return corrupt_at_rest("not a StoredRecord");
  Record& r = out.emplace_back();
  r.pseudonym = in.pseudonym();
  r.created_at_ms = in.created_at();
  r.seq = in.seq();
  auto vin = cipher_.open(in.sealed_vin(), {r.pseudonym, kVinFieldId});
  if (!vin) return data_loss("stored telemetry record, vin: " + vin.status().message());
  r.vin = std::move(vin).value();
  for (int i = 0; i < in.data_size(); ++i) {
    const stored::StoredDatum& sd = in.data(i);
    const std::string where = "data[" + std::to_string(i) + "]";
    if (sd.value_case() != stored::StoredDatum::kSealed) {
      if (sd.value_case() == stored::StoredDatum::kLocationValue) return corrupt_at_rest(where + " holds a location in clear");
      auto d = from_stored(sd, where);
      if (!d) return d.status();
      r.data.push_back(std::move(d).value());
      continue;
    }
    auto plain = cipher_.open(sd.sealed(), {r.pseudonym, sd.field()});
    if (!plain) return data_loss("stored telemetry record, " + where + ": " + plain.status().message());
    wire::Datum wd;
    if (!wd.ParseFromString(*plain)) return corrupt_at_rest(where + " holds a sealed value that is not a Datum");
    auto d = from_wire(wd, static_cast<size_t>(i));
    if (!d || static_cast<uint32_t>(d->field) != sd.field()) {
      return corrupt_at_rest(where + " holds a sealed value of another field");
    }
    // from_wire reads any value kind: the catalogue's, as for clear values, is the only one stored.
    if (Status k = check_kind(*find_field(sd.field()), d->value, where); !k.is_ok()) return k;
    r.data.push_back(std::move(d).value());
  }
  return Status::ok();
}

Result<uint64_t> RecordCodec::count(std::string_view value, int64_t from_ms, int64_t to_ms) {
  auto in_range = [&](int64_t t) { return from_ms <= t && t <= to_ms; };
  stored::StoredBlock head;
  if (!parse(head, value)) return corrupt_at_rest("not a stored telemetry value");
  if (head.format() == kRecordFormat) {
    stored::StoredRecord in;
    if (!parse(in, value)) return corrupt_at_rest("not a StoredRecord");
    return in_range(in.created_at()) ? 1 : 0;
  }
  if (head.format() == kColumnarFormat) {
    stored::ColumnarBlock clear;
    if (!parse(clear, head.clear())) return corrupt_at_rest("the clear part of a block is not a ColumnarBlock");
    return count_columns(clear, from_ms, to_ms);
  }
  if (head.format() != kBlockFormat) return corrupt_at_rest("unknown format " + std::to_string(head.format()));
  stored::ClearBlock clear;
  if (!parse(clear, head.clear())) return corrupt_at_rest("the clear part of a block is not a ClearBlock");
  if (clear.records_size() == 0) return corrupt_at_rest("a block holds no records");
  return static_cast<uint64_t>(
      std::count_if(clear.records().begin(), clear.records().end(), [&](const auto& r) { return in_range(r.created_at()); }));
}

}  // namespace fleetgate::telemetry
