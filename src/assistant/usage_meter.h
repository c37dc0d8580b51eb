// UsageMeter: writes the gateway's usage records to their home region's UsageLog off the request
// path. record() queues and returns at once; one writer thread appends everything queued for a
// region as one batch (one fsync), so no vehicle waits for the disk and a burst costs one write.
// The writer lingers up to `commit_interval` after the first record of a batch so that steady
// traffic costs at most one fsync per interval and region instead of one per request.
// A record is durable within commit_interval plus one write after its response left; if the
// process dies before that, the records still queued are lost. A write the log refuses as
// unavailable (its database restarting) is tried again, 50 ms later and then at doubling pauses
// up to 2 s, while new records queue behind it (and requests are shed once max_queued wait);
// on destruction the writer keeps trying for kStopGrace, then logs what it drops.
// record() never waits (it runs on the event loop): while `max_queued` records wait, saturated()
// is true and the gateway sheds new requests, so a slow disk turns requests away instead of
// freezing the loop or growing memory; only requests admitted before the queue filled add to it.
// Thread-safe; destruction writes what is queued.
// Neither the car nor the upstream chooses what gets billed: the model metered is one the
// provider is configured to serve, and token counts are the upstream's claim, bounded here.
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

#include "fleetgate/core/config.h"
#include "fleetgate/ledger/usage_log.h"

namespace fleetgate::assistant {

// Provider id -> the models it serves (config::Provider::models, first = its default).
using ServedModels = std::map<std::string, std::vector<std::string>>;
ServedModels served_models(const config::Config& config);

// The model a usage record of `provider` is metered under: `claimed` when the provider serves
// it, else the provider's first model (the one the router sends in place of an unlisted name),
// else "unlisted" (a provider with no model list, or none at all), so that no name a car or an
// upstream makes up reaches the ledger.
std::string metered_model(const ServedModels& served, const std::string& provider, const std::string& claimed);

// `r` with its token counts bounded as a partner's claim: negative counts become 0, counts above
// ledger::kMaxTokensPerRecord become that bound (settlement flags such records as outliers),
// cached <= prompt and reasoning <= completion. True when anything was changed.
bool bound_claimed_tokens(ledger::UsageRecord& r);

class UsageMeter {
 public:
  static constexpr std::chrono::milliseconds kFirstRetryPause{50};
  static constexpr std::chrono::milliseconds kMaxRetryPause{2000};
  static constexpr std::chrono::seconds kStopGrace{5};

  // REQUIRES: every log outlives the meter. `logs` maps region id to that region's log; `served`
  // names the models of each provider (metered_model). max_queued also ends a linger early: a
  // full queue is written at once.
  UsageMeter(std::map<std::string, ledger::UsageLog*> logs, ServedModels served, size_t max_queued = 65536,
             std::chrono::milliseconds commit_interval = std::chrono::milliseconds(10));
  ~UsageMeter();
  UsageMeter(const UsageMeter&) = delete;
  UsageMeter& operator=(const UsageMeter&) = delete;

  // Queues `record` for the log of record.region, its model replaced by metered_model() and its
  // token counts bounded (bounding is logged as a warning). A record for an unknown region, one
  // that fails ledger::validate(), or a failed write is reported on the error log: metering never
  // fails a request. Never waits, even on a full queue.
  void record(ledger::UsageRecord record);
  // True while at least max_queued records wait for the writer: new requests are to be shed.
  bool saturated() const;
  // Blocks until every record queued before the call has been written (or refused).
  void flush();

 private:
  void run();
  // Appends one region's share of a batch, trying again while its log is unavailable.
  void append(const std::string& region, const std::vector<ledger::UsageRecord>& records);

  const std::map<std::string, ledger::UsageLog*> logs_;
  const ServedModels served_;
  const size_t max_queued_;
  const std::chrono::milliseconds commit_interval_;
  mutable std::mutex mu_;
  std::condition_variable work_;        // the writer waits for records, a full queue, flush or stop
  std::condition_variable written_cv_;  // flush() waits for written_
  std::vector<ledger::UsageRecord> queue_;
  uint64_t queued_ = 0;   // records ever queued
  uint64_t written_ = 0;  // records ever taken and written (or refused)
  uint64_t flush_to_ = 0;  // flush() wants everything up to this queued_ written now
  bool stop_ = false;
  std::chrono::steady_clock::time_point stop_deadline_;  // set with stop_: retries end then
  std::thread writer_;
};

}  // namespace fleetgate::assistant
