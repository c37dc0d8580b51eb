// Vehicle Identification Numbers (ISO 3779 / 49 CFR 565). A VIN is 17 characters of
// 0-9 and A-Z without I, O, Q. Position 9 is a check digit, mandatory for North-American WMIs
// (first character 1-5) and reported but not fatal elsewhere. validate() names the first bad
// position; decode() adds manufacturer, country, model year, plant and serial.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::vehicle {

struct VinCheck {
  bool check_digit_required = false;  // North-American WMI
  bool check_digit_valid = false;
  char check_digit_expected = '?';    // what position 9 should hold
};

// OK when `vin` is well formed (and, where mandatory, its check digit is right).
// Errors are kInvalidArgument with the 1-based position and the reason, e.g.
// "position 9: check digit is '5', expected 'X'".
Result<VinCheck> validate(std::string_view vin);

struct DecodedVin {
  std::string vin;
  std::string wmi;                 // positions 1-3
  std::string manufacturer;        // from the WMI table, "unknown" when not listed
  std::string country;             // ISO 3166 alpha-2 of the WMI's country, or "" when unknown
  std::string region_of_origin;    // ISO 3780 region by first letter: "North America", "Asia", ...
  std::string vds;                 // positions 4-8
  VinCheck check;
  std::optional<int> model_year;   // position 10, 30-year cycle resolved (see vin.cc)
  char plant_code = '?';           // position 11
  std::string plant;               // plant name from the table, "" when unknown
  std::string serial;              // positions 12-17
};

// Validates, then decodes. REQUIRES nothing; bad input yields the validate() error.
Result<DecodedVin> decode(std::string_view vin);

}  // namespace fleetgate::vehicle
