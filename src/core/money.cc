#include "fleetgate/core/money.h"

#include <array>
#include <cassert>
#include <limits>
#include <utility>

namespace fleetgate::money {
namespace {

constexpr std::array<std::pair<std::string_view, int>, 13> kCurrencies = {{
    {"USD", 2}, {"EUR", 2}, {"CNY", 2}, {"GBP", 2}, {"CAD", 2}, {"CHF", 2}, {"SEK", 2},
    {"NOK", 2}, {"DKK", 2}, {"PLN", 2}, {"MXN", 2}, {"JPY", 0}, {"KRW", 0},
}};

}  // namespace

Result<int> minor_digits(std::string_view currency) {
  for (const auto& [code, digits] : kCurrencies) {
    if (code == currency) return digits;
  }
  return invalid_argument("unsupported currency '" + std::string(currency) + "'");
}

Result<int64_t> parse_scaled(std::string_view text, int scale) {
  assert(scale >= 0 && scale <= 18);
  const std::string shown(text);
  const bool negative = !text.empty() && text.front() == '-';
  if (negative) text.remove_prefix(1);
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
  const auto all_digits = [](std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return invalid_argument("'" + shown + "' is not a decimal number");
  }
  if (fraction.size() > static_cast<size_t>(scale)) {
    return invalid_argument("'" + shown + "' has more than " + std::to_string(scale) + " decimal places");
  }
  // Accumulate negatively so INT64_MIN's magnitude fits.
  int64_t v = 0;
  const auto push = [&v](char c) {
    return !__builtin_mul_overflow(v, 10, &v) && !__builtin_sub_overflow(v, c - '0', &v);
  };
  bool ok = true;
  for (char c : whole) ok = ok && push(c);
  for (char c : fraction) ok = ok && push(c);
  for (size_t i = fraction.size(); i < static_cast<size_t>(scale); ++i) ok = ok && push('0');
  if (!negative) ok = ok && v != std::numeric_limits<int64_t>::min();
  if (!ok) return invalid_argument("'" + shown + "' is out of range");
  return negative ? v : -v;
}

Result<int64_t> parse_amount(std::string_view text, std::string_view currency) {
  auto digits = minor_digits(currency);
  if (!digits.is_ok()) return digits.status();
  auto v = parse_scaled(text, *digits);
  if (!v.is_ok()) return invalid_argument("amount " + v.status().message() + " for " + std::string(currency));
  return v;
}

std::string format_scaled(int64_t value, int scale) {
  // Work on the magnitude as unsigned so INT64_MIN formats too.
  const bool negative = value < 0;
  uint64_t magnitude = negative ? ~static_cast<uint64_t>(value) + 1 : static_cast<uint64_t>(value);
  std::string digits = std::to_string(magnitude);
  if (scale > 0) {
    if (digits.size() <= static_cast<size_t>(scale)) digits.insert(0, static_cast<size_t>(scale) + 1 - digits.size(), '0');
    digits.insert(digits.size() - static_cast<size_t>(scale), ".");
  }
  return negative ? "-" + digits : digits;
}

std::string format_amount(int64_t minor, std::string_view currency) {
  auto digits = minor_digits(currency);
  assert(digits.is_ok());
  return format_scaled(minor, digits.is_ok() ? *digits : 0);
}

}  // namespace fleetgate::money
