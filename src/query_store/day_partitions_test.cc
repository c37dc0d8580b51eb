#include "fleetgate/query_store/day_partitions.h"

#include <gtest/gtest.h>

namespace fleetgate::query_store {
namespace {

using std::chrono::days;

TEST(DayPartitions, ADayRunsFromMidnightToMidnightUtcAlsoBefore1970) {
  EXPECT_EQ(day_of(0), Day(days(0)));
  EXPECT_EQ(day_of(86'399'999), Day(days(0)));
  EXPECT_EQ(day_of(86'400'000), Day(days(1)));
  EXPECT_EQ(day_of(-1), Day(days(-1)));
  EXPECT_EQ(day_of(-86'400'000), Day(days(-1)));
  EXPECT_EQ(day_of(-86'400'001), Day(days(-2)));
  EXPECT_EQ(day_start_ms(Day(days(-1))), -86'400'000);
  EXPECT_EQ(day_of(1'700'000'000'000), Day(std::chrono::year(2023) / 11 / 14));
}

TEST(DayPartitions, NamesSpellTheDateAndParseBack) {
  const Day d = std::chrono::year(2023) / 11 / 14;
  EXPECT_EQ(*partition_name(d), "telemetry_blocks_20231114");
  EXPECT_EQ(*partition_name(Day(days(-1))), "telemetry_blocks_19691231");
  EXPECT_EQ(partition_day("telemetry_blocks_20231114"), d);
  EXPECT_EQ(partition_day(*partition_name(Day(days(-1)))), Day(days(-1)));
  for (const char* other : {"", "telemetry_blocks", "telemetry_blocks_2023111", "telemetry_blocks_202311144",
                            "telemetry_blocks_20231131", "telemetry_blocks_2023x114", "latest_states",
                            "other_blocks_20231114"}) {
    EXPECT_EQ(partition_day(other), std::nullopt) << other;
  }
  EXPECT_EQ(partition_name(Day(std::chrono::year(10000) / 1 / 1)).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(partition_name(Day(std::chrono::year(-1) / 12 / 31)).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::query_store
