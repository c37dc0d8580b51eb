// Where the gateway's interlocks read a vehicle's latest state. Telemetry ingest keeps it
// current; POST /v1/vehicles/{vin}/state lets a vehicle (or operator) report it directly. The
// service's implementation is app::VehicleStates.
#pragma once

#include <optional>
#include <string_view>

#include "fleetgate/assistant/interlocks.h"
#include "fleetgate/core/result.h"

namespace fleetgate::assistant {

class VehicleStateSource {
 public:
  virtual ~VehicleStateSource() = default;
  // The latest known state, nullopt when unknown (never reported, or unreadable). Thread-safe;
  // may block on storage.
  virtual std::optional<VehicleState> latest(std::string_view vin) const = 0;
  // Records a reported state (newer than the held one wins). Thread-safe; may block on storage.
  virtual Status report(std::string_view vin, const VehicleState& state) = 0;
};

}  // namespace fleetgate::assistant
