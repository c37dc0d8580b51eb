#include "fleetgate/app/retention.h"

#include <spdlog/spdlog.h>

#include "fleetgate/learning/checkpoint.h"
#include "fleetgate/learning/dataset.h"

namespace fleetgate::app {
namespace {

constexpr int64_t kDayMs = 24 * 3600 * 1000;

// Deletes the telemetry of the vehicles of `market` homed in `region` older than `cutoff_ms`.
Result<uint64_t> expire_telemetry(Backend& b, const std::string& region, const std::string& market, int64_t cutoff_ms) {
  telemetry::RegionTelemetry* t = b.telemetry().region(region);
  if (t == nullptr) return failed_precondition("region '" + region + "' keeps no telemetry on this node");
  uint64_t deleted = 0;
  vehicle::ListFilter filter{.region = region, .market = market, .limit = vehicle::kMaxListLimit};
  do {
    auto page = b.control().registry->list(filter);
    if (!page.is_ok()) return page.status();
    for (const vehicle::VehicleRecord& v : page->vehicles) {
      auto pseudonym = t->codec().pseudonym(v.vin);
      if (!pseudonym.is_ok()) return pseudonym.status();
      auto n = t->expire(*pseudonym, cutoff_ms);
      if (!n.is_ok()) return n.status();
      deleted += *n;
    }
    filter.cursor = page->next_cursor;
  } while (!filter.cursor.empty());
  return deleted;
}

Result<uint64_t> expire_datasets(store::KvStore& store, int64_t cutoff_ms) {
  auto all = learning::list_datasets(store);
  if (!all.is_ok()) return all.status();
  uint64_t deleted = 0;
  for (const learning::DatasetInfo& d : *all) {
    if (d.created_ms <= 0 || d.created_ms >= cutoff_ms) continue;  // unknown age: kept
    if (Status s = learning::delete_dataset(store, d.version); !s.is_ok()) return s;
    ++deleted;
  }
  return deleted;
}

Result<uint64_t> expire_models(store::KvStore& store, int64_t cutoff_ms) {
  auto all = learning::list_models(store);
  if (!all.is_ok()) return all.status();
  uint64_t deleted = 0;
  for (const learning::StoredModel& m : *all) {
    if (m.meta.created_ms <= 0 || m.meta.created_ms >= cutoff_ms) continue;
    if (Status s = learning::delete_checkpoint(store, m.name); !s.is_ok()) return s;
    ++deleted;
  }
  return deleted;
}

}  // namespace

Result<std::vector<RetentionRun>> enforce_retention(Backend& b, int64_t now_ms) {
  const config::Config& cfg = *b.loaded().config;
  std::vector<RetentionRun> runs;
  for (const std::string& region : cfg.served_regions) {
    for (std::string_view data_class : config::kRetainedDataClasses) {
      const bool per_market = data_class == "telemetry" || data_class == "assistant_usage";
      std::vector<std::string> markets;
      if (per_market) {
        for (const auto& [market, home] : cfg.markets) {
          if (home == region) markets.push_back(market);
        }
      } else {
        markets.emplace_back();
      }
      for (const std::string& market : markets) {
        auto period = cfg.retention_for(data_class, region, market);
        if (!period) continue;
        RetentionRun run{region, std::string(data_class), market, period->first, period->second->reference,
                         now_ms - int64_t{period->first} * kDayMs, 0};
        Result<uint64_t> deleted = uint64_t{0};
        if (data_class == "telemetry") deleted = expire_telemetry(b, region, market, run.cutoff_ms);
        else if (data_class == "assistant_usage") deleted = b.usage_log(region).expire(run.cutoff_ms, market);
        else if (data_class == "datasets") deleted = expire_datasets(*b.region(region).store, run.cutoff_ms);
        else deleted = expire_models(*b.region(region).store, run.cutoff_ms);
        if (!deleted.is_ok()) {
          return Status(deleted.status().code(), "retention of " + run.data_class + " in " + region +
                                                     (market.empty() ? "" : " (" + market + ")") + ": " +
                                                     deleted.status().message());
        }
        run.deleted = *deleted;
        runs.push_back(std::move(run));
      }
    }
  }
  return runs;
}

boost::json::object to_json(const RetentionRun& r) {
  return boost::json::object{{"region", r.region},       {"data_class", r.data_class}, {"market", r.market},
                             {"days", r.days},           {"reference", r.reference},   {"cutoff_ms", r.cutoff_ms},
                             {"deleted", r.deleted}};
}

RetentionRunner::RetentionRunner(std::function<void()> sweep, std::chrono::milliseconds interval)
    : thread_([this, sweep = std::move(sweep), interval] {
        std::unique_lock lock(mu_);
        while (!stop_) {
          lock.unlock();
          sweep();
          lock.lock();
          wake_.wait_for(lock, interval, [this] { return stop_; });
        }
      }) {}

RetentionRunner::~RetentionRunner() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

}  // namespace fleetgate::app
