#include "fleetgate/privacy/vehicle_keys.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::privacy {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kCar = "p_00112233445566778899aabbccddeeff";
constexpr std::string_view kOtherCar = "p_ffeeddccbbaa99887766554433221100";

// Every byte of every file under `dir`.
std::string all_bytes(const fs::path& dir) {
  std::string out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    out.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return out;
}

TEST(VehicleKeys, EachVehicleGetsAKeyOfItsOwnThatLastsAcrossReopens) {
  store::TestDir dir;
  auto region = fixed_keys("cn", 5);
  VehicleDataKey first;
  {
    auto keys = VehicleKeys::open_embedded(dir.path(), region);
    ASSERT_TRUE(keys.is_ok()) << keys.status().message();
    auto a = (*keys)->for_sealing(kCar);
    auto b = (*keys)->for_sealing(kOtherCar);
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    EXPECT_EQ(a->generation, 1u);
    EXPECT_NE(a->key, b->key);
    first = *a;
    // Opened twice in one process: the same object, so one RocksDB instance.
    auto again = VehicleKeys::open_embedded(dir.path(), region);
    ASSERT_TRUE(again.is_ok());
    EXPECT_EQ(again->get(), keys->get());
  }
  auto reopened = VehicleKeys::open_embedded(dir.path(), region);
  ASSERT_TRUE(reopened.is_ok()) << reopened.status().message();
  auto a = (*reopened)->for_opening(kCar, 1);
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  EXPECT_EQ(a->key, first.key);
  auto sealing = (*reopened)->for_sealing(kCar);
  ASSERT_TRUE(sealing.is_ok());
  EXPECT_EQ(sealing->key, first.key);
}

TEST(VehicleKeys, ADestroyedKeyIsGoneFromEveryFileOfTheKeyStoreAndTheNextKeyIsANewGeneration) {
  store::TestDir dir;
  auto region = fixed_keys("cn", 5);
  const fs::path store_dir = dir.path() / kVehicleKeysDirName;
  VehicleDataKey before;
  {
    auto keys = VehicleKeys::open_embedded(dir.path(), region);
    ASSERT_TRUE(keys.is_ok());
    auto k = (*keys)->for_sealing(kCar);
    ASSERT_TRUE(k.is_ok());
    before = *k;
    ASSERT_TRUE((*keys)->for_sealing(kOtherCar).is_ok());
  }
  // What the key store holds for the car (its wrapped key), read with the store's own API.
  std::string wrapped;
  {
    auto raw = store::open_embedded(store_dir);
    ASSERT_TRUE(raw.is_ok());
    auto v = (*raw)->get("k/" + std::string(kCar));
    ASSERT_TRUE(v.is_ok());
    wrapped = *v;
  }
  ASSERT_GT(wrapped.size(), 40u);
  ASSERT_NE(all_bytes(store_dir).find(wrapped.substr(4)), std::string::npos) << "the probe finds the key before";

  auto keys = VehicleKeys::open_embedded(dir.path(), region);
  ASSERT_TRUE(keys.is_ok());
  auto destroyed = (*keys)->destroy(kCar);
  ASSERT_TRUE(destroyed.is_ok()) << destroyed.status().message();
  EXPECT_EQ(*destroyed, std::optional<uint32_t>(1));
  EXPECT_EQ(all_bytes(store_dir).find(wrapped.substr(4)), std::string::npos) << "a file of the key store still holds it";

  auto gone = (*keys)->for_opening(kCar, 1);
  EXPECT_EQ(gone.status().code(), Code::kNotFound);
  EXPECT_NE(gone.status().message().find("erased"), std::string::npos);
  // Erasing again is harmless; the other car keeps its key.
  auto twice = (*keys)->destroy(kCar);
  ASSERT_TRUE(twice.is_ok());
  EXPECT_EQ(*twice, std::nullopt);
  EXPECT_TRUE((*keys)->for_opening(kOtherCar, 1).is_ok());
  // Data of the car still in flight is not sealed under a new key.
  EXPECT_EQ((*keys)->for_sealing(kCar).status().code(), Code::kFailedPrecondition);
}

TEST(VehicleKeys, AfterTheQuietPeriodAVehicleGetsAKeyOfTheNextGeneration) {
  store::TestDir dir;
  int64_t now = 1'800'000'000'000;
  VehicleKeys keys(fixed_keys("cn", 5), std::move(store::open_embedded(dir.path() / "keys")).value(), [&] { return now; });
  auto first = keys.for_sealing(kCar);
  ASSERT_TRUE(first.is_ok());
  ASSERT_TRUE(keys.destroy(kCar).is_ok());
  now += kErasureQuietMs - 1;
  EXPECT_EQ(keys.for_sealing(kCar).status().code(), Code::kFailedPrecondition);
  now += 1;
  auto next = keys.for_sealing(kCar);
  ASSERT_TRUE(next.is_ok()) << next.status().to_string();
  EXPECT_EQ(next->generation, 2u);
  EXPECT_NE(next->key, first->key);
  EXPECT_EQ(keys.for_opening(kCar, 1).status().code(), Code::kNotFound) << "generation 1 was erased";
  EXPECT_TRUE(keys.for_opening(kCar, 2).is_ok());
}

TEST(VehicleKeys, AKeyStoreThatNeverHeldAKeyIsDataLossNotAnErasure) {
  // A lost or replaced key store must not make a region's data quietly disappear as "erased".
  store::TestDir dir;
  VehicleKeys keys(fixed_keys("cn", 5), std::move(store::open_embedded(dir.path() / "keys")).value());
  auto opened = keys.for_opening(kCar, 3);
  EXPECT_EQ(opened.status().code(), Code::kDataLoss);
  EXPECT_NE(opened.status().message().find("no erasure destroyed one"), std::string::npos) << opened.status().message();
}

}  // namespace
}  // namespace fleetgate::privacy
