#include "fleetgate/learning/local_training.h"

#include <gtest/gtest.h>

#include "fleetgate/learning/synthetic_dataset.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::learning {
namespace {

class LocalTrainingTest : public ::testing::Test {
 protected:
  LocalTrainingTest()
      : store_(std::move(store::open_embedded(dir_ / "store")).value()),
        keys_(std::move(privacy::RegionKeys::open(dir_.path(), "us")).value()) {}

  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::shared_ptr<const privacy::RegionKeys> keys_;
  LocalTrainOptions options_{.hidden = 16, .train = {.epochs = 10, .seed = 4}, .now_ms = 1234};
};

TEST_F(LocalTrainingTest, TrainsEvaluatesAndStoresTheCheckpointInTheRegion) {
  ASSERT_TRUE(save_dataset(*store_, keys_, synthetic_dataset("us", 300, 200, 1)).is_ok());
  auto c = train_and_store_local(*store_, keys_, nullptr, options_);
  ASSERT_TRUE(c.is_ok()) << c.status().to_string();
  EXPECT_EQ(c->meta.kind, "local");
  EXPECT_EQ(c->meta.region, "us");
  EXPECT_EQ(c->meta.train_examples, 300u);
  EXPECT_EQ(c->meta.created_ms, 1234);
  ASSERT_TRUE(c->meta.test);
  EXPECT_EQ(c->meta.test->examples, 200u);
  EXPECT_GT(c->meta.test->auc.value(), 0.85);

  auto stored = load_checkpoint(*store_, kLocalModel);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(*stored, *c);
  auto data = load_training_data(*store_, keys_, kLatestVersion, 16, nullptr);
  ASSERT_TRUE(data.is_ok());
  EXPECT_EQ(*stored->normaliser, Normaliser::fit(data->dataset.train, 3).value());  // train split only
  auto again = evaluate_model(stored->meta.spec, stored->weights, *stored->normaliser, data->dataset.test);
  ASSERT_TRUE(again.is_ok());
  EXPECT_EQ(*again, *c->meta.test);
}

TEST_F(LocalTrainingTest, IsDeterministicForASeed) {
  ASSERT_TRUE(save_dataset(*store_, keys_, synthetic_dataset("us", 100, 50, 2)).is_ok());
  auto a = train_and_store_local(*store_, keys_, nullptr, options_);
  auto b = train_and_store_local(*store_, keys_, nullptr, options_);
  ASSERT_TRUE(a.is_ok() && b.is_ok());
  EXPECT_EQ(a->weights, b->weights);
}

TEST_F(LocalTrainingTest, RefusesARegionWithoutADataset) {
  EXPECT_EQ(train_and_store_local(*store_, keys_, nullptr, options_).status().code(), Code::kNotFound);
  EXPECT_EQ(load_checkpoint(*store_, kLocalModel).status().code(), Code::kNotFound);
}

}  // namespace
}  // namespace fleetgate::learning
