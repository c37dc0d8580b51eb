// For registry tests: the repository's default config with its data dir moved into a fresh
// temporary directory, the control-plane store, audit log (fixed clock) and registry over it.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/privacy/test_keys.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::vehicle {

// 2025-06-01T00:00:00Z
inline constexpr int64_t kTestNowMs = 1'748'736'000'000;

class RegistryEnv {
 public:
  // `adjust` changes the loaded config before the registry sees it (e.g. the served regions);
  // `with_directory` gives the registry a VIN directory in the control store.
  explicit RegistryEnv(const std::function<void(config::Config&)>& adjust = {}, bool with_directory = false)
      : with_directory_(with_directory) {
    auto cfg = config::load_config(FLEETGATE_SOURCE_DIR "/config/fleetgate.toml");
    EXPECT_TRUE(cfg.is_ok()) << cfg.status().to_string();
    cfg->server.data_dir = dir_.path();
    for (auto& region : cfg->regions) region.data_dir = dir_ / region.id;
    if (adjust) adjust(*cfg);
    auto policy = residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value()));
    EXPECT_TRUE(policy.is_ok()) << policy.status().to_string();
    policy_ = std::make_shared<const residency::Policy>(std::move(policy).value());
    open();
  }

  // Opens the stores as a fresh process would.
  void open() {
    registry_.reset();
    directory_.reset();
    audit_.reset();
    store_.reset();
    auto store = store::open_control_store(policy_->config());
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    store_ = std::move(store).value();
    auto audit = audit::AuditLog::open(*store_, [this] { return now_ms; });
    ASSERT_TRUE(audit.is_ok()) << audit.status().to_string();
    audit_ = std::move(audit).value();
    if (with_directory_) {
      directory_ = std::make_unique<VinDirectory>(*store_, privacy::Pseudonymiser(privacy::fixed_keys("directory", 9)));
    }
    registry_ = std::make_unique<FleetRegistry>(*audit_, policy_, directory_.get());
  }

  void close() {
    registry_.reset();
    directory_.reset();
    audit_.reset();
    store_.reset();
  }

  FleetRegistry& registry() { return *registry_; }
  audit::AuditLog& audit() { return *audit_; }
  store::KvStore& store() { return *store_; }
  // REQUIRES: built with_directory.
  VinDirectory& directory() { return *directory_; }

  int64_t now_ms = kTestNowMs;

 private:
  store::TestDir dir_;
  bool with_directory_;
  std::shared_ptr<const residency::Policy> policy_;
  std::unique_ptr<store::KvStore> store_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<VinDirectory> directory_;
  std::unique_ptr<FleetRegistry> registry_;
};

}  // namespace fleetgate::vehicle
