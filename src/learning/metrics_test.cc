#include "fleetgate/learning/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fleetgate::learning {
namespace {

TEST(Metrics, PerfectRankingHasAucOne) {
  auto m = binary_metrics({0.1f, 0.2f, 0.8f, 0.9f}, {0, 0, 1, 1});
  ASSERT_TRUE(m.auc);
  EXPECT_DOUBLE_EQ(*m.auc, 1.0);
  EXPECT_DOUBLE_EQ(m.accuracy, 1.0);
  EXPECT_EQ(m.positives, 2u);
}

TEST(Metrics, AucCountsPairsAndHalvesTies) {
  // Positives 0.6, 0.4; negatives 0.5, 0.4. Pairs: (0.6>0.5)=1, (0.6>0.4)=1, (0.4<0.5)=0, tie=0.5.
  auto m = binary_metrics({0.6f, 0.4f, 0.5f, 0.4f}, {1, 1, 0, 0});
  ASSERT_TRUE(m.auc);
  EXPECT_DOUBLE_EQ(*m.auc, 2.5 / 4);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);  // 0.5 counts as positive, 0.4 as negative
}

TEST(Metrics, LogLossIsTheMeanCrossEntropy) {
  auto m = binary_metrics({0.8f, 0.25f}, {1, 0});
  EXPECT_NEAR(m.log_loss, -(std::log(0.8) + std::log(0.75)) / 2, 1e-6);
}

TEST(Metrics, AucIsUndefinedForOneClass) {
  EXPECT_FALSE(binary_metrics({0.1f, 0.9f}, {0, 0}).auc);
  EXPECT_EQ(binary_metrics({}, {}).examples, 0u);
}

}  // namespace
}  // namespace fleetgate::learning
