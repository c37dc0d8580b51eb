#include "fleetgate/learning/update_privacy.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fleetgate::learning {
namespace {

ModelWeights flat(std::vector<float> v) { return ModelWeights{{Tensor{"w", {static_cast<int64_t>(v.size())}, std::move(v)}}}; }

TEST(UpdatePrivacy, ClipsALargeUpdateToTheBoundAlongItsDirection) {
  const ModelWeights global = flat({1, 1, 1, 1});
  const ModelWeights local = flat({4, 5, 1, 1});  // delta (3, 4, 0, 0), norm 5
  auto out = privatise_update(global, local, {.clip = 1.0, .noise_multiplier = 0}, 7);
  ASSERT_TRUE(out.is_ok()) << out.status().to_string();
  EXPECT_NEAR(l2_distance(*out, global), 1.0, 1e-6);
  EXPECT_NEAR(out->tensors[0].values[0], 1.6, 1e-6);
  EXPECT_NEAR(out->tensors[0].values[1], 1.8, 1e-6);
}

TEST(UpdatePrivacy, LeavesASmallUpdateAlone) {
  const ModelWeights global = flat({0, 0});
  const ModelWeights local = flat({0.3f, 0.4f});
  auto out = privatise_update(global, local, {.clip = 1.0, .noise_multiplier = 0}, 7);
  ASSERT_TRUE(out.is_ok());
  EXPECT_EQ(*out, local);
}

TEST(UpdatePrivacy, NoiseHasTheConfiguredScaleAndFollowsTheSeed) {
  const ModelWeights global = flat(std::vector<float>(20000, 0));
  auto a = privatise_update(global, global, {.clip = 2.0, .noise_multiplier = 0.5}, 11);
  auto b = privatise_update(global, global, {.clip = 2.0, .noise_multiplier = 0.5}, 11);
  auto c = privatise_update(global, global, {.clip = 2.0, .noise_multiplier = 0.5}, 12);
  ASSERT_TRUE(a.is_ok() && b.is_ok() && c.is_ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);
  const double rms = l2_distance(*a, global) / std::sqrt(20000.0);
  EXPECT_NEAR(rms, 1.0, 0.03);  // std = sigma * C = 1
}

TEST(UpdatePrivacy, RefusesBadOptions) {
  const ModelWeights w = flat({0});
  EXPECT_EQ(privatise_update(w, w, {.clip = 0, .noise_multiplier = 1}, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(privatise_update(w, w, {.clip = 1, .noise_multiplier = -1}, 1).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(privatise_update(w, flat({0, 1}), {.clip = 1, .noise_multiplier = 1}, 1).status().code(), Code::kInvalidArgument);
}

TEST(UpdatePrivacy, EpsilonIsTheOptimisedRdpBound) {
  // sigma = 1, 1 round, delta = 1e-5: 1/2 + sqrt(2 ln 1e5).
  EXPECT_NEAR(gaussian_epsilon(1.0, 1, 1e-5), 0.5 + std::sqrt(2 * std::log(1e5)), 1e-12);
  // No alpha on a grid does better than the closed form, and more rounds or less noise cost more.
  for (double alpha = 1.01; alpha < 200; alpha *= 1.01) {
    EXPECT_LE(gaussian_epsilon(2.0, 10, 1e-5), 10 * alpha / 8 + std::log(1e5) / (alpha - 1) + 1e-9);
  }
  EXPECT_LT(gaussian_epsilon(2.0, 5, 1e-5), gaussian_epsilon(2.0, 10, 1e-5));
  EXPECT_LT(gaussian_epsilon(4.0, 10, 1e-5), gaussian_epsilon(2.0, 10, 1e-5));
}

}  // namespace
}  // namespace fleetgate::learning
