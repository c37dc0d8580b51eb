// Residency property: for random vehicles in random markets, every record lands only in the
// store of the vehicle's home region, checked on disk after the service closed, and no region's
// files hold a raw VIN.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <map>
#include <random>

#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/telemetry/ingest_test_env.h"
#include "fleetgate/telemetry/record_codec.h"
#include "fleetgate/telemetry/json_format.h"
#include "fleetgate/telemetry/embedded_telemetry.h"
#include "fleetgate/telemetry/sim_vehicle.h"

namespace fleetgate::telemetry {
namespace {

bool file_contains(const std::filesystem::path& file, const std::string& needle) {
  std::ifstream in(file, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.find(needle) != std::string::npos;
}

TEST(Residency, EveryRecordEndsUpOnlyInItsHomeRegionOnDisk) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    IngestEnv env;
    std::mt19937_64 rng(seed);
    std::vector<std::string> markets;
    for (const auto& [market, region] : env.config().markets) markets.push_back(market);
    std::map<std::string, std::string> home;   // VIN -> region
    std::map<std::string, size_t> sent;        // VIN -> records
    for (uint32_t i = 0; i < 12; ++i) {
      const std::string vin = sim_vin(static_cast<uint32_t>(seed * 1000 + i));
      home[vin] = env.add_vehicle(vin, markets[rng() % markets.size()]);
    }
    for (const auto& [vin, region] : home) {
      SimVehicle v(vin, rng());
      const size_t n = 1 + rng() % 20;
      std::string batch = "[";
      for (size_t k = 0; k < n; ++k) batch += (k ? "," : "") + encode_json(v.step(1000, kIngestNowMs - 60'000 + static_cast<int64_t>(k)));
      batch += "]";
      auto stored = env.service().ingest_batch({vin, {"vehicle"}, {region}}, batch, FrameFormat::kJson);
      ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
      sent[vin] = n;
    }
    env.close();

    std::map<std::string, size_t> found;
    for (const auto& region : env.config().regions) {
      auto keys = privacy::RegionKeys::open(region.data_dir, region.id);
      ASSERT_TRUE(keys.is_ok());
      auto vehicle_keys = privacy::VehicleKeys::open_embedded(region.data_dir, *keys);
      ASSERT_TRUE(vehicle_keys.is_ok()) << vehicle_keys.status().to_string();
      RecordCodec codec(*keys, *vehicle_keys);
      {
        auto store = store::open_embedded(store::region_store_dir(region));
        ASSERT_TRUE(store.is_ok());
        for (auto it = (*store)->scan(""); it->valid(); it->next()) {
          if (it->key().starts_with(kLatestKeyPrefix)) continue;
          std::vector<Record> records;
          Status s = codec.decode(it->value(), records);
          ASSERT_TRUE(s.is_ok()) << "a block in " << region.id << " not sealed for it: " << s.to_string();
          for (const Record& r : records) {
            EXPECT_EQ(home.at(r.vin), region.id) << r.vin << " stored outside its home region";
            ++found[r.vin];
          }
        }
      }
      for (const auto& entry : std::filesystem::recursive_directory_iterator(region.data_dir)) {
        if (!entry.is_regular_file()) continue;
        for (const auto& [vin, unused] : home) {
          EXPECT_FALSE(file_contains(entry.path(), vin)) << entry.path() << " holds raw VIN " << vin;
        }
      }
    }
    EXPECT_EQ(found, sent);
  }
}

}  // namespace
}  // namespace fleetgate::telemetry
