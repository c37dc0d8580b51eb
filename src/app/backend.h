// What an admin command acts on: the loaded config, the control plane, each region's store and
// keys, and the services built over them. Two implementations: the running service's own objects
// (Service, for commands that arrive over the admin socket) and `OfflineBackend`, which opens the
// data dirs itself for a CLI process when nothing serves them. Failures end the command through
// fail(), like the other CLI helpers.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/app/admin_socket.h"
#include "fleetgate/app/cli.h"
#include "fleetgate/app/control_plane.h"
#include "fleetgate/http/session_registry.h"
#include "fleetgate/ledger/ledger.h"
#include "fleetgate/ledger/usage_log.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::app {

// The configured region `id` when this node serves it ([node] regions); otherwise fails the
// command, naming the region's endpoint when it has one. A node opens nothing of the regions it
// does not serve: no store, no keys.
const config::Region& served_region(const LoadedConfig& loaded, const std::string& id);

class Backend {
 public:
  virtual ~Backend() = default;

  virtual const LoadedConfig& loaded() = 0;
  virtual ControlPlane& control() = 0;
  // A served region's store, keys and data dir; an unknown or unserved id fails the command.
  virtual transfer::RegionData region(const std::string& id) = 0;
  // The regions named in `ids` (every served one when empty), by id.
  std::map<std::string, transfer::RegionData> regions(const std::vector<std::string>& ids = {});
  virtual ledger::UsageLog& usage_log(const std::string& region) = 0;
  virtual telemetry::IngestService& telemetry() = 0;
  virtual transfer::TransferService& transfers() = 0;
  // The ledger under the terms in `terms`; empty: ledger.toml beside the config.
  virtual ledger::Ledger& ledger(const std::filesystem::path& terms) = 0;
  // The sessions of the running server (open WebSockets, by credential); nullptr offline.
  virtual http::SessionRegistry* sessions() { return nullptr; }
};

// Opens what a command asks for on first use, from the data dirs of `loaded`.
// Opening fails with exit code 69 while another process (a running service) holds a data dir.
class OfflineBackend final : public Backend {
 public:
  explicit OfflineBackend(LoadedConfig loaded) : loaded_(std::move(loaded)) {}
  ~OfflineBackend() override;

  const LoadedConfig& loaded() override;
  ControlPlane& control() override;
  transfer::RegionData region(const std::string& id) override;
  ledger::UsageLog& usage_log(const std::string& region) override;
  telemetry::IngestService& telemetry() override;
  transfer::TransferService& transfers() override;
  ledger::Ledger& ledger(const std::filesystem::path& terms) override;

 private:
  // Every configured region's store, opened.
  const std::map<std::string, std::unique_ptr<store::KvStore>>& all_stores();

  // Declared so that users are destroyed before what they use.
  LoadedConfig loaded_;
  std::optional<ControlPlane> control_;
  std::map<std::string, std::unique_ptr<store::KvStore>> stores_;
  std::map<std::string, std::shared_ptr<const privacy::RegionKeys>> keys_;
  std::map<std::string, std::unique_ptr<ledger::UsageLog>> usage_;
  std::unique_ptr<telemetry::IngestService> telemetry_;
  std::unique_ptr<transfer::TransferService> transfers_;
  std::unique_ptr<ledger::Ledger> ledger_;
};

// Thrown by backend() in a CLI process when a service answers on the data dir's admin socket:
// main() then hands the whole command line to that service instead of opening what it holds.
struct ServedElsewhere {
  std::shared_ptr<AdminConnection> service;  // connected: the command line goes over it
};

// What `cli`'s command acts on: cli.served when the service runs it, else cli.offline, created on
// first use unless a service answers (then throws ServedElsewhere). Call it before the command
// writes anything, so that a forwarded command's output is the service's alone.
Backend& backend(Cli& cli);

// The ledger terms a command names: `terms`, else ledger.toml beside the config file.
std::filesystem::path ledger_terms(const config::Config& cfg, const std::filesystem::path& terms);

}  // namespace fleetgate::app
