#include "fleetgate/core/json_text.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <cmath>
#include <limits>

namespace fleetgate {
namespace {

double parsed_double(std::string_view text) {
  std::error_code ec;
  boost::json::value v = parse_json(text, ec);
  EXPECT_FALSE(ec) << text << ": " << ec.message();
  EXPECT_TRUE(v.is_double()) << text;
  return v.is_double() ? v.get_double() : std::nan("");
}

TEST(ParseJson, ReadsEveryDecimalAsTheNearestDouble) {
  // Boost.JSON 1.81 reads the first as 422.1329422832184, one ulp off.
  EXPECT_EQ(parsed_double("422.13294228321837"), 422.13294228321837);
  // What json_number writes reads back as the same double.
  for (const double d : {0.1, 121.475, 31.235000000000003, -77.0365298, 1.7976931348623157e308, 5e-324,
                         2.2250738585072014e-308, 0.30000000000000004, 1e-7, 123456.789e-3}) {
    EXPECT_EQ(parsed_double(json_number(d)), d) << json_number(d);
  }
  EXPECT_EQ(parsed_double("1E2"), 100.0);
  EXPECT_EQ(parsed_double("18446744073709551616"), 18446744073709551616.0) << "beyond uint64";
}

TEST(ParseJson, ReadsNumbersInsideDocumentsAndKeepsIntegersIntegers) {
  std::error_code ec;
  boost::json::value v = parse_json(R"({"a":[422.13294228321837,-3,18446744073709551615],"b":"x","c":null,"d":true})", ec);
  ASSERT_FALSE(ec) << ec.message();
  const auto& a = v.at("a").as_array();
  EXPECT_EQ(a[0].as_double(), 422.13294228321837);
  EXPECT_EQ(a[1].as_int64(), -3);
  EXPECT_EQ(a[2].as_uint64(), UINT64_MAX);
  EXPECT_EQ(v.at("b").as_string(), "x");
  EXPECT_TRUE(v.at("c").is_null());
  EXPECT_TRUE(v.at("d").as_bool());
}

TEST(ParseJson, RefusesWhatBoostRefuses) {
  for (const char* bad : {"", "{", "[1,]", "01", "1.", "+1", "[1] x", "{\"a\":1}}", "\"\xff\"", "// c\n1"}) {
    std::error_code ec;
    EXPECT_TRUE(parse_json(bad, ec).is_null()) << bad;
    EXPECT_TRUE(ec) << bad;
    boost::system::error_code boost_ec;
    boost::json::parse(bad, boost_ec);
    EXPECT_TRUE(boost_ec) << bad;
  }
}

TEST(JsonNumber, WritesNumbersAsPeopleDo) {
  EXPECT_EQ(json_number(42.0), "42");
  EXPECT_EQ(json_number(121.475), "121.475");
  EXPECT_EQ(json_number(121.47500000000002), "121.47500000000002") << "shortest text that reads back";
  EXPECT_EQ(json_number(422.13294228321837), "422.13294228321837");
  EXPECT_EQ(json_number(-0.1), "-0.1");
  EXPECT_EQ(json_number(0.0), "0");
  EXPECT_EQ(json_number(1e20), "100000000000000000000");
  EXPECT_EQ(json_number(0.000001), "0.000001");
  EXPECT_EQ(json_number(1e21), "1e+21");
  EXPECT_EQ(json_number(1e-7), "1e-07");
  EXPECT_EQ(json_number(std::numeric_limits<double>::infinity()), "null");
  EXPECT_EQ(json_number(std::nan("")), "null");
}

TEST(JsonText, WritesDoublesPlainAndEverythingElseAsBoostDoes) {
  const boost::json::value v =
      boost::json::parse(R"({"lat":31.235,"speed":42.0,"n":[1,-2,18446744073709551615,true,null],"s":"\"q\"\n"})");
  EXPECT_EQ(json_text(v), R"({"lat":31.235,"speed":42,"n":[1,-2,18446744073709551615,true,null],"s":"\"q\"\n"})");
  EXPECT_EQ(json_text(boost::json::value(1e300)), "1e+300");
  EXPECT_EQ(json_text(boost::json::array{}), "[]");
  EXPECT_EQ(json_text(boost::json::object{}), "{}");
}

}  // namespace
}  // namespace fleetgate
