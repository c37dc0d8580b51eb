// SIGKILL a stream's leader, then (once it is back) a follower, while blocks are published and
// every failed publish is retried under the same key: every block is acked in the end, and a
// durable reader then reads each exactly once. Bounded: kMaxRounds rounds of at most 100 ms wait
// per pump, no timing asserted.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "fleetgate/stream/stream_test_env.h"

namespace fleetgate::stream {
namespace {

using namespace std::chrono_literals;

constexpr int kMaxRounds = 1200;

BlockKey key_of(int i) { return {"p_car" + std::to_string(i % 64), 1748735990000 + i, static_cast<uint64_t>(i)}; }
std::string block_of(int i) { return std::to_string(i) + std::string(1024, 'b'); }

// Publishes blocks 0, 1, … and resends each failed one under its key until it is acked.
class RetryingPublisher {
 public:
  explicit RetryingPublisher(BlockPublisher& publisher) : publisher_(publisher) {}

  // Sends blocks below `limit` (and resends failed ones) until `target` blocks are acked.
  // False when kMaxRounds ran out first.
  bool pump(int limit, size_t target) {
    for (int round = 0; round < kMaxRounds; ++round) {
      std::vector<int> resend;
      {
        std::lock_guard lock(mu_);
        if (acked_.size() >= target) return true;
        resend.swap(retry_);
      }
      // Back off: a failure usually means the stream is electing a leader.
      if (!resend.empty()) std::this_thread::sleep_for(50ms);
      for (int i : resend) {
        if (!send(i)) requeue(i);
      }
      while (next_ < limit && send(next_)) ++next_;
      std::unique_lock lock(mu_);
      changed_.wait_for(lock, 100ms, [&] { return acked_.size() >= target || !retry_.empty(); });
    }
    return false;
  }

  std::map<int, PublishAck> acked() const {
    std::lock_guard lock(mu_);
    return acked_;
  }
  int failures() const {
    std::lock_guard lock(mu_);
    return failures_;
  }

 private:
  // False when the publisher refused it now (back-pressure or a disconnected client).
  bool send(int i) {
    return publisher_
        .publish(key_of(i), block_of(i),
                 [this, i](Result<PublishAck> r) {
                   std::lock_guard lock(mu_);
                   if (r.is_ok()) {
                     EXPECT_TRUE(acked_.emplace(i, *r).second) << "block " << i << " acked twice";
                   } else {
                     ++failures_;
                     retry_.push_back(i);
                   }
                   changed_.notify_all();
                 })
        .is_ok();
  }
  void requeue(int i) {
    std::lock_guard lock(mu_);
    retry_.push_back(i);
  }

  BlockPublisher& publisher_;
  int next_ = 0;  // the test thread's only
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<int, PublishAck> acked_;
  std::vector<int> retry_;
  int failures_ = 0;
};

// The stream's info, or null while the cluster cannot answer (a leader is being elected).
StreamInfo try_info(ClusterConnection& c, const std::string& stream) {
  jsStreamInfo* si = nullptr;
  if (js_GetStreamInfo(&si, c.js(), stream.c_str(), nullptr, nullptr) != NATS_OK) return nullptr;
  return StreamInfo(si);
}

// The index of the server leading `stream` (server "cn-1" is 1); -1 when none is known in time.
int leader_of(ClusterConnection& c, const std::string& stream) {
  for (int i = 0; i < 300; ++i) {
    StreamInfo info = try_info(c, stream);
    if (info && info->Cluster != nullptr && info->Cluster->Leader != nullptr && *info->Cluster->Leader != '\0') {
      const std::string leader = info->Cluster->Leader;
      return leader.back() - '0';
    }
    std::this_thread::sleep_for(100ms);
  }
  return -1;
}

// Waits until both followers of `stream` are current; false when they are not in time.
bool followers_current(ClusterConnection& c, const std::string& stream) {
  for (int i = 0; i < 600; ++i) {
    StreamInfo info = try_info(c, stream);
    if (info && info->Cluster != nullptr && info->Cluster->ReplicasLen == 2) {
      bool all = true;
      for (int r = 0; r < 2; ++r) all = all && info->Cluster->Replicas[r]->Current && !info->Cluster->Replicas[r]->Offline;
      if (all) return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(StreamFailover, EveryAckedBlockIsReadExactlyOnceAfterTheLeaderAndThenAFollowerAreKilled) {
  RegionCluster region("cn");
  ASSERT_TRUE(region.ok());
  const StreamLayout layout = test_layout("cn", 2);
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  const std::string stream = stream_name("cn", 0);
  constexpr int kBlocks = 2000;
  auto publisher = BlockPublisher::create(region.connection(), layout, {.max_in_flight = 128, .ack_timeout = 1000ms});
  ASSERT_TRUE(publisher.is_ok());
  RetryingPublisher driver(**publisher);

  // The leader dies with blocks in flight.
  ASSERT_TRUE(driver.pump(kBlocks / 2, 300));
  const int leader = leader_of(region.connection(), stream);
  ASSERT_GE(leader, 0);
  ASSERT_TRUE(region.servers().kill(leader));
  ASSERT_TRUE(driver.pump(kBlocks / 2, kBlocks / 2)) << "blocks before the first kill were not all acked";
  ASSERT_TRUE(region.servers().start_one(leader));
  ASSERT_TRUE(followers_current(region.connection(), stream));

  // Then a follower does.
  ASSERT_TRUE(driver.pump(kBlocks, kBlocks / 2 + 300));
  const int new_leader = leader_of(region.connection(), stream);
  ASSERT_GE(new_leader, 0);
  const int follower = (new_leader + 1) % 3;
  ASSERT_TRUE(region.servers().kill(follower));
  ASSERT_TRUE(driver.pump(kBlocks, kBlocks)) << "blocks after the second kill were not all acked";
  ASSERT_TRUE(region.servers().start_one(follower));
  ASSERT_TRUE(followers_current(region.connection(), stream));
  publisher->reset();
  ::testing::Test::RecordProperty("failed_publishes_retried", driver.failures());

  const std::map<int, PublishAck> acked = driver.acked();
  ASSERT_EQ(acked.size(), static_cast<size_t>(kBlocks));
  std::map<std::string, int> times_read;
  for (int shard = 0; shard < layout.shards; ++shard) {
    auto reader = BlockReader::open(region.connection(), layout, shard, "materializer");
    ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();
    size_t expected = 0;
    for (int i = 0; i < kBlocks; ++i) expected += shard_of(key_of(i).pseudonym, layout.shards) == shard;
    for (const Delivery& d : read_and_ack(**reader, expected)) ++times_read[std::string(d.msg_id())];
  }
  for (int i = 0; i < kBlocks; ++i) {
    EXPECT_EQ(times_read[msg_id("cn", key_of(i))], 1) << "block " << i;
  }
  EXPECT_EQ(times_read.size(), static_cast<size_t>(kBlocks)) << "blocks read that were never published";
}

// The server ends a waiting pull request when its consumer's leader changes. That is no reason to
// stop reading: the fetch is unavailable, and the next one delivers the blocks. (A materializer
// took it for an internal error and stopped for good, so every persisted ack of its shard timed
// out after a server's death.)
TEST(StreamFailover, AFetchEndedByALeaderChangeIsUnavailableAndTheNextOneDelivers) {
  RegionCluster region("cn");
  ASSERT_TRUE(region.ok());
  const StreamLayout layout = test_layout("cn", 1);
  ASSERT_TRUE(ensure_telemetry_streams(region.connection(), layout).is_ok());
  auto reader = BlockReader::open(region.connection(), layout, 0, "materializer");
  ASSERT_TRUE(reader.is_ok()) << reader.status().to_string();

  Result<std::vector<Delivery>> waiting = std::vector<Delivery>{};
  std::atomic<bool> fetched{false};
  std::thread fetcher([&] {
    waiting = (*reader)->fetch(10, 20s);
    fetched = true;
  });
  const std::string stepdown = "$JS.API.CONSUMER.LEADER.STEPDOWN." + stream_name("cn", 0) + ".materializer";
  for (int i = 0; i < 50; ++i) {  // until the fetch has been ended (its request may not be in yet)
    std::this_thread::sleep_for(100ms);
    natsMsg* reply = nullptr;
    if (natsConnection_RequestString(&reply, region.connection().nats(), stepdown.c_str(), "", 5000) == NATS_OK) {
      natsMsg_Destroy(reply);
    }
    if (fetched) break;
  }
  fetcher.join();
  ASSERT_FALSE(waiting.is_ok()) << "a step-down ends the waiting fetch";
  EXPECT_EQ(waiting.status().code(), Code::kUnavailable) << waiting.status().to_string();

  auto publisher = BlockPublisher::create(region.connection(), layout);
  ASSERT_TRUE(publisher.is_ok());
  ASSERT_TRUE(publish_and_wait(**publisher, key_of(0), block_of(0)).is_ok());
  std::vector<Delivery> got;
  for (int i = 0; i < 50 && got.empty(); ++i) {  // the new leader may still be settling
    auto batch = (*reader)->fetch(10, 500ms);
    if (batch.is_ok()) got = std::move(batch).value();
  }
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.front().msg_id(), msg_id("cn", key_of(0)));
}

}  // namespace
}  // namespace fleetgate::stream
