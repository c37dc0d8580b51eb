#include "fleetgate/learning/trainer.h"

#include <gtest/gtest.h>

#include "fleetgate/learning/metrics.h"
#include "fleetgate/learning/synthetic_dataset.h"

namespace fleetgate::learning {
namespace {

struct Fixture {
  Dataset data = synthetic_dataset("eu", 400, 200, 5);
  ModelSpec spec{.window_steps = data.window_steps, .step_dim = data.step_dim, .hidden = 16};
  Normaliser norm = Normaliser::fit(data.train, data.step_dim).value();

  double test_auc(const ModelWeights& w) const {
    std::vector<float> labels;
    for (const Example& e : data.test) labels.push_back(e.label);
    return binary_metrics(predict(spec, w, data.test, norm).value(), labels).auc.value();
  }
};

TEST(Trainer, TrainingBeatsTheUntrainedModelOnHeldOutData) {
  Fixture f;
  const ModelWeights init = initial_weights(f.spec, 3).value();
  std::vector<double> losses;
  auto trained = train_model(f.spec, init, f.data.train, f.norm, {.epochs = 15, .seed = 3},
                             [&](uint32_t, uint32_t, double loss) { losses.push_back(loss); });
  ASSERT_TRUE(trained.is_ok()) << trained.status().to_string();
  ASSERT_EQ(losses.size(), 15u);
  EXPECT_LT(losses.back(), losses.front());
  EXPECT_GT(f.test_auc(*trained), 0.85);
  EXPECT_GT(f.test_auc(*trained), f.test_auc(init) + 0.2);
}

TEST(Trainer, ASeedFixesTheResultBitForBit) {
  Fixture f;
  auto run = [&](uint64_t seed) {
    return train_model(f.spec, initial_weights(f.spec, seed).value(), f.data.train, f.norm, {.epochs = 3, .seed = seed}).value();
  };
  EXPECT_EQ(run(9), run(9));
  EXPECT_NE(run(9), run(10));
}

TEST(Trainer, RefusesMisfitInput) {
  Fixture f;
  const ModelWeights init = initial_weights(f.spec, 1).value();
  ModelSpec wider = f.spec;
  wider.hidden = 8;
  EXPECT_EQ(train_model(wider, init, f.data.train, f.norm, {}).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(train_model(f.spec, init, {}, f.norm, {}).status().code(), Code::kInvalidArgument);
  std::vector<Example> bad = {f.data.train[0]};
  bad[0].features.pop_back();
  EXPECT_EQ(predict(f.spec, init, bad, f.norm).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(initial_weights(ModelSpec{}, 1).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fleetgate::learning
