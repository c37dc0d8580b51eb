// The VIN alphabet (ISO 3779, 49 CFR 565): 0-9 and A-Z without I, O and Q, and the value each
// character takes in the check-digit sum (49 CFR 565.15(c) transliteration table).
#pragma once

#include <array>
#include <cstdint>

namespace fleetgate::vehicle {

namespace internal {
constexpr std::array<int8_t, 256> make_vin_values() {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (int d = 0; d <= 9; ++d) values['0' + d] = static_cast<int8_t>(d);
  constexpr const char* kLetters = "ABCDEFGHJKLMNPRSTUVWXYZ";
  constexpr int8_t kLetterValues[] = {1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9};
  for (int i = 0; kLetters[i] != '\0'; ++i) values[static_cast<uint8_t>(kLetters[i])] = kLetterValues[i];
  return values;
}
inline constexpr std::array<int8_t, 256> kVinValues = make_vin_values();
}  // namespace internal

// Check-digit value of `c`, or -1 when `c` is not a VIN character.
constexpr int vin_char_value(char c) { return internal::kVinValues[static_cast<uint8_t>(c)]; }

constexpr bool is_vin_char(char c) { return vin_char_value(c) >= 0; }

}  // namespace fleetgate::vehicle
