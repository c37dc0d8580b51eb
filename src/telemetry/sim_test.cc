#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "fleetgate/telemetry/fleet_sim.h"
#include "fleetgate/telemetry/ingest_test_env.h"
#include "fleetgate/telemetry/sim_vehicle.h"
#include "fleetgate/vehicle/vin.h"

namespace fleetgate::telemetry {
namespace {

TEST(SimVehicle, EveryRecordPassesValidationOverALongDrive) {
  SimVehicle v(sim_vin(7), 42);
  int64_t now = 1'700'000'000'000;
  Validator validator({}, [&now] { return now; });
  double top_speed = 0;
  for (int i = 0; i < 20'000; ++i) {
    now += 100;
    Record r = v.step(100, now);
    ASSERT_TRUE(validator.validate(r).is_ok()) << i << ": " << validator.validate(r).to_string();
    EXPECT_EQ(r.seq, static_cast<uint64_t>(i + 1));
    top_speed = std::max(top_speed, v.speed_kmh());
  }
  EXPECT_GT(top_speed, 25) << "the vehicle pulls away and drives";
}

// The location a record carries.
Location location_of(const Record& r) {
  for (const Datum& d : r.data) {
    if (d.field == Field::kLocation) return std::get<Location>(d.value);
  }
  ADD_FAILURE() << "a record without its location";
  return {};
}

// Simulated cars drive where their region is: within reach of their region's city for a long
// drive, and anywhere when their region has no home area.
TEST(SimVehicle, CarsDriveInTheirHomeRegion) {
  struct Home {
    const char* region;
    double lat, lon;
  };
  for (const Home& home : {Home{"cn", 31.23, 121.47}, Home{"us", 37.77, -122.42}, Home{"eu", 48.14, 11.58}}) {
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      SimVehicle v(sim_vin(static_cast<uint32_t>(seed)), seed, home.region);
      int64_t now = 1'700'000'000'000;
      for (int i = 0; i < 6'000; ++i) {  // ten minutes of driving
        now += 100;
        const Location at = location_of(v.step(100, now));
        ASSERT_LT(std::abs(at.lat - home.lat), 0.6) << home.region << " seed " << seed << " record " << i;
        ASSERT_LT(std::abs(at.lon - home.lon), 0.6) << home.region << " seed " << seed << " record " << i;
      }
    }
  }
  std::set<int> hemispheres;  // no region: the whole world, as before
  for (uint64_t seed = 1; seed <= 50; ++seed) {
    const Location at = location_of(SimVehicle(sim_vin(static_cast<uint32_t>(seed)), seed).step(100, 1'700'000'000'100));
    hemispheres.insert((at.lat > 0 ? 2 : 0) + (at.lon > 0 ? 1 : 0));
  }
  EXPECT_EQ(hemispheres.size(), 4u);
}

TEST(SimVehicle, VinsAreValidAndDistinct) {
  std::set<std::string> seen;
  for (uint32_t i = 0; i < 100; ++i) {
    const std::string vin = sim_vin(i);
    EXPECT_TRUE(vehicle::validate(vin).is_ok()) << vin;
    seen.insert(vin);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(FleetSim, EveryAcknowledgedRecordIsStored) {
  IngestEnv env({}, /*system_clock=*/true);  // the simulator stamps records with the real time
  FleetSimOptions options;
  const char* markets[] = {"US", "DE", "CN"};
  for (uint32_t i = 0; i < 6; ++i) {
    const std::string vin = sim_vin(1000 + i);
    env.add_vehicle(vin, markets[i % 3]);
    options.vehicles.push_back({vin, "vehicle:" + vin});
  }
  env.start();
  store::TestDir out;
  options.port = env.server().port();
  options.rate = 0;  // as fast as acks allow
  options.duration = std::chrono::milliseconds(500);
  options.acked_log = out / "acked.txt";
  auto progress = run_fleet(options);
  ASSERT_TRUE(progress.is_ok()) << progress.status().to_string();
  EXPECT_EQ(progress->errors, 0u);
  EXPECT_EQ(progress->refused, 0u);
  EXPECT_GT(progress->acked, 0u);
  EXPECT_EQ(progress->acked, progress->sent);

  std::ifstream in(options.acked_log);
  std::string vin;
  uint64_t seq = 0;
  size_t lines = 0;
  while (in >> vin >> seq) {
    ++lines;
    auto state = env.service().latest_state(vin);
    ASSERT_TRUE(state.is_ok()) << vin;
    EXPECT_GE(state->seq, seq);
  }
  EXPECT_EQ(lines, progress->acked);
}

TEST(FleetSim, BatchFramesCarryRecordsPerFrame) {
  IngestEnv env({}, /*system_clock=*/true);
  FleetSimOptions options;
  const std::string vin = sim_vin(2000);
  env.add_vehicle(vin, "DE");
  options.vehicles.push_back({vin, "vehicle:" + vin});
  env.start();
  store::TestDir out;
  options.port = env.server().port();
  options.rate = 0;
  options.records_per_frame = 10;
  options.duration = std::chrono::milliseconds(300);
  options.acked_log = out / "acked.txt";
  auto progress = run_fleet(options);
  ASSERT_TRUE(progress.is_ok()) << progress.status().to_string();
  EXPECT_EQ(progress->errors, 0u);
  ASSERT_GT(progress->acked, 0u);
  EXPECT_EQ(progress->acked, progress->sent);
  EXPECT_EQ(progress->acked % 10, 0u);
  auto stored = env.service().region("eu")->read(vin, INT64_MIN, INT64_MAX, SIZE_MAX);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(stored->size(), progress->acked);
  std::ifstream in(options.acked_log);
  std::set<uint64_t> seqs;
  std::string logged_vin;
  for (uint64_t seq = 0; in >> logged_vin >> seq;) seqs.insert(seq);
  ASSERT_EQ(seqs.size(), progress->acked);
  EXPECT_EQ(*seqs.rbegin(), progress->acked) << "seqs 1..N, each logged once";
}

TEST(FleetSim, UnreachableServerCountsErrors) {
  FleetSimOptions options;
  options.port = 1;  // nothing listens on port 1 of loopback
  options.vehicles = {{sim_vin(1), "t"}};
  options.max_retries = 0;
  auto progress = run_fleet(options);
  ASSERT_TRUE(progress.is_ok());
  EXPECT_EQ(progress->errors, 1u);
  EXPECT_EQ(progress->sent, 0u);
}

TEST(FleetSim, RetriesAreBounded) {
  FleetSimOptions options;
  options.port = 1;
  options.vehicles = {{sim_vin(1), "t"}};
  options.max_retries = 2;  // backoff 100 ms, then 200 ms
  auto progress = run_fleet(options);
  ASSERT_TRUE(progress.is_ok());
  EXPECT_EQ(progress->errors, 3u) << "the first attempt and two retries";
  EXPECT_EQ(progress->reconnects, 0u);
}

}  // namespace
}  // namespace fleetgate::telemetry
