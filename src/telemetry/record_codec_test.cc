#include "fleetgate/telemetry/record_codec.h"

#include <gtest/gtest.h>

#include <cstring>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/telemetry/proto/stored_record.pb.h"
#include "fleetgate/telemetry/store_key.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

using privacy::fixed_keys;

bool contains_double(const std::string& bytes, double v) {
  char raw[sizeof v];
  std::memcpy(raw, &v, sizeof v);
  return bytes.find(std::string_view(raw, sizeof v)) != std::string::npos;
}

void expect_data_loss(const Result<Record>& r) {
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kDataLoss) << r.status().to_string();
}

TEST(RecordCodec, RoundTripsAndKeysByPseudonymTimeAndSeq) {
  RecordCodec codec(fixed_keys("eu", 3));
  const Record r = sample_record();
  auto stored = codec.encode(r);
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  const std::string pseudonym = *codec.pseudonym(kVin);
  EXPECT_EQ(stored->key, encode_store_key(pseudonym, r.created_at_ms, r.seq));
  auto back = codec.decode(stored->value);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  Record expected = r;
  expected.pseudonym = pseudonym;
  EXPECT_EQ(*back, expected);
}

TEST(RecordCodec, StoredBytesHoldNoVinAndNoPersonalValueInClear) {
  RecordCodec codec(fixed_keys("cn", 3));
  Record r = sample_record();
  auto stored = codec.encode(r);
  ASSERT_TRUE(stored.is_ok());
  for (const std::string* bytes : {&stored->key, &stored->value}) {
    EXPECT_EQ(bytes->find(kVin), std::string::npos);
    EXPECT_EQ(bytes->find(kVin.substr(0, 11)), std::string::npos) << "not even the WMI and VDS";
    EXPECT_FALSE(contains_double(*bytes, 52.520008)) << "latitude";
    EXPECT_FALSE(contains_double(*bytes, 13.404954)) << "longitude";
    EXPECT_FALSE(contains_double(*bytes, 87.5)) << "heading";
    EXPECT_FALSE(contains_double(*bytes, 42.5)) << "speed is personal";
    EXPECT_FALSE(contains_double(*bytes, -12.0)) << "steering angle is personal";
    EXPECT_EQ(bytes->find("52.52"), std::string::npos);
  }
  EXPECT_TRUE(contains_double(stored->value, 80.25)) << "technical fields stay in clear";
}

TEST(RecordCodec, SealedValuesCannotBeMovedBetweenRecordsOrRegions) {
  auto keys = fixed_keys("eu", 3);
  RecordCodec codec(keys);
  Record a = sample_record();
  Record b = sample_record();
  b.vin = "WVWZZZ1JZXW000001";
  stored::StoredRecord sa, sb;
  ASSERT_TRUE(sa.ParseFromString(codec.encode(a)->value));
  ASSERT_TRUE(sb.ParseFromString(codec.encode(b)->value));

  stored::StoredRecord swapped = sb;
  *swapped.mutable_data(1) = sa.data(1);  // a's location into b
  expect_data_loss(codec.decode(swapped.SerializeAsString()));

  stored::StoredRecord renamed = sa;
  renamed.set_pseudonym(sb.pseudonym());  // a's contents under b's pseudonym
  expect_data_loss(codec.decode(renamed.SerializeAsString()));

  stored::StoredRecord refield = sa;
  refield.mutable_data(1)->set_field(static_cast<uint32_t>(Field::kHeading));  // location relabelled
  expect_data_loss(codec.decode(refield.SerializeAsString()));

  expect_data_loss(RecordCodec(fixed_keys("us", 3)).decode(sa.SerializeAsString()));
}

TEST(RecordCodec, CorruptBytesAreDataLossNeverACrash) {
  RecordCodec codec(fixed_keys("eu", 3));
  const std::string value = codec.encode(sample_record())->value;
  expect_data_loss(codec.decode("\xff\xff"));
  expect_data_loss(codec.decode(""));  // no format, no sealed vin
  for (size_t i = 0; i < value.size(); ++i) {
    std::string bad = value;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto r = codec.decode(bad);
    if (!r.is_ok()) {
      EXPECT_EQ(r.status().code(), Code::kDataLoss) << "byte " << i;
    }
  }
  stored::StoredRecord unknown;
  ASSERT_TRUE(unknown.ParseFromString(value));
  unknown.mutable_data(0)->set_field(15);
  expect_data_loss(codec.decode(unknown.SerializeAsString()));
  unknown.set_format(2);
  expect_data_loss(codec.decode(unknown.SerializeAsString()));
}

TEST(RecordCodec, ReadsRecordsSealedBeforeARotation) {
  const std::string old_value = RecordCodec(fixed_keys("eu", 3, 1)).encode(sample_record())->value;
  RecordCodec rotated(fixed_keys("eu", 3, 2));
  auto back = rotated.decode(old_value);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(back->data, sample_record().data);
}

}  // namespace
}  // namespace fleetgate::telemetry
