#include "fleetgate/app/transfer_env.h"

#include <algorithm>

#include "fleetgate/privacy/keyring.h"
#include "fleetgate/store/data_dir.h"
#include "fleetgate/store/embedded_store.h"
#include "fleetgate/telemetry/ingest_service.h"

namespace fleetgate::app {

RegionHomes open_region_homes(const config::Config& cfg, const std::vector<std::string>& wanted) {
  RegionHomes h;
  for (const config::Region& r : cfg.regions) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), r.id) == wanted.end()) continue;
    h.stores[r.id] = must(store::open_embedded(store::region_store_dir(r), telemetry::region_store_options()));
    h.data[r.id] = transfer::RegionData{h.stores[r.id].get(), must(privacy::RegionKeys::open(r.data_dir, r.id)), r.data_dir};
  }
  for (const auto& id : wanted) {
    if (!h.data.contains(id)) fail("unknown region '" + id + "'");
  }
  return h;
}

std::unique_ptr<TransferEnv> open_transfer_env(const std::string& config_path) {
  auto env = std::make_unique<TransferEnv>();
  env->loaded = must(load(config_path));
  env->control = must(open_control_plane(env->loaded));
  env->homes = open_region_homes(*env->loaded.config);
  transfer::TransferOptions options;
  options.auto_approve_model_weights = env->loaded.config->transfer.auto_approve_model_weights;
  env->service = must(transfer::TransferService::create(env->loaded.policy, *env->control.store, *env->control.audit,
                                                        env->homes.data, options));
  return env;
}

}  // namespace fleetgate::app
