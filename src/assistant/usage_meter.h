// UsageMeter: writes the gateway's usage records to their home region's UsageLog off the request
// path. record() queues and returns at once; one writer thread appends everything queued for a
// region as one batch (one fsync), so no vehicle waits for the disk and a burst costs one write.
// The writer lingers up to `commit_interval` after the first record of a batch so that steady
// traffic costs at most one fsync per interval and region instead of one per request.
// A record is durable within commit_interval plus one write after its response left; if the
// process dies before that, the records still queued are lost.
// When `max_queued` records wait, record() blocks until the writer catches up, so a slow disk
// slows requests down instead of growing memory. Thread-safe; destruction writes what is queued.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::assistant {

class UsageMeter {
 public:
  // REQUIRES: every log outlives the meter. `logs` maps region id to that region's log.
  // max_queued also ends a linger early: a full queue is written at once.
  explicit UsageMeter(std::map<std::string, ledger::UsageLog*> logs, size_t max_queued = 65536,
                      std::chrono::milliseconds commit_interval = std::chrono::milliseconds(10));
  ~UsageMeter();
  UsageMeter(const UsageMeter&) = delete;
  UsageMeter& operator=(const UsageMeter&) = delete;

  // Queues `record` for the log of record.region. A record for an unknown region, one that fails
  // ledger::validate(), or a failed write is reported on the error log: metering never fails a
  // request.
  void record(ledger::UsageRecord record);
  // Blocks until every record queued before the call has been written (or refused).
  void flush();

 private:
  void run();

  const std::map<std::string, ledger::UsageLog*> logs_;
  const size_t max_queued_;
  const std::chrono::milliseconds commit_interval_;
  std::mutex mu_;
  std::condition_variable work_;   // the writer waits for records, a full queue, flush or stop
  std::condition_variable room_;   // record() waits for room, flush() for written_
  std::vector<ledger::UsageRecord> queue_;
  uint64_t queued_ = 0;   // records ever queued
  uint64_t written_ = 0;  // records ever taken and written (or refused)
  uint64_t flush_to_ = 0;  // flush() wants everything up to this queued_ written now
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace fleetgate::assistant
