#include "fleetgate/vehicle/vin.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace fleetgate::vehicle {
namespace {

using ::testing::HasSubstr;

// `vin` with position 9 replaced by its correct check digit.
std::string with_check_digit(std::string vin) {
  vin[8] = check_digit(vin).value();
  return vin;
}

std::string validation_error(std::string_view vin) {
  auto r = validate(vin);
  EXPECT_FALSE(r.is_ok()) << vin;
  if (r.is_ok()) return {};
  EXPECT_EQ(r.status().code(), Code::kInvalidArgument);
  return r.status().message();
}

// --- check digit (49 CFR 565.15) -------------------------------------------------------------

struct CheckDigitCase {
  const char* vin;
  char expected;
};

class CheckDigitTest : public ::testing::TestWithParam<CheckDigitCase> {};

TEST_P(CheckDigitTest, ComputesTheDigitPosition9Holds) {
  EXPECT_EQ(check_digit(GetParam().vin), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    PublishedVins, CheckDigitTest,
    ::testing::Values(CheckDigitCase{"1M8GDM9AXKP042788", 'X'},  // NHTSA's worked example (remainder 10)
                      CheckDigitCase{"11111111111111111", '1'},  // all ones: 89 mod 11
                      CheckDigitCase{"1HGCM82633A004352", '3'},  // Honda Accord, widely published
                      CheckDigitCase{"JH4KA7561PC008269", '1'},  // Acura Legend, widely published
                      CheckDigitCase{"5YJ3E1EA2KF317000", '2'},
                      CheckDigitCase{"7FCTGAALXNN012345", 'X'},
                      // Position 9 does not take part in the sum: any character there gives the same digit.
                      CheckDigitCase{"1M8GDM9A0KP042788", 'X'}));

TEST(CheckDigit, NulloptUnlessSeventeenVinCharacters) {
  EXPECT_EQ(check_digit("1M8GDM9AXKP04278"), std::nullopt);
  EXPECT_EQ(check_digit("1M8GDM9AXKP0427888"), std::nullopt);
  EXPECT_EQ(check_digit("1M8GDM9AXKP04278O"), std::nullopt);
  EXPECT_EQ(check_digit(""), std::nullopt);
}

// --- validate ----------------------------------------------------------------------------------

TEST(Validate, AcceptsTheNhtsaExampleWithCheckDigitX) {
  auto r = validate("1M8GDM9AXKP042788");
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_TRUE(r->check_digit_required);
  EXPECT_TRUE(r->check_digit_valid);
  EXPECT_EQ(r->check_digit_expected, 'X');
}

TEST(Validate, RejectsWrongLength) {
  EXPECT_EQ(validation_error("1M8GDM9AXKP04278"), "length is 16, expected 17 characters");
  EXPECT_EQ(validation_error("1M8GDM9AXKP0427880"), "length is 18, expected 17 characters");
  EXPECT_EQ(validation_error(""), "length is 0, expected 17 characters");
}

TEST(Validate, RejectsIOAndQNamingThePosition) {
  EXPECT_EQ(validation_error("1M8GOM9AXKP042788"), "position 5: 'O' is not used in VINs (I, O and Q are excluded)");
  EXPECT_EQ(validation_error("IM8GDM9AXKP042788"), "position 1: 'I' is not used in VINs (I, O and Q are excluded)");
  EXPECT_EQ(validation_error("1M8GDM9AXKP04278Q"), "position 17: 'Q' is not used in VINs (I, O and Q are excluded)");
}

TEST(Validate, RejectsLowercaseRatherThanFoldingIt) {
  EXPECT_EQ(validation_error("1m8GDM9AXKP042788"), "position 2: lowercase 'm' (VINs are uppercase)");
  EXPECT_EQ(validation_error("1m8gdm9axkp042788"), "position 2: lowercase 'm' (VINs are uppercase)");
}

TEST(Validate, RejectsPunctuationSpacesAndControlBytes) {
  EXPECT_EQ(validation_error("1M8GDM9AXKP04278-"), "position 17: '-' is not a VIN character");
  EXPECT_EQ(validation_error(" M8GDM9AXKP042788"), "position 1: ' ' is not a VIN character");
  EXPECT_EQ(validation_error(std::string_view("1M8\aDM9AXKP042788")), "position 4: byte 0x07 is not a VIN character");
  EXPECT_EQ(validation_error(std::string_view("1M8GDM9AXKP04278\xff")), "position 17: byte 0xff is not a VIN character");
  EXPECT_EQ(validation_error(std::string_view("1M8GDM9AXKP04\0" "788", 17)), "position 14: byte 0x00 is not a VIN character");
}

TEST(Validate, ReportsTheFirstBadPosition) {
  EXPECT_THAT(validation_error("1M8GDM9AXKPO4278o"), HasSubstr("position 12:"));
}

TEST(Validate, CheckDigitIsMandatoryForNorthAmericanWmis) {
  // The Tesla VIN quoted in many examples carries a wrong check digit.
  EXPECT_EQ(validation_error("5YJ3E1EA7KF317000"), "position 9: check digit is '7', expected '2'");
  EXPECT_EQ(validation_error("1M8GDM9A5KP042788"), "position 9: check digit is '5', expected 'X'");
  // 7F-70 is assigned to the United States: Tesla's and Rivian's 7xx WMIs are North American.
  EXPECT_EQ(validation_error("7SAYGDEE2PA123456"), "position 9: check digit is '2', expected '1'");
}

TEST(Validate, CheckDigitIsReportedButNotFatalElsewhere) {
  for (const char* vin : {"LRW3E7EK0MC123456", "WVWZZZE1ZLP012345", "7AAAAAAA0AA000001"}) {
    auto r = validate(vin);
    ASSERT_TRUE(r.is_ok()) << vin << ": " << r.status().to_string();
    EXPECT_FALSE(r->check_digit_required) << vin;
    EXPECT_FALSE(r->check_digit_valid) << vin;
  }
  auto r = validate("LRW3E7EK0MC123456");
  EXPECT_EQ(r->check_digit_expected, '5');
  EXPECT_TRUE(validate("LRW3E7EK5MC123456")->check_digit_valid);
}

// --- decode ------------------------------------------------------------------------------------

TEST(Decode, NhtsaExample) {
  auto d = decode("1M8GDM9AXKP042788", 2025);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->vin, "1M8GDM9AXKP042788");
  EXPECT_EQ(d->wmi, "1M8");
  EXPECT_EQ(d->manufacturer, "Motor Coach Industries");
  EXPECT_EQ(d->country, "US");
  EXPECT_EQ(d->region_of_origin, "North America");
  EXPECT_EQ(d->vds, "GDM9A");
  EXPECT_EQ(d->model_year, 1989);  // position 7 is a digit: 1980-2009 cycle
  EXPECT_EQ(d->plant_code, 'P');
  EXPECT_EQ(d->plant, "");
  EXPECT_EQ(d->serial, "042788");
}

TEST(Decode, TeslaFremont) {
  auto d = decode("5YJ3E1EA2KF317000", 2025);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->manufacturer, "Tesla, Inc.");
  EXPECT_EQ(d->model_year, 2019);  // position 7 'E' is a letter: 2010-2039 cycle
  EXPECT_EQ(d->plant_code, 'F');
  EXPECT_EQ(d->plant, "Fremont, California");
  EXPECT_EQ(d->serial, "317000");
}

TEST(Decode, TeslaShanghaiAndBerlin) {
  auto shanghai = decode("LRW3E7EK5MC123456", 2025);
  ASSERT_TRUE(shanghai.is_ok());
  EXPECT_EQ(shanghai->manufacturer, "Tesla (Shanghai) Co., Ltd.");
  EXPECT_EQ(shanghai->country, "CN");
  EXPECT_EQ(shanghai->region_of_origin, "Asia");
  EXPECT_EQ(shanghai->plant, "Shanghai");
  EXPECT_EQ(shanghai->model_year, 2021);

  auto berlin = decode("XP7YGCEK3PB123456", 2025);
  ASSERT_TRUE(berlin.is_ok());
  EXPECT_EQ(berlin->manufacturer, "Tesla Manufacturing Brandenburg SE");
  EXPECT_EQ(berlin->country, "DE");
  EXPECT_EQ(berlin->region_of_origin, "Europe");
  EXPECT_EQ(berlin->plant, "Grünheide (Berlin-Brandenburg)");
  EXPECT_EQ(berlin->model_year, 2023);
}

TEST(Decode, TeslaAustinUnderA7WmiIsNorthAmerican) {
  auto d = decode("7SAYGDEE1PA123456", 2025);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_TRUE(d->check.check_digit_required);
  EXPECT_EQ(d->region_of_origin, "North America");
  EXPECT_EQ(d->plant, "Austin, Texas");
  EXPECT_EQ(d->model_year, 2023);
}

TEST(Decode, UnknownPlantCodeOfAKnownMaker) {
  auto d = decode(with_check_digit("5YJ3E1EA0KX317000"), 2025);
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->plant_code, 'X');
  EXPECT_EQ(d->plant, "");
}

TEST(Decode, UnknownWmi) {
  auto d = decode("AAAAAAAAAAA000001", 2025);
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->manufacturer, "unknown");
  EXPECT_EQ(d->country, "");
  EXPECT_EQ(d->region_of_origin, "Africa");
}

TEST(Decode, SmallManufacturerIsIdentifiedByPositions12To14) {
  auto d = decode("VF9SP3V33JM795012", 2025);
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->wmi, "VF9");
  EXPECT_EQ(d->manufacturer, "Bugatti Automobiles S.A.S.");
  EXPECT_EQ(d->serial, "012");
  auto other = decode("VF9SP3V33JM123012", 2025);
  ASSERT_TRUE(other.is_ok());
  EXPECT_EQ(other->manufacturer, "unknown");
  EXPECT_EQ(other->serial, "012");
}

TEST(Decode, ReturnsTheValidateError) {
  auto d = decode("5YJ3E1EA7KF317000", 2025);
  ASSERT_FALSE(d.is_ok());
  EXPECT_EQ(d.status().message(), "position 9: check digit is '7', expected '2'");
}

TEST(Decode, WithoutAYearUsesTheClock) {
  auto d = decode("1M8GDM9AXKP042788");
  ASSERT_TRUE(d.is_ok());
  EXPECT_EQ(d->model_year, 1989);
}

struct RegionCase {
  const char* wmi;
  const char* region;
};

class RegionTest : public ::testing::TestWithParam<RegionCase> {};

TEST_P(RegionTest, FollowsIso3780AndTheSaeChart) {
  auto d = decode(with_check_digit(std::string(GetParam().wmi) + "AAAAA0AA000001"), 2025);
  ASSERT_TRUE(d.is_ok()) << d.status().to_string();
  EXPECT_EQ(d->region_of_origin, GetParam().region);
}

INSTANTIATE_TEST_SUITE_P(
    FirstCharacters, RegionTest,
    ::testing::Values(RegionCase{"AAV", "Africa"}, RegionCase{"HAA", "Africa"}, RegionCase{"JTD", "Asia"},
                      RegionCase{"LRW", "Asia"}, RegionCase{"RAA", "Asia"}, RegionCase{"SAL", "Europe"},
                      RegionCase{"ZFA", "Europe"}, RegionCase{"1G1", "North America"},
                      RegionCase{"3VW", "North America"}, RegionCase{"5YJ", "North America"},
                      RegionCase{"6FP", "Oceania"}, RegionCase{"7AB", "Oceania"}, RegionCase{"7EB", "Oceania"},
                      RegionCase{"7FC", "North America"}, RegionCase{"7ZA", "North America"},
                      RegionCase{"70A", "North America"}, RegionCase{"8AP", "South America"},
                      RegionCase{"9BW", "South America"}, RegionCase{"0AA", ""}));

// --- model year --------------------------------------------------------------------------------

// A VIN with `first` as position 1, `seventh` as position 7 and `year` as position 10.
std::string year_vin(char first, char seventh, char year) {
  std::string vin = "1AAAAAAA0AA000001";
  vin[0] = first;
  vin[6] = seventh;
  vin[9] = year;
  return vin;
}

struct YearCase {
  char first;
  char seventh;
  char code;
  int current_year;
  std::optional<int> expected;
};

class ModelYearTest : public ::testing::TestWithParam<YearCase> {};

TEST_P(ModelYearTest, ResolvesTheThirtyYearCycle) {
  const YearCase& c = GetParam();
  EXPECT_EQ(model_year(year_vin(c.first, c.seventh, c.code), c.current_year), c.expected)
      << c.first << c.seventh << c.code << " in " << c.current_year;
}

INSTANTIATE_TEST_SUITE_P(
    Cycles, ModelYearTest,
    ::testing::Values(
        // North America, digit in position 7: 1980-2009 whatever the current year.
        YearCase{'1', '9', 'A', 2025, 1980}, YearCase{'1', '9', 'Y', 2025, 2000},
        YearCase{'1', '0', '9', 2025, 2009}, YearCase{'2', '5', 'K', 2040, 1989},
        // North America, letter in position 7: 2010-2039 unless that is later than next year.
        YearCase{'1', 'E', 'A', 2025, 2010}, YearCase{'3', 'E', 'K', 2025, 2019},
        YearCase{'5', 'E', 'T', 2025, 2026}, YearCase{'5', 'E', 'V', 2025, 1997},
        YearCase{'5', 'E', 'V', 2026, 2027}, YearCase{'5', 'E', '1', 2030, 2031},
        // Elsewhere: the most recent year not later than current + 1, whatever position 7 holds.
        YearCase{'W', '9', 'A', 2025, 2010}, YearCase{'L', 'A', 'S', 2025, 2025},
        YearCase{'L', 'A', 'T', 2025, 2026}, YearCase{'L', 'A', 'V', 2025, 1997},
        YearCase{'W', '1', '9', 2025, 2009}, YearCase{'W', '1', '1', 2030, 2031},
        YearCase{'W', '1', 'A', 2041, 2040}, YearCase{'W', '1', 'Y', 2029, 2030},
        YearCase{'W', '1', 'A', 1979, 1980},
        // Not year codes.
        YearCase{'1', 'E', 'U', 2025, std::nullopt}, YearCase{'W', 'E', 'Z', 2025, std::nullopt},
        YearCase{'W', 'E', '0', 2025, std::nullopt}));

TEST(ModelYear, NulloptForTheWrongLength) {
  EXPECT_EQ(model_year("1M8GDM9AXK", 2025), std::nullopt);
  EXPECT_EQ(model_year("", 2025), std::nullopt);
}

}  // namespace
}  // namespace fleetgate::vehicle
