// For tests: a valid record using every value type, a validator whose clock is fixed at kNow, and
// a record's JSON as protobuf libraries write it.
#pragma once

#include <google/protobuf/util/json_util.h>

#include <string>

#include "fleetgate/telemetry/proto/telemetry.pb.h"
#include "fleetgate/telemetry/proto_format.h"
#include "fleetgate/telemetry/record.h"
#include "fleetgate/telemetry/validator.h"

namespace fleetgate::telemetry {

inline constexpr int64_t kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
inline constexpr std::string_view kVin = "1HGCM82633A004352";

inline Record sample_record() {
  Record r;
  r.vin = std::string(kVin);
  r.created_at_ms = kNow - 1500;
  r.seq = 42;
  r.data = {
      {Field::kSpeed, 42.5},
      {Field::kLocation, Location{52.520008, 13.404954, 87.5}},
      {Field::kGear, std::string("D")},
      {Field::kRangeEstimate, int64_t{312}},
      {Field::kTrunkOpen, false},
      {Field::kStateOfCharge, 80.25},
      {Field::kSteeringAngle, -12.0},
  };
  return r;
}

inline Validator fixed_clock_validator(ValidationOptions options = {}) {
  return Validator(options, [] { return kNow; });
}

// What protobuf's JSON printer writes for `r`: the proto3 mapping with lowerCamelCase names (as
// generated code does by default), or with the proto field names.
inline std::string proto3_json(const Record& r, bool proto_names = false) {
  wire::Payload p;
  to_payload(r, p);
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = proto_names;
  std::string out;
  if (!google::protobuf::util::MessageToJsonString(p, &out, options).ok()) out.clear();
  return out;
}

}  // namespace fleetgate::telemetry
