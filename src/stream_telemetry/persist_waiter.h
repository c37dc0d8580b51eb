// Acknowledgements that wait until a published block is in the region's query store. The
// materializers ack a block to their durable consumer only after its PostgreSQL COMMIT, so a block
// at stream sequence n of shard k is persisted once that consumer's ack floor on shard k reaches
// n. One thread per shard polls that shard's ack floor while it has blocks waiting (about every
// `poll`, each request bounded by `request_timeout`) and completes them, so a shard whose consumer
// leader is being elected delays only its own cars. A block still waiting after `timeout`
// completes with kUnavailable, and its sender sends it again (the stream drops the resend as a
// duplicate, so it waits for the first).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleetgate/core/result.h"
#include "fleetgate/stream/cluster_connection.h"
#include "fleetgate/stream/stream_layout.h"

namespace fleetgate::stream_telemetry {

struct PersistWaiterOptions {
  std::chrono::milliseconds poll{1};
  // Shorter than the cluster's election timeout, so a poll sent to a dead consumer leader is
  // soon asked again of the new one.
  std::chrono::milliseconds request_timeout{1'000};
  std::chrono::milliseconds timeout{10'000};
};

class PersistWaiter {
 public:
  // Runs on the poller thread of the block's shard (one at a time per shard, concurrently across
  // shards); may call wait() again, must not block for long.
  using Done = std::function<void(Status)>;

  // REQUIRES: `cluster` outlives the waiter.
  PersistWaiter(stream::ClusterConnection& cluster, stream::StreamLayout layout, std::string durable,
                PersistWaiterOptions options = {});
  // Completes every block still waiting with kUnavailable, then stops the threads.
  ~PersistWaiter();
  PersistWaiter(const PersistWaiter&) = delete;
  PersistWaiter& operator=(const PersistWaiter&) = delete;

  // Calls `done` with OK once shard `shard`'s stream holds `stream_seq` committed. Never blocks.
  void wait(int shard, uint64_t stream_seq, Done done);

 private:
  struct Waiting {
    uint64_t stream_seq;
    std::chrono::steady_clock::time_point deadline;
    Done done;
  };
  struct Shard {
    std::mutex mu;
    std::condition_variable wake;
    std::vector<Waiting> waiting;
    bool stopping = false;
    std::thread thread;
  };
  void run(int shard);

  stream::ClusterConnection& cluster_;
  const stream::StreamLayout layout_;
  const std::string durable_;
  const PersistWaiterOptions options_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace fleetgate::stream_telemetry
