// Acknowledgements that wait until a published block is in the region's query store. The
// materializers ack a block to their durable consumer only after its PostgreSQL COMMIT, so a block
// at stream sequence n of shard k is persisted once that consumer's ack floor on shard k reaches
// n. One thread polls the ack floor of each shard that has blocks waiting (about every `poll`) and
// completes them; a block still waiting after `timeout` completes with kUnavailable, and its
// sender sends it again (the stream drops the resend as a duplicate, so it waits for the first).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
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
  std::chrono::milliseconds timeout{10'000};
};

class PersistWaiter {
 public:
  // Runs on the waiter's thread, one at a time; may call wait() again, must not block for long.
  using Done = std::function<void(Status)>;

  // REQUIRES: `cluster` outlives the waiter.
  PersistWaiter(stream::ClusterConnection& cluster, stream::StreamLayout layout, std::string durable,
                PersistWaiterOptions options = {});
  // Completes every block still waiting with kUnavailable, then stops the thread.
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
  void run();

  stream::ClusterConnection& cluster_;
  const stream::StreamLayout layout_;
  const std::string durable_;
  const PersistWaiterOptions options_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::vector<Waiting>> waiting_;  // by shard
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace fleetgate::stream_telemetry
