#include "fleetgate/learning/trainer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

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

// The shared libraries an ELF file names (readelf -d), one per line.
std::string needed_libraries(const std::string& file) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("readelf -d " + file + " 2>&1").c_str(), "r"), pclose);
  std::string out;
  char line[512];
  while (p && std::fgets(line, sizeof line, p.get()) != nullptr) {
    if (std::string_view(line).find("(NEEDED)") != std::string_view::npos) out += line;
  }
  return out;
}

// The trainer loads LibTorch on its first call (the tests above train through it); the CLI and
// `serve` must not pay for loading it at start.
TEST(TorchModule, OnlyTheModuleLinksLibTorch) {
  const std::string module = needed_libraries(FLEETGATE_BINARY_DIR "/src/app/fleetgate-torch.so");
  EXPECT_NE(module.find("libtorch"), std::string::npos) << module;
  const std::string app = needed_libraries(FLEETGATE_BINARY_DIR "/src/app/fleetgate");
  ASSERT_NE(app.find("libc.so"), std::string::npos) << "readelf found no libraries: " << app;
  EXPECT_EQ(app.find("libtorch"), std::string::npos) << app;
  EXPECT_EQ(app.find("libc10"), std::string::npos) << app;
}

}  // namespace
}  // namespace fleetgate::learning
