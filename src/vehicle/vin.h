// Vehicle Identification Numbers (ISO 3779 / 49 CFR 565). A VIN is 17 characters of
// 0-9 and A-Z without I, O, Q. Position 9 is a check digit, mandatory for North-American WMIs
// (first character 1-5, or 7F-70 which SAE assigns to the United States) and reported but not
// fatal elsewhere. validate() names the first bad position; decode() adds manufacturer, country,
// model year, plant and serial. Lowercase is rejected, not folded: a VIN is uppercase on the wire.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::vehicle {

inline constexpr size_t kVinLength = 17;

struct VinCheck {
  bool check_digit_required = false;  // North-American WMI
  bool check_digit_valid = false;
  char check_digit_expected = '?';    // what position 9 should hold
};

// OK when `vin` is well formed (and, where mandatory, its check digit is right).
// Errors are kInvalidArgument naming the reason, and the 1-based position for a bad character:
//   "length is 16, expected 17 characters"
//   "position 5: 'O' is not used in VINs (I, O and Q are excluded)"
//   "position 3: lowercase 'j' (VINs are uppercase)"
//   "position 4: byte 0x07 is not a VIN character"
//   "position 9: check digit is '5', expected 'X'"
Result<VinCheck> validate(std::string_view vin);

// The check digit (49 CFR 565.15: transliterate, weight 8,7,6,5,4,3,2,10,0,9,8,7,6,5,4,3,2,
// sum mod 11, 10 written 'X') for 17 VIN characters; position 9 itself does not count.
// nullopt when `vin` is not 17 VIN characters.
std::optional<char> check_digit(std::string_view vin);

struct DecodedVin {
  std::string vin;
  std::string wmi;                 // positions 1-3
  std::string manufacturer;        // from the WMI table, "unknown" when not listed
  std::string country;             // ISO 3166 alpha-2 of the WMI's country, or "" when unknown
  std::string region_of_origin;    // ISO 3780 region by first character(s): "North America", "Asia", ...
  std::string vds;                 // positions 4-8
  VinCheck check;
  std::optional<int> model_year;   // position 10, 30-year cycle resolved (see vin.cc)
  char plant_code = '?';           // position 11
  std::string plant;               // plant name from the table, "" when unknown
  std::string serial;              // positions 12-17; 15-17 for a small manufacturer (position 3 '9')
};

// Validates, then decodes. REQUIRES nothing; bad input yields the validate() error.
// The model-year cycle is resolved against `current_year` (a model year is never later than
// current_year + 1); the overload without it takes the current UTC year.
Result<DecodedVin> decode(std::string_view vin, int current_year);
Result<DecodedVin> decode(std::string_view vin);

// The current UTC year: what decode(vin) resolves model years against. Bulk callers read it once.
int current_utc_year();

// The model year that `vin` (17 characters) encodes in position 10: the cycle year
// (A=1980/2010 ... Y=2000/2030, 1-9=2001-2009/2031-2039) is 1980-2009 when a North-American VIN
// has a digit in position 7 (49 CFR 565.15, passenger cars, MPVs and light trucks), otherwise
// the most recent candidate not later than current_year + 1. nullopt for 0, U or Z in
// position 10, or when `vin` is not 17 characters long.
std::optional<int> model_year(std::string_view vin, int current_year);

}  // namespace fleetgate::vehicle
