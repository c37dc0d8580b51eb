// A registered vehicle as the fleet registry stores it: the VIN, where it is registered
// (market) and therefore homed (region), and what its VIN decodes to. Stored as JSON with a
// schema version; to_json() is the API view, adding the home region's provider chain.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fleetgate/core/result.h"

namespace fleetgate::vehicle {

// Version of the stored record layout; decode_record() rejects others with kDataLoss.
inline constexpr int kRecordSchemaVersion = 1;

struct VehicleRecord {
  std::string vin;
  std::string market;          // ISO 3166 alpha-2 where the vehicle is registered, uppercase
  std::string region;          // home region: config market -> region
  std::string label;           // operator's free text (UTF-8, no control characters)
  std::string manufacturer;    // decoded from the WMI, "unknown" when not listed
  std::string wmi;             // VIN positions 1-3
  std::string origin_country;  // country the WMI belongs to (where it was built), "" when unknown
  char plant_code = '?';       // VIN position 11
  std::string plant;           // plant name, "" when unknown
  std::optional<int> model_year;
  bool check_digit_valid = false;
  int64_t registered_ms = 0;   // UTC ms
  int64_t updated_ms = 0;      // UTC ms of the last change (registration or rehome)
  // The assistant providers this car may use (its home region's chain, less the providers whose
  // origin its market's rules prohibit for its model year), in order. Derived from the current
  // config on every read, never stored: a config change applies to every vehicle at once.
  std::vector<std::string> providers;
};

// API view: every field above, model_year null when unknown.
boost::json::object to_json(const VehicleRecord& r);

// Stored form: the API view without providers, plus "schema": kRecordSchemaVersion.
std::string encode_record(const VehicleRecord& r);
// kDataLoss naming the problem when `stored` is not a record of a known schema version.
Result<VehicleRecord> decode_record(std::string_view stored);

}  // namespace fleetgate::vehicle
