#include "fleetgate/privacy/coarsen.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace fleetgate::privacy {
namespace {

constexpr double kMetresPerDegreeLat = 111194.93;  // on the 6371.0088 km sphere

Coarsener make(CoarsenOptions o = {}) {
  auto c = Coarsener::create(std::move(o));
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  return std::move(c).value();
}

CoarsenOptions with_grid(double degrees) {
  CoarsenOptions o;
  o.grid_degrees = degrees;
  return o;
}

CoarsenOptions with_zones(std::vector<SensitiveZone> zones) {
  CoarsenOptions o;
  o.zones = std::move(zones);
  return o;
}

CoarsenOptions with_bucket(std::chrono::milliseconds bucket) {
  CoarsenOptions o;
  o.time_bucket = bucket;
  return o;
}

void expect_point(std::optional<LatLon> got, double lat, double lon) {
  ASSERT_TRUE(got.has_value());
  EXPECT_NEAR(got->lat, lat, 1e-9);
  EXPECT_NEAR(got->lon, lon, 1e-9);
}

TEST(Coarsener, SnapsToCellCentres) {
  Coarsener c = make();
  expect_point(c.coarsen({31.23456, 121.47389}), 31.235, 121.475);    // Shanghai
  expect_point(c.coarsen({31.23999, 121.47001}), 31.235, 121.475);    // same cell
  expect_point(c.coarsen({31.24, 121.47}), 31.245, 121.475);          // next row up
  expect_point(c.coarsen({0, 0}), 0.005, 0.005);
}

// Exports print centres; each must be the double nearest its decimal value, which prints as that
// decimal ("121.475", not "121.47500000000002").
TEST(Coarsener, CentresAreTheirDecimalValues) {
  Coarsener c = make();
  EXPECT_EQ(c.snap({31.23456, 121.47389}), (LatLon{31.235, 121.475}));
  EXPECT_EQ(c.snap({-33.86785, -151.2093}), (LatLon{-33.865, -151.205}));
  int off = 0;
  for (int i = 0; i < 20000; ++i) {
    const LatLon centre = c.snap({-89.99 + i * 0.008999, -180 + i * 0.017999});
    off += centre.lat != std::round(centre.lat * 1000) / 1000 || centre.lon != std::round(centre.lon * 1000) / 1000;
  }
  EXPECT_EQ(off, 0) << "centres that are not the double nearest their 3-decimal value";
  Coarsener half = make(with_grid(0.5));
  EXPECT_EQ(half.snap({31.3, 121.1}), (LatLon{31.25, 121.25}));
}

TEST(Coarsener, NegativeCoordinatesFloorAwayFromZero) {
  Coarsener c = make();
  expect_point(c.coarsen({-33.86785, -151.2093}), -33.865, -151.205);
  expect_point(c.coarsen({-0.001, -0.001}), -0.005, -0.005);
  expect_point(c.coarsen({-0.0, 0.0}), 0.005, 0.005);
}

TEST(Coarsener, LongitudeOneEightyIsMinusOneEighty) {
  Coarsener c = make();
  expect_point(c.coarsen({10, 180}), 10.005, -179.995);
  expect_point(c.coarsen({10, -180}), 10.005, -179.995);
  expect_point(c.coarsen({10, 179.9999}), 10.005, 179.995);
}

TEST(Coarsener, PolarRowsCollapseToOnePoint) {
  Coarsener c = make();
  expect_point(c.coarsen({90, 45}), 89.995, 0);
  expect_point(c.coarsen({89.995, -120}), 89.995, 0);
  expect_point(c.coarsen({-90, -180}), -89.995, 0);
  expect_point(c.coarsen({89.985, 45.001}), 89.985, 45.005);  // one row below keeps its longitude
}

TEST(Coarsener, CoarserGrids) {
  Coarsener quarter = make(with_grid(0.25));
  expect_point(quarter.coarsen({52.52, 13.40}), 52.625, 13.375);
  Coarsener whole = make(with_grid(90));
  expect_point(whole.coarsen({45, 100}), 45, 0);  // every row is polar
}

TEST(Coarsener, RejectsBadOptions) {
  for (double g : {0.0, -0.01, 0.007, 91.0, 120.0, std::numeric_limits<double>::quiet_NaN()}) {
    auto c = Coarsener::create(with_grid(g));
    ASSERT_FALSE(c.is_ok()) << g;
    EXPECT_EQ(c.status().code(), Code::kInvalidArgument);
  }
  auto zone = Coarsener::create(with_zones({{"ok", {1, 1}, 10}, {"bad", {91, 0}, 10}}));
  ASSERT_FALSE(zone.is_ok());
  EXPECT_NE(zone.status().message().find("zones[1] ('bad')"), std::string::npos);
  EXPECT_FALSE(Coarsener::create(with_zones({{"r", {1, 1}, 0}})).is_ok());
  EXPECT_FALSE(Coarsener::create(with_bucket(std::chrono::milliseconds(0))).is_ok());
}

TEST(Coarsener, SuppressesPointsInSensitiveZones) {
  Coarsener c = make(with_zones({{"depot", {48.1372, 11.5756}, 500}}));
  EXPECT_FALSE(c.coarsen({48.1372, 11.5756}).has_value());
  EXPECT_FALSE(c.coarsen({48.1372 + 400 / kMetresPerDegreeLat, 11.5756}).has_value());
  EXPECT_TRUE(c.coarsen({48.1372 + 600 / kMetresPerDegreeLat, 11.5756}).has_value());
  EXPECT_TRUE(c.coarsen({-48.1372, 11.5756}).has_value()) << "the mirrored point is far away";
}

TEST(Coarsener, ZonesWrapTheAntimeridianAndCoverPoles) {
  Coarsener c = make(with_zones({{"dateline", {-17.0, 179.999}, 1000}, {"pole", {90, 0}, 2000}}));
  EXPECT_FALSE(c.coarsen({-17.0, -179.999}).has_value()) << "0.002° of longitude apart across the antimeridian";
  EXPECT_FALSE(c.coarsen({-17.0, 180}).has_value());
  EXPECT_TRUE(c.coarsen({-17.0, -179.9}).has_value());
  EXPECT_FALSE(c.coarsen({89.99, -135}).has_value()) << "any longitude near the pole";
  EXPECT_TRUE(c.coarsen({89.9, 0}).has_value());
}

TEST(Coarsener, NonFiniteOrOutOfRangePointsFailClosed) {
  Coarsener c = make();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(c.coarsen({nan, 0}).has_value());
  EXPECT_FALSE(c.coarsen({0, inf}).has_value());
  EXPECT_FALSE(c.coarsen({90.5, 0}).has_value());
  EXPECT_FALSE(c.coarsen({0, -181}).has_value());
}

TEST(Coarsener, DistanceIsGreatCircle) {
  EXPECT_NEAR(distance_m({0, 0}, {1, 0}), kMetresPerDegreeLat, 1);
  EXPECT_NEAR(distance_m({0, 179.5}, {0, -179.5}), kMetresPerDegreeLat, 1);
  EXPECT_NEAR(distance_m({90, 0}, {90, 123}), 0, 1e-6);
  EXPECT_NEAR(distance_m({0, 0}, {0, 180}), std::numbers::pi * 6371008.8, 1);
}

TEST(Coarsener, BucketsTimeByFlooring) {
  Coarsener quarter = make();
  constexpr int64_t k15m = 15 * 60 * 1000;
  EXPECT_EQ(quarter.bucket_time(1'700'000'123'456), 1'700'000'123'456 / k15m * k15m);
  EXPECT_EQ(quarter.bucket_time(k15m * 4), k15m * 4);
  EXPECT_EQ(quarter.bucket_time(k15m * 4 - 1), k15m * 3);
  EXPECT_EQ(quarter.bucket_time(-1), -k15m);
  EXPECT_EQ(quarter.bucket_time(0), 0);
  Coarsener minute = make(with_bucket(std::chrono::minutes(1)));
  EXPECT_EQ(minute.bucket_time(1'700'000'123'456), 1'700'000'100'000);
}

}  // namespace
}  // namespace fleetgate::privacy
