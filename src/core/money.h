// Money as exact integers: an amount is int64 minor units (cents, fen, yen) of an ISO 4217
// currency; no floating point anywhere. Decimal text converts to and from minor units exactly
// or not at all (too many fraction digits is an error, never a rounding).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fleetgate/core/result.h"

namespace fleetgate::money {

// ISO 4217 minor-unit digits: 2 for USD, EUR, CNY, GBP, CAD, CHF, SEK, NOK, DKK, PLN, MXN;
// 0 for JPY, KRW. kInvalidArgument for any other code.
Result<int> minor_digits(std::string_view currency);

// "12", "-12.5", "0.125" with scale 3 -> 12000, -12500, 125: the decimal times 10^scale.
// kInvalidArgument for an empty or non-decimal text, more than `scale` fraction digits, or a
// value outside int64. REQUIRES: 0 <= scale <= 18.
Result<int64_t> parse_scaled(std::string_view text, int scale);

// "99.00" USD -> 9900; "8000" JPY -> 8000. The errors of minor_digits and parse_scaled.
Result<int64_t> parse_amount(std::string_view text, std::string_view currency);

// 9900 USD -> "99.00"; -5 USD -> "-0.05"; 8000 JPY -> "8000". REQUIRES: a known currency.
std::string format_amount(int64_t minor, std::string_view currency);
// `value` / 10^scale as decimal text with exactly `scale` fraction digits.
std::string format_scaled(int64_t value, int scale);

}  // namespace fleetgate::money
