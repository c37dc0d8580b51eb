#include "fleetgate/assistant/usage_meter.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace fleetgate::assistant {

ServedModels served_models(const config::Config& config) {
  ServedModels out;
  for (const auto& p : config.providers) out[p.id] = p.models;
  return out;
}

std::string metered_model(const ServedModels& served, const std::string& provider, const std::string& claimed) {
  const auto it = served.find(provider);
  if (it == served.end() || it->second.empty()) return "unlisted";
  const auto& models = it->second;
  return std::find(models.begin(), models.end(), claimed) != models.end() ? claimed : models.front();
}

bool bound_claimed_tokens(ledger::UsageRecord& r) {
  bool changed = false;
  const auto bound = [&](int64_t& count, int64_t max) {
    const int64_t bounded = std::clamp<int64_t>(count, 0, max);
    changed |= bounded != count;
    count = bounded;
  };
  bound(r.prompt_tokens, ledger::kMaxTokensPerRecord);
  bound(r.completion_tokens, ledger::kMaxTokensPerRecord);
  bound(r.cached_tokens, r.prompt_tokens);
  bound(r.reasoning_tokens, r.completion_tokens);
  return changed;
}

UsageMeter::UsageMeter(std::map<std::string, ledger::UsageLog*> logs, ServedModels served, size_t max_queued,
                       std::chrono::milliseconds commit_interval)
    : logs_(std::move(logs)),
      served_(std::move(served)),
      max_queued_(std::max<size_t>(1, max_queued)),
      commit_interval_(std::max(commit_interval, std::chrono::milliseconds(0))),
      writer_([this] { run(); }) {}

UsageMeter::~UsageMeter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    stop_deadline_ = std::chrono::steady_clock::now() + kStopGrace;
  }
  work_.notify_one();
  writer_.join();
}

void UsageMeter::record(ledger::UsageRecord record) {
  if (std::string model = metered_model(served_, record.provider, record.model); model != record.model) {
    spdlog::debug("usage record {}: a model provider {} does not serve, metered as {}", record.request_id,
                  record.provider, model);
    record.model = std::move(model);
  }
  if (bound_claimed_tokens(record)) {
    spdlog::warn("usage record {}: provider {} claimed token counts out of range, metered at the bound",
                 record.request_id, record.provider);
  }
  // Checked here so that a batch, written all or none, fails only on storage errors.
  Status valid = logs_.contains(record.region) ? ledger::validate(record)
                                               : not_found("no usage log for region '" + record.region + "'");
  if (!valid.is_ok()) {
    spdlog::error("usage record not metered: {}", valid.to_string());
    return;
  }
  std::lock_guard lock(mu_);
  queue_.push_back(std::move(record));
  ++queued_;
  if (queue_.size() == 1 || queue_.size() == max_queued_) work_.notify_one();
}

bool UsageMeter::saturated() const {
  std::lock_guard lock(mu_);
  return queue_.size() >= max_queued_;
}

void UsageMeter::flush() {
  std::unique_lock lock(mu_);
  const uint64_t target = queued_;
  flush_to_ = std::max(flush_to_, target);
  work_.notify_one();
  written_cv_.wait(lock, [&] { return written_ >= target; });
}

void UsageMeter::append(const std::string& region, const std::vector<ledger::UsageRecord>& records) {
  std::chrono::milliseconds pause = kFirstRetryPause;
  for (int attempt = 1;; ++attempt) {
    const Status s = logs_.at(region)->append_all(records);
    if (s.is_ok()) {
      if (attempt > 1) spdlog::info("usage append of {} records in region {} succeeded on attempt {}", records.size(), region, attempt);
      return;
    }
    // Only an unavailable log may take them later, and appending again is harmless: a batch the
    // log stored before failing to say so adds nothing the second time (UsageLog::append_all).
    bool retry = s.code() == Code::kUnavailable;
    std::unique_lock lock(mu_);
    if (retry && stop_) retry = std::chrono::steady_clock::now() < stop_deadline_;
    if (!retry) {
      spdlog::error("usage append of {} records failed in region {}, not metered: {}", records.size(), region, s.to_string());
      return;
    }
    if (attempt == 1) spdlog::warn("usage append of {} records in region {} failed, retrying: {}", records.size(), region, s.to_string());
    work_.wait_for(lock, pause, [&] { return stop_ && std::chrono::steady_clock::now() >= stop_deadline_; });
    pause = std::min(pause * 2, kMaxRetryPause);
  }
}

void UsageMeter::run() {
  std::vector<ledger::UsageRecord> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    work_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and everything is written
    // Linger so that the records of the next commit_interval share this batch's fsync.
    work_.wait_for(lock, commit_interval_,
                   [&] { return stop_ || queue_.size() >= max_queued_ || flush_to_ > written_; });
    batch.swap(queue_);
    lock.unlock();
    std::map<std::string, std::vector<ledger::UsageRecord>> by_region;
    for (auto& r : batch) by_region[r.region].push_back(std::move(r));
    for (auto& [region, records] : by_region) append(region, records);
    const size_t n = batch.size();
    batch.clear();
    lock.lock();
    written_ += n;
    written_cv_.notify_all();
  }
}

}  // namespace fleetgate::assistant
