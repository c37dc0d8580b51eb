#include "fleetgate/stream/stream_setup.h"

#include <gtest/gtest.h>

#include "fleetgate/stream/stream_test_env.h"

namespace fleetgate::stream {
namespace {

constexpr int64_t kNanos = 1'000'000'000;

TEST(StreamSetup, CreatesTheRegionsShardsPlacedOnItsTag) {
  RegionCluster region("cn");
  ASSERT_TRUE(region.ok());
  const StreamLayout layout = test_layout("cn", 2);
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  for (int shard = 0; shard < 2; ++shard) {
    StreamInfo info = region.info(stream_name("cn", shard));
    ASSERT_NE(info, nullptr);
    const jsStreamConfig& cfg = *info->Config;
    ASSERT_EQ(cfg.SubjectsLen, 1);
    EXPECT_STREQ(cfg.Subjects[0], stream_subject("cn", shard).c_str());
    EXPECT_EQ(cfg.Replicas, 3);
    EXPECT_EQ(cfg.MaxAge, 3600 * kNanos);
    EXPECT_EQ(cfg.MaxBytes, int64_t{64} << 20);
    EXPECT_EQ(cfg.Duplicates, 600 * kNanos);
    EXPECT_EQ(cfg.Discard, js_DiscardNew);
    EXPECT_EQ(cfg.Storage, js_FileStorage);
    ASSERT_NE(cfg.Placement, nullptr);
    ASSERT_EQ(cfg.Placement->TagsLen, 1);
    EXPECT_STREQ(cfg.Placement->Tags[0], "region:cn");
  }
}

TEST(StreamSetup, IsIdempotentAndAppliesNewLimits) {
  RegionCluster region("cn");
  ASSERT_TRUE(region.ok());
  StreamLayout layout = test_layout("cn", 1);
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  layout.max_age = std::chrono::hours(2);
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  StreamInfo info = region.info(stream_name("cn", 0));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->Config->MaxAge, 7200 * kNanos);
}

// The placement guard: region cn's configuration pointed at region eu's servers.
TEST(StreamSetup, AClusterTaggedForAnotherRegionRefusesTheStreams) {
  RegionCluster eu_servers("eu", /*connect_as=*/"cn");
  ASSERT_TRUE(eu_servers.ok());
  const Status s = ensure_telemetry_streams(eu_servers.connection(), test_layout("cn", 1));
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.to_string();
  EXPECT_NE(s.message().find("region:cn"), std::string::npos) << s.message();
  jsStreamInfo* si = nullptr;
  EXPECT_NE(js_GetStreamInfo(&si, eu_servers.connection().js(), "TELEMETRY_CN_0", nullptr, nullptr), NATS_OK)
      << "no stream may be left behind";
  jsStreamInfo_Destroy(si);
}

TEST(StreamSetup, RefusesALayoutOfAnotherRegionThanTheConnection) {
  RegionCluster region("cn");
  ASSERT_TRUE(region.ok());
  const Status s = ensure_telemetry_streams(region.connection(), test_layout("us", 1));
  EXPECT_EQ(s.code(), Code::kInvalidArgument) << s.to_string();
}

}  // namespace
}  // namespace fleetgate::stream
