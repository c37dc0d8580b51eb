// libFuzzer target: any byte string given to validate()/decode() yields a value or an error
// naming the reason, and the two agree with each other and with check_digit().
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fleetgate/vehicle/vin.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace fleetgate::vehicle;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto checked = validate(input);
  const auto decoded = decode(input, 2025);
  if (checked.is_ok() != decoded.is_ok()) __builtin_trap();
  if (!checked.is_ok()) {
    if (checked.status().message().empty() || checked.status().message() != decoded.status().message()) __builtin_trap();
    return 0;
  }
  if (size != kVinLength || decoded->vin != input) __builtin_trap();
  if (check_digit(input) != checked->check_digit_expected) __builtin_trap();
  if (checked->check_digit_required && !checked->check_digit_valid) __builtin_trap();
  if (decoded->model_year && (*decoded->model_year < 1980 || *decoded->model_year > 2026)) __builtin_trap();
  return 0;
}
