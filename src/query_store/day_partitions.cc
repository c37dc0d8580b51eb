#include "fleetgate/query_store/day_partitions.h"

#include <charconv>
#include <cstdio>

namespace fleetgate::query_store {
namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr std::string_view kPrefix = "telemetry_blocks_";

}  // namespace

Day day_of(int64_t created_at_ms) {
  int64_t d = created_at_ms / kDayMs;
  if (created_at_ms % kDayMs < 0) --d;  // floor, not truncation, before 1970
  return Day(std::chrono::days(d));
}

int64_t day_start_ms(Day day) { return static_cast<int64_t>(day.time_since_epoch().count()) * kDayMs; }

Result<std::string> partition_name(Day day) {
  const std::chrono::year_month_day ymd(day);
  const int year = static_cast<int>(ymd.year());
  if (year < 0 || year > 9999) {
    return invalid_argument("created_at on day " + std::to_string(day.time_since_epoch().count()) +
                            " since 1970 is outside the years 0000-9999 the query store partitions");
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u", year, static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return std::string(kPrefix) + buf;
}

std::optional<Day> partition_day(std::string_view name) {
  if (!name.starts_with(kPrefix) || name.size() != kPrefix.size() + 8) return std::nullopt;
  const std::string_view digits = name.substr(kPrefix.size());
  int y = 0;
  unsigned m = 0, d = 0;
  auto parse = [](std::string_view s, auto& out) {
    auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), out);
    return err == std::errc() && end == s.data() + s.size();
  };
  if (!parse(digits.substr(0, 4), y) || !parse(digits.substr(4, 2), m) || !parse(digits.substr(6, 2), d)) return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year(y), std::chrono::month(m), std::chrono::day(d)};
  if (!ymd.ok()) return std::nullopt;
  return Day(ymd);
}

}  // namespace fleetgate::query_store
