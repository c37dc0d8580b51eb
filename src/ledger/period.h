// Billing periods are calendar months in UTC, written "YYYY-MM". A period covers the half-open
// time range [start_ms, end_ms). Also the UTC timestamp forms revenue files use.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::ledger {

class Period {
 public:
  Period() = default;  // 0000-01, a placeholder until assigned
  // "2026-11" -> November 2026. kInvalidArgument for anything else (years 1970-9999).
  static Result<Period> parse(std::string_view text);
  // The month holding `time_ms` (ms since the Unix epoch, UTC). REQUIRES: time_ms >= 0.
  static Period containing(int64_t time_ms);

  int64_t start_ms() const;
  int64_t end_ms() const { return plus(1).start_ms(); }
  Period plus(int months) const;  // months may be negative
  int months_since(Period earlier) const { return index_ - earlier.index_; }
  std::string to_string() const;  // "2026-11"

  auto operator<=>(const Period&) const = default;

 private:
  explicit Period(int index) : index_(index) {}
  int index_ = 0;  // months since 0000-01
};

// "2026-11-03T10:15:00Z", "2026-11-03T10:15:00.250Z" or "2026-11-03" (midnight) as ms since
// the epoch. kInvalidArgument for other forms, impossible dates, or times before 1970.
Result<int64_t> parse_utc_time(std::string_view text);

}  // namespace fleetgate::ledger
