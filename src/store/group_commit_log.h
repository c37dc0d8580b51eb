// Durable appends shared by many concurrent writers (group commit). A dedicated writer thread
// takes every batch queued since its last write, applies them as ONE atomic KvStore::write with
// sync=true, then completes each caller: one WAL fsync acknowledges the whole group, like
// LevelDB's writers_ queue. Batches are applied in submission order. The queue is bounded: when
// the store lags, submit() refuses with kResourceExhausted so callers push back on their senders.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"

namespace fleetgate::store {

struct GroupCommitOptions {
  bool group_commit = true;           // false: one synced write per batch (for comparison)
  bool sync = true;                   // false: acks are not crash-durable (tests, benchmarks only)
  size_t max_group_entries = 8192;    // puts/removes merged into one write at most
  size_t max_queued_batches = 65536;  // beyond this submit() refuses with kResourceExhausted
};

struct GroupCommitStats {
  uint64_t writes = 0;   // store writes (fsyncs when sync)
  uint64_t batches = 0;  // batches acknowledged by them
};

class GroupCommitLog {
 public:
  // Called on the writer thread with OK once the batch is durable, else the write's error (no
  // entry of the batch was applied). Must not block for long: it delays the next group.
  using Done = std::function<void(Status)>;
  // Called on the writer thread with each group's merged batch just before the write; may append
  // entries, written atomically with the group (e.g. state derived from many batches, written
  // once per group instead of once per batch). An error fails every batch of the group with it.
  using Prepare = std::function<Status(WriteBatch& group)>;

  // REQUIRES: `store` outlives the log.
  explicit GroupCommitLog(KvStore& store, GroupCommitOptions options = {}, Prepare prepare = {});
  // Writes everything still queued, then stops the writer thread.
  ~GroupCommitLog();
  GroupCommitLog(const GroupCommitLog&) = delete;
  GroupCommitLog& operator=(const GroupCommitLog&) = delete;

  // Queues `batch`; `done` runs later exactly once. kResourceExhausted (and `done` is never
  // called) when max_queued_batches are waiting.
  Status submit(WriteBatch batch, Done done);
  // submit() and wait for the outcome.
  Status append(WriteBatch batch);

  // Batches queued and not yet acknowledged.
  size_t pending() const;
  GroupCommitStats stats() const;

 private:
  struct Pending {
    WriteBatch batch;
    Done done;
  };
  void run();

  KvStore& store_;
  const GroupCommitOptions options_;
  const Prepare prepare_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  size_t in_write_ = 0;  // batches taken by the writer, not yet acknowledged
  bool stopping_ = false;
  GroupCommitStats stats_;
  std::thread writer_;
};

}  // namespace fleetgate::store
