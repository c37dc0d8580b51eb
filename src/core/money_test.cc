#include "fleetgate/core/money.h"

#include <gtest/gtest.h>

#include <limits>

namespace fleetgate::money {
namespace {

TEST(Money, MinorDigitsFollowIso4217) {
  EXPECT_EQ(*minor_digits("USD"), 2);
  EXPECT_EQ(*minor_digits("CNY"), 2);
  EXPECT_EQ(*minor_digits("EUR"), 2);
  EXPECT_EQ(*minor_digits("JPY"), 0);
  EXPECT_EQ(minor_digits("usd").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(minor_digits("XXX").status().code(), Code::kInvalidArgument);
}

TEST(Money, ParsesAmountsExactlyOrNotAtAll) {
  EXPECT_EQ(*parse_amount("99", "USD"), 9900);
  EXPECT_EQ(*parse_amount("99.9", "USD"), 9990);
  EXPECT_EQ(*parse_amount("8000.00", "USD"), 800000);
  EXPECT_EQ(*parse_amount("-0.05", "EUR"), -5);
  EXPECT_EQ(*parse_amount("8000", "JPY"), 8000);
  EXPECT_EQ(parse_amount("0.001", "USD").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse_amount("1.5", "JPY").status().code(), Code::kInvalidArgument);
  for (const char* bad : {"", "-", ".5", "5.", "1e3", "1,00", " 1", "--1", "+1", "0x10"}) {
    EXPECT_EQ(parse_amount(bad, "USD").status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(Money, RejectsOverflowButReachesTheInt64Limits) {
  EXPECT_EQ(*parse_scaled("9223372036854775807", 0), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(*parse_scaled("-9223372036854775808", 0), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(parse_scaled("9223372036854775808", 0).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse_scaled("92233720368547758.08", 2).status().code(), Code::kInvalidArgument);
}

TEST(Money, FormatsWithTheCurrencyDigits) {
  EXPECT_EQ(format_amount(9900, "USD"), "99.00");
  EXPECT_EQ(format_amount(-5, "USD"), "-0.05");
  EXPECT_EQ(format_amount(0, "CNY"), "0.00");
  EXPECT_EQ(format_amount(8000, "JPY"), "8000");
  EXPECT_EQ(format_scaled(std::numeric_limits<int64_t>::min(), 2), "-92233720368547758.08");
  EXPECT_EQ(format_scaled(125, 4), "0.0125");
}

TEST(Money, FormatThenParseRoundTrips) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-1}, int64_t{123456789}, int64_t{-100}}) {
    EXPECT_EQ(*parse_amount(format_amount(v, "EUR"), "EUR"), v);
  }
}

}  // namespace
}  // namespace fleetgate::money
