// Retention per data class, market and region ([[compliance.retention]]: storage limitation, GDPR
// Art. 5(1)(e), PIPL Art. 19), enforced in the regions this node serves: the telemetry blocks and
// assistant usage records of each market's vehicles, and each region's datasets and models, once
// older than their period, are deleted. The hourly usage totals settlement reads name no vehicle
// and stay. `serve` runs it hourly (RetentionRunner); `fleetgate compliance retention` at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>

#include "fleetgate/app/backend.h"
#include "fleetgate/core/result.h"

namespace fleetgate::app {

// What one rule deleted in one region (and market).
struct RetentionRun {
  std::string region;
  std::string data_class;
  std::string market;      // "" for datasets and models
  uint32_t days = 0;
  std::string reference;   // of the rule that sets the period
  int64_t cutoff_ms = 0;   // what was older than this was deleted
  uint64_t deleted = 0;    // blocks, usage records, datasets or models
};

// Applies every retention rule as of `now_ms` in the regions `backend` serves; one entry per
// (region, data class, market) a rule covers. Stops at the first error.
Result<std::vector<RetentionRun>> enforce_retention(Backend& backend, int64_t now_ms);

boost::json::object to_json(const RetentionRun& r);

// Runs `sweep` now and then every `interval` on a thread of its own until destroyed.
class RetentionRunner {
 public:
  RetentionRunner(std::function<void()> sweep, std::chrono::milliseconds interval);
  ~RetentionRunner();
  RetentionRunner(const RetentionRunner&) = delete;
  RetentionRunner& operator=(const RetentionRunner&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace fleetgate::app
