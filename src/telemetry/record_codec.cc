#include "fleetgate/telemetry/record_codec.h"

#include <climits>

#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/wire_datum.h"

namespace fleetgate::telemetry {
namespace {

constexpr uint32_t kStoredFormat = 1;
constexpr uint32_t kVinFieldId = 0;  // wire.FIELD_UNSPECIFIED: never a datum

bool sealed_at_rest(const Datum& d) {
  return spec(d.field).data_class == DataClass::kPersonal || value_type(d.value) == ValueType::kLocation;
}

Status corrupt(std::string_view why) { return data_loss("stored telemetry record is corrupt: " + std::string(why)); }

}  // namespace

RecordCodec::RecordCodec(std::shared_ptr<const privacy::RegionKeys> keys)
    : keys_(keys), pseudonymiser_(keys), cipher_(std::move(keys)) {}

Result<StoredForm> RecordCodec::encode(const Record& record) const {
  auto pseudonym = pseudonymiser_.pseudonym(record.vin);
  if (!pseudonym) return pseudonym.status();
  return encode(record, *pseudonym);
}

Result<StoredForm> RecordCodec::encode(const Record& record, std::string_view pseudonym) const {
  stored::StoredRecord out;
  out.set_format(kStoredFormat);
  out.set_pseudonym(std::string(pseudonym));
  out.set_created_at(record.created_at_ms);
  out.set_seq(record.seq);
  auto vin = cipher_.seal(record.vin, {pseudonym, kVinFieldId});
  if (!vin) return vin.status();
  out.set_sealed_vin(std::move(vin).value());
  for (const Datum& d : record.data) {
    stored::StoredDatum* sd = out.add_data();
    sd->set_field(static_cast<uint32_t>(d.field));
    if (!sealed_at_rest(d)) {
      set_scalar(d.value, *sd);  // a technical scalar, stored in clear
      continue;
    }
    wire::Datum plain;
    to_wire(d, plain);
    auto sealed = cipher_.seal(plain.SerializeAsString(), {pseudonym, static_cast<uint32_t>(d.field)});
    if (!sealed) return sealed.status();
    sd->set_sealed(std::move(sealed).value());
  }
  return StoredForm{encode_store_key(pseudonym, record.created_at_ms, record.seq), out.SerializeAsString()};
}

Result<Datum> RecordCodec::decode_datum(const stored::StoredDatum& sd, size_t index, std::string_view pseudonym) const {
  const std::string at = "data[" + std::to_string(index) + "]";
  const FieldSpec* s = find_field(sd.field());
  if (s == nullptr) return corrupt(at + " has unknown field number " + std::to_string(sd.field()));
  switch (sd.value_case()) {
    case stored::StoredDatum::kStringValue: return Datum{s->field, sd.string_value()};
    case stored::StoredDatum::kIntValue: return Datum{s->field, sd.int_value()};
    case stored::StoredDatum::kDoubleValue: return Datum{s->field, sd.double_value()};
    case stored::StoredDatum::kBoolValue: return Datum{s->field, sd.bool_value()};
    case stored::StoredDatum::kSealed: break;
    case stored::StoredDatum::VALUE_NOT_SET: return corrupt(at + " has no value");
  }
  auto plain = cipher_.open(sd.sealed(), {pseudonym, sd.field()});
  if (!plain) return data_loss("stored telemetry record, " + at + " (" + std::string(s->name) + "): " + plain.status().message());
  wire::Datum wd;
  if (!wd.ParseFromString(*plain)) return corrupt(at + " holds a sealed value that is not a Datum");
  auto d = from_wire(wd, index);
  if (!d || d->field != s->field) return corrupt(at + " holds a sealed value of another field");
  return d;
}

Result<Record> RecordCodec::decode(std::string_view value) const {
  stored::StoredRecord in;
  if (value.size() > INT_MAX || !in.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return corrupt("not a StoredRecord message");
  }
  if (in.format() != kStoredFormat) return corrupt("unknown format " + std::to_string(in.format()));
  Record r;
  r.pseudonym = in.pseudonym();
  r.created_at_ms = in.created_at();
  r.seq = in.seq();
  auto vin = cipher_.open(in.sealed_vin(), {r.pseudonym, kVinFieldId});
  if (!vin) return data_loss("stored telemetry record, vin: " + vin.status().message());
  r.vin = std::move(vin).value();
  for (int i = 0; i < in.data_size(); ++i) {
    auto d = decode_datum(in.data(i), static_cast<size_t>(i), r.pseudonym);
    if (!d) return d.status();
    r.data.push_back(std::move(d).value());
  }
  return r;
}

}  // namespace fleetgate::telemetry
