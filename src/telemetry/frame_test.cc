#include "fleetgate/telemetry/frame.h"

#include <gtest/gtest.h>

#include "fleetgate/telemetry/json_format.h"
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

}  // namespace
}  // namespace fleetgate::telemetry
