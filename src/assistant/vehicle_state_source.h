// Where the gateway's interlocks read a vehicle's latest state. Telemetry ingest keeps it
// current; POST /v1/vehicles/{vin}/state lets a vehicle (or operator) report it directly.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "fleetgate/assistant/interlocks.h"

namespace fleetgate::assistant {

class VehicleStateSource {
 public:
  virtual ~VehicleStateSource() = default;
  // The latest known state, nullopt when the vehicle never reported. Thread-safe.
  virtual std::optional<VehicleState> latest(std::string_view vin) const = 0;
  // Records a reported state (newer than the held one wins). Thread-safe.
  virtual void report(std::string_view vin, const VehicleState& state) = 0;
};

// States held in memory: lost on restart, which the interlocks treat as unknown (fail safe).
class InMemoryVehicleStates : public VehicleStateSource {
 public:
  std::optional<VehicleState> latest(std::string_view vin) const override;
  void report(std::string_view vin, const VehicleState& state) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, VehicleState, std::less<>> states_;
};

}  // namespace fleetgate::assistant
