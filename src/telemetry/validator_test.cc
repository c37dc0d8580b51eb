#include "fleetgate/telemetry/validator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fleetgate/telemetry/test_records.h"

namespace fleetgate::telemetry {
namespace {

void expect_invalid(const Status& s, std::string_view fragment) {
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.to_string();
  EXPECT_NE(s.message().find(fragment), std::string::npos) << s.message();
}

Record with_datum(Datum d) {
  Record r = sample_record();
  r.data = {std::move(d)};
  return r;
}

TEST(Validator, AcceptsTheSample) { EXPECT_TRUE(fixed_clock_validator().validate(sample_record()).is_ok()); }

TEST(Validator, ChecksTheVin) {
  Validator v = fixed_clock_validator();
  Record r = sample_record();
  r.vin = "1HGCM82633A00435";
  expect_invalid(v.validate(r), "vin: ");
  r.vin = "1HGCM82633A00435O";
  expect_invalid(v.validate(r), "vin: ");
  r.vin = "1HGCM82643A004352";  // North-American VIN with a wrong check digit
  expect_invalid(v.validate(r), "vin: ");
  r.vin = "";
  expect_invalid(v.validate(r), "vin: ");
}

TEST(Validator, ChecksTimestampsAgainstTheInjectedClock) {
  ValidationOptions o;
  o.max_clock_skew = std::chrono::seconds(30);
  o.max_age = std::chrono::hours(1);
  Validator v = fixed_clock_validator(o);
  Record r = sample_record();
  r.created_at_ms = kNow + 30'000;
  EXPECT_TRUE(v.validate(r).is_ok()) << "skew limit is inclusive";
  r.created_at_ms = kNow + 30'001;
  expect_invalid(v.validate(r), "ms in the future");
  r.created_at_ms = kNow - 3'600'000;
  EXPECT_TRUE(v.validate(r).is_ok());
  r.created_at_ms = kNow - 3'600'001;
  expect_invalid(v.validate(r), "older than the maximum age");
  r.created_at_ms = std::numeric_limits<int64_t>::min();
  expect_invalid(v.validate(r), "older than");
  r.created_at_ms = std::numeric_limits<int64_t>::max();
  expect_invalid(v.validate(r), "in the future");
}

TEST(Validator, LimitsTheNumberOfItems) {
  ValidationOptions o;
  o.max_data_items = 3;
  Validator v = fixed_clock_validator(o);
  Record r = sample_record();
  r.data.resize(3, Datum{Field::kSpeed, 1.0});
  EXPECT_TRUE(v.validate(r).is_ok());
  r.data.push_back({Field::kSpeed, 1.0});
  expect_invalid(v.validate(r), "record has 4 data items, at most 3");
}

TEST(Validator, ChecksTypes) {
  Validator v = fixed_clock_validator();
  expect_invalid(v.validate(with_datum({Field::kSpeed, std::string("fast")})), "data[0] (speed): expected a double value, got a string");
  expect_invalid(v.validate(with_datum({Field::kTrunkOpen, int64_t{1}})), "expected a bool value, got a int");
  expect_invalid(v.validate(with_datum({Field::kLocation, 1.0})), "expected a location value");
  expect_invalid(v.validate(with_datum({Field::kRangeEstimate, 1.5})), "expected a int value, got a double");
}

TEST(Validator, ChecksRangesAndAllowedValues) {
  Validator v = fixed_clock_validator();
  expect_invalid(v.validate(with_datum({Field::kSpeed, 612.0})), "data[0] (speed): 612 km/h is out of range [0, 500]");
  expect_invalid(v.validate(with_datum({Field::kSpeed, -0.5})), "out of range");
  EXPECT_TRUE(v.validate(with_datum({Field::kSpeed, 500.0})).is_ok());
  expect_invalid(v.validate(with_datum({Field::kSpeed, std::nan("")})), "not a finite number");
  expect_invalid(v.validate(with_datum({Field::kSpeed, std::numeric_limits<double>::infinity()})), "not a finite");
  expect_invalid(v.validate(with_datum({Field::kWindowRearLeft, int64_t{101}})), "101 % is out of range [0, 100]");
  expect_invalid(v.validate(with_datum({Field::kOdometer, 6e6})), "6000000 km is out of range [0, 5000000]");
  expect_invalid(v.validate(with_datum({Field::kGear, std::string("S")})), "'S' is not one of P, R, N, D");
  expect_invalid(v.validate(with_datum({Field::kLocation, Location{91, 0, std::nullopt}})), "lat 91 deg is out of range");
  expect_invalid(v.validate(with_datum({Field::kLocation, Location{0, -180.5, std::nullopt}})), "lon -180.5 deg");
  expect_invalid(v.validate(with_datum({Field::kLocation, Location{0, 0, 361.0}})), "heading 361");
  expect_invalid(v.validate(with_datum({Field::kLocation, Location{std::nan(""), 0, std::nullopt}})), "lat value is not a finite");
  EXPECT_TRUE(v.validate(with_datum({Field::kLocation, Location{-90, 180, 0.0}})).is_ok());
}

TEST(Validator, ReportsTheFirstBadItemByIndex) {
  Record r = sample_record();
  r.data.push_back({Field::kYawRate, 1000.0});
  expect_invalid(fixed_clock_validator().validate(r), "data[7] (yaw_rate)");
}

}  // namespace
}  // namespace fleetgate::telemetry
