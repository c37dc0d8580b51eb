#include "fleetgate/telemetry/store_key.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <tuple>
#include <vector>

namespace fleetgate::telemetry {
namespace {

TEST(StoreKey, ByteOrderIsPseudonymThenTimeThenSeq) {
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  std::vector<StoreKey> keys;
  for (std::string p : {"p_00", "p_0", "p_01", "p_ff"}) {
    for (int64_t t : {kMin, int64_t{-86'400'000}, int64_t{-1}, int64_t{0}, int64_t{1}, int64_t{255}, int64_t{256},
                      int64_t{1'700'000'000'000}, kMax}) {
      for (uint64_t s : {uint64_t{0}, uint64_t{1}, uint64_t{256}, std::numeric_limits<uint64_t>::max()}) {
        keys.push_back({p, t, s});
      }
    }
  }
  auto by_fields = keys;
  std::sort(by_fields.begin(), by_fields.end(), [](const StoreKey& a, const StoreKey& b) {
    return std::tie(a.pseudonym, a.created_at_ms, a.seq) < std::tie(b.pseudonym, b.created_at_ms, b.seq);
  });
  auto by_bytes = keys;
  std::sort(by_bytes.begin(), by_bytes.end(), [](const StoreKey& a, const StoreKey& b) {
    return encode_store_key(a.pseudonym, a.created_at_ms, a.seq) < encode_store_key(b.pseudonym, b.created_at_ms, b.seq);
  });
  EXPECT_EQ(by_bytes, by_fields);
}

TEST(StoreKey, RoundTripsAndSharesTheVehiclePrefix) {
  const std::string key = encode_store_key("p_4ac4", -5, 9);
  EXPECT_EQ(key.size(), 6u + 1 + 16);
  EXPECT_EQ(key.rfind(store_key_prefix("p_4ac4"), 0), 0u);
  EXPECT_NE(key.rfind(store_key_prefix("p_4ac"), 0), 0u) << "a shorter pseudonym is not a prefix";
  auto back = decode_store_key(key);
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, (StoreKey{"p_4ac4", -5, 9}));
}

TEST(StoreKey, RejectsForeignKeys) {
  for (std::string_view bad : {std::string_view(""), std::string_view("p_1"), std::string_view("0123456789abcdefghij")}) {
    auto k = decode_store_key(bad);
    ASSERT_FALSE(k.is_ok()) << bad;
    EXPECT_EQ(k.status().code(), Code::kDataLoss);
  }
  std::string two_nuls = encode_store_key("p", 1, 1);
  two_nuls[0] = '\0';
  EXPECT_FALSE(decode_store_key(two_nuls).is_ok());
}

}  // namespace
}  // namespace fleetgate::telemetry
