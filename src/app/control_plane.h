// Opens the control plane of a loaded config: the control-plane store (store/data_dir.h
// layout), the audit chain in it, the global VIN directory, and the fleet registry (which records
// registrations in the directory), credentials and certificate revocations over them. The CLI
// and `serve` share this so both see the same data in the same layout.
#pragma once

#include <functional>
#include <memory>

#include "fleetgate/app/cli.h"
#include "fleetgate/access/certificate_revocations.h"
#include "fleetgate/access/credentials.h"
#include "fleetgate/audit/audit_log.h"
#include "fleetgate/core/result.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::app {

// Members are declared so that they are destroyed users first, store last.
struct ControlPlane {
  std::unique_ptr<store::KvStore> opened;  // the store as opened, when `store` is a layer over it
  std::unique_ptr<store::KvStore> store;
  std::unique_ptr<store::KvStore> directory_store;  // [directory] dsn_env's database; null: in `store`
  std::unique_ptr<audit::AuditLog> audit;
  std::unique_ptr<vehicle::VinDirectory> directory;  // the global VIN directory (app/vin_directory_open.h)
  std::unique_ptr<vehicle::FleetRegistry> registry;
  std::unique_ptr<access::CredentialStore> credentials;
  std::unique_ptr<access::CertificateRevocations> revocations;
};

// Fault injection for tests, as LevelDB's Env: a store over the opened control store that
// everything of the control plane then uses.
using StoreLayer = std::function<std::unique_ptr<store::KvStore>(store::KvStore& opened)>;

// kUnavailable when another process holds the data dir; kDataLoss when the store is damaged;
// the errors of open_vin_directory.
Result<ControlPlane> open_control_plane(const LoadedConfig& loaded, audit::Clock clock = audit::system_clock_ms,
                                        const StoreLayer& layer = {});

}  // namespace fleetgate::app
