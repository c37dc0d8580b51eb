// For ingest tests: the repository's config with every data dir in a fresh temporary directory,
// the control plane (audit, registry), one store per region, an IngestService with a fixed
// clock (unless `system_clock`), and a loopback server with the telemetry routes whose bearer tokens are
// "vehicle:<VIN>" (role vehicle, home region) and "<role>:<region>" (e.g. "operator:eu").
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "fleetgate/audit/audit_log.h"
#include "fleetgate/http/server.h"
#include "fleetgate/residency/policy.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/test_dir.h"
#include "fleetgate/telemetry/ingest_routes.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::telemetry {

inline constexpr int64_t kIngestNowMs = 1'748'736'000'000;  // 2025-06-01T00:00:00Z

class IngestEnv {
 public:
  explicit IngestEnv(IngestOptions options = {}, bool system_clock = false) : options_(std::move(options)) {
    auto cfg = config::load_config(FLEETGATE_SOURCE_DIR "/config/fleetgate.toml");
    EXPECT_TRUE(cfg.is_ok()) << cfg.status().to_string();
    cfg->server.data_dir = dir_.path();
    for (auto& region : cfg->regions) region.data_dir = dir_ / region.id;
    auto policy = residency::Policy::create(std::make_shared<const config::Config>(std::move(cfg).value()));
    EXPECT_TRUE(policy.is_ok()) << policy.status().to_string();
    policy_ = std::make_shared<const residency::Policy>(std::move(policy).value());
    if (!system_clock) options_.clock = [] { return kIngestNowMs; };
    open();
  }
  ~IngestEnv() { close(); }

  // Opens stores, service and server as a fresh process would.
  void open() {
    auto control = store::open_control_store(policy_->config());
    ASSERT_TRUE(control.is_ok()) << control.status().to_string();
    control_ = std::move(control).value();
    auto audit = audit::AuditLog::open(*control_, [] { return kIngestNowMs; });
    ASSERT_TRUE(audit.is_ok());
    audit_ = std::move(audit).value();
    registry_ = std::make_unique<vehicle::FleetRegistry>(*audit_, policy_);
    auto stores = store::open_region_stores(policy_->config(), region_store_options());
    ASSERT_TRUE(stores.is_ok()) << stores.status().to_string();
    stores_ = std::move(stores).value();
    auto service = IngestService::create(policy_, stores_, *registry_, *audit_, options_);
    ASSERT_TRUE(service.is_ok()) << service.status().to_string();
    service_ = std::move(service).value();
    authenticator_ = std::make_shared<http::StaticTokenAuthenticator>();
    for (const auto& region : policy_->config().regions) {
      for (const char* role : {"operator", "admin"}) {
        authenticator_->add_token(std::string(role) + ":" + region.id, {std::string(role) + "-" + region.id, {role}, {region.id}});
      }
    }
    authenticator_->add_token("admin:*", {"root", {"admin"}, {"*"}});
    http::ServerOptions so;
    so.port = 0;
    so.access_log_level = spdlog::level::debug;
    server_ = std::make_unique<http::Server>(so, nullptr, authenticator_);
    ASSERT_TRUE(register_ingest_routes(*server_, *service_).is_ok());
  }
  void start() { ASSERT_TRUE(server_->start().is_ok()); }
  void close() {
    if (server_) server_->stop();
    server_.reset();
    service_.reset();
    stores_.clear();
    registry_.reset();
    audit_.reset();
    control_.reset();
  }

  // Registers `vin` in `market` and gives it the token "vehicle:<VIN>". REQUIRES: before start().
  std::string add_vehicle(const std::string& vin, const std::string& market) {
    auto r = registry_->register_vehicle(vin, market, "", "test");
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    authenticator_->add_token("vehicle:" + vin, {vin, {"vehicle"}, {r.is_ok() ? r->region : ""}});
    return r.is_ok() ? r->region : "";
  }

  IngestService& service() { return *service_; }
  http::Server& server() { return *server_; }
  audit::AuditLog& audit() { return *audit_; }
  store::KvStore& region_store(const std::string& id) { return *stores_.at(id); }
  const config::Config& config() const { return policy_->config(); }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  store::TestDir dir_;
  IngestOptions options_;
  std::shared_ptr<const residency::Policy> policy_;
  std::unique_ptr<store::KvStore> control_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<vehicle::FleetRegistry> registry_;
  std::map<std::string, std::unique_ptr<store::KvStore>> stores_;
  std::unique_ptr<IngestService> service_;
  std::shared_ptr<http::StaticTokenAuthenticator> authenticator_;
  std::unique_ptr<http::Server> server_;
};

}  // namespace fleetgate::telemetry
