#include "fleetgate/telemetry/frame.h"

#include <gtest/gtest.h>

#include <tuple>

#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

TEST(ParseFrame, AcceptsBothFormats) {
  Validator v = fixed_clock_validator();
  auto p = parse_frame(encode_protobuf(sample_record()), FrameFormat::kProtobuf, v);
  ASSERT_TRUE(p.is_ok()) << p.status().to_string();
  EXPECT_EQ(*p, sample_record());
  auto j = parse_frame(encode_json(sample_record()), FrameFormat::kJson, v);
  ASSERT_TRUE(j.is_ok()) << j.status().to_string();
  EXPECT_EQ(*j, sample_record());
}

TEST(ParseFrame, RejectsOversizeFramesBeforeDecoding) {
  ValidationOptions o;
  const std::string frame = encode_json(sample_record());
  o.max_frame_bytes = frame.size() - 1;
  auto r = parse_frame(frame, FrameFormat::kJson, fixed_clock_validator(o));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("exceeds the limit of " + std::to_string(frame.size() - 1)), std::string::npos);
}

TEST(ParseFrame, ValidatesAfterDecoding) {
  Record r = sample_record();
  r.data.push_back({Field::kSpeed, 900.0});
  auto p = parse_frame(encode_protobuf(r), FrameFormat::kProtobuf, fixed_clock_validator());
  ASSERT_FALSE(p.is_ok());
  EXPECT_NE(p.status().message().find("data[7] (speed)"), std::string::npos);
  auto m = parse_frame("not json", FrameFormat::kJson, fixed_clock_validator());
  ASSERT_FALSE(m.is_ok());
  EXPECT_EQ(m.status().code(), Code::kInvalidArgument);
}

std::vector<Record> decoded(const wire::Batch& batch) {
  std::vector<Record> out;
  for (const wire::Payload& p : batch.records()) out.push_back(*decode_payload(p));
  return out;
}

TEST(ParseRecords, ReadsSingleFramesAndBatchesOfBothFormats) {
  const Validator v = fixed_clock_validator();
  Record second = sample_record();
  second.seq = 43;
  const std::vector<Record> records{sample_record(), second};
  wire::Batch out;
  ASSERT_TRUE(parse_records(encode_protobuf(second), FrameFormat::kProtobuf, false, v, 10, out).is_ok());
  EXPECT_EQ(decoded(out), std::vector<Record>{second});
  ASSERT_TRUE(parse_records(encode_json(second), FrameFormat::kJson, false, v, 10, out).is_ok());
  EXPECT_EQ(decoded(out), std::vector<Record>{second}) << "the previous frame's records are replaced";
  ASSERT_TRUE(parse_records(encode_protobuf_batch(records), FrameFormat::kProtobuf, true, v, 10, out).is_ok());
  EXPECT_EQ(decoded(out), records);
  const std::string array = "[" + encode_json(sample_record()) + "," + encode_json(second) + "]";
  ASSERT_TRUE(parse_records(array, FrameFormat::kJson, true, v, 10, out).is_ok());
  EXPECT_EQ(decoded(out), records);
}

TEST(ParseRecords, ValidatesEveryRecordAndNamesItInABatch) {
  const Validator v = fixed_clock_validator();
  Record bad = sample_record();
  bad.data.push_back({Field::kSpeed, 900.0});
  wire::Batch out;
  Status s = parse_records(encode_protobuf(bad), FrameFormat::kProtobuf, false, v, 10, out);
  EXPECT_EQ(s.message(), parse_frame(encode_protobuf(bad), FrameFormat::kProtobuf, v).status().message());
  s = parse_records(encode_protobuf_batch({sample_record(), bad}), FrameFormat::kProtobuf, true, v, 10, out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.message().rfind("records[1]: data[7] (speed): 900 km/h is out of range", 0), 0u) << s.message();
  s = parse_records("[" + encode_json(sample_record()) + "," + encode_json(bad) + "]", FrameFormat::kJson, true, v, 10, out);
  EXPECT_EQ(s.message().rfind("records[1]: data[7] (speed)", 0), 0u) << s.message();
  wire::Payload unknown;
  to_payload(sample_record(), unknown);
  unknown.mutable_data(2)->set_field(static_cast<wire::Field>(57));
  unknown.set_vin("not a VIN");
  s = parse_records(unknown.SerializeAsString(), FrameFormat::kProtobuf, false, v, 10, out);
  EXPECT_EQ(s.message(), "data[2].field: unknown field number 57") << "structure is checked before the VIN and values";
  EXPECT_NE(parse_records(encode_protobuf_batch({sample_record(), sample_record()}), FrameFormat::kProtobuf, true, v,
                          1, out)
                .message()
                .find("batch of 2 records exceeds the limit of 1"),
            std::string::npos);
  EXPECT_EQ(parse_records("", FrameFormat::kProtobuf, true, v, 10, out).message(), "empty batch");
  EXPECT_EQ(parse_records("\xff\xff", FrameFormat::kProtobuf, true, v, 10, out).code(), Code::kInvalidArgument);
}

// The ack of a refused frame names its seq when the frame decoded (wire.Ack.seq).
TEST(ParseRecords, LeavesTheRecordsOfARefusedFrameThatDecoded) {
  const Validator v = fixed_clock_validator();
  Record bad = sample_record();
  bad.seq = 77;
  bad.data.push_back({Field::kSpeed, 900.0});
  wire::Batch out;
  EXPECT_FALSE(parse_records(encode_protobuf(bad), FrameFormat::kProtobuf, false, v, 10, out).is_ok());
  EXPECT_EQ(ack_seq(out), 77u);
  EXPECT_FALSE(parse_records(encode_json(bad), FrameFormat::kJson, false, v, 10, out).is_ok());
  EXPECT_EQ(ack_seq(out), 77u);
  EXPECT_FALSE(parse_records("[" + encode_json(bad) + "," + encode_json(sample_record()) + "]", FrameFormat::kJson,
                             true, v, 10, out)
                   .is_ok());
  EXPECT_EQ(ack_seq(out), 42u) << "a batch's last record";
  EXPECT_FALSE(parse_records(encode_protobuf_batch({sample_record(), bad}), FrameFormat::kProtobuf, true, v, 1, out)
                   .is_ok());
  EXPECT_EQ(ack_seq(out), 77u) << "too many records, but decoded";

  for (const auto& [bytes, format, batch] : std::vector<std::tuple<std::string, FrameFormat, bool>>{
           {"\xff\xff\xff", FrameFormat::kProtobuf, false},
           {"{", FrameFormat::kJson, false},
           {"[" + encode_json(sample_record()) + ",1]", FrameFormat::kJson, true},
           {encode_json(sample_record()) + std::string(70 * 1024, ' '), FrameFormat::kJson, false}}) {
    EXPECT_FALSE(parse_records(bytes, format, batch, v, 10, out).is_ok());
    EXPECT_EQ(out.records_size(), 0) << "undecodable: nothing left";
    EXPECT_EQ(ack_seq(out), 0u);
  }
}

}  // namespace
}  // namespace fleetgate::telemetry
