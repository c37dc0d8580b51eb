#include "fleetgate/telemetry/query_cursor.h"

#include <gtest/gtest.h>

namespace fleetgate::telemetry {
namespace {

constexpr std::string_view kVin = "XP7YGCEK7PB021447";
constexpr std::string_view kOther = "5YJ3E1EA1PF412087";
constexpr int64_t kFrom = -5'000;  // before 1970: created_at is signed
constexpr int64_t kTo = 1'748'735'980'003;

TEST(QueryCursor, CarriesThePositionOfTheQueryItWasIssuedFor) {
  for (const RecordPosition p : {RecordPosition{kFrom, 0, 1}, RecordPosition{-1, 7, 3},
                                 RecordPosition{kTo, UINT64_MAX, UINT32_MAX}}) {
    const std::string cursor = encode_query_cursor(p, kVin, kFrom, kTo);
    Result<RecordPosition> back = decode_query_cursor(cursor, kVin, kFrom, kTo);
    ASSERT_TRUE(back.is_ok()) << back.status().to_string();
    EXPECT_EQ(*back, p);
  }
}

TEST(QueryCursor, IsRefusedForAnyOtherQuery) {
  const std::string cursor = encode_query_cursor({100, 2, 1}, kVin, kFrom, kTo);
  for (const auto& [vin, from, to] : {std::tuple{kOther, kFrom, kTo}, std::tuple{kVin, kFrom + 1, kTo},
                                      std::tuple{kVin, kFrom, kTo - 1}, std::tuple{kVin, INT64_MIN, INT64_MAX}}) {
    Result<RecordPosition> p = decode_query_cursor(cursor, vin, from, to);
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << vin << " " << from << " " << to;
    EXPECT_NE(p.status().message().find("another vehicle or other from/to bounds"), std::string::npos)
        << p.status().message();
  }
}

TEST(QueryCursor, APositionOutsideTheBoundsIsRefusedThoughTheQueryMatches) {
  for (const int64_t at : {kFrom - 1, kTo + 1}) {
    const std::string cursor = encode_query_cursor({at, 1, 1}, kVin, kFrom, kTo);
    Result<RecordPosition> p = decode_query_cursor(cursor, kVin, kFrom, kTo);
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << at;
    EXPECT_NE(p.status().message().find("outside"), std::string::npos) << p.status().message();
  }
}

TEST(QueryCursor, AnythingElseIsNotACursor) {
  const std::string good = encode_query_cursor({100, 2, 1}, kVin, kFrom, kTo);
  std::string upper = good;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  std::string version_2 = good;
  version_2[1] = '2';
  const std::string no_ties = encode_query_cursor({100, 2, 0}, kVin, kFrom, kTo);
  for (const std::string& bad : {std::string(), std::string("null"), good.substr(1), good + "00", upper, version_2,
                                 no_ties, std::string(good.size(), 'g')}) {
    Result<RecordPosition> p = decode_query_cursor(bad, kVin, kFrom, kTo);
    EXPECT_EQ(p.status().code(), Code::kInvalidArgument) << bad;
    EXPECT_NE(p.status().message().find("not a next_cursor"), std::string::npos) << bad << ": " << p.status().message();
  }
}

}  // namespace
}  // namespace fleetgate::telemetry
