// Erasure of a vehicle (GDPR Art. 17, PIPL Art. 47), by crypto-shredding: its token, its owner's
// token and every grant stop working; in its home region its data key is destroyed and its
// telemetry, latest and reported states are deleted from the live store; then the registry
// replaces its record by a tombstone holding no VIN, and the audit chain records "vehicle.erase"
// under its pseudonym. Safe to retry: each step is idempotent, and the registry, which finds the
// vehicle, changes last.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "fleetgate/app/control_plane.h"
#include "fleetgate/core/result.h"
#include "fleetgate/http/session_registry.h"
#include "fleetgate/store/kv_store.h"
#include "fleetgate/telemetry/region_telemetry.h"

namespace fleetgate::app {

struct VehicleErasure {
  std::string pseudonym;                   // its region pseudonym: the tombstone's and audit entry's subject
  std::string region;
  std::optional<uint32_t> key_generation;  // the data key destroyed; nullopt when it had none
  uint64_t blocks = 0;                     // sealed telemetry blocks deleted from the live store
  bool token_revoked = false;
  uint64_t audit_seq = 0;                  // the "vehicle.erase" entry
};

// Erases the registered vehicle `vin` homed in the region of `telemetry`, whose live store is
// `region_store`; the vehicle's open sessions in `sessions` (when given) end with its token.
// kNotFound when the VIN is not registered; kInvalidArgument without a reason;
// kFailedPrecondition when `telemetry` is not the vehicle's home region's.
Result<VehicleErasure> erase_vehicle(ControlPlane& cp, telemetry::RegionTelemetry& telemetry, store::KvStore& region_store,
                                     http::SessionRegistry* sessions, std::string_view vin, std::string_view actor,
                                     std::string_view reason);

boost::json::object to_json(const VehicleErasure& e);

}  // namespace fleetgate::app
