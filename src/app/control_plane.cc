#include "fleetgate/app/control_plane.h"

#include "fleetgate/app/vin_directory_open.h"
#include "fleetgate/store/data_dir.h"

namespace fleetgate::app {

Result<ControlPlane> open_control_plane(const LoadedConfig& loaded, audit::Clock clock, const StoreLayer& layer) {
  ControlPlane cp;
  auto store = store::open_control_store(*loaded.config);
  if (!store.is_ok()) return store.status();
  cp.store = std::move(store).value();
  if (layer) {
    cp.opened = std::move(cp.store);
    cp.store = layer(*cp.opened);
  }
  auto audit = audit::AuditLog::open(*cp.store, std::move(clock));
  if (!audit.is_ok()) return audit.status();
  cp.audit = std::move(audit).value();
  auto directory = open_vin_directory(*loaded.config, *cp.store);
  if (!directory.is_ok()) return directory.status();
  cp.directory_store = std::move(directory->own_store);
  cp.directory = std::move(directory->directory);
  cp.registry = std::make_unique<vehicle::FleetRegistry>(*cp.audit, loaded.policy, cp.directory.get());
  cp.credentials = std::make_unique<access::CredentialStore>(*cp.audit);
  auto revocations = access::CertificateRevocations::open(*cp.audit);
  if (!revocations.is_ok()) return revocations.status();
  cp.revocations = std::move(revocations).value();
  return cp;
}

}  // namespace fleetgate::app
