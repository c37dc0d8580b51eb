#include "fleetgate/telemetry/record_codec.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <climits>

#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/wire_datum.h"

namespace fleetgate::telemetry {
namespace {

constexpr uint32_t kRecordFormat = 1;  // stored.StoredRecord
constexpr uint32_t kBlockFormat = 2;   // stored.StoredBlock
constexpr uint32_t kVinFieldId = 0;    // format 1: wire.FIELD_UNSPECIFIED binds the sealed VIN

bool sealed_at_rest(const wire::Datum& d) {
  return find_field(static_cast<uint32_t>(d.field()))->data_class == DataClass::kPersonal ||
         d.value_case() == wire::Datum::kLocationValue;
}

Status corrupt(std::string_view why) { return data_loss("stored telemetry is corrupt: " + std::string(why)); }

// The value oneofs of wire.Datum and stored.StoredDatum spell alike; only locations differ.
void to_stored(const wire::Datum& d, stored::StoredDatum& out) {
  out.set_field(static_cast<uint32_t>(d.field()));
  switch (d.value_case()) {
    case wire::Datum::kStringValue: out.set_string_value(d.string_value()); break;
    case wire::Datum::kIntValue: out.set_int_value(d.int_value()); break;
    case wire::Datum::kDoubleValue: out.set_double_value(d.double_value()); break;
    case wire::Datum::kBoolValue: out.set_bool_value(d.bool_value()); break;
    case wire::Datum::kLocationValue: {
      const wire::Location& in = d.location_value();
      stored::StoredLocation* l = out.mutable_location_value();
      l->set_lat(in.lat());
      l->set_lon(in.lon());
      if (in.has_heading()) l->set_heading(in.heading());
      break;
    }
    case wire::Datum::VALUE_NOT_SET: break;
  }
}

// A datum in clear (or opened); format 1's per-field envelopes are opened by the caller.
Result<Datum> from_stored(const stored::StoredDatum& sd, std::string_view at) {
  const FieldSpec* s = find_field(sd.field());
  if (s == nullptr) return corrupt(std::string(at) + " has unknown field number " + std::to_string(sd.field()));
  if (sd.value_case() == stored::StoredDatum::kSealed) return corrupt(std::string(at) + " holds an envelope where a value belongs");
  std::optional<Value> v = value_of(sd);
  if (!v) return corrupt(std::string(at) + " has no value");
  return Datum{s->field, std::move(*v)};
}

std::string at(size_t record, size_t datum) {
  return "records[" + std::to_string(record) + "].data[" + std::to_string(datum) + "]";
}

template <typename Message>
bool parse(Message& m, std::string_view bytes) {
  return bytes.size() <= INT_MAX && m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

}  // namespace

RecordCodec::RecordCodec(std::shared_ptr<const privacy::RegionKeys> keys)
    : keys_(keys), pseudonymiser_(keys), cipher_(std::move(keys)) {}

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
  // Per-thread messages, reused: cleared repeated fields keep their elements, so sealing a block
  // allocates little beyond its output.
  thread_local stored::ClearBlock clear;
  thread_local stored::SealedBlock sealed;
  thread_local stored::StoredBlock stored;
  thread_local std::string plain;
  clear.Clear();
  sealed.Clear();
  sealed.set_vin(block.front()->vin());
  for (const wire::Payload* r : block) {
    stored::StoredBlockRecord* sr = clear.add_records();
    sr->set_created_at(r->created_at());
    sr->set_seq(r->seq());
    for (const wire::Datum& d : r->data()) {
      stored::StoredDatum* sd = sr->add_data();
      if (sealed_at_rest(d)) {
        sd->set_field(static_cast<uint32_t>(d.field()));  // its value is the next sealed datum
        to_stored(d, *sealed.add_data());
      } else {
        to_stored(d, *sd);
      }
    }
  }
  stored.Clear();
  stored.set_format(kBlockFormat);
  stored.set_pseudonym(pseudonym.data(), pseudonym.size());
  clear.SerializeToString(stored.mutable_clear());
  sealed.SerializeToString(&plain);
  auto envelope = cipher_.seal(plain, {pseudonym, kBlockBinding, stored.clear()});
  if (!envelope) return envelope.status();
  stored.set_sealed(std::move(envelope).value());
  out.push_back({encode_store_key(pseudonym, block.front()->created_at(), block.front()->seq()),
                 stored.SerializeAsString()});
  return Status::ok();
}

Status RecordCodec::decode(std::string_view value, std::vector<Record>& out) const {
  stored::StoredBlock head;
  if (!parse(head, value)) return corrupt("not a stored telemetry value");
  const size_t start = out.size();
  Status s = head.format() == kRecordFormat  ? decode_format1(value, out)
             : head.format() == kBlockFormat ? decode_block(head, out)
                                             : corrupt("unknown format " + std::to_string(head.format()));
  if (!s.is_ok()) out.resize(start);
  return s;
}

Status RecordCodec::decode_block(const stored::StoredBlock& block, std::vector<Record>& out) const {
  google::protobuf::Arena arena;
  auto* clear = google::protobuf::Arena::CreateMessage<stored::ClearBlock>(&arena);
  auto* sealed = google::protobuf::Arena::CreateMessage<stored::SealedBlock>(&arena);
  auto plain = cipher_.open(block.sealed(), {block.pseudonym(), kBlockBinding, block.clear()});
  if (!plain) return data_loss("stored telemetry block: " + plain.status().message());
  if (!parse(*sealed, *plain)) return corrupt("the sealed part of a block is not a SealedBlock");
  if (!parse(*clear, block.clear())) return corrupt("the clear part of a block is not a ClearBlock");
  if (clear->records_size() == 0) return corrupt("a block holds no records");
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
          return corrupt(at(i, j) + " has no sealed value of its field");
        }
        sd = &sealed->data(next_sealed++);
      }
      auto d = from_stored(*sd, at(i, j));
      if (!d) return d.status();
      r.data.push_back(std::move(d).value());
    }
  }
  if (next_sealed != sealed->data_size()) return corrupt("a block holds sealed values no record refers to");
  return Status::ok();
}

Status RecordCodec::decode_format1(std::string_view value, std::vector<Record>& out) const {
  stored::StoredRecord in;
  if (!parse(in, value)) return corrupt("not a StoredRecord");
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
      if (sd.value_case() == stored::StoredDatum::kLocationValue) return corrupt(where + " holds a location in clear");
      auto d = from_stored(sd, where);
      if (!d) return d.status();
      r.data.push_back(std::move(d).value());
      continue;
    }
    auto plain = cipher_.open(sd.sealed(), {r.pseudonym, sd.field()});
    if (!plain) return data_loss("stored telemetry record, " + where + ": " + plain.status().message());
    wire::Datum wd;
    if (!wd.ParseFromString(*plain)) return corrupt(where + " holds a sealed value that is not a Datum");
    auto d = from_wire(wd, static_cast<size_t>(i));
    if (!d || static_cast<uint32_t>(d->field) != sd.field()) return corrupt(where + " holds a sealed value of another field");
    r.data.push_back(std::move(d).value());
  }
  return Status::ok();
}

Result<uint64_t> RecordCodec::count(std::string_view value, int64_t from_ms, int64_t to_ms) {
  auto in_range = [&](int64_t t) { return from_ms <= t && t <= to_ms; };
  stored::StoredBlock head;
  if (!parse(head, value)) return corrupt("not a stored telemetry value");
  if (head.format() == kRecordFormat) {
    stored::StoredRecord in;
    if (!parse(in, value)) return corrupt("not a StoredRecord");
    return in_range(in.created_at()) ? 1 : 0;
  }
  if (head.format() != kBlockFormat) return corrupt("unknown format " + std::to_string(head.format()));
  stored::ClearBlock clear;
  if (!parse(clear, head.clear())) return corrupt("the clear part of a block is not a ClearBlock");
  return static_cast<uint64_t>(
      std::count_if(clear.records().begin(), clear.records().end(), [&](const auto& r) { return in_range(r.created_at()); }));
}

}  // namespace fleetgate::telemetry
