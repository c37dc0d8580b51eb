// The interlocks' view of a vehicle (assistant::VehicleStateSource): the newer of its telemetry's
// latest state and the state last reported through POST /v1/vehicles/{vin}/state. A report is
// kept in the vehicle's home-region store under "reported_state/<pseudonym>", sealed with the
// region's keys, so every node of the region reads what any node was told (in the distributed
// mode that store is the region's PostgreSQL) and a restart forgets nothing. Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/assistant/vehicle_state_source.h"
#include "fleetgate/privacy/keyring.h"
#include "fleetgate/privacy/pseudonymiser.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/ingest_service.h"
#include "fleetgate/vehicle/registry.h"

namespace fleetgate::app {

inline constexpr std::string_view kReportedStatePrefix = "reported_state/";

class VehicleStates final : public assistant::VehicleStateSource {
 public:
  // Where one served region keeps its vehicles' reports.
  struct Home {
    store::KvStore* store = nullptr;
    std::shared_ptr<const privacy::RegionKeys> keys;
  };
  // REQUIRES: `ingest`, `registry` and every Home::store outlive this object.
  VehicleStates(telemetry::IngestService& ingest, const vehicle::FleetRegistry& registry, std::map<std::string, Home> homes);

  // nullopt also when the vehicle's region is not served here or its store cannot be read: the
  // interlocks then treat the state as unknown and refuse (fail safe).
  std::optional<assistant::VehicleState> latest(std::string_view vin) const override;
  // Keeps `state` unless the stored report is newer. kNotFound for an unregistered VIN,
  // kFailedPrecondition when its region is not served here, kUnavailable when the store fails.
  Status report(std::string_view vin, const assistant::VehicleState& state) override;

 private:
  // Where one registered vehicle's state is: read once per call, from one registry lookup.
  struct Slot {
    const Home* home = nullptr;
    std::string key;  // kReportedStatePrefix + pseudonym
    std::string vin;  // as registered
    telemetry::RegionTelemetry* telemetry = nullptr;  // its home region's telemetry log
  };
  Result<Slot> slot(std::string_view vin) const;
  // The report sealed in `sealed`; nullopt when it does not open (it then counts as unknown).
  std::optional<assistant::VehicleState> open(const Slot& slot, std::string_view sealed) const;

  telemetry::IngestService& ingest_;
  const vehicle::FleetRegistry& registry_;
  std::map<std::string, Home, std::less<>> homes_;
};

}  // namespace fleetgate::app
