#include "fleetgate/app/backend.h"

#include "fleetgate/app/admin_socket.h"
#include "fleetgate/app/region_telemetry_open.h"
#include "fleetgate/app/usage_log_open.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/embedded_store.h"

namespace fleetgate::app {

const config::Region& served_region(const LoadedConfig& loaded, const std::string& id) {
  const config::Region* r = loaded.config->region(id);
  if (r == nullptr) fail("unknown region '" + id + "'");
  if (!loaded.config->serves(id)) {
    fail("region '" + id + "' is not served by this node ([node] regions)" +
         (r->endpoint.empty() ? std::string() : "; its nodes answer at " + r->endpoint));
  }
  return *r;
}

std::map<std::string, transfer::RegionData> Backend::regions(const std::vector<std::string>& ids) {
  std::map<std::string, transfer::RegionData> out;
  if (ids.empty()) {
    for (const std::string& id : loaded().config->served_regions) out[id] = region(id);
  }
  for (const auto& id : ids) out[id] = region(id);
  return out;
}

Backend& backend(Cli& cli) {
  if (cli.served != nullptr) return *cli.served;
  if (!cli.offline) {
    LoadedConfig loaded = must(load(cli.config_path));
    if (auto service = AdminConnection::open(admin_socket_path(*loaded.config))) throw ServedElsewhere{std::move(service)};
    cli.offline = std::make_shared<OfflineBackend>(std::move(loaded));
  }
  return *cli.offline;
}

std::filesystem::path ledger_terms(const config::Config& cfg, const std::filesystem::path& terms) {
  return terms.empty() ? cfg.source.parent_path() / "ledger.toml" : terms;
}

OfflineBackend::~OfflineBackend() = default;

const LoadedConfig& OfflineBackend::loaded() { return loaded_; }

ControlPlane& OfflineBackend::control() {
  if (!control_) control_ = must(open_control_plane(loaded_));
  return *control_;
}

transfer::RegionData OfflineBackend::region(const std::string& id) {
  const config::Region* r = &served_region(loaded_, id);
  auto& store = stores_[id];
  if (!store) {
    store = must(store::open_region_store(*loaded_.config, *r, telemetry::region_store_options(), region_objects_opener()));
  }
  auto& keys = keys_[id];
  if (!keys) keys = must(privacy::RegionKeys::open(r->data_dir, r->id));
  // The telemetry is opened only when read: opening it opens every served region (telemetry()).
  return transfer::RegionData{store.get(), keys, r->data_dir, [this, id] { return telemetry().region(id)->records(); },
                              [this, id] { return telemetry().region(id)->codec().vehicle_keys(); }};
}

const std::map<std::string, std::unique_ptr<store::KvStore>>& OfflineBackend::all_stores() {
  for (const std::string& id : loaded_.config->served_regions) region(id);
  return stores_;
}

ledger::UsageLog& OfflineBackend::usage_log(const std::string& id) {
  auto& log = usage_[id];
  if (!log) log = must(open_usage_log(served_region(loaded_, id), *region(id).store));
  return *log;
}

telemetry::IngestService& OfflineBackend::telemetry() {
  if (!telemetry_) {
    const auto& stores = all_stores();
    telemetry::IngestOptions options;
    options.make_region = stream_telemetry_factory();
    telemetry_ = must(telemetry::IngestService::create(loaded_.policy, stores, *control().registry, *control().audit, options));
  }
  return *telemetry_;
}

transfer::TransferService& OfflineBackend::transfers() {
  if (!transfers_) {
    transfer::TransferOptions options;
    options.auto_approve_model_weights = loaded_.config->transfer.auto_approve_model_weights;
    transfers_ = must(transfer::TransferService::create(loaded_.policy, *control().audit, regions(), options));
  }
  return *transfers_;
}

ledger::Ledger& OfflineBackend::ledger(const std::filesystem::path& terms) {
  if (!ledger_) {
    ledger::LedgerConfig config = must(ledger::load_ledger_config(ledger_terms(*loaded_.config, terms)));
    std::vector<const ledger::UsageLog*> logs;
    for (const std::string& id : loaded_.config->served_regions) logs.push_back(&usage_log(id));
    ledger_ = std::make_unique<ledger::Ledger>(std::move(config), *control().audit, std::move(logs));
  }
  return *ledger_;
}

}  // namespace fleetgate::app
