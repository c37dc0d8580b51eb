#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

void expect_invalid(const Result<Record>& r, std::string_view fragment) {
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find(fragment), std::string::npos) << r.status().message();
}

TEST(ProtoFormat, RoundTrips) {
  Record r = sample_record();
  auto back = decode_protobuf(encode_protobuf(r));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, r);
  r.data.resize(1);
  r.data[0] = {Field::kLocation, Location{-33.9, 151.2, std::nullopt}};
  EXPECT_EQ(*decode_protobuf(encode_protobuf(r)), r) << "an absent heading stays absent";
}

TEST(ProtoFormat, RejectsMalformedBytesAndUnknownOrMissingFields) {
  expect_invalid(decode_protobuf("\xff\xff\xff"), "malformed protobuf frame");
  std::string truncated = encode_protobuf(sample_record());
  expect_invalid(decode_protobuf(std::string_view(truncated).substr(0, truncated.size() - 3)), "malformed");

  wire::Payload p;
  p.set_vin(std::string(kVin));
  p.add_data()->set_double_value(1);
  expect_invalid(decode_protobuf(p.SerializeAsString()), "data[0].field: missing");
  p.mutable_data(0)->set_field(static_cast<wire::Field>(57));
  expect_invalid(decode_protobuf(p.SerializeAsString()), "data[0].field: unknown field number 57");
  p.mutable_data(0)->set_field(wire::FIELD_SPEED);
  p.mutable_data(0)->clear_value();
  expect_invalid(decode_protobuf(p.SerializeAsString()), "data[0] (speed): no value");
}

TEST(ProtoFormat, EmptyBytesAreAnEmptyPayload) {
  auto r = decode_protobuf("");
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->vin.empty());  // rejected later by the validator
}

TEST(JsonFormat, RoundTrips) {
  Record r = sample_record();
  const std::string text = encode_json(r);
  auto back = decode_json(text);
  ASSERT_TRUE(back.is_ok()) << back.status().to_string() << "\n" << text;
  EXPECT_EQ(*back, r);
}

TEST(JsonFormat, ReadsTheDocumentedShape) {
  auto r = decode_json(R"({"vin":"1HGCM82633A004352","created_at":1700000000000,"seq":7,"data":[
      {"field":"speed","value":42},
      {"field":"location","value":{"lat":31.2304,"lon":121.4737}},
      {"field":"window_front_left","value":30.0},
      {"field":"charge_port_open","value":true},
      {"field":"gear","value":"P"}]})");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->vin, kVin);
  EXPECT_EQ(r->created_at_ms, 1'700'000'000'000);
  EXPECT_EQ(r->seq, 7u);
  ASSERT_EQ(r->data.size(), 5u);
  EXPECT_EQ(r->data[0], (Datum{Field::kSpeed, 42.0})) << "an integer for a double field";
  EXPECT_EQ(r->data[1], (Datum{Field::kLocation, Location{31.2304, 121.4737, std::nullopt}}));
  EXPECT_EQ(r->data[2], (Datum{Field::kWindowFrontLeft, int64_t{30}})) << "an integral double for an int field";
  EXPECT_EQ(r->data[3], (Datum{Field::kChargePortOpen, true}));
  EXPECT_EQ(r->data[4], (Datum{Field::kGear, std::string("P")}));
}

TEST(JsonFormat, KeepsLossyNumbersForTheValidatorToReject) {
  auto r = decode_json(R"({"vin":"x","created_at":1,"seq":0,"data":[{"field":"window_front_left","value":30.5}]})");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->data[0].value, Value(30.5));
}

// A frame whose "data" member is `data`.
std::string with_data(std::string_view data) {
  std::string frame = R"({"vin":"1HGCM82633A004352","created_at":1,"seq":0,"data":)";
  frame.append(data);
  frame.push_back('}');
  return frame;
}

TEST(JsonFormat, NamesWhatIsWrong) {
  expect_invalid(decode_json("{"), "malformed JSON frame");
  expect_invalid(decode_json("[]"), "must be an object");
  expect_invalid(decode_json(R"({"vin":"x","created_at":1,"seq":0})"), "needs vin, created_at, seq and data");
  expect_invalid(decode_json(R"({"vin":1,"created_at":1,"seq":0,"data":[]})"), "vin: must be a string");
  expect_invalid(decode_json(R"({"vin":"x","created_at":1.5,"seq":0,"data":[]})"), "created_at: must be an integer");
  expect_invalid(decode_json(R"({"vin":"x","created_at":1,"seq":-1,"data":[]})"), "seq: must be a non-negative");
  expect_invalid(decode_json(R"({"vin":"x","created_at":1,"seq":0,"data":[],"extra":1})"), "unknown key 'extra'");
  expect_invalid(decode_json(with_data("{}")), "data: must be an array");
  expect_invalid(decode_json(with_data("[1]")), "data[0]: must be an object");
  expect_invalid(decode_json(with_data(R"([{"field":"sped","value":1}])")), "data[0].field: unknown field 'sped'");
  expect_invalid(decode_json(with_data(R"([{"value":1}])")), "data[0].field: missing");
  expect_invalid(decode_json(with_data(R"([{"field":"speed"}])")), "data[0].value: missing");
  expect_invalid(decode_json(with_data(R"([{"field":"speed","value":null}])")), "data[0].value: must be");
  expect_invalid(decode_json(with_data(R"([{"field":"speed","value":1,"unit":"mph"}])")), "unknown key 'unit'");
  expect_invalid(decode_json(with_data(R"([{"field":"location","value":{"lat":1}}])")), "needs lat and lon");
  expect_invalid(decode_json(with_data(R"([{"field":"location","value":{"lat":1,"lon":"2"}}])")), "data[0].value.lon: must be a number");
  expect_invalid(decode_json(with_data(R"([{"field":"location","value":{"lat":1,"lon":2,"alt":3}}])")), "unknown key 'alt'");
}

TEST(JsonFormat, ReadsNumbersExactlyAndWritesThemPlainly) {
  auto r = decode_json(with_data(R"([{"field":"speed","value":422.13294228321837},
      {"field":"location","value":{"lat":31.230416666666667,"lon":121.47500000000002}}])"));
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->data[0].value, Value(422.13294228321837)) << "Boost.JSON alone reads 422.13294228321843";
  EXPECT_EQ(r->data[1].value, Value(Location{31.230416666666667, 121.47500000000002, std::nullopt}));
  EXPECT_EQ(encode_json(*r), R"({"vin":"1HGCM82633A004352","created_at":1,"seq":0,"data":[{"field":"speed","value":422.13294228321837},)"
                             R"({"field":"location","value":{"lat":31.230416666666667,"lon":121.47500000000002}}]})");
}

TEST(JsonFormat, ReadsTheProto3MappingAsProtobufLibrariesWriteIt) {
  for (const bool proto_names : {false, true}) {
    const std::string text = proto3_json(sample_record(), proto_names);
    auto r = decode_json(text);
    ASSERT_TRUE(r.is_ok()) << r.status().to_string() << "\n" << text;
    EXPECT_EQ(*r, sample_record()) << text;
  }
  auto numbers = decode_json(R"({"vin":"1HGCM82633A004352","created_at":1700000000000,"seq":7,"data":[
      {"field":1,"double_value":42},{"field":"FIELD_RANGE_ESTIMATE","intValue":"312"}]})");
  ASSERT_TRUE(numbers.is_ok()) << numbers.status().to_string();
  EXPECT_EQ(numbers->data[0], (Datum{Field::kSpeed, 42.0})) << "enum numbers, proto names, numbers for 64-bit ints";
  EXPECT_EQ(numbers->data[1], (Datum{Field::kRangeEstimate, int64_t{312}}));
  auto strings = decode_json(R"({"vin":"1HGCM82633A004352","created_at":"1700000000000","seq":"7"})");
  ASSERT_TRUE(strings.is_ok()) << "64-bit integers as strings choose the mapping: " << strings.status().to_string();
  EXPECT_EQ(strings->created_at_ms, 1'700'000'000'000);

  expect_invalid(decode_json(R"({"vin":"x","createdAt":"1","seq":"0","colour":"red"})"), "proto3 mapping: colour");
  expect_invalid(decode_json(with_data(R"([{"field":"FIELD_SPEED","doubleValue":1,"value":2}])")), "proto3 mapping");
  expect_invalid(decode_json(with_data(R"([{"field":"speed","doubleValue":1}])")), "proto3 mapping");
  // No value member and no createdAt: read as the short form, which names the field it does not know.
  expect_invalid(decode_json(with_data(R"([{"field":"FIELD_SPEED"}])")), "unknown field 'FIELD_SPEED'");
  expect_invalid(decode_json(R"({"vin":"x","createdAt":"1","seq":"0","data":[{"field":57,"doubleValue":1}]})"),
                 "data[0].field: unknown field number 57");
}

TEST(JsonFormat, HugeIntegersDoNotWrap) {
  auto r = decode_json(R"({"vin":"x","created_at":1,"seq":18446744073709551615,"data":[{"field":"range_estimate","value":18446744073709551615}]})");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->seq, UINT64_MAX);
  EXPECT_EQ(value_type(r->data[0].value), ValueType::kDouble) << "too large for int64: left for the validator";
  expect_invalid(decode_json(R"({"vin":"x","created_at":9223372036854775808,"seq":0,"data":[]})"), "created_at");
}

}  // namespace
}  // namespace fleetgate::telemetry
