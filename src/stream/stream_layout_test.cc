#include "fleetgate/stream/stream_layout.h"

#include <gtest/gtest.h>

#include <set>

#include "fleetgate/stream/cluster_connection.h"

namespace fleetgate::stream {
namespace {

TEST(StreamLayout, NamesSubjectsAndTagsFollowTheRegion) {
  EXPECT_EQ(stream_name("cn", 0), "TELEMETRY_CN_0");
  EXPECT_EQ(stream_name("eu-west", 11), "TELEMETRY_EU-WEST_11");
  EXPECT_EQ(stream_subject("us", 3), "telemetry.us.3");
  EXPECT_EQ(region_tag("eu"), "region:eu");
}

TEST(StreamLayout, MsgIdIsRegionPseudonymCreatedAtSeq) {
  EXPECT_EQ(msg_id("cn", {"p_00ff", 1748735990000, 42}), "cn/p_00ff/1748735990000/42");
}

TEST(StreamLayout, ParseMsgIdInvertsMsgIdAndRefusesAnythingElse) {
  const BlockKey key{"p_00ff", -1748735990000, 18446744073709551615ULL};
  auto parsed = parse_msg_id("cn", msg_id("cn", key));
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_EQ(parsed->pseudonym, key.pseudonym);
  EXPECT_EQ(parsed->created_at, key.created_at);
  EXPECT_EQ(parsed->seq, key.seq);
  for (const char* bad : {"", "cn", "cn/", "us/p_00ff/1/2", "cnx/p_00ff/1/2", "cn/p_00ff/1", "cn//1/2", "cn/p_00ff//2",
                          "cn/p_00ff/1/", "cn/p_00ff/1x/2", "cn/p_00ff/1/-2", "cn/p/0ff/1/2", "cn/p_00ff/1/2 "}) {
    EXPECT_EQ(parse_msg_id("cn", bad).status().code(), Code::kInvalidArgument) << bad;
  }
}

// Pinned values: a car's blocks must keep landing in the same stream across builds and releases.
TEST(StreamLayout, ShardOfIsAStableHashOfThePseudonym) {
  EXPECT_EQ(shard_of("", 1000), static_cast<int>(0xcbf29ce484222325ULL % 1000));
  EXPECT_EQ(shard_of("a", 1000), static_cast<int>(0xaf63dc4c8601ec8cULL % 1000));
  EXPECT_EQ(shard_of("p_0123456789abcdef0123456789abcdef", 1), 0);
  std::set<int> used;
  for (int car = 0; car < 64; ++car) used.insert(shard_of("p_" + std::to_string(car), 4));
  EXPECT_EQ(used.size(), 4u) << "64 cars should spread over all 4 shards";
}

TEST(StreamLayout, ValidateNamesTheFieldOutOfRange) {
  StreamLayout ok;
  ok.region = "cn";
  EXPECT_TRUE(validate(ok).is_ok());
  auto refused = [&](auto change, const std::string& field) {
    StreamLayout l = ok;
    change(l);
    const Status s = validate(l);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << field;
    EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
  };
  refused([](StreamLayout& l) { l.region = "CN"; }, "region");
  refused([](StreamLayout& l) { l.region = "a.b"; }, "region");
  refused([](StreamLayout& l) { l.shards = 0; }, "shards");
  refused([](StreamLayout& l) { l.replicas = 0; }, "replicas");
  refused([](StreamLayout& l) { l.max_age = std::chrono::seconds(0); }, "max_age");
  refused([](StreamLayout& l) { l.max_bytes = 0; }, "max_bytes");
  refused([](StreamLayout& l) { l.duplicate_window = std::chrono::minutes(9); }, "duplicate_window");
  refused([](StreamLayout& l) { l.max_age = std::chrono::minutes(5); }, "duplicate_window");
}

TEST(ClusterConnection, ParseUrlsSplitsTheScriptsOutput) {
  auto urls = parse_urls("nats://127.0.0.1:4222,nats://127.0.0.1:4223");
  ASSERT_TRUE(urls.is_ok());
  EXPECT_EQ(urls->size(), 2u);
  EXPECT_EQ((*urls)[1], "nats://127.0.0.1:4223");
  EXPECT_EQ(parse_urls("").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse_urls("127.0.0.1:4222").status().code(), Code::kInvalidArgument);
  EXPECT_EQ(parse_urls("nats://a:1,,nats://b:2").status().code(), Code::kInvalidArgument);
}

TEST(ClusterConnection, NoServerIsUnavailableNamingTheUrls) {
  ClusterOptions options;
  options.region = "cn";
  options.urls = {"nats://127.0.0.1:1"};
  options.connect_timeout = std::chrono::milliseconds(500);
  auto c = ClusterConnection::connect(options);
  ASSERT_FALSE(c.is_ok());
  EXPECT_EQ(c.status().code(), Code::kUnavailable);
  EXPECT_NE(c.status().message().find("nats://127.0.0.1:1"), std::string::npos) << c.status().message();
}

}  // namespace
}  // namespace fleetgate::stream
