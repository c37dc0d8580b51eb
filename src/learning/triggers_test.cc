#include "fleetgate/learning/triggers.h"

#include <gtest/gtest.h>

#include "fleetgate/learning/trace_fixture.h"

namespace fleetgate::learning {
namespace {

std::vector<std::string_view> names(const std::vector<TriggerEvent>& events) {
  std::vector<std::string_view> out;
  for (const auto& e : events) out.push_back(e.trigger);
  return out;
}

TEST(HeadingDelta, WrapsAroundNorth) {
  EXPECT_DOUBLE_EQ(heading_delta_deg(350, 10), 20);
  EXPECT_DOUBLE_EQ(heading_delta_deg(10, 350), -20);
  EXPECT_DOUBLE_EQ(heading_delta_deg(0, 180), 180);
  EXPECT_DOUBLE_EQ(heading_delta_deg(90, 90), 0);
}

TEST(Triggers, FindsOneHardBrakePerEpisode) {
  // Cruise at 50 km/h, brake at 25.2 km/h per second (7 m/s²) for two seconds, creep on.
  const VehicleTrace t = make_trace("p_1", {50, 50, 50, 50, 24.8, 10, 10, 10});
  const auto events = find_events(t, config::LearningTriggers{});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].trigger, kHardBrake);
  EXPECT_EQ(events[0].index, 4u);
  EXPECT_EQ(events[0].t_ms, kTraceStart + 4000);
}

TEST(Triggers, ThresholdComesFromConfig) {
  const VehicleTrace t = make_trace("p_1", {50, 50, 40, 40});  // 2.8 m/s²
  EXPECT_TRUE(find_events(t, config::LearningTriggers{}).empty());
  config::LearningTriggers gentle;
  gentle.hard_brake_mps2 = 2.5;
  EXPECT_EQ(names(find_events(t, gentle)), std::vector<std::string_view>{kHardBrake});
}

TEST(Triggers, FindsStopAndGoWithinTheWindow) {
  // Stopped, up to 25 km/h, back to a stop within 6 s; later the same over 40 s is not stop-and-go.
  std::vector<double> speeds = {0, 10, 20, 25, 15, 8, 2};
  const size_t slow_start = speeds.size();
  for (int i = 0; i < 40; ++i) speeds.push_back(i < 20 ? 8 + i : 47 - i);
  speeds.push_back(2);
  config::LearningTriggers g;
  g.hard_brake_mps2 = 50;  // only stop-and-go here
  const auto events = find_events(make_trace("p_1", speeds), g);
  ASSERT_EQ(names(events), std::vector<std::string_view>{kStopAndGo});
  EXPECT_EQ(events[0].index, 6u);
  EXPECT_LT(events[0].index, slow_start);
}

TEST(Triggers, FindsHarshSteeringOnlyAboveTheMinimumSpeed) {
  const std::vector<double> headings = {90, 90, 90, 140, 180, 180};
  const auto fast = find_events(make_trace("p_1", {40, 40, 40, 40, 40, 40}, headings), config::LearningTriggers{});
  ASSERT_EQ(names(fast), std::vector<std::string_view>{kHarshSteering});
  EXPECT_EQ(fast[0].index, 3u);
  EXPECT_TRUE(find_events(make_trace("p_1", {8, 8, 8, 8, 8, 8}, headings), config::LearningTriggers{}).empty());
}

TEST(Triggers, ParsedFromTheConfig) {
  const std::string base = R"([[regions]]
id = "eu"
chain = ["onboard"]
[markets]
DE = "eu"
[[providers]]
id = "onboard"
kind = "onboard"
location = "vehicle"
models = ["fleetgate-onboard"]
)";
  auto cfg = config::parse_config(base + R"([learning.triggers]
hard_brake_mps2 = 5
stop_and_go_window_s = 12
neighbour_radius_m = 75.5
)",
                                  "test.toml");
  ASSERT_TRUE(cfg.is_ok()) << cfg.status().to_string();
  EXPECT_DOUBLE_EQ(cfg->learning.triggers.hard_brake_mps2, 5);
  EXPECT_EQ(cfg->learning.triggers.stop_and_go_window_s, 12u);
  EXPECT_DOUBLE_EQ(cfg->learning.triggers.neighbour_radius_m, 75.5);
  EXPECT_DOUBLE_EQ(cfg->learning.triggers.harsh_steering_deg_s, config::LearningTriggers{}.harsh_steering_deg_s);

  auto bad = config::parse_config(base + "[learning.triggers]\nhard_brake_mps2 = -1\n", "test.toml");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_NE(bad.status().message().find("learning.triggers.hard_brake_mps2"), std::string::npos);
  bad = config::parse_config(base + "[learning.triggers]\nhard_brake = 4\n", "test.toml");
  EXPECT_FALSE(bad.is_ok());
  bad = config::parse_config(base + "[learning.triggers]\nstop_and_go_low_kmh = 30\nstop_and_go_high_kmh = 20\n",
                             "test.toml");
  EXPECT_FALSE(bad.is_ok());
}

}  // namespace
}  // namespace fleetgate::learning
