#include "fleetgate/stream/block_publisher.h"

#include <gtest/gtest.h>

#include <latch>
#include <map>

#include "fleetgate/stream/stream_test_env.h"

namespace fleetgate::stream {
namespace {

std::string block_of(int i) { return "sealed block " + std::to_string(i) + std::string(200, 'x'); }

BlockKey key_of(int i) { return {"p_car" + std::to_string(i % 7), 1748735990000 + i, static_cast<uint64_t>(i)}; }

class BlockPublisherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(region_.ok());
    ASSERT_TRUE(ensure_telemetry_streams(region_.connection(), layout_).is_ok());
  }
  std::unique_ptr<BlockPublisher> publisher(PublishOptions options = {}) {
    auto p = BlockPublisher::create(region_.connection(), layout_, options);
    EXPECT_TRUE(p.is_ok()) << p.status().to_string();
    return p ? std::move(p).value() : nullptr;
  }
  std::unique_ptr<BlockReader> reader(int shard) {
    auto r = BlockReader::open(region_.connection(), layout_, shard, "materializer");
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r ? std::move(r).value() : nullptr;
  }

  RegionCluster region_{"cn"};
  const StreamLayout layout_ = test_layout("cn", 2);
};

TEST_F(BlockPublisherTest, PublishedBlocksAreAckedAndReadBackWithTheirMsgIdOnTheirCarsShard) {
  auto p = publisher();
  ASSERT_NE(p, nullptr);
  constexpr int kBlocks = 40;
  std::map<std::string, std::string> sent;  // Msg-Id -> block
  std::map<std::string, int> shard_of_id;
  for (int i = 0; i < kBlocks; ++i) {
    auto ack = publish_and_wait(*p, key_of(i), block_of(i));
    ASSERT_TRUE(ack.is_ok()) << ack.status().to_string();
    EXPECT_FALSE(ack->duplicate);
    sent[msg_id("cn", key_of(i))] = block_of(i);
    shard_of_id[msg_id("cn", key_of(i))] = shard_of(key_of(i).pseudonym, 2);
  }
  size_t read = 0;
  for (int shard = 0; shard < 2; ++shard) {
    size_t expected = 0;
    for (const auto& [id, s] : shard_of_id) expected += s == shard;
    auto r = reader(shard);
    ASSERT_NE(r, nullptr);
    uint64_t last_seq = 0;
    for (const Delivery& d : read_and_ack(*r, expected)) {
      const std::string id(d.msg_id());
      ASSERT_EQ(sent.count(id), 1u) << id;
      EXPECT_EQ(d.block(), sent[id]);
      EXPECT_EQ(shard_of_id[id], shard);
      EXPECT_GT(d.stream_seq(), last_seq) << "stream order";
      last_seq = d.stream_seq();
      ++read;
    }
  }
  EXPECT_EQ(read, sent.size());
}

TEST_F(BlockPublisherTest, AResendWithTheSameMsgIdIsAckedAsADuplicateAndStoredOnce) {
  auto p = publisher();
  ASSERT_NE(p, nullptr);
  auto first = publish_and_wait(*p, key_of(1), block_of(1));
  ASSERT_TRUE(first.is_ok()) << first.status().to_string();
  auto again = publish_and_wait(*p, key_of(1), block_of(1));
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_FALSE(first->duplicate);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->stream_seq, first->stream_seq);
  const int shard = shard_of(key_of(1).pseudonym, 2);
  StreamInfo info = region_.info(stream_name("cn", shard));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->State.Msgs, 1u);
  auto r = reader(shard);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(read_and_ack(*r, 1).size(), 1u);
}

TEST_F(BlockPublisherTest, ADurableReaderResumesAfterItsLastAck) {
  auto p = publisher();
  ASSERT_NE(p, nullptr);
  // Cars 0 and 7 share a pseudonym, hence a shard.
  for (int i : {0, 7, 14}) ASSERT_TRUE(publish_and_wait(*p, key_of(i), block_of(i)).is_ok());
  const int shard = shard_of(key_of(0).pseudonym, 2);
  {
    auto r = reader(shard);
    ASSERT_NE(r, nullptr);
    auto one = r->fetch(1, std::chrono::milliseconds(2000));
    ASSERT_TRUE(one.is_ok() && one->size() == 1u);
    ASSERT_TRUE((*one)[0].ack().is_ok());
  }
  auto r = reader(shard);
  ASSERT_NE(r, nullptr);
  auto rest = read_and_ack(*r, 2);
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].msg_id(), msg_id("cn", key_of(7)));
  EXPECT_EQ(rest[1].msg_id(), msg_id("cn", key_of(14)));
}

// Back-pressure: the first PubAck's callback holds nats.c's delivery thread, so no publish can
// complete until it returns; with 2 in flight the third is refused.
TEST_F(BlockPublisherTest, RefusesBeyondMaxInFlightWithResourceExhausted) {
  auto p = publisher({.max_in_flight = 2, .ack_timeout = std::chrono::milliseconds(5000)});
  ASSERT_NE(p, nullptr);
  std::latch in_callback(1), release(1), all_done(2);
  ASSERT_TRUE(p->publish(key_of(1), block_of(1), [&](Result<PublishAck> r) {
                 EXPECT_TRUE(r.is_ok()) << r.status().to_string();
                 in_callback.count_down();
                 release.wait();
                 all_done.count_down();
               }).is_ok());
  in_callback.wait();
  ASSERT_TRUE(p->publish(key_of(2), block_of(2), [&](Result<PublishAck> r) {
                 EXPECT_TRUE(r.is_ok()) << r.status().to_string();
                 all_done.count_down();
               }).is_ok());
  EXPECT_EQ(p->in_flight(), 2u);
  bool ran = false;
  const Status third = p->publish(key_of(3), block_of(3), [&](Result<PublishAck>) { ran = true; });
  EXPECT_EQ(third.code(), Code::kResourceExhausted) << third.to_string();
  release.count_down();
  all_done.wait();
  p.reset();  // waits for both callbacks to return
  EXPECT_FALSE(ran);
}

// max_bytes is a ceiling that refuses: a full stream never drops a block no reader has seen.
TEST(BlockPublisherLimits, AFullStreamRefusesWithResourceExhausted) {
  RegionCluster region("cn");
  ASSERT_TRUE(region.ok());
  StreamLayout layout = test_layout("cn", 1);
  layout.max_bytes = 4096;
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  auto p = BlockPublisher::create(region.connection(), layout);
  ASSERT_TRUE(p.is_ok());
  Status refused;
  int stored = 0;
  for (int i = 0; i < 20 && refused.is_ok(); ++i) {
    auto ack = publish_and_wait(**p, key_of(i), std::string(1000, 'b'));
    if (ack.is_ok()) {
      ++stored;
    } else {
      refused = ack.status();
    }
  }
  EXPECT_EQ(refused.code(), Code::kResourceExhausted) << refused.to_string();
  EXPECT_GT(stored, 0);
  StreamInfo info = region.info(stream_name("cn", 0));
  ASSERT_NE(info, nullptr);
  EXPECT_EQ(info->State.FirstSeq, 1u) << "the oldest block must still be there";
}

}  // namespace
}  // namespace fleetgate::stream
