// What offline commands that move data between regions open: each region's store and keyring
// (RegionHomes) and, for transfers, the control plane and the TransferService over all of them.
// Failures end the command through fail(), like the other CLI helpers.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fleetgate/app/cli.h"
#include "fleetgate/app/control_plane.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/transfer/transfer_service.h"

namespace fleetgate::app {

// The stores and keyrings of some regions, by region id.
struct RegionHomes {
  std::map<std::string, std::unique_ptr<store::KvStore>> stores;
  std::map<std::string, transfer::RegionData> data;  // points into `stores`
};

// Opens the regions named in `wanted` (every configured one when empty); an unknown name fails.
RegionHomes open_region_homes(const config::Config& cfg, const std::vector<std::string>& wanted = {});

// Everything a transfer needs, destroyed service first, stores last.
struct TransferEnv {
  LoadedConfig loaded;
  ControlPlane control;
  RegionHomes homes;  // every configured region: a transfer may name any of them
  std::unique_ptr<transfer::TransferService> service;
};

std::unique_ptr<TransferEnv> open_transfer_env(const std::string& config_path);

}  // namespace fleetgate::app
