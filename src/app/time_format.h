// Timestamps for people: UTC milliseconds as ISO 8601, e.g. "2025-06-01T08:30:00.250Z".
#pragma once

#include <cstdint>
#include <string>

namespace fleetgate::app {

std::string format_utc_ms(int64_t ms);

}  // namespace fleetgate::app
