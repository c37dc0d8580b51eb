#include "fleetgate/vehicle/vin.h"

#include <chrono>

#include "fleetgate/vehicle/vin_alphabet.h"
#include "fleetgate/vehicle/wmi_table.h"

namespace fleetgate::vehicle {
namespace {

constexpr int kWeights[kVinLength] = {8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2};
constexpr size_t kCheckDigitIndex = 8;

// Position 10 codes in cycle order: index i stands for 1980 + i, 2010 + i, 2040 + i ...
constexpr std::string_view kYearCodes = "ABCDEFGHJKLMNPRSTVWXY123456789";
constexpr int kFirstCycleStart = 1980;
constexpr int kCycleYears = 30;

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

// ISO 3780 regions by first character (A-H Africa, J-R Asia, S-Z Europe, 1-5 North America,
// 6-7 Oceania, 8-9 South America), except that SAE assigns 7F-70 to the United States.
constexpr std::string_view region_of(char first, char second) {
  if (first >= '1' && first <= '5') return "North America";
  if (first == '7' && ((second >= 'F' && second <= 'Z') || is_digit(second))) return "North America";
  if (first == '6' || first == '7') return "Oceania";
  if (first == '8' || first == '9') return "South America";
  if (first >= 'A' && first <= 'H') return "Africa";
  if (first >= 'J' && first <= 'R') return "Asia";
  if (first >= 'S' && first <= 'Z') return "Europe";
  return {};
}

constexpr bool north_american(std::string_view vin) { return region_of(vin[0], vin[1]) == "North America"; }

// REQUIRES: vin is 17 VIN characters.
char compute_check_digit(std::string_view vin) {
  int sum = 0;
  for (size_t i = 0; i < kVinLength; ++i) sum += vin_char_value(vin[i]) * kWeights[i];
  const int remainder = sum % 11;
  return remainder == 10 ? 'X' : static_cast<char>('0' + remainder);
}

std::string quoted(char c) { return std::string{'\'', c, '\''}; }

std::string bad_character(size_t index, char c) {
  const std::string where = "position " + std::to_string(index + 1) + ": ";
  if (c == 'I' || c == 'O' || c == 'Q') return where + quoted(c) + " is not used in VINs (I, O and Q are excluded)";
  if (c >= 'a' && c <= 'z') return where + "lowercase " + quoted(c) + " (VINs are uppercase)";
  if (c >= ' ' && c < 0x7f) return where + quoted(c) + " is not a VIN character";
  static constexpr char kHex[] = "0123456789abcdef";
  const auto byte = static_cast<uint8_t>(c);
  return where + "byte 0x" + kHex[byte >> 4] + kHex[byte & 0xf] + " is not a VIN character";
}

// Index of the first character outside the VIN alphabet, or kVinLength.
size_t first_bad_character(std::string_view vin) {
  for (size_t i = 0; i < kVinLength; ++i) {
    if (!is_vin_char(vin[i])) return i;
  }
  return kVinLength;
}

}  // namespace

Result<VinCheck> validate(std::string_view vin) {
  if (vin.size() != kVinLength) {
    return invalid_argument("length is " + std::to_string(vin.size()) + ", expected 17 characters");
  }
  if (const size_t bad = first_bad_character(vin); bad != kVinLength) return invalid_argument(bad_character(bad, vin[bad]));
  VinCheck check;
  check.check_digit_required = north_american(vin);
  check.check_digit_expected = compute_check_digit(vin);
  check.check_digit_valid = vin[kCheckDigitIndex] == check.check_digit_expected;
  if (check.check_digit_required && !check.check_digit_valid) {
    return invalid_argument("position 9: check digit is " + quoted(vin[kCheckDigitIndex]) + ", expected " +
                            quoted(check.check_digit_expected));
  }
  return check;
}

std::optional<char> check_digit(std::string_view vin) {
  if (vin.size() != kVinLength || first_bad_character(vin) != kVinLength) return std::nullopt;
  return compute_check_digit(vin);
}

std::optional<int> model_year(std::string_view vin, int current_year) {
  if (vin.size() != kVinLength) return std::nullopt;
  const size_t index = kYearCodes.find(vin[9]);
  if (index == std::string_view::npos) return std::nullopt;
  const int first = kFirstCycleStart + static_cast<int>(index);
  const int latest = current_year + 1;
  if ((north_american(vin) && is_digit(vin[6])) || latest <= first) return first;
  return first + (latest - first) / kCycleYears * kCycleYears;
}

Result<DecodedVin> decode(std::string_view vin, int current_year) {
  auto check = validate(vin);
  if (!check.is_ok()) return check.status();
  DecodedVin d;
  d.vin = vin;
  d.wmi = vin.substr(0, 3);
  if (const WmiEntry* entry = find_manufacturer(vin)) {
    d.manufacturer = entry->manufacturer;
    d.country = entry->country;
    d.plant = find_plant(*entry, vin[10]);
  } else {
    d.manufacturer = "unknown";
  }
  d.region_of_origin = region_of(vin[0], vin[1]);
  d.vds = vin.substr(3, 5);
  d.check = *check;
  d.model_year = model_year(vin, current_year);
  d.plant_code = vin[10];
  d.serial = vin.substr(vin[2] == '9' ? 14 : 11);
  return d;
}

Result<DecodedVin> decode(std::string_view vin) { return decode(vin, current_utc_year()); }

int current_utc_year() {
  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  return static_cast<int>(std::chrono::year_month_day{today}.year());
}

}  // namespace fleetgate::vehicle
