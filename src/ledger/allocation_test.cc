#include "fleetgate/ledger/allocation.h"

#include <gtest/gtest.h>

#include <numeric>
#include <random>

namespace fleetgate::ledger {
namespace {

int64_t sum(const std::vector<int64_t>& v) { return std::accumulate(v.begin(), v.end(), int64_t{0}); }

TEST(Allocation, SplitsEvenlyAndGivesLeftoversToLargestRemainders) {
  const std::vector<Wide> thirds = {1, 1, 1};
  EXPECT_EQ(*split_largest_remainder(100, thirds), (std::vector<int64_t>{34, 33, 33}));
  const std::vector<Wide> w = {1, 2};  // 1/3 and 2/3 of 100: 33.33 and 66.67
  EXPECT_EQ(*split_largest_remainder(100, w), (std::vector<int64_t>{33, 67}));
}

TEST(Allocation, NegativePoolsMirrorPositiveOnes) {
  const std::vector<Wide> w = {1, 1, 1};
  EXPECT_EQ(*split_largest_remainder(-100, w), (std::vector<int64_t>{-34, -33, -33}));
  EXPECT_EQ(sum(*split_largest_remainder(INT64_MIN, w)), INT64_MIN);
}

TEST(Allocation, RejectsZeroWeightsAndOverflow) {
  const std::vector<Wide> zero = {0, 0};
  EXPECT_EQ(split_largest_remainder(10, zero).status().code(), Code::kInvalidArgument);
  const std::vector<Wide> huge = {Wide{1} << 100, Wide{1} << 100};
  EXPECT_EQ(split_largest_remainder(INT64_MAX, huge).status().code(), Code::kInvalidArgument);
}

// Property: for random pools and weights the shares sum exactly to the pool, each share is the
// floor or the ceiling of its exact value, and ties go to the earlier party.
TEST(AllocationProperty, SharesAlwaysSumExactlyToThePool) {
  for (uint32_t seed = 1; seed <= 2000; ++seed) {
    std::mt19937_64 rng(seed);
    const size_t n = 1 + rng() % 8;
    std::vector<Wide> w(n);
    Wide total = 0;
    for (auto& x : w) {
      x = (rng() % 4 == 0) ? 0 : static_cast<Wide>(rng() % 1'000'000'000'000ULL);
      total += x;
    }
    if (total == 0) w[0] = total = 1;
    const int64_t pool = static_cast<int64_t>(rng() % 10'000'000'000ULL) - 2'000'000'000LL;
    auto shares = split_largest_remainder(pool, w);
    ASSERT_TRUE(shares.is_ok()) << "seed " << seed;
    ASSERT_EQ(sum(*shares), pool) << "seed " << seed;
    const Wide magnitude = static_cast<Wide>(pool < 0 ? -pool : pool);
    for (size_t i = 0; i < n; ++i) {
      const Wide floor_share = magnitude * w[i] / total;
      const Wide got = static_cast<Wide>((*shares)[i] < 0 ? -(*shares)[i] : (*shares)[i]);
      EXPECT_TRUE(got == floor_share || got == floor_share + 1) << "seed " << seed << " party " << i;
      if (w[i] == 0) {
        EXPECT_EQ((*shares)[i], 0) << "seed " << seed;
      }
    }
  }
}

TEST(Allocation, WideToString) {
  EXPECT_EQ(wide_to_string(0), "0");
  EXPECT_EQ(wide_to_string(Wide{1} << 100), "1267650600228229401496703205376");
  EXPECT_EQ(gcd(12, 18), Wide{6});
}

}  // namespace
}  // namespace fleetgate::ledger
