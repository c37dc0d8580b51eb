#include "fleetgate/learning/checkpoint.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "fleetgate/learning/checkpoint_fixture.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::learning {
namespace {

Checkpoint sample() { return testing::sample_checkpoint(); }

TEST(Checkpoint, RoundTripsExactlyThroughTheRegionStore) {
  store::TestDir dir;
  auto kv = store::open_embedded(dir.path());
  ASSERT_TRUE(kv.is_ok());
  ASSERT_TRUE(save_checkpoint(**kv, "local", sample()).is_ok());
  auto back = load_checkpoint(**kv, "local");
  ASSERT_TRUE(back.is_ok()) << back.status().to_string();
  EXPECT_EQ(*back, sample());
  EXPECT_EQ(load_checkpoint(**kv, "federated").status().code(), Code::kNotFound);
}

TEST(Checkpoint, ListingNamesEveryStoredModelWithItsMetadata) {
  store::TestDir dir;
  auto kv = store::open_embedded(dir.path());
  ASSERT_TRUE(kv.is_ok());
  auto none = list_models(**kv);
  ASSERT_TRUE(none.is_ok());
  EXPECT_TRUE(none->empty());
  Checkpoint federated = sample();
  federated.meta.kind = "personalised";
  federated.meta.rounds = 4;
  ASSERT_TRUE(save_checkpoint(**kv, "local", sample()).is_ok());
  ASSERT_TRUE(save_checkpoint(**kv, "federated", federated).is_ok());
  ASSERT_TRUE((*kv)->put("modelx", "not under the prefix").is_ok());
  auto listed = list_models(**kv);
  ASSERT_TRUE(listed.is_ok()) << listed.status().to_string();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "federated");
  EXPECT_EQ((*listed)[0].meta, federated.meta);
  EXPECT_EQ((*listed)[1].name, "local");
  EXPECT_EQ((*listed)[1].meta, sample().meta);

  ASSERT_TRUE((*kv)->put(std::string(kModelKeyPrefix) + "broken", "FGMODEL1").is_ok());
  auto damaged = list_models(**kv);
  EXPECT_EQ(damaged.status().code(), Code::kDataLoss);
  EXPECT_NE(damaged.status().message().find("model 'broken'"), std::string::npos) << damaged.status().to_string();
}

TEST(Checkpoint, WithoutNormaliserStaysWithout) {
  Checkpoint c = sample();
  c.normaliser.reset();
  c.meta.test.reset();
  auto back = decode_checkpoint(encode_checkpoint(c));
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(*back, c);
}

TEST(Checkpoint, DamagedBytesAreDataLossNeverACrash) {
  const std::string good = encode_checkpoint(sample());
  EXPECT_EQ(decode_checkpoint("").status().code(), Code::kDataLoss);
  EXPECT_EQ(decode_checkpoint("FGMODEL2" + good.substr(8)).status().code(), Code::kDataLoss);
  for (size_t cut = 0; cut < good.size(); cut += 7) {
    EXPECT_EQ(decode_checkpoint(good.substr(0, cut)).status().code(), Code::kDataLoss) << cut;
  }
  EXPECT_EQ(decode_checkpoint(good + "x").status().code(), Code::kDataLoss);
  std::string nan = good;
  const float bad = std::numeric_limits<float>::quiet_NaN();
  std::memcpy(nan.data() + nan.size() - sizeof(float), &bad, sizeof(float));
  EXPECT_EQ(decode_checkpoint(nan).status().code(), Code::kDataLoss);
}

}  // namespace
}  // namespace fleetgate::learning
