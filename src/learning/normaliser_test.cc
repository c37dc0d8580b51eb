#include "fleetgate/learning/normaliser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fleetgate::learning {
namespace {

TEST(Normaliser, StandardisesEachStepColumnWithTrainStatistics) {
  // Two examples of two steps of two columns: column 0 is {1, 3, 5, 7}, column 1 is constant.
  std::vector<Example> train(2);
  train[0].features = {1, 4, 3, 4};
  train[1].features = {5, 4, 7, 4};
  auto n = Normaliser::fit(train, 2);
  ASSERT_TRUE(n.is_ok()) << n.status().to_string();
  EXPECT_FLOAT_EQ(n->mean[0], 4);
  EXPECT_FLOAT_EQ(n->stddev[0], std::sqrt(5.0f));
  EXPECT_FLOAT_EQ(n->stddev[1], 1);  // no spread: left unscaled
  std::vector<float> x = {4, 4, 4 + std::sqrt(5.0f), 5};
  n->apply(x);
  EXPECT_FLOAT_EQ(x[0], 0);
  EXPECT_FLOAT_EQ(x[2], 1);
  EXPECT_FLOAT_EQ(x[3], 1);
}

TEST(Normaliser, RefusesAnEmptySplit) {
  EXPECT_EQ(Normaliser::fit({}, 2).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::learning
