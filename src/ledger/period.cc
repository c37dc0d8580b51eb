#include "fleetgate/ledger/period.h"

#include <charconv>
#include <chrono>

namespace fleetgate::ledger {
namespace {

using namespace std::chrono;

// Reads exactly `width` digits at `pos`.
bool digits(std::string_view s, size_t pos, size_t width, int& out) {
  if (pos + width > s.size()) return false;
  const auto r = std::from_chars(s.data() + pos, s.data() + pos + width, out);
  if (r.ec != std::errc() || r.ptr != s.data() + pos + width) return false;
  for (size_t i = pos; i < pos + width; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

}  // namespace

Result<Period> Period::parse(std::string_view text) {
  int y = 0, m = 0;
  if (text.size() != 7 || text[4] != '-' || !digits(text, 0, 4, y) || !digits(text, 5, 2, m) || y < 1970 ||
      m < 1 || m > 12) {
    return invalid_argument("period '" + std::string(text) + "' is not YYYY-MM");
  }
  return Period(y * 12 + (m - 1));
}

Period Period::containing(int64_t time_ms) {
  const year_month_day ymd{floor<days>(sys_time<milliseconds>(milliseconds(time_ms)))};
  return Period(static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1);
}

int64_t Period::start_ms() const {
  const sys_days day = year(index_ / 12) / month(static_cast<unsigned>(index_ % 12 + 1)) / 1;
  return duration_cast<milliseconds>(day.time_since_epoch()).count();
}

Period Period::plus(int months) const { return Period(index_ + months); }

std::string Period::to_string() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d", index_ / 12, index_ % 12 + 1);
  return buf;
}

Result<int64_t> parse_utc_time(std::string_view text) {
  const auto bad = [&] {
    return invalid_argument("time '" + std::string(text) +
                            "' is not YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS[.mmm]Z (UTC)");
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !digits(text, 0, 4, y) || !digits(text, 5, 2, mo) ||
      !digits(text, 8, 2, d)) {
    return bad();
  }
  if (text.size() > 10) {
    const bool with_ms = text.size() == 24;
    if ((text.size() != 20 && !with_ms) || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
        text.back() != 'Z' || !digits(text, 11, 2, h) || !digits(text, 14, 2, mi) || !digits(text, 17, 2, s) ||
        (with_ms && (text[19] != '.' || !digits(text, 20, 3, ms))) || h > 23 || mi > 59 || s > 59) {
      return bad();
    }
  }
  const year_month_day ymd{year(y), month(static_cast<unsigned>(mo)), day(static_cast<unsigned>(d))};
  if (!ymd.ok() || y < 1970) return bad();
  const auto t = sys_days(ymd) + hours(h) + minutes(mi) + seconds(s) + milliseconds(ms);
  return duration_cast<milliseconds>(t.time_since_epoch()).count();
}

}  // namespace fleetgate::ledger
