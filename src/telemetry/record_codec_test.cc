#include "fleetgate/telemetry/record_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/test_records.h"
#include "fleetgate/telemetry/wire_datum.h"

namespace fleetgate::telemetry {
namespace {

using privacy::fixed_keys;

bool contains_double(const std::string& bytes, double v) {
  char raw[sizeof v];
  std::memcpy(raw, &v, sizeof v);
  return bytes.find(std::string_view(raw, sizeof v)) != std::string::npos;
}

Result<std::vector<Record>> decode(const RecordCodec& codec, std::string_view value) {
  std::vector<Record> out;
  if (Status s = codec.decode(value, out); !s.is_ok()) {
    EXPECT_TRUE(out.empty()) << "a failed decode leaves its output as it was";
    return s;
  }
  return out;
}

void expect_data_loss(const Result<std::vector<Record>>& r) {
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss) << r.status().to_string();
}

// Records of sample_record()'s vehicle, `step_ms` apart, seq 1..n.
std::vector<Record> drive(size_t n, int64_t step_ms) {
  std::vector<Record> out;
  for (size_t i = 0; i < n; ++i) {
    Record r = sample_record();
    r.seq = i + 1;
    r.created_at_ms = kNow - 3'600'000 + static_cast<int64_t>(i) * step_ms;
    r.data[0].value = 10.0 + static_cast<double>(i);                                    // speed (personal)
    r.data[1].value = Location{52.0 + 0.001 * static_cast<double>(i), 13.4, std::nullopt};  // location
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<StoredForm> encode_all(const RecordCodec& codec, const std::vector<Record>& records) {
  std::vector<StoredForm> blocks;
  Status s = codec.encode(records, *codec.pseudonym(kVin), blocks);
  EXPECT_TRUE(s.is_ok()) << s.to_string();
  return blocks;
}

// A record as the format-1 writer stored it: VIN and personal fields each their own envelope.
std::string format1_value(const std::shared_ptr<const privacy::RegionKeys>& keys, const Record& r) {
  const std::string pseudonym = *privacy::Pseudonymiser(keys).pseudonym(r.vin);
  privacy::FieldCipher cipher(keys);
  stored::StoredRecord out;
  out.set_format(1);
  out.set_pseudonym(pseudonym);
  out.set_created_at(r.created_at_ms);
  out.set_seq(r.seq);
  out.set_sealed_vin(*cipher.seal(r.vin, {pseudonym, 0}));
  for (const Datum& d : r.data) {
    stored::StoredDatum* sd = out.add_data();
    sd->set_field(static_cast<uint32_t>(d.field));
    if (d.field != Field::kLocation && d.field != Field::kSpeed && d.field != Field::kSteeringAngle) {
      set_scalar(d.value, *sd);
      continue;
    }
    wire::Datum plain;
    to_wire(d, plain);
    sd->set_sealed(*cipher.seal(plain.SerializeAsString(), {pseudonym, static_cast<uint32_t>(d.field)}));
  }
  return out.SerializeAsString();
}

TEST(RecordCodec, RoundTripsAndKeysByPseudonymTimeAndSeq) {
  RecordCodec codec(fixed_keys("eu", 3));
  const Record r = sample_record();
  auto stored = codec.encode(r);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  const std::string pseudonym = *codec.pseudonym(kVin);
  EXPECT_EQ(stored->key, encode_store_key(pseudonym, r.created_at_ms, r.seq));
  auto back = decode(codec, stored->value);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  Record expected = r;
  expected.pseudonym = pseudonym;
  EXPECT_EQ(*back, std::vector<Record>{expected});
}

TEST(RecordCodec, ABatchBecomesTimeOrderedBlocksOfBoundedSpanAndSize) {
  RecordCodec codec(fixed_keys("eu", 3));
  std::vector<Record> records = drive(kMaxBlockRecords + 10, 10);  // 10.33 s: split by count
  std::vector<Record> late = drive(3, 1000);
  for (Record& r : late) {
    r.created_at_ms += 200'000;  // beyond the span of the first block
    r.seq += 5000;
  }
  records.insert(records.end(), late.begin(), late.end());
  std::reverse(records.begin(), records.end());
  const auto blocks = encode_all(codec, records);
  ASSERT_EQ(blocks.size(), 3u);
  std::vector<Record> back;
  for (const StoredForm& b : blocks) {
    const size_t before = back.size();
    ASSERT_TRUE(codec.decode(b.value, back).is_ok());
    const Record& first = back[before];
    EXPECT_EQ(b.key, encode_store_key(first.pseudonym, first.created_at_ms, first.seq)) << "keyed by its first record";
    EXPECT_LE(back.back().created_at_ms - first.created_at_ms, kMaxBlockSpanMs);
    EXPECT_LE(back.size() - before, kMaxBlockRecords);
  }
  ASSERT_EQ(back.size(), records.size());
  for (size_t i = 1; i < back.size(); ++i) {
    EXPECT_LT(back[i - 1].created_at_ms, back[i].created_at_ms) << i;
  }
  std::reverse(records.begin(), records.end());
  for (size_t i = 0; i < back.size(); ++i) {
    Record expected = records[i];
    expected.pseudonym = back[i].pseudonym;
    ASSERT_EQ(back[i], expected) << i;
  }
  EXPECT_EQ(*RecordCodec::count(blocks[2].value, records.back().created_at_ms, records.back().created_at_ms), 1u);
  EXPECT_EQ(*RecordCodec::count(blocks[0].value, INT64_MIN, INT64_MAX), kMaxBlockRecords);
}

TEST(RecordCodec, StoredBytesHoldNoVinAndNoPersonalValueInClear) {
  RecordCodec codec(fixed_keys("cn", 3));
  std::vector<Record> records = drive(5, 1000);
  records.push_back(sample_record());
  for (const StoredForm& b : encode_all(codec, records)) {
    for (const std::string* bytes : {&b.key, &b.value}) {
      EXPECT_EQ(bytes->find(kVin), std::string::npos);
      EXPECT_EQ(bytes->find(kVin.substr(0, 11)), std::string::npos) << "not even the WMI and VDS";
      EXPECT_FALSE(contains_double(*bytes, 52.520008)) << "latitude";
      EXPECT_FALSE(contains_double(*bytes, 13.404954)) << "longitude";
      EXPECT_FALSE(contains_double(*bytes, 52.0 + 0.001 * 2.0)) << "latitude";
      EXPECT_FALSE(contains_double(*bytes, 87.5)) << "heading";
      EXPECT_FALSE(contains_double(*bytes, 42.5)) << "speed is personal";
      EXPECT_FALSE(contains_double(*bytes, 13.0)) << "speed is personal";
      EXPECT_FALSE(contains_double(*bytes, -12.0)) << "steering angle is personal";
      EXPECT_EQ(bytes->find("52.52"), std::string::npos);
    }
    EXPECT_TRUE(contains_double(b.value, 80.25)) << "technical fields stay in clear";
  }
}

TEST(RecordCodec, AnyEditedByteOfABlockIsDataLoss) {
  RecordCodec codec(fixed_keys("eu", 3));
  const auto blocks = encode_all(codec, drive(3, 1000));
  ASSERT_EQ(blocks.size(), 1u);
  const std::string& value = blocks[0].value;
  for (size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    auto r = decode(codec, bad);
    ASSERT_FALSE(r.is_ok()) << "byte " << i << " of " << value.size() << " changed and still decoded";
    EXPECT_EQ(r.status().code(), Code::kDataLoss) << "byte " << i;
  }
  for (size_t n = 0; n < value.size(); ++n) expect_data_loss(decode(codec, value.substr(0, n)));
}

TEST(RecordCodec, SealedPartsCannotMoveBetweenBlocksVehiclesOrRegions) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  std::vector<Record> other_vehicle = drive(2, 1000);
  for (Record& r : other_vehicle) r.vin = "WVWZZZ1JZXW000001";
  stored::StoredBlock a, a2, b;
  ASSERT_TRUE(a.ParseFromString(encode_all(codec, drive(2, 1000))[0].value));
  ASSERT_TRUE(a2.ParseFromString(encode_all(codec, drive(3, 1000))[0].value));
  std::vector<StoredForm> bs;
  ASSERT_TRUE(codec.encode(other_vehicle, *codec.pseudonym(other_vehicle[0].vin), bs).is_ok());
  ASSERT_TRUE(b.ParseFromString(bs[0].value));

  stored::StoredBlock swapped = a2;
  swapped.set_sealed(a.sealed());  // another block's personal values, same vehicle
  expect_data_loss(decode(codec, swapped.SerializeAsString()));

  stored::StoredBlock renamed = a;
  renamed.set_pseudonym(b.pseudonym());  // a's contents under b's pseudonym
  expect_data_loss(decode(codec, renamed.SerializeAsString()));

  stored::StoredBlock reclear = a;
  reclear.set_clear(a2.clear());  // other clear values beside a's envelope
  expect_data_loss(decode(codec, reclear.SerializeAsString()));

  expect_data_loss(decode(RecordCodec(fixed_keys("us", 3)), a.SerializeAsString()));
}

TEST(RecordCodec, CorruptBytesAreDataLossNeverACrash) {
  RecordCodec codec(fixed_keys("eu", 3));
  expect_data_loss(decode(codec, "\xff\xff"));
  expect_data_loss(decode(codec, ""));  // no format
  stored::StoredBlock block;
  ASSERT_TRUE(block.ParseFromString(codec.encode(sample_record())->value));
  block.set_format(3);
  expect_data_loss(decode(codec, block.SerializeAsString()));
  EXPECT_EQ(RecordCodec::count(block.SerializeAsString(), 0, kNow).status().code(), Code::kDataLoss);
  EXPECT_EQ(RecordCodec::count("\xff\xff", 0, kNow).status().code(), Code::kDataLoss);
}

TEST(RecordCodec, ReadsFormatOneRecordsWrittenBeforeBlocks) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  const Record r = sample_record();
  const std::string value = format1_value(keys, r);
  auto back = decode(codec, value);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  ASSERT_EQ(back->size(), 1u);
  Record expected = r;
  expected.pseudonym = *codec.pseudonym(kVin);
  EXPECT_EQ(back->front(), expected);
  EXPECT_EQ(*RecordCodec::count(value, r.created_at_ms, r.created_at_ms), 1u);
  EXPECT_EQ(*RecordCodec::count(value, r.created_at_ms + 1, kNow), 0u);

  stored::StoredRecord edited;
  ASSERT_TRUE(edited.ParseFromString(value));
  *edited.mutable_data(0) = edited.data(1);  // the sealed location moved into the speed slot
  edited.mutable_data(0)->set_field(static_cast<uint32_t>(Field::kSpeed));
  expect_data_loss(decode(codec, edited.SerializeAsString()));
  expect_data_loss(decode(RecordCodec(fixed_keys("us", 3)), value));
}

TEST(RecordCodec, ReadsRecordsSealedBeforeARotation) {
  const std::string old_value = RecordCodec(fixed_keys("eu", 3, 1)).encode(sample_record())->value;
  RecordCodec rotated(fixed_keys("eu", 3, 2));
  auto back = decode(rotated, old_value);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->front().data, sample_record().data);
}

}  // namespace
}  // namespace fleetgate::telemetry
