#include "fleetgate/store/data_dir.h"

#include <gtest/gtest.h>

#include "fleetgate/store/test_dir.h"

namespace fleetgate::store {
namespace {

// Two regions, both served (as a loaded config without [node] regions has them).
config::Config layout(const std::filesystem::path& root) {
  config::Config cfg;
  cfg.server.data_dir = root;
  for (const char* id : {"cn", "eu"}) {
    config::Region r;
    r.id = id;
    r.data_dir = root / id;
    cfg.regions.push_back(r);
    cfg.served_regions.push_back(id);
  }
  return cfg;
}

TEST(DataDir, LayoutIsControlPlusOneStorePerRegion) {
  TestDir tmp;
  auto cfg = layout(tmp.path());
  EXPECT_EQ(control_store_dir(cfg), tmp / "control");
  EXPECT_EQ(region_store_dir(cfg.regions[1]), tmp / "eu" / "store");
  auto control = open_control_store(cfg);
  ASSERT_TRUE(control.is_ok()) << control.status().to_string();
  auto regions = open_region_stores(cfg);
  ASSERT_TRUE(regions.is_ok()) << regions.status().to_string();
  ASSERT_EQ(regions->size(), 2u);
  ASSERT_TRUE(regions->at("cn")->put("k", "cn").is_ok());
  ASSERT_TRUE(regions->at("eu")->put("k", "eu").is_ok());
  EXPECT_EQ(regions->at("cn")->get("k").value(), "cn");
  EXPECT_EQ((*control)->get("k").status().code(), Code::kNotFound);
}

TEST(DataDir, ARegionTheNodeDoesNotServeGetsNothingOnItsDisk) {
  TestDir tmp;
  auto cfg = layout(tmp.path());
  cfg.served_regions = {"cn"};
  auto regions = open_region_stores(cfg);
  ASSERT_TRUE(regions.is_ok()) << regions.status().to_string();
  EXPECT_EQ(regions->size(), 1u);
  EXPECT_TRUE(regions->contains("cn"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "eu"));
}

TEST(DataDir, RegionNamedControlIsRejected) {
  TestDir tmp;
  auto cfg = layout(tmp.path());
  cfg.regions[0].data_dir = tmp / "control";
  auto control = open_control_store(cfg);
  ASSERT_FALSE(control.is_ok());
  EXPECT_EQ(control.status().code(), Code::kFailedPrecondition);
  EXPECT_NE(control.status().message().find("region 'cn'"), std::string::npos) << control.status().message();
}

TEST(DataDir, TwoRegionsSharingADirAreRejected) {
  TestDir tmp;
  auto cfg = layout(tmp.path());
  cfg.regions[1].data_dir = tmp / "cn";
  auto regions = open_region_stores(cfg);
  ASSERT_FALSE(regions.is_ok());
  EXPECT_EQ(regions.status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace fleetgate::store
