#include "fleetgate/learning/dataset.h"

#include <gtest/gtest.h>

#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::learning {
namespace {

Dataset small(std::string version) {
  Dataset d;
  d.region = "eu";
  d.version = std::move(version);
  d.window_steps = 2;
  d.step_dim = 3;
  d.feature_names = {"speed_kmh", "accel_mps2", "neighbours"};
  d.train.push_back({{50, -0.5f, 1, 48, -6.25f, 2}, 1, "p_aa", 1000, "hard_brake"});
  d.train.push_back({{30, 0, 0, 31, 0.5f, 0}, 0, "p_aa", 9000, "negative"});
  d.test.push_back({{12.5f, 1, 3, 14, 1, 3}, 0, "p_bb", 4000, "negative"});
  d.counts_per_trigger = {{"hard_brake", 1}, {"negative", 2}};
  return d;
}

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_embedded(dir_.path());
    ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
    store_ = std::move(opened).value();
  }
  store::TestDir dir_;
  std::unique_ptr<store::KvStore> store_;
  std::shared_ptr<const privacy::RegionKeys> keys_ = privacy::fixed_keys("eu", 7);
};

void expect_same(const std::vector<Example>& a, const std::vector<Example>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].features, b[i].features);
    EXPECT_EQ(a[i].label, b[i].label);
    EXPECT_EQ(a[i].vehicle, b[i].vehicle);
    EXPECT_EQ(a[i].t_ms, b[i].t_ms);
    EXPECT_EQ(a[i].trigger, b[i].trigger);
  }
}

TEST_F(DatasetTest, RoundTripsByVersionAndLatest) {
  const Dataset first = small("v1");
  ASSERT_EQ(*save_dataset(*store_, keys_, first), "v1");
  Dataset second = small("v2");
  second.train.pop_back();
  ASSERT_TRUE(save_dataset(*store_, keys_, second).is_ok());

  auto loaded = load_dataset(*store_, keys_, "v1");
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  EXPECT_EQ(loaded->region, "eu");
  EXPECT_EQ(loaded->window_steps, 2);
  EXPECT_EQ(loaded->step_dim, 3);
  EXPECT_EQ(loaded->feature_names, first.feature_names);
  EXPECT_EQ(loaded->counts_per_trigger, first.counts_per_trigger);
  expect_same(loaded->train, first.train);
  expect_same(loaded->test, first.test);

  auto latest = load_dataset(*store_, keys_, kLatestVersion);
  ASSERT_TRUE(latest.is_ok());
  EXPECT_EQ(latest->version, "v2");
  expect_same(latest->train, second.train);
}

TEST_F(DatasetTest, ListsSummariesOldestFirst) {
  ASSERT_TRUE(save_dataset(*store_, keys_, small("v1")).is_ok());
  ASSERT_TRUE(save_dataset(*store_, keys_, small("v2")).is_ok());
  auto listed = list_datasets(*store_);
  ASSERT_TRUE(listed.is_ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].version, "v1");
  EXPECT_EQ((*listed)[1].version, "v2");
  EXPECT_EQ((*listed)[0].train_examples, 2);
  EXPECT_EQ((*listed)[0].train_positives, 1);
  EXPECT_EQ((*listed)[0].test_examples, 1);
  EXPECT_EQ((*listed)[0].test_positives, 0);
  EXPECT_EQ((*listed)[0].counts_per_trigger.at("negative"), 2);
}

TEST_F(DatasetTest, AssignsAVersionWhenNoneIsGiven) {
  auto version = save_dataset(*store_, keys_, small(""));
  ASSERT_TRUE(version.is_ok());
  EXPECT_EQ(version->front(), 'v');
  EXPECT_TRUE(load_dataset(*store_, keys_, *version).is_ok());
}

TEST_F(DatasetTest, RefusesDuplicatesBadShapesAndForeignKeys) {
  ASSERT_TRUE(save_dataset(*store_, keys_, small("v1")).is_ok());
  EXPECT_EQ(save_dataset(*store_, keys_, small("v1")).status().code(), Code::kAlreadyExists);

  Dataset bad = small("v2");
  bad.train[0].features.pop_back();
  EXPECT_EQ(save_dataset(*store_, keys_, bad).status().code(), Code::kInvalidArgument);
  bad = small("v2");
  bad.test[0].label = 0.5f;
  EXPECT_EQ(save_dataset(*store_, keys_, bad).status().code(), Code::kInvalidArgument);
  bad = small("bad/version");
  EXPECT_EQ(save_dataset(*store_, keys_, bad).status().code(), Code::kInvalidArgument);

  EXPECT_EQ(save_dataset(*store_, privacy::fixed_keys("us", 7), small("v3")).status().code(), Code::kInvalidArgument);
  EXPECT_EQ(load_dataset(*store_, privacy::fixed_keys("us", 7), "v1").status().code(), Code::kDataLoss);
  EXPECT_EQ(load_dataset(*store_, privacy::fixed_keys("eu", 9), "v1").status().code(), Code::kDataLoss);
}

TEST_F(DatasetTest, ReportsMissingAndDamagedData) {
  EXPECT_EQ(load_dataset(*store_, keys_, kLatestVersion).status().code(), Code::kNotFound);
  EXPECT_EQ(load_dataset(*store_, keys_, "v9").status().code(), Code::kNotFound);
  ASSERT_TRUE(save_dataset(*store_, keys_, small("v1")).is_ok());

  // Examples are sealed: the stored bytes hold no clear vehicle name.
  auto sealed = store_->get(std::string(kDatasetKeyPrefix) + "data/v1");
  ASSERT_TRUE(sealed.is_ok());
  EXPECT_EQ(sealed->find("p_aa"), std::string::npos);

  std::string flipped = *sealed;
  flipped[flipped.size() / 2] ^= 1;
  ASSERT_TRUE(store_->put(std::string(kDatasetKeyPrefix) + "data/v1", flipped).is_ok());
  EXPECT_EQ(load_dataset(*store_, keys_, "v1").status().code(), Code::kDataLoss);

  ASSERT_TRUE(store_->put(std::string(kDatasetKeyPrefix) + "meta/v1", "{not json").is_ok());
  EXPECT_EQ(list_datasets(*store_).status().code(), Code::kDataLoss);
}

TEST_F(DatasetTest, ExamplesSealedPerVehicleLoseAnErasedVehiclesExamplesFromEveryCopy) {
  // Examples of two vehicles interleaved in both splits, so that order is checked too.
  Dataset d = small("v1");
  d.train.insert(d.train.begin() + 1, Example{{1, 2, 3, 4, 5, 6}, 0, "p_bb", 2000, "negative"});
  d.test.push_back({{7, 8, 9, 10, 11, 12}, 1, "p_aa", 5000, "hard_brake"});
  d.counts_per_trigger = {{"hard_brake", 2}, {"negative", 3}};
  store::TestDir keys_dir;
  auto vehicle_keys = privacy::VehicleKeys::open_embedded(keys_dir.path(), keys_);
  ASSERT_TRUE(vehicle_keys.is_ok()) << vehicle_keys.status().to_string();
  ASSERT_TRUE(save_dataset(*store_, keys_, d, *vehicle_keys).is_ok());

  auto loaded = load_dataset(*store_, keys_, "v1", *vehicle_keys);
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().to_string();
  expect_same(loaded->train, d.train);
  expect_same(loaded->test, d.test);
  // Without the vehicle key store, the examples do not open.
  auto without = load_dataset(*store_, keys_, "v1");
  EXPECT_EQ(without.status().code(), Code::kDataLoss);
  EXPECT_NE(without.status().message().find("vehicle keys"), std::string::npos) << without.status().message();

  // p_aa is erased: its examples are gone, p_bb's stay in their order; the summary is unchanged.
  ASSERT_TRUE((*vehicle_keys)->destroy("p_aa").is_ok());
  auto after = load_dataset(*store_, keys_, "v1", *vehicle_keys);
  ASSERT_TRUE(after.is_ok()) << after.status().to_string();
  expect_same(after->train, {d.train[1]});
  expect_same(after->test, {d.test[0]});
  EXPECT_EQ(list_datasets(*store_)->front().train_examples, 3);
}

}  // namespace
}  // namespace fleetgate::learning
