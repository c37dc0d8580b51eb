#include "fleetgate/vehicle/vehicle_record.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

namespace fleetgate::vehicle {
namespace {

VehicleRecord sample() {
  VehicleRecord r;
  r.vin = "XP7YGCEK7PB021447";
  r.market = "DE";
  r.region = "eu";
  r.label = "Berlin \"demo\"";
  r.manufacturer = "Tesla Manufacturing Brandenburg SE";
  r.wmi = "XP7";
  r.origin_country = "DE";
  r.plant_code = 'B';
  r.plant = "Grünheide (Berlin-Brandenburg)";
  r.model_year = 2023;
  r.check_digit_valid = true;
  r.registered_ms = 1;
  r.updated_ms = 2;
  r.providers = {"xai-eu", "onboard"};
  return r;
}

TEST(VehicleRecord, RoundTripsWithoutProviders) {
  auto back = decode_record(encode_record(sample()));
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(boost::json::serialize(to_json(*back)),
            boost::json::serialize(to_json([] {
              auto r = sample();
              r.providers.clear();
              return r;
            }())));
  EXPECT_EQ(encode_record(sample()).rfind(R"({"schema":1,"vin":"XP7YGCEK7PB021447",)", 0), 0u);
}

TEST(VehicleRecord, ApiViewHasProvidersAndNullYear) {
  auto r = sample();
  r.model_year.reset();
  auto o = to_json(r);
  EXPECT_TRUE(o.at("model_year").is_null());
  EXPECT_EQ(o.at("providers").as_array().size(), 2u);
  EXPECT_EQ(o.at("plant_code"), "B");
  EXPECT_EQ(o.count("schema"), 0u);
  auto back = decode_record(encode_record(r));
  ASSERT_TRUE(back.is_ok());
  EXPECT_FALSE(back->model_year.has_value());
}

TEST(VehicleRecord, RejectsOtherSchemasAndBrokenRecords) {
  std::string stored = encode_record(sample());
  std::string v2 = stored;
  v2.replace(v2.find("\"schema\":1"), 10, "\"schema\":2");
  EXPECT_EQ(decode_record(v2).status().code(), Code::kDataLoss);
  EXPECT_NE(decode_record(v2).status().message().find("schema version 2"), std::string::npos);
  EXPECT_EQ(decode_record("[]").status().code(), Code::kDataLoss);
  EXPECT_EQ(decode_record("{\"schema\":1}").status().code(), Code::kDataLoss);
  std::string bad_year = stored;
  bad_year.replace(bad_year.find("\"model_year\":2023"), 17, "\"model_year\":\"x\"");
  EXPECT_NE(decode_record(bad_year).status().message().find("model_year"), std::string::npos);
}

}  // namespace
}  // namespace fleetgate::vehicle
