#include "fleetgate/learning/fedavg.h"

#include <gtest/gtest.h>

namespace fleetgate::learning {
namespace {

ModelWeights weights(std::vector<float> a, std::vector<float> b) {
  return ModelWeights{{Tensor{"w", {2}, std::move(a)}, Tensor{"b", {1}, std::move(b)}}};
}

TEST(FedAvg, IsTheSampleWeightedMean) {
  auto avg = federated_average({{weights({1, 2}, {4}), 1}, {weights({5, -2}, {0}), 3}});
  ASSERT_TRUE(avg.is_ok()) << avg.status().to_string();
  EXPECT_EQ(*avg, weights({4, -1}, {1}));
}

TEST(FedAvg, ARegionWithoutSamplesDoesNotCount) {
  auto avg = federated_average({{weights({1, 2}, {3}), 2}, {weights({100, 100}, {100}), 0}});
  ASSERT_TRUE(avg.is_ok());
  EXPECT_EQ(*avg, weights({1, 2}, {3}));
}

TEST(FedAvg, RefusesEmptyInputZeroSamplesAndMismatchedLayouts) {
  EXPECT_EQ(federated_average({}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(federated_average({{weights({1, 2}, {3}), 0}}).status().code(), Code::kInvalidArgument);
  ModelWeights other{{Tensor{"w", {3}, {1, 2, 3}}, Tensor{"b", {1}, {0}}}};
  EXPECT_EQ(federated_average({{weights({1, 2}, {3}), 1}, {other, 1}}).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::learning
