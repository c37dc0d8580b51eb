#include "fleetgate/telemetry/record_codec.h"

#include <gtest/gtest.h>

#include <cstring>
#include <functional>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/telemetry/columnar_block.h"
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

// Records of one vehicle as the format-2 writer stored them: one StoredDatum per value, personal
// ones in the block's envelope.
std::string format2_value(const std::shared_ptr<const privacy::RegionKeys>& keys, const std::vector<Record>& records) {
  const std::string pseudonym = *privacy::Pseudonymiser(keys).pseudonym(records.front().vin);
  stored::ClearBlock clear;
  stored::SealedBlock sealed;
  sealed.set_vin(records.front().vin);
  for (const Record& r : records) {
    stored::StoredBlockRecord* sr = clear.add_records();
    sr->set_created_at(r.created_at_ms);
    sr->set_seq(r.seq);
    for (const Datum& d : r.data) {
      stored::StoredDatum* sd = sr->add_data();
      sd->set_field(static_cast<uint32_t>(d.field));
      if (spec(d.field).data_class == DataClass::kTechnical) {
        set_value(d.value, *sd);
        continue;
      }
      stored::StoredDatum* sealed_datum = sealed.add_data();
      sealed_datum->set_field(static_cast<uint32_t>(d.field));
      set_value(d.value, *sealed_datum);
    }
  }
  stored::StoredBlock out;
  out.set_format(2);
  out.set_pseudonym(pseudonym);
  out.set_clear(clear.SerializeAsString());
  out.set_sealed(*privacy::FieldCipher(keys).seal(sealed.SerializeAsString(), {pseudonym, kBlockBinding, out.clear()}));
  return out.SerializeAsString();
}

// The parts of a format-3 block, opened with the region's cipher.
struct Parts {
  std::string pseudonym;
  stored::ColumnarBlock clear;
  stored::SealedColumns sealed;
};

Parts open_parts(const std::shared_ptr<const privacy::RegionKeys>& keys, const std::string& value) {
  Parts p;
  stored::StoredBlock block;
  EXPECT_TRUE(block.ParseFromString(value));
  EXPECT_EQ(block.format(), 3u);
  p.pseudonym = block.pseudonym();
  EXPECT_TRUE(p.clear.ParseFromString(block.clear()));
  auto plain = privacy::FieldCipher(keys).open(block.sealed(), {p.pseudonym, kBlockBinding, block.clear()});
  EXPECT_TRUE(plain.is_ok()) << plain.status().to_string();
  EXPECT_TRUE(p.sealed.ParseFromString(*plain));
  return p;
}

// A format-3 value of `p`, sealed properly: whatever is wrong with it is wrong inside the envelope.
std::string seal_parts(const std::shared_ptr<const privacy::RegionKeys>& keys, const Parts& p) {
  stored::StoredBlock out;
  out.set_format(3);
  out.set_pseudonym(p.pseudonym);
  out.set_clear(p.clear.SerializeAsString());
  out.set_sealed(*privacy::FieldCipher(keys).seal(p.sealed.SerializeAsString(), {p.pseudonym, kBlockBinding, out.clear()}));
  return out.SerializeAsString();
}

// Decodes `records` after a trip through one format-3 block.
std::vector<Record> one_block_round_trip(const RecordCodec& codec, const std::vector<Record>& records) {
  const auto blocks = encode_all(codec, records);
  EXPECT_EQ(blocks.size(), 1u);
  auto back = decode(codec, blocks.at(0).value);
  EXPECT_TRUE(back.is_ok()) << back.status().to_string();
  return back.is_ok() ? *back : std::vector<Record>{};
}

// `records` as decoding returns them: with the pseudonym set.
std::vector<Record> with_pseudonym(const RecordCodec& codec, std::vector<Record> records) {
  for (Record& r : records) r.pseudonym = *codec.pseudonym(r.vin);
  return records;
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
  block.set_format(4);
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

// Found by stored_block_fuzz: a sealed VIN that is no VIN (here not even UTF-8) decoded into a
// record that no block can hold. Every format reads a VIN only when it is 17 VIN characters.
TEST(RecordCodec, AStoredVinThatIsNoVinIsDataLoss) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  Record r = sample_record();
  r.vin = "1HGCM82633\xff\xff" "04352";
  expect_data_loss(decode(codec, format1_value(keys, r)));
  r.vin = "NOT-A-VIN";
  std::vector<StoredForm> blocks;
  ASSERT_TRUE(codec.encode(std::vector<Record>{r}, *codec.pseudonym(kVin), blocks).is_ok());
  expect_data_loss(decode(codec, blocks.at(0).value));
}

// Found by stored_block_fuzz: formats 1 and 2 read a value of another type than its field's
// (an int for a double field) into a record no block can hold. Format 3 refused it already.
TEST(RecordCodec, AnOlderFormatValueOfAnotherTypeThanItsFieldIsDataLoss) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  Record r = sample_record();
  r.data.push_back({Field::kLongitudinalAcceleration, int64_t{312}});
  expect_data_loss(decode(codec, format1_value(keys, r)));
  expect_data_loss(decode(codec, format2_value(keys, {r})));
}

TEST(RecordCodec, ReadsRecordsSealedBeforeARotation) {
  const std::string old_value = RecordCodec(fixed_keys("eu", 3, 1)).encode(sample_record())->value;
  RecordCodec rotated(fixed_keys("eu", 3, 2));
  auto back = decode(rotated, old_value);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->front().data, sample_record().data);
}

TEST(RecordCodec, WritesFormatThreeWithOneLayoutAndPackedColumns) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  const auto blocks = encode_all(codec, drive(50, 100));
  ASSERT_EQ(blocks.size(), 1u);
  const Parts p = open_parts(keys, blocks[0].value);
  ASSERT_EQ(p.clear.layouts_size(), 1);
  EXPECT_EQ(p.clear.layout_of_size(), 0) << "no layout indices when every record has the one layout";
  EXPECT_EQ(p.clear.layouts(0).fields_size(), 7);
  EXPECT_EQ(p.clear.created_at_size(), 50);
  EXPECT_EQ(p.clear.created_at(1), 100) << "times after the first are differences";
  EXPECT_EQ(p.clear.seq(1), 1);
  // Per record in clear: state of charge (double), range (int), trunk (bool), gear (string).
  EXPECT_EQ(p.clear.values().doubles_size(), 50);
  EXPECT_EQ(p.clear.values().ints_size(), 50);
  EXPECT_EQ(p.clear.values().bools_size(), 50);
  EXPECT_EQ(p.clear.values().strings_size(), 50);
  EXPECT_EQ(p.clear.values().dictionary_size(), 1) << "\"D\" stored once";
  // Sealed: speed, steering angle and the location's lat and lon (drive() gives no heading).
  EXPECT_EQ(p.sealed.values().doubles_size(), 50 * 4);
  EXPECT_EQ(p.sealed.vin(), kVin);
}

TEST(RecordCodec, RoundTripsEveryValueKindInEitherPart) {
  RecordCodec codec(fixed_keys("eu", 3));
  Record r = sample_record();
  r.data.push_back({Field::kChargingState, std::string("disconnected")});  // a second string column entry
  r.data.push_back({Field::kWindowRearLeft, int64_t{-7}});                  // negative ints zigzag
  r.data.push_back({Field::kFrunkOpen, true});
  r.data.push_back({Field::kSpeed, 0.0});                                   // a field twice
  r.data.push_back({Field::kYawRate, -359.5});
  r.data.push_back({Field::kOdometer, 1e300});
  std::vector<Record> records{r};
  Record no_heading = r;
  no_heading.seq += 1;
  no_heading.data[1].value = Location{-33.9, 151.2, std::nullopt};
  records.push_back(no_heading);
  EXPECT_EQ(one_block_round_trip(codec, records), with_pseudonym(codec, records));
}

TEST(RecordCodec, OneBlockHoldsRecordsOfDifferentLayouts) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  std::vector<Record> records = drive(5, 1000);
  records[1].data.pop_back();                                       // fewer items
  std::swap(records[2].data[0], records[2].data[2]);                // another order
  records[3].data.clear();                                          // none at all
  records[4].data[1].value = Location{52.1, 13.4, 270.0};           // a heading: another kind
  const auto blocks = encode_all(codec, records);
  ASSERT_EQ(blocks.size(), 1u);
  const Parts p = open_parts(keys, blocks[0].value);
  EXPECT_EQ(p.clear.layouts_size(), 5);
  EXPECT_EQ(p.clear.layout_of_size(), 5);
  EXPECT_EQ(one_block_round_trip(codec, records), with_pseudonym(codec, records));
}

TEST(RecordCodec, RefusesToStoreAValueOfAnotherTypeThanItsField) {
  RecordCodec codec(fixed_keys("eu", 3));
  std::vector<Record> records = drive(2, 1000);
  records[1].data[4].value = std::string("open");  // trunk_open is a bool
  std::vector<StoredForm> out;
  Status s = codec.encode(records, *codec.pseudonym(kVin), out);
  ASSERT_EQ(s.code(), Code::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find("data[4] (trunk_open): a string value where the catalogue says bool"), std::string::npos)
      << s.message();
  Record unknown = sample_record();
  unknown.data[0].field = static_cast<Field>(57);
  EXPECT_EQ(codec.encode(unknown).status().code(), Code::kInvalidArgument);
}

TEST(RecordCodec, RoundTripsMoreDistinctStringsThanTheDictionaryProbes) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  std::vector<Record> records = drive(3 * kDictionaryProbe, 10);
  for (size_t i = 0; i < records.size(); ++i) {
    // Unvalidated gears: distinct for the first 2 * kDictionaryProbe records, then repeats of
    // strings both inside and beyond the probed entries.
    records[i].data[2].value = "gear " + std::to_string(i % (2 * kDictionaryProbe));
    if (i % 5 == 0) records[i].data[2].value = std::string(1000, static_cast<char>('a' + i % 26));
  }
  EXPECT_EQ(one_block_round_trip(codec, records), with_pseudonym(codec, records));
  const Parts p = open_parts(keys, encode_all(codec, records)[0].value);
  EXPECT_GT(p.clear.values().dictionary_size(), kDictionaryProbe);
}

TEST(RecordCodec, RecordsSharingATimeKeepTheirSeqOrderAndCount) {
  RecordCodec codec(fixed_keys("eu", 3));
  std::vector<Record> records = drive(5, 0);  // one created_at, seq 1..5
  records[4].created_at_ms += 1;
  std::reverse(records.begin(), records.end());
  const auto blocks = encode_all(codec, records);
  ASSERT_EQ(blocks.size(), 1u);
  std::reverse(records.begin(), records.end());
  EXPECT_EQ(*decode(codec, blocks[0].value), with_pseudonym(codec, records));
  const int64_t t = records[0].created_at_ms;
  EXPECT_EQ(*RecordCodec::count(blocks[0].value, t, t), 4u);
  EXPECT_EQ(*RecordCodec::count(blocks[0].value, t + 1, INT64_MAX), 1u);
  EXPECT_EQ(*RecordCodec::count(blocks[0].value, INT64_MIN, t - 1), 0u);
}

TEST(RecordCodec, RoundTripsExtremeTimesAndSeqs) {
  RecordCodec codec(fixed_keys("eu", 3));
  std::vector<Record> low = drive(2, 1);
  low[0].created_at_ms = INT64_MIN;
  low[1].created_at_ms = INT64_MIN + 1;
  low[0].seq = UINT64_MAX;
  low[1].seq = 0;  // the difference wraps
  EXPECT_EQ(one_block_round_trip(codec, low), with_pseudonym(codec, low));
  std::vector<Record> high = drive(2, 1);
  high[0].created_at_ms = INT64_MAX - 1;
  high[1].created_at_ms = INT64_MAX;
  high[1].seq = UINT64_MAX;
  EXPECT_EQ(one_block_round_trip(codec, high), with_pseudonym(codec, high));
  EXPECT_EQ(*RecordCodec::count(encode_all(codec, high)[0].value, INT64_MAX, INT64_MAX), 1u);
}

TEST(RecordCodec, ReadsAndCountsFormatTwoBlocks) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  std::vector<Record> records = drive(4, 1000);
  records[2].data.push_back({Field::kChargingState, std::string("charging")});
  const std::string value = format2_value(keys, records);
  EXPECT_EQ(*decode(codec, value), with_pseudonym(codec, records));
  EXPECT_EQ(*RecordCodec::count(value, records[1].created_at_ms, records[2].created_at_ms), 2u);

  stored::StoredBlock relabelled;
  ASSERT_TRUE(relabelled.ParseFromString(value));
  relabelled.set_format(3);  // the envelope still opens, the clear part holds no records
  expect_data_loss(decode(codec, relabelled.SerializeAsString()));
  EXPECT_EQ(RecordCodec::count(relabelled.SerializeAsString(), INT64_MIN, INT64_MAX).status().code(), Code::kDataLoss);
}

TEST(RecordCodec, AFormatThreeBlockRelabelledAsAnotherFormatIsDataLoss) {
  RecordCodec codec(fixed_keys("eu", 3));
  stored::StoredBlock block;
  ASSERT_TRUE(block.ParseFromString(encode_all(codec, drive(3, 1000))[0].value));
  for (uint32_t format : {1u, 2u, 4u}) {
    block.set_format(format);
    expect_data_loss(decode(codec, block.SerializeAsString()));
    if (format == 1) continue;  // count reads a format-1 time without opening anything
    EXPECT_EQ(RecordCodec::count(block.SerializeAsString(), INT64_MIN, INT64_MAX).status().code(), Code::kDataLoss)
        << format;
  }
}

// A properly sealed format-3 block whose parts `edit` made inconsistent must be kDataLoss naming
// `fragment`, from decode and, when the clear part is at fault, from count.
void expect_structural_data_loss(std::string_view fragment, bool count_sees_it, const std::function<void(Parts&)>& edit) {
  SCOPED_TRACE(std::string(fragment));
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  std::vector<Record> records = drive(3, 1000);
  records[2].data.pop_back();  // two layouts
  Parts p = open_parts(keys, encode_all(codec, records)[0].value);
  ASSERT_EQ(p.clear.layouts_size(), 2);
  edit(p);
  const std::string value = seal_parts(keys, p);
  auto r = decode(codec, value);
  expect_data_loss(r);
  if (!r.is_ok()) {
    EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
  }
  auto n = RecordCodec::count(value, INT64_MIN, INT64_MAX);
  if (count_sees_it) {
    ASSERT_FALSE(n.is_ok());
    EXPECT_EQ(n.status().code(), Code::kDataLoss);
    EXPECT_NE(n.status().message().find(fragment), std::string::npos) << n.status().message();
  } else {
    EXPECT_EQ(*n, 3u) << "count reads the clear part alone";
  }
}

TEST(RecordCodec, AStructurallyBadBlockIsDataLossEvenWhenItsEnvelopeOpens) {
  expect_structural_data_loss("holds no records", true, [](Parts& p) {
    p.clear.clear_created_at();
    p.clear.clear_seq();
  });
  expect_structural_data_loss("3 times but 2 seqs", true, [](Parts& p) { p.clear.mutable_seq()->RemoveLast(); });
  expect_structural_data_loss("has 2 layouts and 0 layout indices", true, [](Parts& p) { p.clear.clear_layout_of(); });
  expect_structural_data_loss("has 2 layouts and 2 layout indices", true, [](Parts& p) { p.clear.mutable_layout_of()->RemoveLast(); });
  expect_structural_data_loss("records[1] has layout 2 of 2", true, [](Parts& p) { p.clear.set_layout_of(1, 2); });
  expect_structural_data_loss("records[0] has layout 4294967295 of 2", true,
                              [](Parts& p) { p.clear.set_layout_of(0, UINT32_MAX); });
  expect_structural_data_loss("layouts[0] has 7 fields but 6 kinds", true,
                              [](Parts& p) { p.clear.mutable_layouts(0)->mutable_kinds()->RemoveLast(); });
  expect_structural_data_loss("layouts[1] item 0 has unknown field number 57", true,
                              [](Parts& p) { p.clear.mutable_layouts(1)->set_fields(0, 57); });
  expect_structural_data_loss("layouts[0] item 0 has unknown field number 0", true,
                              [](Parts& p) { p.clear.mutable_layouts(0)->set_fields(0, 0); });
  expect_structural_data_loss("layouts[0] item 0 has value kind 1 for speed, a double field", true,
                              [](Parts& p) { p.clear.mutable_layouts(0)->set_kinds(0, stored::VALUE_KIND_STRING); });
  expect_structural_data_loss("layouts[0] item 1 has value kind 99 for location", true,
                              [](Parts& p) { p.clear.mutable_layouts(0)->set_kinds(1, static_cast<stored::ValueKind>(99)); });
  expect_structural_data_loss("layouts[0] item 1 has value kind 0 for location", true,
                              [](Parts& p) { p.clear.mutable_layouts(0)->set_kinds(1, stored::VALUE_KIND_UNSPECIFIED); });
  expect_structural_data_loss("clear part has 2 doubles where its layouts call for 3", true,
                              [](Parts& p) { p.clear.mutable_values()->mutable_doubles()->RemoveLast(); });
  expect_structural_data_loss("clear part has 4 ints where its layouts call for 3", true,
                              [](Parts& p) { p.clear.mutable_values()->add_ints(1); });
  expect_structural_data_loss("clear part has 4 bools where its layouts call for 3", true,
                              [](Parts& p) { p.clear.mutable_values()->add_bools(true); });
  expect_structural_data_loss("clear part refers to string 1 of a dictionary of 1", true,
                              [](Parts& p) { p.clear.mutable_values()->set_strings(2, 1); });
  expect_structural_data_loss("clear part refers to string 4294967295 of a dictionary of 0", true, [](Parts& p) {
    p.clear.mutable_values()->clear_dictionary();
    p.clear.mutable_values()->set_strings(0, UINT32_MAX);
  });
  expect_structural_data_loss("sealed part has 10 doubles where its layouts call for 11", false,
                              [](Parts& p) { p.sealed.mutable_values()->mutable_doubles()->RemoveLast(); });
  expect_structural_data_loss("sealed part has 1 strings where its layouts call for 0", false,
                              [](Parts& p) { p.sealed.mutable_values()->add_strings(0); });
  expect_structural_data_loss("layouts[0] item 6 has value kind 5 for steering_angle", true, [](Parts& p) {
    p.clear.mutable_layouts(0)->set_kinds(6, stored::VALUE_KIND_LOCATION);  // would read two doubles
  });
}

}  // namespace
}  // namespace fleetgate::telemetry
