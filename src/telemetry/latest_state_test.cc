#include "fleetgate/telemetry/latest_state.h"

#include <gtest/gtest.h>

namespace fleetgate::telemetry {
namespace {

Record at(int64_t ms, uint64_t seq, std::vector<Datum> data) {
  return Record{.vin = "XP7YGCEK7PB021447", .pseudonym = "", .created_at_ms = ms, .seq = seq, .data = std::move(data)};
}

TEST(LatestState, NewerRecordsOverwriteOnlyTheFieldsTheyCarry) {
  LatestState s;
  EXPECT_TRUE(fold(s, at(100, 1, {{Field::kSpeed, 50.0}, {Field::kGear, std::string("D")}})));
  EXPECT_TRUE(fold(s, at(200, 2, {{Field::kSpeed, 0.0}})));
  EXPECT_EQ(s.speed_kmh(), 0.0);
  EXPECT_EQ(s.gear(), "D");
  EXPECT_EQ(s.updated_at_ms, 200);
}

TEST(LatestState, OlderRecordsDoNotRollBack) {
  LatestState s;
  ASSERT_TRUE(fold(s, at(200, 5, {{Field::kGear, std::string("P")}})));
  EXPECT_FALSE(fold(s, at(100, 9, {{Field::kGear, std::string("D")}})));
  EXPECT_FALSE(fold(s, at(200, 4, {{Field::kGear, std::string("D")}})));
  EXPECT_EQ(s.gear(), "P");
}

TEST(LatestState, ChargingStateMapsToChargingAndCable) {
  LatestState s;
  EXPECT_EQ(s.charging(), std::nullopt);
  for (auto [state, charging, cable] : {std::tuple{"disconnected", false, false}, std::tuple{"connected", false, true},
                                        std::tuple{"charging", true, true}, std::tuple{"complete", false, true}}) {
    s.values[Field::kChargingState] = std::string(state);
    EXPECT_EQ(s.charging(), charging) << state;
    EXPECT_EQ(s.charge_cable_connected(), cable) << state;
  }
  s.values[Field::kChargingState] = std::string("fault");
  EXPECT_EQ(s.charge_cable_connected(), std::nullopt);
}

TEST(LatestState, RoundTripsThroughARecord) {
  LatestState s;
  fold(s, at(300, 7, {{Field::kSpeed, 12.5}, {Field::kLocation, Location{1, 2, std::nullopt}}}));
  EXPECT_EQ(LatestState::from_record(s.to_record()), s);
}

}  // namespace
}  // namespace fleetgate::telemetry
