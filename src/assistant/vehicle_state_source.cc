#include "fleetgate/assistant/vehicle_state_source.h"

namespace fleetgate::assistant {

std::optional<VehicleState> InMemoryVehicleStates::latest(std::string_view vin) const {
  std::lock_guard lock(mu_);
  auto it = states_.find(vin);
  if (it == states_.end()) return std::nullopt;
  return it->second;
}

void InMemoryVehicleStates::report(std::string_view vin, const VehicleState& state) {
  std::lock_guard lock(mu_);
  auto it = states_.find(vin);
  if (it == states_.end()) {
    states_.emplace(std::string(vin), state);
  } else if (state.updated_at >= it->second.updated_at) {
    it->second = state;
  }
}

}  // namespace fleetgate::assistant
