// The query store's day partitions: a block belongs to the UTC day of its key's created_at, and
// that day's partition telemetry_blocks_<YYYYMMDD> holds created_at in [day 00:00, next day 00:00).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::query_store {

using Day = std::chrono::sys_days;

// The UTC day of `created_at_ms` (ms since the epoch; floor, also before 1970).
Day day_of(int64_t created_at_ms);
// [first ms of `day`, first ms of the next day).
int64_t day_start_ms(Day day);

// "telemetry_blocks_20231114". kInvalidArgument for a day outside the years 0000-9999, which a
// partition name cannot spell (and no vehicle's clock should report).
Result<std::string> partition_name(Day day);
// The day of a name partition_name made; nullopt for any other name.
std::optional<Day> partition_day(std::string_view name);

}  // namespace fleetgate::query_store
