// For ledger tests: the repo's ledger config and a deployment in a temp dir (control store with
// its audit chain, one usage log per region cn/us/eu, a Ledger over them) with a settable clock.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "fleetgate/ledger/kv_usage_log.h"
#include "fleetgate/ledger/ledger.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/store/test_dir.h"

namespace fleetgate::ledger {

inline const int64_t kNov = *parse_utc_time("2026-11-01");
inline const int64_t kDec = *parse_utc_time("2026-12-01");
inline const Period kNovP = *Period::parse("2026-11");
inline const Period kDecP = *Period::parse("2026-12");

inline LedgerConfig repo_config() {
  auto c = load_ledger_config(std::string(FLEETGATE_SOURCE_DIR) + "/config/ledger.toml");
  EXPECT_TRUE(c.is_ok()) << c.status().to_string();
  return c.is_ok() ? *c : LedgerConfig{};
}

inline UsageRecord usage(int64_t t, std::string region, std::string market, std::string provider, std::string model,
                  int64_t prompt, int64_t completion, std::string outcome = "ok") {
  UsageRecord r;
  r.time_ms = t;
  r.request_id = "req-" + std::to_string(t);
  r.vehicle_pseudonym = "p_1";
  r.region = std::move(region);
  r.market = std::move(market);
  r.feature = "assistant";
  r.provider = std::move(provider);
  r.model = std::move(model);
  r.prompt_tokens = prompt;
  r.completion_tokens = completion;
  r.outcome = std::move(outcome);
  return r;
}

inline SourcedEvent revenue(std::string id, int64_t t, RevenueType type, std::string feature, std::string market,
                     std::string currency, int64_t amount) {
  return {RevenueEvent{id, t, type, std::move(feature), std::move(market), std::move(currency), amount}, id};
}

// A deployment in a temp dir: control store + audit chain, one usage log per region.
class Deployment {
 public:
  explicit Deployment(LedgerConfig config = repo_config()) {
    control_ = std::move(store::open_embedded(dir_ / "control")).value();
    audit_ = std::move(audit::AuditLog::open(*control_, [this] { return now_ms; })).value();
    for (const char* region : {"cn", "us", "eu"}) {
      regions_[region] = std::move(store::open_embedded(dir_ / region)).value();
      logs_[region] = std::move(KvUsageLog::open(*regions_[region], region, {.sync = false})).value();
    }
    ledger_ = another_ledger(std::move(config));
  }
  // A ledger with `config` over the same control plane and usage logs (a restart with changed terms).
  std::unique_ptr<Ledger> another_ledger(LedgerConfig config) {
    std::vector<const UsageLog*> logs;
    for (const auto& [region, log] : logs_) logs.push_back(log.get());
    return std::make_unique<Ledger>(std::move(config), *audit_, logs);
  }
  void add(const UsageRecord& r) { ASSERT_TRUE(logs_.at(r.region)->append(r).is_ok()); }
  Ledger& ledger() { return *ledger_; }
  audit::AuditLog& audit() { return *audit_; }
  store::KvStore& control() { return *control_; }
  std::string statement(Period p, const std::string& partner) {
    auto s = ledger_->statement(p, partner);
    EXPECT_TRUE(s.is_ok()) << s.status().to_string();
    return s.is_ok() ? s->json : "";
  }

  int64_t now_ms = kDec + 1000;

 private:
  store::TestDir dir_;
  std::unique_ptr<store::KvStore> control_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::map<std::string, std::unique_ptr<store::KvStore>> regions_;
  std::map<std::string, std::unique_ptr<UsageLog>> logs_;
  std::unique_ptr<Ledger> ledger_;
};

}  // namespace fleetgate::ledger
