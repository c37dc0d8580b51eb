#include "fleetgate/app/time_format.h"

#include <cstdio>
#include <ctime>

namespace fleetgate::app {

std::string format_utc_ms(int64_t ms) {
  const int64_t millis = ((ms % 1000) + 1000) % 1000;
  const std::time_t seconds = static_cast<std::time_t>((ms - millis) / 1000);
  std::tm tm{};
  if (gmtime_r(&seconds, &tm) == nullptr) return std::to_string(ms) + "ms";
  char buf[80];  // room for any int fields, though real dates need 24 bytes
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(millis));
  return buf;
}

}  // namespace fleetgate::app
